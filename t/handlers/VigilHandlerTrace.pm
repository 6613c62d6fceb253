package VigilHandlerTrace;
# Writes small vigil traces with exactly known content for the handler
# tests: CTF 1.8 metadata in the layout vigil.ko emits (docs/design.md,
# kmod/vigil_metadata.c) and one stream file per CPU of packets.  The
# traces are read by `vigild --replay` and by babeltrace2.
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

# The syscalls these tests use: x86_64 numbers and the kernel's
# argument names (tracefs events/syscalls/sys_enter_NAME/format).
our %SYSCALLS = (
	read       => [ 0,   [qw(fd buf count)] ],
	write      => [ 1,   [qw(fd buf count)] ],
	open       => [ 2,   [qw(filename flags mode)] ],
	close      => [ 3,   [qw(fd)] ],
	pread64    => [ 17,  [qw(fd buf count pos)] ],
	writev     => [ 20,  [qw(fd vec vlen)] ],
	dup        => [ 32,  [qw(fildes)] ],
	dup2       => [ 33,  [qw(oldfd newfd)] ],
	nanosleep  => [ 35,  [qw(rqtp rmtp)] ],
	creat      => [ 85,  [qw(pathname mode)] ],
	fsync      => [ 74,  [qw(fd)] ],
	epoll_wait => [ 232, [qw(epfd events maxevents timeout)] ],
	openat     => [ 257, [qw(dfd filename flags mode)] ],
);
# their C types (as the 6.1 format files declare them), written into the
# env entry as vigild does ("openat:dfd=int,..."): int ones are signed
our %ARG_TYPES = (
	read       => ['unsigned int', 'char *', 'size_t'],
	write      => ['unsigned int', 'const char *', 'size_t'],
	open       => ['const char *', 'int', 'umode_t'],
	close      => ['unsigned int'],
	pread64    => ['unsigned int', 'char *', 'size_t', 'loff_t'],
	writev     => ['unsigned long', 'const struct iovec *', 'unsigned long'],
	dup        => ['unsigned int'],
	dup2       => ['unsigned int', 'unsigned int'],
	nanosleep  => ['struct __kernel_timespec *', 'struct __kernel_timespec *'],
	creat      => ['const char *', 'umode_t'],
	fsync      => ['unsigned int'],
	epoll_wait => ['int', 'struct epoll_event *', 'int', 'int'],
	openat     => ['int', 'const char *', 'int', 'umode_t'],
);
# the argument that is a path, per syscall
our %PATH_ARG = (open => 'filename', openat => 'filename', creat => 'pathname');

# name => [id, [type, field, array-length]...]
my @EVENTS = (
	[ 'raw_syscalls:sys_enter', 0, [ [ 'int64_t', 'id' ], [ 'uint64_t', 'args', 6 ],
		[ 'uint8_t', 'path_arg' ], [ 'uint8_t', 'path_status' ], [ 'string', 'path' ] ] ],
	[ 'raw_syscalls:sys_exit', 1, [ [ 'int64_t', 'id' ], [ 'int64_t', 'ret' ] ] ],
	[ 'sched:sched_switch', 2, [ [ 'char_t', 'prev_comm', 16 ], [ 'int32_t', 'prev_pid' ],
		[ 'int32_t', 'prev_prio' ], [ 'int64_t', 'prev_state' ], [ 'char_t', 'next_comm', 16 ],
		[ 'int32_t', 'next_pid' ], [ 'int32_t', 'next_prio' ] ] ],
	[ 'sched:sched_wakeup', 3, [ [ 'char_t', 'comm', 16 ], [ 'int32_t', 'pid' ],
		[ 'int32_t', 'prio' ], [ 'int32_t', 'target_cpu' ] ] ],
	[ 'sched:sched_wakeup_new', 4, [ [ 'char_t', 'comm', 16 ], [ 'int32_t', 'pid' ],
		[ 'int32_t', 'prio' ], [ 'int32_t', 'target_cpu' ] ] ],
	[ 'sched:sched_process_fork', 5, [ [ 'char_t', 'parent_comm', 16 ], [ 'int32_t', 'parent_pid' ],
		[ 'char_t', 'child_comm', 16 ], [ 'int32_t', 'child_pid' ], [ 'int32_t', 'child_tgid' ] ] ],
	[ 'sched:sched_process_exec', 6, [ [ 'string', 'filename' ], [ 'int32_t', 'pid' ],
		[ 'int32_t', 'old_pid' ], [ 'int32_t', 'tgid' ], [ 'int32_t', 'ppid' ],
		[ 'uint32_t', 'uid' ], [ 'string', 'argv' ] ] ],
	[ 'sched:sched_process_exit', 7, [ [ 'char_t', 'comm', 16 ], [ 'int32_t', 'pid' ],
		[ 'int32_t', 'prio' ], [ 'int32_t', 'tgid' ], [ 'int32_t', 'exit_code' ] ] ],
	[ 'vigil:statedump_process', 8, [ [ 'int32_t', 'tid' ], [ 'int32_t', 'pid' ],
		[ 'int32_t', 'ppid' ], [ 'char_t', 'comm', 16 ], [ 'uint32_t', 'uid' ], [ 'string', 'exe' ] ] ],
	[ 'vigil:statedump_end', 9, [ [ 'uint32_t', 'count' ] ] ],
);
my %EVENT = map { $_->[0] => $_ } @EVENTS;

my %PACK = (uint8_t => 'C', int8_t => 'c', uint16_t => 'S<', int16_t => 's<',
	    uint32_t => 'L<', int32_t => 'l<', uint64_t => 'Q<', int64_t => 'q<');

sub new {
	my ($class, %o) = @_;
	return bless { events => [], ndump => 0, clock_offset => $o{clock_offset} // 0,
		       discarded => $o{discarded} // {} }, $class;
}

sub event {
	my ($self, $cpu, $ts, $tid, $name, %f) = @_;
	my $ev = $EVENT{$name} or croak "VigilHandlerTrace: unknown event '$name'";
	my $payload = '';
	for my $fd (@{ $ev->[2] }) {
		my ($type, $field, $n) = @$fd;
		my $v = $f{$field};
		if ($type eq 'string') {
			$v //= '';
			$payload .= $v . "\0";
		} elsif ($type eq 'char_t') {
			$v //= '';
			$payload .= pack("a$n", substr($v, 0, $n - 1));
		} elsif ($n) {
			my @v = @{ $v // [] };
			$payload .= pack($PACK{$type}, $v[$_] // 0) for 0 .. $n - 1;
		} else {
			$payload .= pack($PACK{$type}, $v // 0);
		}
	}
	delete @f{ map { $_->[1] } @{ $ev->[2] } };
	croak "VigilHandlerTrace: $name has no field(s) " . join(', ', sort keys %f) if %f;
	push @{ $self->{events} }, [ $cpu, $ts, scalar @{ $self->{events} },
		pack('S<Q<l<', $ev->[1], $ts, $tid) . $payload ];
	return $self;
}

# A statedump record: the task table learns tid's process, parent, name.
sub task {
	my ($self, $tid, $pid, $ppid, $comm, $uid) = @_;
	$self->event(0, 1 + $self->{ndump}++, $tid, 'vigil:statedump_process',
		     tid => $tid, pid => $pid, ppid => $ppid, comm => $comm,
		     uid => $uid // 0, exe => "/usr/bin/$comm");
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

sub metadata {
	my ($self) = @_;
	my $m = "/* CTF 1.8 */\n\n";
	$m .= "typealias integer { size = $_->[0]; align = 8; signed = $_->[1]; } := $_->[2];\n"
	    for [ 8, 'false', 'uint8_t' ], [ 16, 'false', 'uint16_t' ], [ 32, 'false', 'uint32_t' ],
		[ 64, 'false', 'uint64_t' ], [ 8, 'true', 'int8_t' ], [ 16, 'true', 'int16_t' ],
		[ 32, 'true', 'int32_t' ], [ 64, 'true', 'int64_t' ];
	$m .= "typealias integer { size = 64; align = 8; signed = false; base = 16; } := uint64_hex_t;\n"
	    . "typealias integer { size = 8; align = 8; signed = false; encoding = UTF8; } := char_t;\n"
	    . "typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;\n\n";
	$m .= "trace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5b\";\n"
	    . "\tbyte_order = le;\n\tpacket.header := struct {\n\t\tuint32_t magic;\n\t\tuint8_t uuid[16];\n"
	    . "\t\tuint32_t stream_id;\n\t\tuint64_t stream_instance_id;\n\t};\n};\n\n";
	$m .= "env {\n\thostname = \"testhost\";\n\tdomain = \"kernel\";\n\tsysname = \"Linux\";\n"
	    . "\tkernel_release = \"6.1.0-test\";\n\ttracer_name = \"vigil\";\n\ttracer_major = 1;\n\ttracer_minor = 0;\n";
	for my $name (sort { $SYSCALLS{$a}[0] <=> $SYSCALLS{$b}[0] } keys %SYSCALLS) {
		my ($nr, $args) = @{ $SYSCALLS{$name} };
		my $ty = $ARG_TYPES{$name} || [];
		$m .= "\tvigil_syscall_$nr = \"$name:"
		    . join(',', map { $ty->[$_] ? "$args->[$_]=$ty->[$_]" : $args->[$_] } 0 .. $#$args)
		    . "\";\n";
	}
	$m .= "};\n\n";
	$m .= "clock {\n\tname = \"monotonic\";\n\tuuid = \"5e1f0a2b-3c4d-4e5f-8a9b-0c1d2e3f4a5c\";\n"
	    . "\tdescription = \"ktime_get_mono_fast_ns\";\n\tfreq = 1000000000;\n\tprecision = 1;\n"
	    . "\toffset_s = 0;\n\toffset = $self->{clock_offset};\n\tabsolute = FALSE;\n};\n\n";
	$m .= "stream {\n\tid = 0;\n\tpacket.context := struct {\n"
	    . "\t\tuint64_clock_monotonic_t timestamp_begin;\n\t\tuint64_clock_monotonic_t timestamp_end;\n"
	    . "\t\tuint64_t content_size;\n\t\tuint64_t packet_size;\n\t\tuint64_t packet_seq_num;\n"
	    . "\t\tuint64_t events_discarded;\n\t\tuint32_t cpu_id;\n\t};\n"
	    . "\tevent.header := struct {\n\t\tuint16_t id;\n\t\tuint64_clock_monotonic_t timestamp;\n\t};\n"
	    . "\tevent.context := struct {\n\t\tint32_t tid;\n\t};\n};\n\n";
	for my $ev (@EVENTS) {
		$m .= "event {\n\tname = \"$ev->[0]\";\n\tid = $ev->[1];\n\tstream_id = 0;\n\tfields := struct {\n";
		for my $f (@{ $ev->[2] }) {
			$m .= "\t\t$f->[0] $f->[1]" . ($f->[2] ? "[$f->[2]]" : '') . ";\n";
		}
		$m .= "\t};\n};\n\n";
	}
	return $m;
}

sub write {
	my ($self, $dir) = @_;
	make_path($dir);
	open my $mf, '>', "$dir/metadata" or croak "$dir/metadata: $!";
	print {$mf} $self->metadata;
	close $mf or croak "$dir/metadata: $!";
	my %by_cpu;
	push @{ $by_cpu{ $_->[0] } }, $_ for @{ $self->{events} };
	my $uuid = pack('H*', '5e1f0a2b3c4d4e5f8a9b0c1d2e3f4a5b');
	for my $cpu (sort { $a <=> $b } keys %by_cpu) {
		my @ev = sort { $a->[1] <=> $b->[1] || $a->[2] <=> $b->[2] } @{ $by_cpu{$cpu} };
		my $hdr = 32 + 52;
		my (@packets, $cur);
		for my $e (@ev) {
			if (!$cur || $hdr + length($cur->{data}) + length($e->[3]) > 4096) {
				$cur = { data => '', begin => $e->[1] };
				push @packets, $cur;
			}
			$cur->{data} .= $e->[3];
			$cur->{end} = $e->[1];
		}
		open my $sf, '>:raw', "$dir/stream_$cpu" or croak "$dir/stream_$cpu: $!";
		my $seq = 0;
		for my $p (@packets) {
			my $content = $hdr + length $p->{data};
			my $size = 4096;
			$size += 4096 while $size < $content;
			print {$sf} pack('L<a16L<Q<', 0xC1FC1FC1, $uuid, 0, $cpu)
			    . pack('Q<Q<Q<Q<Q<Q<L<', $p->{begin}, $p->{end}, $content * 8, $size * 8,
				   $seq++, $self->{discarded}{$cpu} // 0, $cpu)
			    . $p->{data} . ("\0" x ($size - $content));
		}
		close $sf or croak "$dir/stream_$cpu: $!";
	}
	return $dir;
}

1;
