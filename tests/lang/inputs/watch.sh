#!/bin/sh
# watch.sh "KJIT..." TEMPLATE DIR: run the template's program (VALUE=1)
# under kjit --watch, rewrite it (VALUE=2) while it runs, wait for the
# reload to be reported, then let the program end.  Its stdout, then
# "exit: N", go to DIR/out; its stderr to DIR/err.
kjit=$1 tpl=$2 dir=$3
rm -rf "$dir" && mkdir -p "$dir" || exit 1
sed 's/VALUE/1/' "$tpl" > "$dir/prog.ll"
$kjit --watch "$dir/prog.ll" -- "$dir/go" > "$dir/out" 2> "$dir/err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "value 1" "$dir/out"; do sleep 0.1; i=$((i + 1)); done
sed 's/VALUE/2/' "$tpl" > "$dir/prog.ll.new" && mv "$dir/prog.ll.new" "$dir/prog.ll"
i=0
while [ $i -lt 100 ] && ! grep -q "value 2" "$dir/out"; do sleep 0.1; i=$((i + 1)); done
touch "$dir/go"
wait $pid
echo "exit: $?" >> "$dir/out"
