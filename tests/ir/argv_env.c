/* argv_env.c — main(argc, argv, envp): the arguments the runner passes
 * after `--` (options among them, an empty one, one with spaces), argv[argc]
 * NULL, the environment through getenv and through envp; the exit status
 * is main's return value. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

int main(int argc, char **argv, char **envp) {
    /* argv[0] differs (kjit gives the first file): only its presence. */
    CHECK(argv[0] != NULL && argv[0][0] != 0);
    CHECK(argv[argc] == NULL);
    printf("argc %d\n", argc);
    for (int i = 1; i < argc; i++) printf("argv[%d] = \"%s\"\n", i, argv[i]);
    const char *v = getenv("KJIT_IR_TEST");
    printf("getenv KJIT_IR_TEST = %s\n", v ? v : "(unset)");
    CHECK(v && strcmp(v, "value with spaces=and=equals") == 0);
    const char *from_envp = NULL;
    int n = 0;
    for (char **e = envp; *e; e++, n++)
        if (strncmp(*e, "KJIT_IR_TEST=", 13) == 0) from_envp = *e + 13;
    CHECK(n > 0);
    CHECK(from_envp && v && strcmp(from_envp, v) == 0);
    printf("envp KJIT_IR_TEST = %s\n", from_envp ? from_envp : "(missing)");
    CHECK(getenv("KJIT_IR_TEST_UNSET") == NULL);
    if (check_done()) return 1;
    return 40 + argc; /* the status the runner compares */
}
