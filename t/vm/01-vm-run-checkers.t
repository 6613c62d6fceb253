#!/usr/bin/perl
# Every kernel checker whose report must fail a VM run really does: a test
# module (t/kmod-splat/vigil_splat.ko) makes the booted kernel report a
# WARNING, a list corruption and -- on a kernel that has them, like the
# debug kernel of scripts/build-debug-kernel -- a KASAN use-after-free, a
# UBSAN out-of-bounds index, "sleeping function called from invalid
# context", "suspicious RCU usage", a lockdep circular dependency and a
# kmemleak leak (found by the scan vm-run makes after the command).  Each
# report is checked to fail the run on its own with scripts/vm-run
# --check-log.  On the debug kernel (VIGIL_VM_KERNEL=debug) every checker
# must be there; on another kernel the ones it lacks are skipped by name.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use Test::More;
use VigilVM;

vm_skip_unless_available('kernel checker test', module => 0);
my $k = VigilVM::vm_kernel();
my $root = VigilVM::repo_root();
my $debug = ($ENV{VIGIL_VM_KERNEL} // '') eq 'debug';

# the kernel's config: which checkers it has
my %cfg;
if ($k->{config} && open my $cf, '<', $k->{config}) {
    while (<$cf>) { $cfg{$1} = $2 if /^(CONFIG_\w+)=(.*)$/ }
}
ok(%cfg, "the kernel's config is readable ($k->{config})") or BAIL_OUT('no kernel config');

# Build the test module against the booted kernel's tree.
# (in build/: the guest covers /tmp with its own tmpfs)
mkdir "$root/build";
my $dir = tempdir('t01-splat-XXXXXX', DIR => "$root/build", CLEANUP => 1);
copy($_, "$dir/") or die "copy $_: $!" for glob("$root/t/kmod-splat/*");
my $out = `make -C '$k->{kdir}' M='$dir' modules 2>&1`;
is($?, 0, "the test module builds against $k->{kdir}") or BAIL_OUT($out);
my $ko = "$dir/vigil_splat.ko";

# name, the config option the checker needs, the report's first line.
# Order matters: a lockdep report switches lockdep (and the RCU checks)
# off, and a KASAN report taints the kernel, which does too.
my @checkers = (
    [ rcu      => 'CONFIG_PROVE_RCU',           qr/WARNING: suspicious RCU usage/ ],
    [ lockdep  => 'CONFIG_PROVE_LOCKING',       qr/WARNING: possible circular locking dependency detected/ ],
    [ sleep    => 'CONFIG_DEBUG_ATOMIC_SLEEP',  qr/BUG: sleeping function called from invalid context/ ],
    [ ubsan    => 'CONFIG_UBSAN_BOUNDS',        qr/UBSAN: array-index-out-of-bounds/ ],
    [ warn     => 'CONFIG_BUG',                 qr/WARNING: .*vigil_splat/ ],
    [ kasan    => 'CONFIG_KASAN',               qr/BUG: KASAN: (slab-)?use-after-free in splat_init/ ],
    [ kmemleak => 'CONFIG_DEBUG_KMEMLEAK',      qr/unreferenced object 0x/ ],
    # last: with CONFIG_BUG_ON_DATA_CORRUPTION (Debian) it is an oops that
    # kills insmod and leaves the module half-loaded
    [ list     => 'CONFIG_DEBUG_LIST',          qr/list_add double add/ ],
);
my @run = grep { $cfg{ $_->[1] } } @checkers;
for my $c (grep { !$cfg{ $_->[1] } } @checkers) {
    if ($debug) {
        fail("the debug kernel has $c->[1] (for the $c->[0] check)");
    } else {
        note("$k->{kver} has no $c->[1]: the $c->[0] check is not run on it");
    }
}

# One VM run provokes them all, one insmod/rmmod each.
my $cmd = join("\n", map {
    "insmod $ko what=$_->[0] && rmmod vigil_splat; echo \"splat $_->[0] \$?\"" } @run);
my $r = vm_run(cmd => $cmd, module => 0, timeout => 300, quiet => 1);
is($r->{exit}, 123, 'the run fails because of the kernel log (123)')
    or diag($r->{stderr});
my $log = $r->{kernel_log};
my $from = index($log, 'vigil-vm: run start');
$log = substr($log, $from) if $from >= 0;

for my $c (@run) {
    my ($name, $opt, $re) = @$c;
    if ($name eq 'list' && $cfg{CONFIG_BUG_ON_DATA_CORRUPTION}) {
        like($r->{output}, qr/^splat $name \d+$/m, "$name: the test module was tried (an oops here)");
    } else {
        like($r->{output}, qr/^splat $name 0$/m, "$name: the test module loaded and unloaded");
    }
    my @lines = split /\n/, $log;
    my ($line) = grep { $_ =~ $re } @lines;
    ok(defined $line, "$name: the kernel reported it ($re)") or next;

    # that one line alone, after the run start mark, fails a run
    my $f = "$dir/log-$name";
    open my $fh, '>', $f or die "$f: $!";
    print $fh "[    1.0] vigil-vm: run start\n$line\n";
    close $fh;
    my $verdict = `'$root/scripts/vm-run' --check-log '$f'`;
    is($? >> 8, 123, "$name: vm-run fails a run whose log has: $line");
    like($verdict, qr/\Q$line\E/, "$name: vm-run names the line");
}

done_testing;
