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
# The trace format itself is written and read by t/lib/VigilTrace.pm.
use strict;
use warnings;
use File::Basename qw(dirname);
use lib dirname(__FILE__) . '/../../lib';
use VigilTrace qw(metadata record write_stream write_file read_stream uuid_bytes);
use VigilEvents ();
use Exporter 'import';
our @EXPORT = qw(gen_timed_trace read_trace expected_packets read_summary
                 dump_handler_script $MARKER_ID);

our $MARKER_ID = 999;
my $UUID = '5f3a1c9e-2b7d-4e11-9a6c-0d2e4f6a8b10';
my $REC = 30;          # sys_exit record: id, ts, tid, id, ret
my $EXIT = VigilEvents::event('raw_syscalls:sys_exit');   # kmod/vigil_events.h

sub _metadata {
    my ($offset_s) = @_;
    return metadata(
        aligned => 1,
        uuid => $UUID,
        types => [qw(uint8_t uint16_t uint32_t uint64_t int32_t int64_t
                     uint64_clock_monotonic_t)],
        env => [hostname => 'dumphost', sysname => 'Linux',
                kernel_release => '6.1.0-dumptest', tracer_name => 'vigil',
                tracer_major => 1, tracer_minor => 0],
        clock => [name => 'monotonic', freq => 1000000000, offset_s => $offset_s,
                  offset => 0],
        events => [[$EXIT->{name}, $EXIT->{id}, VigilEvents::trace_fields($EXIT->{name})]]);
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
    write_file("$dir/metadata", _metadata($offset_s));

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
            $r->{bytes} = record($EXIT->{id}, $r->{ts}, 300 + 10 * $cpu, pack('q< q<', $r->{id}, 0));
        }
        my $total = 0;
        my $list = write_stream("$dir/stream_$cpu", cpu => $cpu, uuid => uuid_bytes($UUID),
            records => \@recs, packet_size => $psize, max_records => $o{per_packet},
            discarded => sub {
                my ($seq) = @_;
                $total += $disc->{n}
                    if $cpu == $disc->{cpu} && $disc->{every}
                       && $seq % $disc->{every} == $disc->{every} - 1;
                return $total;
            });
        for my $p (@$list) {
            $_->{seq} = $p->{seq} for @{ $p->{records} };
            push @events, @{ $p->{records} };
            push @{ $packets{$cpu} }, { map { $_ => $p->{$_} } qw(seq tb te disc n cpu) };
        }
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
        for my $p (@{ read_stream("$dir/$f") }) {
            my ($cpu, $seq) = @$p{qw(cpu seq)};
            push @packets, { map { $_ => $p->{$_} } qw(cpu seq tb te disc size) };
            for (my $r = 0; $r + $REC <= length $p->{body}; $r += $REC) {
                my ($cid, $ts, $tid, $id) = unpack('v Q< l< q<', substr($p->{body}, $r, 22));
                die "$dir/$f: unexpected event id $cid" unless $cid == $EXIT->{id};
                push @events, { ts => $ts, cpu => $cpu, id => $id, seq => $seq };
            }
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
