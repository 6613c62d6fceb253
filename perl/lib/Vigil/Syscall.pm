package Vigil::Syscall;

# System call arguments and results as text, the way strace shows them:
# symbolic flags (O_RDONLY|O_CLOEXEC), errno names, signal names, paths
# quoted.  The one place of vigil that knows which argument of which
# syscall is what; the names and values of the flags come from the C
# headers vigil was built with (perl/vg_sysconst.h, through
# Vigil::_sysconsts), errno names from the system's errno.h (Errno),
# their texts from the C library (strerror), signal names from perl's
# Config.

use strict;
use warnings;
use Carp qw(croak);
use Config ();
use Errno ();
use POSIX ();

our $VERSION = '0.1.0';

BEGIN { require Vigil unless defined &Vigil::_sysconsts }

use Exporter 'import';
our @EXPORT_OK = qw(call_text ret_text flags_text errno_name errno_text
		    signal_name);

# ---- names ------------------------------------------------------------

# group => { flags => [[name, value], ...] (most bits first), enums =>
# { value => name }, mask => bits, zero => name }
my %GROUP;
for my $c (Vigil::_sysconsts()) {
	my ($g, $name, $v, $role) = @$c;
	my $G = $GROUP{$g} //= { flags => [], enums => {}, by_name => {} };
	$G->{by_name}{$name} = $v;
	if ($role eq 'f') {
		# (a 0 flag says nothing); the table's order is the printed one
		push @{ $G->{flags} }, [ $name, $v, scalar @{ $G->{flags} } ] if $v;
	} elsif ($role eq 'e') {
		$G->{enums}{$v} //= $name;
	} elsif ($role eq 'm') {
		$G->{mask} = $v;
	} elsif ($role eq 'z') {
		$G->{zero} = $name;
	}
}
sub _bits { my $n = 0; my $v = shift; while ($v) { $n += $v & 1; $v >>= 1 } $n }
# a flag of several bits (O_SYNC holds O_DSYNC's) is matched first
for my $G (values %GROUP) {
	@{ $G->{flags} } = sort { _bits($b->[1]) <=> _bits($a->[1]) || $a->[2] <=> $b->[2] }
	    @{ $G->{flags} };
}

# errno numbers: the system's errno.h names (the first in name order of
# synonyms: EAGAIN, not EWOULDBLOCK), and the kernel-internal codes a
# sys_exit can show (include/linux/errno.h: no user header has them)
my %ERRNO = (
	512 => 'ERESTARTSYS', 513 => 'ERESTARTNOINTR', 514 => 'ERESTARTNOHAND',
	515 => 'ENOIOCTLCMD', 516 => 'ERESTART_RESTARTBLOCK',
	517 => 'EPROBE_DEFER', 518 => 'EOPENSTALE', 519 => 'ENOPARAM',
	521 => 'EBADHANDLE', 522 => 'ENOTSYNC', 523 => 'EBADCOOKIE',
	524 => 'ENOTSUPP', 525 => 'ETOOSMALL', 526 => 'ESERVERFAULT',
	527 => 'EBADTYPE', 528 => 'EJUKEBOX', 529 => 'EIOCBQUEUED',
	530 => 'ERECALLCONFLICT',
);
for my $name (sort keys %!) {
	my $code = Errno->can($name) or next;
	$ERRNO{ $code->() } //= $name;
}

my %SIGNAL;
{
	my @n = split ' ', $Config::Config{sig_name} // '';
	my @v = split ' ', $Config::Config{sig_num} // '';
	for my $i (0 .. $#n) {
		next if $n[$i] =~ /^NUM/ || !$v[$i];
		$SIGNAL{ $v[$i] } //= "SIG$n[$i]";
	}
}

sub errno_name { $ERRNO{ $_[0] } }

# "ENOENT (No such file or directory)": the C library's text, when it
# knows the code
sub errno_text {
	my ($n) = @_;
	my $name = $ERRNO{$n} // "errno $n";
	my $text = POSIX::strerror($n);
	return $text && $text !~ /^Unknown error/ ? "$name ($text)" : $name;
}

sub signal_name { $SIGNAL{ $_[0] } }

# A value of group $g as names: the enum part (the bits of the group's
# mask, or the whole value) by name, the other bits as or-ed flags,
# bits without a name in hex.
sub flags_text {
	my ($g, $v) = @_;
	my $G = $GROUP{$g} or croak "Vigil::Syscall::flags_text: no group '$g'";
	return "$v" unless defined $v && $v =~ /\A-?[0-9]+\z/;
	return $G->{zero} // '0' if $v == 0 && !exists $G->{enums}{0};
	my @p;
	my $rest = $v;
	if (%{ $G->{enums} } && !defined $G->{mask} && !@{ $G->{flags} }) {
		return $G->{enums}{$v} // "$v";
	}
	if (defined $G->{mask}) {
		my $e = $v & $G->{mask};
		$rest = $v & ~$G->{mask};
		if ($g eq 'clone') {
			push @p, signal_name($e) // $e if $e;
		} elsif (exists $G->{enums}{$e}) {
			push @p, $G->{enums}{$e};
		} elsif ($e) {
			push @p, sprintf('%#x', $e);
		}
	}
	my @f;
	for my $f (@{ $G->{flags} }) {
		my ($name, $bits, $order) = @$f;
		next if ($rest & $bits) != $bits;
		push @f, $f;
		$rest &= ~$bits;
	}
	push @p, map { $_->[0] } sort { $a->[2] <=> $b->[2] } @f;
	push @p, sprintf('%#x', $rest) if $rest;
	return @p ? join('|', @p) : '0';
}

# ---- which argument is what -------------------------------------------

# By the kernel's argument name, for every syscall...
my %BY_NAME = (
	dfd => 'dirfd', olddfd => 'dirfd', newdfd => 'dirfd',
	fd => 'fd', oldfd => 'fd', newfd => 'fd', epfd => 'fd', fd_in => 'fd',
	fd_out => 'fd', out_fd => 'fd', in_fd => 'fd',
	filename => 'path', pathname => 'path', path => 'path',
	oldname => 'path', newname => 'path', specialfile => 'path',
	dev_name => 'path', dir_name => 'path', library => 'path',
	mode => 'mode', umode => 'mode',
	prot => 'prot', whence => 'seek', sig => 'signal',
	clone_flags => 'clone',
	# addresses the kernel declares unsigned long, not pointers
	addr => 'ptr', start => 'ptr', brk => 'ptr', new_addr => 'ptr',
);
# ... and where a name means something else in one call
my %BY_CALL = (
	open => { flags => 'open' }, openat => { flags => 'open' },
	creat => {}, mmap => { flags => 'map' },
	access => { mode => 'access' }, faccessat => { mode => 'access' },
	faccessat2 => { mode => 'access', flags => 'at' },
	newfstatat => { flag => 'at' }, statx => { flags => 'at' },
	fchownat => { flag => 'at' }, fchmodat => {}, linkat => { flags => 'at' },
	unlinkat => { flag => 'at' }, utimensat => { flags => 'at' },
	execveat => { flags => 'at' }, name_to_handle_at => { flag => 'at' },
	fcntl => { cmd => 'fcntl' },
	socket => { family => 'af', type => 'sock' },
	socketpair => { family => 'af', type => 'sock' },
	accept4 => { flags => 'sock' },
	pipe2 => { flags => 'open' }, dup3 => { flags => 'open' },
	eventfd2 => { flags => 'open' }, epoll_create1 => { flags => 'open' },
	inotify_init1 => { flags => 'open' }, signalfd4 => { flags => 'open' },
	timerfd_create => { flags => 'open' },
	wait4 => { options => 'wait' }, waitid => { options => 'wait' },
	rt_sigprocmask => { how => 'sighow' },
	kill => { sig => 'signal' }, tkill => { sig => 'signal' },
	tgkill => { sig => 'signal' }, rt_sigaction => { sig => 'signal' },
	exit_group => { error_code => 'int' }, exit => { error_code => 'int' },
);
# what a call returns when it does not fail, where not a number
my %RET = (mmap => 'ptr', mremap => 'ptr', brk => 'ptr', shmat => 'ptr');

sub _quote {
	my ($s) = @_;
	$s =~ s/(["\\])/\\$1/g;
	$s =~ s/\n/\\n/g;
	$s =~ s/\t/\\t/g;
	$s =~ s/([^\x20-\x7e])/sprintf('\\x%02x', ord $1)/ge;
	return qq("$s");
}

# One argument as text: $hex says the trace declares it a pointer or
# hexadecimal (a path is then the pointer: the kernel's tracepoints do
# not copy strings).
sub arg_text {
	my ($call, $name, $v, $hex) = @_;
	return '?' unless defined $v;
	my $kind = $BY_CALL{$call}{$name} // $BY_NAME{$name} // '';
	if ($kind eq 'path') {
		return $v =~ /\A[0-9]+\z/ ? sprintf('%#x', $v) : _quote($v) if $hex;
		return _quote($v);
	}
	return $v =~ /\A[0-9]+\z/ ? ($v ? sprintf('%#x', $v) : 'NULL') : _quote($v)
	    if $hex || $kind eq 'ptr';
	return _quote($v) unless $v =~ /\A-?[0-9]+\z/;
	if ($kind eq 'dirfd' || $kind eq 'fd') {
		# an int, whatever width the field has (mmap's fd is an
		# unsigned long: -1 reads 2^64-1)
		my $n = unpack('l', pack('L', $v & 0xffffffff));
		return $kind eq 'dirfd' ? $GROUP{dirfd}{enums}{$n} // "$n" : "$n";
	}
	return $v ? sprintf('0%o', $v) : '0' if $kind eq 'mode';
	return signal_name($v) // "$v" if $kind eq 'signal';
	return flags_text($kind, $v) if $GROUP{$kind};
	return "$v";
}

# "openat(AT_FDCWD, \"notes.txt\", O_RDONLY|O_CLOEXEC)" from the
# syscall's name and its arguments as [[field, value, hex], ...] in the
# kernel's order (as the syscalls:sys_enter_NAME event gives them).
sub call_text {
	my ($call, $args) = @_;
	my @a = @$args;
	# open's mode only means something when it creates a file
	if ($call eq 'open' || $call eq 'openat') {
		my ($f) = grep { $_->[0] eq 'flags' } @a;
		my $creat = $GROUP{open}{by_name}{O_CREAT} | $GROUP{open}{by_name}{O_TMPFILE};
		@a = grep { $_->[0] ne 'mode' } @a
		    if $f && defined $f->[1] && $f->[1] =~ /\A[0-9]+\z/ && !($f->[1] & $creat);
	}
	return "$call(" . join(', ', map { arg_text($call, @$_) } @a) . ')';
}

# "3", "0x7f2a1c000000", "-1 ENOENT (No such file or directory)"
sub ret_text {
	my ($call, $ret) = @_;
	return '?' unless defined $ret;
	return "-1 " . errno_text(-$ret) if $ret < 0 && $ret >= -4095;
	return sprintf('%#x', $ret) if ($RET{$call} // '') eq 'ptr' && $ret =~ /\A[0-9]+\z/;
	return "$ret";
}

1;

__END__

=head1 NAME

Vigil::Syscall - system call arguments and results as text, with
symbolic flags and errno names

=head1 SYNOPSIS

    use Vigil::Syscall qw(call_text ret_text flags_text errno_name);

    print call_text('openat', [[dfd => -100], [filename => 'notes.txt'],
                               [flags => 0x80000], [mode => 0]]), "\n";
    # openat(AT_FDCWD, "notes.txt", O_RDONLY|O_CLOEXEC)
    print ret_text('openat', -2), "\n";     # -1 ENOENT (No such file or directory)
    print flags_text('prot', 3), "\n";      # PROT_READ|PROT_WRITE
    print errno_name(11), "\n";             # EAGAIN

=head1 DESCRIPTION

What B<handlers/trace.pl> prints, for any handler: the arguments of a
C<syscalls:sys_enter_>I<NAME> event and the return value of its
C<sys_exit_>I<NAME>, the way strace(1) shows them.

The flag names and values are those of the C headers vigil was built
with (F<perl/vg_sysconst.h> lists the names, the compiler gives the
values): open flags (C<O_RDONLY|O_CLOEXEC>), C<AT_FDCWD> and the C<AT_*>
flags, mmap protections and flags, access modes, lseek whence, fcntl
commands, socket families and types, clone flags (with the exit signal),
wait options, sigprocmask's how.  Errno names come from the system's
F<errno.h> (Perl's Errno; of synonyms the first by name: C<EAGAIN>) plus
the kernel-internal codes (C<ERESTARTSYS>, ...); their texts from the C
library's strerror.  Signal names come from perl's Config.

Which argument of which syscall is which kind is decided here, by the
kernel's argument names (C<filename>, C<dfd>, C<prot>, C<mode>, ...) and
a short list of calls where a name means something else (C<flags> of
openat are open flags, of mmap map flags, of newfstatat C<AT_*> flags;
C<mode> of access is an access mode).  Other arguments are numbers,
pointers (the fields the trace declares hexadecimal, and addresses
such as mmap's C<addr>) in hex, C<NULL> for 0.  A path is quoted when the event carries the string (vigil.ko
copies it); from the kernel's own tracepoints (B<--source kernel>) it
is the pointer.

=head1 FUNCTIONS

=over

=item call_text(NAME, [[FIELD, VALUE, HEX], ...])

The call as C<NAME(ARG, ...)>, the arguments in the order given (the
event's C<fields>), HEX true for the event's C<hex_fields>.

=item arg_text(NAME, FIELD, VALUE, HEX)

One argument.

=item ret_text(NAME, RET)

The return value: C<-1 ENAME (text)> for -4095 .. -1, hex for calls that
return an address (mmap, brk, mremap), else the number.

=item flags_text(GROUP, VALUE)

VALUE as names of GROUP (C<open>, C<at>, C<dirfd>, C<prot>, C<map>,
C<access>, C<seek>, C<fcntl>, C<af>, C<sock>, C<clone>, C<wait>,
C<sighow>); bits without a name in hex.

=item errno_name(N), errno_text(N), signal_name(N)

C<ENOENT>; C<ENOENT (No such file or directory)>; C<SIGCHLD>.  The first
and the last are undef for an unknown number.

=back

=cut
