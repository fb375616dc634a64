/*
 * kc_repl.h — the interactive loop: libedit line editing and history, a
 * continuation prompt while an item is incomplete, and `:` commands.
 */
#ifndef KC_REPL_H
#define KC_REPL_H
#include "kc_session.h"

/* Read from the terminal until :quit or end of input. */
void kc_repl_run(kc_session *s);

#endif
