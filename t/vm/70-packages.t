#!/usr/bin/perl
# The Debian packages, for real, in the VM: on a writable overlay of the
# guest's root, `dpkg -i` of vigil, libvigil-perl and vigil-dkms builds
# vigil.ko through DKMS for the running kernel; `modprobe vigil` loads it;
# the installed vigild runs the installed handler syscall-top by name and
# counts a known workload (dd: 3000 one-byte reads and writes); `dpkg
# --purge` removes everything (no module left in /lib/modules, DKMS knows
# nothing of vigil).  The packages are those `make deb` left in build/deb/
# (`make test-packages` builds them and runs this test); without them the
# test skips, and fails under CI.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use Time::HiRes qw(time);
use VigilVM;

vm_skip_unless_available('Debian packages test', module => 0);
my $root = VigilVM::repo_root();
my $debdir = "$root/build/deb";
my @debs = map { glob("$debdir/${_}_*.deb") } qw(vigil libvigil-perl vigil-dkms);
if (@debs != 3) {
    my $why = "no packages in $debdir (run make deb, or make test-packages)";
    if ($ENV{CI}) { plan tests => 1; fail($why); exit 1 }
    plan skip_all => $why;
}
chomp(my $version = do { open my $fh, '<', "$root/VERSION" or die; <$fh> });
like($_, qr{_\Q$version\E[-_]}, "$_ is of version $version") for @debs;

my $t0 = time;
my $r = vm_run(cmd => "sh t/vm/packages-guest.sh $debdir", module => 0,
               timeout => 900, mem => 1536);
my $took = time - $t0;
diag(sprintf 'VM run: %.0f s', $took);
my $out = $r->{output};
ok($r->{ok}, 'the guest script passed (no kernel warnings)') or diag("$out\n$r->{stderr}");
like($out, qr/^STEP overlay$/m, 'writable overlay over the read-only root');
like($out, qr/^STEP installed in \d+ s$/m, 'dpkg -i installed the three packages');
like($out, qr{^DKMS-STATUS: vigil/\Q$version\E, \S+, x86_64: installed$}m,
     'DKMS built and installed vigil.ko for the running kernel');
like($out, qr{^/lib/modules/\S+/updates/dkms/vigil\.ko}m, 'modinfo: the module is DKMS\'s');
like($out, qr/^STEP modprobe$/m, 'modprobe vigil loaded it (/dev/vigil)');
like($out, qr{^/usr/sbin/vigild$}m, 'vigild is /usr/sbin/vigild');
like($out, qr/^vigild \Q$version\E$/m, 'vigild --version');
like($out, qr/^VIGILD-EXIT=0$/m, 'the installed vigild ran syscall-top by name and exited 0')
    or diag($out);
like($out, qr{^vigild: .*/usr/share/vigil/handlers/syscall-top\.pl}m,
     '... the installed handler') ;
my ($row) = $out =~ /^(\s*\d+\s+dd\s+\d+.*)$/m;
ok(defined $row, 'syscall-top has a row for dd') or diag($out);
my ($reads) = ($row // '') =~ /\bread:(\d+)/;
my ($writes) = ($row // '') =~ /\bwrite:(\d+)/;
cmp_ok($reads // 0, '>=', 3000, 'at least 3000 reads counted');
cmp_ok($writes // 0, '>=', 3000, 'at least 3000 writes counted');
like($out, qr/^STEP purged$/m, 'dpkg --purge removed the packages');
like($out, qr/^DKMS-AFTER: \[\]$/m, 'DKMS knows nothing of vigil any more');
like($out, qr/^MODULES-AFTER: \[\]$/m, 'no vigil module left in /lib/modules or /var/lib/dkms');
like($out, qr/^FILES-AFTER: \[\]$/m, 'no vigild, handlers, /etc/vigil or module source left');
like($out, qr/^STEP done$/m, 'the script ran to its end');

done_testing;
