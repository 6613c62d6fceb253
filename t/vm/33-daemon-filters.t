#!/usr/bin/perl
# In-kernel filters from vigil.yaml, in the VM with the real vigil.ko:
# filters.syscalls by name and by number records only those syscalls
# (exactly the workload's calls reach the handler), and filters.comms
# keeps other processes' events away from the handlers.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(find_prog need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild filters test');
my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');

my $share = tempdir('vigild-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';

# getppid (110) by name, getpgid (121) by number
write_file("$share/vigil.yaml", <<"Y");
control_socket: $sock
filters:
  syscalls: [getppid, 121]
  comms: ['wl-*']
Y
write_file("$share/second.yaml", "control_socket: /run/vigil-test/second.sock\n");
write_file("$share/bad.yaml", "control_socket: $sock\nfilters:\n  syscalls: [no_such_call]\n");

write_file("$share/ids.pl", <<'PL');
use strict;
use Vigil;
my (%ids, %per);
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    $ids{ $e->{id} }++;
    $per{"$e->{common_comm} $e->{id}"}++;
};
END {
    print "id $_ $ids{$_}\n" for sort { $a <=> $b } keys %ids;
    print "per $_ $per{$_}\n" for sort keys %per;
}
PL

# Two processes named wl-a and wl-b (perl run through symlinks of that
# name, so exec gives them that comm) make getppid/getpgid/getpid calls;
# a third one (other) makes the same calls, which the comm filter drops.
for my $name (qw(wl-a wl-b other)) {
    symlink($^X, "$share/$name") or die "symlink $share/$name: $!";
}
write_file("$share/workload.pl", <<PL);
use strict;
my \@kids;
for my \$k (['wl-a', 300], ['wl-b', 500], ['other', 400]) {
    my \$pid = fork // die;
    if (!\$pid) {
        exec("$share/\$k->[0]", '-e',
             "for (1 .. \$k->[1]) { syscall(110); syscall(121, 0); syscall(39) }")
            or die "exec: \$!";
    }
    push \@kids, \$pid;
}
waitpid(\$_, 0) for \@kids;
PL

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
$vigild -f -c \$S/vigil.yaml -s \$S/ids.pl --events raw_syscalls:sys_exit,sched:sched_process_fork,sched:sched_process_exec >\$S/live.out 2>\$S/live.err &
V=\$!
waitsock
$vigild -f -c \$S/second.yaml -s \$S/ids.pl >\$S/second.out 2>\$S/second.err; echo "second \$?" >>\$S/rc
perl \$S/workload.pl; echo "workload \$?" >>\$S/rc
sleep 1
kill -TERM \$V; wait \$V; echo "live \$?" >>\$S/rc
$vigild -f -c \$S/bad.yaml -s \$S/ids.pl >\$S/bad.out 2>\$S/bad.err; echo "bad \$?" >>\$S/rc
SH

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;
is($rc{workload}, 0, 'the workload ran');
is($rc{live}, 0, 'vigild with filters ran and stopped with exit 0') or diag(slurp("$share/live.err"));
my $out = slurp("$share/live.out") // '';
my %ids = $out =~ /^id (\d+) (\d+)$/mg;
is_deeply([sort { $a <=> $b } keys %ids], [110, 121],
          'only the filtered syscalls (getppid by name, 121 by number) were recorded');
my %per = $out =~ /^per (\S+ \d+) (\d+)$/mg;
is($per{'wl-a 110'}, 300, 'wl-a: exactly its 300 getppid calls');
is($per{'wl-a 121'}, 300, 'wl-a: exactly its 300 getpgid calls');
is($per{'wl-b 110'}, 500, 'wl-b: exactly its 500 getppid calls');
is($per{'wl-b 121'}, 500, 'wl-b: exactly its 500 getpgid calls');
ok(!grep({ !/^wl-/ } keys %per), 'no event of a process outside filters.comms reached the handler')
    or diag explain \%per;
like(slurp("$share/live.err") // '', qr/all\s+\d+\s+\d+\s+\d+\s+[1-9]\d*\s/,
     'the dropped events are counted as filtered out');

is($rc{second}, 1, 'a second vigild while one runs: exit 1');
like(slurp("$share/second.err") // '', qr/vigil\.ko is in use by another program/,
     '... saying the module is in use (and the first one went on: counts above)');

is($rc{bad}, 1, 'an unknown syscall name in filters.syscalls: exit 1');
like(slurp("$share/bad.err") // '', qr/filters\.syscalls: 'no_such_call' is not a syscall of this kernel/,
     '... naming the key and the name');
done_testing;
