// The kjit command loads the part of LLVM it calls, libkjit-llvm.so, built
// beside it (docs/DESIGN.md, "Loading LLVM"), and not the system's
// libLLVM; KJIT_LLVM_LIBRARY loads the one it names instead, and one that
// cannot be loaded is an error that says so.  The program prints the
// LLVM libraries mapped into its process.
// REQUIRES: own-llvm
// RUN: %kjit --no-cache --jit=lazy %s | FileCheck %s --check-prefix=OWN
// RUN: env KJIT_LLVM_LIBRARY=libLLVM.so.19.1 %kjit --no-cache --jit=lazy %s | FileCheck %s --check-prefix=SYS
// RUN: not env KJIT_LLVM_LIBRARY=/nonexistent/libnone.so %kjit --no-cache --jit=lazy %s 2>&1 | FileCheck %s --check-prefix=BAD
// OWN: mapped: libkjit-llvm.so
// OWN-NOT: mapped: libLLVM
// OWN: done
// SYS-NOT: mapped: libkjit-llvm
// SYS: mapped: libLLVM.so.19.1
// SYS-NOT: mapped: libkjit-llvm
// SYS: done
// BAD: cannot load LLVM (KJIT_LLVM_LIBRARY): /nonexistent/libnone.so
// BAD-NOT: done
#include <stdio.h>
#include <string.h>

int main(void) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[4096], seen[8][256];
    int n = 0;
    while (f && fgets(line, sizeof line, f)) {
        char *path = strchr(line, '/');
        if (!path || (!strstr(path, "LLVM") && !strstr(path, "llvm"))) continue;
        path[strcspn(path, "\n")] = 0;
        const char *base = strrchr(path, '/') + 1;
        if (strstr(base, "LLVM") == NULL && strstr(base, "llvm") == NULL) continue;
        int dup = 0;
        for (int i = 0; i < n; i++) dup |= strcmp(seen[i], base) == 0;
        if (dup || n == 8) continue;
        snprintf(seen[n++], sizeof seen[0], "%s", base);
        printf("mapped: %s\n", base);
    }
    if (f) fclose(f);
    puts("done");
    return 0;
}
