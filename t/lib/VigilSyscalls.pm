package VigilSyscalls;
# Syscalls as the tests' synthetic traces describe them: argument names
# and C types from the real kernel's format files
# (t/data/syscall-formats-6.1.0-56-amd64.tar.gz, tracefs
# events/syscalls/sys_enter_NAME/format of Debian's 6.1 kernel), numbers
# from the x86_64 asm/unistd_64.h -- the sources vigild itself reads
# live, so no test keeps a hand-typed syscall table.
#
#   my $s = VigilSyscalls::syscall('openat');
#   $s->{nr}      257
#   $s->{args}    [qw(dfd filename flags mode)]
#   $s->{types}   ['int', 'const char *', 'int', 'umode_t']
#   VigilSyscalls::env_value('openat')          "openat:dfd=int,filename=const char *,..."
#   VigilSyscalls::env_value('write', untyped => 1)   "write:fd,buf,count"
use strict;
use warnings;
use Carp qw(croak);
use File::Basename qw(dirname);
use Cwd qw(abs_path);
use Archive::Tar;

our $FORMATS = abs_path(dirname(__FILE__) . '/../data') . '/syscall-formats-6.1.0-56-amd64.tar.gz';
our $UNISTD = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';

my (%FORMAT, %NR, %CACHE);

sub _load {
	return if %FORMAT;
	my $tar = Archive::Tar->new($FORMATS) or croak "VigilSyscalls: $FORMATS: " . Archive::Tar->error;
	for my $f ($tar->get_files) {
		next unless $f->full_path =~ m{sys_enter_(\w+)/format$};
		$FORMAT{$1} = $f->get_content;
	}
	croak "VigilSyscalls: $FORMATS: no sys_enter_*/format files" unless %FORMAT;
	$UNISTD = '/usr/include/asm/unistd_64.h' if !-r $UNISTD && -r '/usr/include/asm/unistd_64.h';
	open my $fh, '<', $UNISTD or croak "VigilSyscalls: $UNISTD: $! (install linux-libc-dev)";
	while (my $line = <$fh>) {
		$NR{$1} = $2 if $line =~ /^#define __NR_(\w+)\s+(\d+)/;
	}
}

sub syscall {
	my ($name) = @_;
	return $CACHE{$name} if $CACHE{$name};
	_load();
	my $fmt = $FORMAT{$name} // croak "VigilSyscalls: no format file for $name in $FORMATS";
	my $nr = $NR{$name} // croak "VigilSyscalls: no __NR_$name in $UNISTD";
	my (@args, @types);
	while ($fmt =~ /^\s*field:([^;]+);/mg) {
		my $decl = $1;
		next if $decl =~ /\bcommon_\w+$/ || $decl =~ /\b__syscall_nr$/;
		my ($type, $arg) = $decl =~ /^(.*?)\s*(\w+)$/
		    or croak "VigilSyscalls: $name: field '$decl'";
		push @args, $arg;
		push @types, $type;
	}
	return $CACHE{$name} = { name => $name, nr => $nr, args => \@args, types => \@types };
}

# The value of the trace metadata's env entry vigil_syscall_<nr>, as
# vigild writes it (untyped => 1: the older form without types).
sub env_value {
	my ($name, %o) = @_;
	my $s = VigilSyscalls::syscall($name);
	return "$name:" . join(',', map {
		$o{untyped} ? $s->{args}[$_] : "$s->{args}[$_]=$s->{types}[$_]" } 0 .. $#{ $s->{args} });
}

1;
