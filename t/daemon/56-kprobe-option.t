#!/usr/bin/perl
# --kprobe SYMBOL[%return] on the command line adds a probe to the
# configuration's kprobes (named as a kprobes[] entry without a name
# would be: SYMBOL, SYMBOL_ret for %return); bad values are errors
# naming the option; kprobes need vigil.ko, so --source kernel with
# one is an error at start, before anything is traced.  (Adding the
# probes to the module is the VM tests' part.)
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;

my ($vigild) = need_progs('vigild');
my $dir = tempdir(CLEANUP => 1);
my $cfg = write_file("$dir/vigil.yaml", "control_socket: $dir/sock\n"
    . "kprobes:\n  - {name: sendmsg, symbol: tcp_sendmsg, args: 3}\n");
my $cfg0 = write_file("$dir/plain.yaml", "control_socket: $dir/sock\n");
my $script = write_file("$dir/h.pl", "use Vigil;\non 'sched:sched_switch' => sub { };\n");
sub vigild { my $c = shift; run_cmd([$vigild, '-c', $c, @_], timeout => 60) }
sub line { my ($out, $key) = @_; return $out =~ /^\Q$key\E: (.*)$/m ? $1 : "(no $key line)" }

my ($rc, $out, $err) = vigild($cfg0, '--check-config', '-s', $script,
    '--kprobe', 'vfs_read', '--kprobe', 'do_sys_openat2%return');
is($rc, 0, '--kprobe is accepted (repeatable)') or diag $err;
is(line($out, 'kprobes'),
   '[{name: vfs_read, symbol: vfs_read, offset: 0, args: 0, return: false}, '
   . '{name: do_sys_openat2_ret, symbol: do_sys_openat2, offset: 0, args: 0, return: true}]',
   'SYMBOL is a kprobe named SYMBOL, SYMBOL%return a return probe named SYMBOL_ret');

($rc, $out, $err) = vigild($cfg, '--check-config', '-s', $script, '--kprobe', 'vfs_write');
is($rc, 0, 'with kprobes in the file') or diag $err;
like(line($out, 'kprobes'), qr/^\[\{name: sendmsg, symbol: tcp_sendmsg, offset: 0, args: 3, return: false\}, \{name: vfs_write, symbol: vfs_write,/,
     '--kprobe adds to the file\'s kprobes (after them)');

for my $bad (['vfs read', qr/--kprobe 'vfs read': 'vfs read' is not a kernel symbol name/],
	     ['vfs_read%ret', qr/--kprobe 'vfs_read%ret': '%ret' is not %return/],
	     ['%return', qr/--kprobe '%return': '' is not a kernel symbol name/],
	     ['x' x 70, qr/--kprobe 'x{70}': 'x{70}' is not a kernel symbol name/]) {
	($rc, $out, $err) = vigild($cfg0, '--check-config', '-s', $script, '--kprobe', $bad->[0]);
	is($rc, 2, "--kprobe '$bad->[0]' is refused (exit 2)");
	like($err, $bad->[1], '... naming the option and the value');
}
($rc, $out, $err) = vigild($cfg0, '--check-config', '-s', $script, '--kprobe', 'vfs_read', '--kprobe', 'vfs_read');
is($rc, 2, 'the same --kprobe twice is refused');
like($err, qr/--kprobe 'vfs_read' is given twice/, '... saying so');
($rc, $out, $err) = vigild($cfg, '--check-config', '-s', $script, '--kprobe', 'sendmsg');
is($rc, 2, 'a --kprobe whose event name a kprobes[] entry has already is refused');
like($err, qr/--kprobe 'sendmsg': kprobes:sendmsg is already kprobes\[0\] of \Q$cfg\E/, '... naming the entry');
($rc, $out, $err) = vigild($cfg0, '--check-config', '-s', $script, map { ('--kprobe', "f$_") } 1 .. 65);
is($rc, 2, 'a 65th kprobe is refused');
like($err, qr/--kprobe 'f65': more than 64 kprobes/, '... saying the limit');

# --source kernel: the kernel's tracepoints have no kprobes
($rc, $out, $err) = vigild($cfg0, '-f', '--source', 'kernel', '-s', $script, '--kprobe', 'vfs_read%return');
is($rc, 2, '--kprobe with --source kernel: exit 2 before tracing');
like($err, qr/^vigild: --kprobe vfs_read%return: kprobes need vigil\.ko, and source kernel reads the kernel's tracepoints, which have none/m,
     '... naming the probe and why') or diag $err;
unlike($err, qr/tracing \d+ CPUs/, '... nothing was traced');
($rc, $out, $err) = vigild($cfg, '-f', '--source', 'kernel', '-s', $script);
is($rc, 2, 'kprobes of the file with --source kernel: the same');
like($err, qr/kprobes\[0\] \(sendmsg\): kprobes need vigil\.ko/, '... naming the file\'s entry');
($rc, $out, $err) = vigild($cfg0, '--check-config', '--source', 'kernel', '--replay', $dir, '-s', $script, '--kprobe', 'vfs_read');
unlike($err, qr/kprobes need vigil\.ko/, 'with --replay nothing is probed, so no such error');

done_testing;
