package Vigil::Glob;
use strict;
use warnings;
use Exporter 'import';
our @EXPORT_OK = qw(glob_re);
our $VERSION = '0.1.0';

# Shell-style glob to a regex anchored at both ends: * any characters
# (also /), ? one character, [...] a set and [!...] its complement;
# everything else stands for itself.
sub glob_re {
	my ($g) = @_;
	my $re = '';
	while (length $g) {
		if ($g =~ s/\A\*//)                 { $re .= '.*' }
		elsif ($g =~ s/\A\?//)              { $re .= '.' }
		elsif ($g =~ s/\A\[(!?)([^\]]+)\]//) { $re .= '[' . ($1 ? '^' : '') . quotemeta($2) . ']' }
		else { $g =~ s/\A(.)//s; $re .= quotemeta $1 }
	}
	return qr/\A$re\z/s;
}

1;

__END__

=head1 NAME

Vigil::Glob - shell-style globs for handler options

=head1 SYNOPSIS

  use Vigil::Glob qw(glob_re);
  my $re = glob_re('/etc/*.conf');
  print "match\n" if '/etc/ld.so.conf' =~ $re;

=head1 DESCRIPTION

C<glob_re($pattern)> turns a shell-style glob into a compiled regex that
must match the whole string: C<*> matches any characters, slashes
included (unlike the shell, so C</etc/*> also matches files below
subdirectories), C<?> matches one character, C<[abc]> one of a set and
C<[!abc]> one character not in it. Every other character matches itself.

It is the same glob language as the string comparisons of vigil's C
filters (C<on 'EVENT', 'filename == "/etc/*"' =E<gt> sub { ... }>), for
options that a handler applies in Perl.

=cut
