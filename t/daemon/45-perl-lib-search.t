#!/usr/bin/perl
# Where vigild takes Vigil.pm from: $VIGIL_PERL_LIB first; else the
# compiled-in directory (the build tree's perl/lib) only if it holds
# Vigil.pm; else Perl's own @INC (where `make install` puts Vigil.pm).
# An installed vigild whose build tree is gone must not look there.
# The last case builds a vigild whose compiled-in directory does not
# exist (perl/embed/embed.c compiled again, linked with the other objects).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use File::Path qw(make_path);
use File::Copy qw(copy);
use Test::More;
use VigildRun;
use GenTrace;

my ($vigild) = need_progs('vigild');
my $root = repo_root();
my $dir = tempdir(CLEANUP => 1);
gen_trace("$dir/trace", cpus => 1, per_cpu => 10, tids => [101]);
my $cfg = write_file("$dir/vigil.yaml", "control_socket: $dir/sock\n");
my $script = write_file("$dir/where.pl", <<'PL');
use strict;
use Vigil;
on 'raw_syscalls:sys_exit' => sub { };
END { print "Vigil.pm from $INC{'Vigil.pm'}\n"; print "PERF_EXEC_PATH $ENV{PERF_EXEC_PATH}\n" }
PL

sub run_with_env {
    my ($prog, %env) = @_;
    local %ENV = %ENV;
    delete @ENV{qw(VIGIL_PERL_LIB PERL5LIB PERF_EXEC_PATH)};
    @ENV{keys %env} = values %env;
    return run_cmd([$prog, '-f', '-c', $cfg, '--replay', "$dir/trace", '-s', $script],
                   timeout => 60);
}

# a copy of the modules elsewhere, as an installed or private tree
my $alt = "$dir/alt-lib";
make_path("$alt/Vigil", "$alt/Perf/Trace");
for my $f (qw(Vigil.pm Vigil/Aggr.pm Vigil/Glob.pm Vigil/Trace.pm
              Perf/Trace/Core.pm Perf/Trace/Util.pm Perf/Trace/Context.pm)) {
    copy("$root/perl/lib/$f", "$alt/$f") or die "copy $f: $!";
}

{
    my ($rc, $out, $err) = run_with_env($vigild);
    is($rc, 0, 'the build tree vigild runs') or diag $err;
    like($out, qr{^Vigil\.pm from \Q$root\E/perl/lib/Vigil\.pm$}m,
         'without VIGIL_PERL_LIB: the compiled-in directory (it holds Vigil.pm)');
    like($out, qr{^PERF_EXEC_PATH \Q$root\E/perl/lib$}m, 'PERF_EXEC_PATH is that directory');
}
{
    my ($rc, $out, $err) = run_with_env($vigild, VIGIL_PERL_LIB => $alt);
    is($rc, 0, 'with VIGIL_PERL_LIB') or diag $err;
    like($out, qr{^Vigil\.pm from \Q$alt\E/Vigil\.pm$}m, 'VIGIL_PERL_LIB comes first');
}

# ---- a vigild built with a compiled-in directory that does not exist ----
SKIP: {
    my $obj = "$root/daemon/build/obj/vigild";
    skip 'no daemon build objects', 5 unless -f "$obj/vigild.o" && -f "$root/daemon/build/Vigil_xs.o";
    chomp(my $ccopts = `perl -MExtUtils::Embed -e ccopts`);
    chomp(my $ldopts = `perl -MExtUtils::Embed -e ldopts`);
    chomp(my $glib = `pkg-config --cflags glib-2.0`);
    chomp(my $libs = `pkg-config --libs glib-2.0 yaml-0.1 libdw libsoup-3.0`);	# vigild's link line
    my $missing = "$dir/gone/perl/lib";
    my $cc = "cc -O2 -Wall -I$root/daemon/core -I$root/daemon/build/gen -I$root/kmod -I$root/perl -I$root/perl/embed $glib $ccopts "
           . "-DVG_PERL_LIBDIR='\"$missing\"' -c -o $dir/embed.o $root/perl/embed/embed.c";
    my ($rc, $out, $err) = run_cmd(['sh', '-c', $cc], timeout => 300);
    is($rc, 0, 'perl/embed/embed.c compiles with another VG_PERL_LIBDIR') or diag $err;
    # every object of vigild but the one compiled again here: those of
    # its sources (an incremental build may still hold objects of files
    # that have since moved away)
    my @objs = ((map { m{([^/]+)\.c$} ? "$obj/$1.o" : () } glob("$root/daemon/vigild/*.c")),
                grep { !m{/embed\.o$} } glob("$root/daemon/build/perl-embed/*.o"));
    my $ld = "cc -o $dir/vigild $dir/embed.o @objs $root/daemon/build/Vigil_xs.o "
           . "$root/daemon/build/perl/vg_aggr.o $root/daemon/build/libvigilcore.a "
           . "$root/daemon/build/dev/libvigildev.a $libs $ldopts -lm";
    ($rc, $out, $err) = run_cmd(['sh', '-c', $ld], timeout => 300);
    is($rc, 0, '... and links') or diag $err;

    my $installed = do {
        local %ENV = %ENV;
        delete $ENV{PERL5LIB};
        system('perl', '-e', 'require Vigil; exit 0', '2>/dev/null') == 0;
    };
    SKIP: {
    skip 'Vigil.pm is installed in Perl\'s @INC on this machine', 3 if $installed;
    ($rc, $out, $err) = run_with_env("$dir/vigild");
    isnt($rc, 0, 'compiled-in directory gone, Vigil.pm nowhere in @INC: vigild refuses to start');
    like($err, qr/Can't locate Vigil\.pm in \@INC/, '... saying Vigil.pm was not found in @INC');
    unlike($err, qr/\Q$missing\E/, '... and @INC does not have the missing directory');
    }

    ($rc, $out, $err) = run_with_env("$dir/vigild", PERL5LIB => $alt);
    is($rc, 0, 'with Vigil.pm in Perl\'s own @INC (PERL5LIB here, site_perl when installed)') or diag $err;
    like($out, qr{^Vigil\.pm from \Q$alt\E/Vigil\.pm$}m, '... it is found there');
}

done_testing;
