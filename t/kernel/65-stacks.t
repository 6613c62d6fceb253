#!/usr/bin/perl
# Stack traces from the kernel's tracepoints: the events a script
# (Vigil::stacks) or the configuration (stacks:) names are sampled with
# their callchain; handlers get it as perf gives it to Perl
# ($e->{common_callchain}, perf-style $common_callchain: [{ip, sym =>
# {start, end, binding, name}, dso}]), symbolized in vigild (kernel from
# /proc/kallsyms, user with libdwfl) and as text ($e->stack); the other
# events carry none.  Recordings hold the callchains as a CTF sequence
# babeltrace2 reads, and print.pl on the replayed trace shows the frames,
# named only on the boot that recorded them.
use strict;
use warnings;
use Test::More;
use FindBin;
use Config;
use Time::HiRes qw(sleep);
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my ($arch) = $Config{archname} =~ /^([^-]+)/;
my %getppid_nr = (x86_64 => 110, aarch64 => 173);
plan skip_all => "getppid's number on $arch unknown" unless $getppid_nr{$arch};
my $nr = $getppid_nr{$arch};
my ($bt) = grep { -x } map { "$_/babeltrace2" } split /:/, $ENV{PATH};
$bt //= 'babeltrace2';
my $dir = File::Temp::tempdir(CLEANUP => 1);

# the workload: a copy of perl (its own command name) that calls
# getppid() 1000 times, then stays alive while vigild symbolizes
my $wl = "$dir/stackwl";
system('cp', $^X, $wl) == 0 or die "cp $^X: $?";

my $h = write_file("$dir/h.pl", <<PL);
use Vigil;
Vigil::stacks('raw_syscalls:sys_enter');
my (\$n, \$bad, \$first, \$kern, \$user, \$exec_chain);
on 'raw_syscalls:sys_enter', 'id == $nr && common_comm == "stackwl"' => sub {
    my \$e = shift;
    my \$cc = \$e->{common_callchain};
    \$n++;
    # kernel frames first (top bit set), each named from kallsyms
    my \@k = grep { \$_->{ip} >= 2**63 } \@\$cc;
    my \@u = grep { \$_->{ip} < 2**63 } \@\$cc;
    \$bad++ unless \@k && \@u && \$cc->[0]{ip} >= 2**63
        && !grep { !\$_->{sym} || \$_->{dso} !~ /^\\[/ || \$_->{sym}{start} > \$_->{ip}
                   || \$_->{sym}{end} <= \$_->{ip} } \@k;
    \$kern //= join ',', map { \$_->{sym}{name} } \@k;
    \$user //= (\$u[0]{sym} ? \$u[0]{sym}{name} : '?') . ' in ' . (\$u[0]{dso} // '?');
    \$first //= \$e->stack;
};
my \$derived;
on 'syscalls:sys_enter_getppid', 'common_comm == "stackwl"' => sub {
    \$derived //= Vigil::callchain_text(\$_[0]{common_callchain}) eq \$_[0]->stack
        && \$_[0]->stack =~ /^\\t *[0-9a-f]+ [A-Za-z_]+\\+0x/ ? 'yes' : 'no';
};
on 'sched:sched_process_exec' => sub {
    \$exec_chain = exists \$_[0]{common_callchain} ? 'yes' : 'no'
        if \$_[0]{common_comm} eq 'stackwl';
};
END {
    print "n \$n bad ", \$bad // 0, "\\n";
    print "kernel \$kern\\nuser \$user\\nexec chain ", \$exec_chain // 'unseen', "\\n";
    print "derived ", \$derived // 'unseen', "\\n";
    print "text\\n\$first" if \$first;
}
PL
# a perf-style script beside it: $common_callchain of the same events
my $perf = write_file("$dir/perf.pl", <<'PL');
my ($pn, $pbad) = (0, 0);
sub raw_syscalls::sys_enter {
    my ($name, $ctx, $cpu, $s, $ns, $tid, $comm, $cc, $id) = @_;
    return unless $comm eq 'stackwl' && $id == $ENV{GETPPID_NR};
    $pn++;
    $pbad++ unless ref $cc eq 'ARRAY' && @$cc >= 2 && $cc->[0]{sym}
        && defined $cc->[0]{sym}{binding} && $cc->[0]{dso} eq '[kernel.kallsyms]';
}
sub trace_end { print "perf $pn bad $pbad\n" }
PL
local $ENV{GETPPID_NR} = $nr;

my $wpid;
my $r = live_run(
    scripts => [$h, $perf],
    opts => ['--record', "$dir/rec", '--events', 'sched:sched_switch'],
    work => sub {
        $wpid = fork // die "fork: $!";
        if (!$wpid) {
            exec $wl, '-e', 'getppid() for 1 .. 1000; sleep 2';
            die "exec: $!";
        }
        waitpid($wpid, 0);
        1;
    });
is($r->{rc}, 0, 'live with stacks: exit 0') or diag $r->{err};
nothing_lost($r);
like($r->{err}, qr/raw_syscalls:sys_enter: sampled with its callchain \(at most 32 addresses\)/,
     'the log says which events carry callchains');
like($r->{out}, qr/^n 1000 bad 0$/m,
     "1000 getppid, each with kernel frames named from kallsyms, then user frames")
    or diag $r->{out};
like($r->{out}, qr/^kernel \S*(?:do_syscall_64|el0_svc)\S*$/m,
     'the kernel frames are the syscall entry path');
like($r->{out}, qr{^user getppid in \S*/libc\.so\.6$}m,
     'the innermost user frame is libc\'s getppid (libdwfl)');
like($r->{out}, qr/^exec chain no$/m, 'an event nobody asked stacks for has no common_callchain');
like($r->{out}, qr/^derived yes$/m, 'syscalls:sys_enter_getppid carries the callchain of its raw_syscalls event');
like($r->{out}, qr/^text\n(\t *[0-9a-f]+ \S+\+0x[0-9a-f]+ \(\[kernel\.kallsyms\]\)\n)+(\t +[0-9a-f]+ \S+ \([^)]+\)\n)+/m,
     '$e->stack: one line a frame, as perf script prints them');
like($r->{out}, qr/^perf 1000 bad 0$/m, "perf-style handlers get the same as \$common_callchain");

# the recording
my $md = slurp("$dir/rec/metadata") // '';
my @seq = $md =~ /name = "([^"]+)";[^}]*?uint16_t vigil_callchain_depth;\s*uint64_hex_t vigil_callchain\[vigil_callchain_depth\];/g;
is_deeply(\@seq, ['raw_syscalls:sys_enter'],
          'only the event with stacks has the callchain sequence in the metadata');
like($md, qr/vigil_boot_id = "[0-9a-f-]{36}";/, 'the trace names the boot it was recorded in');
my ($rc, $out, $err) = run_cmd([$bt, "$dir/rec"], timeout => 300);
is($rc, 0, 'babeltrace2 reads the recording') or diag $err;
my $n = () = $out =~ /raw_syscalls:sys_enter: \{ cpu_id = \d+ \}, \{ tid = $wpid \}, \{ id = $nr, args = \[.*?\], vigil_callchain_depth = [1-9]\d*, vigil_callchain = \[ \[0\] = 0xFFFF/g;
is($n, 1000, 'babeltrace2 shows the 1000 callchains, kernel frames first');

my $rp = run_vigild(trace => "$dir/rec", scripts => ['print'],
                    args => ['--events', 'raw_syscalls:sys_enter', '--comm', 'stackwl']);
is($rp->{rc}, 0, 'print.pl on the replayed recording: exit 0') or diag $rp->{err};
my @blocks = $rp->{out} =~ /^ +stackwl +$wpid .*: raw_syscalls:sys_enter: id=$nr .*\n((?:\t.*\n)+)/mg;
is(scalar @blocks, 1000, 'print.pl: each getppid followed by its frames');
like($blocks[0] // '', qr/^\t *[0-9a-f]+ \S+\+0x[0-9a-f]+ \(\[kernel\.kallsyms\]\)$/m,
     '... the kernel frames named (the same boot)');

# the same trace as if from another boot: addresses only
(my $other = $md) =~ s/vigil_boot_id = "[^"]*"/vigil_boot_id = "00000000-0000-0000-0000-000000000000"/;
mkdir "$dir/other";
write_file("$dir/other/metadata", $other);
system('cp', glob("$dir/rec/stream_*"), "$dir/other/") == 0 or die "cp: $?";
$rp = run_vigild(trace => "$dir/other", scripts => ['print'],
                 args => ['--events', 'raw_syscalls:sys_enter', '--comm', 'stackwl']);
is($rp->{rc}, 0, 'print.pl on a trace of another boot: exit 0') or diag $rp->{err};
@blocks = $rp->{out} =~ /^ +stackwl +$wpid .*: raw_syscalls:sys_enter: id=$nr .*\n((?:\t.*\n)+)/mg;
is(scalar @blocks, 1000, '... the frames are there');
ok(!grep({ /\+0x/ } @blocks), '... as addresses only: no other machine\'s names for them');
done_testing();
