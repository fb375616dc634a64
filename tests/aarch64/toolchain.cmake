# CMake toolchain file: kjit for aarch64 Linux, cross-built on an x86-64
# Debian host with its clang-19 and lld against a sysroot of Debian arm64
# packages (sysroot.sh), its programs run under qemu-user.  Give the sysroot
# as -DCMAKE_SYSROOT=DIR (run.sh does all of this).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)
set(CMAKE_C_COMPILER clang-19)
set(CMAKE_C_COMPILER_TARGET aarch64-linux-gnu)
set(CMAKE_CXX_COMPILER clang++-19)
set(CMAKE_CXX_COMPILER_TARGET aarch64-linux-gnu)
if(NOT CMAKE_SYSROOT)
  message(FATAL_ERROR "give the aarch64 sysroot: -DCMAKE_SYSROOT=DIR (tests/aarch64/sysroot.sh)")
endif()

# lld, and where it finds what the shared libraries it links against need
# (libLLVM's libffi, libedit, libz3, ...): the sysroot has no ld.so.conf.
set(kjit_rpath_link "-Wl,-rpath-link,${CMAKE_SYSROOT}/lib/aarch64-linux-gnu")
string(APPEND kjit_rpath_link " -Wl,-rpath-link,${CMAKE_SYSROOT}/usr/lib/aarch64-linux-gnu")
string(APPEND kjit_rpath_link " -Wl,-rpath-link,${CMAKE_SYSROOT}/usr/lib/llvm-19/lib")
set(CMAKE_EXE_LINKER_FLAGS_INIT "-fuse-ld=lld ${kjit_rpath_link}")
set(CMAKE_SHARED_LINKER_FLAGS_INIT "-fuse-ld=lld ${kjit_rpath_link}")

# ctest runs the target's programs through this; -L makes qemu's dynamic
# loader and every absolute path the program opens look in the sysroot first.
set(CMAKE_CROSSCOMPILING_EMULATOR qemu-aarch64 -L ${CMAKE_SYSROOT})

# Libraries, headers and CMake packages from the sysroot only; programs
# (python3, the host's lit and FileCheck) from the host.
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
