#!/usr/bin/perl
# syscall-top.pl - a live, top-like table of system calls per process.
# Documentation: perldoc handlers/syscall-top.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Vigil;
use Vigil::Aggr qw(format_table);

my ($interval, $top, $sort, $comm, $clear, $per, $by_cgroup) = (2, 10, 'calls', undef, undef, 3, 0);
GetOptionsFromArray(\@ARGV,
	'interval|i=f' => \$interval,
	'top|n=i'      => \$top,
	'sort|s=s'     => \$sort,
	'comm|c=s'     => \$comm,
	'clear!'       => \$clear,
	'syscalls=i'   => \$per,
	'by-cgroup|g'  => \$by_cgroup,
	'help|h'       => sub { print usage(); exit 0 },
) or die usage();
die "syscall-top.pl: unexpected argument '$ARGV[0]'\n" . usage() if @ARGV;
die "syscall-top.pl: --interval must be > 0, not $interval\n" unless $interval > 0;
die "syscall-top.pl: --top must be >= 0, not $top\n" if $top < 0;
die "syscall-top.pl: --syscalls must be >= 0, not $per\n" if $per < 0;
die "syscall-top.pl: --sort must be calls, time or errors, not '$sort'\n"
    unless $sort =~ /\A(?:calls|time|errors)\z/;
die "syscall-top.pl: --comm '$comm' may not contain \" or \\\n"
    if defined $comm && $comm =~ /["\\]/;

sub usage {
	return "usage: vigild -f -s handlers/syscall-top.pl [-- [--interval SECONDS] [--top N] [--sort calls|time|errors] [--comm NAME] [--syscalls N] [--by-cgroup] [--[no]clear]]\n";
}

# per process (or cgroup: --by-cgroup): count of calls and ns spent in
# them (stats), errors, and calls per syscall name
my $calls  = Vigil::Aggr->new(type => 'stats');
my $errors = Vigil::Aggr->new(type => 'count');
my $bysc   = Vigil::Aggr->new(type => 'count');
my (%comm, %start, %procs);
my ($first_ts, $last_ts);

# `on EVENT, FILTER => CODE` when there is a filter, `on EVENT => CODE` if not
sub on_filtered {
	my ($event, $filter, $code) = @_;
	return defined $filter ? on($event, $filter, $code) : on($event, $code);
}

my $filter = defined $comm ? qq(common_comm == "$comm") : undef;

on_filtered('syscalls:sys_enter_*', $filter, sub {
	my $e = shift;
	$start{ $e->{common_tid} } = $e->{common_ts};
});

on_filtered('syscalls:sys_exit_*', $filter, sub {
	my $e = shift;
	my $ts = $e->{common_ts};
	my $pid = !$by_cgroup ? $e->{common_pid} :
		  $e->{common_cgroup} ne '' ? $e->{common_cgroup} : '-';
	my $t0 = delete $start{ $e->{common_tid} };
	$calls->add($pid, defined $t0 ? $ts - $t0 : 0);
	my $ret = $e->{ret};
	$errors->add($pid) if $ret < 0 && $ret >= -4095;
	$bysc->add_tuple(1, $pid, substr($e->name, 18));
	if ($by_cgroup) { $procs{$pid}{ $e->{common_pid} } = 1 }
	else { $comm{$pid} = $e->{common_comm} }
	$first_ts //= $ts;
	$last_ts = $ts;
});

# A thread that exits inside a syscall (exit_group) never returns from
# it: forget its start, or a later thread with the same id would inherit it.
on 'sched:sched_process_exit' => sub { delete $start{ $_[0]{pid} } };

sub secs {
	my ($ts) = @_;
	my ($s, $ns);
	{ use integer; $s = $ts / 1000000000; $ns = $ts % 1000000000; }
	return sprintf('%d.%03d', $s, $ns / 1000000);
}

sub report {
	my $n = $calls->size;
	my (%top_sc, %nsc);
	for my $r ($bysc->entries) {
		my ($pid, $name) = @{ $r->[0] };
		next if ++$nsc{$pid} > $per;
		push @{ $top_sc{$pid} }, "$name:$r->[1]";
	}
	my @rows = map {
		my ($pid, $v) = @$_;
		[ $pid, $by_cgroup ? scalar(keys %{ $procs{$pid} || {} }) : $comm{$pid} // '',
		  $v->{count}, $errors->get($pid) // 0, $v->{sum}, $v->{max} ]
	} $calls->entries;
	my $k = { calls => 2, errors => 3, time => 4 }->{$sort};
	@rows = sort { $b->[$k] <=> $a->[$k] || $b->[2] <=> $a->[2] ||
		       ($by_cgroup ? $a->[0] cmp $b->[0] : $a->[0] <=> $b->[0]) } @rows;
	my ($total, $terr) = (0, 0);
	for (@rows) { $total += $_->[2]; $terr += $_->[3] }
	splice @rows, $top if $top && @rows > $top;
	print "\e[H\e[2J" if clear_screen();
	printf "syscall-top: %d syscalls, %d errors, %d %s; events %s .. %s s\n",
	    $total, $terr, $n, $by_cgroup ? 'cgroups' : 'processes', defined $first_ts ? (secs($first_ts), secs($last_ts)) : ('-', '-');
	my @h = ($by_cgroup ? ('CGROUP', 'PROCS') : ('PID', 'COMM'), 'CALLS', 'ERRORS', 'TIME(ms)', 'MAX(us)', 'TOP SYSCALLS');
	print format_table(\@h, [ map {
		[ @$_[0 .. 3], sprintf('%.3f', $_->[4] / 1e6), sprintf('%.1f', $_->[5] / 1e3),
		  join(' ', @{ $top_sc{ $_->[0] } || [] }) ]
	} @rows ]);
	print "\n";
	$calls->clear;
	$errors->clear;
	$bysc->clear;
	%comm = ();
	%procs = ();
	undef $first_ts;
}

# Without --[no]clear: clear the screen before each table only for a live
# display on a terminal.  A replay (or a pipe) gets every table kept, one
# after the other.
$clear //= -t STDOUT && Vigil::live() ? 1 : 0;
sub clear_screen { $clear }

every $interval => \&report;

END { report() if $calls && $calls->size }

__END__

=head1 NAME

syscall-top.pl - a live, top-like table of system calls per process

=head1 SYNOPSIS

    vigild -f -s handlers/syscall-top.pl
    vigild -f -s handlers/syscall-top.pl -- --interval 1 --top 20 --sort time
    vigild --replay DIR -s handlers/syscall-top.pl -- --comm postgres
    vigild -f -s handlers/syscall-top.pl -- --by-cgroup

=head1 DESCRIPTION

Every interval, prints the processes that made the most system calls in
that interval: how many calls, how many failed (returned -4095..-1), the
time spent inside them (each thread's sys_enter paired with its
sys_exit), the longest single call, and the process's most frequent
syscalls.  Then the counts start again.  On a terminal the screen is
cleared before each table, like top(1) (live only: a replay to a
terminal prints every table, one after the other).  When tracing stops the last,
partial interval is printed too.

Calls are counted at their exit; a call that was already running when
tracing started counts with time 0.  The interval runs on the wall clock
live and on the event clock on replay, so a replay of a recorded trace
prints the same tables.

=head1 OPTIONS

=over

=item --interval SECONDS, -i

Refresh period.  Default 2.

=item --top N, -n

Rows per table.  Default 10; 0 for all.

=item --sort calls|time|errors, -s

Order of the rows.  Default calls.  Ties: more calls first, then lower pid.

=item --comm NAME, -c

Only processes with this command name (a shell-style glob such as
C<postgres*> matches several; filtered in C before Perl).

=item --syscalls N

How many syscall names to show per process.  Default 3.

=item --by-cgroup, -g

One row per cgroup (v2) instead of per process: which container or
systemd service makes the calls (C<common_cgroup>, e.g.
C</system.slice/nginx.service>; C<-> where vigild does not know the
path), with the number of its processes that made calls (PROCS)
instead of the command name.  Ties are ordered by path.

=item --clear, --noclear

Clear the screen before each table.  Default: when tracing live and the
output is a terminal (never on C<--replay>, whose tables are all kept).

=back

=head1 EXAMPLE OUTPUT

    syscall-top: 18234 syscalls, 211 errors, 7 processes; events 5021.118 .. 5023.117 s
    PID   COMM      CALLS  ERRORS  TIME(ms)  MAX(us)  TOP SYSCALLS
    812   nginx     12020     200   812.338  50211.9  epoll_wait:4001 read:4000 write:4000
    640   postgres   5210       0    31.904    802.4  pread64:5000 fsync:210
    1     systemd      12      11     0.088     21.0  openat:6 readlinkat:4 fstat:2

=cut
