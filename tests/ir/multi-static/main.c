/* multi-static (main.c, lib.c) — one program in two modules: a static
 * function and a static variable of the same name in each, each module
 * calling its own; a weak variable and a weak function defined in both (the
 * first module's win, as the native link order main.c lib.c makes them);
 * calls, data and function addresses across the modules.  (A weak
 * definition overridden by a strong one: multi-weak.) */
#include <stdio.h>

#include "check.h"

static int helper(void) { return 1; }
static int shared_static = 100;

__attribute__((weak)) int weak_var = 1;
__attribute__((weak)) const char *weak_fn(void) { return "main.c's weak_fn"; }

/* lib.c */
int lib_helper(void);
int lib_static(void);
int lib_weak_var(void);
const char *lib_weak_fn(void);
int (*lib_helper_address(void))(void);
int (*lib_main_address(void))(void);
extern int lib_data[4];
extern int lib_calls;

__attribute__((noinline)) int main_helper(void) { return helper() * 10; }
__attribute__((noinline)) static int (*main_helper_address(void))(void) { return helper; }

int main(void) {
    CHECK_EQ(main_helper(), 10);
    CHECK_EQ(lib_helper(), 20);
    CHECK_EQ(shared_static, 100);
    CHECK_EQ(lib_static(), 200);
    shared_static++;
    CHECK_EQ(lib_static(), 201); /* lib's increments its own */
    CHECK_EQ(shared_static, 101);
    printf("static helpers: main %d, lib %d; statics: main %d, lib %d\n", main_helper(),
           lib_helper(), shared_static, lib_static());
    /* The two statics named helper are two functions. */
    CHECK(main_helper_address() != lib_helper_address());
    CHECK(main_helper_address()() == 1 && lib_helper_address()() == 2);

    CHECK_EQ(weak_var, 1);
    CHECK_EQ(lib_weak_var(), 1);
    weak_var = 5;
    CHECK_EQ(lib_weak_var(), 5); /* one variable */
    printf("weak_var: %d %d; weak_fn: %s / %s\n", weak_var, lib_weak_var(), weak_fn(),
           lib_weak_fn());
    CHECK(weak_fn() == lib_weak_fn());

    /* lib.c's data, changed from here and from there. */
    for (int i = 0; i < 4; i++) lib_data[i] += 1000;
    CHECK_EQ(lib_calls, 2); /* the two lib_helper() calls above */
    for (int i = 0; i < 3000; i++) lib_helper();
    CHECK_EQ(lib_calls, 3000 + 2);
    CHECK(lib_main_address() == main_helper);
    printf("lib_data: %d %d %d %d, lib_calls %d\n", lib_data[0], lib_data[1], lib_data[2],
           lib_data[3], lib_calls);
    return check_done();
}
