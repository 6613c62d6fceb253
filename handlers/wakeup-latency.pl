#!/usr/bin/perl
# wakeup-latency.pl - scheduler wakeup-to-run latency: histogram and worst cases.
# Documentation: perldoc handlers/wakeup-latency.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Vigil;
use Vigil::Aggr qw(format_table);

my ($interval, $worst, $comm, $per_comm, $unit) = (0, 10, undef, 0, 'us');
GetOptionsFromArray(\@ARGV,
	'interval|i=f' => \$interval,
	'worst|w=i'    => \$worst,
	'comm|c=s'     => \$comm,
	'per-comm'     => \$per_comm,
	'unit|u=s'     => \$unit,
	'help|h'       => sub { print usage(); exit 0 },
) or die usage();
die "wakeup-latency.pl: unexpected argument '$ARGV[0]'\n" . usage() if @ARGV;
die "wakeup-latency.pl: --interval must be >= 0, not $interval\n" if $interval < 0;
die "wakeup-latency.pl: --worst must be >= 0, not $worst\n" if $worst < 0;
my %DIV = (ns => 1, us => 1000, ms => 1000000);
die "wakeup-latency.pl: --unit must be ns, us or ms, not '$unit'\n" unless $DIV{$unit};
my $div = $DIV{$unit};

use Vigil::Glob qw(glob_re);
my $comm_re = defined $comm ? glob_re($comm) : undef;

sub usage {
	return "usage: vigild -f -s handlers/wakeup-latency.pl [-- [--interval SECONDS] [--worst N] [--comm NAME] [--per-comm] [--unit ns|us|ms]]\n";
}

my $hist = Vigil::Aggr->new(type => 'hist');
my %woken;	# tid => [ts, waker comm, waker pid]
my @worst;	# [latency ns, comm, tid, cpu, wakeup ts, waker comm, waker pid], largest first

on 'sched:sched_wakeup*' => sub {	# sched_wakeup and sched_wakeup_new
	my $e = shift;
	return if $comm_re && $e->{comm} !~ $comm_re;
	$woken{ $e->{pid} } = [ $e->{common_ts}, $e->{common_comm}, $e->{common_pid} ];
};

on 'sched:sched_switch' => sub {
	my $e = shift;
	my $tid = $e->{next_pid};
	my $w = delete $woken{$tid} or return;
	return if $tid == 0;
	my $lat = $e->{common_ts} - $w->[0];
	my $name = $e->{next_comm};
	{ use integer; $hist->add($per_comm ? $name : '', $lat / $div); }
	return unless $worst;
	if (@worst < $worst || $lat > $worst[-1][0]) {
		my $row = [ $lat, $name, $tid, $e->{common_cpu}, $w->[0], $w->[1], $w->[2] ];
		my $i = 0;
		$i++ while $i < @worst && $worst[$i][0] >= $lat;
		splice @worst, $i, 0, $row;
		pop @worst if @worst > $worst;
	}
};

# a woken thread that exits before it runs leaves no state behind
on 'sched:sched_process_exit' => sub { delete $woken{ $_[0]{pid} } };

sub secs {
	my ($ts) = @_;
	my ($s, $ns);
	{ use integer; $s = $ts / 1000000000; $ns = $ts % 1000000000; }
	return sprintf('%d.%09d', $s, $ns);
}

sub report {
	$hist->print(title => "wakeup-to-run latency ($unit):");
	if ($worst) {
		print "worst $worst:\n";
		print @worst ? format_table(
			[ "LATENCY($unit)", 'COMM', 'TID', 'CPU', 'WOKEN AT', 'WAKER', 'WAKER PID' ],
			[ map { [ sprintf($unit eq 'ns' ? '%d' : '%.3f', $_->[0] / $div), $_->[1], $_->[2],
				  $_->[3], secs($_->[4]), $_->[5], $_->[6] ] } @worst ])
			: "(no data)\n";
	}
	$hist->clear;
	@worst = ();
}

every $interval => sub { report(); print "\n" } if $interval > 0;

END { report() if $hist }

__END__

=head1 NAME

wakeup-latency.pl - scheduler wakeup-to-run latency: histogram and worst cases

=head1 SYNOPSIS

    vigild -f -s handlers/wakeup-latency.pl
    vigild -f -s handlers/wakeup-latency.pl -- --interval 10 --per-comm
    vigild --replay DIR -s handlers/wakeup-latency.pl -- --comm mysqld --worst 20

=head1 DESCRIPTION

Measures how long a thread waits between being woken
(C<sched:sched_wakeup> or C<sched:sched_wakeup_new>) and getting a CPU
(the C<sched:sched_switch> that has it as C<next_pid>), and prints a
power-of-two histogram of these latencies (one for all threads, or one
per command name) and the worst cases: latency, the woken thread's name,
thread id and the CPU it ran on, when it was woken (seconds.nanoseconds
of the trace clock) and by whom.

Printed when tracing stops and, with C<--interval>, every that many
seconds (then cleared).  The idle task is not counted.

=head1 OPTIONS

=over

=item --interval SECONDS, -i

Print and clear every SECONDS.  Default 0: only at the end.

=item --worst N, -w

How many worst cases to list.  Default 10; 0 for none.

=item --comm NAME, -c

Only threads with this command name (a shell-style glob such as C<mysql*>
matches several).

=item --per-comm

One histogram per command name instead of one for all.

=item --unit ns|us|ms, -u

Unit of the histogram and the table.  Default us.

=back

=head1 EXAMPLE OUTPUT

    wakeup-to-run latency (us):
    @:
    [0]          1201 |@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@|
    [1]           610 |@@@@@@@@@@@@@@@@@@@@@@@@@                         |
    [2, 4)        220 |@@@@@@@@@                                         |
    [4, 8)         31 |@                                                 |
    [8, 16)         2 |                                                  |

    worst 2:
    LATENCY(us)  COMM     TID  CPU  WOKEN AT        WAKER    WAKER PID
         12.210  mysqld   640    1  5021.118842305  swapper/1        0
          9.001  nginx    812    0  5021.330120931  nginx          812

=cut
