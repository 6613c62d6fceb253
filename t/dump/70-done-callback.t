#!/usr/bin/perl
# Vigil::dump(..., done => CODE), replayed: done is called exactly once,
# with the final path, once the after-window has closed and the dump
# directory is in place; with (undef, error) when the dump directory
# cannot be written; a done that dies is logged and counted like a
# handler error.
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
my $gen = gen_timed_trace("$dir/trace", cpus => 2, seconds => 10,
                          markers => [{ t => 6.0, cpu => 1 }]);
my $T = $gen->{markers}[0];

# done prints what it got, the timestamp of the newest event the handler
# had seen, and whether the directory was there.
sub script {
    my ($die) = @_;
    my $d = $die ? 'die "done failed on purpose\n";' : '';
    return <<"PL";
use strict;
use warnings;
use Vigil;
my (\$last, \$calls) = (0, 0);
on 'raw_syscalls:sys_exit' => sub {
    my \$e = shift;
    \$last = \$e->{common_ts};
    if (\$e->{id} == $MARKER_ID) {
        my \$p = Vigil::dump(reason => 'marker', before => 2, after => 1,
            done => sub {
                my (\$path, \$err) = \@_;
                \$calls++;
                printf "done %s %s last %s dir %s\\n", \$path // 'undef',
                    defined \$err ? "error=\$err" : 'undef', \$last,
                    defined \$path && -d \$path ? 'yes' : 'no';
                $d
            });
        print defined \$p ? "returned \$p at \$last\\n" : "refused \$@\\n";
    }
};
END {
    print "calls \$calls\\n";
    my \$st = Vigil::stats();
    print "errors \$st->{perl_errors}\\n";
}
PL
}

sub run {
    my ($name, $dumpdir, $die) = @_;
    write_file("$dir/$name.pl", script($die));
    my $cfg = write_file("$dir/$name.yaml",
        "dump:\n  dir: $dumpdir\n  history_time: 60s\n"
        . "control_socket: $dir/$name.sock\n");
    return run_cmd([$vigild, '-f', '-c', $cfg, '--replay', "$dir/trace",
                    '-s', "$dir/$name.pl"], timeout => 120);
}

{
    my ($rc, $out, $err) = run('ok', "$dir/dumps");
    is($rc, 0, 'vigild --replay with a done callback exits 0') or diag $err;
    my ($ret, $at) = $out =~ /^returned (\S+) at (\d+)$/m;
    ok(defined $ret, 'Vigil::dump returns the path at once') or diag $out;
    is($at, $T, '... while the handler is at the trigger event');
    my @done = $out =~ /^(done .*)$/mg;
    is(scalar @done, 1, 'done is called exactly once') or diag $out;
    my ($path, $e, $last, $isdir) =
        ($done[0] // '') =~ /^done (\S+) (\S+) last (\d+) dir (\S+)$/;
    is($path, $ret, 'done gets the final path (the one Vigil::dump returned)');
    is($e, 'undef', '... and no error');
    cmp_ok($last // 0, '>=', $T + 1e9,
           'done runs only after the after-window (1 s past the trigger) closed');
    is($isdir, 'yes', 'the dump directory is complete in place when done runs');
    like($out, qr/^calls 1$/m, 'no second call at the end');
    like($out, qr/^errors 0$/m, 'no handler error');
}

{
    write_file("$dir/file", "a file, not a directory\n");
    my ($rc, $out, $err) = run('bad', "$dir/file/dumps");
    is($rc, 0, 'unwritable dump directory: vigild still exits 0') or diag $err;
    my @done = $out =~ /^(done .*)$/mg;
    is(scalar @done, 1, 'done is called exactly once for a dump that cannot be written')
        or diag $out;
    like($done[0] // '', qr{^done undef error=dump directory \Q$dir\E/file/dumps: Not a directory last $T dir no$},
         'done gets undef and the error naming the directory, during the Vigil::dump call');
    like($out, qr{^refused dump directory \Q$dir\E/file/dumps: Not a directory$}m,
         'Vigil::dump itself still returns undef with $@');
}

{
    my ($rc, $out, $err) = run('die', "$dir/dumps-die", 1);
    is($rc, 3, 'a done that dies does not stop vigild (exit 3 at the end)') or diag $err;
    like($out, qr/^calls 1$/m, 'it was called once');
    like($out, qr/^errors 1$/m, 'its death counts as a handler error');
    like($err, qr/done callback.*done failed on purpose/,
         'its death is logged with what died');
}

done_testing;
