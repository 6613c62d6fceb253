package VigilPerlTest;

# Helpers for the t/perl tests: a trace made with VigilTestTrace and
# handler scripts written by the test, for vigild to replay (vigild
# itself is run by t/lib/VigildRun.pm, whose run_vigild, vigild_path and
# write_file this module passes on).

use strict;
use warnings;
use Exporter 'import';
use File::Temp qw(tempdir);
use File::Spec;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use lib dirname(__FILE__) . '/../../lib';
use VigildRun qw(vigild_path write_file run_vigild);

our @EXPORT = qw(vigild_path tmpdir write_file run_vigild standard_trace
    use_blib);

our $ROOT = abs_path(File::Spec->catdir((File::Spec->splitpath(__FILE__))[1],
    '..', '..', '..'));

sub root { $ROOT }

# The Vigil module built by Makefile.PL (blib), for plain-perl tests.
sub use_blib {
	die "the Vigil module is not built (blib/ missing): run make\n"
	    unless -f "$ROOT/blib/arch/auto/Vigil/Vigil.so";
	unshift @INC, "$ROOT/blib/lib", "$ROOT/blib/arch";
	return;
}

sub tmpdir { tempdir('vigil-perl-XXXXXX', TMPDIR => 1, CLEANUP => 1) }

# A trace with a known population: process 100 (bash, 2 threads: 100 and
# 101), process 200 (cat); N rounds of openat enter/exit on alternating
# CPUs with known results, plus sched_switch events.
#   counts: openat calls per tid, failures (ret < 0) per comm.
sub standard_trace {
	my (%o) = @_;
	require VigilTestTrace;
	my $rounds = $o{rounds} || 30;
	my $w = VigilTestTrace->new(cpus => 2, packet_size => $o{packet_size} || 4096);
	my $ts = 1_000_000_000;
	$w->event(cpu => 0, ts => $ts++, tid => 100, name => 'vigil:statedump_process',
	    pid => 100, ppid => 1, comm => 'bash', uid => 0, exe => '/bin/bash');
	$w->event(cpu => 0, ts => $ts++, tid => 101, name => 'vigil:statedump_process',
	    pid => 100, ppid => 1, comm => 'bash', uid => 0, exe => '/bin/bash');
	$w->event(cpu => 0, ts => $ts++, tid => 200, name => 'vigil:statedump_process',
	    pid => 200, ppid => 100, comm => 'cat', uid => 1000, exe => '/bin/cat');
	$w->event(cpu => 0, ts => $ts++, tid => 100, name => 'vigil:statedump_end', count => 3);
	my @tids = (100, 101, 200);
	my %expect = (calls => {}, fails => {}, events => 4);
	for my $i (0 .. $rounds - 1) {
		my $tid = $tids[$i % 3];
		my $cpu = $i % 2;
		my $ret = $i % 4 == 0 ? -2 : 3 + $i;
		my $path = $i % 5 == 0 ? "/etc/passwd" : "/tmp/file$i";
		$ts += 1_000_000;	# 1 ms apart
		$w->event(cpu => $cpu, ts => $ts, tid => $tid,
		    name => 'raw_syscalls:sys_enter', id => 257,
		    args => [-100, 0x1000 + $i, 0, 0, 0, 0], path_arg => 1,
		    path_status => 1, path => $path);
		$w->event(cpu => $cpu, ts => $ts + 500, tid => $tid,
		    name => 'raw_syscalls:sys_exit', id => 257, ret => $ret);
		$w->event(cpu => 1 - $cpu, ts => $ts + 700, tid => 0,
		    name => 'sched:sched_switch', prev_comm => 'swapper/1',
		    prev_pid => 0, prev_prio => 120, prev_state => 0,
		    next_comm => $tid == 200 ? 'cat' : 'bash', next_pid => $tid,
		    next_prio => 120);
		$expect{calls}{$tid}++;
		$expect{fails}{ $tid == 200 ? 'cat' : 'bash' }++ if $ret < 0;
		$expect{etc}++ if $path =~ m{^/etc/};
		$expect{events} += 3;
		push @{ $expect{rets} }, $ret;
		push @{ $expect{paths} }, $path;
	}
	$expect{first_ts} = 1_000_000_000;
	$expect{last_ts} = $ts + 700;
	my $dir = $o{dir} || tmpdir() . '/trace';
	$w->write($dir);
	return ($dir, \%expect);
}

1;
