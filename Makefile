# postern: plain make, nothing configured by editing this file.
VERSION	= 0.1.0

PREFIX	?= /usr/local
BINDIR	?= $(PREFIX)/bin
MANPREFIX ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
ZSHCOMPDIR ?= $(PREFIX)/share/zsh/site-functions
FISHCOMPDIR ?= $(PREFIX)/share/fish/vendor_completions.d

CC	?= cc
CFLAGS	?= -O2 -g
WERROR	?=
WARN	= -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	  -Wformat=2 -Wno-format-nonliteral $(WERROR)
PKG_CONFIG ?= pkg-config

# What the system has beyond POSIX.1-2008, by `uname -s` (src/compat.h:
# each HAVE_x is a faster or stronger call with a portable path beside
# it).  POSIX=1 hides everything but POSIX.1-2008 and X/Open 7 and sets no
# HAVE_x: the proof, on any system, that the portable paths build and run.
UNAME_S	:= $(shell uname -s 2>/dev/null)
ifeq ($(POSIX),1)
SYS_NAME = posix
SYS_CFLAGS = -D_POSIX_C_SOURCE=200809L -D_XOPEN_SOURCE=700
SYS_HAVE =
else ifeq ($(UNAME_S),Linux)
SYS_NAME = linux
SYS_CFLAGS = -D_GNU_SOURCE
SYS_HAVE = SPLICE PIPE_SIZE PIPE2 SOCK_CLOEXEC ACCEPT4 MSG_NOSIGNAL \
	  GETRANDOM PRCTL EXPLICIT_BZERO GETIFADDRS
else ifeq ($(UNAME_S),Darwin)
SYS_NAME = darwin
SYS_HAVE = SO_NOSIGPIPE ARC4RANDOM GETIFADDRS
else ifeq ($(UNAME_S),FreeBSD)
SYS_NAME = freebsd
SYS_HAVE = PIPE2 SOCK_CLOEXEC ACCEPT4 MSG_NOSIGNAL SO_NOSIGPIPE \
	  GETRANDOM PROCCTL EXPLICIT_BZERO GETIFADDRS
else ifeq ($(UNAME_S),OpenBSD)
SYS_NAME = openbsd
SYS_HAVE = PIPE2 SOCK_CLOEXEC ACCEPT4 MSG_NOSIGNAL ARC4RANDOM \
	  EXPLICIT_BZERO GETIFADDRS
else ifeq ($(UNAME_S),NetBSD)
SYS_NAME = netbsd
SYS_HAVE = PIPE2 SOCK_CLOEXEC ACCEPT4 MSG_NOSIGNAL SO_NOSIGPIPE \
	  ARC4RANDOM GETIFADDRS
else
SYS_NAME = other
endif
SYS_CFLAGS += $(SYS_HAVE:%=-DHAVE_%)
# dlopen() is in libdl on Linux (glibc before 2.34), in libc elsewhere.
DL_LIBS	= $(if $(filter Linux,$(UNAME_S)),-ldl)
SSL_CFLAGS := $(shell $(PKG_CONFIG) --cflags openssl 2>/dev/null)
# How OpenSSL comes in (src/ossl.h):
#   OPENSSL_LINK=lazy     the default: not linked; libcrypto.so.N and
#                         libssl.so.N are dlopen()ed when an https proxy,
#                         Digest or NTLM first needs them, so that a plain
#                         tunnel starts without mapping 5 MB of libraries
#   OPENSSL_LINK=dynamic  linked as usual, loaded at every start
#   OPENSSL_LINK=static   linked into the binary (OPENSSL_STATIC=1 too);
#                         OpenSSL security updates then need a rebuild
# lazy is the default on Linux only: its names are Linux's libcrypto.so.N
# (macOS has .dylib, FreeBSD's base libcrypto.so.30): dynamic elsewhere.
OPENSSL_LINK ?= $(if $(filter 1,$(OPENSSL_STATIC)),static,$(if $(filter Linux,$(UNAME_S)),lazy,dynamic))
SSL_LINKLIBS := $(shell $(PKG_CONFIG) --libs openssl 2>/dev/null || echo -lssl -lcrypto)
OSSL_MAJOR := $(or $(shell $(PKG_CONFIG) --modversion openssl 2>/dev/null | cut -d. -f1),3)
ifeq ($(OPENSSL_LINK),static)
SSL_LIBS := -Wl,-Bstatic $(SSL_LINKLIBS) -Wl,-Bdynamic $(DL_LIBS)
else ifeq ($(OPENSSL_LINK),dynamic)
SSL_LIBS := $(SSL_LINKLIBS)
else ifeq ($(OPENSSL_LINK),lazy)
SSL_LIBS := $(DL_LIBS)
SSL_CFLAGS += -DPOSTERN_OSSL_LAZY \
	  -DOSSL_LIBCRYPTO='"libcrypto.so.$(OSSL_MAJOR)"' \
	  -DOSSL_LIBSSL='"libssl.so.$(OSSL_MAJOR)"'
else
$(error OPENSSL_LINK must be lazy, dynamic or static)
endif
ALL_CFLAGS = -std=c11 $(SYS_CFLAGS) -DPOSTERN_VERSION='"$(VERSION)"' \
	  $(WARN) $(SSL_CFLAGS) $(CFLAGS) $(CPPFLAGS)
LIBS	= $(SSL_LIBS) -lpthread

# Negotiate (Kerberos through GSSAPI, src/gss.h): built in when pkg-config
# finds MIT's krb5-gssapi (Debian: libkrb5-dev), or with NEGOTIATE=1;
# NEGOTIATE=0 leaves it out.  The library is dlopen()ed, never linked.
ifeq ($(origin NEGOTIATE),undefined)
NEGOTIATE := $(if $(shell $(PKG_CONFIG) --exists krb5-gssapi 2>/dev/null && echo y),1,0)
endif
ifeq ($(NEGOTIATE),1)
ALL_CFLAGS += -DPOSTERN_NEGOTIATE \
	  $(shell $(PKG_CONFIG) --cflags krb5-gssapi 2>/dev/null)
LIBS	+= $(DL_LIBS)
endif

# PAC (JavaScript through Duktape, src/pac.h): built in when pkg-config
# finds duktape (Debian: duktape-dev), or with PAC=1; PAC=0 leaves it
# out.  The library is dlopen()ed only in the child process that
# evaluates a PAC, never linked: a tunnel without a PAC never maps it.
ifeq ($(origin PAC),undefined)
PAC := $(if $(shell $(PKG_CONFIG) --exists duktape 2>/dev/null && echo y),1,0)
endif
ifeq ($(PAC),1)
ALL_CFLAGS += -DPOSTERN_PAC $(shell $(PKG_CONFIG) --cflags duktape 2>/dev/null)
LIBS	+= $(DL_LIBS)
endif

SAN_FLAGS = -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined \
	  -fno-sanitize-recover=undefined

SRCS	:= $(sort $(wildcard src/*.c))
LIBSRCS	:= $(filter-out src/main.c,$(SRCS))
UNITSRCS := $(sort $(wildcard tests/unit/t_*.c))

B	= build
OBJS	= $(SRCS:src/%.c=$(B)/obj/%.o)
LIBOBJS	= $(LIBSRCS:src/%.c=$(B)/obj/%.o)
UNITS	= $(UNITSRCS:tests/unit/%.c=$(B)/%)

all: $(B)/postern

# Objects differ by NEGOTIATE: switching it rebuilds them.
NEGO_STAMP = $(B)/obj/.negotiate-$(NEGOTIATE)
$(NEGO_STAMP):
	@mkdir -p $(@D)
	@rm -f $(B)/obj/.negotiate-*
	@touch $@
$(OBJS): $(NEGO_STAMP)

# And by PAC.
PAC_STAMP = $(B)/obj/.pac-$(PAC)
$(PAC_STAMP):
	@mkdir -p $(@D)
	@rm -f $(B)/obj/.pac-*
	@touch $@
$(OBJS): $(PAC_STAMP)

# Objects differ by OPENSSL_LINK: switching it rebuilds them.
OSSL_STAMP = $(B)/obj/.openssl-link-$(OPENSSL_LINK)
$(OSSL_STAMP):
	@mkdir -p $(@D)
	@rm -f $(B)/obj/.openssl-link-*
	@touch $@

# And by system flags (POSIX=1 or not).
SYS_STAMP = $(B)/obj/.system-$(SYS_NAME)
$(SYS_STAMP):
	@mkdir -p $(@D)
	@rm -f $(B)/obj/.system-*
	@touch $@

$(B)/obj/%.o: src/%.c src/*.h $(OSSL_STAMP) $(SYS_STAMP)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Link beside and rename: tests may be running the old binary.
$(B)/postern: $(OBJS)
	$(CC) $(ALL_CFLAGS) $(LDFLAGS) -o $@.tmp $(OBJS) $(LIBS)
	mv -f $@.tmp $@

$(B)/t_%: tests/unit/t_%.c $(LIBOBJS) tests/unit/tap.h
	$(CC) $(ALL_CFLAGS) -Isrc $(LDFLAGS) -o $@ $< $(LIBOBJS) $(LIBS)

units: $(UNITS)

# The sanitizer build lives in its own tree so that both can coexist.
asan:
	$(MAKE) B=build/asan CFLAGS='$(SAN_FLAGS)' LDFLAGS='-fsanitize=address,undefined' \
	    WERROR='$(WERROR)' all units

# The strict POSIX build (POSIX=1) in a tree of its own, for check.
posix:
	$(MAKE) B=build/posix POSIX=1 WERROR='$(WERROR)' all units

# Everything CI runs: dependencies, the three builds (release, sanitizer,
# strict POSIX) with warnings as errors, unit tests and bats suites
# against each, one summary line.
check: deps
	$(MAKE) WERROR=-Werror all units
	$(MAKE) WERROR=-Werror asan
	$(MAKE) WERROR=-Werror posix
	$(MAKE) fuzz-check
	tests/run-tests

deps:
	@tests/deps.sh

# A representative subset under valgrind: no leak, no invalid access.
VALGRIND_SUITES ?= tests/hostile.bats tests/request.bats tests/errors.bats
check-valgrind: all
	@command -v valgrind >/dev/null || { echo "install valgrind"; exit 1; }
	rm -rf build/valgrind-logs && mkdir -p build/valgrind-logs
	POSTERN_REAL=$(CURDIR)/$(B)/postern POSTERN=$(CURDIR)/tests/lib/valgrind-postern \
	    VALGRIND_LOGS=$(CURDIR)/build/valgrind-logs bats --tap $(VALGRIND_SUITES)
	@if grep -l . build/valgrind-logs/* 2>/dev/null; then \
		echo "valgrind reports above"; exit 1; fi

# Not part of check: thousands of tunnels through squid, bounded in time.
soak: all
	tests/soak.sh $(CURDIR)/$(B)/postern

demo: all
	@tests/demo.sh

install: all
	mkdir -p $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANPREFIX)/man1 \
	    $(DESTDIR)$(BASHCOMPDIR) $(DESTDIR)$(ZSHCOMPDIR) $(DESTDIR)$(FISHCOMPDIR)
	install -m 755 $(B)/postern $(DESTDIR)$(BINDIR)/postern
	install -m 644 man/postern.1 $(DESTDIR)$(MANPREFIX)/man1/postern.1
	install -m 644 completions/postern.bash $(DESTDIR)$(BASHCOMPDIR)/postern
	install -m 644 completions/_postern $(DESTDIR)$(ZSHCOMPDIR)/_postern
	install -m 644 completions/postern.fish $(DESTDIR)$(FISHCOMPDIR)/postern.fish

uninstall:
	rm -f $(DESTDIR)$(BINDIR)/postern $(DESTDIR)$(MANPREFIX)/man1/postern.1 \
	    $(DESTDIR)$(BASHCOMPDIR)/postern $(DESTDIR)$(ZSHCOMPDIR)/_postern \
	    $(DESTDIR)$(FISHCOMPDIR)/postern.fish

clean:
	rm -rf build

-include tests/fuzz.mk
-include bench/bench.mk

.PHONY: all units asan posix check check-valgrind soak deps demo install \
	uninstall clean
