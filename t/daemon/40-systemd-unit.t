#!/usr/bin/perl
# The systemd unit runs vigild in the foreground as a simple service,
# reloads with SIGHUP, and systemd-analyze finds nothing wrong with it
# (checked on a copy whose ExecStart points at the built vigild).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;

my $unit = repo_root() . '/daemon/vigild/vigild.service';
my $text = slurp($unit) // die "$unit: $!";
like($text, qr/^Type=simple$/m, 'Type=simple');
like($text, qr{^ExecStart=\S*/sbin/vigild -f$}m, 'ExecStart runs vigild -f (foreground, log to the journal)');
like($text, qr{^ExecReload=/bin/kill -HUP \$MAINPID$}m, 'ExecReload sends SIGHUP (reload the scripts)');
like($text, qr/^KillSignal=SIGTERM$/m, 'stopped with SIGTERM (drain, END callbacks)');
like($text, qr/^WantedBy=multi-user\.target$/m, 'installable for multi-user.target');

SKIP: {
    my ($analyze) = grep { -x } map { "$_/systemd-analyze" } split /:/, $ENV{PATH};
    skip 'systemd-analyze not installed', 2 unless $analyze;
    my ($vigild) = find_prog('vigild');
    skip 'vigild not built', 2 unless $vigild;
    my $dir = tempdir(CLEANUP => 1);
    (my $copy = $text) =~ s{^ExecStart=\S+}{ExecStart=$vigild}m;
    write_file("$dir/vigild.service", $copy);
    my ($rc, $out, $err) = run_cmd([$analyze, 'verify', '--man=no', "$dir/vigild.service"]);
    is($rc, 0, 'systemd-analyze verify accepts the unit');
    is($err, '', '... without a warning') or diag $err;
}
done_testing;
