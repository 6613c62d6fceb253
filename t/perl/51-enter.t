#!/usr/bin/perl
# $e->enter: on a syscalls:sys_exit_NAME event, the syscall's arguments
# as its syscalls:sys_enter_NAME gave them (same thread, the entry just
# before), as a hash with the argument names of the trace's syscall
# table and common_ts, the time of the entry; undef when that entry was
# not seen (the trace began inside the syscall, or it was lost: an entry
# serves one exit) or the thread's last entry was of another syscall.  The path argument is its text.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;
use VigilTestTrace;

my $d = tmpdir();
my $w = VigilTestTrace->new(cpus => 1);
my $ts = 1_000_000_000;
$w->event(cpu => 0, ts => $ts++, tid => 7, name => 'vigil:statedump_process',
    pid => 7, ppid => 1, comm => 'ls', uid => 0, exe => '/bin/ls');
$w->event(cpu => 0, ts => $ts++, tid => 8, name => 'vigil:statedump_process',
    pid => 8, ppid => 1, comm => 'cat', uid => 0, exe => '/bin/cat');
# tid 7: an exit whose entry came before the trace
$w->event(cpu => 0, ts => 1_000_000_100, tid => 7, name => 'raw_syscalls:sys_exit', id => 257, ret => 3);
# tid 7 opens /nope (fails), tid 8 opens /etc/hosts in between
$w->event(cpu => 0, ts => 1_000_001_000, tid => 7, name => 'raw_syscalls:sys_enter', id => 257,
    args => [-100, 0x1000, 0x80000, 0, 0, 0], path_arg => 1, path_status => 1, path => '/nope');
$w->event(cpu => 0, ts => 1_000_001_500, tid => 8, name => 'raw_syscalls:sys_enter', id => 257,
    args => [-100, 0x2000, 0, 0, 0, 0], path_arg => 1, path_status => 1, path => '/etc/hosts');
$w->event(cpu => 0, ts => 1_000_002_000, tid => 7, name => 'raw_syscalls:sys_exit', id => 257, ret => -2);
$w->event(cpu => 0, ts => 1_000_002_500, tid => 8, name => 'raw_syscalls:sys_exit', id => 257, ret => 4);
# tid 8: a second exit without an entry (the entry was lost): not the used one
$w->event(cpu => 0, ts => 1_000_002_700, tid => 8, name => 'raw_syscalls:sys_exit', id => 257, ret => 9);
# tid 7: a read's entry, then an openat exit: not that entry
$w->event(cpu => 0, ts => 1_000_003_000, tid => 7, name => 'raw_syscalls:sys_enter', id => 0,
    args => [3, 0x3000, 10, 0, 0, 0], path_arg => 0, path_status => 0, path => '');
$w->event(cpu => 0, ts => 1_000_004_000, tid => 7, name => 'raw_syscalls:sys_exit', id => 257, ret => 5);
$w->write("$d/trace");

my $script = write_file("$d/enter.pl", <<'EOS');
use Vigil;
on 'syscalls:sys_exit_openat' => sub {
	my $e = shift;
	my $en = $e->enter;
	printf "%d ret=%d %s\n", $e->{common_tid}, $e->{ret}, !$en ? 'no entry'
	    : sprintf('dfd=%d filename=%s flags=%#x since=%d', $en->{dfd},
		      $en->{filename}, $en->{flags}, $e->{common_ts} - $en->{common_ts});
};
on 'syscalls:sys_exit_*', 'ret < 0' => sub {
	my $en = $_[0]->enter;
	print "second handler: $en->{filename}\n";
};
EOS
my $r = run_vigild(trace => "$d/trace", scripts => [$script]);
is($r->{rc}, 0, 'runs') or diag $r->{err};
is($r->{out}, <<'EOT', 'each exit sees its own entry\'s arguments, or none');
7 ret=3 no entry
7 ret=-2 dfd=-100 filename=/nope flags=0x80000 since=1000
second handler: /nope
8 ret=4 dfd=-100 filename=/etc/hosts flags=0 since=1000
8 ret=9 no entry
7 ret=5 no entry
EOT

done_testing;
