#!/bin/sh
# run.sh BUILD [JOBS] — what `make test-aarch64` does: kjit for aarch64
# Linux, cross-built on this x86-64 host and tested under qemu-user.
#
#   1. qemu-user, installed with apt-get if missing;
#   2. a sysroot of Debian arm64 packages in BUILD/sysroot (sysroot.sh;
#      downloaded once, then cached);
#   3. a cross build in BUILD (clang-19 --target=aarch64-linux-gnu, lld:
#      toolchain.cmake);
#   4. the unit, API and lit suites under qemu-aarch64 (ctest).
#
# Where qemu-user or the packages cannot be had (no network, no apt, not
# root) it says so and skips, with status 0 — or 1 if KJIT_REQUIRE_AARCH64=1.
set -eu
build=$(realpath -m "$1")
jobs=${2:-2}
src=$(cd "$(dirname "$0")/../.." && pwd)

skip() {
    echo "test-aarch64: SKIPPED: $*"
    echo "test-aarch64: (the aarch64 port was not tested; KJIT_REQUIRE_AARCH64=1 makes this an error)"
    [ "${KJIT_REQUIRE_AARCH64:-0}" = 1 ] && exit 1
    exit 0
}
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}
now() { date +%s; }

t=$(now)
if ! command -v qemu-aarch64 >/dev/null; then
    echo "test-aarch64: installing qemu-user"
    { as_root apt-get update -q && as_root env DEBIAN_FRONTEND=noninteractive \
          apt-get install -y -q qemu-user; } || skip "cannot install qemu-user (apt-get failed)"
    command -v qemu-aarch64 >/dev/null || skip "qemu-user has no qemu-aarch64"
fi
mkdir -p "$build"
rc=0
sh "$src/tests/aarch64/sysroot.sh" "$build/sysroot" || rc=$?
case $rc in
0) ;;
2) skip "cannot download the arm64 packages for the sysroot (see above)" ;;
*) echo "test-aarch64: making the sysroot failed"; exit 1 ;;
esac
t_sysroot=$(($(now) - t))

t=$(now)
if [ ! -f "$build/build.ninja" ]; then
    cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
          -DCMAKE_TOOLCHAIN_FILE="$src/tests/aarch64/toolchain.cmake" \
          -DCMAKE_SYSROOT="$build/sysroot"
fi
cmake --build "$build" -j "$jobs"
t_build=$(($(now) - t))

t=$(now)
rc=0
(cd "$build" && ctest --output-on-failure -j "$jobs") || rc=$?
t_test=$(($(now) - t))
echo "test-aarch64: qemu-user and sysroot ${t_sysroot} s, cross build ${t_build} s," \
     "suites under qemu ${t_test} s"
exit $rc
