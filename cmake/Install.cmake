# cmake --install: the headers, libmcpx (and, for a static build, the
# internal mcpx_auth it links), and a CMake package: find_package(mcpx) gives
# mcpx::mcpx. The package finds exactly what the public headers need
# (Boost.JSON, Threads); a static libmcpx also needs its private dependencies
# at link time, so for that build they are found too. A shared libmcpx.so has
# them linked in (mcpx_auth) or as its own DT_NEEDED (Abseil, spdlog, OpenSSL,
# Boost.URL): its package finds only Boost.JSON and Threads.
# Also mcpx.pc for pkg-config, and a .deb with CPack (cmake/Packaging.cmake).
include(CMakePackageConfigHelpers)

set(MCPX_CMAKE_DIR ${CMAKE_INSTALL_LIBDIR}/cmake/mcpx)
get_target_property(MCPX_LIBRARY_TYPE mcpx TYPE)
if(MCPX_LIBRARY_TYPE STREQUAL "STATIC_LIBRARY")
  set(MCPX_STATIC ON)
  set(MCPX_INSTALL_TARGETS mcpx mcpx_auth)
else()
  set(MCPX_STATIC OFF)
  set(MCPX_INSTALL_TARGETS mcpx)
endif()

install(TARGETS ${MCPX_INSTALL_TARGETS} EXPORT mcpxTargets
        ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
        RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/mcpx DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(EXPORT mcpxTargets NAMESPACE mcpx:: DESTINATION ${MCPX_CMAKE_DIR})

# A static libmcpx links these itself: the consumer's link line needs them.
# libmcpx.so carries them (DT_NEEDED): its package does not look for them.
if(MCPX_STATIC)
  set(MCPX_CONFIG_STATIC_DEPENDENCIES [[
# libmcpx is static: what it links privately is on the consumer's link line.
find_dependency(Boost 1.81.0 COMPONENTS url CONFIG)
find_dependency(absl)
find_dependency(spdlog)
find_dependency(OpenSSL COMPONENTS SSL Crypto)
find_dependency(libcuckoo)
]])
else()
  set(MCPX_CONFIG_STATIC_DEPENDENCIES "")
endif()
configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mcpxConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/mcpxConfig.cmake
                              INSTALL_DESTINATION ${MCPX_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mcpxConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mcpxConfig.cmake ${PROJECT_BINARY_DIR}/mcpxConfigVersion.cmake
        DESTINATION ${MCPX_CMAKE_DIR})

# mcpx.pc. Boost has no .pc files on Debian: -lboost_json (and, static,
# -lboost_url) are spelled out. For a static libmcpx the private dependencies
# are in Requires.private/Libs.private (`pkg-config --static --libs mcpx`);
# libmcpx.so needs none of them on a consumer's link line.
if(MCPX_STATIC)
  set(MCPX_PC_REQUIRES_PRIVATE
      "libssl libcrypto spdlog absl_synchronization absl_flat_hash_map absl_flat_hash_set absl_hash absl_inlined_vector")
  set(MCPX_PC_LIBS_PRIVATE "-lmcpx_auth -lboost_url -lboost_json")
else()
  set(MCPX_PC_REQUIRES_PRIVATE "")
  set(MCPX_PC_LIBS_PRIVATE "")
endif()
# The prefix is only known at install time (cmake --install --prefix, CPack's
# /usr): the template is filled in two steps, the second when installing.
set(MCPX_PC_PREFIX "@MCPX_PC_PREFIX@")
foreach(kind LIBDIR INCLUDEDIR)
  if(IS_ABSOLUTE "${CMAKE_INSTALL_${kind}}")
    set(MCPX_PC_${kind} "${CMAKE_INSTALL_${kind}}")
  else()
    set(MCPX_PC_${kind} "\${prefix}/${CMAKE_INSTALL_${kind}}")
  endif()
endforeach()
configure_file(${PROJECT_SOURCE_DIR}/cmake/mcpx.pc.in ${PROJECT_BINARY_DIR}/mcpx.pc.in @ONLY)
install(CODE "
  set(MCPX_PC_PREFIX \"\${CMAKE_INSTALL_PREFIX}\")
  configure_file(\"${PROJECT_BINARY_DIR}/mcpx.pc.in\" \"${PROJECT_BINARY_DIR}/pkgconfig/mcpx.pc\" @ONLY)")
install(FILES ${PROJECT_BINARY_DIR}/pkgconfig/mcpx.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)

if(PROJECT_IS_TOP_LEVEL)
  include(${PROJECT_SOURCE_DIR}/cmake/Packaging.cmake)
endif()
