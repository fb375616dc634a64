/*
 * ks_value.h — how kjit prints a Kaleidoscope value.
 *
 * The shortest decimal form that reads back (strtod) as the same double:
 * "15", "0.1", "1e+300", "-0", "nan", "inf", "-inf".  NaNs print as "nan"
 * whatever their sign or payload.
 */
#ifndef KS_VALUE_H
#define KS_VALUE_H
#include <stddef.h>

#define KS_VALUE_BUFSIZE 32

/* Writes the text of v into buf (at least KS_VALUE_BUFSIZE bytes); returns buf. */
char *ks_value_format(double v, char *buf);

#endif
