/* multi-weak: the second module (see main.c). */
int strong_in_lib(void) { return 2; }
int var_strong_in_lib = 20;
__attribute__((weak)) int strong_in_main(void) { return 4; }
__attribute__((weak)) int var_strong_in_main = 40;

int lib_calls_strong_in_lib(void) { return strong_in_lib(); }
int lib_calls_strong_in_main(void) { return strong_in_main(); }
int lib_var_strong_in_lib(void) { return var_strong_in_lib; }
int lib_var_strong_in_main(void) { return var_strong_in_main; }
__attribute__((noinline)) int (*lib_address_of_strong_in_lib(void))(void) { return strong_in_lib; }
