#!/usr/bin/perl
# Selection on the command line, without a configuration file:
#   --pid PID[,PID...]    (repeatable) is the configuration's filters.tgids:
#                         live, vigil.ko drops the other processes' events;
#                         with --replay vigild delivers only the events of
#                         those processes (common_pid);
#   --comm GLOB[,GLOB...] (repeatable) is filters.comms: tasks whose name
#                         matches, in vigild (live and on replay).
# Options replace the file's values; bad values are errors naming the
# option and the value.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib", "$FindBin::Bin/../perl/lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;
use VigilPerlTest qw(standard_trace);

my ($vigild) = need_progs('vigild');
my $dir = tempdir(CLEANUP => 1);
my ($trace, $expect) = standard_trace(rounds => 9);
my $cfg = write_file("$dir/vigil.yaml", "control_socket: $dir/sock\nfilters:\n  tgids: [7]\n  comms: [nginx]\n");
my $cfg0 = write_file("$dir/plain.yaml", "control_socket: $dir/sock\n");
sub vigild { run_cmd([$vigild, '-c', $cfg, @_], timeout => 60) }
sub line { my ($out, $key) = @_; return $out =~ /^\Q$key\E: (.*)$/m ? $1 : "(no $key line)" }

my ($rc, $out, $err) = vigild('--check-config');
is(line($out, 'filters.tgids'), '[7]', 'the file says tgids [7]');
($rc, $out, $err) = vigild('--check-config', '--pid', '100,200', '--pid', '300');
is($rc, 0, '--pid is accepted') or diag $err;
is(line($out, 'filters.tgids'), '[100, 200, 300]', '--pid (comma-separated, repeated) replaces filters.tgids');
is(line($out, 'filters.pids'), '[]', '... and leaves the thread filter alone');
($rc, $out, $err) = vigild('--check-config', '--comm', 'ba*,cat', '--comm', 'sh');
is(line($out, 'filters.comms'), '[ba*, cat, sh]', '--comm replaces filters.comms');

($rc, $out, $err) = vigild('--check-config', '--pid', 'abc');
is($rc, 2, 'a --pid that is not a number: exit 2');
like($err, qr/^vigild: --pid: 'abc' is not a process id \(a number > 0\)$/m, '... naming the option and the value');
($rc, $out, $err) = vigild('--check-config', '--pid', '0');
is($rc, 2, '--pid 0 is refused');
($rc, $out, $err) = vigild('--check-config', '--comm', 'a,,b');
is($rc, 2, 'an empty --comm item is refused');
like($err, qr/--comm 'a,,b': empty item/, '... saying so');

my $count = write_file("$dir/count.pl", <<'EOS');
use Vigil;
my %n;
on 'raw_syscalls:sys_exit' => sub { $n{"$_[0]{common_pid}/$_[0]{common_comm}"}++ };
END { print "$_ $n{$_}\n" for sort keys %n }
EOS
my $bash = ($expect->{calls}{100} // 0) + ($expect->{calls}{101} // 0);
my $cat = $expect->{calls}{200};
($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg0, '--replay', $trace, '-s', $count, '--pid', '200'], timeout => 60);
is($rc, 0, '--replay --pid 200') or diag $err;
is($out, "200/cat $cat\n", '... delivers only process 200\'s events');
($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg0, '--replay', $trace, '-s', $count, '--pid', '100'], timeout => 60);
is($out, "100/bash $bash\n", '--pid 100: both threads of process 100');
($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg0, '--replay', $trace, '-s', $count, '--comm', 'ca?'], timeout => 60);
is($out, "200/cat $cat\n", '--comm ca? selects by task name');
($rc, $out, $err) = run_cmd([$vigild, '-c', $cfg0, '--replay', $trace, '-s', $count], timeout => 60);
is($out, "100/bash $bash\n200/cat $cat\n", 'without them: everything');

done_testing;
