# The layout rules the build cannot see on its own (cmake -DSOURCE_DIR=... -P check.cmake):
# no library file over MAX_LINES lines, and the pure codec library (net/codec) never includes CAF.
cmake_minimum_required(VERSION 3.20)
if(NOT DEFINED MAX_LINES)
  set(MAX_LINES 800)
endif()
set(failures "")
file(GLOB_RECURSE library_files
  ${SOURCE_DIR}/runtime/*.cpp ${SOURCE_DIR}/runtime/*.hpp
  ${SOURCE_DIR}/supervision/*.cpp ${SOURCE_DIR}/supervision/*.hpp
  ${SOURCE_DIR}/net/*.cpp ${SOURCE_DIR}/net/*.hpp
  ${SOURCE_DIR}/handlers/*.cpp ${SOURCE_DIR}/handlers/*.hpp
  ${SOURCE_DIR}/apps/*.cpp ${SOURCE_DIR}/apps/*.hpp)
foreach(f ${library_files})
  file(READ ${f} content)
  string(REGEX REPLACE "[^\n]" "" newlines "${content}")
  string(LENGTH "${newlines}" n)
  if(n GREATER MAX_LINES)
    file(RELATIVE_PATH rel ${SOURCE_DIR} ${f})
    string(APPEND failures "  ${rel}: ${n} lines (limit ${MAX_LINES})\n")
  endif()
endforeach()
file(GLOB_RECURSE codec_files ${SOURCE_DIR}/net/codec/*.cpp ${SOURCE_DIR}/net/codec/*.hpp)
foreach(f ${codec_files})
  file(STRINGS ${f} caf_includes REGEX "^[ \t]*#[ \t]*include[ \t]*[<\"]caf/")
  if(caf_includes)
    file(RELATIVE_PATH rel ${SOURCE_DIR} ${f})
    string(APPEND failures "  ${rel}: includes CAF, but net/codec is the CAF-free codec library\n")
  endif()
endforeach()
list(LENGTH library_files count)
if(failures)
  message(FATAL_ERROR "layout check failed:\n${failures}")
endif()
message(STATUS "layout: ${count} library files, none over ${MAX_LINES} lines; net/codec is CAF-free")
