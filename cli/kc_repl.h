/*
 * kc_repl.h — the interactive loop: libedit line editing and history, a
 * continuation prompt while an item is incomplete, and `:` commands.
 */
#ifndef KC_REPL_H
#define KC_REPL_H
#include "kc_session.h"

/* Read from the terminal until :quit or end of input.  *sigint is set by
 * the command's SIGINT handler: Ctrl-C at the prompt drops the line or the
 * pending item; during an item, the session reports it interrupted and the
 * REPL goes on with everything defined so far. */
#include <signal.h>
void kc_repl_run(kc_session *s, volatile sig_atomic_t *sigint);

#endif
