#!/bin/sh
# compare.sh [-raw] PROGRAM.ks — run a Kaleidoscope program through LLVM's
# chapter 7 toy (built by build-oracle.sh) and print what it printed, turned
# into what kjit would print on stdout:
#   - prompts ("ready> ") and the IR dumps of definitions and externs are
#     dropped;
#   - "Evaluated to V" becomes V in kjit's printed form (15, 0.1, 1e+05,
#     -0, nan, inf: ksvalue.py, the rule of front/ks_value.c) on its own line;
#   - printd/putchard output (stderr in toy7) is kept in place;
#   - toy7's "Error: ..." lines are kept, so that a program it rejects shows.
# With -raw, toy7-exact's stderr is printed untouched.
# ORACLE_DIR names the directory given to build-oracle.sh (default
# /tmp/oracle).  toy7 knows no '/', no printlf and no forward references.
set -eu
raw=0
if [ "${1-}" = -raw ]; then raw=1; shift; fi
[ $# -eq 1 ] || { echo "usage: $0 [-raw] PROGRAM.ks" >&2; exit 2; }
dir=${ORACLE_DIR:-/tmp/oracle}
toy=$dir/toy7-exact
[ -x "$toy" ] || { echo "$0: no $toy; run build-oracle.sh $dir" >&2; exit 2; }

if [ $raw = 1 ]; then
  "$toy" < "$1" 2>&1 >/dev/null
  exit 0
fi
here=$(cd "$(dirname "$0")" && pwd)
"$toy" < "$1" 2>&1 >/dev/null | PYTHONPATH="$here" python3 -c '
import re, sys
from ksvalue import format_value
text = sys.stdin.read().replace("ready> ", "")
# IR of a definition: "Read function definition:" ... "}\n\n".
text = re.sub(r"Read function definition:.*?\n}\n\n", "", text, flags=re.S)
text = re.sub(r"Read extern: [^\n]*\n\n", "", text)

def kjit_value(m):
    return format_value(m.group(1)) + "\n"   # kjit rule, not repr
text = re.sub(r"Evaluated to (\S+)\n", kjit_value, text)
sys.stdout.write(text)
'
