/*
 * test_stub.c — the stub manager on its own (lib/kj_stub.h, internal):
 * blocks fill and chain, entries are distinct and stable, a fresh slot
 * points at its lazy entry, the owner is found from the slot, repointing
 * is seen by the next call, and a failed mapping is an error, not a crash
 * (failure injection), after which allocation recovers.
 */
#include "api_test.h"
#include "machine/kj_stub.h"

static double seven(void) { return 7; }
static double eight(void) { return 8; }

int main(void) {
    kj_stubs *m = kj_stub_manager_new();
    CHECK(m != NULL);
    static kj_stub s[KJ_STUB_BLOCK + 10];
    int owners[KJ_STUB_BLOCK + 10];
    for (int i = 0; i < KJ_STUB_BLOCK + 10; i++) {
        CHECK(kj_stub_alloc(m, &owners[i], &s[i]) == 0);
        CHECK(kj_stub_target(s[i].slot) == s[i].lazy);
        CHECK(kj_stub_owner((void **)s[i].slot) == &owners[i]);
    }
    CHECK(s[0].entry != s[1].entry && s[KJ_STUB_BLOCK].entry != s[0].entry);
    size_t mapped = kj_stub_mapped_bytes(m);
    CHECK(mapped > 0);

    /* A stub jumps wherever its slot says, from the next call on. */
    kj_stub_point(s[3].slot, (void *)seven);
    double (*f)(void) = (double (*)(void))s[3].entry;
    CHECK(f() == 7);
    kj_stub_point(s[3].slot, (void *)eight);
    CHECK(f() == 8);

    /* Fill the second block, then make the next mapping fail. */
    kj_stub extra;
    for (int i = KJ_STUB_BLOCK + 10; i < 2 * KJ_STUB_BLOCK; i++)
        CHECK(kj_stub_alloc(m, NULL, &extra) == 0);
    kj_stub_inject_map_failures(m, 2);
    CHECK(kj_stub_alloc(m, NULL, &extra) == -1);
    CHECK(kj_stub_alloc(m, NULL, &extra) == -1);
    CHECK(kj_stub_mapped_bytes(m) == mapped);
    CHECK(kj_stub_alloc(m, NULL, &extra) == 0); /* recovers */
    CHECK(kj_stub_mapped_bytes(m) > mapped);
    CHECK(f() == 8); /* old stubs unaffected */
    kj_stub_manager_free(m);
    return t_done("test_stub");
}
