#!/usr/bin/perl
# One version for the project: the top-level VERSION file.  debian/changelog's
# newest entry, every Perl module's $VERSION and what `vigild --version` and
# `vigilctl --version` print must all say the same (Makefile.PL and
# debian/rules refuse to build when they do not; this test says which
# copy drifted).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use File::Find;
use Test::More;
use VigildRun;

my ($vigild, $vigilctl) = need_progs('vigild', 'vigilctl');
my $root = repo_root();

chomp(my $version = slurp("$root/VERSION"));
like($version, qr/\A\d+\.\d+\.\d+\z/, "VERSION is X.Y.Z ($version)");

my ($changelog) = slurp("$root/debian/changelog") =~ /\A\S+ \(([^)]+)\)/;
$changelog =~ s/^\d+://;		# epoch
$changelog =~ s/-[^-]+\z//;		# Debian revision
is($changelog, $version, "debian/changelog's newest entry is for VERSION");

my @pms;
find({ no_chdir => 1, wanted => sub { push @pms, $_ if /\.pm\z/ } }, "$root/perl/lib");
for my $pm (sort @pms) {
    my ($v) = slurp($pm) =~ /^our \$VERSION = '([^']*)';/m;
    (my $rel = $pm) =~ s{^\Q$root\E/}{};
    is($v, $version, "$rel: \$VERSION");
}

for my $prog ([vigild => $vigild], [vigilctl => $vigilctl]) {
    my ($name, $path) = @$prog;
    my ($rc, $out, $err) = run_cmd([$path, '--version'], timeout => 20);
    is($rc, 0, "$name --version exits 0");
    is($out, "$name $version\n", "... and prints '$name $version' on stdout");
    is($err, '', '... nothing on stderr');
}
my $inst = "$root/daemon/build/installed/vigild";
SKIP: {
    skip 'no installed variant built', 1 unless -x $inst;
    my ($rc, $out) = run_cmd([$inst, '--version'], timeout => 20);
    is($out, "vigild $version\n", 'the vigild make install installs says the same');
}

my ($rc, $out, $err) = run_cmd([$vigilctl, '--help'], timeout => 20);
is($rc, 0, 'vigilctl --help exits 0');
like($out, qr/^usage: vigilctl/, '... with the usage on stdout');

done_testing;
