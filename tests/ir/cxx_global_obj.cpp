// cxx_global_obj.cpp — global objects with constructors and destructors:
// constructed before main in definition order (one reading another
// already made), an init_priority one first of all, dynamically initialised
// std::string and std::vector globals, a static data member; destroyed
// after main in reverse order.
#include <cstdio>
#include <string>
#include <vector>

#include "check.h"

static int order;

struct Tracer {
    const char *name;
    int made_at;
    explicit Tracer(const char *n) : name(n), made_at(++order) {
        std::printf("construct %s (#%d)\n", name, made_at);
    }
    ~Tracer() { std::printf("destroy %s (#%d)\n", name, made_at); }
};

Tracer first("first");
Tracer second("second");
static Tracer early __attribute__((init_priority(200)))("early (init_priority 200)");

struct Dependent {
    int seen;
    Dependent() : seen(second.made_at) { std::printf("Dependent sees second #%d\n", seen); }
};
Dependent dependent;

std::string greeting = std::string("hello, ") + "globals";
std::vector<int> squares = [] {
    std::vector<int> v;
    for (int i = 1; i <= 5; i++) v.push_back(i * i);
    return v;
}();

struct Holder {
    static Tracer member;
};
Tracer Holder::member("Holder::member");

int main() {
    std::printf("main: order %d\n", order);
    CHECK_EQ(early.made_at, 1);
    CHECK_EQ(first.made_at, 2);
    CHECK_EQ(second.made_at, 3);
    CHECK_EQ(dependent.seen, 3);
    CHECK_EQ(Holder::member.made_at, 4);
    CHECK(greeting == "hello, globals");
    CHECK_EQ(squares.size(), 5);
    CHECK_EQ(squares[4], 25);
    std::printf("greeting \"%s\", squares %d..%d\n", greeting.c_str(), squares.front(),
                squares.back());
    static Tracer local("function-local in main");
    return check_done();
}
