package VigilHandlerTrace;
# Writes small vigil traces with exactly known content for the handler
# tests: CTF 1.8 metadata in the layout vigil.ko emits (docs/design.md,
# kmod/vigil_metadata.c) and one stream file per CPU of packets.  The
# traces are read by `vigild --replay` and by babeltrace2.  The format
# itself is written by t/lib/VigilTrace.pm.
#
#   my $t = VigilHandlerTrace->new;
#   $t->task(100, 100, 1, 'cat');                      # statedump
#   $t->syscall(0, 1_000_000_000, 100, 'openat', 5000, 3,
#               dfd => -100, filename => '/etc/passwd');
#   $t->event(1, 1_000_100_000, 0, 'sched:sched_switch', prev_comm => ...);
#   $t->write($dir);
use strict;
use warnings;
use Carp qw(croak);
use File::Path qw(make_path);
use File::Basename qw(dirname);
use lib dirname(__FILE__) . '/../lib';
use VigilTrace ();
use VigilEvents ();
use VigilSyscalls ();

# The syscalls these tests use: x86_64 numbers and the kernel's
# argument names and C types (from t/lib/VigilSyscalls.pm: the 6.1
# kernel's format files), written into the env entries as vigild does
# ("openat:dfd=int,..."): int ones are signed.
my @SYSCALL_NAMES = qw(read write open close pread64 writev dup dup2 nanosleep
		       creat fsync epoll_wait openat mmap access exit_group socket);
our %SYSCALLS = map { my $s = VigilSyscalls::syscall($_); ($_ => [ $s->{nr}, $s->{args} ]) }
    @SYSCALL_NAMES;
# the argument that is a path, per syscall
our %PATH_ARG = (open => 'filename', openat => 'filename', creat => 'pathname',
		access => 'filename');

# name => [id, [type, field, array-length]...]: every event of the
# module's table (kmod/vigil_events.h), with the module's ids
my @EVENTS = map { [ $_->{name}, $_->{id}, VigilEvents::trace_fields($_->{name}) ] }
    VigilEvents::events();
my %EVENT = map { $_->[0] => $_ } @EVENTS;

sub new {
	my ($class, %o) = @_;
	return bless { events => [], ndump => 0, clock_offset => $o{clock_offset} // 0,
		       discarded => $o{discarded} // {} }, $class;
}

sub event {
	my ($self, $cpu, $ts, $tid, $name, %f) = @_;
	my $ev = $EVENT{$name} or croak "VigilHandlerTrace: unknown event '$name'";
	my $payload = VigilTrace::pack_fields($ev->[2], \%f, nul_terminate => 1);
	delete @f{ map { $_->[1] } @{ $ev->[2] } };
	croak "VigilHandlerTrace: $name has no field(s) " . join(', ', sort keys %f) if %f;
	push @{ $self->{events} }, { cpu => $cpu, ts => $ts, n => scalar @{ $self->{events} },
		bytes => VigilTrace::record($ev->[1], $ts, $tid, $payload) };
	return $self;
}

# A statedump record: the task table learns tid's process, parent, name
# (and cgroup v2 id: cgroup() names it).
sub task {
	my ($self, $tid, $pid, $ppid, $comm, $uid, $cgroup_id) = @_;
	$self->event(0, 1 + $self->{ndump}++, $tid, 'vigil:statedump_process',
		     tid => $tid, pid => $pid, ppid => $ppid, comm => $comm,
		     uid => $uid // 0, cgroup_id => $cgroup_id // 0,
		     exe => "/usr/bin/$comm");
}

# A statedump record of a cgroup's path.
sub cgroup {
	my ($self, $id, $path) = @_;
	$self->event(0, 1 + $self->{ndump}++, 0, 'vigil:statedump_cgroup',
		     id => $id, path => $path);
}

# sys_enter at ts and sys_exit at ts + dur (dur undef: no exit; ret
# ignored then).  Arguments by their kernel names; the path argument is
# given as a string.
sub syscall {
	my ($self, $cpu, $ts, $tid, $name, $dur, $ret, %a) = @_;
	my $sc = $SYSCALLS{$name} or croak "VigilHandlerTrace: unknown syscall '$name'";
	my ($nr, $names) = @$sc;
	my (@args, $path_arg, $path);
	for my $i (0 .. $#$names) {
		my $n = $names->[$i];
		if (defined $PATH_ARG{$name} && $PATH_ARG{$name} eq $n) {
			$path_arg = $i;
			$path = delete $a{$n};
			push @args, 0x7ffc0000 + $i;
		} else {
			my $v = delete $a{$n} // 0;
			push @args, $v < 0 ? unpack('Q<', pack('q<', $v)) : $v;
		}
	}
	croak "VigilHandlerTrace: $name has no argument(s) " . join(', ', sort keys %a) if %a;
	$self->event($cpu, $ts, $tid, 'raw_syscalls:sys_enter', id => $nr, args => \@args,
		     path_arg => $path_arg // 0, path_status => defined $path ? 1 : 0,
		     path => $path // '');
	$self->event($cpu, $ts + $dur, $tid, 'raw_syscalls:sys_exit', id => $nr, ret => $ret)
	    if defined $dur;
	return $self;
}

my $UUID = '5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b';

sub metadata {
	my ($self) = @_;
	my @syscalls;
	for my $name (sort { $SYSCALLS{$a}[0] <=> $SYSCALLS{$b}[0] } keys %SYSCALLS) {
		push @syscalls, "vigil_syscall_$SYSCALLS{$name}[0]" => VigilSyscalls::env_value($name);
	}
	return VigilTrace::metadata(
		uuid => $UUID,
		types => [qw(uint8_t uint16_t uint32_t uint64_t int8_t int16_t int32_t
			     int64_t uint64_hex_t char_t uint64_clock_monotonic_t)],
		env => [hostname => 'testhost', domain => 'kernel', sysname => 'Linux',
			kernel_release => '6.1.0-test', tracer_name => 'vigil',
			tracer_major => 1, tracer_minor => 0, @syscalls],
		clock => [name => '"monotonic"', uuid => '"5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5c"',
			  description => '"ktime_get_mono_fast_ns"', freq => 1000000000,
			  precision => 1, offset_s => 0, offset => $self->{clock_offset},
			  absolute => 'FALSE'],
		events => [map { [$_->[0], $_->[1], $_->[2]] } @EVENTS]);
}

# DIR/metadata and a stream_<cpu> for every CPU with events: 4 KiB
# packets (a record that does not fit makes one a multiple of 4 KiB),
# events_discarded from discarded => {cpu => n}.
sub write {
	my ($self, $dir) = @_;
	make_path($dir);
	VigilTrace::write_file("$dir/metadata", $self->metadata);
	my %by_cpu;
	push @{ $by_cpu{ $_->{cpu} } }, $_ for @{ $self->{events} };
	for my $cpu (sort { $a <=> $b } keys %by_cpu) {
		my @ev = sort { $a->{ts} <=> $b->{ts} || $a->{n} <=> $b->{n} } @{ $by_cpu{$cpu} };
		VigilTrace::write_stream("$dir/stream_$cpu", cpu => $cpu,
		    uuid => VigilTrace::uuid_bytes($UUID), records => \@ev,
		    packet_size => 4096, grow => 'add',
		    discarded => $self->{discarded}{$cpu} // 0);
	}
	return $dir;
}

1;
