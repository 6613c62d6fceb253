#!/usr/bin/perl
# A handler that closes STDOUT or STDERR, or writes to a pipe nobody
# reads any more: vigild neither dies nor spins, every event is still
# delivered, the failures are reported, and vigild's own descriptors
# stay its own.  close() closes the Perl handle only: the descriptor
# under it stays open (perl/embed/embed.c, vg_pl_keep_std_fds), so the
# next file opened is not descriptor 1 or 2, and neither vigild's log
# nor a handler's child writes into it.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use VigilPerlTest;
use VigildRun qw(slurp);

my ($trace) = standard_trace(rounds => 3000, packet_size => 65536);
my $d = tmpdir();

my $closer = write_file("$d/close.pl", <<"EOS");
use strict;
use warnings;
use Vigil;
my \$n = 0;
on 'raw_syscalls:sys_exit' => sub {
	\$n++;
	if (\$n == 1) {
		close STDOUT;
		close STDERR;
		open my \$f, '>', "$d/opened" or die "$d/opened: \$!";
		print \$f fileno(\$f), "\\n";
		close \$f;
		system('echo', 'from a child after the close');
	}
	print STDOUT "event \$n\\n" or die "print to STDOUT: \$!\\n" if \$n == 2;
	if (\$n == 3000) {
		open my \$f, '>', "$d/count" or die;
		print \$f "\$n\\n";
	}
};
EOS
my $r = run_vigild(trace => $trace, scripts => [$closer]);
is($r->{rc}, 3, 'vigild ends normally, exit 3: the handler\'s failed print is an error') or diag $r->{err};
is(slurp("$d/count"), "3000\n", 'every event was delivered after the close');
my $fd = slurp("$d/opened") // '';
chomp $fd;
cmp_ok($fd, '>', 2, 'a file opened after the close is not descriptor 0, 1 or 2');
is($r->{out}, "from a child after the close\n",
    'a child of the handler still writes to vigild\'s standard output');
like($r->{err}, qr/handler error 1 .* on event raw_syscalls:sys_exit .*: print to STDOUT: Bad file descriptor/,
    'the print to the closed STDOUT fails, and the error is logged (on vigild\'s stderr, still open)');
like($r->{err}, qr/vigild exits \(end of trace\)\s*\z/, 'vigild\'s own log goes on to the end');

# STDOUT a pipe whose reader has gone: EPIPE (vigild ignores SIGPIPE)
# for the handler, which sees its prints fail
my $printer = write_file("$d/print.pl", <<'EOS');
use Vigil;
my ($n, $failed) = (0, 0);
on 'raw_syscalls:sys_exit' => sub {
	$n++;
	$| = 1;
	print "event $n\n" or $failed++;
};
END { print STDERR "events $n failed prints $failed\n" }
EOS
pipe(my $rd, my $wr) or die "pipe: $!";
close $rd;
my $pid = fork // die "fork: $!";
if (!$pid) {
	open STDOUT, '>&', $wr or die;
	open STDERR, '>', "$d/pipe.err" or die;
	open STDIN, '<', '/dev/null';
	$ENV{VIGIL_PERL_LIB} = VigilPerlTest::root() . '/perl/lib';
	exec vigild_path(), '-c', write_file("$d/pipe.yaml", "control_socket: $d/sock\n"),
	    '-f', '--replay', $trace, '-s', $printer or die;
}
close $wr;
local $SIG{ALRM} = sub { kill 'KILL', $pid; die "vigild hangs with a broken stdout\n" };
alarm 60;
waitpid $pid, 0;
alarm 0;
is($? >> 8, 0, 'stdout a pipe nobody reads: vigild ends normally, exit 0 (as `| head` wants), no SIGPIPE');
my $err = slurp("$d/pipe.err") // '';
like($err, qr/^events 3000 failed prints 3000$/m,
    'every event was delivered; every print failed and said so to the handler');
unlike($err, qr/could not all be written/, 'the reader chose to go: not an error of vigild\'s');
# (output lost on a full disk is an error: t/replay/output-full.t)

done_testing;
