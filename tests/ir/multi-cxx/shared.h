// multi-cxx: what both modules see.
#pragma once
#include <cstdio>
#include <stdexcept>
#include <string>

// An inline function with a static local: each module has a copy
// (linkonce_odr), and the program must have one counter.
inline int &shared_counter() {
    static int n = 1000;
    return n;
}

// A template instantiated in both modules.
template <typename T> T triple(T x) { return x + x + x; }

// Its key function (the first virtual) is defined in lib.cpp, so the vtable
// lives there; main.cpp makes and calls one.
struct Animal {
    virtual ~Animal();
    virtual std::string sound() const;
    virtual int legs() const { return 4; }
};
struct Bird : Animal {
    std::string sound() const override;
    int legs() const override { return 2; }
};

struct LibError : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// A global object of each module, constructed in link order.
struct Announcer {
    const char *who;
    explicit Announcer(const char *w) : who(w) { std::printf("global of %s constructed\n", who); }
    ~Announcer() { std::printf("global of %s destroyed\n", who); }
};

int lib_bump();
int lib_triple(int x);
Animal *make_animal(bool bird);
void lib_throw(int depth);
const char *lib_global_name();
