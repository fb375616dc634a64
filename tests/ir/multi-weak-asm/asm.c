/* multi-weak-asm: see main.c. */
#if defined(__x86_64__)
__asm__(".text\n"
        ".globl kjit_test_asm_seven\n"
        ".type kjit_test_asm_seven, @function\n"
        "kjit_test_asm_seven:\n\t"
        "movq $7, %rax\n\t"
        "ret\n"
        ".size kjit_test_asm_seven, .-kjit_test_asm_seven\n");
#elif defined(__aarch64__)
__asm__(".text\n"
        ".globl kjit_test_asm_seven\n"
        ".type kjit_test_asm_seven, %function\n"
        "kjit_test_asm_seven:\n\t"
        "mov x0, #7\n\t"
        "ret\n"
        ".size kjit_test_asm_seven, .-kjit_test_asm_seven\n");
#else
long kjit_test_asm_seven(void) { return 7; }
#endif
int kjit_test_asm_file_has_c_too(void) { return 0; }
