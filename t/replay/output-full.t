#!/usr/bin/perl
# vigild --replay whose outputs go to a full file system: the handlers'
# report (their STDOUT) and vigild's log (its stderr).  vigild neither
# dies nor hangs, every event is still delivered, and lost report output
# is said on stderr and in the exit status (3, as for handler errors);
# a log that cannot be written loses the log only.
# (The dump directory full or missing during a replay: t/dump/30-write-errors.t.)
use strict;
use warnings;
use FindBin;
use File::Temp qw(tempdir);
use lib "$FindBin::Bin/../lib", "$FindBin::Bin/../perl/lib";
use Test::More;
use VigilPerlTest qw(standard_trace write_file vigild_path);
use VigildRun qw(slurp);

my $dir = tempdir(CLEANUP => 1);
my $MNT;
END { system('umount', $MNT) if $MNT }

plan skip_all => 'needs root to mount a tmpfs' unless $> == 0;
my $mnt = "$dir/mnt";
mkdir $mnt or die;
system('mount', '-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'vigil-test', $mnt) == 0
    or plan skip_all => 'cannot mount a tmpfs here';
$MNT = $mnt;

my ($trace) = standard_trace(rounds => 3000, packet_size => 65536);
# about 150 KB of report: more than the 64 KiB file system holds
my $script = write_file("$dir/report.pl", <<"EOS");
use Vigil;
my \$n = 0;
on 'raw_syscalls:sys_exit' => sub {
	\$n++;
	printf "%6d %-40s\\n", \$n, \$_[0]->comm;
};
END { open my \$f, '>', "$dir/count" or die; print \$f "\$n\\n" }
EOS

sub replay {
	my ($out, $err) = @_;
	unlink "$dir/count";
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		open STDIN, '<', '/dev/null';
		open STDOUT, '>', $out or die "$out: $!";
		open STDERR, '>', $err or die "$err: $!";
		$ENV{VIGIL_PERL_LIB} = VigilPerlTest::root() . '/perl/lib';
		exec vigild_path(), '-c', write_file("$dir/vigil.yaml", "control_socket: $dir/sock\n"),
		    '-f', '--replay', $trace, '-s', $script or die;
	}
	local $SIG{ALRM} = sub { kill 'KILL', $pid; die "vigild hangs\n" };
	alarm 60;
	waitpid $pid, 0;
	alarm 0;
	return $?;
}

# ---- the report to a full file system ---------------------------------------
my $st = replay("$mnt/report.txt", "$dir/report.err");
my $err = slurp("$dir/report.err") // '';
is($st >> 8, 3, 'report output lost: exit 3') or diag $err;
is(slurp("$dir/count"), "3000\n", 'every event was delivered all the same');
cmp_ok(-s "$mnt/report.txt", '<', 3000 * 48, 'the report is cut short (the file system is full)');
like($err, qr/the handlers' output to STDOUT could not all be written \(No space left on device\): some of it is lost/,
    'vigild says that report output is lost, and why');
like($err, qr/vigild: 1 handler error/, 'and counts it as an error');
unlink "$mnt/report.txt";

# ---- the log to a full file system ----------------------------------------------
# fill it up first: not one line of the log fits
open my $fh, '>', "$mnt/filler" or die;
{ local $SIG{__WARN__} = sub {}; 1 while print {$fh} 'x' x 4096 and $fh->flush }
close $fh;
$st = replay("$dir/report.txt", "$mnt/log");
is($st >> 8, 0, 'the log to a full file system: vigild ends normally, exit 0')
    or diag slurp("$mnt/log");
is(slurp("$dir/count"), "3000\n", 'every event delivered');
my $lines = () = (slurp("$dir/report.txt") // '') =~ /\n/g;
is($lines, 3000, 'the report is whole');
is(-s "$mnt/log", 0, 'the log is lost (nothing fits), nothing else is');

done_testing;
