/*
 * simple_hash.h — the string → int hash table that the LLVM test-suite's
 * Shootout-hash program includes (the header is not in ../shared/corpus-c).
 * Written for kjit's corpus runner from the program's use of it: create,
 * find, find-or-insert, destroy; a node has a `val`.
 */
#ifndef KJIT_SIMPLE_HASH_H
#define KJIT_SIMPLE_HASH_H
#include <stdlib.h>
#include <string.h>

struct ht_node {
    char *key;
    int val;
    struct ht_node *next;
};

struct ht_ht {
    size_t size;
    struct ht_node **tbl;
};

static inline size_t ht_hashcode(const char *key) {
    size_t h = 0;
    for (; *key; key++) h = 5 * h + (unsigned char)*key;
    return h;
}

static inline struct ht_ht *ht_create(int size) {
    struct ht_ht *ht = malloc(sizeof *ht);
    ht->size = size > 16 ? (size_t)size : 16;
    ht->tbl = calloc(ht->size, sizeof *ht->tbl);
    return ht;
}

static inline struct ht_node *ht_find(struct ht_ht *ht, const char *key) {
    for (struct ht_node *n = ht->tbl[ht_hashcode(key) % ht->size]; n; n = n->next)
        if (strcmp(n->key, key) == 0) return n;
    return NULL;
}

static inline struct ht_node *ht_find_new(struct ht_ht *ht, const char *key) {
    struct ht_node *n = ht_find(ht, key);
    if (n) return n;
    size_t b = ht_hashcode(key) % ht->size;
    n = malloc(sizeof *n);
    n->key = strdup(key);
    n->val = 0;
    n->next = ht->tbl[b];
    ht->tbl[b] = n;
    return n;
}

static inline void ht_destroy(struct ht_ht *ht) {
    for (size_t b = 0; b < ht->size; b++)
        for (struct ht_node *n = ht->tbl[b], *next; n; n = next) {
            next = n->next;
            free(n->key);
            free(n);
        }
    free(ht->tbl);
    free(ht);
}
#endif
