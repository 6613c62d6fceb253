package VigilTrace;
# The one writer (and reader) of synthetic vigil traces for the tests:
# CTF 1.8 as docs/design.md and kmod/vigil_abi.h lay it out -- a TSDL
# metadata file and, per CPU, a stream_<cpu> file of packets (header:
# magic, uuid, stream_id, stream_instance_id; context: timestamp_begin,
# timestamp_end, content_size, packet_size in bits, packet_seq_num,
# events_discarded, cpu_id; records: uint16 id, uint64 timestamp,
# int32 tid, then the fields).
#
#   metadata(%o)        TSDL text from an event list (see below)
#   pack_fields(F, V)   the payload of one record: F = [[type, name, len]...]
#   record(ID, TS, TID, PAYLOAD)       one event record (header + context)
#   packet(%p)          one packet: header, context, records, padding
#   write_stream(PATH, %o)   split records into packets and write them;
#                       returns what it wrote, packet by packet
#   write_file(PATH, TEXT)
#   read_stream(PATH)   the packets of a stream file (header + context
#                       fields and the record bytes), checked
#
# Suites keep thin modules of their own (t/daemon/lib/GenTrace.pm,
# t/dump/lib/DumpTrace.pm, t/perl/lib/VigilTestTrace.pm,
# t/handlers/VigilHandlerTrace.pm) for what only they need.
use strict;
use warnings;
use Carp qw(croak);
use Exporter 'import';
our @EXPORT_OK = qw(metadata pack_fields record packet write_stream
		    write_file read_stream uuid_bytes $MAGIC $PACKET_HEADER);

our $MAGIC = 0xC1FC1FC1;
our $PACKET_HEADER = 32 + 52;	# packet.header + packet.context bytes

my %PACK = (uint8_t => 'C', int8_t => 'c', uint16_t => 'v', int16_t => 's<',
	    uint32_t => 'V', int32_t => 'l<', uint64_t => 'Q<', int64_t => 'q<',
	    uint64_hex_t => 'Q<');

# CTF integer types: name => [size, signed, extra attribute]
my %TYPE = (
	uint8_t => [8, 'false'], uint16_t => [16, 'false'],
	uint32_t => [32, 'false'], uint64_t => [64, 'false'],
	int8_t => [8, 'true'], int16_t => [16, 'true'],
	int32_t => [32, 'true'], int64_t => [64, 'true'],
	uint64_hex_t => [64, 'false', 'base = 16;'],
	char_t => [8, 'false', 'encoding = UTF8;'],
	uint64_clock_monotonic_t => [64, 'false', 'map = clock.monotonic.value;'],
);

# "2a6422d0-6cee-..." => its 16 bytes
sub uuid_bytes {
	my ($uuid) = @_;
	(my $hex = $uuid) =~ tr/-//d;
	croak "VigilTrace: bad uuid '$uuid'" unless $hex =~ /^[0-9a-fA-F]{32}$/;
	return pack 'H32', $hex;
}

# metadata(
#   uuid   => "xxxxxxxx-xxxx-...",
#   types  => [typealias names, in order]  (keys of %TYPE),
#   env    => [key => value, ...]  (numbers bare, other values quoted),
#   clock  => [key => TSDL text, ...]  (written as given),
#   events => [[name, id, [[type, field, array-length]...]]...],
#   aligned => 1  the older layout: no blank line after the magic
#       comment, typealias attributes padded into columns, "uint8_t  uuid",
#       no blank line after the last event)
sub metadata {
	my (%o) = @_;
	my $al = $o{aligned};
	my $t = $al ? "/* CTF 1.8 */\n" : "/* CTF 1.8 */\n\n";
	for my $name (@{ $o{types} }) {
		my $ty = $TYPE{$name} or croak "VigilTrace: unknown type '$name'";
		my ($size, $signed, $extra) = @$ty;
		if ($al) {
			$t .= sprintf "typealias integer { size = %-3s align = 8; signed = %-6s%s } := %s;\n",
			    "$size;", "$signed;", $extra ? " $extra" : '', $name;
		} else {
			$t .= "typealias integer { size = $size; align = 8; signed = $signed;"
			    . ($extra ? " $extra" : '') . " } := $name;\n";
		}
	}
	my $sp = $al ? '  ' : ' ';
	$t .= "\ntrace {\n\tmajor = 1;\n\tminor = 8;\n\tuuid = \"$o{uuid}\";\n"
	    . "\tbyte_order = le;\n\tpacket.header := struct {\n\t\tuint32_t magic;\n"
	    . "\t\tuint8_t${sp}uuid[16];\n\t\tuint32_t stream_id;\n"
	    . "\t\tuint64_t stream_instance_id;\n\t};\n};\n\n";
	$t .= "env {\n";
	my @env = @{ $o{env} || [] };
	while (my ($k, $v) = splice @env, 0, 2) {
		$t .= "\t$k = " . ($v =~ /^-?\d+$/ ? $v : "\"$v\"") . ";\n";
	}
	$t .= "};\n\nclock {\n";
	my @clock = @{ $o{clock} || [] };
	while (my ($k, $v) = splice @clock, 0, 2) {
		$t .= "\t$k = $v;\n";
	}
	$t .= "};\n\n";
	$t .= "stream {\n\tid = 0;\n\tpacket.context := struct {\n"
	    . "\t\tuint64_clock_monotonic_t timestamp_begin;\n"
	    . "\t\tuint64_clock_monotonic_t timestamp_end;\n"
	    . "\t\tuint64_t content_size;\n\t\tuint64_t packet_size;\n"
	    . "\t\tuint64_t packet_seq_num;\n\t\tuint64_t events_discarded;\n"
	    . "\t\tuint32_t cpu_id;\n\t};\n"
	    . "\tevent.header := struct {\n\t\tuint16_t id;\n"
	    . "\t\tuint64_clock_monotonic_t timestamp;\n\t};\n"
	    . "\tevent.context := struct {\n\t\tint32_t tid;\n\t};\n};\n";
	for my $ev (@{ $o{events} }) {
		my ($name, $id, $fields) = @$ev;
		$t .= "\nevent {\n\tname = \"$name\";\n\tid = $id;\n\tstream_id = 0;\n"
		    . "\tfields := struct {\n";
		$t .= "\t\t$_->[0] $_->[1]" . ($_->[2] ? "[$_->[2]]" : '') . ";\n" for @$fields;
		$t .= "\t};\n};\n";
	}
	$t .= "\n" unless $al;
	return $t;
}

# The payload of one record.  Fields [type, name, len]: 'string' is
# NUL-terminated, char_t[len] is the string padded with NULs (at most
# len - 1 characters with nul_terminate => 1, as the kernel's comm; len
# otherwise), an integer type with len is an array (missing elements 0).
# Values missing are 0 or ''.  With strict => 1 a value naming no field
# is an error.
sub pack_fields {
	my ($fields, $values, %o) = @_;
	my $payload = '';
	for my $f (@$fields) {
		my ($type, $name, $n) = @$f;
		my $v = $values->{$name};
		if ($type eq 'string') {
			$payload .= pack 'Z*', $v // '';
		} elsif ($type eq 'char_t') {
			croak "VigilTrace: field $name: char_t without an array length" unless $n;
			$v //= '';
			$v = substr($v, 0, $n - 1) if $o{nul_terminate};
			$payload .= pack "a$n", $v;
		} else {
			my $p = $PACK{$type} or croak "VigilTrace: field $name: unknown type '$type'";
			if ($n) {
				my @a = @{ $v // [] };
				croak "VigilTrace: field $name: " . scalar(@a) . " values for $type\[$n]"
				    if @a > $n;
				$payload .= pack $p, $a[$_] // 0 for 0 .. $n - 1;
			} else {
				$payload .= pack $p, $v // 0;
			}
		}
	}
	if ($o{strict}) {
		my %known = map { $_->[1] => 1 } @$fields;
		my @extra = sort grep { !$known{$_} } keys %$values;
		croak "VigilTrace: no field(s) " . join(', ', @extra) if @extra;
	}
	return $payload;
}

# event.header + event.context, then the payload
sub record {
	my ($id, $ts, $tid, $payload) = @_;
	return pack('v Q< l<', $id, $ts, $tid) . ($payload // '');
}

# packet(cpu => N, seq => N, size => BYTES, discarded => N, uuid => BYTES,
#        records => [{ts, bytes}...])  (timestamp_begin/end from the
#        first and last record, or tb/te)
sub packet {
	my (%p) = @_;
	my $recs = $p{records};
	my $body = join '', map { $_->{bytes} } @$recs;
	my $content = $PACKET_HEADER + length $body;
	croak "VigilTrace: packet overflow: $content bytes of content in a $p{size}-byte packet"
	    if $content > $p{size};
	my $tb = $p{tb} // $recs->[0]{ts};
	my $te = $p{te} // $recs->[-1]{ts};
	return pack('V a16 V Q<', $MAGIC, $p{uuid}, 0, $p{cpu})
	    . pack('Q< Q< Q< Q< Q< Q< V', $tb, $te, $content * 8, $p{size} * 8,
		   $p{seq}, $p{discarded} // 0, $p{cpu})
	    . $body . ("\0" x ($p{size} - $content));
}

# write_stream(PATH, cpu => N, uuid => BYTES, records => [{ts, bytes}...]
#   (in stream order), packet_size => BYTES,
#   max_records => N  (at most N records a packet),
#   grow => 'double' | 'add'  (a record too big for an empty packet makes
#       it twice as big / a multiple of packet_size; without grow, dies),
#   discarded => N | CODE  (events_discarded of every packet, or called
#       with the packet's seq number and records before it is written))
# A record starts a new packet when it does not fit in the current one.
# Returns [ {seq, tb, te, disc, n, cpu, size, records} ... ].
sub write_stream {
	my ($path, %o) = @_;
	my $psize = $o{packet_size} // 4096;
	my (@packets, $cur, $len);
	for my $r (@{ $o{records} }) {
		my $l = length $r->{bytes};
		if (!$cur || $len + $l > $psize
		    || ($o{max_records} && @{ $cur->{records} } >= $o{max_records})) {
			$cur = { records => [] };
			push @packets, $cur;
			$len = $PACKET_HEADER;
		}
		push @{ $cur->{records} }, $r;
		$len += $l;
	}
	open my $fh, '>:raw', $path or croak "$path: $!";
	my $seq = 0;
	for my $p (@packets) {
		my $recs = $p->{records};
		my $content = $PACKET_HEADER;
		$content += length $_->{bytes} for @$recs;
		my $size = $psize;
		if (($o{grow} // '') eq 'double') {
			$size *= 2 while $size < $content;
		} elsif (($o{grow} // '') eq 'add') {
			$size += $psize while $size < $content;
		}
		my $disc = ref $o{discarded} eq 'CODE' ? $o{discarded}->($seq, $recs)
		    : $o{discarded} // 0;
		print {$fh} packet(cpu => $o{cpu}, seq => $seq, size => $size,
				   discarded => $disc, uuid => $o{uuid}, records => $recs)
		    or croak "$path: $!";
		%$p = (seq => $seq, tb => $recs->[0]{ts}, te => $recs->[-1]{ts},
		       disc => $disc, n => scalar @$recs, cpu => $o{cpu}, size => $size,
		       records => $recs);
		$seq++;
	}
	close $fh or croak "$path: $!";
	return \@packets;
}

sub write_file {
	my ($path, $text) = @_;
	open my $fh, '>', $path or croak "$path: $!";
	print {$fh} $text or croak "$path: $!";
	close $fh or croak "$path: $!";
	return $path;
}

# The packets of a stream file: [ {offset, cpu, seq, tb, te, disc, size,
# content (bytes), stream_id, instance, body (the record bytes)} ... ].
# Dies naming the file and offset on a bad magic or sizes that do not fit.
sub read_stream {
	my ($path) = @_;
	open my $fh, '<:raw', $path or croak "$path: $!";
	my $data = do { local $/; <$fh> };
	close $fh;
	my ($pos, @packets) = (0);
	while ($pos < length $data) {
		croak "$path offset $pos: truncated packet header"
		    if $pos + $PACKET_HEADER > length $data;
		my ($magic, $uuid, $sid, $inst) = unpack('V a16 V Q<', substr($data, $pos, 32));
		croak sprintf("%s offset %d: bad magic 0x%08x", $path, $pos, $magic)
		    unless $magic == $MAGIC;
		my ($tb, $te, $content, $size, $seq, $disc, $cpu)
		    = unpack('Q< Q< Q< Q< Q< Q< V', substr($data, $pos + 32, 52));
		croak "$path offset $pos: content_size $content or packet_size $size is not whole bytes"
		    if $content % 8 || $size % 8;
		$content /= 8;
		$size /= 8;
		croak "$path offset $pos: content_size $content, packet_size $size, "
		    . (length($data) - $pos) . " bytes left"
		    if $content < $PACKET_HEADER || $content > $size || $size == 0
		       || $pos + $size > length $data;
		push @packets, { offset => $pos, cpu => $cpu, seq => $seq, tb => $tb,
				 te => $te, disc => $disc, size => $size, content => $content,
				 stream_id => $sid, instance => $inst, uuid => $uuid,
				 body => substr($data, $pos + $PACKET_HEADER,
						$content - $PACKET_HEADER) };
		$pos += $size;
	}
	return \@packets;
}

1;
