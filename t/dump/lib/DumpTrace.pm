package DumpTrace;
# Helpers for the flight recorder's replay tests (t/dump/*.t):
#
#   gen_timed_trace(DIR, %opts)  a CTF 1.8 trace (docs/design.md layout)
#       with raw_syscalls:sys_exit events at a steady rate on every CPU
#       for some seconds, markers (sys_exit with id 999, or other ids) at
#       chosen times, and events_discarded counters that grow; returns
#       everything it wrote (events and packets) so tests can compute
#       exactly what a dump must hold.
#   read_trace(DIR)   parse a trace directory written by vigild (packets
#       and events of every stream_* file; dot files are not streams).
#   expected_packets(GEN, LO, HI)   the packets the flight recorder's
#       contract puts in a dump of the window [LO, HI] (whole packets
#       reaching into the window, plus per CPU the one before when the
#       first starts after LO).
#   read_summary(DIR)   the .vigil-dump.yaml summary as a flat hash
#       ("trigger.ns", "events", "cpus" is skipped).
use strict;
use warnings;
use Exporter 'import';
our @EXPORT = qw(gen_timed_trace read_trace expected_packets read_summary
                 dump_handler_script $MARKER_ID);

our $MARKER_ID = 999;
my $UUID = '5f3a1c9e-2b7d-4e11-9a6c-0d2e4f6a8b10';
my @UUID_BYTES = map { hex } ($UUID =~ tr/-//dr) =~ /(..)/g;
my $HDR = 84;          # packet header + context
my $REC = 30;          # sys_exit record: id, ts, tid, id, ret

sub _metadata {
    my ($offset_s) = @_;
    return <<"TSDL";
/* CTF 1.8 */
typealias integer { size = 8;  align = 8; signed = false; } := uint8_t;
typealias integer { size = 16; align = 8; signed = false; } := uint16_t;
typealias integer { size = 32; align = 8; signed = false; } := uint32_t;
typealias integer { size = 64; align = 8; signed = false; } := uint64_t;
typealias integer { size = 32; align = 8; signed = true;  } := int32_t;
typealias integer { size = 64; align = 8; signed = true;  } := int64_t;
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
	hostname = "dumphost";
	sysname = "Linux";
	kernel_release = "6.1.0-dumptest";
	tracer_name = "vigil";
	tracer_major = 1;
	tracer_minor = 0;
};

clock {
	name = monotonic;
	freq = 1000000000;
	offset_s = $offset_s;
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
TSDL
}

sub _packet {
    my ($cpu, $seq, $size, $discarded, $recs) = @_;
    my $body = join '', map { $_->{bytes} } @$recs;
    my $content = $HDR + length $body;
    die "packet overflow" if $content > $size;
    my ($tb, $te) = ($recs->[0]{ts}, $recs->[-1]{ts});
    return pack('V C16 V Q<', 0xC1FC1FC1, @UUID_BYTES, 0, $cpu)
         . pack('Q< Q< Q< Q< Q< Q< V', $tb, $te, $content * 8, $size * 8,
                $seq, $discarded, $cpu)
         . $body . ("\0" x ($size - $content));
}

# gen_timed_trace($dir,
#   cpus => 2, seconds => 10, period_us => 2000, packet_size => 4096,
#   start_ns => 1e9, offset_s => 1700000000,
#   markers => [ { t => 6.0, cpu => 1, id => 999 }, ... ]   (t: seconds
#       after start_ns),
#   discard => { cpu => 1, every => 10, n => 5 }  (every Nth packet of
#       that cpu reports n more discarded events),
#   per_packet => N  (at most N records a packet: the rest is padding,
#       like live sub-buffers finished by the switch timer))
# Returns { events => [ {ts, cpu, id, seq} ], packets => { cpu => [ {seq,
#   tb, te, disc, n} ] }, markers => [ts...], start => ns, end => ns }.
sub gen_timed_trace {
    my ($dir, %o) = @_;
    my $cpus = $o{cpus} // 2;
    my $secs = $o{seconds} // 10;
    my $period = ($o{period_us} // 2000) * 1000;
    my $psize = $o{packet_size} // 4096;
    my $start = $o{start_ns} // 1_000_000_000;
    my $offset_s = $o{offset_s} // 1_700_000_000;
    my $disc = $o{discard} // { cpu => 1, every => 10, n => 5 };
    my @markers = @{ $o{markers} // [] };

    mkdir $dir or die "$dir: $!";
    open my $m, '>', "$dir/metadata" or die "$dir/metadata: $!";
    print $m _metadata($offset_s);
    close $m or die;

    my (@events, %packets, @marker_ts);
    my $n = int($secs * 1e9 / $period);
    for my $cpu (0 .. $cpus - 1) {
        my @recs;
        for my $i (0 .. $n - 1) {
            # CPUs interleave; distinct timestamps everywhere
            my $ts = $start + $i * $period + int($cpu * $period / $cpus) + 1;
            push @recs, { ts => $ts, cpu => $cpu, id => $i % 300 };
        }
        for my $mk (grep { $_->{cpu} == $cpu } @markers) {
            my $ts = $start + int($mk->{t} * 1e9);
            push @recs, { ts => $ts, cpu => $cpu, id => $mk->{id} // $MARKER_ID };
            push @marker_ts, $ts;
        }
        @recs = sort { $a->{ts} <=> $b->{ts} } @recs;
        for my $r (@recs) {
            $r->{bytes} = pack('v Q< l< q< q<', 1, $r->{ts},
                               300 + 10 * $cpu, $r->{id}, 0);
        }
        open my $s, '>', "$dir/stream_$cpu" or die "$dir/stream_$cpu: $!";
        binmode $s;
        my ($seq, $total, @cur) = (0, 0);
        my $flush = sub {
            return unless @cur;
            $total += $disc->{n}
                if $cpu == $disc->{cpu} && $disc->{every}
                   && $seq % $disc->{every} == $disc->{every} - 1;
            print $s _packet($cpu, $seq, $psize, $total, \@cur);
            push @{ $packets{$cpu} }, { seq => $seq, tb => $cur[0]{ts},
                te => $cur[-1]{ts}, disc => $total, n => scalar @cur,
                cpu => $cpu };
            $_->{seq} = $seq for @cur;
            push @events, @cur;
            $seq++;
            @cur = ();
        };
        for my $r (@recs) {
            $flush->() if $HDR + $REC * (@cur + 1) > $psize
                          || ($o{per_packet} && @cur >= $o{per_packet});
            push @cur, $r;
        }
        $flush->();
        close $s or die;
    }
    delete $_->{bytes} for @events;
    @events = sort { $a->{ts} <=> $b->{ts} } @events;
    return { events => \@events, packets => \%packets,
             markers => [sort { $a <=> $b } @marker_ts],
             start => $start, offset_ns => $offset_s * 1_000_000_000 };
}

# Packets and sys_exit events of a trace directory.
sub read_trace {
    my ($dir) = @_;
    my (@events, @packets);
    opendir my $dh, $dir or die "$dir: $!";
    for my $f (sort grep { /^stream_\d+$/ } readdir $dh) {
        open my $fh, '<:raw', "$dir/$f" or die "$dir/$f: $!";
        local $/;
        my $data = <$fh>;
        my $pos = 0;
        while ($pos < length $data) {
            my ($magic) = unpack('V', substr($data, $pos, 4));
            die "$dir/$f offset $pos: bad magic" unless $magic == 0xC1FC1FC1;
            my ($tb, $te, $content, $size, $seq, $disc, $cpu)
                = unpack('Q< Q< Q< Q< Q< Q< V', substr($data, $pos + 32, 52));
            $content /= 8;
            $size /= 8;
            push @packets, { cpu => $cpu, seq => $seq, tb => $tb, te => $te,
                             disc => $disc, size => $size };
            for (my $r = $pos + $HDR; $r + $REC <= $pos + $content; $r += $REC) {
                my ($cid, $ts, $tid, $id) = unpack('v Q< l< q<', substr($data, $r, 22));
                die "$dir/$f: unexpected event id $cid" unless $cid == 1;
                push @events, { ts => $ts, cpu => $cpu, id => $id, seq => $seq };
            }
            $pos += $size;
        }
    }
    @events = sort { $a->{ts} <=> $b->{ts} || $a->{cpu} <=> $b->{cpu} } @events;
    return { events => \@events, packets => \@packets };
}

sub expected_packets {
    my ($gen, $lo, $hi) = @_;
    my @want;
    for my $cpu (sort { $a <=> $b } keys %{ $gen->{packets} }) {
        my $list = $gen->{packets}{$cpu};
        my @idx = grep { $list->[$_]{te} >= $lo && $list->[$_]{tb} <= $hi } 0 .. $#$list;
        next unless @idx;
        unshift @idx, $idx[0] - 1 if $idx[0] > 0 && $list->[$idx[0]]{tb} > $lo;
        push @want, map { "$cpu:$list->[$_]{seq}" } @idx;
    }
    return \@want;
}

sub read_summary {
    my ($dir) = @_;
    open my $fh, '<', "$dir/.vigil-dump.yaml" or return undef;
    my (%s, $section);
    while (my $l = <$fh>) {
        chomp $l;
        next if $l =~ /^\s*#/ || $l eq '';
        $l =~ s/\s+#.*$// unless $l =~ /"/;
        if ($l =~ /^(\w+):\s*$/) { $section = $1; next }
        if ($l =~ /^(\w+):\s*(.*)$/) { $section = undef; $s{$1} = _val($2); next }
        if ($section && $section ne 'cpus' && $l =~ /^\s+(\w+):\s*(.*)$/) {
            $s{"$section.$1"} = _val($2);
        }
    }
    return \%s;
}

sub _val {
    my ($v) = @_;
    if ($v =~ /^"(.*)"$/) {
        $v = $1;
        $v =~ s/\\(["\\])/$1/g;
        $v =~ s/\\n/\n/g;
    }
    return $v;
}

# A handler that dumps on every marker event (sys_exit with id $MARKER_ID)
# with the given before/after, printing "dump PATH" or "refused REASON",
# and counts events; its END prints the count and Vigil::stats() keys
# named dumps_*.
sub dump_handler_script {
    my (%o) = @_;
    my $args = join ', ', map { "$_ => $o{$_}" } grep { defined $o{$_} } qw(before after);
    $args = ", $args" if $args;
    return <<"PL";
use strict;
use warnings;
use Vigil;
my \$n = 0;
on 'raw_syscalls:sys_exit' => sub {
    my \$e = shift;
    \$n++;
    if (\$e->{id} == $MARKER_ID) {
        my \$p = Vigil::dump(reason => "marker at \$e->{common_ts}"$args);
        if (defined \$p) { print "dump \$p\\n" } else { print "refused \$@\\n" }
    }
};
END {
    print "events \$n\\n";
    my \$st = Vigil::stats();
    print "stat \$_ \$st->{\$_}\\n" for sort grep { /^dumps/ } keys %\$st;
}
PL
}

1;
