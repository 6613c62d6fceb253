#!/usr/bin/perl
# The vigild `make install` installs uses the installed Perl modules and
# handlers, never the build tree's (which the vigild built in the tree
# has compiled in): installed with PREFIX=DIR it loads Vigil.pm from
# DIR/lib/perl5 and runs handlers by name from DIR/share/vigil/handlers;
# installed with PREFIX=/usr it has no module directory compiled in and
# relies on Perl's @INC, where the modules go.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../daemon/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use Test::More;
use VigildRun;
use GenTrace;

need_progs('vigild');
my $root = repo_root();
my $dir = tempdir(CLEANUP => 1);
gen_trace("$dir/trace", cpus => 1, per_cpu => 10, tids => [101]);
my $cfg = write_file("$dir/vigil.yaml", "control_socket: $dir/sock\n");
my $where = write_file("$dir/where.pl", <<'PL');
use Vigil;
on 'raw_syscalls:sys_exit' => sub { };
END { print "Vigil.pm from $INC{'Vigil.pm'}\n"; print "INC @INC\n" }
PL

# vigild over the trace with a clean environment (plus %env)
sub run_clean {
    my ($prog, $args, %env) = @_;
    local %ENV = %ENV;
    delete @ENV{qw(VIGIL_PERL_LIB PERL5LIB PERLLIB PERF_EXEC_PATH)};
    @ENV{keys %env} = values %env;
    return run_cmd([$prog, '-f', '-c', $cfg, '--replay', "$dir/trace", @$args], timeout => 60);
}

sub install_to {
    my (@vars) = @_;
    my ($rc, $out, $err) = run_cmd(['make', '-C', $root, '--no-print-directory',
                                    'install-userspace', @vars], timeout => 600);
    is($rc, 0, "make install-userspace @vars") or diag $err;
}

# ---- PREFIX=DIR: modules in DIR/lib/perl5, compiled in ----
my $prefix = "$dir/prefix";
install_to("PREFIX=$prefix");
my $vigild = "$prefix/sbin/vigild";
ok(-f "$prefix/lib/perl5/Vigil.pm", 'Vigil.pm installed under PREFIX/lib/perl5');
{
    my ($rc, $out, $err) = run_clean($vigild, ['-s', $where]);
    is($rc, 0, 'the installed vigild runs a script') or diag $err;
    like($out, qr{^Vigil\.pm from \Q$prefix\E/lib/perl5/Vigil\.pm$}m,
         '... with the installed Vigil.pm, although the build tree\'s perl/lib exists');
    unlike($out, qr{^INC .*\Q$root\E}m, '... and nothing of the build tree in @INC');
}
{
    my ($rc, $out, $err) = run_clean($vigild, ['-s', 'print']);
    is($rc, 0, 'the installed vigild runs the handler print by name') or diag $err;
    is(scalar(() = $out =~ /raw_syscalls:sys_exit/g), 10, '... which prints the 10 events');
    my ($rc2, $out2) = run_cmd([$vigild, '-c', $cfg, '-s', 'print', '--check-config'], timeout => 30);
    like($out2, qr{^scripts: \[\Q$prefix\E/share/vigil/handlers/print\.pl\]$}m,
         '... the installed print.pl');
}

# ---- PREFIX=/usr into a DESTDIR: no module directory compiled in ----
my $dest = "$dir/dest";
install_to("DESTDIR=$dest", 'PREFIX=/usr');
my ($pm) = glob("$dest/usr/lib/*/perl5/*/Vigil.pm");
ok($pm, 'PREFIX=/usr: Vigil.pm in Perl\'s vendor directory') or BAIL_OUT('no Vigil.pm installed');
(my $vendor = $pm) =~ s{/Vigil\.pm\z}{};
my $installed_here = do {
    local %ENV = %ENV;
    delete @ENV{qw(PERL5LIB PERLLIB)};
    system('perl', '-e', 'exit(eval { require Vigil; 1 } ? 0 : 1)') == 0;
};
SKIP: {
    skip 'Vigil.pm is installed in this machine\'s @INC', 2 if $installed_here;
    my ($rc, $out, $err) = run_clean("$dest/usr/sbin/vigild", ['-s', $where]);
    isnt($rc, 0, 'PREFIX=/usr vigild, modules not in @INC: it does not start');
    like($err, qr/Can't locate Vigil\.pm in \@INC/, '... Vigil.pm is looked for in @INC, not in the build tree');
}
{
    my ($rc, $out, $err) = run_clean("$dest/usr/sbin/vigild", ['-s', $where], PERL5LIB => $vendor);
    is($rc, 0, '... and with the installed modules in @INC it runs') or diag $err;
    like($out, qr{^Vigil\.pm from \Q$vendor\E/Vigil\.pm$}m, '... using them');
}

done_testing;
