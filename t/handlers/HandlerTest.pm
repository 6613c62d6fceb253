package HandlerTest;
# Runs a ready-made handler under `vigild --replay` on a trace written by
# VigilHandlerTrace and returns what it printed.
#
# Without a built vigild the tests skip, except under CI=true where they
# fail: a missing daemon must not pass for a working one.
use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use Test::More;
use Exporter 'import';
our @EXPORT = qw(need_vigild run_handler new_trace trace_dir $ROOT);

our $ROOT = abs_path(dirname(__FILE__) . '/../..');

sub find_vigild {
	return $ENV{VIGILD} if $ENV{VIGILD};
	for my $p ("$ROOT/daemon/build/bin/vigild", "$ROOT/daemon/build/vigild",
		   "$ROOT/daemon/vigild/vigild", "$ROOT/daemon/build/vigild/vigild") {
		return $p if -f $p && -x _;
	}
	return undef;
}

sub need_vigild {
	my $v = find_vigild();
	return $v if $v;
	if (($ENV{CI} // '') eq 'true') {
		fail('vigild is built (run make; or set VIGILD=path)');
		done_testing();
		exit 1;
	}
	plan skip_all => 'vigild is not built yet (make); under CI=true this fails';
}

sub new_trace { require VigilHandlerTrace; return VigilHandlerTrace->new(@_) }

my $tmp;
sub trace_dir {
	my ($trace) = @_;
	$tmp //= tempdir('vigil-handler-test-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my $n = 0;
	$n++ while -e "$tmp/trace$n";
	return $trace->write("$tmp/trace$n");
}

# (stdout, stderr, exit status) of vigild --replay DIR -s handlers/SCRIPT -- ARGS
sub run_handler {
	my ($dir, $script, @args) = @_;
	my $vigild = find_vigild() or die "no vigild";
	$tmp //= tempdir('vigil-handler-test-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	my ($out, $err) = ("$tmp/out", "$tmp/err");
	my $pid = fork // die "fork: $!";
	if (!$pid) {
		open STDOUT, '>', $out or die "$out: $!";
		open STDERR, '>', $err or die "$err: $!";
		open STDIN, '<', '/dev/null' or die "/dev/null: $!";
		# dumps a handler asks for go to the test's directory
		exec $vigild, '-f', '--replay', $dir, '--dump-dir', "$tmp/dumps",
		    '-s', "$ROOT/handlers/$script",
		    (@args ? ('--', @args) : ());
		die "exec $vigild: $!";
	}
	waitpid($pid, 0);
	my $status = $?;
	local $/;
	open my $o, '<', $out or die "$out: $!";
	my $stdout = <$o>;
	open my $e, '<', $err or die "$err: $!";
	my $stderr = <$e>;
	return ($stdout, $stderr, $status);
}

1;
