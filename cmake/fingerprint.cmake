# The build fingerprint: a hash of the public headers, regenerated whenever one changes, so a
# module compiled against other headers is refused by the loader instead of crashing.
file(GLOB ZVON_PUBLIC_HEADERS CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/core/include/zvon/*.h)
set(ZVON_GENERATED_INCLUDE ${CMAKE_BINARY_DIR}/generated/include)
add_custom_command(
  OUTPUT ${ZVON_GENERATED_INCLUDE}/zvon/build_fingerprint.h
  COMMAND ${CMAKE_COMMAND} -DOUT=${ZVON_GENERATED_INCLUDE}/zvon/build_fingerprint.h
          -DHEADER_DIR=${CMAKE_SOURCE_DIR}/core/include/zvon -P ${CMAKE_SOURCE_DIR}/cmake/write_fingerprint.cmake
  DEPENDS ${ZVON_PUBLIC_HEADERS} ${CMAKE_SOURCE_DIR}/cmake/write_fingerprint.cmake
  COMMENT "Hashing the public headers for the module fingerprint"
  VERBATIM)
add_custom_target(zvon_fingerprint DEPENDS ${ZVON_GENERATED_INCLUDE}/zvon/build_fingerprint.h)
