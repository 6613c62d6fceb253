package VigildRun;
# The one test helper that runs vigild (and vigilctl), for every suite:
# find the built programs, run commands capturing output and status,
# run vigild in the foreground (run_vigild) or start it in the
# background and wait for its control socket (start_vigild), and the
# same wait as shell text for the scripts the VM tests run (sh_waitsock).
use strict;
use warnings;
use Exporter 'import';
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

our @EXPORT = qw(repo_root find_prog need_progs run_cmd start_bg wait_bg
                 wait_for write_file slurp vigilctl vigild_path run_vigild
                 start_vigild sh_waitsock);

my $ROOT = abs_path(dirname(abs_path(__FILE__)) . '/../..');
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

# The built vigild (or $ENV{VIGILD}, e.g. an installed one); dies if none.
sub vigild_path {
    return find_prog('vigild') // die "vigild is not built: run make\n";
}

# run_vigild(trace => DIR, scripts => [paths], args => [...], opts => [...],
#            config => YAML text)
# Runs vigild in the foreground to its end.  Returns { rc, sig, out, err,
# cmd }.  A config file with a private control socket (and what config
# adds) is passed, so the host's /etc/vigil/vigil.yaml cannot change the
# test; the Perl modules come from the source tree.
sub run_vigild {
    my (%o) = @_;
    my $dir = tempdir('vigild-run-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    my $conf = write_file("$dir/vigil.yaml",
        "control_socket: $dir/control.sock\n" . ($o{config} || ''));
    my @cmd = (vigild_path(), '-c', $conf, '-f');
    push @cmd, '--replay', $o{trace} if $o{trace};
    push @cmd, map { ('-s', $_) } @{ $o{scripts} || [] };
    push @cmd, @{ $o{opts} || [] };
    push @cmd, '--', @{ $o{args} } if $o{args};
    local $ENV{VIGIL_PERL_LIB} = "$ROOT/perl/lib";
    my $pid = fork // die "fork: $!";
    if (!$pid) {
        open STDIN, '<', '/dev/null';
        open STDOUT, '>', "$dir/out" or die;
        open STDERR, '>', "$dir/err" or die;
        exec @cmd or die "exec $cmd[0]: $!";
    }
    waitpid $pid, 0;
    return { rc => $? >> 8, sig => $? & 127, out => slurp("$dir/out") // '',
             err => slurp("$dir/err") // '', cmd => "@cmd" };
}

# start_vigild([argv after vigild], sock => PATH, timeout => s)
# Starts vigild in the background (start_bg) and waits until its control
# socket exists.  Returns the start_bg handle, with ->{ready} false if
# the socket did not appear in time.
sub start_vigild {
    my ($args, %o) = @_;
    my $bg = start_bg([vigild_path(), @$args]);
    $bg->{ready} = wait_for(sub { -S $o{sock} }, $o{timeout} // 30);
    return $bg;
}

# Shell text defining waitsock: wait (at most 60 s) until the control
# socket exists, as start_vigild does, for the scripts run in the VM.
sub sh_waitsock {
    my ($sock) = @_;
    return <<SH;
waitsock() {
    i=0
    while [ ! -S $sock ] && [ \$i -lt 600 ]; do sleep 0.1; i=\$((i+1)); done
}
SH
}

sub vigilctl {
    my ($sock, @args) = @_;
    return run_cmd([find_prog('vigilctl'), '--socket', $sock, @args],
                   timeout => 30);
}

1;
