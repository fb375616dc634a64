#!/bin/sh
# build-oracle.sh DIR — build LLVM 19's own chapter 7 Kaleidoscope JIT ("toy7")
# into DIR (outside the repository), as an independent oracle for the
# expectations in tests/lang.  Nothing it fetches or builds is committed.
#
# It fetches Debian's llvm-19-examples package (the sources of LLVM's
# Kaleidoscope tutorial), unpacks it under DIR and builds two binaries:
#   DIR/toy7        chapter 7's toy.cpp exactly as LLVM ships it;
#   DIR/toy7-exact  the same, except that a top-level value is printed with
#                   "%.17g" instead of "%f", so that compare.sh can convert it
#                   to kjit's shortest round-trip form without losing digits.
# Both read a program on stdin and write everything (prompts, IR of each
# definition, "Evaluated to ...", printd/putchard output) on stderr.
set -eu

[ $# -eq 1 ] || { echo "usage: $0 DIR" >&2; exit 2; }
out=$1
mkdir -p "$out"
out=$(cd "$out" && pwd)
case "$out" in
  "$(git -C "$(dirname "$0")" rev-parse --show-toplevel 2>/dev/null || echo /nonexistent)"*)
    echo "$0: DIR must be outside the repository" >&2; exit 2 ;;
esac

CXX=${CXX:-clang++-19}
LLVM_CONFIG=${LLVM_CONFIG:-llvm-config-19}

cd "$out"
if ! ls llvm-19-examples_*.deb >/dev/null 2>&1; then
  apt-get download llvm-19-examples
fi
rm -rf pkg src
dpkg-deb -x llvm-19-examples_*.deb pkg
k=pkg/usr/share/doc/llvm-19-examples/examples/Kaleidoscope
# toy.cpp includes "../include/KaleidoscopeJIT.h": keep that layout.
mkdir -p src/Chapter7 src/include
gunzip -c "$k/Chapter7/toy.cpp.gz" > src/Chapter7/toy.cpp
cp "$k/include/KaleidoscopeJIT.h" src/include/
sed 's/"Evaluated to %f\\n"/"Evaluated to %.17g\\n"/' src/Chapter7/toy.cpp \
  > src/Chapter7/toy-exact.cpp
grep -q 'Evaluated to %.17g' src/Chapter7/toy-exact.cpp \
  || { echo "$0: could not patch the value format" >&2; exit 1; }

flags=$($LLVM_CONFIG --cxxflags --ldflags --system-libs --libs core orcjit native)
# shellcheck disable=SC2086
$CXX -O1 src/Chapter7/toy.cpp $flags -rdynamic -o toy7
# shellcheck disable=SC2086
$CXX -O1 src/Chapter7/toy-exact.cpp $flags -rdynamic -o toy7-exact
echo "built $out/toy7 and $out/toy7-exact"
