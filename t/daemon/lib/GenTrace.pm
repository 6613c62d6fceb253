package GenTrace;
# Writes small vigil traces (CTF 1.8 as docs/design.md describes it) for
# the daemon tests: a statedump naming the test's tasks, then
# raw_syscalls:sys_exit events spread over CPUs in interleaved time order.
# Returns what a correct reader must see, so tests can compare exactly.
# The trace format itself is written by t/lib/VigilTrace.pm.
use strict;
use warnings;
use File::Basename qw(dirname);
use lib dirname(__FILE__) . '/../../lib';
use VigilTrace qw(metadata record pack_fields write_stream write_file uuid_bytes);
use VigilEvents ();
use Exporter 'import';
our @EXPORT = qw(gen_trace);

my $UUID = '2a6422d0-6cee-11e0-8c08-cb07d7b3a564';

# the two events of the module's table (kmod/vigil_events.h) it writes
my $EXIT = VigilEvents::event('raw_syscalls:sys_exit');
my $DUMP = VigilEvents::event('vigil:statedump_process');
my @STATEDUMP = @{ VigilEvents::trace_fields($DUMP->{name}) };

sub _metadata {
    return metadata(
        aligned => 1,
        uuid => $UUID,
        types => [qw(uint8_t uint16_t uint32_t uint64_t int32_t int64_t char_t
                     uint64_clock_monotonic_t)],
        env => [hostname => 'gentrace', sysname => 'Linux',
                kernel_release => '6.1.0-test', tracer_name => 'vigil',
                tracer_major => 1, tracer_minor => 0],
        clock => [name => 'monotonic', freq => 1000000000, offset => 0],
        events => [[$EXIT->{name}, $EXIT->{id}, VigilEvents::trace_fields($EXIT->{name})],
                   [$DUMP->{name}, $DUMP->{id}, \@STATEDUMP]]);
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
    write_file("$dir/metadata", _metadata());

    my (%per_tid, %fails, %comm);
    for my $cpu (0 .. $cpus - 1) {
        my @recs;
        if ($cpu == 0) {
            my $ts = 100;
            for my $t (@$tids) {
                my $c = "task$t";
                $comm{$t} = $c;
                my $payload = pack_fields(\@STATEDUMP, { tid => $t, pid => $t, ppid => 1,
                    comm => $c, uid => 0, exe => "/bin/task$t" });
                push @recs, { ts => $ts, bytes => record($DUMP->{id}, $ts, 1, $payload) };
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
            push @recs, { ts => $ts, bytes => record($EXIT->{id}, $ts, $tid, pack('q< q<', $k % 300, $ret)) };
        }
        write_stream("$dir/stream_$cpu", cpu => $cpu, uuid => uuid_bytes($UUID),
                     records => \@recs, packet_size => $psize);
    }
    return { events => $cpus * $per, per_tid => \%per_tid, fails => \%fails,
             comm => \%comm };
}

1;
