#!/bin/sh
# watch.sh "KJIT..." TEMPLATE DIR [binary]: run the template's program
# (VALUE=1) under kjit --watch, rewrite it (VALUE=2; with "binary", 3 KB of
# random bytes) while it runs, wait for the reload (or its failure) to be
# reported, then let the program end.  Its stdout, then "exit: N", go to
# DIR/out; its stderr to DIR/err.
kjit=$1 tpl=$2 dir=$3 binary=$4
rm -rf "$dir" && mkdir -p "$dir" || exit 1
sed 's/VALUE/1/' "$tpl" > "$dir/prog.ll"
$kjit --watch "$dir/prog.ll" -- "$dir/go" > "$dir/out" 2> "$dir/err" &
pid=$!
i=0
while [ $i -lt 100 ] && ! grep -q "value 1" "$dir/out"; do sleep 0.1; i=$((i + 1)); done
if [ "$binary" = binary ]; then
    python3 -c "import random, sys; r = random.Random(3)
sys.stdout.buffer.write(bytes(r.randrange(256) for _ in range(3072)))" > "$dir/prog.ll.new"
    done_when="reload of" in=err
else
    sed 's/VALUE/2/' "$tpl" > "$dir/prog.ll.new"
    done_when="value 2" in=out
fi
mv "$dir/prog.ll.new" "$dir/prog.ll"
i=0
while [ $i -lt 100 ] && ! grep -q "$done_when" "$dir/$in"; do sleep 0.1; i=$((i + 1)); done
touch "$dir/go"
wait $pid
echo "exit: $?" >> "$dir/out"
