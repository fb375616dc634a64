/* multi-static: the second module (see main.c). */
static int helper(void) { return 2; }
static int shared_static = 200;

__attribute__((weak)) int weak_var = 2;
__attribute__((weak)) const char *weak_fn(void) { return "lib.c's weak_fn"; }

int lib_data[4] = {1, 2, 3, 4};
int lib_calls;

int main_helper(void);

__attribute__((noinline)) int lib_helper(void) {
    lib_calls++;
    return helper() * 10;
}
__attribute__((noinline)) int lib_static(void) { return shared_static++; }
int lib_weak_var(void) { return weak_var; }
const char *lib_weak_fn(void) { return weak_fn(); }
__attribute__((noinline)) int (*lib_helper_address(void))(void) { return helper; }
__attribute__((noinline)) int (*lib_main_address(void))(void) { return main_helper; }
