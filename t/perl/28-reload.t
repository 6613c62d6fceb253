#!/usr/bin/perl
# SIGHUP reloads the scripts: the old ones end (trace_end/END), the new
# ones take over from the next event; no event is lost or seen twice.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib";
use VigilPerlTest;

my ($trace, $x) = standard_trace(rounds => 3000, packet_size => 65536);
my $d = tmpdir();
my $script = write_file("$d/reload.pl", <<EOS);
use Vigil;
my \$gen = -e "$d/gen1" ? 2 : 1;
if (\$gen == 1) { open my \$f, '>', "$d/gen1" or die; close \$f }
my (\$n, \$first, \$last) = (0);
on 'raw_syscalls:sys_exit' => sub {
	my \$e = shift;
	\$first //= \$e->ts;
	\$last = \$e->ts;
	\$n++;
	if (\$gen == 1 && \$n == 100) {
		kill 'HUP', \$\$;
		select(undef, undef, undef, 0.2);	# let vigild's batch deadline pass
	}
};
END { print "gen \$gen n \$n first \$first last \$last\\n" }
EOS
my $r = run_vigild(trace => $trace, scripts => [$script]);
is($r->{rc}, 0, 'vigild exits 0') or diag $r->{err};
like($r->{err}, qr/reloaded/i, 'SIGHUP reloaded the scripts');
my %g = map { $_->[0] => { n => $_->[1], first => $_->[2], last => $_->[3] } }
    map { [/^gen (\d) n (\d+) first (\d+) last (\d+)$/] } grep { /^gen/ } split /\n/, $r->{out};
ok($g{1} && $g{2}, 'both the old and the new script ran their END blocks') or diag $r->{out};
like($r->{out}, qr/^gen 1 .*\ngen 2 /s, 'the old script ended before the new one');
is($g{1}{n} + $g{2}{n}, 3000, 'together they saw every event exactly once');
cmp_ok($g{1}{last}, '<', $g{2}{first}, 'the new script starts with the event after the old one\'s last');
cmp_ok($g{1}{n}, '>=', 100, 'the old script handled events up to the reload');

done_testing;
