#!/usr/bin/perl
# What the kernel's tracepoints give goes into CTF traces like vigil.ko's
# events: --record writes a trace (metadata generated from the format
# files) that babeltrace2 reads and vigild --replay runs the same
# handler over with the same output; tracepoints vigil.ko lacks
# (kmem:kmalloc) are handled like any other; pid filters are pushed
# down to the kernel.
use strict;
use warnings;
use Test::More;
use FindBin;
use Time::HiRes qw(sleep);
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my ($bt) = grep { -x } map { "$_/babeltrace2" } split /:/, $ENV{PATH};
$bt //= 'babeltrace2';
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $have_kmalloc = defined tracepoint_id('kmem:kmalloc');

my $script = write_file("$dir/h.pl", <<'PL');
use Vigil;
my (%n, %exec, $kmalloc, $kbad);
on 'syscalls:sys_enter_getppid' => sub { $n{ $_[0]{common_pid} }++ };
on 'sched:sched_process_exec' => sub {
    my $e = shift;
    $exec{ $e->{common_pid} } = "$e->{filename} $e->{common_comm}";
};
on 'sched:sched_switch' => sub { };
my ($dumped, %forker);
on 'vigil:statedump_end' => sub { $dumped = $_[0]{count} };
on 'sched:sched_process_fork' => sub {
    my $e = shift;
    $forker{"$e->{common_pid} $e->{common_comm} $e->{common_ppid}"} = 1
        if $e->{common_pid} == $ENV{VIGIL_TEST_PID};
};
on 'kmem:kmalloc', 'bytes_alloc >= bytes_req' => sub {
    my $e = shift;
    $kmalloc++;
    $kbad++ unless $e->{bytes_req} > 0 && defined $e->{gfp_flags} && defined $e->{call_site};
};
END {
    print "getppid $_ $n{$_}\n" for sort keys %n;
    print "exec $_ $exec{$_}\n" for sort keys %exec;
    print "kmalloc ", ($kmalloc ? 'yes' : 'no'), " bad ", $kbad // 0, "\n";
    print "statedump ", $dumped // 'none', "\n";
    print "forker $_\n" for sort keys %forker;
}
PL

# the test's own process, there before vigild: known from the statedump
$ENV{VIGIL_TEST_PID} = $$;
my $ppid = getppid();
my $pid;
my $r = live_run(
    scripts => [$script],
    opts => ['--record', "$dir/rec"],
    work => sub { $pid = run_workload(4321, 0, '/nonexistent', '/bin/true'); 1 });
is($r->{rc}, 0, 'live with --record: exit 0') or diag $r->{err};
nothing_lost($r);
like($r->{err}, qr/trace recorded in \Q$dir\E\/rec/, 'the trace was recorded');
like($r->{out}, qr/^getppid $pid 4321$/m, 'live: 4321 getppid');
like($r->{out}, qr{^exec $pid /bin/true true$}m, 'live: the exec');
SKIP: {
    skip 'no kmem:kmalloc tracepoint in this kernel', 1 unless $have_kmalloc;
    like($r->{out}, qr/^kmalloc yes bad 0$/m,
         'kmem:kmalloc (no vigil.ko event) with its fields, filtered in C');
}

my ($dumped) = $r->{out} =~ /^statedump (\d+)$/m;
ok($dumped && $dumped > 1, 'a statedump from /proc when tracing started (' . ($dumped // 'none') . ' threads)');
like($r->{out}, qr/^forker $$ perl $ppid$/m,
     'a process older than vigild has its name and parent (its fork of the workload)');
my $md = slurp("$dir/rec/metadata") // '';
like($md, qr/vigil_source = "kernel";/, 'the metadata names the kernel source');
unlike($md, qr/vigild_pid = /, '... and no vigild_pid: vigild\'s own events were left out while recording');

my $rp = run_vigild(trace => "$dir/rec", scripts => [$script]);
is($rp->{rc}, 0, 'replay of the recording: exit 0') or diag $rp->{err};
is($rp->{out}, $r->{out}, 'replay prints what live printed');

my ($rc, $out, $err) = run_cmd([$bt, "$dir/rec"], timeout => 300);
is($rc, 0, 'babeltrace2 reads the recording') or diag $err;
my $n = () = $out =~ /raw_syscalls:sys_enter: \{ cpu_id = \d+ \}, \{ tid = $pid \}, \{ id = \d+, args = \[/g;
cmp_ok($n, '>=', 4321, "babeltrace2 shows the workload's raw_syscalls:sys_enter ($n)");
ok($out =~ qr/sched:sched_process_exec: \{ cpu_id = \d+ \}, \{ tid = $pid \}, \{ filename = "\/bin\/true", pid = $pid, old_pid = $pid \}/,
   '... and its exec with the __data_loc string');
# vigild's own events are left out as vigil.ko leaves them out: its
# syscalls are not in the trace, its switches to other tasks are
my ($vpid) = $r->{err} =~ /vigild (\d+): live/;
ok($vpid, "vigild's pid from its status");
ok($out !~ /raw_syscalls:sys_enter: \{ cpu_id = \d+ \}, \{ tid = $vpid \}/,
   '... none of its own syscalls recorded');
ok($out =~ /sched:sched_switch: \{ cpu_id = \d+ \}, \{ tid = $vpid \}, \{ prev_comm = "vigild", prev_pid = $vpid, .* next_pid = (?!$vpid\b)\d+/,
   '... its switches to other tasks are');
like($r->{err}, qr/^.*own events dropped: [1-9]\d*$/m, '... and the status counts what was left out');
SKIP: {
    skip 'no kmem:kmalloc tracepoint in this kernel', 1 unless $have_kmalloc;
    ok($out =~ /kmem:kmalloc: .*\{ call_site = \d+, ptr = 0x[0-9A-Fa-f]+, bytes_req = \d+, bytes_alloc = \d+, gfp_flags = \d+, node = -?\d+ \}/,
       '... and kmem:kmalloc with the kernel\'s field names (ptr in hex)');
}

# filters.pids: the kernel keeps only the chosen thread's events
my $helper = start_bg(['perl', '-e', 'select(undef, undef, undef, 0.05) while 1']);
my $tids = write_file("$dir/tids.pl", <<'PL');
use Vigil;
my %t;
on 'raw_syscalls:sys_enter' => sub { $t{ $_[0]{common_tid} }++ };
END { print "tid $_ $t{$_}\n" for sort keys %t }
PL
$r = live_run(scripts => [$tids], config => "filters:\n  pids: [$helper->{pid}]\n",
              work => sub { run_workload(100, 0, '/nonexistent'); sleep 0.5; 1 });
kill 'KILL', $helper->{pid};
wait_bg($helper, 10);
is($r->{rc}, 0, 'filters.pids with the kernel source: exit 0') or diag $r->{err};
my @tids = $r->{out} =~ /^tid (\d+) \d+$/mg;
is_deeply(\@tids, [$helper->{pid}], 'only the filtered thread\'s syscalls arrive')
    or diag $r->{out};
done_testing();
