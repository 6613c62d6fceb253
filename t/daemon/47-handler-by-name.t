#!/usr/bin/perl
# Handlers by name: `vigild -s NAME` (and NAME in the configuration
# file's scripts: list) runs NAME.pl from the handlers directory compiled
# into vigild -- for the vigild built in this tree, the tree's handlers/.
# A path with a slash, or a file that exists here, is used as it is; an
# unknown name is an error naming where vigild looked.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Cwd qw(getcwd);
use Test::More;
use VigildRun;
use GenTrace;

my ($vigild) = need_progs('vigild');
my $root = repo_root();
my $dir = tempdir(CLEANUP => 1);
gen_trace("$dir/trace", cpus => 1, per_cpu => 20, tids => [101]);
my $cfg = write_file("$dir/vigil.yaml", "control_socket: $dir/sock\n");

sub vigild { run_cmd([$vigild, '-f', @_], timeout => 60) }
sub scripts_of {
    my ($out) = @_;
    return $out =~ /^scripts: \[(.*)\]$/m ? $1 : "(no scripts: line in: $out)";
}

my ($rc, $out, $err) = vigild('-c', $cfg, '-s', 'syscall-top', '--check-config');
is($rc, 0, '-s syscall-top is accepted') or diag $err;
is(scripts_of($out), "$root/handlers/syscall-top.pl",
   '... and stands for the build tree\'s handlers/syscall-top.pl');

($rc, $out, $err) = vigild('-c', $cfg, '-s', 'print.pl', '--check-config');
is(scripts_of($out), "$root/handlers/print.pl", '-s print.pl: the name with its .pl works too');

($rc, $out, $err) = vigild('-c', $cfg, '--replay', "$dir/trace", '-s', 'print');
is($rc, 0, 'print by name runs over a trace') or diag $err;
is(scalar(() = $out =~ /raw_syscalls:sys_exit/g), 20, '... and prints its 20 events');

my $cfg2 = write_file("$dir/named.yaml", "control_socket: $dir/sock\nscripts: [print, exec-log]\n");
($rc, $out, $err) = vigild('-c', $cfg2, '--check-config');
is($rc, 0, 'names in the configuration file\'s scripts: list') or diag $err;
is(scripts_of($out), "$root/handlers/print.pl, $root/handlers/exec-log.pl",
   '... are found the same way, in order');

# A file that exists here wins over a handler of the same name.
my $here = getcwd();
chdir $dir or die "chdir $dir: $!";
write_file("$dir/syscall-top", "use Vigil;\non 'raw_syscalls:sys_exit' => sub { };\n");
($rc, $out, $err) = vigild('-c', $cfg, '-s', 'syscall-top', '--check-config');
is(scripts_of($out), 'syscall-top', 'an existing file ./syscall-top is used as it is');
chdir $here or die;

($rc, $out, $err) = vigild('-c', $cfg, '-s', './no-such-handler', '--check-config');
is(scripts_of($out), './no-such-handler', 'a path with a slash is never looked up');

($rc, $out, $err) = vigild('-c', $cfg, '-s', 'no-such-handler', '--check-config');
is($rc, 2, 'an unknown name: exit status 2');
like($err, qr{handler script 'no-such-handler' not found: not a file here, nor in \Q$root\E/handlers \(looked for no-such-handler\.pl and no-such-handler\)},
     '... the message names the name and the directory searched');

my $cfg3 = write_file("$dir/bad.yaml", "control_socket: $dir/sock\nscripts: [print, sycall-top]\n");
($rc, $out, $err) = vigild('-c', $cfg3, '--check-config');
is($rc, 2, 'an unknown name in scripts: is an error too');
like($err, qr{handler script 'sycall-top' not found}, '... naming it');

done_testing;
