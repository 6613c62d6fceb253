package GenTrace;
# Writes small vigil traces (CTF 1.8 as docs/design.md describes it) for
# the daemon tests: a statedump naming the test's tasks, then
# raw_syscalls:sys_exit events spread over CPUs in interleaved time order.
# Returns what a correct reader must see, so tests can compare exactly.
use strict;
use warnings;
use Exporter 'import';
our @EXPORT = qw(gen_trace);

my $UUID = '2a6422d0-6cee-11e0-8c08-cb07d7b3a564';
my @UUID_BYTES = map { hex } ($UUID =~ tr/-//dr) =~ /(..)/g;

sub _metadata {
    return <<"TSDL";
/* CTF 1.8 */
typealias integer { size = 8;  align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 32; align = 8; signed = true;  } := int32_t;
typealias integer { size = 64; align = 8; signed = true;  } := int64_t;
typealias integer { size = 8;  align = 8; signed = false; encoding = UTF8; } := char_t;
typealias integer { size = 64; align = 8; signed = false; map = clock.monotonic.value; } := uint64_clock_monotonic_t;

trace {
	major = 1;
	minor = 8;
	uuid = "$UUID";
	byte_order = le;
	packet.header := struct {
		uint32_t magic;
		uint8_t  uuid[16];
		uint32_t stream_id;
		uint64_t stream_instance_id;
	};
};

env {
	hostname = "gentrace";
	sysname = "Linux";
	kernel_release = "6.1.0-test";
	tracer_name = "vigil";
	tracer_major = 1;
	tracer_minor = 0;
};

clock {
	name = monotonic;
	freq = 1000000000;
	offset = 0;
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

event {
	name = "raw_syscalls:sys_exit";
	id = 1;
	stream_id = 0;
	fields := struct {
		int64_t id;
		int64_t ret;
	};
};

event {
	name = "vigil:statedump_process";
	id = 2;
	stream_id = 0;
	fields := struct {
		int32_t tid;
		int32_t pid;
		int32_t ppid;
		char_t comm[16];
		uint32_t uid;
		string exe;
	};
};
TSDL
}

sub _packet {
    my ($cpu, $seq, $size, $discarded, $recs) = @_;    # recs: [ts, bytes]
    my $body = join '', map { $_->[1] } @$recs;
    my $hdr_len = 32 + 52;
    my $content = $hdr_len + length $body;
    die "packet overflow" if $content > $size;
    my ($tb, $te) = ($recs->[0][0], $recs->[-1][0]);
    my $hdr = pack('V C16 V Q<', 0xC1FC1FC1, @UUID_BYTES, 0, $cpu)
            . pack('Q< Q< Q< Q< Q< Q< V', $tb, $te, $content * 8, $size * 8,
                   $seq, $discarded, $cpu);
    return $hdr . $body . ("\0" x ($size - $content));
}

# gen_trace($dir, cpus => 4, per_cpu => 10000, tids => [101, 102, 103],
#           packet_size => 4096)
# Returns { events => N, per_tid => {tid => count}, fails => {tid => n},
#           comm => {tid => comm} }.
sub gen_trace {
    my ($dir, %o) = @_;
    my $cpus = $o{cpus} // 2;
    my $per = $o{per_cpu} // 1000;
    my $tids = $o{tids} // [101, 102, 103];
    my $psize = $o{packet_size} // 4096;
    mkdir $dir or die "$dir: $!";
    open my $m, '>', "$dir/metadata" or die;
    print $m _metadata();
    close $m;

    my (%per_tid, %fails, %comm);
    for my $cpu (0 .. $cpus - 1) {
        my @recs;
        if ($cpu == 0) {
            my $ts = 100;
            for my $t (@$tids) {
                my $c = "task$t";
                $comm{$t} = $c;
                my $payload = pack('l< l< l< a16 V', $t, $t, 1, $c, 0) . "/bin/task$t\0";
                push @recs, [$ts, pack('v Q< l<', 2, $ts, 1) . $payload];
                $ts++;
            }
        }
        for my $i (0 .. $per - 1) {
            my $k = $i * $cpus + $cpu;
            my $ts = 1_000_000 + $k * 1000;
            my $tid = $tids->[$k % @$tids];
            my $ret = ($k % 7 == 0) ? -2 : $k % 100;
            $per_tid{$tid}++;
            $fails{$tid}++ if $ret < 0;
            push @recs, [$ts, pack('v Q< l< q< q<', 1, $ts, $tid, $k % 300, $ret)];
        }
        open my $s, '>', "$dir/stream_$cpu" or die;
        binmode $s;
        my ($seq, @cur, $len) = (0);
        $len = 84;
        for my $r (@recs) {
            if ($len + length($r->[1]) > $psize) {
                print $s _packet($cpu, $seq++, $psize, 0, \@cur);
                @cur = ();
                $len = 84;
            }
            push @cur, $r;
            $len += length $r->[1];
        }
        print $s _packet($cpu, $seq++, $psize, 0, \@cur) if @cur;
        close $s;
    }
    return { events => $cpus * $per, per_tid => \%per_tid, fails => \%fails,
             comm => \%comm };
}

1;
