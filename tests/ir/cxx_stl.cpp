// cxx_stl.cpp — std::string, std::vector and std::map in JIT'd code:
// building, sorting, counting words, formatting; the library's own code is
// mostly instantiated (and so JIT'd) from the program's module.
#include <algorithm>
#include <cstdio>
#include <map>
#include <numeric>
#include <string>
#include <vector>

#include "check.h"

static std::vector<std::string> split(const std::string &s) {
    std::vector<std::string> out;
    std::string word;
    for (char c : s) {
        if (c == ' ') {
            if (!word.empty()) out.push_back(word);
            word.clear();
        } else {
            word += c;
        }
    }
    if (!word.empty()) out.push_back(word);
    return out;
}

int main() {
    const std::string text = "the quick brown fox jumps over the lazy dog the fox";
    std::vector<std::string> words = split(text);
    CHECK_EQ(words.size(), 11);

    std::map<std::string, int> counts;
    for (const auto &w : words) counts[w]++;
    CHECK_EQ(counts["the"], 3);
    CHECK_EQ(counts["fox"], 2);
    CHECK_EQ(counts.size(), 8);
    std::printf("counts:");
    for (const auto &kv : counts) std::printf(" %s=%d", kv.first.c_str(), kv.second);
    std::printf("\n");

    std::vector<std::string> sorted = words;
    std::sort(sorted.begin(), sorted.end());
    sorted.erase(std::unique(sorted.begin(), sorted.end()), sorted.end());
    std::string joined;
    for (const auto &w : sorted) joined += (joined.empty() ? "" : ",") + w;
    CHECK(joined == "brown,dog,fox,jumps,lazy,over,quick,the");
    std::printf("sorted unique: %s\n", joined.c_str());

    std::vector<int> v;
    for (int i = 0; i < 20000; i++) v.push_back((i * 7919) % 1000);
    std::sort(v.begin(), v.end());
    long sum = std::accumulate(v.begin(), v.end(), 0L);
    CHECK_EQ(sum, 20L * 499500);
    CHECK(std::is_sorted(v.begin(), v.end()));
    std::printf("vector: size %zu, sum %ld, v[100] %d, v.back() %d\n", v.size(), sum, v[100],
                v.back());

    std::string s = "Hello";
    s += ", ";
    s.append("World");
    s.insert(0, ">> ");
    s.replace(s.find("World"), 5, "JIT");
    CHECK(s == ">> Hello, JIT");
    CHECK_EQ(s.find("JIT"), 10);
    std::string long_one(1000, 'a');
    long_one += std::to_string(12345);
    CHECK_EQ(long_one.size(), 1005);
    std::printf("string: \"%s\" (%zu), substr \"%s\", to_string %s\n", s.c_str(), s.size(),
                s.substr(3, 5).c_str(), std::to_string(-987654321).c_str());

    std::map<int, std::vector<std::string>> by_length;
    for (const auto &w : words) by_length[static_cast<int>(w.size())].push_back(w);
    for (const auto &kv : by_length) {
        std::printf("length %d:", kv.first);
        for (const auto &w : kv.second) std::printf(" %s", w.c_str());
        std::printf("\n");
    }
    return check_done();
}
