# mcpx_target_defaults(<target>): warnings, sanitizers and common definitions.
set(MCPX_WARNINGS -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor
    -Wold-style-cast -Wcast-align -Woverloaded-virtual
    -Wimplicit-fallthrough
    # Designated initializers that leave defaulted members out are how the
    # public API is meant to be used; GCC 12 warns about them under -Wextra.
    -Wno-missing-field-initializers)
if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
  # GCC 12 reports impossible overlaps in std::string concatenation at -O3
  # (GCC bug 105329); the warning is noise there.
  list(APPEND MCPX_WARNINGS -Wno-restrict)
endif()
if(CMAKE_CXX_COMPILER_ID MATCHES "Clang")
  list(APPEND MCPX_WARNINGS -Wthread-safety)
endif()
if(MCPX_WERROR)
  list(APPEND MCPX_WARNINGS -Werror)
endif()

if(MCPX_SANITIZE)
  add_compile_options(-fsanitize=${MCPX_SANITIZE} -fno-omit-frame-pointer -g)
  add_link_options(-fsanitize=${MCPX_SANITIZE})
  if(MCPX_SANITIZE MATCHES "undefined")
    add_compile_options(-fno-sanitize-recover=undefined)
  endif()
endif()

function(mcpx_target_defaults target)
  target_compile_options(${target} PRIVATE ${MCPX_WARNINGS})
  target_compile_definitions(${target} PRIVATE
    BOOST_ASIO_NO_DEPRECATED BOOST_BEAST_USE_STD_STRING_VIEW)
endfunction()
