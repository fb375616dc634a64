/*
 * test_wx.c — after JIT activity (stubs, first calls, redefinitions,
 * top-level thunks), no page of the process is writable and executable at
 * once: /proc/self/maps has no mapping with both 'w' and 'x'.
 */
#include "api_test.h"

static int thunk(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    t_fn d = {.types = "", .callee = user};
    return t_generate(&d, mod, symbol, err, len);
}

int main(void) {
    kjit *jit;
    CHECK(kjit_create(NULL, &jit) == KJIT_OK);
    static t_fn d[600];
    char name[16];
    for (int i = 0; i < 600; i++) { /* more than one stub block */
        d[i] = (t_fn){.types = "", .k = i};
        snprintf(name, sizeof name, "w%d", i);
        CHECK(kjit_define(jit, name, "d()", t_generate, &d[i], NULL) == KJIT_OK);
    }
    for (int i = 0; i < 600; i += 7) {
        snprintf(name, sizeof name, "w%d", i);
        double v;
        CHECK(kjit_run(jit, thunk, name, &v) == KJIT_OK && v == i);
    }
    FILE *f = fopen("/proc/self/maps", "r");
    CHECK(f != NULL);
    char line[512];
    int maps = 0, wx = 0;
    while (f && fgets(line, sizeof line, f)) {
        char perms[8] = "";
        if (sscanf(line, "%*s %7s", perms) == 1) {
            maps++;
            if (strchr(perms, 'w') && strchr(perms, 'x')) {
                wx++;
                fprintf(stderr, "W+X mapping: %s", line);
            }
        }
    }
    if (f) fclose(f);
    CHECK(maps > 10);
    CHECK(wx == 0);
    kjit_destroy(jit);
    return t_done("test_wx");
}
