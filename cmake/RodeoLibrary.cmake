# rodeo_add_library(NAME [PURE] DEPS ...): a static library from <dir>/src/*.cpp with public headers
# in <dir>/include. Sources are globbed so adding a file needs no edit here. PURE: the library must
# not see CAF (no precompiled CAF header; CAF is not among its dependencies, so an include fails).
function(rodeo_add_library name)
  cmake_parse_arguments(ARG "PURE" "" "DEPS;PRIVATE_DEPS" ${ARGN})
  file(GLOB sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/src/*.cpp ${CMAKE_CURRENT_SOURCE_DIR}/src/*.c)
  if(NOT sources)
    return()
  endif()
  set_property(GLOBAL APPEND PROPERTY RODEO_LIBRARIES rodeo_${name})
  add_library(rodeo_${name} STATIC ${sources})
  add_library(rodeo::${name} ALIAS rodeo_${name})
  set_target_properties(rodeo_${name} PROPERTIES EXPORT_NAME ${name})
  target_include_directories(rodeo_${name} PUBLIC
    $<BUILD_INTERFACE:${CMAKE_CURRENT_SOURCE_DIR}/include>
    $<INSTALL_INTERFACE:${CMAKE_INSTALL_INCLUDEDIR}>)
  target_link_libraries(rodeo_${name} PUBLIC ${ARG_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  target_compile_options(rodeo_${name} PRIVATE -Wall -Wextra)
  # CAF headers cost ~3.5 s per translation unit: precompile them once per library.
  if(NOT ARG_PURE)
    target_precompile_headers(rodeo_${name} PRIVATE <caf/all.hpp>)
  endif()
endfunction()
