#!/usr/bin/perl
# Flight recorder write errors, replayed: a dump directory that cannot
# be created refuses the dump at once (undef, $@ names the directory),
# a full file system fails the dump when it is written (the error is
# logged with the path, nothing is left behind) - and in both cases the
# daemon goes on delivering every event, and the next dump succeeds once
# there is space again (a failed dump does not start a rate window).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;
use DumpTrace;

my ($vigild) = need_progs('vigild');
my $dir = tempdir(CLEANUP => 1);
my $MNT;
END { system('umount', $MNT) if $MNT }

sub ls_all {
    my ($d) = @_;
    opendir my $dh, $d or return [];
    return [sort grep { !/^\.\.?$/ } readdir $dh];
}

# ---- a dump directory that cannot exist ----------------------------------------
{
    my $gen = gen_timed_trace("$dir/trace1", seconds => 4,
                              markers => [{ t => 2, cpu => 0 }]);
    write_file("$dir/dump.pl", dump_handler_script(before => 1, after => 0.5));
    write_file("$dir/file", "a file, not a directory\n");
    my $cfg = write_file("$dir/bad.yaml", "dump:\n  dir: $dir/file/dumps\n"
                         . "control_socket: $dir/bad.sock\n");
    my ($rc, $out, $err) = run_cmd([$vigild, '-f', '-c', $cfg, '--replay',
                                    "$dir/trace1", '-s', "$dir/dump.pl"]);
    is($rc, 0, 'unusable dump directory: vigild still exits 0') or diag $err;
    like($out, qr/^refused dump directory \Q$dir\E\/file\/dumps: Not a directory$/m,
         'Vigil::dump returns undef, $@ names the directory and the error');
    like($err, qr/dump directory \Q$dir\E\/file\/dumps: Not a directory/,
         'the error is logged');
    like($out, qr/^events ${\ scalar @{ $gen->{events} }}$/m,
         'every event is still delivered');
    like($out, qr/^stat dumps_written 0$/m, 'nothing counts as written');
}

# ---- a full file system, then space again ------------------------------------------
SKIP: {
    skip 'needs root to mount a tmpfs', 15 unless $> == 0;
    my $mnt = "$dir/mnt";
    mkdir $mnt or die;
    my $mounted = system('mount', '-t', 'tmpfs', '-o', 'size=256k,mode=0700',
                         'vigil-test', $mnt) == 0;
    skip 'cannot mount a tmpfs here', 15 unless $mounted;
    $MNT = $mnt;

    # fill it up
    open my $fh, '>', "$mnt/filler" or die;
    my $block = "x" x 4096;
    while (syswrite($fh, $block)) { }
    close $fh;
    my $free = (split ' ', (`df -k --output=avail $mnt`)[1])[0];
    is($free, 0, 'the tmpfs is full');

    # markers at 2 s (full) and 6 s; a "free space" marker (id 998) at 4 s
    my $gen = gen_timed_trace("$dir/trace2", seconds => 8,
        markers => [{ t => 2, cpu => 0 }, { t => 4, cpu => 1, id => 998 },
                    { t => 6, cpu => 1 }]);
    write_file("$dir/full.pl", <<'PL');
use strict;
use warnings;
use Vigil;
my $filler = $ARGV[0];
my $n = 0;
on 'raw_syscalls:sys_exit' => sub {
    my $e = shift;
    $n++;
    if ($e->{id} == 998) {
        unlink $filler or die "unlink $filler: $!";
        print "freed\n";
    } elsif ($e->{id} == 999) {
        my $p = Vigil::dump(reason => "marker", before => 1, after => 0.5);
        print defined $p ? "dump $p\n" : "refused $@\n";
    }
};
END {
    my $st = Vigil::stats();
    print "events $n\n";
    print "stat $_ $st->{$_}\n" for sort grep { /^dumps/ } keys %$st;
}
PL
    my $cfg = write_file("$dir/full.yaml", "dump:\n  dir: $mnt/dumps\n"
                         . "  rate_limit: 60s\ncontrol_socket: $dir/full.sock\n");
    mkdir "$mnt/dumps";     # an empty directory fits in a full tmpfs
    my ($rc, $out, $err) = run_cmd([$vigild, '-f', '-c', $cfg, '--replay',
                                    "$dir/trace2", '-s', "$dir/full.pl",
                                    '--', "$mnt/filler"]);
    is($rc, 0, 'full disk: vigild exits 0') or diag $err;
    my @dumps = $out =~ /^dump (\S+)$/mg;
    is(scalar @dumps, 2, 'both triggers got a path (the first failed later)')
        or diag $out;
    like($err, qr/dump \Q$dumps[0]\E not written \(nothing left behind\): .*No space left on device.*\(tracing goes on\)/,
         'the failed dump is logged with its path and the cause');
    ok(!-e $dumps[0], 'the failed dump does not exist');
    like($out, qr/^freed$/m, 'the handler freed space in between');
    ok(-d $dumps[1], 'the next dump (inside 60 s of the failed one) was written');
    ok(-f "$dumps[1]/.vigil-dump.yaml", '... complete with its summary');
    my $s = read_summary($dumps[1]);
    is($s->{'trigger.ns'}, $gen->{markers}[2], '... for the second trigger');
    is_deeply(ls_all("$mnt/dumps"), [$dumps[1] =~ m{([^/]+)$}],
              'no partial or temporary files left in the dump directory');
    like($out, qr/^events ${\ scalar @{ $gen->{events} }}$/m,
         'every event was delivered');
    like($out, qr/^stat dumps_failed 1$/m, 'Vigil::stats counts the failed dump');
    like($out, qr/^stat dumps_written 1$/m, '... and the written one');
    SKIP: {
        skip 'babeltrace2 not installed', 1 unless -x '/usr/bin/babeltrace2';
        my ($brc, undef, $berr) = run_cmd(['babeltrace2', $dumps[1]]);
        is($brc, 0, 'babeltrace2 reads the dump written after the failure') or diag $berr;
    }
    is(system('umount', $mnt), 0, 'the tmpfs unmounts (nothing holds it)');
    $MNT = undef;
}

done_testing();
