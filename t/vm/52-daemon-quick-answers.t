#!/usr/bin/perl
# Issue 14's quick answers, live, in the VM with the real vigil.ko:
#  - vigild -l lists the module's events, -lv the running kernel's
#    syscall arguments with their C types;
#  - the one-liner "which process opens files that don't exist" (vigild
#    -e, $e->enter) names the process and the path, with --comm selecting
#    the workload;
#  - a misspelt event is an error at load (exit 1, the line, the nearest
#    event) before the module is touched;
#  - a handler that dies makes the foreground vigild exit 3 at its end.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigilVM;
use VigildRun qw(need_progs write_file slurp sh_waitsock);

vm_skip_unless_available('vigild quick answers test');
my ($vigild) = need_progs('vigild');

my $share = tempdir('vigild-vm-XXXXXX', TMPDIR => 1, CLEANUP => !$ENV{VIGIL_KEEP_TEST_DIR});
diag "test directory: $share" if $ENV{VIGIL_KEEP_TEST_DIR};
chmod 0755, $share;
my $sock = '/run/vigil-test/vigild.sock';
write_file("$share/vigil.yaml", "control_socket: $sock\n");

# qa-open (perl through a symlink of that name) opens 5 missing files
# and one that exists
symlink($^X, "$share/qa-open") or die "symlink: $!";
write_file("$share/workload.pl", <<'PL');
for my $i (1 .. 5) { open(my $f, '<', "/nonexistent/vigil-qa-$i") and die "exists?" }
open(my $f, '<', '/etc/hostname') or open($f, '<', '/etc/passwd') or die "open: $!";
PL

my $oneliner = q{on "syscalls:sys_exit_openat", "ret == -2" => sub { printf "%s %s\n", $_[0]{common_comm}, $_[0]->enter->{filename} }};
write_file("$share/oneliner.txt", $oneliner);

write_file("$share/run.sh", <<SH);
#!/bin/sh
S=$share
@{[ sh_waitsock($sock) ]}
$vigild -l >\$S/list.out 2>\$S/list.err; echo "list \$?" >>\$S/rc
$vigild -lv 'syscalls:sys_enter_openat' >\$S/listv.out 2>\$S/listv.err; echo "listv \$?" >>\$S/rc
$vigild -f -c \$S/vigil.yaml --comm qa-open -e "\$(cat \$S/oneliner.txt)" >\$S/one.out 2>\$S/one.err &
V=\$!
waitsock
\$S/qa-open \$S/workload.pl; echo "workload \$?" >>\$S/rc
sleep 1
kill -TERM \$V; wait \$V; echo "one \$?" >>\$S/rc
$vigild -f -c \$S/vigil.yaml -e "on 'sched:sched_swtich' => sub { }" >\$S/typo.out 2>\$S/typo.err; echo "typo \$?" >>\$S/rc
$vigild -f -c \$S/vigil.yaml --duration 2 --comm qa-open -e 'on "raw_syscalls:sys_exit" => sub { die "boom\\n" }' >\$S/die.out 2>\$S/die.err &
D=\$!
waitsock
\$S/qa-open \$S/workload.pl
wait \$D; echo "die \$?" >>\$S/rc
SH

my $r = vm_run(cmd => "sh $share/run.sh", rw_share => $share, timeout => 600);
is($r->{exit}, 0, 'the VM run finished cleanly (module unloaded, no kernel warnings)')
    or diag($r->{output}, $r->{stderr});
my %rc = (slurp("$share/rc") // '') =~ /^(\S+) (\d+)$/mg;

is($rc{list}, 0, 'vigild -l with the module loaded: exit 0') or diag(slurp("$share/list.err"));
my @names = split /\n/, slurp("$share/list.out") // '';
ok((grep { $_ eq 'sched:sched_switch' } @names) && (grep { $_ eq 'syscalls:sys_exit_openat' } @names),
   '... lists the module\'s events and the per-syscall ones');
is($rc{listv}, 0, 'vigild -lv syscalls:sys_enter_openat: exit 0');
like(slurp("$share/listv.out") // '', qr/^    const char \*filename$/m,
     '... the argument filename with the kernel\'s C type');

is($rc{workload}, 0, 'the workload ran');
is($rc{one}, 0, 'the one-liner ran and stopped with exit 0') or diag(slurp("$share/one.err"));
my @one = split /\n/, slurp("$share/one.out") // '';
is_deeply([ grep { /vigil-qa/ } @one ], [ map { "qa-open /nonexistent/vigil-qa-$_" } 1 .. 5 ],
          'it names the process and each missing file it opened, in order');
ok(@one && !grep({ !/^qa-open \// } @one), '... only qa-open\'s (--comm), only failed opens (ret -2) with their paths')
    or diag explain \@one;

is($rc{typo}, 1, 'a misspelt event live: exit 1');
my $typo = slurp("$share/typo.err") // '';
like($typo, qr/-e line 1: on 'sched:sched_swtich': no such event; did you mean 'sched:sched_switch'\?/,
     '... naming the line and the nearest event');
unlike($typo, qr/tracing \d+ CPUs/, '... before tracing starts');

is($rc{die}, 3, 'a handler that dies live in the foreground: exit 3 at the end')
    or diag(slurp("$share/die.err"));
like(slurp("$share/die.err") // '', qr/handler error 1 \(-e line 1\) on event raw_syscalls:sys_exit .*boom/,
     '... with the error on stderr');
done_testing;
