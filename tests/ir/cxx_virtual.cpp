// cxx_virtual.cpp — virtual calls through base pointers: an abstract base,
// overrides two levels down, virtual destructors, multiple inheritance
// (calls through the second base go through this-adjusting thunks),
// virtual inheritance, dynamic_cast and typeid.
#include <cstdio>
#include <cstring>
#include <memory>
#include <typeinfo>
#include <vector>

#include "check.h"

static int destroyed;

struct Shape {
    virtual ~Shape() { destroyed++; }
    virtual double area() const = 0;
    virtual const char *name() const { return "shape"; }
    double twice_area() const { return 2 * area(); } // a virtual call from a non-virtual one
};

struct Rect : Shape {
    double w, h;
    Rect(double w_, double h_) : w(w_), h(h_) {}
    double area() const override { return w * h; }
    const char *name() const override { return "rect"; }
};

struct Square final : Rect {
    explicit Square(double s) : Rect(s, s) {}
    const char *name() const override { return "square"; }
};

struct Circle : Shape {
    double r;
    explicit Circle(double r_) : r(r_) {}
    double area() const override { return 3.0 * r * r; } // an integral "pi"
};

struct Named {
    virtual ~Named() {}
    virtual const char *label() const = 0;
    int tag = 7;
};

// Two bases: a Named* points into the middle of the object.
struct Labelled : Rect, Named {
    Labelled() : Rect(2, 5) {}
    const char *label() const override { return "labelled rect"; }
    double area() const override { return Rect::area() + tag; }
};

struct Base {
    int base_value = 1;
    virtual int get() const { return base_value; }
    virtual ~Base() {}
};
struct Left : virtual Base {
    int get() const override { return base_value + 10; }
};
struct Right : virtual Base {};
struct Diamond : Left, Right {
    int get() const override { return Left::get() + 100; }
};

__attribute__((noinline)) static const char *label_of(const Named *n) { return n->label(); }
__attribute__((noinline)) static int get_of(const Base &b) { return b.get(); }

int main() {
    std::vector<std::unique_ptr<Shape>> shapes;
    shapes.emplace_back(new Rect(3, 4));
    shapes.emplace_back(new Square(5));
    shapes.emplace_back(new Circle(2));
    shapes.emplace_back(new Labelled);
    double total = 0;
    for (const auto &s : shapes) {
        std::printf("%-8s area %6.2f, twice %6.2f\n", s->name(), s->area(), s->twice_area());
        total += s->area();
    }
    CHECK(total == 12 + 25 + 12 + 17);

    Labelled l;
    Named *n = &l;
    CHECK((void *)n != (void *)&l); // the second base is at an offset
    CHECK(std::strcmp(label_of(n), "labelled rect") == 0);
    Shape *as_shape = dynamic_cast<Shape *>(n); // a cross cast
    CHECK(as_shape == static_cast<Shape *>(&l));
    CHECK(dynamic_cast<Circle *>(shapes[0].get()) == nullptr);
    CHECK(dynamic_cast<Rect *>(shapes[1].get()) != nullptr);
    const Shape &second = *shapes[1];
    CHECK(typeid(second) == typeid(Square));
    std::printf("label %s, tag %d, cross cast area %.0f\n", label_of(n), n->tag,
                as_shape->area());

    Diamond d;
    CHECK_EQ(get_of(d), 111);
    Right &r = d;
    CHECK_EQ(get_of(r), 111); // through the virtual base
    std::printf("diamond get %d\n", get_of(r));

    // Many virtual calls: hot call sites.
    double sum = 0;
    for (int i = 0; i < 100000; i++) sum += shapes[i % 4]->area();
    std::printf("sum of areas %.0f\n", sum);
    CHECK(sum == 25000.0 * (12 + 25 + 12 + 17));

    shapes.clear();
    CHECK_EQ(destroyed, 4);
    std::printf("destroyed %d\n", destroyed);
    return check_done();
}
