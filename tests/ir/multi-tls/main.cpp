// multi-tls: see def.cpp.
#include <cstdio>
#include <thread>

extern thread_local int counter;
// Weak, and defined in def.cpp: not null.
__attribute__((weak)) int bump(int by);

int main() {
    if (!bump) return 2;
    counter += 2;
    bump(1);
    int other = 0;
    std::thread t([&] { other = counter + bump(10); });
    t.join();
    std::printf("%d %d\n", counter, other);
    return counter == 8 && other == 20 ? 0 : 1;
}
