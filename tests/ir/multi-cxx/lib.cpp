// multi-cxx: the second module (see main.cpp).
#include "shared.h"

static Announcer lib_global("lib.cpp");

Animal::~Animal() {}
std::string Animal::sound() const { return "generic noise"; }
std::string Bird::sound() const { return "tweet"; }

int lib_bump() { return ++shared_counter(); }
int lib_triple(int x) { return triple(x); }
Animal *make_animal(bool bird) { return bird ? new Bird : new Animal; }

struct Unwound {
    int depth;
    ~Unwound() { std::printf("  unwinding lib frame %d\n", depth); }
};

__attribute__((noinline)) void lib_throw(int depth) {
    Unwound u{depth};
    if (depth == 0) throw LibError("thrown at depth 0");
    lib_throw(depth - 1);
}

const char *lib_global_name() { return lib_global.who; }
