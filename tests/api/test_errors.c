/*
 * test_errors.c — the API's error messages say which argument is wrong
 * (the JIT, the name, the signature, the generator, the address, the
 * kjit_def), generator failures name the function by its source name, and
 * kjit_status_name names every status.
 */
#include "api_test.h"

static int no_body(void *user, LLVMModuleRef mod, const char *symbol, char *err, size_t len) {
    (void)user, (void)mod, (void)symbol, (void)err, (void)len;
    return 0; /* "succeeds" without defining the symbol */
}

#define HAS(s) (strstr(kjit_errmsg(), s) != NULL)

int main(void) {
    kjit *jit;
    CHECK(kjit_create(NULL, &jit) == KJIT_OK);
    static t_fn d = {.types = "d", .k = 1};
    CHECK(kjit_define(NULL, "f", "d(d)", t_generate, &d, NULL) == KJIT_EINVAL && HAS("the JIT is NULL"));
    CHECK(kjit_define(jit, "", "d(d)", t_generate, &d, NULL) == KJIT_EINVAL && HAS("the name is NULL or empty"));
    CHECK(kjit_define(jit, "__kjit.x", "d(d)", t_generate, &d, NULL) == KJIT_EINVAL &&
          HAS("the name '__kjit.x' is reserved"));
    CHECK(kjit_define(jit, "f", "d(x)", t_generate, &d, NULL) == KJIT_EINVAL &&
          HAS("the signature 'd(x)' of 'f' is malformed"));
    CHECK(kjit_define(jit, "f", NULL, t_generate, &d, NULL) == KJIT_EINVAL &&
          HAS("the signature '' of 'f' is malformed"));
    CHECK(kjit_define(jit, "f", "d(d)", NULL, &d, NULL) == KJIT_EINVAL &&
          HAS("the generator of 'f' is NULL"));
    CHECK(kjit_define_host(jit, "h", "d(d)", NULL) == KJIT_EINVAL && HAS("the address of 'h' is NULL"));
    CHECK(kjit_declare_host(jit, "h", "q()") == KJIT_EINVAL && HAS("the signature 'q()' of 'h'"));
    kjit_def def;
    memset(&def, 0, sizeof def);
    CHECK(kjit_define_ex(jit, "f", &def) == KJIT_EINVAL && HAS("kjit_def_init"));
    kjit_def_init(&def);
    def.sig = "d()";
    CHECK(kjit_define_ex(jit, "f", &def) == KJIT_EINVAL &&
          HAS("'f' has neither a generator nor a T0 entry"));
    /* A generator that defines nothing: named by the function's source name. */
    CHECK(kjit_define(jit, "empty", "d()", no_body, NULL, NULL) == KJIT_OK);
    kjit_value r;
    def.gen = NULL;
    CHECK(((double (*)(void))kjit_address(jit, "empty"))() == 0); /* outside kjit_run: 0 */
    CHECK(HAS("the generator of 'empty' did not define the symbol it was given"));
    CHECK(strcmp(kjit_status_name(KJIT_OK), "KJIT_OK") == 0);
    CHECK(strcmp(kjit_status_name(KJIT_EUNDEF), "KJIT_EUNDEF") == 0);
    CHECK(strcmp(kjit_status_name(KJIT_EINTR), "KJIT_EINTR") == 0);
    CHECK(strcmp(kjit_status_name((kjit_status)99), "?") == 0);
    (void)r;
    kjit_destroy(jit);
    return t_done("test_errors");
}
