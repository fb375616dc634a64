// cxx_static_local.cpp — a function-local static object whose initialiser
// has side effects: it runs exactly once, whether the first call comes
// from main, from another function or from one of several threads racing
// (the initialiser is slow, so they do race), and the object survives the
// function being called often enough to be recompiled.  Its destructor
// runs at exit.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <thread>
#include <vector>

#include "check.h"

static std::atomic<int> constructed{0};

struct Registry {
    int id;
    long uses = 0;
    Registry() : id(++constructed) {
        std::this_thread::sleep_for(std::chrono::milliseconds(20));
        std::printf("Registry constructed (#%d)\n", id);
    }
    ~Registry() { std::printf("Registry destroyed, %ld uses\n", uses); }
};

__attribute__((noinline)) static Registry &registry() {
    static Registry r; // guarded: __cxa_guard_acquire/release
    return r;
}

__attribute__((noinline)) static int counter() {
    static int n = std::printf("counter initialised\n") * 0 + 100; // dynamic init
    return n++;
}

__attribute__((noinline)) static Registry *from_elsewhere() { return &registry(); }

int main() {
    std::vector<std::thread> threads;
    std::vector<Registry *> seen(4);
    std::atomic<long> uses{0};
    for (int i = 0; i < 4; i++)
        threads.emplace_back([i, &seen, &uses] {
            seen[i] = &registry();
            for (int k = 0; k < 1000; k++) uses += registry().id;
        });
    for (auto &t : threads) t.join();
    for (int i = 0; i < 4; i++) CHECK(seen[i] == &registry());
    CHECK(from_elsewhere() == &registry());
    CHECK_EQ(constructed.load(), 1);
    CHECK_EQ(uses.load(), 4000);
    for (int i = 0; i < 20000; i++) registry().uses++;
    CHECK_EQ(counter(), 100);
    for (int i = 0; i < 5000; i++) counter();
    CHECK_EQ(counter(), 5101);
    CHECK_EQ(constructed.load(), 1);
    std::printf("constructed %d time(s), counter at %d\n", constructed.load(), counter());
    return check_done();
}
