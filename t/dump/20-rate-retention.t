#!/usr/bin/perl
# Flight recorder policies, replayed: triggers inside the rate window are
# refused with a reason, counted (Vigil::stats, the log) and write
# nothing; the rate window runs on the trace clock, so a replay decides
# as the live run did.  Retention keeps at most max_dumps dumps and at
# most max_dump_bytes, removing the oldest first, and never touches what
# is not a vigil dump.
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
# markers 1.5 s apart (on alternating CPUs)
my @m = map { { t => 1 + 1.5 * $_, cpu => $_ % 2 } } 0 .. 5;
my $gen = gen_timed_trace("$dir/trace", cpus => 2, seconds => 10, markers => \@m);
write_file("$dir/dump.pl", dump_handler_script(before => 0.5, after => 0.2));

sub run_with {
    my ($tag, $yaml) = @_;
    my $cfg = write_file("$dir/$tag.yaml", "dump:\n  dir: $dir/$tag\n$yaml"
                         . "control_socket: $dir/$tag.sock\n");
    my @r = run_cmd([$vigild, '-f', '-c', $cfg, '--replay', "$dir/trace",
                     '-s', "$dir/dump.pl"], timeout => 120);
    is($r[0], 0, "$tag: vigild exits 0") or diag $r[2];
    like($r[1], qr/^events ${\ scalar @{ $gen->{events} }}$/m,
         "$tag: every event reaches the handler");
    return @r;
}

sub dumps_in {
    my ($d) = @_;
    opendir my $dh, $d or return [];
    return [sort grep { !/^\.\.?$/ } readdir $dh];
}

# ---- rate policy: default one per 60 s --------------------------------------
{
    my (undef, $out, $err) = run_with('rate', "  rate_limit: 60s\n  max_dumps: 0\n");
    my @dumps = $out =~ /^dump (\S+)$/mg;
    my @refused = $out =~ /^refused (.*)$/mg;
    is(scalar @dumps, 1, 'one per 60 s: the first trigger dumps');
    is(scalar @refused, 5, 'the 5 later triggers (within 60 s) are refused');
    like($refused[0], qr/suppressed by the rate policy: the last one was 1\.5 s ago \(rate_limit: 60 s\)/,
         '... $@ says why, with the time since the last dump');
    like($out, qr/^stat dumps_suppressed 5$/m, 'Vigil::stats counts the suppressed triggers');
    like($out, qr/^stat dumps_written 1$/m, 'Vigil::stats counts the written dump');
    is(scalar(() = $err =~ /dump suppressed by the rate policy \(one per/g), 5,
       'every suppressed trigger is logged');
    is(scalar(() = $err =~ /suppressed by the rate policy/g), 5,
       '... once each (not again as a failed dump)');
    unlike($err, qr/WARNING[^\n]*suppressed/, '... at message level, not as a warning');
    like($err, qr/5 suppressed so far/, 'the log carries the running count');
    is_deeply(dumps_in("$dir/rate"), [map { s{.*/}{}r } @dumps],
              'only the first dump exists');
    my $s = read_summary($dumps[0]);
    is($s->{'trigger.ns'}, $gen->{markers}[0], 'it is the first marker\'s dump');
    like($err, qr/^.*dumps written: 1, failed: 0, suppressed: 5, removed by retention: 0, open: 0$/m,
         'the status at exit reports written and suppressed dumps');
}

# ---- rate policy: one per 2 s (trace clock) -----------------------------------
{
    my (undef, $out) = run_with('rate2', "  rate_limit: 2s\n  max_dumps: 0\n");
    my @dumps = $out =~ /^dump (\S+)$/mg;
    # markers at 1, 2.5, 4, 5.5, 7, 8.5: 1 ok, 2.5 no, 4 ok, 5.5 no, 7 ok, 8.5 no
    is(scalar @dumps, 3, 'one per 2 s on the trace clock: every other marker dumps');
    like($out, qr/^stat dumps_suppressed 3$/m, '... and 3 are suppressed');
    is(scalar @{ dumps_in("$dir/rate2") }, 3, 'three dumps exist');
}

# ---- retention: max_dumps -------------------------------------------------------
{
    mkdir "$dir/keep";
    mkdir "$dir/keep/vigil-not-a-dump";          # no summary: not ours
    write_file("$dir/keep/vigil-notes.txt", "mine\n");
    write_file("$dir/keep/other", "mine\n");
    my (undef, $out, $err) = run_with('keep', "  rate_limit: 0\n  max_dumps: 2\n");
    # (dump.dir is 'keep' through run_with's tag)
    my @dumps = $out =~ /^dump (\S+)$/mg;
    is(scalar @dumps, 6, 'without a rate limit every marker dumps');
    like($out, qr/^stat dumps_removed 4$/m, 'Vigil::stats counts 4 removed by retention');
    my @left = grep { -f "$dir/keep/$_/.vigil-dump.yaml" } @{ dumps_in("$dir/keep") };
    is_deeply(\@left, [map { s{.*/}{}r } @dumps[4, 5]],
              'max_dumps 2: the two newest dumps are kept, the oldest went first');
    ok(-d "$dir/keep/vigil-not-a-dump", 'a vigil-* directory that is not a dump stays');
    ok(-f "$dir/keep/vigil-notes.txt" && -f "$dir/keep/other", 'other files stay');
    is(scalar(() = $err =~ /retention: removed \Q$dir\E\/keep\/vigil-/g), 4,
       'each removal is logged with its path');
    is(scalar(grep { /^\./ } @{ dumps_in("$dir/keep") }), 0, 'no hidden leftovers');
}

# ---- retention: max_dump_bytes ---------------------------------------------------
{
    # one dump of 0.7 s is ~6 packets of 4 KiB per CPU: ~50 KiB; allow ~2.5
    my (undef, $out) = run_with('bytes', "  rate_limit: 0\n  max_dumps: 0\n  max_bytes: 130KiB\n");
    my @dumps = $out =~ /^dump (\S+)$/mg;
    my @left = grep { -f "$dir/bytes/$_/.vigil-dump.yaml" } @{ dumps_in("$dir/bytes") };
    my $total = 0;
    for my $d (@left) {
        opendir my $dh, "$dir/bytes/$d" or die;
        $total += -s "$dir/bytes/$d/$_" for grep { -f "$dir/bytes/$d/$_" } readdir $dh;
    }
    cmp_ok($total, '<=', 130 * 1024, 'dump.max_bytes: what is left fits the limit');
    cmp_ok(scalar @left, '>=', 1, 'at least the newest dump is left');
    cmp_ok(scalar @left, '<', 6, 'older dumps were removed');
    is_deeply(\@left, [map { s{.*/}{}r } @dumps[6 - @left .. 5]],
              'the ones left are the newest');
}

done_testing();
