#!/usr/bin/perl
# vigild -l [GLOB] lists the events this machine offers, one name per
# line in name order, like `perf list`; -lv adds each event's fields and
# their types, like `bpftrace -lv`.  It needs neither the module nor a
# configuration file, and starts no tracing: without /dev/vigil the list
# is the event table vigil.ko is built from (kmod/vigil_events.h, through
# the generated description t/lib/VigilEvents.pm reads too) plus the
# syscalls:sys_enter_NAME / sys_exit_NAME events, and the kernel's own
# tracepoints when tracefs can be read (t/kernel/80-list.t).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use Test::More;
use VigildRun;
use VigilEvents ();

my ($vigild) = need_progs('vigild');
sub vigild { run_cmd([$vigild, @_], timeout => 60) }

# the type -lv shows for a field of the event table
sub shown_type {
    my ($type, $len) = @_;
    return "char[$len]" if $type eq 'char_t';
    return 'string' if $type eq 'string';
    my $hex = $type =~ s/_hex_t$/_t/ ? ' hex' : '';
    $type =~ s/_t$//;
    return $len ? "$type\[$len]$hex" : "$type$hex";
}

my @builtin = sort map { $_->{name} } VigilEvents::events();
my ($rc, $out, $err) = vigild('-l', '-c', '/nonexistent/vigil.yaml');
is($rc, 0, '-l exits 0, without reading the configuration file') or diag $err;
my @names = split /\n/, $out;
my %listed = map { $_ => 1 } @names;
is_deeply([ grep { !$listed{$_} } @builtin ], [],
          'every event of vigil.ko\'s table is listed, by name');
is_deeply(\@names, [ sort @names ], 'the whole list is sorted');
ok((grep { $_ eq 'syscalls:sys_enter_openat' } @names) &&
   (grep { $_ eq 'syscalls:sys_exit_openat' } @names),
   'with the per-syscall events syscalls:sys_enter_openat and sys_exit_openat');
is($err, '', 'and nothing on stderr');

($rc, $out, $err) = vigild('-l', 'sched:*');
my @sched = split /\n/, $out;
my %sched = map { $_ => 1 } @sched;
ok(@sched && !grep({ !/^sched:/ } @sched) && !grep({ !$sched{$_} } grep { /^sched:/ } @builtin),
   '-l GLOB lists only the matching events, all of them') or diag $out;

($rc, $out, $err) = vigild('-lv', 'sched:sched_switch');
is($rc, 0, '-lv GLOB exits 0') or diag $err;
my $want = "sched:sched_switch  [vigil.ko]\n" . join('',
    map { '    ' . shown_type($_->[0], $_->[2]) . " $_->[1]\n" }
    @{ VigilEvents::trace_fields('sched:sched_switch') });
is($out, $want, '-lv: the event, then each field with its type, in record order');
like($want, qr/^    char\[16\] prev_comm$/m, '... (char arrays as char[N])');

($rc, $out, $err) = vigild('-l', '-v', 'raw_syscalls:sys_enter');
like($out, qr/^    uint64\[6\] args$/m, '-l -v is -lv; arrays show their length');
($rc, $out, $err) = vigild('-lv', 'net:net_dev_xmit');
like($out, qr/^    uint64 hex skbaddr$/m, 'fields printed in hex say so');

($rc, $out, $err) = vigild('-lv', 'syscalls:sys_exit_openat');
is($out, "syscalls:sys_exit_openat  [syscall]\n    int64 ret\n",
   'a syscall exit event has its return value');

($rc, $out, $err) = vigild('-l', 'nosuch:*');
is($rc, 1, 'a GLOB that matches nothing: exit status 1');
is($out, '', '... nothing on stdout');
like($err, qr/^vigild: no event matches 'nosuch:\*'$/m, '... and says so');

($rc, $out, $err) = vigild('-l', 'a:*', 'b:*');
is($rc, 2, 'two GLOBs: a usage error (2)');
like($err, qr/-l takes one GLOB, not 'b:\*'/, '... naming the extra one');

($rc, $out, $err) = vigild('-v');
is($rc, 2, '-v without -l: a usage error');
like($err, qr/-v goes with -l/, '... that says so');

($rc, $out, $err) = vigild('--help');
like($out, qr/^\s+-l, --list\b/m, '--help shows -l');

# | head: the reader goes away early, vigild ends quietly
SKIP: {
    skip 'no sh', 2 unless -x '/bin/sh';
    ($rc, $out, $err) = run_cmd(['/bin/sh', '-c', "'$vigild' -lv | head -n 1; echo status=\${PIPESTATUS:-x}"], timeout => 60);
    like($out, qr/^\S+:\S+  \[/, 'vigild -lv | head -n 1 shows the first event');
    unlike($err, qr/vigild/, '... and vigild says nothing on stderr when the pipe closes');
}

done_testing;
