#!/usr/bin/perl
# file-watch.pl - opens of paths matching globs: by whom, with what result.
# Documentation: perldoc handlers/file-watch.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Vigil::Syscall ();
use Vigil;

my ($comm, $failed, $header, @globs) = (undef, 0, 1);
GetOptionsFromArray(\@ARGV,
	'glob|g=s' => \@globs,
	'comm|c=s' => \$comm,
	'failed'   => \$failed,
	'header!'  => \$header,
	'help|h'   => sub { print usage(); exit 0 },
) or die usage();
push @globs, @ARGV;	# bare arguments are globs too
@ARGV = ();
die "file-watch.pl: --comm '$comm' may not contain \" or \\\n"
    if defined $comm && $comm =~ /["\\]/;

sub usage {
	return "usage: vigild -f -s handlers/file-watch.pl [-- [--glob PATTERN]... [--comm NAME] [--failed] [--noheader] [PATTERN...]]\n";
}

use Vigil::Glob qw(glob_re);
my @re = map { glob_re($_) } @globs;


# the syscalls that open a path, and the name of their path argument
my %PATH_ARG = (open => 'filename', openat => 'filename',
		openat2 => 'filename', creat => 'pathname');

my %pending;	# tid => [syscall, path]

sub text {
	my ($s) = @_;
	$s //= '';
	$s =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
	return $s;
}

printf "%-20s %-16s %7s %7s %-8s %-8s %s\n", qw(TIME COMM PID TID SYSCALL RESULT PATH)
    if $header;

my $filter = defined $comm ? qq(common_comm == "$comm") : undef;
my @filter = defined $filter ? ($filter) : ();

for my $glob ('syscalls:sys_enter_open*', 'syscalls:sys_enter_creat') {
	on $glob, @filter, sub {
		my $e = shift;
		my $sc = substr($e->name, 19);
		my $arg = $PATH_ARG{$sc} or return;
		my $path = $e->{$arg};
		return unless defined $path;
		if (@re) {
			my $hit = 0;
			for (@re) { if ($path =~ $_) { $hit = 1; last } }
			return unless $hit;
		}
		$pending{ $e->{common_tid} } = [ $sc, $path ];
	};
}

for my $glob ('syscalls:sys_exit_open*', 'syscalls:sys_exit_creat') {
	on $glob, @filter, sub {
		my $e = shift;
		my $p = delete $pending{ $e->{common_tid} } or return;
		return unless $p->[0] eq substr($e->name, 18);	# lost exit: unpaired
		my $ret = $e->{ret};
		return if $failed && $ret >= 0;
		my $result = $ret >= 0 ? "fd=$ret" : (Vigil::Syscall::errno_name(-$ret) // "errno=" . -$ret);
		my $ts = $e->{common_ts};
		my ($s, $ns);
		{ use integer; $s = $ts / 1000000000; $ns = $ts % 1000000000; }
		printf "%-20s %-16s %7d %7d %-8s %-8s %s\n", sprintf('%d.%09d', $s, $ns),
		    $e->{common_comm}, $e->{common_pid}, $e->{common_tid},
		    $p->[0], $result, text($p->[1]);
	};
}

# forget the pending open of a thread that exits inside it
on 'sched:sched_process_exit' => sub { delete $pending{ $_[0]{pid} } };

__END__

=head1 NAME

file-watch.pl - watch opens of paths matching globs: who, when, result

=head1 SYNOPSIS

    vigild -f -s handlers/file-watch.pl -- --glob '/etc/*'
    vigild -f -s handlers/file-watch.pl -- '/etc/shadow' '/home/*/.ssh/*' --failed
    vigild --replay DIR -s handlers/file-watch.pl -- --comm nginx

=head1 DESCRIPTION

One line per open(2), openat(2), openat2(2) or creat(2) of a path that
matches one of the patterns (all paths without patterns), printed when the
call returns: the time (seconds.nanoseconds of the trace clock), command
name, process id, thread id, syscall, result (C<fd=N>, or the errno name
such as C<ENOENT> or C<EACCES>) and the path as the program passed it
(relative paths stay relative).  Bytes outside printable ASCII are written
as C<\xNN>.

Paths come from the kernel module, which copies the path argument at
sys_enter; a path it could not read matches no pattern.

=head1 OPTIONS

=over

=item --glob PATTERN, -g (or bare PATTERN arguments)

Shell-style pattern: C<*> matches any characters including C</>, C<?> one
character, C<[...]> a set (C<[!...]> its complement).  May be given more
than once; a path matching any is reported.

=item --comm NAME, -c

Only this command name (a shell-style glob matches several; filtered in
C).

=item --failed

Only opens that failed.

=item --noheader

No column header.

=back

=head1 EXAMPLE OUTPUT

    TIME                 COMM                 PID     TID SYSCALL  RESULT   PATH
    5021.118851410       cat                  812     812 openat   fd=3     /etc/hostname
    5021.204007113       sshd                 640     640 openat   EACCES   /etc/shadow

=cut
