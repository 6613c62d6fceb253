#!/usr/bin/perl
# kprobes from vigil.yaml, in the VM with the real vigil.ko: vigild adds
# them before tracing, reads the metadata again so handlers can subscribe
# to kprobes:NAME, and a probe and a return probe on getppid's syscall
# function see exactly the workload's calls with the right return value;
# a probe on a symbol that does not exist stops vigild with a message
# naming the probe and the symbol.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(find_prog need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild kprobes test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigild-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';

write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
kprobes:
  - name: gp
    symbol: __x64_sys_getppid
  - name: gp_ret
    symbol: __x64_sys_getppid
    return: true
Y
write_file("$share/bad.yaml", <<"Y");
control_socket: $sock
kprobes:
  - symbol: no_such_function_in_this_kernel
Y

write_file("$share/kp.pl", <<'PL');
use strict;
use Vigil;
my (%n, %r);
on 'kprobes:gp' => sub { $n{ $_[0]{common_pid} }++ };
on 'kprobes:gp_ret' => sub { my $e = shift; $r{"$e->{common_pid}:$e->{ret}"}++ };
END {
    print "probe $_ $n{$_}\n" for sort keys %n;
    print "ret $_ $r{$_}\n" for sort keys %r;
}
PL

write_file("$share/workload.pl", <<'PL');
use strict;
my @kids;
for my $n (300, 1200) {
    my $pid = fork // die;
    if (!$pid) { syscall(110) for 1 .. $n; exit 0 }
    push @kids, [$pid, $n];
}
waitpid($_->[0], 0) for @kids;
print "$_->[0] $_->[1] $$\n" for @kids;
PL

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
$vigild -f -c \$S/vigil.yaml -s \$S/kp.pl --events vigil:annotation >\$S/live.out 2>\$S/live.err &
V=\$!
waitsock
perl \$S/workload.pl >\$S/expected.txt
sleep 1
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc
$vigild -f -c \$S/bad.yaml -s \$S/kp.pl >\$S/bad.out 2>\$S/bad.err; echo "bad \$?" >>\$S/rc
SH

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;

is($rc{live}, 0, 'vigild with kprobes ran and stopped with exit 0') or diag(slurp("$share/live.err"));
my $out = slurp("$share/live.out") // '';
my %probe = $out =~ /^probe (\d+) (\d+)$/mg;
my %ret = $out =~ /^ret (\d+:-?\d+) (\d+)$/mg;
my @kids = map { [split] } split /\n/, slurp("$share/expected.txt") // '';
is(scalar @kids, 2, 'the workload ran two processes');
for my $k (@kids) {
    my ($pid, $n, $parent) = @$k;
    is($probe{$pid}, $n, "kprobes:gp saw exactly $n calls of process $pid");
    is($ret{"$pid:$parent"}, $n, "kprobes:gp_ret saw $n returns of its parent's pid $parent");
}

is($rc{bad}, 1, 'a kprobe on a missing symbol: exit 1');
like(slurp("$share/bad.err") // '',
     qr/kprobes\[0\] \(no_such_function_in_this_kernel\) on no_such_function_in_this_kernel\+0: no such kernel symbol/,
     '... naming the probe and the symbol');

done_testing;
