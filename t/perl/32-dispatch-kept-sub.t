#!/usr/bin/perl
# A handler that is a plain Perl sub is not entered anew per event: its
# sub context stays on Perl's context stack between its calls (the kept
# sub context of perl/embed/dispatch.c).  Each call must still look like
# a fresh sub call: @_ holds this event's arguments, `my` variables start
# empty, `local` is undone, recursion gets its own pads, `return` (also
# from nested loops) ends the call, wantarray is void, caller() finds the
# handler, a die is caught on its event and the next event is normal.
# Handlers the kept context cannot take (goto) and code running between
# events (every) behave as before.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 60);
my $d = tmpdir();
my $n_exit = 60;	# raw_syscalls:sys_exit events in the trace

# One handler: nothing else runs between its calls, its context is
# kept from the first event to the last.
my $script = write_file("$d/kept.pl", <<'EOS');
use Vigil;
use feature 'current_sub';
our ($g, %g) = ('outside');
$g{k} = 'outside';
my (%c, @closures, @kept_args, $self);
my $calls = 0;
sub count_frames { my $i = 0; $i++ while caller($i); $i }
sub handler {
	$c{args_at_entry}{ scalar @_ }++ if @_ != 2;
	if (@_ == 2) {
		# a recursive call: its own @_ and `my`s
		my ($e, $depth) = @_;
		my $mine = "depth$depth";
		my $r = $depth < 3 ? handler($e, $depth + 1) : 'bottom';
		return $mine eq "depth$depth" && $_[1] == $depth ? $r : 'broken';
	}
	my $e = $_[0];
	$calls++;
	# what the last call did is undone: its locals, its match
	$c{local_undone}++ if $g eq 'outside' && $g{k} eq 'outside'
	    && !defined $_;
	$c{stale_match}++ if defined $1;
	# `my` variables start empty in every call
	my $fresh;
	my @list;
	$c{my_fresh}++ if !defined $fresh && !@list;
	$fresh = $calls;
	push @list, 1 .. 3;
	# a closure keeps its own copy of a `my` of one call
	my $v = "call$calls";
	push @closures, sub { $v } if $calls <= 3;
	"id$e->{id}" =~ /^(id\d+)$/;
	local $g = "inside$calls";
	local $g{k} = 'inside';
	local $_ = 'topic';
	# void context; caller() sees this sub, called with arguments
	$c{want}{ defined wantarray ? (wantarray ? 'list' : 'scalar') : 'void' }++;
	my @ci = caller(0);
	$c{caller_sub}{ $ci[3] }++;
	$c{hasargs}{ $ci[4] }++;
	$self //= __SUB__;
	$c{sub_self}++ if __SUB__ == $self;
	$c{frames}{ count_frames() }++;
	# a string eval sees the handler's lexicals
	$c{string_eval}++ if eval '$e->{id}' == $e->{id};
	# recursion: the handler calls itself; its @_ and `my`s survive
	$c{recursion}++ if handler($e, 1) eq 'bottom' && $_[0] == $e
	    && @_ == 1 && $v eq "call$calls";
	# \@_ takes @_ over (reified); push @_ too; else a shift moves it
	if ($calls % 10 == 1) {
		push @kept_args, \@_;
	} elsif ($calls % 10 == 2) {
		push @_, 'more';
	} else {
		shift;
	}
	# return from inside nested loops ends the call at once
	for my $i (1 .. 3) {
		for my $j (1 .. 3) {
			return (1) x 50 if $calls % 3 == 0 && $j == 2;
		}
	}
	$c{not_returned}++;
	# a die every 7th call, in a sort block inside a loop
	if ($calls % 7 == 0) {
		for (1) { my @s = sort { die "boom $calls\n" } 1, 2 }
	}
	$c{survived}++;
}
on 'raw_syscalls:sys_exit' => \&handler;
END {
	$c{closures} = join ',', map { $_->() } @closures;
	my %ts = map { $_->[0]{common_ts} => 1 } @kept_args;
	$c{kept_args} = join ',', map { scalar(@$_) . ':' . ref($_->[0]) } @kept_args;
	$c{kept_args_events} = keys %ts;
	for my $k (sort keys %c) {
		my $v = $c{$k};
		$v = join ',', map { "$_=$v->{$_}" } sort keys %$v if ref $v eq 'HASH';
		print "$k $v\n";
	}
	print "errors ", Vigil::stats()->{perl_errors}, "\n";
	print "global $g $g{k}\n";
}
EOS
my $r = run_vigild(trace => $trace, scripts => [$script]);
is($r->{rc}, 3, 'vigild runs to the end, exit 3 for the handler errors') or diag $r->{err};
my %got = $r->{out} =~ /^(\w+) (.*)$/mg;
my $n = $n_exit;
is($got{args_at_entry}, "1=$n", '@_ holds the event alone at every call (after shift, push, \@_)');
is($got{my_fresh}, $n, 'my variables start empty in every call');
is($got{closures}, 'call1,call2,call3', 'a closure keeps the my of its own call');
is($got{stale_match}, undef, 'a call does not see the last call\'s regex captures');
is($got{local_undone}, $n, 'local (scalar, hash element, $_) is undone when a call ends, by return or die too');
is($got{global}, 'outside outside', 'and after the last event');
is($got{recursion}, $n, 'recursion works, the outer call\'s @_ and my survive it');
is($got{want}, "void=$n", 'wantarray is undef (void)');
is($got{caller_sub}, "main::handler=$n", 'caller(0) names the handler');
is($got{hasargs}, "1=$n", 'caller(0) says it was called with arguments');
is($got{sub_self}, $n, '__SUB__ is the handler');
like($got{frames}, qr/^\d+=$n$/, 'every call sees the same depth of frames');
is($got{string_eval}, $n, 'a string eval sees the handler\'s lexicals');
my $ret = int($n / 3);
my $died = 0;
for my $i (1 .. $n) { $died++ if $i % 3 && $i % 7 == 0 }
is($got{not_returned}, $n - $ret, 'return from nested loops ends the call');
is($got{survived}, $n - $ret - $died, 'a die ends the call');
is($got{errors}, $died, 'each die is counted once');
my @calls_kept = grep { $_ % 10 == 1 } 1 .. $n;
is($got{kept_args}, join(',', map { '1:Vigil::Event' } @calls_kept),
    'an @_ a handler kept holds the event of its call');
is($got{kept_args_events}, scalar @calls_kept, '... each its own event');
unlike($r->{err}, qr/context stack at/, 'no context stack complaint');

# Several handlers of one event and of another class (each call replaces
# the kept context), handlers the kept context cannot take (goto), and
# Perl code between events (every).
my $multi = write_file("$d/multi.pl", <<'EOS');
use Vigil;
use feature 'signatures';
no warnings 'experimental::signatures';
my (%c, $last_event);
sub chain { my $n = shift; return $n ? chain($n - 1) : 'end' }
on 'raw_syscalls:sys_exit' => sub {
	$c{first}{ scalar @_ }++;
	my $e = shift;
	$c{first_ok}++ if ref $e && @_ == 0 && chain(3) eq 'end';
	die "first dies\n" if $e->{ret} < 0;
};
on 'raw_syscalls:sys_exit' => sub {
	$c{second}{ scalar @_ }++;
	local $_ = 'second';
	$c{second_ok}++ if ref $_[0] && $_[0]{id} == 257;
};
# signatures read @_ too
on 'raw_syscalls:sys_exit' => sub ($e) { $c{signature}++ if ref $e && $e->{id} == 257 };
# goto &sub and goto LABEL: the plain call
sub target { $c{goto_target}++ if @_ == 1 && ref $_[0] }
on 'raw_syscalls:sys_exit' => sub { goto &target };
on 'raw_syscalls:sys_exit' => sub {
	my $n = 0;
	AGAIN: $n++;
	goto AGAIN if $n < 3;
	$c{goto_label}++ if $n == 3;
};
on 'sched:sched_switch' => sub {
	my $e = shift;
	$c{switch}++ if @_ == 0 && $e->{next_pid} && !defined $_;
};
sub enter_handler { $last_event = $_[0]{id} }
on 'raw_syscalls:sys_enter' => \&enter_handler;
# code between events does not see a handler as its caller
every 0.005 => sub {
	# (caller(0) is this sub; below it only eval frames: vigild's)
	my $i = 1;
	while (my @f = caller($i++)) {
		$c{every_sees_sub}{ $f[3] }++ if $f[3] ne '(eval)';
	}
	$c{every}++;
	# and may call a handler's sub itself
	enter_handler({ id => 'every' });
	$c{every_called}++ if $last_event eq 'every';
};
END {
	for my $k (sort keys %c) {
		my $v = $c{$k};
		$v = join ',', map { "$_=$v->{$_}" } sort keys %$v if ref $v eq 'HASH';
		print "$k $v\n";
	}
	print "errors ", Vigil::stats()->{perl_errors}, "\n";
}
EOS
$r = run_vigild(trace => $trace, scripts => [$multi]);
is($r->{rc}, 3, 'several handlers: vigild runs to the end, exit 3 for the errors') or diag $r->{err};
%got = $r->{out} =~ /^(\w+) (.*)$/mg;
my $fails = grep { $_ < 0 } @{ $x->{rets} };
is($got{first}, "1=$n", 'the first handler gets the event in @_');
is($got{first_ok}, $n, 'shift and nested calls work in it');
is($got{second}, "1=$n", 'the second gets it too, also after the first died');
is($got{second_ok}, $n, 'and reads it');
is($got{errors}, $fails, 'the first handler\'s dies are counted');
is($got{signature}, $n, 'a handler with a signature gets its argument');
is($got{goto_target}, $n, 'goto &sub in a handler works');
is($got{goto_label}, $n, 'goto LABEL inside a handler works');
is($got{switch}, 60, 'a handler of another class between them runs normally (local undone)');
ok($got{every} && $got{every} >= 5, "every callbacks ran ($got{every})");
is($got{every_sees_sub}, undef, 'an every callback does not find a handler among its callers');
is($got{every_called}, $got{every}, 'an every callback may call a handler sub');
unlike($r->{err}, qr/context stack at/, 'no context stack complaint');

# perf-style subs: positional arguments, shift, recursion, die
my $perf = write_file("$d/perf.pl", <<'EOS');
my (%c, $n);
sub raw_syscalls::sys_exit {
	my $depth = ref $_[-1] eq 'SCALAR' ? ${ pop @_ } : 0;
	$c{"args$depth"}{ scalar @_ }++;
	my $name = shift;
	$n++ unless $depth;
	raw_syscalls::sys_exit($name, @_, \($depth + 1)) if $depth < 2;
	$c{name}++ if $name eq 'raw_syscalls::sys_exit';
	die "perf $n\n" if !$depth && $n % 9 == 0;
	$c{after}++ unless $depth;
}
sub trace_end {
	for my $k (sort keys %c) {
		my $v = $c{$k};
		$v = join ',', map { "$_=$v->{$_}" } sort keys %$v if ref $v;
		print "$k $v\n";
	}
}
EOS
$r = run_vigild(trace => $trace, scripts => [$perf]);
is($r->{rc}, 3, 'a dying perf-style sub: exit 3') or diag $r->{err};
%got = $r->{out} =~ /^(\w+) (.*)$/mg;
my ($nargs) = ($got{args0} // '') =~ /^(\d+)=$n$/;
ok($nargs && $nargs >= 10, "every call gets the same positional arguments ($got{args0})");
is($got{args1}, ($nargs // 0) . "=$n", 'and so does its recursive call');
is($got{name}, 3 * $n, 'shift takes the first of them, at each depth');
is($got{after}, $n - int($n / 9), 'a die ends just its own call');

done_testing;
