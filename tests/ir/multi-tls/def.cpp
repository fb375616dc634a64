// multi-tls: a C++ thread_local defined in one file (constant-initialised,
// so no init function is emitted for it) and used in another, where clang
// calls its init function `_ZTH...` only if that weak reference is not
// null.  kjit called the null one ("call to undefined function
// '_ZTH7counter'"): abseil's and re2's hooks, found by a helper's sweep.
thread_local int counter = 5;
int bump(int by) { return counter += by; }
