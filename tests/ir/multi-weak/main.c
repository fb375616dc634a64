/* multi-weak (main.c, lib.c) — weak definitions overridden by strong ones
 * in the other module, whichever module comes first: a function and a
 * variable weak here and strong in lib.c, and the other way round.  Every
 * reference, from either module, reaches the strong definition. */
#include <stdio.h>

#include "check.h"

/* Weak here, strong in lib.c: lib.c's win although main.c comes first. */
__attribute__((weak)) int strong_in_lib(void) { return 1; }
__attribute__((weak)) int var_strong_in_lib = 10;
/* Strong here, weak in lib.c. */
int strong_in_main(void) { return 3; }
int var_strong_in_main = 30;

int lib_calls_strong_in_lib(void);
int lib_calls_strong_in_main(void);
int lib_var_strong_in_lib(void);
int lib_var_strong_in_main(void);
int (*lib_address_of_strong_in_lib(void))(void);

int main(void) {
    printf("strong_in_lib: %d from main, %d from lib\n", strong_in_lib(),
           lib_calls_strong_in_lib());
    printf("strong_in_main: %d from main, %d from lib\n", strong_in_main(),
           lib_calls_strong_in_main());
    printf("var_strong_in_lib: %d from main, %d from lib\n", var_strong_in_lib,
           lib_var_strong_in_lib());
    printf("var_strong_in_main: %d from main, %d from lib\n", var_strong_in_main,
           lib_var_strong_in_main());
    CHECK_EQ(strong_in_lib(), 2);
    CHECK_EQ(lib_calls_strong_in_lib(), 2);
    CHECK_EQ(strong_in_main(), 3);
    CHECK_EQ(lib_calls_strong_in_main(), 3);
    CHECK_EQ(var_strong_in_lib, 20);
    CHECK_EQ(lib_var_strong_in_lib(), 20);
    CHECK_EQ(var_strong_in_main, 30);
    CHECK_EQ(lib_var_strong_in_main(), 30);
    CHECK(lib_address_of_strong_in_lib() == strong_in_lib);
    var_strong_in_lib++;
    CHECK_EQ(lib_var_strong_in_lib(), 21); /* one variable */
    return check_done();
}
