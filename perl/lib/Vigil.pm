package Vigil;

use strict;
use warnings;
use Carp qw(croak);

our $VERSION = '0.1.0';

use Exporter 'import';
our @EXPORT = qw(on every aggregate);
our @EXPORT_OK = qw(on every aggregate);

# Inside vigild the XS half is linked in and Vigil::bootstrap exists
# already (XSLoader then calls it); from plain perl this loads Vigil.so.
require XSLoader;
XSLoader::load('Vigil', $VERSION);

# vigild defines _in_vigild, _live, _dump, _dump_done, _clock_offset, stats and
# stop before this file loads (perl/embed/host.c).  Outside vigild: no
# dump, no counters, and stop dies.
unless (defined &Vigil::_in_vigild) {
	no warnings 'once';
	*Vigil::_in_vigild = sub { 0 };
	*Vigil::_live = sub { 0 };
	*Vigil::_dump = sub { (undef, "Vigil::dump: not running under vigild") };
	*Vigil::stats = sub { {} };
	*Vigil::stop = sub { croak "Vigil::stop: not running under vigild" };
}

# Registrations, read by vigild once the scripts are loaded:
#   @_ON    = ([name, filter, code, file, line], ...)
#   @_EVERY = ([seconds, code, file, line], ...)
#   @_AGGR  = ([name, filter, Vigil::Aggr, [by fields] or undef, tuple,
#               type, value field or undef, file, line], ...)
#   @_STACKS = ([name, file, line], ...)  (Vigil::stacks)
our (@_ON, @_EVERY, @_AGGR, @_STACKS);
our $_LOADED = 0;	# set by vigild when every script is loaded
our $_API_USED = 0;	# on/every calls of the script being loaded

# Inside vigild a script's exit() must not end the daemon behind its back
# (the kernel module would keep tracing): from a handler it stops tracing
# cleanly, as Vigil::stop() does.  While a script loads (the `--help` of
# its option parsing) it is a real exit, which no eval (Getopt::Long's
# around option callbacks) catches: vigild catches it, and exits with
# that status before tracing (a reload keeps the old scripts).
# A process a handler forked (fork() without exec) is not vigild: its
# exit() ends it at once, its output flushed, without END blocks or
# vigild's shutdown (which would stop the parent's tracing).
our $_EXIT_MARK = "Vigil::exit\n";
our $_PID = $$;
if (Vigil::_in_vigild()) {
	no warnings 'once';
	*CORE::GLOBAL::exit = sub {
		my $code = @_ ? $_[0] : 0;
		$code = 0 unless defined $code;
		if ($$ != $_PID) {
			STDOUT->flush;
			STDERR->flush;
			require POSIX;
			POSIX::_exit($code);
		}
		if ($_LOADED) {
			Vigil::stop("exit($code) called by a handler");
			die $_EXIT_MARK;
		}
		CORE::exit($code);
	};
}

my $NAME_RE = qr/^[A-Za-z0-9_*?]+:[A-Za-z0-9_*?]+$|^\*$/;

sub on {
	my $name = shift;
	my $code = pop;
	my $filter = shift;
	croak "on: usage: on 'subsystem:event' [, 'filter'] => sub { ... }"
	    if @_ || !defined $name || ref $name || ref $code ne 'CODE';
	croak "on: bad event name '$name' (want 'subsystem:event', "
	    . "globs * and ? allowed)" unless $name =~ $NAME_RE;
	croak "on '$name': the scripts are loaded; call on() while the "
	    . "script loads" if $_LOADED;
	if (defined $filter) {
		croak "on '$name': the filter must be a string" if ref $filter;
		my $err = Vigil::_filter_syntax($filter);
		croak "on '$name': bad filter \"$filter\": $err" if defined $err;
	}
	my (undef, $file, $line) = caller;
	push @_ON, [$name, $filter, $code, $file, $line];
	$_API_USED++;
	return;
}

sub every {
	my ($secs, $code) = @_;
	croak "every: usage: every SECONDS => sub { ... }"
	    if @_ != 2 || ref $code ne 'CODE';
	croak "every: SECONDS must be a number > 0, not '"
	    . (defined $secs ? $secs : 'undef') . "'"
	    unless defined $secs && !ref $secs
	    && $secs =~ /^\s*(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?\s*$/
	    && $secs > 0;
	croak "every: the scripts are loaded; call every() while the "
	    . "script loads" if $_LOADED;
	croak "every: SECONDS must be at least 0.001" if $secs < 0.001;
	my (undef, $file, $line) = caller;
	push @_EVERY, [$secs + 0, $code, $file, $line];
	$_API_USED++;
	return;
}

# stacks NAME, ...: these events carry their callchain
# ($e->{common_callchain}); vigild asks the source for it.
sub stacks {
	croak "stacks: usage: Vigil::stacks('subsystem:event', ...)" unless @_;
	croak "stacks: the scripts are loaded; call stacks() while the "
	    . "script loads" if $_LOADED;
	my (undef, $file, $line) = caller;
	for my $name (@_) {
		croak "stacks: bad event name '"
		    . (defined $name ? $name : 'undef')
		    . "' (want 'subsystem:event', no globs)"
		    unless defined $name && !ref $name
		    && $name =~ /^[A-Za-z0-9_]+:[A-Za-z0-9_]+$/;
		push @_STACKS, [$name, $file, $line];
	}
	return;
}

# The printable form of a callchain (an array of {ip, sym, dso}), one
# frame a line as perf script prints them.
sub callchain_text {
	my ($cc, $indent) = @_;
	$indent = "\t" unless defined $indent;
	return '' unless ref $cc eq 'ARRAY';
	my $s = '';
	for my $f (@$cc) {
		my $sym = $f->{sym}
		    ? sprintf('%s+0x%x', $f->{sym}{name}, $f->{ip} - $f->{sym}{start})
		    : '[unknown]';
		$s .= sprintf("%s%16x %s (%s)\n", $indent, $f->{ip}, $sym,
			      defined $f->{dso} ? $f->{dso} : '[unknown]');
	}
	return $s;
}

# aggregate NAME [, FILTER], by => FIELDS, TYPE => ... : Vigil::Aggr
# checks the options and makes the table; vigild updates it in C.
sub aggregate {
	my $name = shift;
	my $filter = @_ % 2 ? shift : undef;
	croak "aggregate: usage: aggregate 'subsystem:event' [, 'filter'], "
	    . "by => FIELDS, count => NAME | sum => FIELD | ..."
	    if !defined $name || ref $name;
	croak "aggregate: bad event name '$name' (want 'subsystem:event', "
	    . "globs * and ? allowed)" unless $name =~ $NAME_RE;
	croak "aggregate '$name': the scripts are loaded; call aggregate() "
	    . "while the script loads" if $_LOADED;
	if (defined $filter) {
		croak "aggregate '$name': the filter must be a string" if ref $filter;
		my $err = Vigil::_filter_syntax($filter);
		croak "aggregate '$name': bad filter \"$filter\": $err" if defined $err;
	}
	require Vigil::Aggr;
	my ($aggr, $spec) = Vigil::Aggr::_declare(@_);
	croak "aggregate '$name': $spec" unless $aggr;
	my (undef, $file, $line) = caller;
	push @_AGGR, [$name, $filter, $aggr, @$spec, $file, $line];
	$_API_USED++;
	return $aggr;
}

# Syntax check of a filter before the event's fields are known: the
# core compiles it without a class (syntax-only mode: any name is a field
# of a type to come); vigild checks the fields against the metadata later.
sub _filter_syntax {
	my ($expr) = @_;
	return Vigil::_filter_error($expr);
}

# Called by vigild for each script: (ok, error, api_used).
sub _load_script {
	my ($file) = @_;
	my $path = $file =~ m{^(?:/|\.\.?/)} ? $file : "./$file";
	local $_API_USED = 0;
	local $@;
	# `do` of a file it cannot read says so only in $!, and runs
	# nothing: a reload by a vigild that is no longer root (user:) must
	# fail, not go on with no handlers
	open(my $fh, '<', $path) or return (0, "cannot read $file: $!", 0);
	close $fh;
	{
		package main;
		do $path;
	}
	return (0, $@, 0) if $@;
	return (1, undef, $_API_USED);
}

# Perf-style handlers: the subs named SUBSYS::EVENT of the loaded
# scripts, as "SUBSYS::EVENT".  A package counts as an event subsystem
# when its name is lower case (as the kernel's subsystems are) and it is
# neither a loaded module (%INC) nor one of perl's own (utf8, re, ...).
my %_NOT_SUBSYS = map { $_ => 1 } qw(main utf8 re version mro builtin
    strict warnings constant lib vars feature integer bytes overload
    parent base attributes sort open charnames if bigint bignum less);
sub _perf_subs {
	my @subs;
	no strict 'refs';
	for my $stash (sort grep { /::\z/ } keys %main::) {
		(my $pkg = $stash) =~ s/::\z//;
		next if $pkg !~ /^[a-z_][a-z0-9_]*\z/ || $_NOT_SUBSYS{$pkg}
		    || exists $INC{"$pkg.pm"};
		for my $name (sort keys %{"${pkg}::"}) {
			next unless $name =~ /^[a-z_][a-z0-9_]*\z/;
			push @subs, "${pkg}::$name" if defined &{"${pkg}::$name"};
		}
	}
	return @subs;
}

sub clock_offset {
	croak "Vigil::clock_offset: usage: Vigil::clock_offset()" if @_;
	return defined &Vigil::_clock_offset ? Vigil::_clock_offset() : undef;
}

sub dump {
	croak "Vigil::dump: usage: Vigil::dump(reason => TEXT, "
	    . "before => SECONDS, after => SECONDS, done => CODE)" if @_ % 2;
	my %a = @_;
	my @bad = grep { !/^(?:reason|before|after|done)$/ } sort keys %a;
	croak "Vigil::dump: unknown argument '$bad[0]' (known: reason, "
	    . "before, after, done)" if @bad;
	for my $k (qw(before after)) {
		croak "Vigil::dump: $k must be a number of seconds >= 0"
		    if defined $a{$k} && ($a{$k} !~ /^\s*(?:\d+(?:\.\d*)?|\.\d+)\s*$/);
	}
	croak "Vigil::dump: done must be a code reference"
	    if exists $a{done} && ref $a{done} ne 'CODE';
	my @args = (defined $a{reason} ? "$a{reason}" : '',
	    defined $a{before} ? $a{before} : -1,
	    defined $a{after} ? $a{after} : -1);
	my ($path, $err);
	if ($a{done}) {
		if (defined &Vigil::_dump_done) {
			($path, $err) = Vigil::_dump_done(@args, $a{done});
		} else {
			# plain perl: no vigild, no dump; done still hears of it
			($path, $err) = Vigil::_dump(@args);
			$a{done}->(undef, $err);
		}
	} else {
		($path, $err) = Vigil::_dump(@args);
	}
	unless (defined $path) {
		$@ = $err;
		return undef;
	}
	return $path;
}

# True when vigild traces live (not --replay, not plain perl).
sub live { Vigil::_live() ? 1 : 0 }

# Prometheus metrics (vigild --metrics): Vigil::Metrics holds them.
sub metric_counter { require Vigil::Metrics; Vigil::Metrics::counter(@_) }
sub metric_gauge   { require Vigil::Metrics; Vigil::Metrics::gauge(@_) }
sub metric_aggr    { require Vigil::Metrics; Vigil::Metrics::aggr(@_) }

package Vigil::Event;

# name and fields are XS (Vigil.xs).
sub ts   { $_[0]{common_ts} }
sub cpu  { $_[0]{common_cpu} }
sub pid  { $_[0]{common_pid} }
sub tid  { $_[0]{common_tid} }
sub ppid { $_[0]{common_ppid} }
sub comm { $_[0]{common_comm} }

# $e->stack: the callchain as text ('' for events without one).
sub stack { Vigil::callchain_text($_[0]{common_callchain}, $_[1]) }

# $e->enter on a syscalls:sys_exit_NAME event: the fields of the
# syscalls:sys_enter_NAME that began it (same thread), or undef.
sub enter {
	my ($e) = @_;
	return undef unless defined &Vigil::_enter;
	return Vigil::_enter($e->{common_tid}, $e->name);
}

1;

__END__

=head1 NAME

Vigil - write vigil event handlers in Perl

=head1 SYNOPSIS

    use Vigil;

    my %fails;
    on 'raw_syscalls:sys_exit' => sub {
        my $e = shift;
        $fails{ $e->{common_comm} }++ if $e->{ret} < 0;
    };

    on 'syscalls:sys_enter_openat', 'filename == "/etc/*"' => sub {
        my $e = shift;
        printf "%s opened %s\n", $e->comm, $e->{filename};
    };

    every 5 => sub {
        printf "%-16s %d\n", $_, $fails{$_} for sort keys %fails;
        %fails = ();
    };

    # the same count kept in C, no Perl per event: a Vigil::Aggr
    my $errs = aggregate 'raw_syscalls:sys_exit', 'ret < 0',
        by => ['common_comm', 'id'], count => 'n';

    END { print $errs->format(top => 10), "done\n" }

Run it live with C<vigild -f -s script.pl>, or on a trace with
C<vigild --replay DIR -s script.pl>.

=head1 DESCRIPTION

A vigil handler script is an ordinary Perl program loaded by B<vigild>
into its embedded interpreter before tracing starts.  While it loads it
registers handlers with C<on> and periodic callbacks with C<every>; then
vigild calls them for every event, in time order across CPUs.

A compile error in a script, or a C<die> while it loads, stops vigild
before it touches the kernel module; the message names the script and
line.  A C<die> in a handler is caught: it is logged with the event it
happened on (name, timestamp, cpu, tid, pid, comm), counted, and vigild
goes on (vigild's max_errors setting can make it stop instead).

A handler call (and an C<every> callback, C<trace_begin>/C<trace_end>,
an C<END> block) that runs longer than vigild's B<watchdog.report_after>
(5 s by default) is reported with the line it is at; past
B<watchdog.abort_after> (off by default) it dies there with
C<vigild watchdog: call aborted after ...>, which is reported as any
other handler error (vigild(8), B<--watchdog>).  The watchdog reaches
the handler through the signal C<SIGRTMAX>: a script must not take
C<$SIG{RTMAX}>, and a C<sleep> in a handler that runs past
B<report_after> returns early.

C<BEGIN> blocks run while the script compiles.  C<END> blocks run when
vigild stops (SIGINT/SIGTERM, C<vigilctl stop>, C<--duration>) or when
a replay reaches the end of the trace, after the last event.  Arguments
given to vigild after C<--> are in C<@ARGV>.

Reloading (C<vigilctl reload>, SIGHUP) compiles the scripts again in a
new interpreter.  If that fails, the running scripts stay and the error
is reported; otherwise the old scripts end as at a stop (C<trace_end>,
C<END> blocks), the new ones take over from the next event (their
C<every> clocks start anew), and no buffered event is lost.

=head1 FUNCTIONS

=over 4

=item on NAME => CODE

=item on NAME, FILTER => CODE

Call CODE with the event object for every event called NAME
(C<'subsystem:event'>, e.g. C<'sched:sched_switch'>).  NAME may contain
the shell globs C<*> and C<?> (C<'sched:*'>); a glob that can match
C<syscalls:*> names (C<'*'>, C<'sys*'>) also gets the derived per-syscall
events described next.  Besides the events of the
table in vigil-handlers(7), each system call is also available as
C<syscalls:sys_enter_NAME> / C<syscalls:sys_exit_NAME> with the kernel's
argument names (C<< $e->{filename} >>, C<< $e->{ret} >>); vigild derives
these from the C<raw_syscalls> events only when some handler asks for a
C<syscalls:*> event.

FILTER is an expression evaluated in C before Perl is entered: an event
that does not match never costs a Perl call.  It compares fields and
common fields with numbers or strings:

    ret < 0 && common_comm == "nginx"
    filename == "/etc/*"            (shell glob on a string)
    !(prev_state == 0) || next_pid == 1

with C<== != < <= E<gt> E<gt>= && || !> and parentheses (C<(> and C<!>
nested at most 64 deep, at most 1024 C<&&> and C<||>; numbers from
-9223372036854775808).  A filter with a syntax error makes C<on> die (so the script fails to load, naming the
column); a field the event does not have is reported when vigild binds
the script to the trace's metadata, also before tracing starts.

Several handlers may be registered for one event; they run in the order
of registration.

=item every SECONDS => CODE

Call CODE every SECONDS seconds (fractions allowed, at least 0.001).
Live, by the wall clock; on C<--replay>, by the events' timestamps (the
first event starts the clock, and each elapsed period calls CODE once
before the first event past it) - so the same script prints the same
periodic report live and offline.

=item aggregate NAME, by => FIELDS, TYPE => ...

=item aggregate NAME, FILTER, by => FIELDS, TYPE => ...

Keep an aggregation of the events called NAME (globs as for C<on>) that
pass FILTER (the same filter expressions), entirely in C: per event the
filter, a key made of the fields FIELDS, and one update of a table.  No
Perl runs per event, so an aggregation costs a small part of what a
handler doing the same costs (docs/benchmarks.md).  It returns the
table, a L<Vigil::Aggr>, to read (or clear) in C<every> callbacks and
C<END> blocks:

    my $errs = aggregate 'raw_syscalls:sys_exit', 'ret < 0',
        by => ['common_comm', 'id'], count => 'n';
    my $lat = aggregate 'syscalls:sys_exit_read', by => 'common_comm',
        hist => 'ret';
    every 5 => sub { $errs->print(top => 10); $errs->clear };
    END { $lat->print }

The table is exactly the one a handler adding the same values to a
Vigil::Aggr would build:

    my $errs = Vigil::Aggr->new(type => 'count', keys => ['common_comm', 'id'], value => 'n');
    on 'raw_syscalls:sys_exit', 'ret < 0' => sub {
        $errs->add([ $_[0]{common_comm}, $_[0]{id} ]);
    };

B<by> names the key: one field (C<by =E<gt> 'common_comm'>, a scalar key
as in C<add($e-E<gt>{common_comm})>), or a list (C<by =E<gt> ['common_comm',
'id']>, a tuple key); without B<by> every event goes under the one key
C<''>.  A field is an event field or a common field (C<common_comm>,
C<common_pid>, C<common_tid>, C<common_ppid>, C<common_cpu>,
C<common_ts>), an element of an array field as C<args[2]>; numbers are
keys in decimal, as Perl prints them.

One of these says what is kept (the Vigil::Aggr types):

=over 4

=item count => NAME

how many events; NAME is the value column's title when the table is
printed (C<count =E<gt> 1> for the default, C<COUNT>)

=item sum => FIELD, min => FIELD, max => FIELD, avg => FIELD, stats => FIELD

of the values of a number field (C<$e-E<gt>{FIELD}>)

=item hist => FIELD

a log2 histogram of them, as bpftrace's C<hist()>

=item lhist => [FIELD, MIN, MAX, STEP]

a linear histogram, as bpftrace's C<lhist()>

=back

and B<title>, B<keys> (the key columns' titles; by default the B<by>
fields), B<value> (the value column's title) and B<bar> are passed to
Vigil::Aggr-E<gt>new.  Unknown options, two types, a bad FILTER make
C<aggregate> die while the script loads; an event the trace or module
does not have, or a field the event lacks (a text field as a value, an
array without an index), stops vigild before tracing starts with the
script's line, as C<on> does.  For a glob, an event lacking a field is
left out (logged) and the others are aggregated.

Per event, the aggregations of an event run before its C<on> handlers.
C<Vigil::stats()> counts their updates in C<perl_aggregated> (and in
C<perl_dispatched>) and the events their filters kept out in
C<perl_filtered>.  Like C<on>, C<aggregate> may only be called while the
script loads.

=item Vigil::dump(reason => TEXT, before => SECONDS, after => SECONDS, done => CODE)

Ask the flight recorder to write the recent events (C<before> seconds
before now, and C<after> seconds more) to a trace directory.  Returns the
directory's path, or C<undef> with the reason in C<$@>.  Omitted
C<before>/C<after> take vigild's configured defaults.  The directory
appears at that path only once the C<after> window has closed.

C<done>, if given, is called exactly once when the dump is complete, as
C<< done->($path, undef) >>, or has failed or was refused (rate policy,
a dump directory that cannot be written), as C<< done->(undef, $error) >>.
It may run before Vigil::dump returns (a refusal, or C<after> 0 with
every packet at hand).  A C<done> that dies is logged and counted like a
handler error.  Dumps still open when vigild stops are finished with
what they have, and their C<done> runs before the C<END> blocks; after a
reload (SIGHUP) the new scripts' interpreter does not get the old ones'
C<done> calls (vigild logs them instead).

=item Vigil::clock_offset()

Nanoseconds to add to an event's C<common_ts> (the trace clock,
monotonic) for the wall-clock time, in ns since the epoch (UTC): the
clock offset of the trace's metadata, so on C<--replay> it is the one of
the recording, and the same script prints the same times.  C<undef>
while the scripts load before the trace is open, and outside vigild.

  my $wall = $e->{common_ts} + Vigil::clock_offset();
  my @tm = gmtime(int($wall / 1e9));

=item Vigil::stats()

A hash reference with vigild's counters: the dispatcher's own
(C<perl_events>, C<perl_dispatched>: handler calls and aggregation
updates, C<perl_filtered>: those a C filter saved, C<perl_unhandled>,
C<perl_aggregated>, C<perl_errors>, C<perl_ticks>, C<perl_ns>: time spent
in Perl, C<perl_watchdog_reports> and C<perl_watchdog_aborts>: calls the
watchdog reported as running long and aborted) and those
the daemon adds (events read, discarded by the kernel, ...; live,
C<event_source> is C<module> for vigil.ko or C<kernel> for the kernel's
tracepoints, see vigild(8) B<--source>).  Outside vigild it is empty.

=item Vigil::stacks(EVENT, ...)

Record these events (exact C<subsystem:event> names, no globs) with
their callchain, as B<stacks> in vigil.yaml(5) does: they then carry
C<common_callchain> (see L</THE EVENT OBJECT>).  Call it while the
script loads.  A name that is not an event of the trace makes vigild
fail, naming the script and line.

=item Vigil::callchain_text(CALLCHAIN [, INDENT])

A callchain (C<< $e->{common_callchain} >>, perf-style
C<$common_callchain>) as text, one frame a line as B<perf script> prints
them: INDENT (default a tab), the address, C<symbol+0xOFFSET> or
C<[unknown]>, and the object in parentheses.  '' for anything else.

=item Vigil::live()

True when vigild traces live; false on C<--replay> (and outside vigild).
Known while the script loads: a handler that clears the screen or runs
a command does so only live.

=item Vigil::log(LEVEL, MESSAGE)

Log through vigild's logging (GLib: the journal under systemd, stderr in
the foreground).  LEVEL is one of C<debug>, C<info>, C<message>,
C<warning>, C<critical>, C<error>.

=item Vigil::stop(REASON)

Stop tracing as C<vigilctl stop> would: the buffers are drained, the
remaining events delivered, then the C<END> blocks run.

C<exit> from a handler does the same (it ends that handler call and
stops vigild cleanly; it is not counted as a handler error).  C<exit(N)>
while a script loads (the C<--help> of its option parsing, even from a
Getopt::Long callback) ends vigild with status N before it traces
anything; on a reload (SIGHUP) the old scripts stay.

A process a handler forks is not vigild: C<system>, backticks and
C<fork> followed by C<exec> work as anywhere; in a child that does not
exec, C<exit(N)> ends the child at once with status N (its STDOUT and
STDERR flushed, no C<END> blocks, vigild and its tracing untouched).  A
child that returns from the handler instead is ended with status 70 and
a message on stderr, so that it never reads the parent's buffers.

=item Vigil::metric_counter(NAME, help => TEXT, labels => { LABEL => VALUE })

=item Vigil::metric_gauge(NAME, help => TEXT, labels => { LABEL => VALUE })

=item Vigil::metric_aggr(NAME, AGGR, help => TEXT, labels => [LABELS])

Publish a counter (C<< ->inc(N) >>), a gauge (C<< ->set(V) >>,
C<< ->inc >>, C<< ->dec >>) or a L<Vigil::Aggr> (a histogram, a
counter, a gauge or a summary, by its type) as Prometheus metrics, which
vigild serves on C<http://ADDR:PORT/metrics> with B<--metrics>
[I<ADDR>B<:>]I<PORT> (vigild(8)).  The first two return the series of
those label values; see L<Vigil::Metrics>:

    my $fails = Vigil::metric_counter('openat_failed_total', help => 'failed openat calls');
    on 'syscalls:sys_exit_openat', 'ret < 0' => sub { $fails->inc };

=back

=head1 THE EVENT OBJECT

Each handler gets one argument, C<$e>, a hash reference blessed into
C<Vigil::Event>.  Its keys are the event's fields, by the names in
vigil-handlers(7) (C<< $e->{ret} >>, C<< $e->{filename} >>), and the
common fields:

=over 4

=item common_ts

timestamp in nanoseconds (vigil's monotonic clock)

=item common_cpu

the CPU the event happened on

=item common_tid, common_pid, common_ppid

thread id, process id and parent process id (from vigild's task table:
the statedump at start and fork/exec/exit events since)

=item common_comm

the task's command name

=item common_cgroup, common_cgroup_id

the task's cgroup (v2): its path below the cgroup2 mount (C<""> while
vigild does not know it) and the kernel's id of it (the task table
follows moves and forks; see vigil-handlers(7))

=item common_callchain

only on events recorded with their callchain (C<Vigil::stacks>,
B<stacks> in vigil.yaml(5)): an array of frames, innermost first, as
B<perf script> gives Perl handlers:
C<< { ip => ADDR, sym => { name, start, end, binding }, dso => NAME } >>,
C<sym> and C<dso> only when known.  C<< $e->stack >> is the same as text.

=back

Array fields (C<raw_syscalls:sys_enter>'s C<args>) are array
references; C<char[N]> and string fields are strings; integers are
numbers.

Methods: C<name> (C<"sched:sched_switch">), C<ts>, C<cpu>, C<pid>,
C<tid>, C<ppid>, C<comm>, C<stack> (the callchain as text, '' without one), C<fields> (the field names in order,
without the common fields), C<hex_fields> (those the trace declares
hexadecimal: addresses, and the pointer arguments of the per-syscall
events; C<print.pl> shows them as C<0x...>) and C<enter>:

=over 4

=item $e->enter

On a C<syscalls:sys_exit_>I<NAME> event, the syscall's arguments as its
C<syscalls:sys_enter_>I<NAME> gave them: a new hash reference with the
argument fields (C<< ->{filename} >> is the path as text) and
C<common_ts>, the time of the entry (so C<< $e->{common_ts} -
$e->enter->{common_ts} >> is the syscall's duration).  undef when that
entry was not seen (the trace began inside the syscall) or the thread's
last entry was another syscall's.  vigild keeps each thread's last entry
only while some B<on> subscription may take C<syscalls:sys_exit_*>
events.  Which process opens files that do not exist:

    on 'syscalls:sys_exit_openat', 'ret == -2' => sub {
        printf "%s %s\n", $_[0]{common_comm}, $_[0]->enter->{filename};
    };

=back

=head2 What may be kept

To be fast, vigild reuses one event object per event type: the same hash
is refilled in place for the next event of that type.  Keeping C<$e>
itself is safe: when a handler returns and something still refers to
the object (C<< push @recent, $e >>, C<< $last{$tid} = $e >>), vigild
leaves that object alone and gives the next event a new one.  The same
holds for a kept array field (C<< my $args = $e->{args} >>) and when a
handler adds or deletes keys.

Not safe: a reference to a single hash value (C<< \$e->{ret} >>) kept
after the handler returns; copy the value instead
(C<< my $ret = $e->{ret} >>).

=head1 PERF SCRIPT COMPATIBILITY

A script that calls neither C<on> nor C<every> is run the way
C<perf script -s> runs it: the sub C<subsystem::event_name> (e.g.
C<sub sched::sched_switch>) handles that event and gets perf's positional
arguments

    $event_name, $context, $common_cpu, $common_secs, $common_nsecs,
    $common_pid, $common_comm, $common_callchain, FIELDS...

where C<$event_name> is C<"subsystem::event_name">, C<$common_pid> is
the thread id (as in perf), C<$common_callchain> is a reference to
the event's callchain as perf gives it (see C<common_callchain>; an
empty array for events recorded without one), and the fields follow in the order of vigil-handlers(7)
(the kernel's order; vigil's extra fields come last, so perf handlers
that name fewer arguments are unaffected).  C<raw_syscalls::sys_enter>
gets C<$id, $args> with C<$args> a reference to the 6 arguments;
C<syscalls::sys_enter_NAME> gets C<$__syscall_nr> and then the kernel's
arguments (the path argument as a string when vigil read it), and
C<syscalls::sys_exit_NAME> gets C<$__syscall_nr, $ret>, as under perf.
Unlike perf, a C<die> in a handler does not end the run: it is logged
and counted like a Vigil handler's.
C<trace_begin> runs before the first event, C<trace_end> after the last,
and C<trace_unhandled> gets the same arguments for events that have no
handler (not for the derived C<syscalls:*> events, nor for
C<raw_syscalls> events when the script handles C<syscalls::*> ones:
those are the events it asked for, seen another way).  The arguments
are reused from one event to the next, as the event objects are: copy
them (C<my (...) = @_>, as perf scripts do) rather than keeping
references to C<@_> elements; array references handed in (C<$args>,
C<$common_callchain>) may be kept.

If several scripts are given, a script counts as perf-style when it
does not call C<on> or C<every>; subs named like events are then looked
up by name, once per event type.

C<Perf::Trace::Core>, C<Perf::Trace::Util> and C<Perf::Trace::Context>
are provided by vigil and loaded before the script, so the C<use lib>
lines such scripts carry do not matter.  C<$context> carries nothing
vigil records: C<common_pc>, C<common_flags> and C<common_lock_depth>
return 0.

=head1 OFFLINE

L<Vigil::Trace> reads a trace directory from a plain perl program and
gives the same event objects, in time order.

=head1 SEE ALSO

vigild(8), vigil-handlers(7), L<Vigil::Trace>, L<Vigil::Aggr>, L<Vigil::Metrics>

=cut
