#!/usr/bin/perl
# Vigil::Glob: the shell-style globs handler options take.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../../perl/lib";
use Test::More;
use Vigil::Glob qw(glob_re);

my @cases = (
	# glob,          string,               matches?
	['/etc/*',       '/etc/passwd',        1, '* matches within a directory'],
	['/etc/*',       '/etc/ssh/sshd_config', 1, '* matches across slashes too'],
	['/etc/*',       '/etcx',              0, 'the literal part must match'],
	['nginx',        'nginx',              1, 'a plain word matches itself'],
	['nginx',        'nginx-worker',       0, 'the whole string must match'],
	['ng?nx',        'nginx',              1, '? matches one character'],
	['ng?nx',        'ngnx',               0, '? needs exactly one character'],
	['wl-[ab]',      'wl-b',               1, '[...] matches one of a set'],
	['wl-[ab]',      'wl-c',               0, '[...] matches nothing outside it'],
	['wl-[!ab]',     'wl-c',               1, '[!...] matches outside the set'],
	['wl-[!ab]',     'wl-a',               0, '[!...] does not match inside it'],
	['a.b',          'aXb',                0, 'regex metacharacters are literal'],
	['(x)+',         '(x)+',               1, 'parentheses and + are literal'],
	['',             '',                   1, 'the empty glob matches the empty string'],
	['*',            "multi\nline",        1, '* matches newlines'],
);
for my $c (@cases) {
	my ($g, $s, $want, $what) = @$c;
	is(($s =~ glob_re($g)) ? 1 : 0, $want, "$what ('$g' vs '$s')");
}
done_testing;
