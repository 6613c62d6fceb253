package VigilTestTrace;

# Writes small vigil traces (CTF 1.8 as docs/design.md specifies: TSDL
# metadata plus one stream file of packets per CPU) with exactly the
# events a test asks for, so tests know every expected count and value.
# The format itself is written by t/lib/VigilTrace.pm.
#
#   my $w = VigilTestTrace->new(cpus => 2);
#   $w->event(cpu => 0, ts => 1000, tid => 42, name => 'raw_syscalls:sys_exit',
#             id => 0, ret => -2);
#   $w->write($dir);

use strict;
use warnings;
use Carp qw(croak);
use File::Path qw(make_path);
use File::Basename qw(dirname);
use lib dirname(__FILE__) . '/../../lib';
use VigilTrace ();
use VigilEvents ();
use VigilSyscalls ();

# Syscall table entries (env vigil_syscall_<nr>), from the kernel's
# format files (t/lib/VigilSyscalls.pm); write without types, as older
# traces have it.
our %SYSCALLS = map { (VigilSyscalls::syscall($_->[0])->{nr} =>
		       VigilSyscalls::env_value(@$_)) }
    ['read'], ['write', untyped => 1], ['openat'];

my $UUID = '2a6422d0-6cee-11e0-8c08-cb07d7b3a564';

sub new {
	my ($class, %o) = @_;
	my $self = bless {
		cpus => $o{cpus} || 1,
		packet_size => $o{packet_size} || 4096,
		events => [],
		classes => {},
		order => [],
	}, $class;
	# every event of the module's table (kmod/vigil_events.h), its ids
	for my $ev (VigilEvents::events()) {
		$self->{classes}{ $ev->{name} } = { id => $ev->{id}, name => $ev->{name},
			fields => VigilEvents::trace_fields($ev->{name}) };
		push @{ $self->{order} }, $ev->{name};
	}
	return $self;
}

# One event: cpu, ts, tid, name, then field => value (args => [6]).
sub event {
	my ($self, %e) = @_;
	my $c = $self->{classes}{ $e{name} } or croak "unknown event $e{name}";
	push @{ $self->{events} }, { cpu => $e{cpu} || 0, ts => $e{ts},
	    n => scalar @{ $self->{events} },
	    bytes => VigilTrace::record($c->{id}, $e{ts}, $e{tid},
					VigilTrace::pack_fields($c->{fields}, \%e)) };
	return;
}

sub metadata {
	my ($self) = @_;
	return VigilTrace::metadata(
		uuid => $UUID,
		types => [qw(uint8_t uint16_t uint32_t uint64_t int8_t int16_t int32_t
			     int64_t uint64_hex_t char_t uint64_clock_monotonic_t)],
		env => [hostname => 'testhost', sysname => 'Linux',
			kernel_release => '6.1.0-test', tracer_name => 'vigil',
			tracer_major => 0, tracer_minor => 1,
			map { ("vigil_syscall_$_" => $SYSCALLS{$_}) }
			    sort { $a <=> $b } keys %SYSCALLS],
		clock => [name => 'monotonic', freq => 1000000000,
			  offset => '1700000000000000000'],
		events => [map { [$_, $self->{classes}{$_}{id}, $self->{classes}{$_}{fields}] }
			   @{ $self->{order} }]);
}

# Write DIR/metadata and DIR/stream_<cpu> (a CPU without events gets an
# empty stream file; a record too big for a packet doubles its size).
sub write {
	my ($self, $dir) = @_;
	make_path($dir);
	VigilTrace::write_file("$dir/metadata", $self->metadata);
	for my $cpu (0 .. $self->{cpus} - 1) {
		my @recs = sort { $a->{ts} <=> $b->{ts} || $a->{n} <=> $b->{n} }
		    grep { $_->{cpu} == $cpu } @{ $self->{events} };
		VigilTrace::write_stream("$dir/stream_$cpu", cpu => $cpu,
		    uuid => VigilTrace::uuid_bytes($UUID), records => \@recs,
		    packet_size => $self->{packet_size}, grow => 'double');
	}
	return $dir;
}

1;
