#!/usr/bin/perl
# aggregate(): aggregations kept in C per event give exactly the table
# the same aggregation fed by a Perl `on` handler gives (Vigil::Aggr's
# add with the event's fields), on the trace the real vigil.ko recorded
# and on the test trace (derived syscalls:* events, unsigned 64-bit
# values); errors stop vigild at load with the script line; counters.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my $d = tmpdir();

# Each pair: the C aggregation and the same one fed from Perl.  END
# prints, per pair, whether format() and json() are the same, and the
# size of the table (so an empty pair cannot pass unnoticed).
sub pairs_script {
	my ($path, @pairs) = @_;
	my $s = "use Vigil;\nuse Vigil::Aggr;\nmy (\%c, \%p);\n";
	for my $p (@pairs) {
		my ($name, $event, $filter, $opts, $new, $add) = @$p;
		my $f = defined $filter ? "'$filter', " : '';
		$s .= "\$c{'$name'} = aggregate '$event', $f$opts;\n";
		$s .= "\$p{'$name'} = Vigil::Aggr->new($new);\n";
		$s .= "on '$event', ${f}sub { my \$e = shift; \$p{'$name'}->add($add) };\n";
	}
	$s .= <<'EOS';
END {
	for my $n (sort keys %c) {
		my ($c, $p) = ($c{$n}, $p{$n});
		my $same = $c->format eq $p->format && $c->json eq $p->json
		    && $c->format(sort => 'key') eq $p->format(sort => 'key') ? 1 : 0;
		printf "%s same=%d size=%d psize=%d\n", $n, $same, $c->size, $p->size;
		unless ($same) {
			print "C:\n", $c->format, "Perl:\n", $p->format;
		}
	}
}
EOS
	return write_file($path, $s);
}

sub check_pairs {
	my ($r, $what, %min) = @_;
	is($r->{rc}, 0, "$what: vigild runs the aggregations") or diag $r->{err};
	my %seen;
	for my $line (split /\n/, $r->{out}) {
		next unless $line =~ /^(\S+) same=(\d) size=(\d+) psize=(\d+)$/;
		my ($n, $same, $size, $psize) = ($1, $2, $3, $4);
		$seen{$n} = 1;
		ok($same, "$what: $n: the C aggregation equals the Perl handler's")
		    or diag $r->{out};
		cmp_ok($size, '>=', $min{$n} // 1, "$what: $n has keys ($size)");
	}
	is_deeply([sort keys %seen], [sort keys %min], "$what: every pair reported");
}

# ---- the trace vigil.ko recorded (Debian 6.1, a shell workload) ----
my $real = "$d/real";
mkdir $real;
is(system('tar', '-C', $real, '-xzf', "$FindBin::Bin/../data/vigil-6.1-trace.tar.gz"), 0,
    'the recorded trace unpacks');
my $script = pairs_script("$d/real.pl",
	['fails', 'raw_syscalls:sys_exit', 'ret < 0',
	 "by => ['common_comm', 'id'], count => 'n'",
	 "type => 'count', keys => ['common_comm', 'id'], value => 'n'",
	 '[$e->{common_comm}, $e->{id}]'],
	['calls', 'raw_syscalls:sys_exit', undef,
	 "by => ['common_pid', 'common_tid', 'common_ppid', 'common_cpu'], count => 1",
	 "type => 'count', keys => ['common_pid', 'common_tid', 'common_ppid', 'common_cpu']",
	 '[$e->{common_pid}, $e->{common_tid}, $e->{common_ppid}, $e->{common_cpu}]'],
	['retsum', 'raw_syscalls:sys_exit', undef,
	 "by => 'common_comm', sum => 'ret'",
	 "type => 'sum', keys => ['common_comm'], value => 'SUM ret'",
	 '$e->{common_comm}, $e->{ret}'],
	['rethist', 'raw_syscalls:sys_exit', undef,
	 "by => ['id'], hist => 'ret'",
	 "type => 'hist', keys => ['id']",
	 '[$e->{id}], $e->{ret}'],
	['retlhist', 'raw_syscalls:sys_exit', 'ret >= 0',
	 "lhist => ['ret', 0, 4096, 256]",
	 "type => 'lhist', min => 0, max => 4096, step => 256",
	 "'', \$e->{ret}"],
	['stats', 'sched:sched_switch', undef,
	 "by => ['prev_comm', 'next_comm'], stats => 'prev_state'",
	 "type => 'stats', keys => ['prev_comm', 'next_comm']",
	 '[$e->{prev_comm}, $e->{next_comm}], $e->{prev_state}'],
	['minmax', 'sched:sched_switch', 'next_pid != 0',
	 "by => 'next_pid', max => 'next_prio'",
	 "type => 'max', keys => ['next_pid'], value => 'MAX next_prio'",
	 '$e->{next_pid}, $e->{next_prio}'],
	['min', 'sched:sched_switch', undef,
	 "by => 'prev_comm', min => 'prev_prio'",
	 "type => 'min', keys => ['prev_comm'], value => 'MIN prev_prio'",
	 '$e->{prev_comm}, $e->{prev_prio}'],
	['avg', 'irq:irq_handler_entry', undef,
	 "by => 'name', avg => 'irq'",
	 "type => 'avg', keys => ['name'], value => 'AVG irq'",
	 '$e->{name}, $e->{irq}'],
	['args', 'raw_syscalls:sys_enter', undef,
	 "by => ['id', 'args[0]'], count => 1",
	 "type => 'count', keys => ['id', 'args[0]']",
	 '[$e->{id}, $e->{args}[0]]'],
	['paths', 'raw_syscalls:sys_enter', 'path_status == 1',
	 "by => ['path'], sum => 'args[2]'",
	 "type => 'sum', keys => ['path'], value => 'SUM args[2]'",
	 '[$e->{path}], $e->{args}[2]'],
	['faults', 'exceptions:page_fault_user', undef,
	 "by => ['common_comm', 'address'], count => 1",
	 "type => 'count', keys => ['common_comm', 'address']",
	 '[$e->{common_comm}, $e->{address}]'],
	['exec', 'sched:sched_process_exec', undef,
	 "by => ['filename', 'argv', 'common_ts'], count => 1",
	 "type => 'count', keys => ['filename', 'argv', 'common_ts']",
	 '[$e->{filename}, $e->{argv}, $e->{common_ts}]'],
	['total', 'irq:softirq_entry', undef, "count => 'events'",
	 "type => 'count', value => 'events'", "''"],
	['globs', 'irq:*', undef, "by => 'common_cpu', count => 1",
	 "type => 'count', keys => ['common_cpu']", '$e->{common_cpu}'],
);
my $r = run_vigild(trace => $real, scripts => [$script]);
check_pairs($r, 'recorded trace', map { $_ => 1 } qw(fails calls retsum rethist
    retlhist stats minmax min avg args paths faults exec total globs));

# ---- the test trace: derived syscalls:* events, unsigned 64-bit values ----
my ($trace, $x) = standard_trace(rounds => 60);
$script = pairs_script("$d/derived.pl",
	['openat', 'syscalls:sys_enter_openat', undef,
	 "by => ['filename', 'dfd', 'flags'], count => 1",
	 "type => 'count', keys => ['filename', 'dfd', 'flags']",
	 '[$e->{filename}, $e->{dfd}, $e->{flags}]'],
	['exits', 'syscalls:sys_exit_*', 'ret < 0',
	 "by => ['common_comm'], hist => 'ret'",
	 "type => 'hist', keys => ['common_comm']",
	 '[$e->{common_comm}], $e->{ret}'],
	['uv', 'raw_syscalls:sys_enter', undef,
	 "by => ['args[0]'], sum => 'args[0]'",
	 "type => 'sum', keys => ['args[0]'], value => 'SUM args[0]'",
	 '[$e->{args}[0]], $e->{args}[0]'],
	['scalar', 'raw_syscalls:sys_exit', 'ret < 0',
	 "by => 'common_tid', stats => 'ret'",
	 "type => 'stats', keys => ['common_tid']",
	 '$e->{common_tid}, $e->{ret}'],
);
$r = run_vigild(trace => $trace, scripts => [$script]);
check_pairs($r, 'test trace', openat => 2, exits => 2, uv => 1, scalar => 3);
like($r->{out}, qr/^uv same=1 size=1/m, 'args[0] = -100 read as the unsigned 64-bit value Perl sees');

# ---- counters, trace_unhandled, every ----
my $counts = write_file("$d/counts.pl", <<'EOS');
use Vigil;
my $fails = aggregate 'raw_syscalls:sys_exit', 'ret < 0', by => 'common_comm', count => 'n';
my $ticks = 0;
every 0.01 => sub { $ticks++ if $fails->size };
END {
	my $s = Vigil::stats();
	print "$_ $s->{$_}\n" for qw(perl_aggregated perl_dispatched perl_filtered perl_unhandled);
	print "keys ", join(',', map { "$_->[0]=$_->[1]" } $fails->entries(sort => 'key')), "\n";
	print "ticks ", ($ticks ? 'some' : 'none'), "\n";
}
EOS
$r = run_vigild(trace => $trace, scripts => [$counts]);
is($r->{rc}, 0, 'an aggregation with every and END') or diag $r->{err};
my %o = map { /^(\S+) (.*)$/ ? ($1 => $2) : () } split /\n/, $r->{out};
my $neg = grep { $_ < 0 } @{ $x->{rets} };
is($o{perl_aggregated}, $neg, 'perl_aggregated counts the updates');
is($o{perl_dispatched}, $neg, 'perl_dispatched counts them too (handed to a consumer)');
is($o{perl_filtered}, 60 - $neg, 'perl_filtered counts the events the filter kept out');
is($o{keys}, join(',', map { "$_=$x->{fails}{$_}" } sort keys %{ $x->{fails} }),
    'every reads the table while it fills; END sees all of it');
is($o{ticks}, 'some', 'the table is readable in every');
is($o{perl_unhandled}, $x->{events} - 60, 'the events of an aggregated class are not unhandled, the others are');

# ---- clear and delete from Perl while C adds (the C side keeps recent
# entries: they must be forgotten when the table drops them) ----
my $clear = write_file("$d/clear.pl", <<'EOS');
use Vigil;
use Vigil::Aggr;
my $c = aggregate 'raw_syscalls:sys_exit', by => ['common_comm', 'common_tid', 'id'], sum => 'ret';
my $p = Vigil::Aggr->new(type => 'sum', keys => ['common_comm', 'common_tid', 'id'], value => 'SUM ret');
on 'raw_syscalls:sys_exit' => sub { $p->add([$_[0]{common_comm}, $_[0]{common_tid}, $_[0]{id}], $_[0]{ret}) };
my ($ticks, $same, $sum) = (0, 0, 0);
every 0.005 => sub {
	$ticks++;
	$same++ if $c->format eq $p->format;
	$sum += $_->[1] for $c->entries;
	if ($ticks % 3 == 0) { $c->clear; $p->clear }
	elsif ($ticks % 3 == 1) { for my $k ($c->keys) { $c->delete($k); $p->delete($k) } }
};
END {
	$sum += $_->[1] for $c->entries;
	print "ticks $ticks same $same end ", ($c->format eq $p->format ? 1 : 0), "\n";
}
EOS
$r = run_vigild(trace => $trace, scripts => [$clear]);
is($r->{rc}, 0, 'clear and delete in every') or diag $r->{err};
my ($ticks, $same, $end) = $r->{out} =~ /^ticks (\d+) same (\d+) end (\d)$/m;
cmp_ok($ticks // 0, '>', 5, 'every ran several times');
is($same, $ticks, 'each time the C table equals the Perl one');
is($end, 1, 'and at the end');

# ---- errors: at load, with the script line ----
sub load_error {
	my ($name, $body, $re, $what) = @_;
	my $s = write_file("$d/$name.pl", "use Vigil;\n\n$body\n");
	my $r = run_vigild(trace => $trace, scripts => [$s]);
	is($r->{rc}, 1, "$what: vigild exits 1 before replaying");
	like($r->{err}, $re, "$what: the message says so") or diag $r->{err};
	like($r->{err}, qr/\Q$name\E\.pl line 3/, "$what: with the script line");
	unlike($r->{err}, qr/replaying/, "$what: the trace is not read");
}
load_error('noevent', "aggregate 'raw_syscalls:sys_exitt', count => 1;",
    qr/aggregate 'raw_syscalls:sys_exitt': no such event; did you mean 'raw_syscalls:sys_exit'\?/,
    'an unknown event');
load_error('nofield', "aggregate 'raw_syscalls:sys_exit', by => ['common_comm', 'idd'], count => 1;",
    qr/aggregate 'raw_syscalls:sys_exit': raw_syscalls:sys_exit has no field 'idd' \(fields: id, ret, common_ts/,
    'an unknown key field');
load_error('novalue', "aggregate 'raw_syscalls:sys_exit', sum => 'rett';",
    qr/has no field 'rett'/, 'an unknown value field');
load_error('textvalue', "aggregate 'sched:sched_switch', sum => 'prev_comm';",
    qr/prev_comm is text: the value must be a number field/, 'a text value');
load_error('array', "aggregate 'raw_syscalls:sys_enter', by => 'args', count => 1;",
    qr/args is an array: say which element, args\[N\]/, 'an array without index');
load_error('index', "aggregate 'raw_syscalls:sys_enter', by => 'args[6]', count => 1;",
    qr/index 6 out of range for 'args' \(length 6\)/, 'an index out of range');
load_error('badfilterfield', "aggregate 'raw_syscalls:sys_exit', 'rett < 0', count => 1;",
    qr/aggregate 'raw_syscalls:sys_exit', 'rett < 0': filter: unknown field 'rett' at column 1/,
    'a filter naming an unknown field');
load_error('badfilter', "aggregate 'raw_syscalls:sys_exit', 'ret < < 0', count => 1;",
    qr/aggregate 'raw_syscalls:sys_exit': bad filter "ret < < 0": filter: expected a field, number or string, got '<' at column 7/,
    'a filter with a syntax error');
load_error('badopt', "aggregate 'raw_syscalls:sys_exit', count => 1, by => 'id', top => 3;",
    qr/aggregate 'raw_syscalls:sys_exit': unknown option 'top' \(known: avg, bar, by, count/,
    'an unknown option');
load_error('notype', "aggregate 'raw_syscalls:sys_exit', by => 'id';",
    qr/aggregate 'raw_syscalls:sys_exit': say what to aggregate: count => NAME/,
    'no aggregation type');
load_error('twotypes', "aggregate 'raw_syscalls:sys_exit', count => 1, sum => 'ret';",
    qr/options 'count' and 'sum' both say what to aggregate; give one/,
    'two aggregation types');
load_error('badlhist', "aggregate 'raw_syscalls:sys_exit', lhist => ['ret', 0, 10, 3];",
    qr/lhist: max - min must be a multiple of step/, 'bad lhist bounds');
load_error('badname', "aggregate 'sys_exit', count => 1;",
    qr/aggregate: bad event name 'sys_exit'/, 'an event name without subsystem');
load_error('badby', "aggregate 'raw_syscalls:sys_exit', by => {}, count => 1;",
    qr/by => FIELD or \[FIELD, \.\.\.\], not HASH reference/, 'by given a hash');

# a glob whose events lack the field: those events are left out, logged
my $glob = write_file("$d/glob.pl", <<'EOS');
use Vigil;
my $a = aggregate 'raw_syscalls:*', by => 'ret', count => 1;
END { print "size ", $a->size, "\n" }
EOS
$r = run_vigild(trace => $trace, scripts => [$glob]);
is($r->{rc}, 0, 'a glob matching an event without the field still runs') or diag $r->{err};
like($r->{err}, qr/glob\.pl line 2: aggregate 'raw_syscalls:\*': event raw_syscalls:sys_enter: raw_syscalls:sys_enter has no field 'ret'/,
    '... the event without it is named in the log');
like($r->{out}, qr/^size [1-9]/m, '... and the others are aggregated');

# after the scripts are loaded, aggregate() is refused
my $late = write_file("$d/late.pl", <<'EOS');
use Vigil;
on 'raw_syscalls:sys_exit' => sub { eval { aggregate 'raw_syscalls:sys_exit', count => 1 }; print "late: $@" if $@ && !$::said++ };
EOS
$r = run_vigild(trace => $trace, scripts => [$late]);
like($r->{out}, qr/late: aggregate 'raw_syscalls:sys_exit': the scripts are loaded/, 'aggregate() in a handler dies');

done_testing;
