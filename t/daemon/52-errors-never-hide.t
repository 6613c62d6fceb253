#!/usr/bin/perl
# Errors never hide:
#  - with --replay (with or without -f) and in the foreground, handler
#    errors are logged to stderr, and vigild runs to the end and then
#    exits 3 (max_handler_errors reached stays 1);
#  - --check-config compiles the scripts and checks their event names
#    and filters, against the trace given with --replay or else the
#    events of this machine (vigild -l), and exits 1 when they are wrong;
#  - a script that calls exit(N) while it loads (its --help) makes vigild
#    exit N, with what it printed and without tracing.
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
sub vigild { run_cmd([$vigild, '-c', $cfg, @_], timeout => 60) }

my $die = write_file("$dir/die.pl", <<'EOS');
use Vigil;
my $n = 0;
on 'raw_syscalls:sys_exit', 'ret < 0' => sub { die "cannot cope\n" };
on 'raw_syscalls:sys_exit' => sub { $n++ };
END { print "saw $n\n" }
EOS
my ($rc, $out, $err) = vigild('--replay', $trace, '-s', $die);	# no -f
is($rc, 3, '--replay with handler errors: exit status 3');
is($out, "saw 8\n", '... after running to the end (END blocks too)');
my @logged = $err =~ /handler error \d+ \(\S*die\.pl line 3\) on event raw_syscalls:sys_exit [^\n]*: cannot cope/g;
is(scalar @logged, 2, '... each error on stderr, without -f') or diag $err;
like($err, qr/^vigild: 2 handler errors \(logged above\)$/m, '... and a last word saying how many');

($rc, $out, $err) = vigild('-f', '--replay', $trace, '-s', $die);
is($rc, 3, 'the same with -f');

my $fine = write_file("$dir/fine.pl", "use Vigil;\non 'raw_syscalls:sys_exit' => sub { };\n");
($rc, $out, $err) = vigild('--replay', $trace, '-s', $fine);
is($rc, 0, 'no handler errors: exit 0') or diag $err;

my $cfg_max = write_file("$dir/max.yaml", "control_socket: $dir/sock\nmax_handler_errors: 1\n");
($rc) = run_cmd([$vigild, '-c', $cfg_max, '--replay', $trace, '-s', $die], timeout => 60);
is($rc, 1, 'max_handler_errors reached: still exit 1 (stopped early), not 3');

# --check-config
($rc, $out, $err) = vigild('--check-config', '-s', $fine);
is($rc, 0, '--check-config with a good script: exit 0') or diag $err;
like($out, qr/^scripts: \[\S*fine\.pl\]$/m, '... after printing the configuration');

my $typo = write_file("$dir/typo.pl", "use Vigil;\n\non 'sched:sched_swtich' => sub { };\n");
($rc, $out, $err) = vigild('--check-config', '-s', $typo);
is($rc, 1, '--check-config checks event names: a misspelt one is exit 1');
like($err, qr/typo\.pl line 3: on 'sched:sched_swtich': no such event; did you mean 'sched:sched_switch'\?/,
     '... naming the line and the real event (without the module: the built-in events)');

my $filt = write_file("$dir/filter.pl", "use Vigil;\non 'raw_syscalls:sys_exit', 'rett < 0' => sub { };\n");
($rc, $out, $err) = vigild('--check-config', '-s', $filt);
is($rc, 1, '--check-config checks filters against the event\'s fields');
like($err, qr/filter\.pl line 2: on 'raw_syscalls:sys_exit', 'rett < 0': .*unknown field 'rett'/, '... naming the field');

my $syn = write_file("$dir/syntax.pl", "use Vigil;\nmy \$x = ) 1;\n");
($rc, $out, $err) = vigild('--check-config', '-s', $syn);
is($rc, 1, '--check-config compiles the scripts');
like($err, qr/syntax error at \S*syntax\.pl line 2/, '... and names the line of a syntax error');

my $kp = write_file("$dir/kp.pl", "use Vigil;\non 'kprobes:do_sys_open' => sub { };\n");
($rc, $out, $err) = vigild('--check-config', '--replay', $trace, '-s', $kp);
is($rc, 1, '--check-config --replay DIR checks against that trace\'s events');
like($err, qr/kp\.pl line 2: on 'kprobes:do_sys_open': no such event/, '... (it has no kprobe)');

# exit(N) while loading
($rc, $out, $err) = vigild('--replay', $trace, '-s', 'exec-log', '--', '--help');
is($rc, 0, '-s exec-log -- --help: exit 0');
like($out, qr/^usage: vigild .*exec-log/, '... with the handler\'s usage on stdout');
unlike($out, qr/TIME/, '... and nothing the handler prints after its options');
unlike($err, qr/exit\(0\)|replaying/, '... no error, nothing traced');

opendir my $hd, "$FindBin::Bin/../../handlers" or die;
for my $h (sort grep { /\.pl\z/ } readdir $hd) {
    (my $name = $h) =~ s/\.pl\z//;
    my ($hrc, $hout, $herr) = vigild('--replay', $trace, '-s', $name, '--', '--help');
    ok($hrc == 0 && $hout =~ /^usage: vigild .*\Q$h\E/ && $herr !~ /error|exit\(/i,
       "-s $name -- --help: its usage, exit 0") or diag "rc $hrc\n$hout$herr";
}

my $five = write_file("$dir/five.pl", "use Vigil;\nprint \"bye\\n\";\nexit 5;\n");
($rc, $out, $err) = vigild('--replay', $trace, '-s', $five);
is($rc, 5, 'exit(5) while a script loads: vigild exits 5');
is($out, "bye\n", '... what it printed is there');
($rc, $out, $err) = vigild('--check-config', '-s', 'exec-log', '--', '--help');
is($rc, 0, '--check-config of a script that exits while loading: its status');

done_testing;
