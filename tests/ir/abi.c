/* abi.c — structs passed and returned by value ({int,int}, {double,double},
 * {float,float}, mixed, {float,float,float}, {char,short}, and a 40-byte
 * struct passed on the stack and returned through a hidden pointer), and
 * i8/i16/i32/float/_Bool/unsigned char parameters and returns, whose sign
 * or zero extension the caller relies on.  Every call is made both directly
 * and through a volatile function pointer, so no optimiser sees through it. */
#include <stdio.h>
#include <string.h>

#include "check.h"

#define NOINLINE __attribute__((noinline))

struct ii { int a, b; };
struct dd { double x, y; };
struct ff { float x, y; };
struct fff { float x, y, z; };
struct mixed { int i; float f; };
struct dmix { double d; int i; };
struct cs { char c; short s; };
struct big { long v[5]; };

NOINLINE struct ii ii_make(int a, int b) { return (struct ii){a, b}; }
NOINLINE int ii_diff(struct ii p) { return p.a - p.b; }
NOINLINE struct ii ii_swap(struct ii p) { return (struct ii){p.b, p.a}; }

NOINLINE struct dd dd_make(double x, double y) { return (struct dd){x, y}; }
NOINLINE struct dd dd_add(struct dd p, struct dd q) { return (struct dd){p.x + q.x, p.y + q.y}; }

NOINLINE struct ff ff_make(float x, float y) { return (struct ff){x, y}; }
NOINLINE struct ff ff_scale(struct ff p, float k) { return (struct ff){p.x * k, p.y * k}; }

NOINLINE struct fff fff_rot(struct fff p) { return (struct fff){p.y, p.z, p.x}; }

NOINLINE struct mixed mixed_make(int i, float f) { return (struct mixed){i, f}; }
NOINLINE double mixed_sum(struct mixed m) { return m.i + m.f; }

NOINLINE struct dmix dmix_next(struct dmix m) { return (struct dmix){m.d * 2, m.i + 1}; }

NOINLINE struct cs cs_make(char c, short s) { return (struct cs){c, s}; }
NOINLINE int cs_sum(struct cs v) { return v.c + v.s; }

NOINLINE struct big big_make(long seed) {
    struct big b;
    for (int i = 0; i < 5; i++) b.v[i] = seed * (i + 1);
    return b;
}
/* Takes registers' worth of arguments first, so the struct and the tail
 * arguments go on the stack. */
NOINLINE struct big big_combine(int a, int b, int c, int d, int e, int f, struct big x,
                                struct big y, long k) {
    struct big r;
    for (int i = 0; i < 5; i++) r.v[i] = x.v[i] + y.v[i] * k + a + b + c + d + e + f;
    return r;
}
NOINLINE long big_sum(struct big b) {
    long s = 0;
    for (int i = 0; i < 5; i++) s += b.v[i];
    return s;
}

/* Narrow returns. */
NOINLINE signed char ret_i8(void) { return (signed char)-1; }
NOINLINE unsigned char ret_u8(void) { return (unsigned char)255; }
NOINLINE short ret_i16(void) { return (short)-2; }
NOINLINE unsigned short ret_u16(void) { return (unsigned short)65535; }
NOINLINE int ret_i32(void) { return -3; }
NOINLINE unsigned ret_u32(void) { return 0xfffffffdu; }
NOINLINE _Bool ret_bool(int x) { return x > 10; }
NOINLINE float ret_float(float x) { return x * 0.5f; }

/* Narrow parameters. */
NOINLINE int widen_i8(signed char c) { return c; }
NOINLINE int widen_u8(unsigned char c) { return c; }
NOINLINE int widen_i16(short s) { return s; }
NOINLINE int widen_u16(unsigned short s) { return s; }
NOINLINE int from_bool(_Bool b) { return b ? 100 : 200; }
NOINLINE double many(signed char a, unsigned char b, short c, unsigned short d, int e, float f,
                     _Bool g, double h, signed char i, float j, short k, long l, float m,
                     unsigned char n) {
    return a + b + c + d + e + f + g + h + i + j + k + l + m + n;
}

/* The same functions seen through pointers the optimiser cannot follow. */
struct ii (*volatile p_ii_make)(int, int) = ii_make;
int (*volatile p_ii_diff)(struct ii) = ii_diff;
struct dd (*volatile p_dd_add)(struct dd, struct dd) = dd_add;
struct ff (*volatile p_ff_scale)(struct ff, float) = ff_scale;
struct fff (*volatile p_fff_rot)(struct fff) = fff_rot;
double (*volatile p_mixed_sum)(struct mixed) = mixed_sum;
struct dmix (*volatile p_dmix_next)(struct dmix) = dmix_next;
int (*volatile p_cs_sum)(struct cs) = cs_sum;
struct big (*volatile p_big_combine)(int, int, int, int, int, int, struct big, struct big,
                                     long) = big_combine;
signed char (*volatile p_ret_i8)(void) = ret_i8;
unsigned char (*volatile p_ret_u8)(void) = ret_u8;
short (*volatile p_ret_i16)(void) = ret_i16;
unsigned short (*volatile p_ret_u16)(void) = ret_u16;
_Bool (*volatile p_ret_bool)(int) = ret_bool;
float (*volatile p_ret_float)(float) = ret_float;
int (*volatile p_widen_i8)(signed char) = widen_i8;
int (*volatile p_widen_u8)(unsigned char) = widen_u8;
int (*volatile p_widen_i16)(short) = widen_i16;
double (*volatile p_many)(signed char, unsigned char, short, unsigned short, int, float, _Bool,
                          double, signed char, float, short, long, float, unsigned char) = many;

int main(void) {
    struct ii p = ii_make(7, 3);
    CHECK_EQ(p.a, 7);
    CHECK_EQ(p.b, 3);
    CHECK_EQ(ii_diff(p), 4);
    CHECK_EQ(p_ii_diff(ii_swap(p_ii_make(10, 25))), 15);

    struct dd d = p_dd_add(dd_make(1.5, 2.25), dd_make(0.5, -4.0));
    CHECK(d.x == 2.0 && d.y == -1.75);
    struct ff f = p_ff_scale(ff_make(1.5f, -3.0f), 4.0f);
    CHECK(f.x == 6.0f && f.y == -12.0f);
    struct fff g = p_fff_rot((struct fff){1.0f, 2.0f, 3.0f});
    CHECK(g.x == 2.0f && g.y == 3.0f && g.z == 1.0f);
    double ms = p_mixed_sum(mixed_make(-5, 0.75f));
    CHECK(ms == -4.25);
    struct dmix dm = p_dmix_next(p_dmix_next((struct dmix){1.25, 41}));
    CHECK(dm.d == 5.0 && dm.i == 43);
    CHECK_EQ(p_cs_sum(cs_make('A', -1000)), 65 - 1000);
    printf("small structs: %d %d | %.2f %.2f | %.1f %.1f | %.1f %.1f %.1f | %.2f | %.2f %d\n",
           p.a, p.b, d.x, d.y, f.x, f.y, g.x, g.y, g.z, ms, dm.d, dm.i);

    struct big b = big_make(3), c = big_make(-2);
    CHECK_EQ(big_sum(b), 45);
    struct big r = p_big_combine(1, 2, 3, 4, 5, 6, b, c, 10);
    long expect[5] = {3 - 20 + 21, 6 - 40 + 21, 9 - 60 + 21, 12 - 80 + 21, 15 - 100 + 21};
    CHECK(memcmp(r.v, expect, sizeof expect) == 0);
    /* b itself is unchanged: the callee got a copy. */
    CHECK_EQ(big_sum(b), 45);
    printf("big struct: %ld %ld %ld %ld %ld (sum %ld)\n", r.v[0], r.v[1], r.v[2], r.v[3], r.v[4],
           big_sum(r));

    int i8 = p_ret_i8(), u8 = p_ret_u8(), i16 = p_ret_i16(), u16 = p_ret_u16();
    CHECK_EQ(i8, -1);
    CHECK_EQ(ret_i8(), -1);
    CHECK_EQ(u8, 255);
    CHECK_EQ(i16, -2);
    CHECK_EQ(u16, 65535);
    CHECK_EQ(ret_i32(), -3);
    CHECK_EQ((long long)ret_u32(), 4294967293LL);
    long wide = p_ret_i8();
    CHECK_EQ(wide, -1);
    unsigned long uwide = p_ret_u8();
    CHECK_EQ(uwide, 255);
    int bt = p_ret_bool(11), bf = p_ret_bool(10);
    CHECK_EQ(bt, 1);
    CHECK_EQ(bf, 0);
    float hf = p_ret_float(5.0f);
    CHECK(hf == 2.5f);
    printf("narrow returns: %d %d %d %d %d %u %d %d %.1f\n", i8, u8, i16, u16, ret_i32(),
           ret_u32(), bt, bf, hf);

    CHECK_EQ(p_widen_i8(-5), -5);
    CHECK_EQ(p_widen_i8((signed char)200), -56);
    CHECK_EQ(p_widen_u8(200), 200);
    CHECK_EQ(p_widen_u8((unsigned char)-1), 255);
    CHECK_EQ(p_widen_i16(-30000), -30000);
    CHECK_EQ(widen_u16((unsigned short)-1), 65535);
    CHECK_EQ(from_bool(5), 100);
    CHECK_EQ(from_bool(0), 200);
    double mv = p_many(-1, 255, -300, 60000, -70000, 0.5f, 1, 0.25, -128, 1.5f, 32767, -(1L << 40),
                       -2.0f, 7);
    double want = -1 + 255 - 300 + 60000 - 70000 + 0.5 + 1 + 0.25 - 128 + 1.5 + 32767 -
                  (double)(1L << 40) - 2.0 + 7;
    CHECK(mv == want);
    printf("narrow params: %d %d %d %.2f\n", p_widen_i8(-5), p_widen_u8(200), p_widen_i16(-30000),
           mv);
    return check_done();
}
