#!/usr/bin/perl
# io-top.pl - bytes read and written per process and per file.
# Documentation: perldoc handlers/io-top.pl (POD at the end).
use strict;
use warnings;
use Getopt::Long qw(GetOptionsFromArray);
use Vigil;
use Vigil::Aggr qw(format_table);

my ($interval, $top, $human, $clear, $comm) = (2, 10, 0, undef, undef);
GetOptionsFromArray(\@ARGV,
	'interval|i=f' => \$interval,
	'top|n=i'      => \$top,
	'human|H'      => \$human,
	'clear!'       => \$clear,
	'comm|c=s'     => \$comm,
	'help|h'       => sub { print usage(); exit 0 },
) or die usage();
die "io-top.pl: unexpected argument '$ARGV[0]'\n" . usage() if @ARGV;
die "io-top.pl: --interval must be > 0, not $interval\n" unless $interval > 0;
die "io-top.pl: --top must be >= 0, not $top\n" if $top < 0;
$clear //= -t STDOUT ? 1 : 0;

use Vigil::Glob qw(glob_re);
my $comm_re = defined $comm ? glob_re($comm) : undef;

sub usage {
	return "usage: vigild -f -s handlers/io-top.pl [-- [--interval SECONDS] [--top N] [--human] [--comm NAME] [--[no]clear]]\n";
}

my %READ  = map { $_ => 1 } qw(read pread64 readv preadv preadv2);
my %WRITE = map { $_ => 1 } qw(write pwrite64 writev pwritev pwritev2);
my %OPEN  = (open => 'filename', openat => 'filename', openat2 => 'filename',
	     creat => 'pathname');

# bytes per process (key pid) and per file (key path), read and written
my %agg = map { $_ => Vigil::Aggr->new(type => 'sum') } qw(pread pwrite fread fwrite);
my (%fds, %pending, %comm);

my @enter = map { "syscalls:sys_enter_$_*" } qw(read write pread pwrite preadv pwritev open creat close dup);
my @exit  = map { "syscalls:sys_exit_$_*" }  qw(read write pread pwrite preadv pwritev open creat close dup);

for my $g (@enter) {
	on $g => sub {
		my $e = shift;
		my $sc = substr($e->name, 19);
		my $p;
		if ($READ{$sc} || $WRITE{$sc}) { $p = [ $sc, $e->{fd} ] }
		elsif ($OPEN{$sc})              { $p = [ $sc, $e->{ $OPEN{$sc} } ] }
		elsif ($sc eq 'close')          { $p = [ $sc, $e->{fd} ] }
		elsif ($sc eq 'dup')            { $p = [ $sc, $e->{fildes} ] }
		elsif ($sc eq 'dup2' || $sc eq 'dup3') { $p = [ $sc, $e->{oldfd} ] }
		else { return }
		$pending{ $e->{common_tid} } = $p;
	};
}

for my $g (@exit) {
	on $g => sub {
		my $e = shift;
		my $p = delete $pending{ $e->{common_tid} } or return;
		my ($sc, $arg) = @$p;
		return unless $sc eq substr($e->name, 18);	# lost exit: unpaired
		my $ret = $e->{ret};
		my $pid = $e->{common_pid};
		if ($READ{$sc} || $WRITE{$sc}) {
			return if $ret <= 0;
			return if $comm_re && $e->{common_comm} !~ $comm_re;
			my $file = $fds{$pid}{$arg} // "<pid $pid fd $arg>";
			my $w = $WRITE{$sc} ? 'write' : 'read';
			$agg{"p$w"}->add($pid, $ret);
			$agg{"f$w"}->add($file, $ret);
			$comm{$pid} = $e->{common_comm};
		} elsif ($OPEN{$sc}) {
			$fds{$pid}{$ret} = $arg if $ret >= 0 && defined $arg;
		} elsif ($sc eq 'close') {
			delete $fds{$pid}{$arg} if $ret == 0;
		} elsif ($ret >= 0) {	# dup, dup2, dup3: the new fd names the same file
			if (defined $fds{$pid}{$arg}) { $fds{$pid}{$ret} = $fds{$pid}{$arg} }
			else                          { delete $fds{$pid}{$ret} }
		}
	};
}

# A new process starts with a copy of its parent's descriptors; the
# table of a process goes when its main thread exits.
on 'sched:sched_process_fork' => sub {
	my $e = shift;
	return unless $e->{child_pid} == $e->{child_tgid};
	my $parent = $fds{ $e->{common_pid} } or return;
	$fds{ $e->{child_tgid} } = { %$parent };
};
on 'sched:sched_process_exit' => sub {
	my $e = shift;
	delete $pending{ $e->{pid} };
	delete $fds{ $e->{tgid} } if $e->{pid} == $e->{tgid};
};

sub bytes {
	my ($n) = @_;
	return $n unless $human;
	my @u = ('', 'K', 'M', 'G', 'T');
	my $i = 0;
	while ($n >= 1024 && $i < $#u) { $n /= 1024; $i++ }
	return $i ? sprintf('%.1f%s', $n, $u[$i]) : $n;
}

sub merged {
	my ($r, $w) = @_;
	my %row;
	$row{ $_->[0] }[0] = $_->[1] for $agg{$r}->entries;
	$row{ $_->[0] }[1] = $_->[1] for $agg{$w}->entries;
	my @rows = map { [ $_, $row{$_}[0] // 0, $row{$_}[1] // 0 ] } keys %row;
	@rows = sort { ($b->[1] + $b->[2]) <=> ($a->[1] + $a->[2]) || $a->[0] cmp $b->[0] } @rows;
	splice @rows, $top if $top && @rows > $top;
	return @rows;
}

sub report {
	print "\e[H\e[2J" if $clear;
	my @p = merged('pread', 'pwrite');
	my @f = merged('fread', 'fwrite');
	print "io-top: by process\n";
	print @p ? format_table([qw(PID COMM READ WRITE)],
				[ map { [ $_->[0], $comm{ $_->[0] } // '', bytes($_->[1]), bytes($_->[2]) ] } @p ])
		 : "(no data)\n";
	print "io-top: by file\n";
	print @f ? format_table([qw(READ WRITE FILE)],
				[ map { [ bytes($_->[1]), bytes($_->[2]), $_->[0] ] } @f ])
		 : "(no data)\n";
	print "\n";
	$_->clear for values %agg;
	%comm = ();
}

every $interval => \&report;

END { report() if %agg && grep { $_->size } values %agg }

__END__

=head1 NAME

io-top.pl - bytes read and written, per process and per file

=head1 SYNOPSIS

    vigild -f -s handlers/io-top.pl
    vigild -f -s handlers/io-top.pl -- --interval 5 --top 20 --human
    vigild --replay DIR -s handlers/io-top.pl -- --comm postgres

=head1 DESCRIPTION

Every interval, two tables: the processes that read and wrote the most
bytes, and the files they were read from and written to.  Bytes are the
return values of read(2), write(2), pread64, pwrite64, readv, writev,
preadv, pwritev, preadv2 and pwritev2.

Files are named by following file descriptors: the path of each
successful open, openat, openat2 and creat is remembered for the fd it
returned (per process; a child starts with a copy of its parent's), dup,
dup2 and dup3 copy it, close forgets it.  A descriptor opened before
tracing started (or a socket, pipe, ...) shows as C<E<lt>pid N fd ME<gt>>.
Paths are as the program passed them.

Then the counts start again; when tracing stops the last, partial
interval is printed.  The interval runs on the wall clock live and on
the event clock on replay.

=head1 OPTIONS

=over

=item --interval SECONDS, -i

Refresh period.  Default 2.

=item --top N, -n

Rows per table.  Default 10; 0 for all.

=item --human, -H

Sizes with K, M, G, T suffixes (powers of 1024) instead of bytes.

=item --comm NAME, -c

Only count I/O of processes with this command name (a shell-style glob
such as C<postgres*> matches several).

=item --clear, --noclear

Clear the screen before each report.  Default: when output is a terminal.

=back

=head1 EXAMPLE OUTPUT

    io-top: by process
    PID   COMM         READ    WRITE
    640   postgres  8388608  1048576
    812   nginx      204800        0
    io-top: by file
       READ    WRITE  FILE
    8388608  1048576  base/16384/2619
     204800        0  /var/www/index.html

=cut
