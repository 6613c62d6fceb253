#!/bin/sh
# t/vm/packages-guest.sh DEBDIR - run by t/vm/70-packages.t inside the VM
# (scripts/vm-run --no-module).  The guest's root is the host's, read-only;
# this gives it a writable copy (overlayfs, tmpfs upper layer), chroots
# into it and there installs the three packages from DEBDIR with dpkg,
# lets DKMS build vigil.ko for the running kernel, loads it, runs the
# installed vigild with an installed handler by name on a known workload,
# then purges the packages.  Each step prints a marked line the test
# checks; the first failure ends the script with a non-zero status.
set -eu
DEBDIR=$1
R=/tmp/ov/root

modprobe overlay
mkdir -p /tmp/ov
mount -t tmpfs -o size=600m tmpfs /tmp/ov
mkdir -p /tmp/ov/up /tmp/ov/work $R
mount -t overlay overlay -o lowerdir=/,upperdir=/tmp/ov/up,workdir=/tmp/ov/work $R
mount -t proc proc $R/proc
mount --rbind /sys $R/sys
mount --rbind /dev $R/dev
mount -t tmpfs tmpfs $R/tmp
mount -t tmpfs tmpfs $R/run
# DKMS runs depmod -a, which reads every module of the kernel: thousands
# of files through 9p under emulation, more than 900 s.  Debian's own
# modules are not what is tested here: hide them (an empty tmpfs over
# kernel/; modules.builtin and the build link stay) and depmod reads
# only what DKMS installs.  Modules already loaded stay loaded.
mount -t tmpfs tmpfs "$R/lib/modules/$(uname -r)/kernel"
echo "STEP overlay"

chroot $R /bin/sh -eu -c '
export DEBIAN_FRONTEND=noninteractive PATH=/usr/sbin:/usr/bin:/sbin:/bin
# no man-db index rebuild (minutes under emulation)
rm -f /var/lib/man-db/auto-update
# as on a machine that never had vigil: no configuration left by a
# `make install` on the host (dpkg would ask about the conffile)
rm -rf /etc/vigil
t0=$(date +%s)
dpkg -i '"$DEBDIR"'/libvigil-perl_*.deb '"$DEBDIR"'/vigil_*.deb '"$DEBDIR"'/vigil-dkms_*.deb
echo "STEP installed in $(( $(date +%s) - t0 )) s"
echo "DKMS-STATUS: $(dkms status vigil)"
modinfo -n vigil
modprobe vigil
test -c /dev/vigil
echo "STEP modprobe"
command -v vigild vigilctl vigil-capture
vigild --version
vigild -f --duration 12 -s syscall-top -- --interval 100 --top 0 --syscalls 5 --noclear 2> /tmp/vigild.err > /tmp/vigild.out &
V=$!
i=0; while ! grep -q "tracing" /tmp/vigild.err && [ $i -lt 900 ]; do sleep 0.1; i=$((i+1)); done
sleep 1
dd if=/dev/zero of=/dev/null bs=1 count=3000 2>/dev/null
rc=0; wait $V || rc=$?
cat /tmp/vigild.out
sed "s/^/vigild: /" /tmp/vigild.err
echo "VIGILD-EXIT=$rc"
rmmod vigil
dpkg --purge vigil vigil-dkms libvigil-perl
echo "STEP purged"
echo "DKMS-AFTER: [$(dkms status vigil)]"
echo "MODULES-AFTER: [$(find /lib/modules /var/lib/dkms -name "vigil*" 2>/dev/null)]"
echo "FILES-AFTER: [$(ls -d /usr/sbin/vigild /usr/share/vigil /etc/vigil /usr/src/vigil-* 2>/dev/null || true)]"
'
echo "STEP done"
