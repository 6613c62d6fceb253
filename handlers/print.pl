#!/usr/bin/perl
# print.pl - every event as one line of text, like `perf script`.
# Documentation: perldoc handlers/print.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Vigil;

my @events;
my $syscalls = 0;
my ($comm, $json);
GetOptionsFromArray(\@ARGV,
	'events|e=s'   => \@events,
	'syscalls'     => \$syscalls,
	'comm=s'       => \$comm,
	'json'         => \$json,
	'help|h'       => sub { print usage(); exit 0 },
) or die usage();
die "print.pl: unexpected argument '$ARGV[0]'\n" . usage() if @ARGV;
@events = map { split /,/ } @events;

sub usage {
	return "usage: vigild -f -s handlers/print.pl [-- [--events GLOB[,GLOB...]] [--syscalls] [--comm NAME] [--json]]\n";
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
	my ($v, $hex) = @_;
	return '(undef)' unless defined $v;
	if (ref $v eq 'ARRAY') {
		return '[' . join(', ', map { value_text($_, $hex) } @$v) . ']';
	}
	return sprintf('0x%x', $v) if $hex && $v =~ /\A[0-9]+\z/;
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
	my %hex = map { $_ => 1 } $e->hex_fields;
	for my $f ($e->fields) {
		$line .= " $f=" . value_text($e->{$f}, $hex{$f});
	}
	# a callchain (events asked for with stacks: / Vigil::stacks), one
	# frame a line beneath, as perf script prints it
	$line .= "\n" . $e->stack if $e->{common_callchain};
	print $line, "\n" or output_gone();
}

sub print_json {
	print Vigil::JSON::event_json($_[0]), "\n" or output_gone();
}

# The reader went away (`| head`): stop quietly, as at the end of the
# trace (exit in a handler stops vigild cleanly, status 0).
sub output_gone {
	exit 0 if $!{EPIPE};
	die "print.pl: writing the output: $!\n";
}
if ($json) {
	require Vigil::JSON;
}

die "print.pl: --comm '$comm' may not contain \" or \\\n" if defined $comm && $comm =~ /["\\]/;
my @filter = defined $comm ? (qq(common_comm == "$comm")) : ();
on $_, @filter, ($json ? \&print_json : \&print_event) for @events;

__END__

=head1 NAME

print.pl - print every event as one line, like perf script

=head1 SYNOPSIS

    vigild -f -s handlers/print.pl
    vigild --replay DUMPDIR -s handlers/print.pl
    vigild --replay DIR -s handlers/print.pl -- --events 'sched:*' --comm nginx
    vigild --replay DIR -s handlers/print.pl -- --syscalls
    vigild --replay DIR -s print -- --json --events 'sched:sched_process_exec' | jq .

=head1 DESCRIPTION

Prints each event in time order, one line each: the thread's command
name, thread id, CPU, the timestamp in seconds and nanoseconds of the
trace clock, the event name and every field as C<name=value> in the
order of the trace's metadata.

Numbers print as they are, except the fields the trace declares
hexadecimal (addresses such as C<skbaddr>, C<address>, C<ip>,
C<sa_handler>, C<sa_flags>, and pointer arguments of the per-syscall
events: C<$e-E<gt>hex_fields>), which print as C<0x...>; text without
spaces as it is, other text in double quotes with C<\">, C<\\> and
C<\xNN> escapes; arrays (such as the six C<args> of
raw_syscalls:sys_enter) print as C<[a, b, ...]>.  An event that carries
its callchain (B<stacks> in vigil.yaml(5), C<Vigil::stacks>) is followed
by one line per frame, innermost first, as B<perf script> prints them:
a tab, the address, C<symbol+0xOFFSET> (or C<[unknown]>) and the
object in parentheses (C<[kernel.kallsyms]>, a module C<[ext4]>, a
library's path).  The output carries no
terminal control codes.  When the reader of the output goes away (C<|
head>), vigild stops quietly with status 0.

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

=item --json

One JSON object per line instead (L<Vigil::JSON>): C<name>, every field
and the common fields (C<common_ts>, C<common_cpu>, C<common_tid>,
C<common_pid>, C<common_ppid>, C<common_comm>); numbers as JSON numbers
(hexadecimal fields too), arrays as arrays, text as UTF-8 strings.  For
C<jq>, log shippers and scripts.

=back

=head1 EXAMPLE OUTPUT

                cat     812 [001] 5021.118842305: raw_syscalls:sys_enter: id=257 args=[4294967196, 140735, 0, 0, 0, 0] path_arg=1 path_status=1 path=/etc/hostname
                cat     812 [001] 5021.118851410: raw_syscalls:sys_exit: id=257 ret=3
             <idle>       0 [000] 5021.119002133: sched:sched_switch: prev_comm=swapper/0 prev_pid=0 prev_prio=120 prev_state=0 next_comm=kworker/0:1 next_pid=14 next_prio=120

With C<--json> (one line each, shown folded):

    {"common_comm":"cat","common_cpu":1,"common_pid":812,"common_ppid":790,
     "common_tid":812,"common_ts":5021118851410,"id":257,"name":"raw_syscalls:sys_exit","ret":3}

=cut
