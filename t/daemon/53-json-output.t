#!/usr/bin/perl
# Output people can feed elsewhere (handlers/print.pl):
#  - --json: one JSON object per event (name, every field, the common
#    fields), valid JSON whatever bytes a path holds;
#  - fields the metadata declares hexadecimal print as 0x... (and stay
#    numbers in JSON);
#  - output to a pipe carries no terminal control codes or colour, and
#    `| head` ends vigild quietly with status 0.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib", "$FindBin::Bin/../handlers";
use File::Temp qw(tempdir);
use JSON::PP ();
use Test::More;
use VigildRun;
use VigilHandlerTrace;
use GenTrace;

my ($vigild) = need_progs('vigild');
my $dir = tempdir(CLEANUP => 1);
my $cfg = write_file("$dir/vigil.yaml", "control_socket: $dir/sock\n");
sub vigild { run_cmd([$vigild, '-c', $cfg, '--replay', @_], timeout => 120) }

my $t = VigilHandlerTrace->new;
$t->task(100, 100, 1, 'cat');
$t->syscall(0, 1_000_000_000, 100, 'openat', 5000, -2, dfd => -100,
            filename => "/tmp/caf\xc3\xa9", flags => 0, mode => 0);
$t->event(0, 1_000_010_000, 100, 'exceptions:page_fault_user',
          address => 545766264832, ip => 0x401000, error_code => 6);
$t->write("$dir/trace");

my ($rc, $out, $err) = vigild("$dir/trace", '-s', 'print', '--', '--json');
is($rc, 0, 'print --json runs') or diag $err;
my @lines = split /\n/, $out;
is(scalar @lines, 4, 'one line per event (statedump, syscall entry and exit, page fault)')
    or diag $out;
my $dec = JSON::PP->new->utf8;
my @obj = map { my $o = eval { $dec->decode($_) }; ok($o, "valid JSON: $_") or diag $@; $o } @lines;
my ($enter) = grep { $_ && $_->{name} eq 'raw_syscalls:sys_enter' } @obj;
ok($enter, 'the syscall entry is there');
is($enter->{path}, "/tmp/caf\x{e9}", '... its path as UTF-8 text');
is_deeply($enter->{args}, [ 18446744073709551516, 0x7ffc0001, 0, 0, 0, 0 ], '... args as an array of numbers');
is($enter->{common_comm}, 'cat', '... with the common fields');
is_deeply([ sort grep { /^common_/ } keys %$enter ],
          [ qw(common_cgroup common_cgroup_id common_comm common_cpu common_pid common_ppid common_tid common_ts) ], '... all of them');
my ($pf) = grep { $_ && $_->{name} eq 'exceptions:page_fault_user' } @obj;
is($pf->{address}, 545766264832, 'hex fields are plain numbers in JSON');

($rc, $out, $err) = vigild("$dir/trace", '-s', 'print', '--', '--events', 'exceptions:*');
like($out, qr/exceptions:page_fault_user: address=0x7f12345000 ip=0x401000 error_code=0x6$/m,
     'in text, the fields the metadata declares hex print as 0x...');
($rc, $out, $err) = vigild("$dir/trace", '-s', 'print', '--', '--events', 'syscalls:sys_exit_*');
like($out, qr/sys_exit_openat: ret=-2$/m, '... and the others in decimal');
unlike($out . $err, qr/\e/, 'no terminal control codes or colour on a pipe or file');

# | head: the reader goes away after one line
gen_trace("$dir/big", cpus => 2, per_cpu => 20000, tids => [101, 102]);
for my $mode ([], ['--json']) {
    my @args = @$mode ? ('--', @$mode) : ();
    my $cmd = join ' ', map { "'$_'" } $vigild, '-c', $cfg, '--replay', "$dir/big", '-s', 'print', @args;
    ($rc, $out, $err) = run_cmd(['/bin/bash', '-c', "$cmd 2>$dir/err | head -n 1; echo \"vigild=\${PIPESTATUS[0]}\""], timeout => 120);
    my $verr = slurp("$dir/err") // '';
    my $what = @$mode ? 'print --json | head -n 1' : 'print | head -n 1';
    like($out, qr/\A[^\n]+\nvigild=0\n\z/, "$what: one line, vigild exits 0");
    is($verr, '', "$what: nothing on stderr");
}

done_testing;
