#!/usr/bin/perl
# Who may use vigild's control socket:
#  - by default root only: socket 0600 and directory 0700, both root's;
#    vigilctl run as another user is refused with a message naming the
#    socket and saying root only (exit 2);
#  - control_group: G: socket 0660 and directory 0750 of group G; a user
#    in G (a supplementary group) runs `vigilctl status` and `vigilctl
#    dump`, but `reload` and `stop` are refused by vigild (exit 1, naming
#    the group and the commands it may use); a user not in G is refused
#    with a message naming the socket and G (exit 2).
# vigild runs with --user (as it would with a control group in
# production): the socket stays root's after the drop.  The test makes
# its users and group (useradd, groupadd) and removes them at the end;
# vigilctl runs as them through setpriv.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp ();
use KernelTest;
use VigildRun;

need_kernel_source();
$ENV{PATH} .= ':/usr/sbin:/sbin';
for my $p (qw(useradd userdel groupadd groupdel setpriv)) {
    next if grep { -x "$_/$p" } split /:/, $ENV{PATH};
    if ($ENV{CI}) { plan tests => 1; fail("$p is needed"); exit 1 }
    plan skip_all => "no $p";
}

my $grp = "vgc$$";
my ($daemon, $in, $out) = ("vgd$$", "vgi$$", "vgo$$");
my @made;
END {
    system('userdel', $_) for grep { getpwnam($_) } reverse @made;
    system('groupdel', $grp) if getgrnam($grp);
}
system('groupadd', $grp) == 0 or BAIL_OUT("groupadd $grp");
for ([$daemon], [$in, '-G', $grp], [$out]) {
    my ($u, @extra) = @$_;
    system('useradd', '-M', '-N', '-g', 'nogroup', '-s', '/usr/sbin/nologin', @extra, $u) == 0
        or BAIL_OUT("useradd $u");
    push @made, $u;
}
my $gid = getgrnam($grp);
ok(defined $gid, "group $grp (gid $gid); users $daemon, $in (in it), $out");

my $vigilctl = find_prog('vigilctl');
my $dir = File::Temp::tempdir(CLEANUP => 1);
chmod 0755, $dir;
my $script = write_file("$dir/count.pl", <<'PL');
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_exit' => sub { $n++ };
END { print "events $n\n" }
PL

# vigilctl as USER (supplementary groups from /etc/group)
sub ctl_as {
    my ($user, $sock, @cmd) = @_;
    return run_cmd(['setpriv', '--reuid', $user, '--regid', 'nogroup', '--init-groups',
                    $vigilctl, '--socket', $sock, @cmd], timeout => 60);
}

sub mode_of { my @s = stat $_[0]; return @s ? ($s[2] & 07777, $s[4], $s[5]) : () }

# ---- root only (no control_group) ----------------------------------------
my %res;
my $r = live_run(
    scripts => [$script],
    opts => ['--user', $daemon],
    sock => 'run/vigild.sock',
    dir_mode => 0755,
    ready => qr/running as user/,
    work => sub {
        my ($run) = @_;
        (my $sdir = $run->{sock}) =~ s{/[^/]+$}{};
        $res{sock} = [mode_of($run->{sock})];
        $res{dir} = [mode_of($sdir)];
        $res{in} = [ctl_as($in, $run->{sock}, 'status')];
        $res{root} = [run_cmd([$vigilctl, '--socket', $run->{sock}, 'status'], timeout => 60)];
        return 1;
    });
is($r->{rc}, 0, 'root only: vigild ran and exited 0') or diag $r->{err};
is_deeply($res{sock}, [0600, 0, 0], 'the socket is 0600 root:root');
is_deeply($res{dir}, [0700, 0, 0], 'its directory (made by vigild) is 0700 root:root');
is($res{root}[0], 0, 'root runs vigilctl status') or diag $res{root}[2];
is($res{in}[0], 2, 'another user is refused (exit 2)');
like($res{in}[2], qr/^vigilctl: \Q$r->{sock}\E: permission denied: only root may use vigild's control socket \(control_group in vigil\.yaml\(5\) lets a group ask for status and dump\)$/m,
     '... with a message naming the socket and saying root only') or diag $res{in}[2];

# ---- control_group -------------------------------------------------------
%res = ();
$r = live_run(
    scripts => [$script],
    opts => ['--user', $daemon],
    config => "control_group: $grp\n",
    sock => 'run/vigild.sock',   # (its directory becomes the group's)
    dir_mode => 0755,
    ready => qr/running as user/,
    work => sub {
        my ($run) = @_;
        (my $sdir = $run->{sock}) =~ s{/[^/]+$}{};
        $res{sock} = [mode_of($run->{sock})];
        $res{dir} = [mode_of($sdir)];
        $res{status} = [ctl_as($in, $run->{sock}, 'status')];
        sleep 1;
        $res{dump} = [ctl_as($in, $run->{sock}, 'dump', 'asked by a group member')];
        $res{reload} = [ctl_as($in, $run->{sock}, 'reload')];
        $res{stop} = [ctl_as($in, $run->{sock}, 'stop')];
        $res{out} = [ctl_as($out, $run->{sock}, 'status')];
        return 1;
    });
is($r->{rc}, 0, 'control_group: vigild ran and exited 0 (the group\'s stop was refused)') or diag $r->{err};
is_deeply($res{sock}, [0660, 0, $gid], "the socket is 0660 root:$grp");
is_deeply($res{dir}, [0750, 0, $gid], "its directory 0750 root:$grp");
is($res{status}[0], 0, "a member of $grp runs vigilctl status") or diag $res{status}[2];
like($res{status}[1], qr/^vigild \d+: live, normal mode/m, '... and gets the status');
is($res{dump}[0], 0, '... and vigilctl dump') or diag $res{dump}[2];
my ($dump) = $res{dump}[1] =~ /^(\S+vigil-\S+)$/m;
ok($dump && -d $dump, "... which writes a dump ($res{dump}[1])");
my ($dmode, $duid) = $dump ? mode_of($dump) : ();
is($duid, scalar getpwnam($daemon), '... owned by vigild\'s user, not the member');
is($dmode, 0700, '... mode 0700');
is($res{reload}[0], 1, 'reload is refused to the member (exit 1)');
like($res{reload}[2], qr/^vigilctl: reload: permission denied: members of group \Q$grp\E may ask for status, dump \[REASON\] only; reload needs root$/m,
     '... naming the group and what it may ask') or diag $res{reload}[2];
is($res{stop}[0], 1, 'stop too');
like($r->{err}, qr/control: refused 'stop' to a member of group \Q$grp\E/, 'vigild logs the refusal');
is($res{out}[0], 2, "a user not in $grp is refused (exit 2)");
like($res{out}[2], qr/^vigilctl: \Q$r->{sock}\E: permission denied: root, and members of group \Q$grp\E for status and dump, may use vigild's control socket; you are not in it/m,
     '... with a message naming the socket and the group') or diag $res{out}[2];
like($r->{out}, qr/^events \d+$/m, 'the handlers ran to the end');

done_testing;
