#!/usr/bin/perl
# libvigilcore's files call each other one way: no file of daemon/core/
# calls a function of a file that (directly or through others) calls a
# function of its own.  Read from the built objects (nm): file A depends
# on file B when A uses a symbol that B defines.
use strict;
use warnings;
use FindBin;
use Test::More;

my $dir = "$FindBin::Bin/../../daemon/build/core";
my @objs = sort glob "$dir/*.o";
cmp_ok(scalar @objs, '>=', 8, 'the core objects are built') or BAIL_OUT("no objects in $dir (make -C daemon)");

my (%defines, %uses);
for my $o (@objs) {
	(my $f = $o) =~ s{.*/(\w+)\.o$}{$1.c};
	open my $nm, '-|', 'nm', $o or die "nm $o: $!";
	while (<$nm>) {
		if (/^\s+U (\S+)/) { $uses{$f}{$1} = 1 }
		elsif (/^\S+ [TDRB] (\S+)/) { $defines{$1} = $f }
	}
	close $nm or die "nm $o failed";
}
my %dep;
for my $f (keys %uses) {
	for my $sym (keys %{ $uses{$f} }) {
		my $g = $defines{$sym} or next;
		$dep{$f}{$g} = $sym unless $g eq $f;
	}
}

# depth-first search for a cycle; report it as a path
my (%state, @cycles);
sub visit {
	my ($f, @path) = @_;
	return if ($state{$f} // 0) == 2;
	if (($state{$f} // 0) == 1) {
		my $i = (grep { $path[$_] eq $f } 0 .. $#path)[0];
		push @cycles, join(' -> ', @path[$i .. $#path], $f);
		return;
	}
	$state{$f} = 1;
	visit($_, @path, $f) for sort keys %{ $dep{$f} // {} };
	$state{$f} = 2;
}
visit($_) for sort keys %uses;
is(join("\n", @cycles), '', 'no file of libvigilcore calls back into a file that calls it')
    or diag join "\n", map { my $f = $_; map { "$f uses $dep{$f}{$_} of $_" } sort keys %{ $dep{$f} } } sort keys %dep;

# the metadata model is at the bottom: parser and syscall code call it,
# it calls neither
ok(!$dep{'vg_metadata.c'}{'vg_tsdl.c'} && !$dep{'vg_metadata.c'}{'vg_syscall.c'},
   'vg_metadata.c (model) calls neither the parser nor the syscall code');
ok($dep{'vg_tsdl.c'}{'vg_metadata.c'}, 'the parser (vg_tsdl.c) fills the model');

done_testing();
