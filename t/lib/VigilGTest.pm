package VigilGTest;
# Runs one of the C tests (GLib's GTest, TAP output) as a prove test:
#
#	use lib "$FindBin::Bin/../lib";
#	use VigilGTest;
#	VigilGTest::run('daemon/build/tests/tasks');
#
# The path is relative to the repository.  A test binary that is not
# built is a failure (not a skip): `make` builds every one of them.
use strict;
use warnings;
use FindBin;
use File::Spec;

sub run {
	my ($rel) = @_;
	my $root = File::Spec->rel2abs("$FindBin::Bin/../..");
	my $bin = "$root/$rel";
	unless (-x $bin) {
		print "1..1\nnot ok 1 - $rel is built (run: make)\n";
		exit 1;
	}
	exec $bin, '--tap' or die "exec $bin: $!\n";
}

1;
