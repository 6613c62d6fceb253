#!/usr/bin/perl
# trace.pl - strace for vigil: one line per system call of a command or
# a process, with decoded arguments, errno names and durations.
# Documentation: perldoc handlers/trace.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use POSIX ();
use Time::HiRes ();
use Vigil;
use Vigil::Syscall qw(call_text ret_text errno_name signal_name);

my (@pids, @only, $follow, $failed, $output, $stamps);
# options end at the first word that is not one (or at --): the
# command's own options are its own
my $saved_config = Getopt::Long::Configure('require_order', 'no_ignore_case');
GetOptionsFromArray(\@ARGV,
	'pid|p=s'        => \@pids,
	'follow|f'       => \$follow,
	'syscall|e=s'    => \@only,
	'failed|Z'       => \$failed,
	'output|o=s'     => \$output,
	'timestamps|t'   => \$stamps,
	'help|h'         => sub { print usage(); exit 0 },
) or die usage();
Getopt::Long::Configure($saved_config);
my @command = @ARGV;

sub usage {
	return "usage: vigild -f -s handlers/trace.pl -- [--pid PID[,PID...]] [--follow] [--syscall NAME[,NAME...]]\n"
	    . "                                       [--failed] [--timestamps] [--output FILE] [[--] COMMAND [ARG...]]\n";
}

@pids = map { split /,/ } @pids;
for (@pids) {
	die "trace.pl: --pid '$_' is not a process id (a number > 0)\n" unless /\A[1-9][0-9]*\z/;
}
@only = map { split /,/ } @only;
for (@only) {
	die "trace.pl: --syscall '$_' is not a syscall name\n" unless /\A[a-z0-9_]+\z/;
}
die "trace.pl: --pid or a COMMAND, not both\n" . usage() if @pids && @command;
die "trace.pl: a COMMAND runs only live, not on --replay\n" if @command && !Vigil::live();

my $out = \*STDOUT;
if (defined $output) {
	open($out, '>', $output) or die "trace.pl: --output $output: $!\n";
}
$out->autoflush(1);

# The reader went away (`| head`): stop quietly (exit in a handler stops
# vigild cleanly, status 0).
sub say_line {
	print {$out} @_, "\n" and return;
	exit 0 if $!{EPIPE};
	die "trace.pl: writing the output: $!\n";
}

# ---- the command --------------------------------------------------------

# The command is forked now, while the script loads (its pid is known,
# for the filter in C), and waits on a pipe until tracing runs (the
# first tick); it is found on PATH here, so its execve is the one seen.
my ($child, $release, $reaped, $status);
if (@command) {
	my $path = $command[0];
	if ($path !~ m{/}) {
		($path) = grep { -f && -x } map { "$_/$command[0]" }
		    split /:/, $ENV{PATH} // '/usr/bin:/bin';
		die "trace.pl: $command[0]: command not found\n" unless defined $path;
	}
	die "trace.pl: $path: $!\n" unless -x $path;
	pipe(my $r, my $w) or die "trace.pl: pipe: $!\n";
	$child = fork() // die "trace.pl: fork: $!\n";
	if (!$child) {
		close $w;
		# nothing of vigild's runs in here: no END blocks, no buffers
		POSIX::_exit(0) unless sysread($r, my $go, 1);
		close $r;
		{ no warnings 'exec'; exec { $path } @command; }
		print STDERR "trace.pl: exec $path: $!\n";
		POSIX::_exit(127);
	}
	close $r;
	$release = $w;
	@pids = ($child);
}

# ---- which tasks ----------------------------------------------------------

# traced processes (pid = tgid), with --follow their children too
my %traced = map { $_ => 1 } @pids;
# the command's own events count from its execve on (before it, it is
# the forked copy of vigild's interpreter waiting to be released)
my $started = !$child;
my $multi = $follow || @pids != 1;

my $filter;
if (@pids && !$follow) {
	$filter = join ' || ', map { "common_pid == $_" } @pids;
}
my @names = @only ? @only : ('*');

sub on_filtered {
	my ($event, $code) = @_;
	return defined $filter ? on($event, $filter, $code) : on($event, $code);
}

# ---- the lines -----------------------------------------------------------

my %pending;	# tid => [name, ts, [[field, value, hex], ...]]
my %shape;	# event name => [[fields], {hex}]
my $offset;

sub when {
	my ($ts) = @_;
	return '' unless $stamps;
	$offset //= Vigil::clock_offset() // 0;
	my $ns = $ts + $offset;
	my ($s, $us);
	{ use integer; $s = $ns / 1000000000; $us = ($ns % 1000000000) / 1000; }
	my @t = localtime($s);
	return sprintf('%02d:%02d:%02d.%06d ', @t[2, 1, 0], $us);
}

sub who {
	my ($e) = @_;
	my $tid = $e->{common_tid};
	return '' if !$multi && @pids && $tid == $pids[0];
	return "[pid $tid $e->{common_comm}] ";
}

sub traced {
	my ($e) = @_;
	return 1 unless @pids;
	return $traced{ $e->{common_pid} };
}

my %want = map { $_ => 1 } @only;
# the command's execve starts its trace, whatever --syscall says
my @enter = @names;
push @enter, 'execve' if $child && @only && !$want{execve};
for my $n (@enter) {
	on_filtered("syscalls:sys_enter_$n", sub {
		my $e = shift;
		return unless traced($e);
		my $ev = $e->name;
		my $name = substr($ev, 19);
		if (!$started) {
			return unless $name eq 'execve' && $e->{common_pid} == $child;
			$started = 1;
		}
		return if @only && !$want{$name};
		my $sh = $shape{$ev} //= [ [ $e->fields ], { map { $_ => 1 } $e->hex_fields } ];
		my $args = [ map { [ $_, $e->{$_}, $sh->[1]{$_} ] } @{ $sh->[0] } ];
		if ($name eq 'exit_group' || $name eq 'exit') {
			# never returns
			say_line(when($e->{common_ts}), who($e), call_text($name, $args), ' = ?')
			    unless $failed;
			delete $pending{ $e->{common_tid} };
			return;
		}
		$pending{ $e->{common_tid} } = [ $name, $e->{common_ts}, $args ];
	});
}
for my $n (@names) {
	on_filtered("syscalls:sys_exit_$n", sub {
		my $e = shift;
		return unless $started && traced($e);
		my $name = substr($e->name, 18);
		my $ret = $e->{ret};
		my $p = delete $pending{ $e->{common_tid} };
		return if $failed && !($ret < 0 && $ret >= -4095);
		if ($p && $p->[0] eq $name) {
			my $dur = ($e->{common_ts} - $p->[1]) / 1e9;
			say_line(when($p->[1]), who($e), call_text($name, $p->[2]), ' = ',
				 ret_text($name, $ret), sprintf(' <%.6f>', $dur));
		} else {
			# its entry came before tracing began (or was lost)
			say_line(when($e->{common_ts}), who($e), "$name(?) = ", ret_text($name, $ret));
		}
	});
}

# --follow: a traced process's children are traced too (a new thread's
# events carry its process's pid already)
if ($follow && @pids) {
	on 'sched:sched_process_fork' => sub {
		my $e = shift;
		$traced{ $e->{child_pid} } = 1 if $traced{ $e->{common_pid} };
	};
}

# The end of a traced process: "+++ exited with N +++" (from the wait
# status of the command, else its exit_group), and when the last one
# is gone, vigild stops.
my %exit_code;
on 'syscalls:sys_enter_exit_group', (defined $filter ? ($filter) : ()), sub {
	my $e = shift;
	$exit_code{ $e->{common_pid} } = $e->{error_code} & 0xff;
} if @pids;

my %gone;
sub finish {
	my ($pid, $ts) = @_;
	return if $gone{$pid}++;
	delete $traced{$pid} unless $follow;
	my $how;
	if ($child && $pid == $child) {
		reap(1);
		$how = !defined $status ? 'exited' :
		    ($status & 127) ? '+++ killed by ' . (signal_name($status & 127) // $status & 127)
			. (($status & 128) ? ' (core dumped)' : '') . ' +++' :
		    '+++ exited with ' . ($status >> 8) . ' +++';
	} else {
		$how = defined $exit_code{$pid} ? "+++ exited with $exit_code{$pid} +++" : '+++ exited +++';
	}
	say_line(when($ts), $multi ? "[pid $pid] " : '', $how);
	if ($child ? $pid == $child : !grep { !$gone{$_} } @pids) {
		Vigil::stop($child ? "$command[0] exited" : 'the traced processes exited');
	}
}

on 'sched:sched_process_exit' => sub {
	my $e = shift;
	# the process ends with its last thread; its leader's exit is the
	# one with pid == its process id
	return unless $e->{pid} == $e->{common_pid} && $traced{ $e->{common_pid} };
	return if $child && !$started;
	finish($e->{common_pid}, $e->{common_ts});
} if @pids;

# The command's wait status; $block: wait for it (its exit event was
# seen: it is a zombie or about to be).
sub reap {
	my ($block) = @_;
	return if !$child || $reaped;
	my $deadline = Time::HiRes::time() + ($block ? 5 : 0);
	while (1) {
		my $r = waitpid($child, POSIX::WNOHANG());
		if ($r == $child) {
			($reaped, $status) = (Time::HiRes::time(), $?);
			return;
		}
		return if $r < 0 || Time::HiRes::time() >= $deadline;
		Time::HiRes::sleep(0.001);
	}
}

if ($child) {
	every 0.05 => sub {
		if ($release) {
			# tracing runs: let the command go
			syswrite($release, 'g');
			close $release;
			undef $release;
			return;
		}
		reap(0);
		# its exit event never came (lost): end anyway, after a while
		finish($child, 0) if $reaped && Time::HiRes::time() - $reaped > 2 && !$gone{$child};
	};
}

END {
	# calls still inside the kernel when tracing stopped
	for my $tid (sort { $a <=> $b } keys %pending) {
		my $p = $pending{$tid};
		say_line(when($p->[1]), $multi ? "[pid $tid] " : '', call_text($p->[0], $p->[2]),
			 ' <unfinished ...>');
	}
	# stopped before the command ended: it goes too
	if ($child && !$reaped) {
		kill 'TERM', $child;
		reap(1);
	}
}

__END__

=head1 NAME

trace.pl - strace for vigil: one line per system call, decoded

=head1 SYNOPSIS

    vigild -f -s trace -- ls -l /tmp
    vigild -f -s trace -- -- sh -c 'echo hi'      (-- before a command whose words look like options)
    vigild -f -s trace -- --pid 812 --syscall openat,read
    vigild -f --source kernel -s trace -- --follow --failed make

=head1 DESCRIPTION

Like strace(1): each system call of the traced processes as one line,
its name, its arguments decoded (symbolic flags such as
C<O_RDONLY|O_CLOEXEC>, C<AT_FDCWD>, C<PROT_READ|PROT_WRITE>, access
modes, signal names, file modes in octal, pointers in hex, paths
quoted), its result (C<-1 ENOENT (No such file or directory)> for an
error, addresses in hex for mmap and brk) and its duration in seconds:

    execve("/bin/cat", 0x7ffd5e5a6e08, 0x7ffd5e5a6e20) = 0 <0.000412>
    openat(AT_FDCWD, "/etc/ld.so.cache", O_RDONLY|O_CLOEXEC) = 3 <0.000009>
    mmap(NULL, 20115, PROT_READ, MAP_PRIVATE, 3, 0) = 0x7f3c8e5d1000 <0.000006>
    openat(AT_FDCWD, "/nonexistent", O_RDONLY) = -1 ENOENT (No such file or directory) <0.000007>
    exit_group(1) = ?
    +++ exited with 1 +++

The decoding is L<Vigil::Syscall>'s (the flag values come from the C
headers vigil was built with).  Paths are strings when the events carry
them (vigil.ko copies them); from the kernel's own tracepoints
(B<--source kernel>) an event has only the pointer, which is printed
(C<openat(AT_FDCWD, 0x55d0c1e2a0c0, O_RDONLY)>).

With a COMMAND, trace.pl starts it (found on C<PATH>) once tracing runs,
traces it from its C<execve> on, prints how it ended (C<+++ exited with
N +++>, C<+++ killed by SIGKILL +++>) and stops vigild.  The command
shares vigild's terminal (its output mixes with the lines unless
B<--output> sends them elsewhere); a COMMAND needs a live vigild, not
B<--replay>.  With B<--pid>, those processes are traced until they
exit (all of them); without either, every process (each line then says
C<[pid TID COMM]>).

A line is printed when the call returns (a blocking read shows up when
it returns), with the time it started; a thread's line starts
C<[pid TID]> when the traced process has several threads or processes.
A call that never returns (C<exit_group>) is printed at its start with
C<= ?>; calls still inside the kernel when tracing stops are printed at
the end with C<< <unfinished ...> >>; a return whose entry was not seen
(the call began before tracing) as C<NAME(?) = RESULT>.  Processes are
selected in C (only their events reach Perl), except with B<--follow>.

=head1 OPTIONS

=over

=item --pid PID[,PID...], -p

Trace these processes (all their threads; repeatable).  Not with a
COMMAND.

=item --follow, -f

Also trace the children the traced processes fork, and theirs.

=item --syscall NAME[,NAME...], -e

Only these system calls (repeatable): C<--syscall openat,close>.  A name
that is no syscall stops vigild at start, naming the nearest one.

=item --failed, -Z

Only calls that failed (returned -4095 .. -1).

=item --timestamps, -t

Start each line with the wall-clock time the call began
(C<HH:MM:SS.MICROSECONDS>, local time).

=item --output FILE, -o

Write the lines to FILE instead of standard output.

=back

=cut
