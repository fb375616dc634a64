#!/bin/sh
# Run a command, then print its exit status on stdout as "exit: N", so that
# FileCheck can check exit codes exactly (lit's `not` only checks non-zero).
"$@"
echo "exit: $?"
