#!/usr/bin/perl
# The control socket stays responsive while a slow handler works through
# a long --replay: vigild returns to its main loop between short delivery
# batches, so `vigilctl status` answers within a second, again and again;
# and a client gets its whole answer and a clean end of stream (never
# "Connection reset by peer") when its line comes in pieces or when it
# sent more than one line.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use IO::Socket::UNIX;
use Socket qw(SOCK_STREAM);
use Time::HiRes qw(time sleep);
use Test::More;
use VigildRun;
use GenTrace;

my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');
my $dir = tempdir(CLEANUP => 1);
my $trace = "$dir/trace";
gen_trace($trace, cpus => 2, per_cpu => 20000, tids => [101, 102]);
my $sock = "$dir/run/vigild.sock";
my $cfg = write_file("$dir/vigil.yaml", "control_socket: $sock\n");

# 1 ms per event: 20000 events would keep a loop that looks at its
# sources every 4096 events away for 4 s at a time.
my $slow = write_file("$dir/slow.pl", <<'PL');
use strict;
use Vigil;
use Time::HiRes ();
on 'raw_syscalls:sys_exit' => sub { Time::HiRes::sleep(0.001) };
PL

my $bg = start_vigild(['-f', '-c', $cfg, '--replay', $trace, '-s', $slow], sock => $sock);
ok($bg->{ready}, 'the control socket appears')
    or diag(slurp($bg->{err}));
sleep 0.5;	# the replay is under way

my @took;
for my $i (1 .. 5) {
    my $t0 = time;
    my ($rc, $out, $err) = vigilctl($sock, 'status');
    push @took, time - $t0;
    is($rc, 0, "status $i answers") or diag $err;
    like($out, qr/^all\s+\d+/m, "status $i has the counters");
    sleep 0.2;
}
my @slow = grep { $_ >= 1 } @took;
is(scalar @slow, 0, 'every status answered within a second while the handler is slow')
    or diag sprintf 'took %s s', join(', ', map { sprintf '%.2f', $_ } @took);

# Talk to the socket directly: read until the end of the stream.
sub exchange {
    my (@parts) = @_;
    my $c = IO::Socket::UNIX->new(Type => SOCK_STREAM, Peer => $sock)
        or return (undef, "connect: $!");
    for my $p (@parts) {
        if (!ref $p) { syswrite($c, $p) // return (undef, "write: $!") }
        else { sleep $$p }
    }
    my ($all, $buf) = ('');
    while (1) {
        my $n = sysread($c, $buf, 65536);
        return ($all, "read: $!") unless defined $n;
        last if $n == 0;
        $all .= $buf;
    }
    close $c;
    return ($all, undef);
}

{
    my ($got, $err) = exchange('sta', \0.3, "tus\n");
    is($err, undef, 'a line in two pieces: no error reading the answer');
    like($got // '', qr/\AOK\n.*^all\s+\d+/ms, '... the whole status answer');
}
{
    my ($got, $err) = exchange("status\n" . ('x' x 3000) . "\n");
    is($err, undef, 'more input than one line: the answer ends cleanly, no connection reset');
    like($got // '', qr/\AOK\n.*^all\s+\d+/ms, '... after the whole status answer');
}
{
    my ($got, $err) = exchange("status\n", \0.3, "status\n");
    is($err, undef, 'a second line after the first: no connection reset');
    like($got // '', qr/\AOK\n/, '... one answer');
}

kill 'TERM', $bg->{pid};
is(wait_bg($bg, 120), 0, 'vigild stops cleanly on SIGTERM') or diag $bg->{stderr};

done_testing;
