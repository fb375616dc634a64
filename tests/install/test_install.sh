#!/bin/sh
# test_install.sh BUILD_DIR SOURCE_DIR — libkjit as a user installs and uses
# it: `cmake --install` into a fresh prefix, then examples/embed/embed.c
# built against that prefix alone, with pkg-config (with and without
# -rdynamic) and with CMake's find_package(kjit), each run and its output
# checked against values worked out by hand (embed.c's comments).
set -eu
build=$1 src=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cmake --install "$build" --prefix "$tmp/prefix" > /dev/null
p=$tmp/prefix
for f in bin/kjit include/kjit.h lib/libkjit.a lib/pkgconfig/kjit.pc \
         lib/cmake/kjit/kjitConfig.cmake share/man/man1/kjit.1; do
  [ -e "$p/$f" ] || { echo "install: $f missing"; exit 1; }
done
soname=$(readelf -d "$p"/lib/libkjit.so | sed -n 's/.*SONAME.*\[\(.*\)\]/\1/p')
[ "$soname" = libkjit.so.0 ] || { echo "install: SONAME is '$soname'"; exit 1; }
# Only the API is exported.
if nm -D --defined-only "$p"/lib/libkjit.so | awk '{print $3}' | grep -v '^kjit_' | grep -v '^KJIT_0$' | grep -q .; then
  echo "install: libkjit.so exports more than kjit_*"; exit 1
fi
"$p"/bin/kjit -e '6 * 7' | grep -qx 42

export PKG_CONFIG_PATH=$p/lib/pkgconfig
cc=${CC:-clang-19}
# shellcheck disable=SC2046
$cc -Wall -Werror "$src/examples/embed/embed.c" -o "$tmp/embed-rdynamic" -rdynamic -lpthread \
    $(pkg-config --cflags --libs kjit)
# shellcheck disable=SC2046
$cc -Wall -Werror "$src/examples/embed/embed.c" -o "$tmp/embed-plain" -lpthread \
    $(pkg-config --cflags --libs kjit)
cmake -S "$src/examples/embed" -B "$tmp/cm" -G Ninja -DCMAKE_C_COMPILER="$cc" \
      -DCMAKE_PREFIX_PATH="$p" > /dev/null
cmake --build "$tmp/cm" > /dev/null

check() { # check PROGRAM DECLARED-HOST-LINE
  out=$("$1")
  echo "$out" | grep -qx 'lin(2, 1) = 7, add(40, 2) = 42, twice(21) = 42' &&
  echo "$out" | grep -qx 'after 100 redefinitions: lin(1, 0) = 103, never backwards: yes' &&
  echo "$out" | grep -qx 'lin is at T2' &&
  echo "$out" | grep -q "error hook: KJIT_EUNDEF: call to undefined function 'undefined_function'" &&
  echo "$out" | grep -qx "declared host: $2" || { echo "install: $1 printed:"; echo "$out"; exit 1; }
}
check "$tmp/embed-rdynamic" 'found (-rdynamic)'
check "$tmp/embed-plain" 'not found'
check "$tmp/cm/embed" 'found (-rdynamic)'
echo "install: 1 passed, 0 failed"
