/*
 * ks_sema.h — semantic check of top-level items against the session.
 *
 * The session remembers every function seen (defined, extern, or only called
 * so far) with its arity, and the global variables.  Checking an item:
 *   - resolves every variable to a local slot (or a global), reporting
 *     unknown variables;
 *   - checks calls against known arities (a call to a name not yet known is a
 *     forward reference and fixes that name's arity);
 *   - rejects duplicate parameter names, a non-variable left of '=',
 *     redefining a built-in operator, and a redefinition or extern whose arity
 *     differs from the known one;
 *   - on success, commits the item's effects to the session (function
 *     arities, operator precedence into the ks_optab, globals).
 * On failure nothing is committed.
 */
#ifndef KS_SEMA_H
#define KS_SEMA_H
#include "ks_ast.h"
#include "ks_parse.h"

typedef struct ks_sema ks_sema;

ks_sema *ks_sema_new(ks_optab *ops, ks_diag *diag);
void ks_sema_free(ks_sema *s);

/* Check `item`; returns 0 if it is valid (and commits it), -1 after
 * reporting errors. */
int ks_sema_check(ks_sema *s, ks_item *item);

/* Arity of a known function, or -1. */
int ks_sema_arity(const ks_sema *s, const char *name);

/* Whether `name` is a known global variable. */
int ks_sema_is_global(const ks_sema *s, const char *name);

/* Call fn(user, name) for every function (defined, extern or only called so
 * far) and every global the session knows, in no order (REPL completion). */
void ks_sema_each_name(const ks_sema *s, void (*fn)(void *user, const char *name), void *user);

#endif
