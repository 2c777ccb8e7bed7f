# unbrick: one non-recursive GNU make for the library, the programs and the tests.
#
# Honours CC, AR, CFLAGS, CPPFLAGS, LDFLAGS, LDLIBS, PKG_CONFIG, PREFIX,
# DESTDIR (and BINDIR, MANDIR, SYSCONFDIR, DATADIR, DOCDIR, BASHCOMPDIR, UDEVDIR,
# UDEVRULESDIR). Project flags live in
# UB_* variables so that CFLAGS=... on the command line (as Buildroot passes
# it) does not drop them.
#
#   GPIOD=auto|1|2|no   libgpiod API (auto: v2 if pkg-config finds >= 2.0, else v1)
#   IIO=auto|yes|no     libiio 0.x for --check-voltage (auto: when pkg-config finds it)
#   USB=auto|yes|no     libusb-1.0 for real USB devices (auto: when pkg-config finds it)
#   SANITIZE=1          build with ASan and UBSan
#   B=DIR               build directory (default build)
#   V=1                 show the command lines

CC ?= cc
AR ?= ar
PKG_CONFIG ?= pkg-config
CFLAGS ?= -O2 -g
PREFIX ?= /usr/local
BINDIR ?= $(PREFIX)/bin
MANDIR ?= $(PREFIX)/share/man
DATADIR ?= $(PREFIX)/share
SYSCONFDIR ?= /etc
DOCDIR ?= $(DATADIR)/doc/unbrick
BASHCOMPDIR ?= $(DATADIR)/bash-completion/completions
# udev reads rules only from its own directory (never under /usr/local), so
# this one follows udev, not PREFIX.
UDEVDIR ?= $(or $(shell $(PKG_CONFIG) --variable=udevdir udev 2>/dev/null),/usr/lib/udev)
UDEVRULESDIR ?= $(UDEVDIR)/rules.d
INSTALL ?= install
B ?= build
GPIOD ?= auto
IIO ?= auto
USB ?= auto
VERSION := $(shell git describe --tags --always --dirty 2>/dev/null || echo 0.1)

ifeq ($(V),1)
Q :=
else
Q := @
endif

# override: GPIOD=auto on the command line (as a package's rules may pass it) resolves too.
ifeq ($(GPIOD),auto)
override GPIOD := $(shell $(PKG_CONFIG) --atleast-version=2.0 libgpiod 2>/dev/null && echo 2 || \
	   ($(PKG_CONFIG) --exists libgpiod 2>/dev/null && echo 1 || echo no))
endif
# Only the libiio 0.x API is written (1.x renamed its calls: common/voltage_iio.c).
ifeq ($(IIO),auto)
override IIO := $(shell $(PKG_CONFIG) --exists 'libiio < 1.0' 2>/dev/null && echo yes || echo no)
endif
ifeq ($(USB),auto)
override USB := $(shell $(PKG_CONFIG) --exists libusb-1.0 2>/dev/null && echo yes || echo no)
endif

# Optional dependencies. Each one that is on is a backend: its sources join
# the library, its CPPFLAGS turn on its table entry (-DUB_HAVE_GPIOD: the
# gpiod entry of gpio/gpio.c) and pkg-config gives its flags and libraries.
# Another one is a switch above, a BACKENDS line and its three
# BACKEND_name_ lines.
BACKENDS :=
ifneq ($(filter 1 2,$(GPIOD)),)
BACKENDS += gpiod
endif
ifeq ($(IIO),yes)
BACKENDS += iio
endif
ifeq ($(USB),yes)
BACKENDS += libusb
endif
BACKEND_gpiod_SRCS := gpio/gpio_gpiod.c gpio/gpio_gpiod_v$(GPIOD).c
BACKEND_gpiod_CPPFLAGS := -DUB_HAVE_GPIOD
BACKEND_gpiod_PKG := libgpiod
BACKEND_iio_SRCS := common/voltage_iio.c
BACKEND_iio_CPPFLAGS := -DUB_HAVE_IIO
BACKEND_iio_PKG := libiio
BACKEND_libusb_SRCS := usbboot/usb_libusb.c
BACKEND_libusb_CPPFLAGS := -DUB_HAVE_LIBUSB
BACKEND_libusb_PKG := libusb-1.0

BACKEND_SRCS := $(foreach b,$(BACKENDS),$(BACKEND_$(b)_SRCS))
BACKEND_CPPFLAGS := $(foreach b,$(BACKENDS),$(BACKEND_$(b)_CPPFLAGS))
BACKEND_CFLAGS := $(foreach b,$(BACKENDS),$(shell $(PKG_CONFIG) --cflags $(BACKEND_$(b)_PKG)))
BACKEND_LIBS := $(foreach b,$(BACKENDS),$(shell $(PKG_CONFIG) --libs $(BACKEND_$(b)_PKG)))
GPIOD_API := $(if $(filter gpiod,$(BACKENDS)),v$(GPIOD),none)
IIO_BACKEND := $(if $(filter iio,$(BACKENDS)),libiio 0.x,none)
USB_BACKEND := $(if $(filter libusb,$(BACKENDS)),libusb-1.0,none)

INIH_CFLAGS := $(shell $(PKG_CONFIG) --cflags inih)
INIH_LIBS := $(shell $(PKG_CONFIG) --libs inih)
# zlib: CRC-32 (common/crc.c) and the gzip-compressed RAM stubs (common/stub.c);
# libcrypto: SHA-256 (the ECR6600 stub's checksum, uart/ecr6600.c).
DEPS_CFLAGS := $(shell $(PKG_CONFIG) --cflags zlib libcrypto)
DEPS_LIBS := $(shell $(PKG_CONFIG) --libs zlib libcrypto)
CHECK_CFLAGS = $(shell $(PKG_CONFIG) --cflags check)
CHECK_LIBS = $(shell $(PKG_CONFIG) --libs check)

UB_WARN := -Wall -Wextra -Werror
UB_INCLUDES := -Icommon -Igpio -Ispiflash -Iuart -Iconf -Isim -Iusbboot
# 64-bit off_t on 32-bit targets too (armhf): images and dumps past 2 GiB.
UB_CPPFLAGS := -D_GNU_SOURCE -D_FILE_OFFSET_BITS=64 -DUB_VERSION='"$(VERSION)"' -DUB_SYSCONFDIR='"$(SYSCONFDIR)"' \
	       -DUB_DATADIR='"$(DATADIR)"' \
	       $(BACKEND_CPPFLAGS) $(UB_INCLUDES)
UB_CFLAGS := -std=c11 -pthread $(UB_WARN) $(BACKEND_CFLAGS) $(INIH_CFLAGS) $(DEPS_CFLAGS)
ifeq ($(SANITIZE),1)
UB_CFLAGS += -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
UB_LDFLAGS += -fsanitize=address,undefined
endif
ALL_CFLAGS = $(UB_CPPFLAGS) $(CPPFLAGS) $(UB_CFLAGS) $(CFLAGS)
ALL_LDFLAGS = $(UB_LDFLAGS) $(LDFLAGS)
UB_LIBS := $(BACKEND_LIBS) $(INIH_LIBS) $(DEPS_LIBS) -pthread

# Program mains (one file each) and tools.
PROGRAMS := beken-spi gx-upload w800-xmodem ecr-uart ingenic-usbboot
PROGRAM_SRC_beken-spi := spiflash/beken-spi.c
PROGRAM_SRC_gx-upload := uart/gx-upload.c
PROGRAM_SRC_w800-xmodem := uart/w800-xmodem.c
PROGRAM_SRC_ecr-uart := uart/ecr-uart.c
PROGRAM_SRC_ingenic-usbboot := usbboot/ingenic-usbboot.c
TOOLS := uart-sim
PROGRAM_SRC_uart-sim := sim/uart-sim.c
MAIN_SRCS := $(foreach p,$(PROGRAMS) $(TOOLS),$(PROGRAM_SRC_$(p)))
# The programs' shared main (--help, --version, exit statuses): linked into
# each program, not the library, which never prints to stdout nor exits.
SKELETON_SRCS := common/prog.c
SKELETON_OBJS := $(patsubst %.c,$(B)/%.o,$(SKELETON_SRCS))

# Library sources, one line per layer (its API, then its backends); a
# backend that needs an optional library is in BACKEND_name_SRCS above.
LIB_SRCS := common/clock.c common/err.c common/log.c common/parse.c common/image.c common/progress.c common/crc.c common/stub.c
LIB_SRCS += common/backend.c common/options.c common/signals.c common/range.c common/verify.c common/voltage.c
LIB_SRCS += common/datapath.c
LIB_SRCS += conf/config.c
LIB_SRCS += gpio/gpio.c
LIB_SRCS += spiflash/spi.c spiflash/spi_spidev.c spiflash/spi_sim.c spiflash/spi_ch341a.c
LIB_SRCS += spiflash/nor.c spiflash/nor_chips.c spiflash/nor_write.c spiflash/beken.c
LIB_SRCS += uart/port.c uart/port_tty.c uart/net.c uart/port_tcp.c uart/port_rfc2217.c uart/port_sim.c
LIB_SRCS += uart/reset.c uart/gx.c uart/xmodem.c uart/w800_image.c uart/w800.c uart/ecr6600.c
LIB_SRCS += usbboot/usb.c usbboot/usb_sim.c usbboot/ingenic_board.c usbboot/ingenic.c
LIB_SRCS += sim/sim_file.c sim/sim_bk72xx.c sim/sim_gx.c sim/sim_w800.c sim/sim_ecr6600.c sim/sim_uart.c sim/sim_uart_models.c \
	sim/sim_uart_pty.c sim/sim_uart_step.c sim/sim_usb.c sim/sim_usb_models.c sim/sim_ingenic.c \
	sim/sim_ch341a.c
LIB_SRCS += $(BACKEND_SRCS)
LIB := $(B)/libunbrick.a
MANPAGES := $(sort $(wildcard Documentation/*.1)) Documentation/unbrick.conf.5

TESTS := $(patsubst tests/%.c,%,$(sort $(wildcard tests/check_*.c)))

TEST_BINS := $(addprefix $(B)/tests/,$(TESTS))

LIB_OBJS := $(patsubst %.c,$(B)/%.o,$(LIB_SRCS))
DEPS := $(LIB_OBJS:.o=.d) $(SKELETON_OBJS:.o=.d) $(patsubst %.c,$(B)/%.d,$(MAIN_SRCS))

.PHONY: all check check-gpiod2 install uninstall clean distclean features
all: features $(addprefix $(B)/,$(PROGRAMS) $(TOOLS))

features:
	@echo "unbrick $(VERSION): GPIOD=$(GPIOD_API) IIO=$(IIO_BACKEND) USB=$(USB_BACKEND)"

$(B)/%.o: %.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) -MMD -MP -c $< -o $@

$(LIB): $(LIB_OBJS)
	@$(if $(Q),echo "  AR      $@")
	$(Q)rm -f $@ && $(AR) rcs $@ $^

define link_program
$(B)/$(1): $(B)/$(PROGRAM_SRC_$(1):.c=.o) $(if $(filter $(1),$(PROGRAMS)),$(SKELETON_OBJS)) $(LIB)
	@$$(if $$(Q),echo "  LD      $$@")
	$$(Q)$$(CC) $$(ALL_CFLAGS) $$(ALL_LDFLAGS) $$^ $$(UB_LIBS) $$(LDLIBS) -o $$@
endef
$(foreach p,$(PROGRAMS) $(TOOLS),$(eval $(call link_program,$(p))))

# Tests link the library and Check; each tests/check_X.c is one binary.
$(B)/tests/check_%.o: tests/check_%.c
	@mkdir -p $(dir $@)
	@$(if $(Q),echo "  CC      $<")
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -DUB_EXPECT_GPIOD_API='"$(GPIOD_API)"' \
		-DUB_EXPECT_IIO='"$(IIO_BACKEND)"' \
		-DUB_BUILD_DIR='"$(B)"' -MMD -MP -c $< -o $@
TEST_SUPPORT_OBJS := $(patsubst %.c,$(B)/%.o,$(filter-out tests/check_%.c,$(wildcard tests/*.c)))
$(B)/tests/check_%: $(B)/tests/check_%.o $(TEST_SUPPORT_OBJS) $(LIB)
	@$(if $(Q),echo "  LD      $@")
	$(Q)$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) $^ $(UB_LIBS) $(CHECK_LIBS) $(LDLIBS) -o $@
$(TEST_SUPPORT_OBJS): $(B)/tests/%.o: tests/%.c
	@mkdir -p $(dir $@)
	$(Q)$(CC) $(ALL_CFLAGS) $(CHECK_CFLAGS) -DUB_BUILD_DIR='"$(B)"' -MMD -MP -c $< -o $@

# Each suite runs from the project root, so ../shared is the shared data.
check: all $(TEST_BINS)
	@fail=0; for t in $(TEST_BINS); do \
		echo "== $$t"; $$t || fail=1; \
	done; \
	$(MAKE) --no-print-directory check-gpiod2 || fail=1; \
	exit $$fail

# The GPIO backend, and beken-spi, again against libgpiod v2 as unpacked by
# scripts/gpiod2-sysroot (CI does; see Documentation/HACKING).
GPIOD2_SYSROOT ?= build/sysroot-gpiod2
check-gpiod2:
	@pc=$$(find "$(GPIOD2_SYSROOT)" -name libgpiod.pc 2>/dev/null | head -n 1); \
	if [ -z "$$pc" ]; then \
		echo "check-gpiod2: skipped: no libgpiod v2 in $(GPIOD2_SYSROOT) (scripts/gpiod2-sysroot makes it)"; \
		exit 0; \
	fi; \
	pcdir=$$(cd "$$(dirname "$$pc")" && pwd); libdir=$$(dirname "$$pcdir"); \
	echo "== libgpiod v2 from $$libdir"; \
	PKG_CONFIG_PATH="$$pcdir" $(MAKE) --no-print-directory GPIOD=2 B=$(B)/gpiod2 \
		LDFLAGS="$(LDFLAGS) -Wl,-rpath,$$libdir" \
		$(B)/gpiod2/beken-spi $(B)/gpiod2/tests/check_gpiod && \
	$(B)/gpiod2/tests/check_gpiod

# The data directories the programs search; empty: the vendor files are the user's.
DATA_SUBDIRS := gx ingenic w800 ecr6600
INSTALL_DIRS := $(BINDIR) $(MANDIR)/man1 $(MANDIR)/man5 $(DOCDIR) $(BASHCOMPDIR) \
	$(UDEVRULESDIR) $(addprefix $(DATADIR)/unbrick/,$(DATA_SUBDIRS))
# install records the directories it had to create, for uninstall to remove.
CREATED_DIRS := $(DATADIR)/unbrick/.installed-dirs

install: all
	@created=; for d in $(INSTALL_DIRS); do \
		p=; for part in $$(echo "$$d" | tr / ' '); do \
			p=$$p/$$part; \
			[ -d "$(DESTDIR)$$p" ] && continue; \
			$(INSTALL) -d "$(DESTDIR)$$p" || exit 1; \
			created="$$p $$created"; \
		done; \
	done; \
	for p in $$created; do echo "$$p"; done >>"$(DESTDIR)$(CREATED_DIRS)"
	$(INSTALL) -m 0755 $(addprefix $(B)/,$(PROGRAMS)) $(DESTDIR)$(BINDIR)/
	$(INSTALL) -m 0644 Documentation/*.1 $(DESTDIR)$(MANDIR)/man1/
	$(INSTALL) -m 0644 Documentation/*.5 $(DESTDIR)$(MANDIR)/man5/
	$(INSTALL) -m 0644 conf/unbrick.conf.example README.md $(DESTDIR)$(DOCDIR)/
	$(INSTALL) -m 0644 scripts/60-unbrick.rules $(DESTDIR)$(UDEVRULESDIR)/
	for p in $(PROGRAMS); do \
		$(INSTALL) -m 0644 scripts/unbrick-completion.bash $(DESTDIR)$(BASHCOMPDIR)/$$p || exit 1; \
	done

# The files, then the directories install created (deepest first), when empty.
uninstall:
	rm -f $(addprefix $(DESTDIR)$(BINDIR)/,$(PROGRAMS))
	rm -f $(addprefix $(DESTDIR)$(MANDIR)/man1/,$(notdir $(filter %.1,$(MANPAGES)))) \
		$(DESTDIR)$(MANDIR)/man5/unbrick.conf.5
	rm -f $(DESTDIR)$(DOCDIR)/unbrick.conf.example $(DESTDIR)$(DOCDIR)/README.md
	rm -f $(DESTDIR)$(UDEVRULESDIR)/60-unbrick.rules
	rm -f $(addprefix $(DESTDIR)$(BASHCOMPDIR)/,$(PROGRAMS))
	@if [ -f "$(DESTDIR)$(CREATED_DIRS)" ]; then \
		dirs=$$(sort -r -u "$(DESTDIR)$(CREATED_DIRS)"); \
		rm -f "$(DESTDIR)$(CREATED_DIRS)"; \
		for d in $$dirs; do \
			[ ! -d "$(DESTDIR)$$d" ] || rmdir --ignore-fail-on-non-empty "$(DESTDIR)$$d"; \
		done; \
	fi

# The Check suites as an installed test set (Yocto's ptest): run-ptest runs
# them from PTESTDIR, which holds what they read relative to the working
# directory (the man pages, the completion script), against the programs
# `make install` put in BINDIR. PTESTDIR/bin is the suites' one program
# directory (UB_TEST_BINDIR): relative links to those programs, and uart-sim,
# the emulator some suites start, a tool that install leaves out.
PTESTDIR ?= $(PREFIX)/lib/unbrick/ptest
PTEST_RUNNER := scripts/packaging/yocto/files/run-ptest

.PHONY: install-tests
install-tests: $(TEST_BINS) $(B)/uart-sim
	$(INSTALL) -d $(addprefix $(DESTDIR)$(PTESTDIR)/,tests bin Documentation scripts)
	$(INSTALL) -m 0755 $(PTEST_RUNNER) $(DESTDIR)$(PTESTDIR)/run-ptest
	$(INSTALL) -m 0755 $(TEST_BINS) $(DESTDIR)$(PTESTDIR)/tests/
	$(INSTALL) -m 0755 $(B)/uart-sim $(DESTDIR)$(PTESTDIR)/bin/
	for p in $(PROGRAMS); do \
		ln -sfr "$(DESTDIR)$(BINDIR)/$$p" "$(DESTDIR)$(PTESTDIR)/bin/$$p" || exit 1; \
	done
	$(INSTALL) -m 0644 $(MANPAGES) $(DESTDIR)$(PTESTDIR)/Documentation/
	$(INSTALL) -m 0644 scripts/unbrick-completion.bash $(DESTDIR)$(PTESTDIR)/scripts/

clean:
	rm -rf $(B)/*.a $(B)/*.o $(B)/common $(B)/conf $(B)/gpio $(B)/spiflash $(B)/sim \
		$(B)/uart $(B)/usbboot $(B)/tests $(B)/gpiod2 $(addprefix $(B)/,$(PROGRAMS) $(TOOLS))

distclean:
	rm -rf $(B)

-include $(DEPS) $(wildcard $(B)/tests/*.d)
.SECONDARY:
