# vigil top-level Makefile
#
#   make              build the kernel module, the daemon and the Perl module
#   make test         build, then run the whole test suite (prove -r t/,
#                     TEST_JOBS files at once; see below)
#   make install      install (DESTDIR=..., PREFIX=/usr/local)
#   make userspace    everything but the kernel module (no kernel headers needed)
#   make install-userspace   install all of it but the module
#   make deb          Debian packages vigil, libvigil-perl, vigil-dkms in build/deb/
#   make test-packages   make deb, then install, use and purge them in the VM
#   make clean        remove everything the build made
#   make bench        run scripts/bench (or every program in scripts/bench/)
#   make fuzz         build the libFuzzer harnesses of fuzz/ (clang-14) and
#                     run each FUZZ_SECONDS (60); fails on any finding
#
# Long runs, never part of "make test" (docs/kernels.md):
#   make test-debug-kernel  the VM suite on the KASAN/lockdep/kmemleak kernel
#                           (scripts/build-debug-kernel builds it once, cached)
#   make test-kernels       vigil.ko W=1 + the VM suite on each kernel of
#                           TEST_KERNELS (default: host 6.1-rt 6.12 6.12-rt)
#   TESTS=t/vm/NN-x.t picks a subset for either.
#   make stress             kmod/tools/vigil-stress for STRESS_SECONDS (600)
#                           in the VM on STRESS_KERNEL (default: debug)
#   make soak               vigild for SOAK_SECONDS (1800) in the VM, memory
#                           and descriptors sampled (build/soak.txt)
#
# KDIR=/path/to/kernel/build overrides the kernel tree the module builds
# against (kmod/Makefile picks the running kernel's, else the newest one
# in /lib/modules).  Each part is built only once its Makefile exists.

PREFIX	?= /usr/local
DESTDIR	?=
# vigild reads /etc/vigil/vigil.yaml whatever PREFIX is.
SYSCONFDIR ?= /etc
PERL	?= perl
PROVE	?= prove
POD2MAN	?= pod2man
# the project's one version (t/daemon/12-version.t checks the copies)
VERSION	:= $(shell cat VERSION)

export PREFIX DESTDIR

KMOD_MK		:= $(wildcard kmod/Makefile)
DAEMON_MK	:= $(wildcard daemon/Makefile)
PERL_MK		:= $(wildcard Makefile.PL)
KDIR_ARG	:= $(if $(KDIR),KDIR=$(KDIR))

MAN_PODS	:= $(wildcard docs/*.[1-8].pod)
HANDLERS	:= $(wildcard handlers/*.pl)
SERVICE		:= $(wildcard daemon/vigild/vigild.service)

.PHONY: all kmod daemon perl test install install-man install-handlers \
	install-service install-config install-userspace userspace kmod-tools deb test-packages clean bench fuzz \
	test-debug-kernel test-kernels stress soak

all: kmod daemon perl

# What needs no kernel build tree: the daemon, the Perl module and
# vigil-capture (the Debian packages build this; DKMS builds the module).
userspace: daemon perl kmod-tools

kmod-tools:
ifneq ($(KMOD_MK),)
	$(MAKE) -C kmod tools
endif

kmod:
ifneq ($(KMOD_MK),)
	$(MAKE) -C kmod $(KDIR_ARG)
endif

daemon:
ifneq ($(DAEMON_MK),)
	$(MAKE) -C daemon
endif

# Makefile.PL writes Makefile.perl (MAKEFILE => 'Makefile.perl') so it
# never overwrites this file.
# It links daemon/build/libvigilcore.a, so it is built after the daemon
# (never two makes in daemon/ at once), and is regenerated when
# Makefile.PL or the set of modules under perl/lib changes.
PERL_PMS	:= $(shell find perl/lib -name '*.pm' 2>/dev/null)
ifneq ($(PERL_MK),)
perl: Makefile.perl daemon
	$(MAKE) -f Makefile.perl

Makefile.perl: Makefile.PL $(PERL_PMS)
	$(PERL) Makefile.PL
	@test -f Makefile.perl || { echo "Makefile.PL did not write Makefile.perl" >&2; exit 1; }
else
perl:
endif

# make test runs TEST_JOBS test files at once (default: the CPUs, at most 2).
# A VM test keeps one core busy for most of its run and scripts/vm-run lets
# only as many guests run as there are CPUs, so two jobs roughly halve the
# suite's time on the 2-core build machines.  The host tracepoint tests
# (t/kernel: vigild on the host's own perf events, counting workloads'
# syscalls) run one after another, never two at once, so one test's workload
# never shows up in another's counts.
TEST_JOBS ?= $(shell n=$$(nproc 2>/dev/null || echo 1); [ $$n -gt 2 ] && n=2; echo $$n)
PROVE_RULES = --rules='seq=t/kernel/*.t' --rules='par=**'
test: all
	$(PROVE) -r -j$(TEST_JOBS) $(PROVE_RULES) --timer t/

TEST_KERNELS ?= host 6.1-rt 6.12 6.12-rt
test-debug-kernel: all
	scripts/test-kernels debug

test-kernels: all
	scripts/test-kernels $(TEST_KERNELS)

# The long hostile-user-space run (issue 9); t/vm/70-stress-smoke.t is the
# short one in "make test".  The debug kernel is built first if needed.
# make soak: vigild over SOAK_SECONDS in the VM (t/vm/71-soak.t: memory,
# descriptors, discards sampled each minute; the table in build/soak.txt)
SOAK_SECONDS ?= 1800
soak: all
	@mkdir -p build
	VIGIL_SOAK_SECONDS=$(SOAK_SECONDS) VIGIL_SOAK_REPORT=$(CURDIR)/build/soak.txt \
		prove -v t/vm/71-soak.t

STRESS_SECONDS ?= 600
STRESS_KERNEL ?= debug
stress: all
	@if [ "$(STRESS_KERNEL)" = debug ]; then scripts/build-debug-kernel >/dev/null; fi
	@kver=$$(scripts/vm-run --kernel $(STRESS_KERNEL) --show | sed -n 's/^kver=//p'); \
	kdir=$$(scripts/vm-run --kernel $(STRESS_KERNEL) --show | sed -n 's/^kdir=//p'); \
	$(MAKE) -C kmod module KDIR=$$kdir KOUT=build/kmod-$$kver
	VIGIL_STRESS_SECONDS=$(STRESS_SECONDS) VIGIL_VM_KERNEL=$(STRESS_KERNEL) \
		$(PROVE) -v t/vm/70-stress-smoke.t

install: all install-userspace
ifneq ($(KMOD_MK),)
	$(MAKE) -C kmod $(KDIR_ARG) install-module INSTALL_MOD_PATH=$(DESTDIR)
endif

install-userspace: userspace install-handlers install-man install-config
ifneq ($(KMOD_MK),)
	$(MAKE) -C kmod install-tools DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
endif
ifneq ($(DAEMON_MK),)
	$(MAKE) -C daemon install DESTDIR=$(DESTDIR) PREFIX=$(PREFIX)
endif
ifneq ($(PERL_MK),)
	$(MAKE) -f Makefile.perl install DESTDIR=$(DESTDIR) $(PERL_INSTALL_ARGS)
endif
	$(MAKE) install-service

# Where the Perl module goes: perl's own site directories for /usr/local
# (already in @INC), its vendor directories for /usr, else under PREFIX
# (add $(PREFIX)/lib/perl5 to PERL5LIB).
ifeq ($(PREFIX),/usr/local)
PERL_INSTALL_ARGS :=
else ifeq ($(PREFIX),/usr)
PERL_INSTALL_ARGS := INSTALLDIRS=vendor
else
PERL_INSTALL_ARGS := INSTALLSITELIB=$(PREFIX)/lib/perl5 INSTALLSITEARCH=$(PREFIX)/lib/perl5 \
	INSTALLSITEMAN3DIR=$(PREFIX)/share/man/man3 INSTALLSITEMAN1DIR=$(PREFIX)/share/man/man1 \
	INSTALLSITEBIN=$(PREFIX)/bin INSTALLSITESCRIPT=$(PREFIX)/bin
endif

# The configuration file: never overwrite one that is there (it may be
# edited); the shipped one is put beside it as vigil.yaml.new.  Root's
# only (0600): what it says runs as root (docs/security.md).
CONF := $(DESTDIR)$(SYSCONFDIR)/vigil/vigil.yaml
install-config:
	@if [ -f $(CONF) ] && ! cmp -s etc/vigil.yaml $(CONF); then \
		install -m 0600 etc/vigil.yaml $(CONF).new; \
		echo "install-config: $(CONF) exists and differs: kept it, wrote $(CONF).new"; \
	else \
		install -D -m 0600 etc/vigil.yaml $(CONF); \
	fi

# Debian packages, built from a copy of the tracked and new (not ignored)
# files in build/deb/src, so this tree's own build is left alone;
# dpkg-buildpackage puts the packages in build/deb/.
deb:
	scripts/install-deps --deb
	rm -rf build/deb && mkdir -p build/deb/src
	git ls-files -z -co --exclude-standard | grep -zv '^build/' | \
		xargs -0 tar -cf - | tar -xf - -C build/deb/src
	cd build/deb/src && dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning build/deb/*.changes
	@ls build/deb/*.deb

# The packages for real in the VM (t/vm/70-packages.slow, not in make
# test: over 15 min under emulation, see the file): dpkg -i, DKMS
# build, modprobe, the installed vigild, dpkg --purge.
test-packages: deb
	$(PROVE) -v t/vm/70-packages.slow

install-handlers:
ifneq ($(HANDLERS),)
	install -d $(DESTDIR)$(PREFIX)/share/vigil/handlers
	install -m 0644 $(HANDLERS) $(DESTDIR)$(PREFIX)/share/vigil/handlers/
endif

# docs/NAME.N.pod -> $(PREFIX)/share/man/manN/NAME.N.  The pages are
# written for the default PREFIX: their /usr/local/ paths become
# $(PREFIX)/ here, so an installed page names where things really are
# (t/install/10-layout.t checks every path of every page exists).
install-man:
	@set -e; for pod in $(MAN_PODS); do \
		base=$$(basename $$pod .pod); sect=$${base##*.}; name=$${base%.*}; \
		install -d $(DESTDIR)$(PREFIX)/share/man/man$$sect; \
		echo "pod2man $$pod -> share/man/man$$sect/$$base"; \
		sed 's|/usr/local/|$(PREFIX)/|g' $$pod | \
		$(POD2MAN) --section=$$sect --name=$$(echo $$name | tr a-z A-Z) \
			--center=vigil --release="vigil $(VERSION)" \
			--date=$$(date -u -r $$pod +%Y-%m-%d) \
			> $(DESTDIR)$(PREFIX)/share/man/man$$sect/$$base; \
	done

# daemon/Makefile installs vigild.service into $(PREFIX)/lib/systemd/system;
# make its ExecStart follow PREFIX (the unit names /usr/local/sbin/vigild).
# If the daemon's install did not install it, install it here.
UNIT := $(DESTDIR)$(PREFIX)/lib/systemd/system/vigild.service
install-service:
ifneq ($(SERVICE),)
	@if [ ! -f $(UNIT) ]; then install -D -m 0644 $(SERVICE) $(UNIT); fi
	sed -i 's|/usr/local/|$(PREFIX)/|g; s|@PREFIX@|$(PREFIX)|g' $(UNIT)
endif

clean:
ifneq ($(KMOD_MK),)
	$(MAKE) -C kmod $(KDIR_ARG) clean
endif
ifneq ($(DAEMON_MK),)
	$(MAKE) -C daemon clean
endif
	$(MAKE) -C fuzz clean
	@if [ -f Makefile.perl ]; then $(MAKE) -f Makefile.perl clean >/dev/null; fi
	rm -f Makefile.perl Makefile.perl.old MYMETA.json MYMETA.yml pm_to_blib
	rm -rf blib build

# libFuzzer with ASan+UBSan on the parsers of untrusted input (fuzz/Makefile,
# docs/security.md).  The daemon's build makes the generated headers.
FUZZ_SECONDS ?= 60
fuzz: daemon
	$(MAKE) -C fuzz run FUZZ_SECONDS=$(FUZZ_SECONDS)

# scripts/bench is either one program or a directory of them (each run).
bench: all
	@if [ -f scripts/bench ] && [ -x scripts/bench ]; then scripts/bench; \
	elif [ -d scripts/bench ]; then \
		set -e; n=0; for b in scripts/bench/*; do \
			[ -f "$$b" ] && [ -x "$$b" ] || continue; \
			echo "== $$b"; "$$b"; n=$$((n + 1)); \
		done; \
		[ $$n -gt 0 ] || { echo "no executable benchmarks in scripts/bench/" >&2; exit 1; }; \
	else echo "scripts/bench does not exist yet" >&2; exit 1; fi
