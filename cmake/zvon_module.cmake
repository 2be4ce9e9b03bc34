# zvon_module(NAME SOURCES a.cpp b.cpp [LIBS target...])
# Builds NAME.so into build/modules with hidden visibility, linked to the core library.
function(zvon_module name)
  cmake_parse_arguments(M "" "" "SOURCES;LIBS" ${ARGN})
  add_library(${name} MODULE ${M_SOURCES})
  target_link_libraries(${name} PRIVATE zvon-core ${M_LIBS})
  set_target_properties(${name} PROPERTIES
    PREFIX ""
    LIBRARY_OUTPUT_DIRECTORY ${ZVON_MODULES_DIR}
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON)
  set_property(GLOBAL APPEND PROPERTY ZVON_ALL_MODULES ${name})
endfunction()
