# Debian's node-llhttp ships llhttp's C sources and header, not a library: we compile them.
find_path(LLHTTP_INCLUDE_DIR llhttp.h PATHS /usr/share/include/llhttp /usr/include/llhttp)
find_path(LLHTTP_SOURCE_DIR llhttp.c PATHS /usr/share/llhttp)
include(FindPackageHandleStandardArgs)
find_package_handle_standard_args(llhttp
  REQUIRED_VARS LLHTTP_INCLUDE_DIR LLHTTP_SOURCE_DIR
  FAIL_MESSAGE "llhttp sources not found: install the Debian package node-llhttp (scripts/deps.sh does)")
