# kjit — top-level driver.  `make` builds build/kjit; `make demo` installs
# what is missing, builds and draws the Mandelbrot set; `make test` installs,
# builds and runs every test (the normal and the sanitizer build, then the
# aarch64 build under qemu-user).

BUILD      ?= build
SAN_BUILD  ?= build-san
AARCH64_BUILD ?= build-aarch64
JOBS       ?= $(shell nproc)
APT_PKGS   := llvm-19-dev llvm-19-tools llvm-19-runtime clang-19 lld-19 pkg-config libedit-dev libffi-dev cmake ninja-build python3 \
              csmith libcsmith-dev
SUDO       := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: all deps demo test test-normal test-san test-aarch64 clean bench install fuzz

all: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19

$(SAN_BUILD)/build.ninja:
	cmake -S . -B $(SAN_BUILD) -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_C_COMPILER=clang-19 -DCMAKE_CXX_COMPILER=clang++-19 \
	      -DKJIT_SANITIZE=ON

# Install whatever Debian packages are missing (no-op when all are there).
deps:
	@missing=""; for p in $(APT_PKGS); do \
	  dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  $(SUDO) apt-get update -q && $(SUDO) env DEBIAN_FRONTEND=noninteractive \
	    apt-get install -y -q $$missing; \
	fi

demo: deps
	$(MAKE) all
	$(BUILD)/kjit examples/mandel.ks

test: deps
	$(MAKE) test-normal
	$(MAKE) test-san
	$(MAKE) test-aarch64

test-normal: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)
	cd $(BUILD) && ctest --output-on-failure -j $(JOBS)

# ASan+UBSan build of everything, running the same suite.  LLVM itself is not
# instrumented; JIT'd code is not either.
test-san: $(SAN_BUILD)/build.ninja
	cmake --build $(SAN_BUILD) -j $(JOBS)
	cd $(SAN_BUILD) && ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
	  UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 ctest --output-on-failure -j $(JOBS)

# aarch64 Linux (tests/aarch64/run.sh): qemu-user installed if missing, a
# sysroot of Debian arm64 packages downloaded once into $(AARCH64_BUILD)/sysroot,
# a cross build with clang-19 and lld, and the unit, API and lit suites run
# under qemu-aarch64.  Never the sanitizers (they do not run under qemu).
# Where the packages cannot be downloaded it says so and skips.
test-aarch64:
	sh tests/aarch64/run.sh $(AARCH64_BUILD) $(JOBS)

# The differential fuzzers (tests/fuzz/README.md): SECONDS of Kaleidoscope
# programs, then CFUZZ_SECONDS of C programs (csmith, cgen.py, the --watch
# reload fuzzer; CFUZZ_SECONDS=0 leaves them out), from SEED on; failures,
# minimised, go to FUZZ_OUT (C ones to FUZZ_OUT/c).  FUZZ_JOBS
# configurations run at once (the machine is shared: keep it small).  Both
# run even if the first fails; the target fails if either did.
SECONDS   ?= 60
CFUZZ_SECONDS ?= 60
SEED      ?= 1
FUZZ_OUT  ?= fuzz-out
FUZZ_JOBS ?= 1
fuzz: $(BUILD)/build.ninja
	cmake --build $(BUILD) -j $(JOBS)
	@st=0; \
	python3 tests/fuzz/ksfuzz.py --kjit $(BUILD)/kjit --seconds $(SECONDS) --seed $(SEED) \
	  --out $(FUZZ_OUT) --jobs $(FUZZ_JOBS) || st=1; \
	if [ "$(CFUZZ_SECONDS)" != 0 ]; then \
	  python3 tests/fuzz/cfuzz.py --kjit $(BUILD)/kjit --seconds $(CFUZZ_SECONDS) --seed $(SEED) \
	    --out $(FUZZ_OUT)/c --jobs $(FUZZ_JOBS) || st=1; fi; \
	exit $$st

# Install the kjit command, libkjit (.so and .a), kjit.h, kjit.pc, the CMake
# package and the man page under PREFIX.
PREFIX ?= /usr/local
install: all
	cmake --install $(BUILD) --prefix $(PREFIX)

clean:
	rm -rf $(BUILD) $(SAN_BUILD) $(AARCH64_BUILD)
