#!/usr/bin/perl
# babeltrace2 (the reference CTF reader) reads what the trace writer
# writes: generated traces give the same event count, per-class counts,
# discarded events and field values as the generator says.
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use Test::More;

my $bin = "$FindBin::Bin/../../daemon/build/tests";
my $bt = `sh -c 'command -v babeltrace2'`;
chomp $bt;
unless (-x "$bin/gen-trace" && $bt) {
	plan tests => 1;
	fail(-x "$bin/gen-trace" ? 'babeltrace2 is installed (apt-get install babeltrace2)'
	     : "$bin/gen-trace is built (run: make -C daemon)");
	exit 1;
}
plan tests => 12;

sub slurp { local (@ARGV, $/) = @_; return <> }

my $tmp = tempdir(CLEANUP => 1);
my $dir = "$tmp/trace";
is(system("$bin/gen-trace", '-o', $dir, '-e', "$tmp/expect", qw(-c 3 -n 6000 -d 4 -s 5)), 0,
   'gen-trace writes a trace');
my $expect = slurp("$tmp/expect");
my ($events) = $expect =~ /^events (\d+)/m;
my ($discarded) = $expect =~ /^discarded (\d+)/m;
my %classes = $expect =~ /^class (\S+) (\d+)$/mg;

my @lines = `babeltrace2 $dir 2>$tmp/err`;
is($? >> 8, 0, 'babeltrace2 exits 0');
is(scalar @lines, $events, "babeltrace2 sees all $events events");

my %seen;
$seen{$_}++ for map { /^\[[^\]]+\] \(\S+\) \S+ (\S+):/ ? $1 : 'UNPARSED' } @lines;
is_deeply(\%seen, \%classes, 'per-class counts agree');

my $sum = 0;
my $errtext = slurp("$tmp/err");
$sum += $1 while $errtext =~ /Tracer discarded (\d+) events/g;
is($sum, $discarded, "babeltrace2 reports the $discarded discarded events");

like($lines[0], qr/vigil:statedump_process: \{ cpu_id = 0 \}, \{ tid = 0 \}, \{ tid = 100, pid = 100, ppid = 0, comm = "systemd", uid = 0, cgroup_id = 1, exe = "\/usr\/bin\/systemd" \}/,
     'statedump fields (integers, char array, string) decode');
ok((grep { /raw_syscalls:sys_enter: .* \{ id = 257, args = \[ \[0\] = 3, .* path_arg = 1, path_status = 1, path = "\/tmp\/file-\d+" \}/ } @lines),
   'sys_enter with an array and a path string decodes');
ok((grep { /sched:sched_process_exec: .* filename = "\/opt\/app\/bin\/program-number-\d+", .* argv = "-x -y" \}/ } @lines),
   'exec with two strings around integers decodes');

# babeltrace2 orders by time too: timestamps never go back
my ($prev, $back) = ('', 0);
for (@lines) {
	my ($ts) = /^\[([^\]]+)\]/ or next;
	$back++ if $ts lt $prev;
	$prev = $ts;
}
is($back, 0, 'babeltrace2 output is in time order');

# Filters in the core agree with what babeltrace2 shows in the fields.
sub vg_count {
	my ($expr) = @_;
	my $out = `$bin/vg-replay --filter '$expr' $dir`;
	return ($out =~ /^events (\d+)/m)[0];
}
my $neg = grep { /raw_syscalls:sys_exit: .* ret = -\d+ \}/ } @lines;
is(vg_count('ret < 0'), $neg, "filter 'ret < 0' selects the $neg failed sys_exits");
# (path_status = 1: babeltrace2 2.0.4 shows stale text for empty strings)
my $paths = grep { /path_status = 1, path = "\/tmp\/file-1\d*"/ } @lines;
is(vg_count('path == "/tmp/file-1*"'), $paths, "glob filter on a string field selects $paths paths");
my $sw = grep { /sched_switch: .* prev_comm = "(?:nginx|sshd)"/ } @lines;
is(vg_count('prev_comm == "nginx" || prev_comm =~ "ss?d"'), $sw, "|| and =~ on a char array select $sw switches");
