# lemu: meson + ninja behind make.
#   make         build everything into build/ (build/lemu-x86_64, build/lemu-i386, ...)
#   make check   build (with -Werror), build the ASan/UBSan tree, run every test suite
#   make run     boot the default guest (Debian kernel + busybox initramfs) on
#                build/lemu-system-x86_64 to a shell on this terminal (Ctrl-A x quits)
#   make run-user run a real program (busybox sh) under build/lemu-x86_64
#   make guest   download/build the default system guest into .cache/guest/ (Debian kernel,
#                busybox initramfs: scripts/prepare-guest.sh)
#   make bench   ratios against native and QEMU (bench/user.sh, bench/boot.sh)
#   make format  clang-format -i over src/ tools/ tests/unit/
# Missing Debian packages are installed by scripts/deps.sh (as root or through sudo).

BUILD      ?= build
ASAN_BUILD ?= build-asan
MESON_OPTS ?=
# Compiler warnings are errors everywhere (make, make check, CI); make WERROR=false to relax.
WERROR     ?= true
RUN_ARGS   ?=
DEPS       := scripts/deps.sh

.PHONY: all build asan check check-harness run run-user bench format clean distclean deps guest

all: build

deps:
	@bash $(DEPS) build

$(BUILD)/build.ninja:
	@bash $(DEPS) build
	meson setup $(BUILD) -Dwerror=$(WERROR) $(MESON_OPTS)

build: $(BUILD)/build.ninja
	@if [ "$$(meson introspect --buildoptions $(BUILD) 2>/dev/null | python3 -c 'import json,sys; print(str([o["value"] for o in json.load(sys.stdin) if o["name"] == "werror"][0]).lower())' 2>/dev/null)" != "$(WERROR)" ]; then \
		meson configure $(BUILD) -Dwerror=$(WERROR); fi
	ninja -C $(BUILD)

$(ASAN_BUILD)/build.ninja:
	@bash $(DEPS) build
	meson setup $(ASAN_BUILD) -Db_sanitize=address,undefined -Dbuildtype=debug -Dwerror=$(WERROR) $(MESON_OPTS)

asan: $(ASAN_BUILD)/build.ninja
	ninja -C $(ASAN_BUILD)

check:
	@bash $(DEPS) test
	@$(MAKE) --no-print-directory build WERROR=true
	@$(MAKE) --no-print-directory asan WERROR=true
	@bash tests/run.sh

# Validate the harness itself: every suite with a pass-through "emulator" that runs natively.
check-harness:
	@bash $(DEPS) test bench
	@LEMU_X86_64=scripts/native-exec LEMU_I386=scripts/native-exec bash tests/run.sh insn user integration

run:
	@bash $(DEPS) run
	@$(MAKE) --no-print-directory build
	@bash scripts/prepare-guest.sh --quiet
	@bash scripts/run-system.sh $(RUN_ARGS)

run-user:
	@bash $(DEPS) run
	@$(MAKE) --no-print-directory build
	@bash scripts/run-demo.sh $(RUN_ARGS)

guest:
	@bash $(DEPS) run
	@bash scripts/prepare-guest.sh

bench:
	@bash $(DEPS) bench
	@$(MAKE) --no-print-directory build
	@bash bench/user.sh
	@bash scripts/prepare-guest.sh --quiet
	@bash bench/boot.sh

format:
	@bash $(DEPS) format
	find $(wildcard src tools tests/unit) -name '*.[ch]' -print0 | xargs -0 -r clang-format -i

clean:
	rm -rf $(BUILD) $(ASAN_BUILD)

distclean: clean
	rm -rf .cache
