#!/usr/bin/perl
# vigild -e CODE runs a handler given on the command line, as perl -e
# does: `use Vigil` is implied, -e may repeat (the pieces are the lines
# of one script, numbered from 1 in messages as "-e line N"), it runs
# live or with --replay, and it combines with -s scripts.  The issue's
# question "which process opens files that don't exist?" is one line.
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
my ($trace, $expect) = standard_trace(rounds => 8);
my $cfg = write_file("$dir/vigil.yaml", "control_socket: $dir/sock\n");
my $tmp = tempdir(CLEANUP => 1);	# vigild's TMPDIR: what -e leaves there
sub vigild {
    local $ENV{TMPDIR} = $tmp;
    return run_cmd([$vigild, '-c', $cfg, '-f', '--replay', $trace, @_], timeout => 60);
}

my ($rc, $out, $err) = vigild('-e', q{on "syscalls:sys_exit_openat", "ret == -2" => sub { printf "%s %s\n", $_[0]{common_comm}, $_[0]->enter->{filename} }});
is($rc, 0, 'the one-liner runs') or diag $err;
my @want;
for my $i (0 .. $#{ $expect->{rets} }) {
    push @want, ($i % 3 == 2 ? 'cat' : 'bash') . " $expect->{paths}[$i]\n"
        if $expect->{rets}[$i] == -2;
}
is($out, join('', @want), 'which process opened which missing file (ret -2, filename of the entry)');
ok(@want >= 2, '... (the trace has such opens)');

($rc, $out, $err) = vigild('-e', 'my $n = 0;', '-e', 'on "raw_syscalls:sys_exit" => sub { $n++ };',
                           '-e', 'END { print "exits $n\n" }');
is($rc, 0, '-e repeated') or diag $err;
is($out, "exits 8\n", '... makes one script of the pieces, in order');

($rc, $out, $err) = vigild('-e', 'my $x = 1;', '-e', 'my $y = ) 2;');
is($rc, 1, 'a syntax error in -e code: exit 1');
like($err, qr/syntax error at -e line 2/, '... the message says "-e line 2"');

($rc, $out, $err) = vigild('-e', q{on 'sched:sched_swtich' => sub { }});
is($rc, 1, 'a misspelt event in -e code: exit 1');
like($err, qr/-e line 1: on 'sched:sched_swtich': no such event; did you mean 'sched:sched_switch'\?/,
     '... naming -e line 1 and the real event');

my $s = write_file("$dir/count.pl", "use Vigil;\non 'sched:sched_switch' => sub { };\nEND { print \"script ends\\n\" }\n");
($rc, $out, $err) = vigild('-s', $s, '-e', 'END { print "one-liner ends\n" }');
is($rc, 0, '-e together with -s') or diag $err;
like($out, qr/one-liner ends/, '... the -e code runs');
like($out, qr/script ends/, '... and so does the script');

opendir my $dh, $tmp or die;
my @left = grep { /^vigild-e-/ } readdir $dh;
is_deeply(\@left, [], 'vigild leaves no -e script file behind in TMPDIR');

done_testing;
