#!/usr/bin/perl
# print.pl - every event as one line of text, like `perf script`.
# Documentation: perldoc handlers/print.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Vigil;

my @events;
my $syscalls = 0;
my $comm;
GetOptionsFromArray(\@ARGV,
	'events|e=s'   => \@events,
	'syscalls'     => \$syscalls,
	'comm=s'       => \$comm,
	'help|h'       => sub { print usage(); exit 0 },
) or die usage();
die "print.pl: unexpected argument '$ARGV[0]'\n" . usage() if @ARGV;
@events = map { split /,/ } @events;

sub usage {
	return "usage: vigild -f -s handlers/print.pl [-- [--events GLOB[,GLOB...]] [--syscalls] [--comm NAME]]\n";
}

# The derived syscalls:* events repeat raw_syscalls:* events; without
# --events they are printed instead of the raw ones only with --syscalls.
# Subscribing per subsystem (not '*') spares vigild deriving syscalls:*
# events nobody prints.
my $default = !@events;
if ($default) {
	@events = map { "$_:*" } qw(sched irq signal exceptions block net vigil kprobes);
	unshift @events, $syscalls ? 'syscalls:*' : 'raw_syscalls:*';
}

sub value_text {
	my ($v) = @_;
	return '(undef)' unless defined $v;
	if (ref $v eq 'ARRAY') {
		return '[' . join(', ', map { value_text($_) } @$v) . ']';
	}
	return $v if $v =~ /\A-?[0-9]+\z/;
	return $v if $v ne '' && $v =~ /\A[\x21-\x7e]+\z/ && $v !~ /["\\]/;
	(my $q = $v) =~ s/(["\\])/\\$1/g;
	$q =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
	return qq("$q");
}

sub print_event {
	my ($e) = @_;
	my $name = $e->name;
	my $ts = $e->{common_ts};
	my ($s, $ns);
	{ use integer; $s = $ts / 1000000000; $ns = $ts % 1000000000; }
	my $line = sprintf('%16s %7d [%03d] %d.%09d: %s:',
			   $e->{common_comm}, $e->{common_tid}, $e->{common_cpu},
			   $s, $ns, $name);
	for my $f ($e->fields) {
		$line .= " $f=" . value_text($e->{$f});
	}
	print $line, "\n";
}

die "print.pl: --comm '$comm' may not contain \" or \\\n" if defined $comm && $comm =~ /["\\]/;
my @filter = defined $comm ? (qq(common_comm == "$comm")) : ();
on $_, @filter, \&print_event for @events;

__END__

=head1 NAME

print.pl - print every event as one line, like perf script

=head1 SYNOPSIS

    vigild -f -s handlers/print.pl
    vigild --replay DUMPDIR -s handlers/print.pl
    vigild --replay DIR -s handlers/print.pl -- --events 'sched:*' --comm nginx
    vigild --replay DIR -s handlers/print.pl -- --syscalls

=head1 DESCRIPTION

Prints each event in time order, one line each: the thread's command
name, thread id, CPU, the timestamp in seconds and nanoseconds of the
trace clock, the event name and every field as C<name=value> in the
order of the trace's metadata.

Numbers print as they are, text without spaces as it is, other text in
double quotes with C<\">, C<\\> and C<\xNN> escapes; arrays (such as the
six C<args> of raw_syscalls:sys_enter) print as C<[a, b, ...]>.

=head1 OPTIONS

=over

=item --events GLOB[,GLOB...]

Only these events (shell-style globs on the full name, e.g. C<sched:*>,
C<syscalls:sys_enter_open*>, C<*> for everything).  May be given more than
once.  Default: every event of the subsystems raw_syscalls, sched, irq,
signal, exceptions, block, net, vigil and kprobes - all but the derived
C<syscalls:*> events, which repeat the C<raw_syscalls:*> ones under
per-syscall names.

=item --syscalls

Without C<--events>: print the derived C<syscalls:sys_enter_NAME> /
C<sys_exit_NAME> events (with the kernel's argument names) instead of
C<raw_syscalls:sys_enter> / C<sys_exit>.

=item --comm NAME

Only events of threads with this command name (a shell-style glob such as
C<kworker*> matches several; filtered in C before Perl).

=back

=head1 EXAMPLE OUTPUT

                cat     812 [001] 5021.118842305: raw_syscalls:sys_enter: id=257 args=[4294967196, 140735, 0, 0, 0, 0] path_arg=1 path_status=1 path=/etc/hostname
                cat     812 [001] 5021.118851410: raw_syscalls:sys_exit: id=257 ret=3
             <idle>       0 [000] 5021.119002133: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=0 next_comm=kworker/0:1 next_pid=14 next_prio=120

=cut
