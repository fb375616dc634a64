// A C++ source: compiled by clang-19 as C++ (by its extension), with the
// standard library, exceptions and static constructors.
// UNSUPPORTED: emulator
// RUN: %kjit -std=c++17 %s | FileCheck %s
// CHECK: constructed
// CHECK-NEXT: caught boom, 3 items
#include <cstdio>
#include <stdexcept>
#include <string>
#include <vector>
struct Init { Init() { std::puts("constructed"); } } init;
int main() {
    std::vector<std::string> v{"a", "b", "c"};
    try {
        throw std::runtime_error("boom");
    } catch (const std::exception &e) {
        std::printf("caught %s, %zu items\n", e.what(), v.size());
    }
}
