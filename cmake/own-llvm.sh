#!/bin/sh
# own-llvm.sh CXX NM READELF KJIT LIBLLVM LIBDIR OUT — libkjit-llvm.so: the part of
# LLVM the kjit command calls, linked from LLVM's static component libraries
# (docs/DESIGN.md, "Loading LLVM"), with kjit-llvm-exit.c beside this script
# (LLVM's static destructors kept from exit()).
#
#   CXX      the C++ compiler driver (links with lld)
#   NM       nm, for the symbols
#   READELF  readelf, for the libraries libLLVM needs
#   KJIT     the kjit command, linked with LLVM's symbols left undefined
#   LIBLLVM  the system's libLLVM.so (which symbols are LLVM's; which
#            libraries LLVM needs)
#   LIBDIR   LLVM's libLLVM*.a
#   OUT      the shared object to write (atomically)
#
# Exported: exactly the LLVM symbols kjit leaves undefined.  They are the
# roots of --gc-sections, which drops the rest of LLVM (no other tool, no
# other target); -z pack-relative-relocs keeps its relocations compact.
set -eu
cxx=$1 nm=$2 readelf=$3 kjit=$4 libllvm=$5 libdir=$6 out=$7
tmp=$out.tmp.$$
trap 'rm -f "$tmp" "$tmp.syms" "$tmp.map" "$tmp.def"' EXIT
"$nm" -D --defined-only "$libllvm" | awk '{print $NF}' | sed 's/@.*//' | sort -u > "$tmp.def"
"$nm" -D --undefined-only "$kjit" | awk '{print $NF}' | sed 's/@.*//' | sort -u |
    comm -12 - "$tmp.def" > "$tmp.syms"
[ -s "$tmp.syms" ] || { echo "own-llvm.sh: $kjit calls nothing of $libllvm" >&2; exit 1; }
{ echo "{ global: kjit_llvm_keeps_no_statics;"; sed 's/$/;/' "$tmp.syms"; echo "local: *; };"; } > "$tmp.map"
# The libraries libLLVM needs (zlib, zstd, libffi, ...), by soname: their
# development packages need not be installed; --as-needed keeps those used.
needed=$("$readelf" -d "$libllvm" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p' |
         grep -Ev '^(libc|libm|libstdc\+\+|libgcc_s|ld-linux.*)\.so' | sed 's/^/-l:/')
"$cxx" -shared -fuse-ld=lld -o "$tmp" -Wl,--gc-sections -Wl,-O1 \
    -Wl,-z,pack-relative-relocs -Wl,--version-script="$tmp.map" \
    $(sed 's/^/-Wl,-u,/' "$tmp.syms") -x c "$(dirname "$0")/kjit-llvm-exit.c" -x none \
    -Wl,--start-group "$libdir"/libLLVM*.a -Wl,--end-group \
    -Wl,--as-needed $needed -lpthread -ldl -lm
mv "$tmp" "$out"
