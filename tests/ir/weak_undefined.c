/* weak_undefined — a weak reference that nothing defines is null, as a
 * linker makes it, and one the process defines is not: `if (f) f();`, the
 * C idiom of optional features.  kjit gave the first a stub (so "present",
 * then "call to undefined function"), and the variable failed to link. */
#include <stdio.h>

#include "check.h"

__attribute__((weak)) extern int kjit_test_no_such_function(void);
__attribute__((weak)) extern int kjit_test_no_such_variable;
__attribute__((weak)) extern int puts(const char *);

int main(void) {
    CHECK(kjit_test_no_such_function == 0);
    CHECK(&kjit_test_no_such_variable == 0);
    CHECK(puts != 0);
    printf("function %s\n", kjit_test_no_such_function ? "present" : "null");
    printf("variable %s\n", &kjit_test_no_such_variable ? "present" : "null");
    if (kjit_test_no_such_function) return kjit_test_no_such_function();
    if (puts) puts("puts present");
    return check_done();
}
