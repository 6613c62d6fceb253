#!/usr/bin/perl
# The kernel module builds without a single warning with W=1 (extra gcc
# warnings) and with C=1 (sparse), and the user-space tools build with
# -Wall -Wextra -Werror (with the device API they share with vigild,
# daemon/dev/).  Built in a copy of kmod/ and daemon/dev/ so the tree's
# own build (used by the VM tests) is left alone.  No VM needed.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use File::Temp qw(tempdir);
use File::Copy qw(copy);
use VigilVM;

my $root = VigilVM::repo_root();
my ($kdir) = grep { -d $_ } ("/lib/modules/" . `uname -r` =~ s/\s+//r . "/build",
                            reverse sort glob('/lib/modules/*/build'));
plan skip_all => 'no kernel build tree in /lib/modules/*/build' unless $kdir;

my $tmp = tempdir('vigil-t15-XXXXXX', TMPDIR => 1, CLEANUP => 1);
mkdir "$tmp/kmod" or die;
mkdir "$tmp/kmod/tools" or die;
mkdir "$tmp/t" or die;
mkdir "$tmp/t/tools" or die;
for my $f (glob("$root/kmod/*.[ch]"), "$root/kmod/Kbuild", "$root/kmod/Makefile") {
    copy($f, "$tmp/kmod/") or die "copy $f: $!";
}
copy($_, "$tmp/kmod/tools/") or die for glob("$root/kmod/tools/*.c");
copy($_, "$tmp/t/tools/") or die for glob("$root/t/tools/*.c");
mkdir "$tmp/daemon" or die;
mkdir "$tmp/daemon/dev" or die;
copy($_, "$tmp/daemon/dev/") or die for glob("$root/daemon/dev/*.[ch]"), "$root/daemon/dev/Makefile";

sub build {
    my (@args) = @_;
    my $out = `make -C $tmp/kmod KDIR=$kdir @args 2>&1`;
    return ($? >> 8, $out);
}

my ($rc, $out) = build('module', 'W=1');
is($rc, 0, "vigil.ko builds with W=1 against $kdir") or diag($out);
my @w = grep { /warning:/i } split /\n/, $out;
is(scalar @w, 0, 'the W=1 build prints no warning') or diag(join "\n", @w);
ok(-f "$tmp/kmod/vigil.ko", 'vigil.ko was produced');

SKIP: {
    skip 'sparse not installed', 3 unless grep { -x "$_/sparse" } split /:/, $ENV{PATH};
    system("touch $tmp/kmod/*.c");
    ($rc, $out) = build('module', 'C=1');
    is($rc, 0, 'vigil.ko builds with C=1 (sparse)') or diag($out);
    like($out, qr/CHECK\s+\S*vigil_core\.c/, 'sparse really checked the sources');
    my @s = grep { /\.[ch]:\d+:\d+: (warning|error)/ || /warning:/i } split /\n/, $out;
    is(scalar @s, 0, 'sparse reports nothing') or diag(join "\n", @s);
}

($rc, $out) = build('tools');
is($rc, 0, 'the tools build with -Wall -Wextra -Werror') or diag($out);
ok(-x "$tmp/kmod/tools/vigil-capture", 'vigil-capture was produced');
ok(-x "$tmp/kmod/tools/bin/vigil-workload", 'the test workload was produced');

done_testing;
