# lit configuration for kjit's .ks tests.  Each test file carries its RUN
# lines and CHECK patterns; %kjit is the kjit binary under test.
import os
import lit.formats

config.name = "kjit"
# The internal shell: portable, and it knows `not`.
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".ks", ".ll"]
config.test_source_root = os.path.dirname(__file__)
# Each run writes its temporary files (%t) under its own directory, outside
# the source tree: ctest runs the suite in several modes at once, and runs
# sharing one Output directory would overwrite each other's files.
outdir = lit_config.params.get("outdir")
if outdir:
    config.test_exec_root = outdir
config.excludes = ["inputs"]

kjit = lit_config.params.get("kjit")
filecheck = lit_config.params.get("filecheck", "FileCheck")
if not kjit:
    lit_config.fatal("run lit with --param kjit=PATH")
# --param jit=MODE runs the whole suite in another JIT mode: every program
# must print the same in every mode.  Tests about one mode's own behaviour
# (what it compiles when) say `REQUIRES: default-mode`.
mode = lit_config.params.get("jit", "")
# --param args="..." adds options to every run (e.g. --hot=1 --tier-sync:
# every tier transition at the first call).
extra = lit_config.params.get("args", "")
# --param emulator="qemu-aarch64 -L SYSROOT" runs kjit under it (a cross
# build: tests/aarch64/); kjit must then be an absolute path, and so is the
# emulator made (the REPL driver execs its command without a PATH search).
import shutil
emulator = lit_config.params.get("emulator", "")
if emulator:
    first, _, rest = emulator.partition(" ")
    emulator = (shutil.which(first) or first) + (" " + rest if rest else "")
    kjit = emulator + " " + kjit
    # (A stack overflow's frames are walked from the signal frame; under
    # qemu-user the walk faults two frames past it and stops there, by
    # design without a crash: docs/DESIGN.md, run-time errors.)
    config.available_features.add("emulator")
# The build linked libkjit-llvm.so beside the command (CMakeLists.txt).
if not emulator and os.path.exists(os.path.join(os.path.dirname(kjit), "libkjit-llvm.so")):
    config.available_features.add("own-llvm")
if mode:
    kjit_cmd = kjit + " --jit=" + mode + (" " + extra if extra else "")
else:
    kjit_cmd = kjit
    config.available_features.add("default-mode")
config.substitutions.append(("%kjit", kjit_cmd))
config.substitutions.append(("FileCheck", filecheck))
# %lli: LLVM 19's lli, to run what --emit=llvm prints; it lives beside
# FileCheck when that was given by path.
# (--param lli=CMD: the target's lli under an emulator.)
lli = os.path.join(os.path.dirname(filecheck), "lli")
lli = lli if os.path.isfile(lli) else "/usr/lib/llvm-19/bin/lli"
config.substitutions.append(("%lli", lit_config.params.get("lli", lli)))
# %repl KJIT...: drive kjit's REPL on a pseudo-terminal (see the script).
config.substitutions.append(("%repl", "python3 " + os.path.join(os.path.dirname(__file__), "repl_driver.py")))
# %sigint SECONDS CMD...: run CMD, SIGINT it after SECONDS, print its output
# and "exit: N".
config.substitutions.append(("%sigint", "python3 " + os.path.join(os.path.dirname(__file__), "sigint_driver.py")))
# %exit CMD...: run CMD, then print "exit: N" with its exit status.
config.substitutions.append(("%exit", "sh " + os.path.join(os.path.dirname(__file__), "status.sh")))
# `perf` tests run only where perf can record here (a software clock event
# is enough); elsewhere lit reports them UNSUPPORTED.
# (Neither under an emulator: they would see the emulator, not kjit.)
import shutil
import subprocess
import tempfile
if shutil.which("perf") and not emulator:
    with tempfile.TemporaryDirectory() as d:
        r = subprocess.run(["perf", "record", "-q", "-e", "cpu-clock", "-o", d + "/p", "true"],
                           capture_output=True)
        if r.returncode == 0:
            config.available_features.add("perf")
# `gdb` tests run only where gdb can start and trace a program here.
if shutil.which("gdb") and not emulator:
    r = subprocess.run(["gdb", "-batch", "-ex", "run", "--args", "true"], capture_output=True,
                       text=True, timeout=60)
    if r.returncode == 0 and "exited normally" in r.stdout:
        config.available_features.add("gdb")
config.environment["ASAN_OPTIONS"] = os.environ.get("ASAN_OPTIONS", "")
config.environment["UBSAN_OPTIONS"] = os.environ.get("UBSAN_OPTIONS", "")
# ctest sets KJIT_VERIFY=2 (tests/CMakeLists.txt): the verifier after kjit's
# own changes to the IR too.
config.environment["KJIT_VERIFY"] = os.environ.get("KJIT_VERIFY", "")
# The code cache is off unless the run asks for it (KJIT_CACHE=on and a
# KJIT_CACHE_DIR: tests/README.md); tests of the cache set their own.
config.environment["KJIT_CACHE"] = os.environ.get("KJIT_CACHE", "off")
if os.environ.get("KJIT_CACHE_DIR"):
    config.environment["KJIT_CACHE_DIR"] = os.environ["KJIT_CACHE_DIR"]
# No run starts a kjit --cache-finish of its own after it (it would change a
# test's cache while the test goes on); tests of it run it themselves.
config.environment["KJIT_CACHE_FINISH"] = "0"
