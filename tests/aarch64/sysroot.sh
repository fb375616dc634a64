#!/bin/sh
# sysroot.sh DIR — make DIR an aarch64 Debian sysroot for cross-building and
# running kjit under qemu-user: the arm64 packages of LLVM 19, libc, libgcc,
# libstdc++, libedit and libffi with what they depend on, fetched with
# `apt-get download` and unpacked with `dpkg-deb -x`.  Nothing is installed
# on the host: llvm-19-dev:arm64 cannot sit beside the amd64 one (apt would
# remove the host's LLVM and clang).  The .debs are kept in DIR.debs.
#
# Cached: a second run with the same package set does nothing.  Exit status
# 0 when DIR is ready, 2 when the packages cannot be downloaded (no network,
# no apt, not root), 1 on any other failure.
set -eu
dir=$1
debs=$dir.debs
case $dir in
/?*) ;;
*) echo "sysroot: give an absolute directory, not '$dir'" >&2; exit 1 ;;
esac

# The packages a build needs.  The llvm-19* tool packages only because
# LLVM's CMake package checks that the files it exports exist.
want="libllvm19 llvm-19-dev libc6-dev libgcc-12-dev libstdc++-12-dev libedit-dev libffi-dev
      libclang-rt-19-dev libclang-common-19-dev llvm-19 llvm-19-linker-tools llvm-19-runtime
      llvm-19-tools"
# Of their dependencies, what neither a build nor a run needs: programs
# (python3 and perl come from llvm-19-tools), the sanitizer runtimes (the
# sanitizers never run under qemu), clang's C++ library, and what only the
# -dev packages of libxml2, libcurl and z3 pull in.
skip='^(dpkg|tar|perl.*|libperl.*|python3.*|libpython3.*|icu-devtools|ncurses-bin|install-info|rpcsvc-proto|libclang-cpp19|libasan8|libtsan2|liblsan0|libhwasan0|libubsan1|libicu-dev|libz3-dev|libxml2-dev|libncurses-dev|libtinfo-dev|libcurl4|libgnutls30|libssh2-1|libldap-2.5-0|librtmp1|libnghttp2-14|libpsl5|libyaml-0-2|libsasl2.*|libhogweed6|libnettle8|libp11-kit0|libtasn1-6|libidn2-0|libunistring2|libgmp10|libbrotli1|libssl3):arm64$'

need_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else return 1; fi
}

command -v apt-get >/dev/null && command -v dpkg-deb >/dev/null || {
    echo "sysroot: no apt-get/dpkg-deb here" >&2; exit 2; }
if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    need_root dpkg --add-architecture arm64 || { echo "sysroot: cannot add arch arm64" >&2; exit 2; }
    need_root apt-get update -q >&2 || { echo "sysroot: apt-get update failed" >&2; exit 2; }
fi
q=$(for p in $want; do printf '%s:arm64 ' "$p"; done)
if ! apt-cache show $q >/dev/null 2>&1; then
    need_root apt-get update -q >&2 || { echo "sysroot: apt-get update failed" >&2; exit 2; }
fi
pkgs=$(apt-cache depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
           --no-replaces --no-enhances $q | grep -v '^ ' | grep ':arm64$' | grep -Ev "$skip" |
       sort -u)
[ -n "$pkgs" ] || { echo "sysroot: apt knows no arm64 packages" >&2; exit 2; }
# The exact versions: a sysroot made from other versions is made again.
stamp=$(apt-cache policy $pkgs | grep -E '^[^ ]|Candidate' | tr -d ' \n')
if [ -f "$dir/.kjit-sysroot" ] && [ "$(cat "$dir/.kjit-sysroot")" = "$stamp" ]; then
    exit 0
fi

echo "sysroot: downloading $(echo $pkgs | wc -w) arm64 packages into $debs" >&2
mkdir -p "$debs"
if ! (cd "$debs" && apt-get download -q -o APT::Sandbox::User=root $pkgs >&2); then
    if [ -f "$dir/.kjit-sysroot" ]; then
        echo "sysroot: apt-get download failed; using the sysroot made before" >&2
        exit 0
    fi
    echo "sysroot: apt-get download failed" >&2
    exit 2
fi

rm -rf "$dir"
mkdir -p "$dir"
for p in $pkgs; do
    name=${p%:arm64}
    # apt-get download names a file NAME_VERSION_ARCH.deb, the epoch's ':'
    # written %3a; take the newest of that name.
    deb=$(ls -t "$debs/${name}_"*_arm64.deb "$debs/${name}_"*_all.deb 2>/dev/null | head -n 1)
    [ -n "$deb" ] || { echo "sysroot: no .deb for $p" >&2; exit 1; }
    dpkg-deb -x "$deb" "$dir"
done
# Absolute symbolic links point into the host's tree: make them relative,
# inside the sysroot.
find "$dir" -type l | while read -r l; do
    t=$(readlink "$l")
    case $t in
    /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$l")" "$dir$t")" "$l" ;;
    esac
done
echo "$stamp" >"$dir/.kjit-sysroot"
echo "sysroot: ready in $dir ($(du -sm "$dir" | cut -f1) MB)" >&2
