// --watch: a reload that changes the layout of a struct the code uses is
// refused, naming the struct and its users; the old code runs on.  One that
// keeps the layout is reloaded.
// UNSUPPORTED: emulator
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed 's/FIELDS/double freq; int gain;/; s/EXTRA//' %S/inputs/layout.c.in > %t/prog.c
// RUN: sed 's/FIELDS/int gain; double freq;/; s/EXTRA/+ 1/' %S/inputs/layout.c.in > %t/swapped.c
// RUN: python3 %S/inputs/swap.py "%kjit" %t prog.c swapped.c "failed"
// RUN: FileCheck --check-prefix=REFUSED %s < %t/err
// RUN: FileCheck --check-prefix=OLD %s < %t/out
// RUN: sed 's/FIELDS/double freq; int gain;/; s/EXTRA//' %S/inputs/layout.c.in > %t/prog.c
// RUN: sed 's/FIELDS/double freq; int gain;/; s/EXTRA/+ 1/' %S/inputs/layout.c.in > %t/same.c
// RUN: python3 %S/inputs/swap.py "%kjit" %t prog.c same.c "level 881"
// RUN: FileCheck --check-prefix=NEW %s < %t/out
// REFUSED: kjit: reload of {{.*}}prog.c failed, the program goes on: the layout of struct voice changed ({ i32, double }, was { double, i32 }), and level uses it: objects made by the old code would be read at the new offsets; nothing is reloaded
// OLD: level 880
// OLD-NOT: level
// NEW: level 880
// NEW-NEXT: level 881
