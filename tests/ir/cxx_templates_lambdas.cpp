// cxx_templates_lambdas.cpp — templates (function and class templates, a
// variadic one with a fold, specialisation, constexpr recursion) and lambdas
// (captures by value and by reference, mutable, generic, recursive through
// std::function, stored in containers, passed to algorithms).
#include <algorithm>
#include <cstdio>
#include <functional>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "check.h"

template <typename T> T max_of(T a, T b) { return a < b ? b : a; }

template <typename... Ts> auto sum_all(Ts... xs) { return (xs + ... + 0); }

template <typename T, int N> struct Ring {
    T items[N]{};
    int head = 0;
    void push(T v) { items[head++ % N] = v; }
    T total() const { return std::accumulate(items, items + N, T{}); }
};

template <typename T> struct Describe { static const char *name() { return "something"; } };
template <> struct Describe<int> { static const char *name() { return "int"; } };
template <> struct Describe<double> { static const char *name() { return "double"; } };

constexpr long fact(int n) { return n <= 1 ? 1 : n * fact(n - 1); }
static_assert(fact(10) == 3628800, "constexpr");

template <typename F> __attribute__((noinline)) int apply_twice(F f, int x) { return f(f(x)); }

__attribute__((noinline)) static std::function<int(int)> make_adder(int k) {
    return [k](int x) { return x + k; };
}

int main() {
    CHECK_EQ(max_of(3, 9), 9);
    CHECK(max_of(2.5, -1.0) == 2.5);
    CHECK(max_of(std::string("pear"), std::string("apple")) == "pear");
    CHECK_EQ(sum_all(1, 2, 3, 4L), 10);
    CHECK(sum_all(0.5, 1, 2.0f) == 3.5);
    Ring<int, 4> ring;
    for (int i = 1; i <= 10; i++) ring.push(i);
    CHECK_EQ(ring.total(), 7 + 8 + 9 + 10);
    Ring<double, 2> dring;
    dring.push(1.5);
    dring.push(2.25);
    std::printf("templates: %d %s %d %.2f %ld | %s %s %s\n", max_of(3, 9), max_of(1.5, 0.5) > 1 ? "ok" : "no",
                ring.total(), dring.total(), fact(15), Describe<int>::name(),
                Describe<double>::name(), Describe<char>::name());

    int base = 10;
    auto by_value = [base](int x) { return x * base; };
    auto by_ref = [&base](int x) { base += x; return base; };
    base = 20;
    CHECK_EQ(by_value(3), 30); // captured 10
    CHECK_EQ(by_ref(5), 25);
    CHECK_EQ(base, 25);
    int calls = 0;
    auto counter = [calls]() mutable { return ++calls; };
    counter();
    CHECK_EQ(counter(), 2);
    CHECK_EQ(calls, 0);
    auto generic = [](auto a, auto b) { return a + b; };
    CHECK_EQ(generic(2, 3), 5);
    CHECK(generic(std::string("a"), std::string("b")) == "ab");
    CHECK_EQ(apply_twice([](int x) { return x * 3; }, 2), 18);

    std::function<long(int)> fib = [&fib](int n) -> long { return n < 2 ? n : fib(n - 1) + fib(n - 2); };
    CHECK_EQ(fib(20), 6765);

    std::vector<std::function<int(int)>> pipeline = {make_adder(1), [](int x) { return x * x; },
                                                     make_adder(-3)};
    int v = 4;
    for (auto &f : pipeline) v = f(v);
    CHECK_EQ(v, 22);

    std::map<std::string, std::function<double(double, double)>> ops = {
        {"add", [](double a, double b) { return a + b; }},
        {"mul", [](double a, double b) { return a * b; }},
        {"max", [](double a, double b) { return max_of(a, b); }}};
    std::printf("lambdas: %d %d %d %ld %d |", by_value(3), base, counter(), fib(20), v);
    for (auto &kv : ops) std::printf(" %s=%.1f", kv.first.c_str(), kv.second(6, 7));
    std::printf("\n");

    std::vector<int> nums = {5, 3, 9, 1, 7, 2};
    int threshold = 4;
    std::sort(nums.begin(), nums.end(), [](int a, int b) { return a > b; });
    auto big = std::count_if(nums.begin(), nums.end(), [threshold](int x) { return x > threshold; });
    std::vector<int> doubled;
    std::transform(nums.begin(), nums.end(), std::back_inserter(doubled), [](int x) { return 2 * x; });
    CHECK_EQ(big, 3);
    CHECK_EQ(doubled.front(), 18);
    std::printf("algorithms: first %d last %d, %ld above %d, doubled sum %d\n", nums.front(),
                nums.back(), (long)big, threshold, std::accumulate(doubled.begin(), doubled.end(), 0));
    return check_done();
}
