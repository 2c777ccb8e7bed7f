SUMMARY = "Programs that flash IoT chips over SPI, UART and USB"
DESCRIPTION = "beken-spi (BK72xx over SPI), gx-upload (GX set-top boxes), \
w800-xmodem (W800/W600), ecr-uart (ECR6600) and ingenic-usbboot (Ingenic \
T20/T31/T41 in USB boot), with udev rules, man pages and bash completions. \
The ptest package runs the project's Check suites against the installed \
programs."
SECTION = "devel"
LICENSE = "MIT"
LIC_FILES_CHKSUM = "file://debian/copyright;md5=43ddf804d9db890b7d9d4a222f99cee3"

# The project has no public address yet: point UNBRICK_GIT_URI at its
# repository (in local.conf or a bbappend), or build a checkout with
# externalsrc (EXTERNALSRC:pn-unbrick = "/path/to/unbrick").
UNBRICK_GIT_URI ?= "git://git.example.org/unbrick.git;protocol=https;branch=main"
SRC_URI = "${UNBRICK_GIT_URI}"
SRCREV = "${AUTOREV}"
# Releases before 4.3 (nanbield) need "0.1+git${SRCPV}", and before 5.1
# (styhead) S = "${WORKDIR}/git".
PV = "0.1+git"

# libgpiod: the Makefile's GPIOD=auto builds against whichever API (1.x or
# 2.x) the layer provides. libcheck only for the ptest suites.
DEPENDS = "libgpiod libinih zlib openssl"
DEPENDS += "${@bb.utils.contains('PTEST_ENABLED', '1', 'libcheck', '', d)}"

inherit pkgconfig ptest bash-completion

# usb: real USB devices for ingenic-usbboot (libusb-1.0); iio: --check-voltage
# on an IIO ADC (libiio, the 0.x API).
PACKAGECONFIG ??= "usb"
PACKAGECONFIG[usb] = "USB=yes,USB=no,libusb1"
PACKAGECONFIG[iio] = "IIO=yes,IIO=no,libiio"

# CC, AR, CFLAGS, LDFLAGS and pkg-config come from the environment. PREFIX at
# build time too: the programs search PREFIX/share/unbrick. B=build is the
# Makefile's build directory (under ${S}), which do_compile_ptest names.
# UB_WARN: the project's warnings without -Werror, so that a newer compiler's
# new warning does not stop an image build.
EXTRA_OEMAKE = " \
    PREFIX=${prefix} \
    BINDIR=${bindir} \
    DATADIR=${datadir} \
    MANDIR=${mandir} \
    SYSCONFDIR=${sysconfdir} \
    UDEVDIR=${nonarch_base_libdir}/udev \
    PTESTDIR=${PTEST_PATH} \
    VERSION=${PV} \
    GPIOD=auto \
    B=build \
    UB_WARN='-Wall -Wextra' \
    ${PACKAGECONFIG_CONFARGS} \
"

do_compile() {
    oe_runmake all
}

# The suites (build/tests/check_*, one per tests/check_*.c) and uart-sim,
# the emulator some of them start.
do_compile_ptest() {
    oe_runmake $(cd ${S} && ls tests/check_*.c | sed 's|^tests/\(.*\)\.c$|build/tests/\1|') build/uart-sim
}

# make install records the directories it created, for make uninstall; the
# package manager keeps its own list.
do_install() {
    oe_runmake DESTDIR=${D} install
    rm -f ${D}${datadir}/unbrick/.installed-dirs
}

# The suites, uart-sim, the files the suites read, links to the installed
# programs, and run-ptest (scripts/packaging/yocto/files/run-ptest) in
# ${PTEST_PATH}.
do_install_ptest() {
    oe_runmake DESTDIR=${D} install-tests
}

# check_completion runs bash with the installed completion script.
RDEPENDS:${PN}-ptest += "bash"
