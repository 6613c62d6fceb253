package KernelTest;
# Helpers of the t/kernel tests: vigild on the host's own kernel
# tracepoints (--source kernel, no vigil.ko).  They need root, tracefs
# and perf_event_open of tracepoints; without them a test is skipped,
# and fails when CI is set (CI must run them).
use strict;
use warnings;
use Exporter 'import';
use Config;
use FindBin;
use lib "$FindBin::Bin/../lib";
use VigildRun;
use File::Temp qw(tempdir);
use POSIX ();
use Time::HiRes qw(sleep);

our @EXPORT = qw(need_kernel_source workload live_run run_workload
                 tracepoint_id nothing_lost vigild_pid);

sub bail {
    my ($why) = @_;
    require Test::More;
    if ($ENV{CI}) {
        Test::More::plan(tests => 1);
        Test::More::fail("the kernel's tracepoints are needed (CI): $why");
        exit 1;
    }
    Test::More::plan(skip_all => $why);
}

sub events_dir {
    for my $d ('/sys/kernel/tracing/events', '/sys/kernel/debug/tracing/events') {
        return $d if -e "$d/header_page";
    }
    return undef;
}

sub tracepoint_id {
    my ($name) = @_;
    my ($sys, $ev) = split /:/, $name;
    my $d = events_dir() or return undef;
    my $id = slurp("$d/$sys/$ev/id");
    chomp $id if defined $id;
    return $id;
}

# perf_event_open(PERF_TYPE_TRACEPOINT sched:sched_switch, cpu 0),
# the way vigild opens them; the errno text on failure.
sub perf_open_check {
    my %nr = (x86_64 => 298, aarch64 => 241, ppc64le => 319, s390x => 331,
              riscv64 => 241);
    my ($arch) = $Config{archname} =~ /^([^-]+)/;
    my $sys = $nr{$arch} // return "unknown perf_event_open number on $arch";
    my $id = tracepoint_id('sched:sched_switch') // return 'no sched:sched_switch tracepoint';
    # struct perf_event_attr, PERF_ATTR_SIZE_VER0: type 2 (tracepoint),
    # size 64, config, sample_period 1, sample_type, read_format, flags
    # (disabled), then zeros
    my $attr = pack('LLQQQQQ', 2, 64, $id, 1, 0, 0, 1) . ("\0" x 16);
    my $fd = syscall($sys, $attr, -1, 0, -1, 8);	# PERF_FLAG_FD_CLOEXEC
    return "perf_event_open: $!" if $fd < 0;
    POSIX::close($fd);
    return undef;
}

sub need_kernel_source {
    need_progs('vigild', 'vigilctl');
    bail("not root (perf_event_open of tracepoints and tracefs need root)")
        if $> != 0;
    if (!events_dir()) {
        system('mount', '-t', 'tracefs', 'nodev', '/sys/kernel/tracing');
        bail('no tracefs: mount -t tracefs nodev /sys/kernel/tracing failed')
            unless events_dir();
    }
    require POSIX;
    my $why = perf_open_check();
    bail($why) if $why;
    my $wl = workload();
    bail("$wl is not built (run make userspace)") unless -x $wl;
}

# A test of exact counts first checks that the kernel lost nothing
# (and shows vigild's status when it did).
sub nothing_lost {
    my ($run) = @_;
    require Test::More;
    return Test::More::is($run->{lost}, 0, 'the kernel lost no samples')
        || Test::More::diag(join "\n", grep { /lost|discarded|all |undecodable|order/ }
                            split /\n/, $run->{err} // '');
}

sub workload { repo_root() . '/kmod/tools/bin/vigil-workload' }

# Run vigil-workload ARGS; returns its pid (from its "pid=N" line).
sub run_workload {
    my (@args) = @_;
    my ($rc, $out, $err) = run_cmd([workload(), @args], timeout => 120);
    die "vigil-workload @args: exit $rc: $err" if $rc;
    my ($pid) = $out =~ /^pid=(\d+)$/m or die "vigil-workload said no pid: $out";
    return $pid;
}

# The pid of the vigild of a live_run (its command line names the run's
# temporary directory), from work; undef once it is gone.  (A process a
# handler forked has the same command line until it execs: vigild is
# the one whose parent is not among them.)
sub vigild_pid {
    my ($run) = @_;
    my %ppid;
    for my $p (map { m{/(\d+)$} ? $1 : () } glob '/proc/[0-9]*') {
        my $cmd = slurp("/proc/$p/cmdline") // next;
        next unless index($cmd, $run->{dir}) >= 0 && $cmd =~ /vigild/;
        my ($pp) = (slurp("/proc/$p/stat") // '') =~ /\) \S (\d+)/;
        $ppid{$p} = $pp // 0;
    }
    my @top = grep { !exists $ppid{ $ppid{$_} } } sort { $a <=> $b } keys %ppid;
    return $top[0];
}

# live_run(scripts => [..], opts => [..], config => YAML, source => S,
#          work => sub { my ($run) = @_; ... }, args => [..],
#          ready => qr/log line/, dir_mode => 0755, sock => 'run/x.sock')
# Starts vigild in the foreground (in the background of the test), waits
# until it traces (or logs `ready`), calls work (with { dir, sock, pid }),
# stops vigild with SIGTERM and returns { rc, out, err, ready, work (what
# work returned), dir, sock, pid }.  dir_mode: the test directory's mode
# (0700 from tempdir; 0755 when vigild runs as another user: --user);
# sock: the control socket's path in it (default control.sock).
sub live_run {
    my (%o) = @_;
    my $dir = tempdir('vigild-k-XXXXXX', TMPDIR => 1, CLEANUP => 1);
    chmod $o{dir_mode}, $dir if defined $o{dir_mode};
    my $ready = $o{ready} // qr/tracing \d+ CPUs/;
    my $sock = "$dir/" . ($o{sock} // 'control.sock');
    my $conf = write_file("$dir/vigil.yaml",
        "control_socket: $sock\ndump:\n  dir: $dir/dumps\n  rate_limit: 0\n"
        . ($o{config} // ''));
    local $ENV{VIGIL_PERL_LIB} = repo_root() . '/perl/lib';
    my @cmd = (vigild_path(), '-c', $conf, '-f');
    push @cmd, '--source', $o{source} // 'kernel';
    # 16 MiB perf rings per CPU: a loaded build machine must not make the
    # kernel lose samples of the exact counts (40-lost.t asks for tiny ones)
    push @cmd, '--buffer-size', '1MiB', '--buffers', '16'
        unless grep { /^--buffer/ } @{ $o{opts} || [] };
    push @cmd, map { ('-s', $_) } @{ $o{scripts} || [] };
    push @cmd, @{ $o{opts} || [] };
    push @cmd, '--', @{ $o{args} } if $o{args};
    my $bg = start_bg(\@cmd);
    my $run = { dir => $dir, sock => $sock, cmd => "@cmd", pid => $bg->{pid} };
    my $early;
    wait_for(sub {
        return 1 if (slurp($bg->{err}) // '') =~ $ready;
        if (waitpid($bg->{pid}, POSIX::WNOHANG()) == $bg->{pid}) {
            $early = $?;
            return 1;
        }
        return 0;
    }, 60);
    if (defined $early) {
        $run->{rc} = ($early & 127) ? 128 + ($early & 127) : $early >> 8;
        $run->{out} = slurp($bg->{out}) // '';
        $run->{err} = slurp($bg->{err}) // '';
        $run->{ready} = 0;
        return $run;
    }
    $run->{ready} = (slurp($bg->{err}) // '') =~ $ready ? 1 : 0;
    $run->{work} = $o{work}->($run) if $run->{ready} && $o{work};
    sleep($o{settle} // 0.3);
    kill 'TERM', $bg->{pid};
    $run->{rc} = wait_bg($bg, 120);
    $run->{out} = $bg->{stdout};
    $run->{err} = $bg->{stderr};
    ($run->{lost}) = $run->{err} =~ /lost by the kernel \(perf ring full\): (\d+)$/m;
    return $run;
}

1;
