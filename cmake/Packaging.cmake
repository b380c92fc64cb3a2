# `cpack` in a build directory: a Debian package of what `cmake --install`
# installs, under /usr (cmake/Install.cmake includes this file when mcpx is the
# top-level project). Configure with -DCMAKE_INSTALL_PREFIX=/usr so that the
# library goes to the multiarch directory (lib/x86_64-linux-gnu).
#
# One package, libmcpx-dev: headers, CMake package, mcpx.pc and the library.
# Its Depends are what a consumer of the installed files needs:
#  - always libboost-json1.81-dev: the public headers include Boost.JSON and
#    mcpxConfig.cmake finds Boost json 1.81 (Debian 12's libboost-json-dev is
#    1.74, so the versioned package is named);
#  - static libmcpx.a: the -dev packages of everything it still needs at link
#    time, which mcpxConfig.cmake finds (Abseil, spdlog, OpenSSL, libcuckoo,
#    Boost.URL);
#  - shared libmcpx.so: what dpkg-shlibdeps finds for it (libc6, libstdc++6,
#    libgcc-s1, libssl3, libabsl20220623, libspdlog1.10, libfmt9,
#    libboost-json1.81.0, libboost-url1.81.0).
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME libmcpx-dev)
set(CPACK_PACKAGE_VENDOR mcpx)
set(CPACK_PACKAGE_VERSION ${PROJECT_VERSION})
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "C++20 runtime for Model Context Protocol servers")
set(CPACK_PACKAGE_DESCRIPTION
    "mcpx serves the Model Context Protocol over Streamable HTTP and stdio.\nThis package holds the library, its headers, its CMake package and mcpx.pc.")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_MAINTAINER "mcpx maintainers <mcpx@invalid>")
set(CPACK_DEBIAN_PACKAGE_SECTION libdevel)
set(CPACK_DEBIAN_PACKAGE_RELEASE 1)
if(MCPX_STATIC)
  set(CPACK_DEBIAN_PACKAGE_DEPENDS
      "libboost-json1.81-dev, libboost-url1.81-dev, libabsl-dev, libspdlog-dev, libssl-dev, libcuckoo-dev")
else()
  set(CPACK_DEBIAN_PACKAGE_DEPENDS "libboost-json1.81-dev")
  set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)  # dpkg-shlibdeps (dpkg-dev) and file
  set(CPACK_DEBIAN_PACKAGE_GENERATE_SHLIBS ON)
endif()
include(CPack)
