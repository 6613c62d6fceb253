package VigilEvents;
# The module's built-in events as the tests see them: read from
# daemon/build/gen/events.tsv, which the build generates from the one
# event table kmod/vigil_events.h (kmod/tools/vigil-events; the format is
# described there).  Test trace writers, the docs checks and anything
# else that needs event names, ids or fields take them from here instead
# of a copy of their own.
#
#   my @ev = VigilEvents::events();      # in table order (id = position)
#   my $e  = VigilEvents::event('sched:sched_switch');
#   $e->{id}; $e->{cname}; $e->{kind};
#   $e->{fields}  [ [TSDLTYPE, NAME, LENGTH-or-undef, EXTRA], ... ]
#                 (TSDLTYPE 'string' for strings; EXTRA true for fields
#                 the kernel's own format lacks)
#   $e->{role}    ROLE of the daemon (VIGIL_EVENT_ROLE) or undef
#   VigilEvents::by_role('STATEDUMP')   the event with that role
use strict;
use warnings;
use Carp qw(croak);
use File::Basename qw(dirname);
use Cwd qw(abs_path);

our $ROOT = abs_path(dirname(__FILE__) . '/../..');
our $TSV = "$ROOT/daemon/build/gen/events.tsv";

my (@EVENTS, %BY_NAME, %BY_ROLE);

sub _load {
	return if @EVENTS;
	open my $fh, '<', $TSV
	    or croak "VigilEvents: $TSV: $! (it is built by make -C daemon)";
	while (my $line = <$fh>) {
		chomp $line;
		my ($kind, @v) = split /\t/, $line, -1;
		if ($kind eq 'event') {
			my ($id, $cname, $name, $ekind) = @v;
			croak "VigilEvents: $TSV:$.: event $name has id $id, not its position "
			    . scalar(@EVENTS) if $id != @EVENTS;
			my $e = { id => $id, cname => $cname, name => $name,
				  kind => $ekind, fields => [] };
			push @EVENTS, $e;
			$BY_NAME{$name} = $e;
		} elsif ($kind eq 'field') {
			my ($name, $type, $field, $len, $extra) = @v;
			my $e = $BY_NAME{$name} or croak "VigilEvents: $TSV:$.: field of unknown event $name";
			push @{ $e->{fields} }, [$type, $field, $len ? $len : undef, $extra eq '+'];
		} elsif ($kind eq 'role') {
			my ($name, $role, $enable) = @v;
			my $e = $BY_NAME{$name} or croak "VigilEvents: $TSV:$.: role of unknown event $name";
			$e->{role} = $role;
			$e->{enable} = $enable;
			$BY_ROLE{$role} = $e;
		} else {
			croak "VigilEvents: $TSV:$.: unknown record '$kind'";
		}
	}
	croak "VigilEvents: $TSV: no events" unless @EVENTS;
}

sub events { _load(); return @EVENTS }

sub event {
	my ($name) = @_;
	_load();
	return $BY_NAME{$name} // croak "VigilEvents: no event $name in kmod/vigil_events.h";
}

sub by_role {
	my ($role) = @_;
	_load();
	return $BY_ROLE{$role} // croak "VigilEvents: no event with role $role";
}

# [ [TSDLTYPE, NAME, LENGTH], ... ] of an event, as VigilTrace::metadata
# and VigilTrace::pack_fields take them.
sub trace_fields {
	my ($name) = @_;
	return [ map { [ $_->[0], $_->[1], defined $_->[2] ? ($_->[2]) : () ] }
		 @{ event($name)->{fields} } ];
}

1;
