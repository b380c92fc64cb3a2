# cmake --install: the headers, libmcpx (and, for a static build, the
# internal mcpx_auth it links), and a CMake package: find_package(mcpx) gives
# mcpx::mcpx. The package finds exactly what the public headers need
# (Boost.JSON, Threads); a static libmcpx also needs its private dependencies
# at link time, so for that build they are found too.
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

configure_package_config_file(${PROJECT_SOURCE_DIR}/cmake/mcpxConfig.cmake.in
                              ${PROJECT_BINARY_DIR}/mcpxConfig.cmake
                              INSTALL_DESTINATION ${MCPX_CMAKE_DIR})
write_basic_package_version_file(${PROJECT_BINARY_DIR}/mcpxConfigVersion.cmake
                                 COMPATIBILITY SameMinorVersion)
install(FILES ${PROJECT_BINARY_DIR}/mcpxConfig.cmake ${PROJECT_BINARY_DIR}/mcpxConfigVersion.cmake
        DESTINATION ${MCPX_CMAKE_DIR})
