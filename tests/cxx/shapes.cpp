// shapes.cpp — the C++ class of the recompilation scenario (test_recompile.c):
// a virtual method with a constant the test's transformation changes, and
// a function-local static whose initialiser has a side effect.
#include <atomic>

extern "C" {
std::atomic<int> initialisations{0}; // how often area's static was initialised
}

static int first_use() {
    initialisations++;
    return 1000;
}

struct Shape {
    virtual ~Shape() {}
    virtual long area() const = 0;
};

struct Square : Shape {
    long side;
    explicit Square(long s) : side(s) {}
    // noinline: clang would inline it into area_direct at -O2, a copy no
    // JIT can replace (area_direct would then be recompiled itself).
    __attribute__((noinline)) long area() const override {
        static const int offset = first_use(); // runs once, ever
        return side * side + offset + 7000;    // the transformation doubles 7000
    }
};

extern "C" Shape *make_square(long side) { return new Square(side); }
extern "C" long area_virtual(const Shape *s) { return s->area(); }
extern "C" long area_direct(const Square *s) { return s->Square::area(); }
extern "C" int area_initialisations(void) { return initialisations.load(); }
extern "C" void destroy_shape(Shape *s) { delete s; }
