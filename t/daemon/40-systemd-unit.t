#!/usr/bin/perl
# The systemd unit runs vigild in the foreground as a simple service,
# reloads with SIGHUP, and systemd-analyze finds nothing wrong with it
# (checked on a copy whose ExecStart points at the built vigild).  It is
# sandboxed (systemd-analyze security rates its exposure below 3.0, "OK";
# 9.6 "UNSAFE" before), each relaxation of the sandbox saying why, and
# with the shipped configuration (no scripts) vigild is a flight recorder
# rather than a unit that fails and restarts every 5 s.
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

# the sandbox
my %want = (
    NoNewPrivileges => 'yes', ProtectSystem => 'strict', PrivateTmp => 'yes',
    ProtectKernelTunables => 'yes', ProtectKernelModules => 'yes',
    ProtectControlGroups => 'yes', RestrictAddressFamilies => 'AF_UNIX',
    SystemCallArchitectures => 'native', RestrictNamespaces => 'yes',
    MemoryDenyWriteExecute => 'yes', LockPersonality => 'yes',
    PrivateNetwork => 'yes', DevicePolicy => 'closed',
    CapabilityBoundingSet => 'CAP_SYS_ADMIN CAP_SYS_PTRACE CAP_PERFMON CAP_IPC_LOCK CAP_SETUID CAP_SETGID CAP_CHOWN',
    SystemCallFilter => '@system-service perf_event_open',
    PrivateIPC => 'yes', UMask => '0077', StateDirectoryMode => '0711',
    RuntimeDirectoryMode => '0700',
);
for my $k (sort keys %want) {
    like($text, qr/^\Q$k=$want{$k}\E$/m, "$k=$want{$k}");
}
like($text, qr{^ExecStartPre=-\+/sbin/modprobe vigil$}m,
     'modprobe runs outside the sandbox (+), its failure is not fatal (-)');
# every relaxation (a capability kept, a protection weakened) comes right
# after a comment saying why (at most one other setting in between); a
# protection left out is named in a comment with the reason
my @lines = split /\n/, $text;
for my $relax ('CapabilityBoundingSet=', 'ProtectHome=read-only', 'DeviceAllow=',
               'SystemCallFilter=') {
    my ($i) = grep { index($lines[$_], $relax) == 0 } 0 .. $#lines;
    ok(defined $i && ($lines[$i - 1] =~ /^#/ || $lines[$i - 2] =~ /^#/),
       "$relax: explained in the comment above it");
}
for my $left_out ('PrivateDevices', 'ProtectProc') {
    like($text, qr/^# not $left_out\b.*:/m, "$left_out left out: the comment says why");
}
like($text, qr/^# +CAP_SYS_ADMIN +\S.*\n(?:#.*\n)*# +CAP_SYS_PTRACE +\S.*\n(?:#.*\n)*# +CAP_PERFMON +\S.*\n(?:#.*\n)*# +CAP_IPC_LOCK +\S.*\n(?:#.*\n)*# +CAP_SETUID CAP_SETGID +user: .*\n(?:#.*\n)*# +CAP_CHOWN +user: /m,
     'each capability kept is listed with its use (those of user: and control_group: too)');
# vigild drops to user: itself: User= would keep it from /dev/vigil
like($text, qr/^# .*user: NAME.*\n(?:#.*\n)*# Not User=: /m, 'the unit says how vigild leaves root (user:) and why not User=');
unlike($text, qr/^User=/m, 'no User=');

# the default configuration: a flight recorder
{
    my ($vigild) = find_prog('vigild');
    SKIP: {
        skip 'vigild not built', 2 unless $vigild;
        my $root = repo_root();
        my $dir = tempdir(CLEANUP => 1);
        # the shipped file, with a socket this test may use
        (my $conf = slurp("$root/etc/vigil.yaml")) =~ s{^control_socket: .*$}{control_socket: $dir/sock}m;
        write_file("$dir/vigil.yaml", $conf);
        my ($rc, $out, $err) = run_cmd([$vigild, '-c', "$dir/vigil.yaml", '--check-config']);
        is($rc, 0, 'the shipped vigil.yaml is accepted with no scripts (the unit does not fail)') or diag $err;
        like($out, qr/^mode: flight$/m, '... and vigild runs as a flight recorder');
    }
}

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

SKIP: {
    my ($analyze) = grep { -x } map { "$_/systemd-analyze" } split /:/, $ENV{PATH};
    skip 'systemd-analyze not installed', 1 unless $analyze;
    my ($rc, $help) = run_cmd([$analyze, 'security', '--help']);
    skip 'systemd-analyze security has no --offline', 1 unless $help =~ /--offline/;
    my $dir = tempdir(CLEANUP => 1);
    write_file("$dir/vigild.service", $text);
    my ($rc2, $out, $err) = run_cmd([$analyze, 'security', '--offline=yes', "$dir/vigild.service"]);
    my ($score) = "$out$err" =~ /Overall exposure level for vigild\.service: ([\d.]+)/;
    ok(defined $score && $score < 3.0, "systemd-analyze security: exposure below 3.0 (OK), got "
       . ($score // 'nothing')) or diag "$out$err";
}
done_testing;
