// multi-cxx (main.cpp, lib.cpp, shared.h) — a C++ program of two modules:
// an inline function's static local and a template defined in both (one
// copy wins), a class whose vtable is in the other module, an exception
// thrown in one module and caught in the other, a global object in each.
#include <memory>

#include "check.h"
#include "shared.h"

Announcer main_global("main.cpp");

int main() {
    CHECK_EQ(shared_counter(), 1000);
    shared_counter() += 5;
    CHECK_EQ(lib_bump(), 1006); // lib.cpp's copy of the inline function sees our write
    CHECK_EQ(shared_counter(), 1006);
    CHECK_EQ(triple(7), 21);
    CHECK_EQ(lib_triple(7), 21);
    std::printf("shared counter %d, triple %d %d\n", shared_counter(), triple(7), lib_triple(7));

    std::unique_ptr<Animal> a(make_animal(false)), b(make_animal(true));
    Bird local;
    CHECK(a->sound() == "generic noise");
    CHECK(b->sound() == "tweet");
    CHECK_EQ(local.legs(), 2);
    std::printf("animals: %s/%d %s/%d %s/%d\n", a->sound().c_str(), a->legs(), b->sound().c_str(),
                b->legs(), local.sound().c_str(), local.legs());

    int caught = 0;
    try {
        lib_throw(3);
    } catch (const LibError &e) {
        caught = 1;
        std::printf("caught LibError from lib.cpp: %s\n", e.what());
    }
    CHECK_EQ(caught, 1);
    CHECK(std::string(lib_global_name()) == "lib.cpp");
    return check_done();
}
