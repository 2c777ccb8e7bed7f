################################################################################
#
# unbrick
#
################################################################################

# The package lives in the project's tree (scripts/packaging/buildroot is a
# br2-external tree): the source is the tree it belongs to. A release would
# set UNBRICK_SITE to its tarball's URL and add an unbrick.hash.
UNBRICK_VERSION = 0.1
UNBRICK_SITE = $(BR2_EXTERNAL_UNBRICK_PATH)/../../..
UNBRICK_SITE_METHOD = local
UNBRICK_LICENSE = MIT
UNBRICK_DEPENDENCIES = host-pkgconf inih zlib openssl

# The Makefile's GPIOD=, IIO= and USB= switches, set from the configuration
# rather than from what pkg-config happens to find in staging.
ifeq ($(BR2_PACKAGE_LIBGPIOD2),y)
UNBRICK_DEPENDENCIES += libgpiod2
UNBRICK_MAKE_OPTS += GPIOD=2
else ifeq ($(BR2_PACKAGE_LIBGPIOD),y)
UNBRICK_DEPENDENCIES += libgpiod
UNBRICK_MAKE_OPTS += GPIOD=1
else
UNBRICK_MAKE_OPTS += GPIOD=no
endif

ifeq ($(BR2_PACKAGE_LIBIIO),y)
UNBRICK_DEPENDENCIES += libiio
UNBRICK_MAKE_OPTS += IIO=yes
else
UNBRICK_MAKE_OPTS += IIO=no
endif

ifeq ($(BR2_PACKAGE_LIBUSB),y)
UNBRICK_DEPENDENCIES += libusb
UNBRICK_MAKE_OPTS += USB=yes
else
UNBRICK_MAKE_OPTS += USB=no
endif

# PREFIX at build time too: the programs search PREFIX/share/unbrick.
# VERSION: the copied source has no .git for `git describe`.
# B: a build directory of its own, so that objects the local source tree
# already holds (rsynced with it) are never linked.
# UB_WARN: the project's warnings without -Werror, so that a newer target
# compiler's new warning does not stop an image build.
UNBRICK_MAKE_OPTS += \
	PREFIX=/usr \
	UDEVDIR=/usr/lib/udev \
	VERSION=$(UNBRICK_VERSION) \
	B=br-build \
	UB_WARN="-Wall -Wextra"

define UNBRICK_BUILD_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(TARGET_CONFIGURE_OPTS) \
		$(UNBRICK_MAKE_OPTS) all
endef

# make install records the directories it created for make uninstall; a
# target image has no use for that list.
define UNBRICK_INSTALL_TARGET_CMDS
	$(TARGET_MAKE_ENV) $(MAKE) -C $(@D) $(TARGET_CONFIGURE_OPTS) \
		$(UNBRICK_MAKE_OPTS) DESTDIR=$(TARGET_DIR) install
	rm -f $(TARGET_DIR)/usr/share/unbrick/.installed-dirs
endef

$(eval $(generic-package))
