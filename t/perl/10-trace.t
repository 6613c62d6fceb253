#!/usr/bin/perl
# Vigil::Trace: a vigil trace read from plain perl, in time order, with
# the same event objects handlers get.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

use_blib();
require Vigil::Trace;

my ($dir, $x) = standard_trace(rounds => 40, packet_size => 512);

my $t = Vigil::Trace->open($dir);
ok($t, 'open() of a trace directory gives a reader') or diag $@;

my (@all, $prev, $ordered, %calls, %fails, @rets, @paths);
$ordered = 1;
while (my $e = $t->next) {
	push @all, $e;
	$ordered = 0 if defined $prev && $e->{common_ts} < $prev;
	$prev = $e->{common_ts};
	if ($e->name eq 'raw_syscalls:sys_enter') {
		$calls{ $e->tid }++;
		push @paths, $e->{path};
	} elsif ($e->name eq 'raw_syscalls:sys_exit') {
		push @rets, $e->{ret};
		$fails{ $e->comm }++ if $e->{ret} < 0;
	}
}
is(scalar @all, $x->{events}, 'every event of both CPUs comes out once');
ok($ordered, 'events come in timestamp order across CPUs');
is_deeply(\%calls, $x->{calls}, 'per-thread counts match what was written');
is_deeply(\%fails, $x->{fails}, 'process names come from the statedump (common_comm)');
is_deeply(\@rets, $x->{rets}, 'signed fields decode (negative ret values)');
is_deeply(\@paths, $x->{paths}, 'string fields decode');
ok(!defined $t->next, 'next() stays undef at the end');

my ($enter) = grep { $_->name eq 'raw_syscalls:sys_enter' } @all;
isa_ok($enter, 'Vigil::Event');
is_deeply([$enter->fields], [qw(id args path_arg path_status path)],
    'fields() lists the field names in metadata order');
is(ref $enter->{args}, 'ARRAY', 'array fields are array references');
is($enter->{args}[0], 18446744073709551516, 'uint64 array elements keep their value');
is(scalar @{ $enter->{args} }, 6, 'args has its 6 elements');
is($enter->{common_pid}, 100, 'common_pid is the process id');
is($enter->{common_ppid}, 1, 'common_ppid from the statedump');
is($enter->pid, $enter->{common_pid}, 'pid method');
is($enter->ts, $enter->{common_ts}, 'ts method');
is($enter->cpu, $enter->{common_cpu}, 'cpu method');

my @tid101 = grep { $_->{common_tid} == 101 } @all;
ok(@tid101, 'thread 101 has events');
is($tid101[0]{common_pid}, 100, 'a second thread maps to its process id');

# kept objects are independent
my @exits = grep { $_->name eq 'raw_syscalls:sys_exit' } @all;
is_deeply([map { $_->{ret} } @exits], $x->{rets},
    'objects kept from next() keep their own values');

my %env = (hostname => 'testhost', kernel_release => '6.1.0-test');
is($t->env($_), $env{$_}, "env($_) reads the metadata env block") for sort keys %env;
ok(!defined $t->env('nope'), 'env of a missing key is undef');
is($t->clock_offset, 1_700_000_000_000_000_000, 'clock_offset from the metadata clock');
ok((grep { $_ eq 'sched:sched_switch' } $t->event_names), 'event_names lists the classes');
is($t->errors, 0, 'no corrupt records');

# derived per-syscall events
my $s = Vigil::Trace->open($dir, syscalls => 1);
my (%derived, $first_open);
while (my $e = $s->next) {
	$derived{ $e->name }++;
	$first_open ||= $e if $e->name eq 'syscalls:sys_enter_openat';
}
is($derived{'syscalls:sys_enter_openat'}, 40, 'syscalls => 1 adds a sys_enter_openat per raw sys_enter');
is($derived{'syscalls:sys_exit_openat'}, 40, 'and a sys_exit_openat per raw sys_exit');
is($first_open->{filename}, '/etc/passwd', 'the path argument of a derived event is the string read');
is($first_open->{dfd}, -100, 'other arguments are the raw values by their kernel names, an int one (dfd) signed');
is($first_open->{mode}, 0, '... an unsigned one (umode_t mode) as it is');

# errors
my $bad = Vigil::Trace->open("$dir/does-not-exist");
ok(!defined $bad, 'open() of a missing directory fails');
like($@, qr/does-not-exist/, '... and $@ names the path');
eval { Vigil::Trace->open($dir, bogus => 1) };
like($@, qr/unknown option 'bogus'/, 'unknown options are refused by name');

my $corrupt = tmpdir() . '/corrupt';
system('cp', '-r', $dir, $corrupt) == 0 or die;
write_file("$corrupt/metadata", "/* CTF 1.8 */\ntrace { major = 1; minor = 8; bogus }\n");
ok(!defined Vigil::Trace->open($corrupt), 'bad metadata fails to open');
like($@, qr/metadata:2:/, '... with file and line in $@');

# a corrupt packet is reported and skipped; the rest is read
my $broken = tmpdir() . '/broken';
system('cp', '-r', $dir, $broken) == 0 or die;
{
	open my $fh, '+<:raw', "$broken/stream_1" or die;
	seek $fh, 512, 0;	# second packet of cpu 1: break its magic
	print $fh "XXXX";
	close $fh;
}
my @warn;
local $SIG{__WARN__} = sub { push @warn, @_ };
my $bt = Vigil::Trace->open($broken);
my $count = 0;
$count++ while $bt->next;
ok($count > 0 && $count < $x->{events}, "events of the good packets are read ($count of $x->{events})");
cmp_ok($bt->errors, '>=', 1, 'errors() counts the corrupt packet');
like(join('', @warn), qr/Vigil::Trace \S*broken: .*stream_1/, 'a warning names the trace and the stream file');

done_testing;
