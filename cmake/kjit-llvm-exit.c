/*
 * kjit-llvm-exit.c — linked into libkjit-llvm.so (cmake/own-llvm.sh) only.
 *
 * LLVM's static objects register their destructors with __cxa_atexit as
 * the library is loaded, and exit() runs them: a compile still running on
 * another thread at that moment would use freed state.  So the kjit command
 * used to wait, before exit, for every compile in flight — a second for a
 * T2 compile of Lua's VM loop, whose only activation was ending.  Inside
 * this library __cxa_atexit (and atexit, which calls it) keeps nothing:
 * LLVM's static objects outlive exit(), whose end frees the process, and a
 * compile in flight dies with it (kjit_stop_tiering_for_exit).  The marker
 * says so to libkjit.  Nothing of LLVM's needs its destructors at exit:
 * kjit asks for no statistics or timers, which are what they print.
 */
int kjit_llvm_keeps_no_statics = 1;

int __cxa_atexit(void (*fn)(void *), void *arg, void *dso);
int __cxa_atexit(void (*fn)(void *), void *arg, void *dso) {
    (void)fn;
    (void)arg;
    (void)dso;
    return 0;
}
