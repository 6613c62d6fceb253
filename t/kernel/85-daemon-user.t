#!/usr/bin/perl
# vigild --user (user: in vigil.yaml): once the kernel's tracepoints are
# open and mapped, the control socket bound and the dump directory made,
# vigild becomes an unprivileged user with no capability, and the
# handlers run as that user only:
#  - the handler sees $< and $> of the user (at its first event and in
#    END), cannot read /etc/shadow nor become root again, and still
#    counts a workload's getppid calls exactly;
#  - /proc/<vigild>/status of every thread: the user's uid and gid, no
#    capability (CapInh, CapPrm, CapEff, CapAmb), NoNewPrivs 1;
#  - `vigilctl dump` (root) still writes a dump, owned by the user
#    (directory 0700, files 0600, in the 0700 dump directory it was given),
#    and `vigild --replay` of it counts the same getppid calls;
#  - `vigilctl reload` reads the scripts as the user: it works with a
#    readable script; vigild warns at start about one the user cannot read,
#    and the reload fails with the old handlers kept;
#  - refusals at start: an unknown user (--user, and user: naming the
#    file and line), root, group: without user:, a dump directory the user
#    cannot reach (nothing traced, exit 1, no handler call).
# The test makes its own user (useradd) and removes it at the end.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp ();
use KernelTest;
use VigildRun;

need_kernel_source();
for my $p (qw(useradd userdel)) {
    next if grep { -x "$_/$p" } split(/:/, $ENV{PATH}), '/usr/sbin', '/sbin';
    if ($ENV{CI}) { plan tests => 1; fail("$p is needed (passwd package)"); exit 1 }
    plan skip_all => "no $p";
}
$ENV{PATH} .= ':/usr/sbin:/sbin';

my $user = "vgu$$";
system('useradd', '-M', '-N', '-g', 'nogroup', '-s', '/usr/sbin/nologin', $user) == 0
    or BAIL_OUT("useradd $user failed");
END { system('userdel', $user) if $user && getpwnam($user) }
my (undef, undef, $uid, $gid) = getpwnam($user);
ok($uid, "test user $user (uid $uid, gid $gid)");

my $vigild = vigild_path();
my ($rc, $o, $e);
$ENV{VIGIL_PERL_LIB} = repo_root() . '/perl/lib';
my $vigilctl = find_prog('vigilctl');
my $dir = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $dir;
my $script = write_file("$dir/count.pl", <<'PL');
use strict;
use POSIX ();
use Vigil;
my (%getppid, $first);
on 'syscalls:sys_enter_getppid' => sub { $getppid{ $_[0]{common_pid} }++ };
on 'raw_syscalls:sys_exit' => sub {
    return if $first++;
    my $shadow = open(my $fh, '<', '/etc/shadow') ? 'read' : "refused ($!)";
    my $root = POSIX::setuid(0) ? 'became root' : "refused ($!)";
    print "first event: uid $< euid $> gid ", (split ' ', $()[0],
          " shadow $shadow setuid0 $root\n";
};
END {
    print "end: uid $< euid $>\n";
    print "getppid $_ $getppid{$_}\n" for sort { $a <=> $b } keys %getppid;
}
PL

sub status_of {
    my ($pid) = @_;
    my %t;
    for my $task (glob "/proc/$pid/task/*") {
        my $s = slurp("$task/status") // next;
        my ($tid) = $task =~ /(\d+)$/;
        $t{$tid} = { map { /^(\w+):\s*(.*)$/ ? ($1 => $2) : () } split /\n/, $s };
    }
    return \%t;
}

# ---- a run as the user --------------------------------------------------------
my ($wl, %st, $dump, $dump_out);
my $r = live_run(
    scripts => [$script],
    opts => ['--user', $user],
    dir_mode => 0755,
    ready => qr/running as user \Q$user\E/,
    work => sub {
        my ($run) = @_;
        %st = %{ status_of($run->{pid}) };
        $wl = run_workload(1234, 3, '/nonexistent/vigil-user-test');
        sleep 1;
        my ($rc, $out, $err) = run_cmd([$vigilctl, '--socket', $run->{sock}, 'dump', 'user test'],
                                       timeout => 60);
        $dump_out = "$rc $out $err";
        ($dump) = $out =~ /^(\S+vigil-\S+)$/m;
        return 1;
    });
ok($r->{ready}, "vigild says it runs as $user") or diag $r->{err};
is($r->{rc}, 0, 'exit 0 after SIGTERM') or diag $r->{err};
like($r->{err}, qr/running as user \Q$user\E \(uid $uid\), group nogroup \(gid $gid\), without capabilities/,
     'the log names the user, the group and their ids');
nothing_lost($r);

ok(scalar(keys %st) >= 2, 'vigild has its threads (' . scalar(keys %st) . ')');
for my $tid (sort keys %st) {
    my $t = $st{$tid};
    is($t->{Uid}, join("\t", ($uid) x 4), "thread $tid: real, effective, saved and fs uid are ${user}'s");
    is($t->{Gid}, join("\t", ($gid) x 4), "thread $tid: every gid is the group's");
    is($t->{$_}, '0000000000000000', "thread $tid: $_ empty") for qw(CapInh CapPrm CapEff CapAmb);
}
is(scalar(grep { ($st{$_}{NoNewPrivs} // '') ne '1' } keys %st), 0, 'every thread has no_new_privs');

my $out = $r->{out};
like($out, qr/^first event: uid $uid euid $uid gid $gid shadow refused \(Permission denied\) setuid0 refused \(Operation not permitted\)$/m,
     'the handler runs as the user: $< $> $( are its, /etc/shadow and setuid(0) are refused');
like($out, qr/^end: uid $uid euid $uid$/m, 'END runs as the user too');
like($out, qr/^getppid $wl 1234$/m, 'the workload\'s 1234 getppid calls counted exactly') or diag $out;

# ---- the dump ----------------------------------------------------------------
ok($dump && -d $dump, 'vigilctl dump wrote a dump after the drop') or diag $dump_out;
if ($dump && -d $dump) {
    my @ddir = stat("$r->{dir}/dumps");
    is($ddir[4], $uid, 'the dump directory belongs to the user');
    is($ddir[2] & 07777, 0700, '... mode 0700');
    my @d = stat($dump);
    is($d[4], $uid, 'the dump belongs to the user');
    is($d[2] & 07777, 0700, '... mode 0700');
    my @files = glob("$dump/* $dump/.vigil-dump.yaml");
    ok(@files >= 2, 'it holds metadata, streams and its summary (' . scalar(@files) . ' files)');
    for my $f (@files) {
        my @s = stat($f);
        ok($s[4] == $uid && ($s[2] & 07777) == 0600, "$f: the user's, 0600")
            or diag sprintf('uid %d mode %04o', $s[4], $s[2] & 07777);
    }
    local $ENV{VIGIL_PERL_LIB} = repo_root() . '/perl/lib';
    my ($rc, $rout, $rerr) = run_cmd([$vigild, '-c', '/dev/null', '--replay', $dump, '-s', $script],
                                     timeout => 120);
    is($rc, 0, 'vigild --replay reads the dump') or diag $rerr;
    like($rout, qr/^getppid $wl 1234$/m, '... and counts the same 1234 getppid calls');
}

# ---- reload as the user -----------------------------------------------------------
my $marker = write_file("$dir/marker.pl", <<'PL');
use Vigil;
on 'raw_syscalls:sys_exit' => sub { };
END { print "marker END as $>\n" }
PL
my $secret = write_file("$dir/secret.pl", "use Vigil;\non 'raw_syscalls:sys_exit' => sub { };\n");
chmod 0600, $secret;
my ($reload_ok, $reload_bad);
$r = live_run(
    scripts => [$marker],
    opts => ['--user', $user],
    dir_mode => 0755,
    ready => qr/running as user \Q$user\E/,
    work => sub {
        my ($run) = @_;
        my ($rc, $o, $e) = run_cmd([$vigilctl, '--socket', $run->{sock}, 'reload'], timeout => 60);
        $reload_ok = "$rc $o$e";
        return 1;
    });
is($r->{rc}, 0, 'a run with a readable script: exit 0') or diag $r->{err};
like($reload_ok, qr/^0 reloaded/, 'vigilctl reload works after the drop (the script is readable)');
my @ends = $r->{out} =~ /^marker END as (\d+)$/mg;
is("@ends", "$uid $uid", 'the old handlers ended and the reloaded ones ran, as the user');

$r = live_run(
    scripts => [$secret],
    opts => ['--user', $user],
    dir_mode => 0755,
    ready => qr/running as user \Q$user\E/,
    work => sub {
        my ($run) = @_;
        my ($rc, $o, $e) = run_cmd([$vigilctl, '--socket', $run->{sock}, 'reload'], timeout => 60);
        $reload_bad = "$rc $o$e";
        return 1;
    });
is($r->{rc}, 0, 'a run with a script only root can read: exit 0') or diag $r->{err};
like($r->{err}, qr/\Q$secret\E: not readable by user \Q$user\E: a reload .* will fail/,
     'vigild warns at start that a reload will fail');
like($reload_bad, qr/^1 .*secret\.pl.*Permission denied/s, '... and it does, with the reason')
    or diag $reload_bad;
like($r->{err}, qr/reload failed, the old handlers stay/, 'the old handlers stay');

# ---- --record as the user ------------------------------------------------------------
# the trace directory is made as root and given to the user, who renames
# it into place at the end: its parent must be the user's to write
my $pub = "$dir/pub";
mkdir $pub or die "$pub: $!";
chmod 01777, $pub;
my $rwl;
$r = live_run(
    scripts => [$script],
    opts => ['--user', $user, '--record', "$pub/trace"],
    dir_mode => 0755,
    ready => qr/running as user \Q$user\E/,
    work => sub { $rwl = run_workload(777, 1, '/nonexistent/vigil-user-test'); return 1 });
is($r->{rc}, 0, '--record as the user: exit 0') or diag $r->{err};
like($r->{err}, qr/trace recorded in \Q$pub\E\/trace/, '... the trace was finished');
my @ts = stat("$pub/trace/metadata");
is($ts[4], $uid, '... by the user (its metadata is the user\'s)');
{
    my ($rc, $rout, $rerr) = run_cmd([$vigild, '-c', '/dev/null', '--replay', "$pub/trace", '-s', $script],
                                     timeout => 120);
    is($rc, 0, 'vigild --replay reads it') or diag $rerr;
    like($rout, qr/^getppid $rwl 777$/m, '... and counts the workload\'s 777 getppid calls');
}
$r = live_run(
    scripts => [$script],
    opts => ['--user', $user, '--record', "$dir/trace"],
    dir_mode => 0755,
    ready => qr/running as user/);
is($r->{rc}, 1, '--record into a directory the user cannot write: exit 1 at start');
like($r->{err}, qr/the directory of --record \Q$dir\E: not writable for user \Q$user\E/,
     '... saying so') or diag $r->{err};
is(scalar(() = glob("$dir/trace*")), 0, '... and nothing is left of the trace');

# ---- a drop that fails ---------------------------------------------------------------
# root without CAP_SETGID and CAP_SETUID (taken from the bounding set
# before exec) cannot change its ids: the first change (the check of
# the dump directory as the user) is refused; vigild stops, no handler
# runs
SKIP: {
    skip 'no setpriv', 3 unless grep { -x "$_/setpriv" } split /:/, $ENV{PATH};
    # (live_run cannot wrap vigild in setpriv: a run by hand)
    my $d2 = File::Temp::tempdir(CLEANUP => 1);
    chmod 0755, $d2;
    my $c2 = write_file("$d2/vigil.yaml", "control_socket: $d2/sock\ndump:\n  dir: $d2/dumps\n");
    ($rc, $o, $e) = run_cmd(['setpriv', '--bounding-set', '-setuid,-setgid', $vigild, '-f', '-c', $c2,
                             '--source', 'kernel', '--user', $user, '-s', $script], timeout => 60);
    is($rc, 1, 'a change of ids the kernel refuses (no CAP_SETGID, CAP_SETUID): exit 1');
    like($e, qr/^vigild: checking \S+dumps as user \Q$user\E: Operation not permitted$/m,
         '... saying what failed and why') or diag $e;
    unlike($o, qr/first event|end:/, '... and no handler ran (nor its END)');
}

# ---- -e as the user ----------------------------------------------------------------
($rc, $o, $e) = run_cmd([$vigild, '-f', '-c', '/dev/null', '--source', 'kernel', '--user', $user,
                         '--duration', '1', '-e', 'on "raw_syscalls:sys_exit" => sub { }; END { print "e-end $>\\n" }'],
                        timeout => 60);
is($rc, 0, '-e CODE with --user: exit 0') or diag $e;
like($o, qr/^e-end $uid$/m, '... the code ran as the user');
my ($epath) = $e =~ /handler scripts: (\S+vigild-e-\S+\.pl)/;
ok($epath && !-e $epath, "... and its temporary script is gone (the user could remove it)") or diag $e;

# ---- files root trusts -------------------------------------------------------------
my $loose = write_file("$dir/loose.pl", "use Vigil;\non 'raw_syscalls:sys_exit' => sub { };\n");
chmod 0666, $loose;
($rc, $o, $e) = run_cmd([$vigild, '-f', '-c', '/dev/null', '--source', 'kernel', '-s', $loose,
                         '--duration', '1'], timeout => 60);
like($e, qr/handler script \Q$loose\E is writable by its group and everybody \(mode 0666\): they can make vigild \(root\) run any code/,
     'vigild (root) warns about a handler script others may write');
chown $uid, -1, $loose;
chmod 0644, $loose;
($rc, $o, $e) = run_cmd([$vigild, '-f', '-c', '/dev/null', '--source', 'kernel', '-s', $loose,
                         '--duration', '1'], timeout => 60);
like($e, qr/handler script \Q$loose\E belongs to uid $uid, not root/, '... and about one another user owns');

# ---- refusals at start ---------------------------------------------------------------
my $none = "vg-no-such-user-$$";
($rc, $o, $e) = run_cmd([$vigild, '-f', '-c', '/dev/null', '--source', 'kernel', '--user', $none,
                            '-s', $script], timeout => 60);
is($rc, 2, 'an unknown --user: exit 2');
like($e, qr/--user: no user '\Q$none\E' on this system/, '... naming the option and the user');

my $cfg = write_file("$dir/bad.yaml", "log_level: message\n\nuser: $none\n");
($rc, $o, $e) = run_cmd([$vigild, '-f', '-c', $cfg, '--source', 'kernel', '-s', $script], timeout => 60);
is($rc, 2, 'an unknown user: exit 2');
like($e, qr/\Q$cfg\E:3: user: no user '\Q$none\E' on this system/, '... naming the file, the line and the key');

$cfg = write_file("$dir/root.yaml", "user: root\n");
($rc, $o, $e) = run_cmd([$vigild, '-f', '-c', $cfg, '--check-config'], timeout => 60);
like($e, qr/\Q$cfg\E:1: user: 'root' is root \(uid 0\): name an unprivileged user/, 'user: root is refused');

$cfg = write_file("$dir/group.yaml", "group: nogroup\n");
($rc, $o, $e) = run_cmd([$vigild, '-f', '-c', $cfg, '--source', 'kernel', '-s', $script], timeout => 60);
like($e, qr/group: 'nogroup' without user/, 'group: without user: is refused');

# the dump directory is under a directory only root may enter (live_run's
# own, 0700): the user could not write dumps, so vigild stops at start
$r = live_run(scripts => [$script], opts => ['--user', $user], ready => qr/running as user/);
is($r->{rc}, 1, 'a dump directory the user cannot reach: exit 1 at start');
like($r->{err}, qr/dump directory \S+dumps: not writable for user \Q$user\E \(uid $uid\), which vigild is to run as .*Permission denied/,
     '... saying which directory, which user and why') or diag $r->{err};
unlike($r->{out}, qr/first event|end:/, '... and no handler ran (nor its END)');

done_testing;
