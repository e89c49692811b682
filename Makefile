# podvolfs: a plain GNU Makefile.
#
#   make                 the daemon, podvolfs-ctl and the mount helper, in $(BUILD)
#   make check           installs missing Debian packages, builds, runs every test
#   make check-asan      the same suite on the ASan+UBSan build (build-asan/)
#   make demo            mounts examples/ at ./mnt and shows the tree
#   make install         daemon, podvolfs-ctl, mount helper and man pages under
#                        $(DESTDIR)$(PREFIX)
#   make bench           benchmarks against native, bindfs, mergerfs, tmpfs, rclone
#                        (QUICK=1: smaller sizes, under 3 minutes; see bench/run)
#   make fuzz            builds the fuzz targets of fuzz/ with clang, libFuzzer,
#                        ASan and UBSan (build-fuzz/) and runs each for
#                        FUZZ_SECONDS; fails on a crash, leak or timeout and
#                        names the input (see fuzz/run, docs/design/fuzzing.md)
#   make stress          stress-ng with --verify and dbench against a disk emptyDir,
#                        a Memory one and a hostPath, STRESS_SECONDS (180) each, and
#                        the daemon's memory after repeated runs (docs/stress.md)

# Installation prefix for the daemon and man pages.
PREFIX ?= /usr/local
# Staging root prepended to every installed path.
DESTDIR ?=
# Where the daemon and podvolfs-ctl go.
SBINDIR ?= $(PREFIX)/sbin
# Where mount(8) looks for fuse.TYPE helpers.
HELPERDIR ?= /sbin
# Man pages.
MANDIR ?= $(PREFIX)/share/man
# Sanitizers, e.g. SANITIZE=address,undefined (builds into build-asan/).
SANITIZE ?=
# Output directory.
ifeq ($(SANITIZE),)
BUILD ?= build
else
BUILD ?= build-asan
endif
# V=1 prints whole compiler command lines.
V ?=
# The compiler of 'make fuzz', which needs libFuzzer (Debian: clang).
FUZZ_CC ?= clang
# Seconds each fuzz target runs in 'make fuzz'.
FUZZ_SECONDS ?= 60
# Seconds of stress per case in make stress (make check gives them 3).
STRESS_SECONDS ?= 180

# Which libfuse: auto (the system's when it is 3.16 or newer, else the
# bundled one if install-deps built it, else the system's without
# passthrough), system (forced, e.g. Debian 12's 3.14: no passthrough), or
# bundled (a static libfuse built once from Debian 13's fuse3 source into
# build-deps/ by tests/lib/build-libfuse, which install-deps runs).
# A build directory keeps the LIBFUSE it was last made with (the first word
# of $(BUILD)/libfuse.used) unless LIBFUSE is given again.
LIBFUSE ?= $(or $(firstword $(shell cat $(BUILD)/libfuse.used 2>/dev/null)),auto)

VERSION := 0.1.0
PKG_CONFIG ?= pkg-config
PKGS := fuse3 libgit2 libnfs yaml-0.1
BUNDLED_FUSE := build-deps/libfuse/usr

# Goals that build nothing themselves: check, demo and bench first install
# what is missing (tests/lib/install-deps) and then build in a sub-make, so
# the libraries are looked for only by goals that compile in this make.
NO_BUILD_GOALS := clean install-deps check test check-asan demo bench fuzz stress uninstall
ifneq ($(filter-out $(NO_BUILD_GOALS),$(or $(MAKECMDGOALS),all)),)
MISSING_PKGS := $(strip $(foreach p,$(PKGS) $(if $(filter unit check,$(MAKECMDGOALS)),cmocka),$(if $(shell $(PKG_CONFIG) --exists $(p) 2>/dev/null && echo y),,$(p))))
ifeq ($(LIBFUSE),bundled)
MISSING_PKGS := $(filter-out fuse3,$(MISSING_PKGS))
endif
ifneq ($(MISSING_PKGS),)
$(error pkg-config finds no $(MISSING_PKGS): run 'make install-deps' as root to install the Debian packages (tests/lib/deps lists them); 'make demo' and 'make check' do that by themselves)
endif
ifeq ($(LIBFUSE),auto)
ifneq ($(shell $(PKG_CONFIG) --atleast-version=3.16 fuse3 && echo y),)
LIBFUSE_USED := system
else ifneq ($(wildcard $(BUNDLED_FUSE)/lib/libfuse3.a),)
LIBFUSE_USED := bundled
else
LIBFUSE_USED := system
$(info note: the system's libfuse is older than 3.16 and build-deps/ holds none: building without FUSE passthrough; 'make install-deps' (as root) builds libfuse 3.17 there)
endif
else ifneq ($(filter system bundled,$(LIBFUSE)),)
LIBFUSE_USED := $(LIBFUSE)
else
$(error LIBFUSE=$(LIBFUSE): say auto, system or bundled)
endif
ifeq ($(LIBFUSE_USED),bundled)
PKGS := $(filter-out fuse3,$(PKGS))
FUSE_DEP := $(BUNDLED_FUSE)/lib/libfuse3.a
FUSE_CFLAGS := -I$(BUNDLED_FUSE)/include/fuse3
FUSE_LIBS := $(FUSE_DEP) -ldl -lrt
endif
DEPS_CFLAGS := $(FUSE_CFLAGS) $(shell $(PKG_CONFIG) --cflags $(PKGS))
DEPS_LIBS := $(FUSE_LIBS) $(shell $(PKG_CONFIG) --libs $(PKGS))
endif

STD := -std=gnu11 -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64
WARN := -Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes \
	-Wwrite-strings -Wvla -Wshadow -Wformat=2 -fno-common
OPT ?= -O2
DEBUG ?= -g
ifneq ($(SANITIZE),)
OPT := -O1
SAN_FLAGS := -fsanitize=$(SANITIZE) -fno-sanitize-recover=all -fno-omit-frame-pointer
endif
FINAL_CFLAGS = $(STD) $(WARN) $(OPT) $(DEBUG) $(SAN_FLAGS) $(CFLAGS) $(DEPS_CFLAGS) \
	-Iinclude -DPODVOLFS_VERSION='"$(VERSION)"' \
	-DPODVOLFS_LIBFUSE='"$(if $(filter bundled,$(LIBFUSE_USED)),bundled static,system)"'
FINAL_LDFLAGS = $(SAN_FLAGS) $(LDFLAGS)
FINAL_LIBS = $(DEPS_LIBS) -lpthread $(LIBS)

ifeq ($(V),)
Q_CC = @printf '  CC      %s\n' $@;
Q_LD = @printf '  LD      %s\n' $@;
Q_AR = @printf '  AR      %s\n' $@;
endif

# src/ctl/ is the client podvolfs-ctl, which links the library.
LIB_SRCS := $(sort $(filter-out src/ctl/%,$(wildcard src/*/*.c)))
LIB_OBJS := $(LIB_SRCS:%.c=$(BUILD)/%.o)
CTL_SRCS := $(sort $(wildcard src/ctl/*.c))
CTL_OBJS := $(CTL_SRCS:%.c=$(BUILD)/%.o)
UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNITS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/unit/%)
HELPER_SRCS := $(sort $(wildcard tests/helpers/*.c))
HELPERS := $(HELPER_SRCS:tests/helpers/%.c=$(BUILD)/tests/helpers/%)
# Each fuzz/<target>.c but common.c is a libFuzzer target.
FUZZ_TARGETS := $(filter-out common,$(basename $(notdir $(wildcard fuzz/*.c))))
# make check replays the fuzz inputs through the targets built by $(CC).
FUZZ_REPLAY_OBJS := $(FUZZ_TARGETS:%=$(BUILD)/fuzz/%.o) $(BUILD)/fuzz/common.o

.PHONY: FORCE all lib unit helpers check test check-asan demo bench stress fuzz fuzz-targets \
	install uninstall install-deps clean

all: $(BUILD)/podvolfs $(BUILD)/podvolfs-ctl

lib: $(BUILD)/libpodvolfs.a

# Objects are made again when the libfuse they were built against changes.
# The file holds LIBFUSE as asked and the libfuse it chose.
$(BUILD)/libfuse.used: FORCE
	@mkdir -p $(dir $@)
	@echo '$(LIBFUSE) $(LIBFUSE_USED)' | cmp -s - $@ || echo '$(LIBFUSE) $(LIBFUSE_USED)' >$@

# Built once, into build-deps/ (make clean leaves it).
$(BUNDLED_FUSE)/lib/libfuse3.a:
	@tests/lib/build-libfuse

$(BUILD)/%.o: %.c $(BUILD)/libfuse.used | $(FUSE_DEP)
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(FINAL_CFLAGS) -MMD -MP -c $< -o $@

$(BUILD)/libpodvolfs.a: $(LIB_OBJS)
	$(Q_AR)$(AR) rcs $@ $^

$(BUILD)/podvolfs: $(BUILD)/src/main.o $(BUILD)/libpodvolfs.a
	$(Q_LD)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(FINAL_LIBS)

$(BUILD)/podvolfs-ctl: $(CTL_OBJS) $(BUILD)/libpodvolfs.a
	$(Q_LD)$(CC) $(FINAL_LDFLAGS) -o $@ $^ $(FINAL_LIBS)

$(BUILD)/tests/unit/%: tests/unit/%.c $(BUILD)/libpodvolfs.a
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(FINAL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) -MMD -MP $< \
		-o $@ $(FINAL_LDFLAGS) $(BUILD)/libpodvolfs.a $(FINAL_LIBS) \
		$(shell $(PKG_CONFIG) --libs cmocka)

# Every target defines LLVMFuzzerTestOneInput: renamed fuzz_<target> here,
# so that one program can replay them all.
$(BUILD)/fuzz/%.o: fuzz/%.c $(BUILD)/libfuse.used | $(FUSE_DEP)
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(FINAL_CFLAGS) -DLLVMFuzzerTestOneInput=fuzz_$* -MMD -MP -c $< -o $@

$(BUILD)/tests/unit/test_fuzz: tests/unit/test_fuzz.c $(FUZZ_REPLAY_OBJS) $(BUILD)/libpodvolfs.a
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(FINAL_CFLAGS) $(shell $(PKG_CONFIG) --cflags cmocka) -MMD -MP $< \
		-o $@ $(FINAL_LDFLAGS) $(FUZZ_REPLAY_OBJS) $(BUILD)/libpodvolfs.a \
		$(FINAL_LIBS) $(shell $(PKG_CONFIG) --libs cmocka)

$(BUILD)/tests/helpers/%: tests/helpers/%.c
	@mkdir -p $(dir $@)
	$(Q_CC)$(CC) $(FINAL_CFLAGS) -MMD -MP $< -o $@ $(FINAL_LDFLAGS) -lpthread

unit: $(UNITS)

helpers: $(HELPERS)

# Installs every Debian package the build and the tests need (needs root).
install-deps:
	@tests/lib/install-deps

check: install-deps
	@$(MAKE) --no-print-directory all unit helpers
	@BUILD=$(BUILD) tests/run

test: check

check-asan:
	@$(MAKE) --no-print-directory check SANITIZE=address,undefined

demo: install-deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) examples/demo

# Timings: never part of check. install-deps brings fio, bindfs, mergerfs, rclone.
bench: install-deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) QUICK=$(QUICK) bench/run

# ---- fuzzing ----
#
# The library and the targets are built by $(FUZZ_CC) with ASan and UBSan
# into build-fuzz/, the library with libFuzzer's coverage instrumentation
# only, each target linked with libFuzzer's main.
FUZZ_BUILD := build-fuzz
FUZZ_SAN := -fsanitize=address,undefined -fno-sanitize-recover=all \
	-fno-omit-frame-pointer
FUZZ_CFLAGS = $(STD) $(WARN) -O1 -g $(FUZZ_SAN) $(CFLAGS) $(DEPS_CFLAGS) \
	-Iinclude -DPODVOLFS_VERSION='"$(VERSION)"'
FUZZ_LIB_OBJS := $(LIB_SRCS:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_BINS := $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz/%)

ifneq ($(filter fuzz-targets $(FUZZ_BUILD)/%,$(MAKECMDGOALS)),)
ifeq ($(shell command -v $(FUZZ_CC) 2>/dev/null),)
$(error no $(FUZZ_CC) for the fuzz targets: run 'make install-deps' as root (tests/lib/deps lists clang); 'make fuzz' does that by itself)
endif
endif

$(FUZZ_BUILD)/%.o: %.c | $(FUSE_DEP)
	@mkdir -p $(dir $@)
	$(Q_CC)$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link -MMD -MP -c $< -o $@

$(FUZZ_BUILD)/libpodvolfs.a: $(FUZZ_LIB_OBJS)
	$(Q_AR)$(AR) rcs $@ $^

$(FUZZ_BINS): $(FUZZ_BUILD)/fuzz/%: $(FUZZ_BUILD)/fuzz/%.o $(FUZZ_BUILD)/fuzz/common.o \
		$(FUZZ_BUILD)/libpodvolfs.a | $(FUZZ_BUILD)/.gitignore
	$(Q_LD)$(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer $(LDFLAGS) -o $@ $^ $(FINAL_LIBS)

# build-fuzz/ keeps corpora and crashes between runs: git is told to ignore it.
$(FUZZ_BUILD)/.gitignore:
	@mkdir -p $(dir $@)
	@echo '*' >$@

fuzz-targets: $(FUZZ_BINS)

fuzz: install-deps
	@$(MAKE) --no-print-directory fuzz-targets
	@FUZZ_BUILD=$(FUZZ_BUILD) FUZZ_SECONDS=$(FUZZ_SECONDS) fuzz/run $(FUZZ_TARGETS)

# The stress cases for minutes each, in three rounds after the warm-up:
# never part of check. A case is given twice its seconds and 5 minutes.
stress: install-deps
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) STRESS_SECONDS=$(STRESS_SECONDS) STRESS_ROUNDS=3 \
		CASE_TIMEOUT=$$((2 * $(STRESS_SECONDS) + 300)) tests/run stress/

install: all
	install -D -m 0755 $(BUILD)/podvolfs $(DESTDIR)$(SBINDIR)/podvolfs
	@# mount(8) runs helpers with its own PATH: name the daemon by its path.
	sed 's|^PODVOLFS=.*|PODVOLFS=$${PODVOLFS:-$(SBINDIR)/podvolfs}|' \
		mount-helpers/mount.fuse.podvolfs >$(BUILD)/mount.fuse.podvolfs
	install -D -m 0755 $(BUILD)/mount.fuse.podvolfs $(DESTDIR)$(HELPERDIR)/mount.fuse.podvolfs
	install -D -m 0644 docs/podvolfs.8 $(DESTDIR)$(MANDIR)/man8/podvolfs.8
	install -D -m 0755 $(BUILD)/podvolfs-ctl $(DESTDIR)$(SBINDIR)/podvolfs-ctl
	install -D -m 0644 docs/podvolfs-ctl.8 $(DESTDIR)$(MANDIR)/man8/podvolfs-ctl.8
	install -D -m 0644 docs/mount.fuse.podvolfs.8 $(DESTDIR)$(MANDIR)/man8/mount.fuse.podvolfs.8
	install -D -m 0755 mount-helpers/podvolfs-bind $(DESTDIR)$(SBINDIR)/podvolfs-bind
	install -D -m 0644 docs/podvolfs-bind.8 $(DESTDIR)$(MANDIR)/man8/podvolfs-bind.8

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/podvolfs $(DESTDIR)$(HELPERDIR)/mount.fuse.podvolfs \
		$(DESTDIR)$(MANDIR)/man8/podvolfs.8 $(DESTDIR)$(MANDIR)/man8/mount.fuse.podvolfs.8 \
		$(DESTDIR)$(SBINDIR)/podvolfs-bind $(DESTDIR)$(MANDIR)/man8/podvolfs-bind.8 \
		$(DESTDIR)$(SBINDIR)/podvolfs-ctl $(DESTDIR)$(MANDIR)/man8/podvolfs-ctl.8

clean:
	rm -rf build build-asan $(FUZZ_BUILD)

-include $(LIB_OBJS:.o=.d) $(CTL_OBJS:.o=.d) $(BUILD)/src/main.d $(UNITS:=.d) $(HELPERS:=.d) \
	$(FUZZ_REPLAY_OBJS:.o=.d) $(FUZZ_LIB_OBJS:.o=.d) $(FUZZ_BINS:=.d) \
	$(FUZZ_BUILD)/fuzz/common.d
