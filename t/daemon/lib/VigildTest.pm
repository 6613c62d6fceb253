package VigildTest;
# Helpers for the daemon tests: find the built vigild/vigilctl, run
# commands capturing output and status, start vigild in the background.
use strict;
use warnings;
use Exporter 'import';
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @EXPORT = qw(repo_root find_prog need_progs run_cmd start_bg wait_bg
                 wait_for write_file slurp vigilctl);

my $ROOT = abs_path(dirname(abs_path(__FILE__)) . '/../../..');
sub repo_root { $ROOT }

# The programs as daemon/Makefile builds them (a few layouts tried).
sub find_prog {
    my ($name) = @_;
    my $env = uc($name);
    return $ENV{$env} if $ENV{$env} && -x $ENV{$env};
    for my $p ("$ROOT/daemon/build/bin/$name", "$ROOT/daemon/build/$name",
               "$ROOT/daemon/build/$name/$name") {
        return $p if -f $p && -x _;
    }
    if ($name =~ /^test-/) {
        my $p = "$ROOT/daemon/build/vigild/tests/$name";
        return $p if -f $p && -x _;
    }
    return undef;
}

# Skip (or fail under CI) unless every program is built.
sub need_progs {
    my @missing = grep { !defined find_prog($_) } @_;
    return map { find_prog($_) } @_ unless @missing;
    require Test::More;
    my $why = "not built: @missing (run make)";
    if ($ENV{CI}) {
        Test::More::plan(tests => 1);
        Test::More::fail($why);
        exit 1;
    }
    Test::More::plan(skip_all => $why);
}

sub write_file {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
    return $path;
}

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return undef;
    local $/;
    return scalar <$fh>;
}

# run_cmd([argv], timeout => s, stdin => text): (exit, stdout, stderr)
sub run_cmd {
    my ($argv, %o) = @_;
    my $dir = tempdir(CLEANUP => 1);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/out" or die;
        open STDERR, '>', "$dir/err" or die;
        exec @$argv or die "exec $argv->[0]: $!";
    }
    my $deadline = time + ($o{timeout} // 60);
    my $st;
    while (1) {
        my $r = waitpid($pid, WNOHANG);
        if ($r == $pid) { $st = $?; last }
        if (time > $deadline) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
            $st = -1;
            last;
        }
        sleep 0.02;
    }
    my $exit = $st == -1 ? -1 : ($st & 127) ? 128 + ($st & 127) : $st >> 8;
    return ($exit, slurp("$dir/out") // '', slurp("$dir/err") // '');
}

# Start a command in the background; output to files in a temp dir.
sub start_bg {
    my ($argv) = @_;
    my $dir = tempdir(CLEANUP => 1);
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/out" or die;
        open STDERR, '>', "$dir/err" or die;
        exec @$argv or die "exec $argv->[0]: $!";
    }
    return { pid => $pid, out => "$dir/out", err => "$dir/err" };
}

# Wait for a background process (kills it after timeout): exit status.
sub wait_bg {
    my ($bg, $timeout) = @_;
    my $deadline = time + ($timeout // 60);
    while (1) {
        my $r = waitpid($bg->{pid}, WNOHANG);
        if ($r == $bg->{pid}) {
            my $st = $?;
            $bg->{exit} = ($st & 127) ? 128 + ($st & 127) : $st >> 8;
            last;
        }
        if (time > $deadline) {
            kill 'KILL', $bg->{pid};
            waitpid($bg->{pid}, 0);
            $bg->{exit} = -1;
            last;
        }
        sleep 0.02;
    }
    $bg->{stdout} = slurp($bg->{out}) // '';
    $bg->{stderr} = slurp($bg->{err}) // '';
    return $bg->{exit};
}

# Poll until $cond->() is true or timeout: true if it became true.
sub wait_for {
    my ($cond, $timeout) = @_;
    my $deadline = time + ($timeout // 30);
    while (time < $deadline) {
        return 1 if $cond->();
        sleep 0.05;
    }
    return $cond->() ? 1 : 0;
}

sub vigilctl {
    my ($sock, @args) = @_;
    return run_cmd([find_prog('vigilctl'), '--socket', $sock, @args],
                   timeout => 30);
}

1;
