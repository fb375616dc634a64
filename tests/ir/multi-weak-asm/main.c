/* multi-weak-asm: a weak reference to a function that another file
 * defines in file-scope assembly is that function, not null (kjit's first
 * making of weak references null looked at modules' C definitions and the
 * process only: a review's finding); one nothing defines is null. */
#include <stdio.h>

#include "../check.h"

__attribute__((weak)) extern long kjit_test_asm_seven(void);
__attribute__((weak)) extern long kjit_test_nowhere(void);

int main(void) {
    CHECK(kjit_test_asm_seven != 0);
    CHECK(kjit_test_nowhere == 0);
    printf("asm function %s", kjit_test_asm_seven ? "present" : "null");
    if (kjit_test_asm_seven) printf(", returns %ld", kjit_test_asm_seven());
    printf("\nundefined function %s\n", kjit_test_nowhere ? "present" : "null");
    return check_done();
}
