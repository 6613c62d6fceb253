package VigilTestTrace;

# Writes small vigil traces (CTF 1.8 as docs/design.md specifies: TSDL
# metadata plus one stream file of packets per CPU) with exactly the
# events a test asks for, so tests know every expected count and value.
#
#   my $w = VigilTestTrace->new(cpus => 2);
#   $w->event(cpu => 0, ts => 1000, tid => 42, name => 'raw_syscalls:sys_exit',
#             id => 0, ret => -2);
#   $w->write($dir);

use strict;
use warnings;
use Carp qw(croak);
use File::Path qw(make_path);

# The events of docs/design.md that the tests use, in the kernel's order.
our @EVENTS = (
	['raw_syscalls:sys_enter', 'int64 id', 'uint64 args[6]', 'uint8 path_arg',
	    'uint8 path_status', 'string path'],
	['raw_syscalls:sys_exit', 'int64 id', 'int64 ret'],
	['sched:sched_switch', 'char prev_comm[16]', 'int32 prev_pid',
	    'int32 prev_prio', 'int64 prev_state', 'char next_comm[16]',
	    'int32 next_pid', 'int32 next_prio'],
	['sched:sched_process_fork', 'char parent_comm[16]', 'int32 parent_pid',
	    'char child_comm[16]', 'int32 child_pid', 'int32 child_tgid'],
	['sched:sched_process_exec', 'string filename', 'int32 pid',
	    'int32 old_pid', 'int32 tgid', 'int32 ppid', 'uint32 uid',
	    'string argv'],
	['sched:sched_process_exit', 'char comm[16]', 'int32 pid', 'int32 prio',
	    'int32 tgid', 'int32 exit_code'],
	['irq:softirq_entry', 'uint32 vec'],
	['vigil:statedump_process', 'int32 tid', 'int32 pid', 'int32 ppid',
	    'char comm[16]', 'uint32 uid', 'string exe'],
	['vigil:statedump_end', 'uint32 count'],
);

# Syscall table entries (env vigil_syscall_<nr>), x86-64 numbers.
our %SYSCALLS = (
	0 => 'read:fd=unsigned int,buf=char *,count=size_t',
	1 => 'write:fd,buf,count',	# without types, as older traces
	257 => 'openat:dfd=int,filename=const char *,flags=int,mode=umode_t',
);

my %PACK = (int8 => 'c', uint8 => 'C', int16 => 's<', uint16 => 'v',
	int32 => 'l<', uint32 => 'V', int64 => 'q<', uint64 => 'Q<');

sub new {
	my ($class, %o) = @_;
	my $self = bless {
		cpus => $o{cpus} || 1,
		packet_size => $o{packet_size} || 4096,
		events => [],
		classes => {},
		order => [],
	}, $class;
	my $id = 0;
	for my $ev (@EVENTS) {
		my ($name, @fields) = @$ev;
		my @f;
		for my $decl (@fields) {
			my ($type, $fname) = split ' ', $decl;
			my $len;
			$len = $1 if $fname =~ s/\[(\d+)\]$//;
			push @f, { type => $type, name => $fname, len => $len };
		}
		$self->{classes}{$name} = { id => $id++, name => $name, fields => \@f };
		push @{ $self->{order} }, $name;
	}
	return $self;
}

# One event: cpu, ts, tid, name, then field => value (args => [6]).
sub event {
	my ($self, %e) = @_;
	my $c = $self->{classes}{ $e{name} } or croak "unknown event $e{name}";
	my $payload = '';
	for my $f (@{ $c->{fields} }) {
		my $v = $e{ $f->{name} };
		if ($f->{type} eq 'string') {
			$payload .= pack 'Z*', defined $v ? $v : '';
		} elsif ($f->{type} eq 'char') {
			$payload .= pack "a$f->{len}", defined $v ? $v : '';
		} elsif ($f->{len}) {
			my @a = @{ $v || [] };
			$payload .= pack $PACK{ $f->{type} }, (defined $a[$_] ? $a[$_] : 0)
			    for 0 .. $f->{len} - 1;
		} else {
			$payload .= pack $PACK{ $f->{type} }, defined $v ? $v : 0;
		}
	}
	push @{ $self->{events} }, [$e{cpu} || 0, $e{ts}, scalar @{ $self->{events} },
	    pack('v Q< l<', $c->{id}, $e{ts}, $e{tid}) . $payload];
	return;
}

sub metadata {
	my ($self) = @_;
	my $t = "/* CTF 1.8 */\n\n";
	$t .= "typealias integer { size = $_->[1]; align = 8; signed = $_->[2]; } := $_->[0];\n"
	    for (['uint8_t', 8, 'false'], ['uint16_t', 16, 'false'],
		['uint32_t', 32, 'false'], ['uint64_t', 64, 'false'],
		['int8_t', 8, 'true'], ['int16_t', 16, 'true'],
		['int32_t', 32, 'true'], ['int64_t', 64, 'true']);
	$t .= "typealias integer { size = 64; align = 8; signed = false; base = 16; } := uint64_hex_t;\n";
	$t .= "typealias integer { size = 8; align = 8; signed = false; encoding = UTF8; } := char_t;\n";
	$t .= "typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;\n\n";
	$t .= <<'EOT';
trace {
	major = 1;
	minor = 8;
	uuid = "2a6422d0-6cee-11e0-8c08-cb07d7b3a564";
	byte_order = le;
	packet.header := struct {
		uint32_t magic;
		uint8_t uuid[16];
		uint32_t stream_id;
		uint64_t stream_instance_id;
	};
};

env {
	hostname = "testhost";
	sysname = "Linux";
	kernel_release = "6.1.0-test";
	tracer_name = "vigil";
	tracer_major = 0;
	tracer_minor = 1;
EOT
	$t .= "\tvigil_syscall_$_ = \"$SYSCALLS{$_}\";\n" for sort { $a <=> $b } keys %SYSCALLS;
	$t .= <<'EOT';
};

clock {
	name = monotonic;
	freq = 1000000000;
	offset = 1700000000000000000;
};

stream {
	id = 0;
	packet.context := struct {
		uint64_clock_monotonic_t timestamp_begin;
		uint64_clock_monotonic_t timestamp_end;
		uint64_t content_size;
		uint64_t packet_size;
		uint64_t packet_seq_num;
		uint64_t events_discarded;
		uint32_t cpu_id;
	};
	event.header := struct {
		uint16_t id;
		uint64_clock_monotonic_t timestamp;
	};
	event.context := struct {
		int32_t tid;
	};
};

EOT
	my %tmap = (int8 => 'int8_t', uint8 => 'uint8_t', int16 => 'int16_t',
		uint16 => 'uint16_t', int32 => 'int32_t', uint32 => 'uint32_t',
		int64 => 'int64_t', uint64 => 'uint64_t', char => 'char_t');
	for my $name (@{ $self->{order} }) {
		my $c = $self->{classes}{$name};
		$t .= "event {\n\tname = \"$name\";\n\tid = $c->{id};\n\tstream_id = 0;\n\tfields := struct {\n";
		for my $f (@{ $c->{fields} }) {
			if ($f->{type} eq 'string') {
				$t .= "\t\tstring $f->{name};\n";
			} else {
				$t .= "\t\t$tmap{$f->{type}} $f->{name}"
				    . ($f->{len} ? "[$f->{len}]" : '') . ";\n";
			}
		}
		$t .= "\t};\n};\n\n";
	}
	return $t;
}

sub _packet {
	my ($self, $cpu, $seq, $recs) = @_;
	my $body = join '', map { $_->[3] } @$recs;
	my $hdr_len = 32 + 52;
	my $content = $hdr_len + length $body;
	my $size = $self->{packet_size};
	$size *= 2 while $size < $content;
	my $uuid = pack 'H32', '2a6422d06cee11e08c08cb07d7b3a564';
	my $pkt = pack('V a16 V Q<', 0xC1FC1FC1, $uuid, 0, $cpu)
	    . pack('Q< Q< Q< Q< Q< Q< V', $recs->[0][1], $recs->[-1][1],
		$content * 8, $size * 8, $seq, 0, $cpu)
	    . $body;
	return $pkt . ("\0" x ($size - length $pkt));
}

# Write DIR/metadata and DIR/stream_<cpu>.
sub write {
	my ($self, $dir) = @_;
	make_path($dir);
	open my $m, '>', "$dir/metadata" or die "$dir/metadata: $!";
	print $m $self->metadata;
	close $m or die "$dir/metadata: $!";
	for my $cpu (0 .. $self->{cpus} - 1) {
		my @recs = sort { $a->[1] <=> $b->[1] || $a->[2] <=> $b->[2] }
		    grep { $_->[0] == $cpu } @{ $self->{events} };
		open my $s, '>:raw', "$dir/stream_$cpu" or die "$dir/stream_$cpu: $!";
		my ($seq, @cur, $len) = (0);
		$len = 84;
		for my $r (@recs) {
			if (@cur && $len + length($r->[3]) > $self->{packet_size}) {
				print $s $self->_packet($cpu, $seq++, \@cur);
				@cur = ();
				$len = 84;
			}
			push @cur, $r;
			$len += length $r->[3];
		}
		print $s $self->_packet($cpu, $seq++, \@cur) if @cur;
		close $s or die "$dir/stream_$cpu: $!";
	}
	return $dir;
}

1;
