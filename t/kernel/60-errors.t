#!/usr/bin/perl
# Bad input with --source kernel gets a clear error and the right exit
# status (2: options and configuration, 1: what the kernel refuses), and
# nothing is traced.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $vigild = vigild_path();
my $dir = File::Temp::tempdir(CLEANUP => 1);
my $empty = write_file("$dir/empty.yaml", "control_socket: $dir/sock\n");

my ($rc, $out, $err) = run_cmd([$vigild, '-c', $empty, '-f', '--source', 'bogus']);
is($rc, 2, '--source bogus: exit 2');
like($err, qr/--source: 'bogus' is not an event source \(auto, module or kernel\)/, '... saying what is allowed');

my $bad = write_file("$dir/bad.yaml", "control_socket: $dir/sock\nsource: kernal\n");
($rc, $out, $err) = run_cmd([$vigild, '-c', $bad, '-f']);
is($rc, 2, 'source: kernal in the file: exit 2');
like($err, qr/bad\.yaml:2: source: 'kernal' is not an event source/, '... naming file, line and key');

my $list = write_file("$dir/list.yaml", "control_socket: $dir/sock\nsource: [kernel]\n");
($rc, $out, $err) = run_cmd([$vigild, '-c', $list, '-f']);
is($rc, 2, 'source: a list: exit 2');
like($err, qr/list\.yaml:2: source: /, '... naming the key');

sub kernel_run {
    return run_cmd([$vigild, '-c', $empty, '-f', '--source', 'kernel', '--duration', '5', @_],
                   timeout => 60);
}

($rc, $out, $err) = kernel_run('--events', 'nosuch:event');
is($rc, 1, 'an event the kernel does not have: exit 1');
like($err, qr/enabling event nosuch:event: no such tracepoint in this kernel: nosuch:event/,
     '... naming it');
unlike($err, qr/tracing \d+ CPUs/, '... before tracing');

($rc, $out, $err) = kernel_run('--events', 'sched:sched_switch,sched:nosuch_event');
is($rc, 1, 'one bad name among good ones: exit 1');
like($err, qr/no such tracepoint in this kernel: sched:nosuch_event/, '... naming the bad one');

($rc, $out, $err) = kernel_run('--events', 'syscalls:sys_enter_openat');
is($rc, 1, 'syscalls:* as an event to enable: exit 1');
like($err, qr/syscalls:\* events come from raw_syscalls:sys_enter and sys_exit; enable those/,
     '... saying what to enable instead');

($rc, $out, $err) = kernel_run('--events', 'vigil:annotation');
is($rc, 1, 'a vigil.ko event: exit 1');
like($err, qr/vigil\.ko's own events need the module \(--source module\)/, '... saying why');

($rc, $out, $err) = kernel_run('--events', '..:x');
is($rc, 1, 'a name with a path in it: exit 1');
like($err, qr/'\.\.:x' is not a tracepoint name/, '... refused as a name');

my $kp = write_file("$dir/kp.yaml", "control_socket: $dir/sock\nkprobes:\n  - symbol: do_sys_openat2\n");
($rc, $out, $err) = run_cmd([$vigild, '-c', $kp, '-f', '--source', 'kernel', '--duration', '5']);
is($rc, 2, 'kprobes with the kernel source: exit 2 (a configuration that contradicts itself)');
like($err, qr/kprobes\[0\] \(do_sys_openat2\): kprobes need vigil\.ko, and source kernel reads the kernel's tracepoints, which have none/,
     '... naming the probe and saying why');

my $flt = write_file("$dir/flt.yaml", "control_socket: $dir/sock\nfilters:\n  tgids: [2147483000]\n");
($rc, $out, $err) = run_cmd([$vigild, '-c', $flt, '-f', '--source', 'kernel', '--duration', '5']);
is($rc, 1, 'a tgid filter naming no process: exit 1');
like($err, qr/filters\.tgids: no process 2147483000/, '... naming it');

my $sc = write_file("$dir/sc.yaml", "control_socket: $dir/sock\nfilters:\n  syscalls: [no_such_call]\n");
($rc, $out, $err) = run_cmd([$vigild, '-c', $sc, '-f', '--source', 'kernel', '--duration', '5']);
is($rc, 1, 'a syscall filter naming no syscall: exit 1');
like($err, qr/filters\.syscalls: 'no_such_call' is not a syscall of this kernel/, '... naming it');

my $script = write_file("$dir/f.pl", "use Vigil;\non 'sched:sched_switch', 'prev_pidd == 1' => sub { };\n");
($rc, $out, $err) = kernel_run('-s', $script);
is($rc, 1, 'a handler filter naming a field the kernel\'s format lacks: exit 1');
like($err, qr/unknown field 'prev_pidd'/, '... naming the field');
done_testing();
