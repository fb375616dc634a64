#!/bin/sh
# logcc.sh LOG ARGS...: clang-19 as kjit's --cc, with each command line it
# was started with appended to LOG first (cc-watch-warm.c).
log=$1
shift
printf '%s\n' "$*" >> "$log"
exec clang-19 "$@"
