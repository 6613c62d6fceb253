#!/usr/bin/perl
# The daemon's manual pages are clean POD, and vigil.yaml(5) documents
# every key the loader accepts (as etc/vigil.yaml lists them); the
# summaries in it are checked against the loader's table by
# daemon/vigild/tests/test-config.c.
use strict;
use warnings;
use FindBin;
use Pod::Checker;
use Test::More;

my $root = "$FindBin::Bin/../..";
for my $pod (qw(vigild.8.pod vigilctl.8.pod vigil.yaml.5.pod vigil-capture.1.pod)) {
    my $errors_out = '';
    open my $fh, '>', \$errors_out;
    my $checker = Pod::Checker->new(-warnings => 2);
    $checker->parse_from_file("$root/docs/$pod", $fh);
    is($checker->num_errors, 0, "docs/$pod has no POD errors") or diag $errors_out;
    is($checker->num_warnings, 0, "docs/$pod has no POD warnings") or diag $errors_out;
}

# Every key of the documented default file, nested ones as a.b.
open my $fh, '<', "$root/etc/vigil.yaml" or die "etc/vigil.yaml: $!";
my (@keys, $parent);
while (<$fh>) {
    next if /^\s*(#|$)/;
    if (/^(\w+):/) { $parent = $1; push @keys, $1 }
    elsif (/^  (\w+):/) { push @keys, "$parent.$1" }
}
close $fh;
# a mapping is documented through its keys
my %has_children = map { /^(\w+)\./ ? ($1 => 1) : () } @keys;
@keys = grep { !$has_children{$_} } @keys;
cmp_ok(scalar @keys, '>=', 20, 'etc/vigil.yaml lists the keys');
open $fh, '<', "$root/docs/vigil.yaml.5.pod" or die;
my $pod = do { local $/; <$fh> };
for my $k (@keys) {
    like($pod, qr/B<\Q$k\E>/, "vigil.yaml(5) documents $k");
}
# and the loader knows exactly these keys: vigild --check-config prints
# every key of its table (daemon/vigild/config.c) with its value
my $vigild = "$root/daemon/build/vigild";
my $out = qx{"$vigild" -c /dev/null --check-config -s print 2>&1};
is($?, 0, 'vigild --check-config runs') or diag $out;
my @loader = grep { $_ ne 'filters.syscall_names' } map { /^([\w.]+):/ ? $1 : () } split /\n/, $out;
is(join(' ', sort @loader), join(' ', sort @keys),
   'the loader accepts exactly the keys of etc/vigil.yaml');
done_testing;
