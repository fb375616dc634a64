// cxx_call_once.cpp — std::call_once, std::async and std::promise, which
// reach thread-locals that libstdc++ defines natively (std::__once_callable,
// std::__once_call) while kjit compiles the program's own the emulated way.
// call_once from 4 threads racing runs its function once; a function that
// throws leaves the flag unset and the next call runs it again; a function
// called often enough to reach T2 keeps seeing the flag set; std::async
// (launch::async and launch::deferred) and a promise kept by another
// thread give their values.  The program's own thread_local sits beside
// them, so both kinds of thread-local are used in one run.
#include <atomic>
#include <cstdio>
#include <future>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <vector>

#include "check.h"

static std::once_flag raced;
static std::atomic<int> raced_calls{0};
static thread_local int mine = 5; // the program's own (emulated) thread-local

__attribute__((noinline)) static void race_once(int who, std::atomic<int> *winner) {
    std::call_once(raced, [who, winner] {
        raced_calls++;
        winner->store(who);
    });
}

static std::once_flag throwing;
static int throwing_tries = 0;

__attribute__((noinline)) static int try_throwing() {
    try {
        std::call_once(throwing, [] {
            if (++throwing_tries < 3) throw std::runtime_error("not yet");
        });
        return 1;
    } catch (const std::runtime_error &) {
        return 0;
    }
}

static std::once_flag hot;
static long hot_calls = 0;

__attribute__((noinline)) static long hot_path(long i) {
    std::call_once(hot, [] { hot_calls++; });
    return i * 2 + hot_calls;
}

__attribute__((noinline)) static long square_sum(long n) {
    mine += 1; // each thread its own copy, starting at 5
    long s = 0;
    for (long i = 1; i <= n; i++) s += i * i;
    return s + mine - 6;
}

int main() {
    std::atomic<int> winner{-1};
    std::vector<std::thread> ts;
    for (int i = 0; i < 4; i++) ts.emplace_back(race_once, i, &winner);
    for (auto &t : ts) t.join();
    CHECK_EQ(raced_calls.load(), 1);
    CHECK(winner.load() >= 0 && winner.load() < 4);
    race_once(9, &winner);
    CHECK_EQ(raced_calls.load(), 1);
    std::printf("raced: %d call\n", raced_calls.load());

    int got[4];
    for (int i = 0; i < 4; i++) got[i] = try_throwing();
    CHECK_EQ(got[0], 0);
    CHECK_EQ(got[1], 0);
    CHECK_EQ(got[2], 1);
    CHECK_EQ(got[3], 1);
    CHECK_EQ(throwing_tries, 3);
    std::printf("throwing: %d %d %d %d after %d tries\n", got[0], got[1], got[2], got[3],
                throwing_tries);

    long sum = 0;
    for (long i = 0; i < 300000; i++) sum += hot_path(i);
    CHECK_EQ(hot_calls, 1);
    CHECK_EQ(sum, 300000L * 299999L + 300000L);
    std::printf("hot: %ld\n", sum);

    std::future<long> a = std::async(std::launch::async, square_sum, 100);
    std::future<long> d = std::async(std::launch::deferred, square_sum, 10);
    long av = a.get(), dv = d.get();
    CHECK_EQ(av, 338350);
    CHECK_EQ(dv, 385);
    CHECK_EQ(mine, 6); // the deferred call ran on this thread, once
    std::printf("async: %ld deferred: %ld mine: %d\n", av, dv, mine);

    std::promise<int> p;
    std::future<int> f = p.get_future();
    std::thread keeper([&p] { p.set_value(42); });
    CHECK_EQ(f.get(), 42);
    keeper.join();
    std::printf("promise: 42\n");
    return check_done();
}
