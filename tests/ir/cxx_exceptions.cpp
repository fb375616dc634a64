// cxx_exceptions.cpp — C++ exceptions thrown through several JIT'd frames
// and caught, the destructors of the frames' locals running on the way
// (their output shows the order); catch by base class, rethrow, catch(...),
// nested try blocks, an exception from a constructor, exception_ptr.
#include <cstdio>
#include <exception>
#include <stdexcept>
#include <string>

#include "check.h"

struct Guard {
    const char *name;
    explicit Guard(const char *n) : name(n) { std::printf("  enter %s\n", name); }
    ~Guard() {
        std::printf("  leave %s%s\n", name, std::uncaught_exceptions() ? " (unwinding)" : "");
    }
};

struct MyError : std::runtime_error {
    int code;
    MyError(const std::string &what, int c) : std::runtime_error(what), code(c) {}
};

__attribute__((noinline)) static int thrower(int depth) {
    Guard g("thrower");
    if (depth > 2) throw MyError("depth " + std::to_string(depth), depth * 10);
    return depth;
}

__attribute__((noinline)) static int middle(int depth) {
    Guard g("middle");
    std::string s(40, 'x'); // a heap-owning local, freed by unwinding
    return thrower(depth) + static_cast<int>(s.size());
}

__attribute__((noinline)) static int outer(int depth) {
    Guard g("outer");
    return middle(depth) + 1;
}

__attribute__((noinline)) static void rethrower() {
    try {
        outer(5);
    } catch (MyError &e) {
        std::printf("rethrower: caught \"%s\", rethrowing\n", e.what());
        e.code += 1;
        throw;
    }
}

struct Fragile {
    Guard a{"Fragile::a"};
    Guard b{"Fragile::b"};
    explicit Fragile(bool fail) {
        if (fail) throw 42;
    }
};

__attribute__((noinline)) static std::exception_ptr capture() {
    try {
        throw std::out_of_range("captured");
    } catch (...) {
        return std::current_exception();
    }
}

int main() {
    int ok = outer(1);
    CHECK_EQ(ok, 1 + 40 + 1);
    std::printf("outer(1) = %d\n", ok);

    int caught = 0;
    try {
        outer(3);
    } catch (const std::exception &e) { // by base class
        caught = 1;
        std::printf("main: caught std::exception \"%s\"\n", e.what());
        const MyError *m = dynamic_cast<const MyError *>(&e);
        CHECK(m && m->code == 30);
    }
    CHECK_EQ(caught, 1);

    try {
        rethrower();
    } catch (MyError &e) {
        std::printf("main: caught rethrown MyError code %d\n", e.code);
        CHECK_EQ(e.code, 51);
    }

    try {
        Fragile f(true);
        CHECK(0);
    } catch (int v) {
        std::printf("main: caught int %d from a constructor\n", v);
        CHECK_EQ(v, 42);
    }

    int nested = 0;
    try {
        try {
            throw std::logic_error("inner");
        } catch (const std::runtime_error &) {
            CHECK(0); // wrong handler
        }
    } catch (...) {
        nested = 1;
        std::printf("main: catch (...) got the logic_error\n");
    }
    CHECK_EQ(nested, 1);

    std::exception_ptr p = capture();
    try {
        std::rethrow_exception(p);
    } catch (const std::out_of_range &e) {
        std::printf("main: exception_ptr held \"%s\"\n", e.what());
    }

    // Many throws: the unwinder on hot (recompiled) code.
    long total = 0;
    for (int i = 0; i < 3000; i++) {
        try {
            if (i % 3 == 0) throw i;
            total += i;
        } catch (int v) {
            total -= v;
        }
    }
    std::printf("loop total %ld\n", total);
    return check_done();
}
