#!/usr/bin/perl
# vigilctl's own errors: usage mistakes exit 2 with a message saying what
# was wrong, and an unreachable vigild says where it looked.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;

my ($vigilctl) = need_progs('vigilctl');
my $dir = tempdir(CLEANUP => 1);
my $sock = "$dir/none.sock";

my ($rc, $out, $err) = run_cmd([$vigilctl, '--socket', $sock]);
is($rc, 2, 'no command: exit 2');
like($err, qr/no command given/, '... saying so');
like($err, qr/^usage: vigilctl /m, '... with the usage');

($rc, $out, $err) = run_cmd([$vigilctl, '--socket', $sock, 'restart']);
is($rc, 2, 'an unknown command: exit 2');
like($err, qr/unknown command 'restart'/, '... naming it');

($rc, $out, $err) = run_cmd([$vigilctl, '--socket', $sock, 'status', 'now']);
is($rc, 2, 'status takes no argument');
like($err, qr/status takes no argument/, '... and says so');

($rc, $out, $err) = run_cmd([$vigilctl, '--bogus', 'status']);
is($rc, 2, 'an unknown option: exit 2');
like($err, qr/unknown option --bogus/, '... naming it');

($rc, $out, $err) = run_cmd([$vigilctl, '--socket']);
is($rc, 2, '--socket without a path: exit 2');

($rc, $out, $err) = run_cmd([$vigilctl, '--socket', $sock, 'status']);
is($rc, 2, 'no vigild listening: exit 2');
like($err, qr/cannot reach vigild at \Q$sock\E: .*\(is vigild running\?\)/,
     '... naming the socket it tried');

{
    local $ENV{VIGIL_SOCKET} = "$dir/env.sock";
    ($rc, $out, $err) = run_cmd([$vigilctl, 'status']);
    like($err, qr/\Q$dir\E\/env\.sock/, 'VIGIL_SOCKET sets the default socket');
}

($rc, $out, $err) = run_cmd([$vigilctl, '--help']);
is($rc, 0, '--help exits 0');
done_testing;
