package Perf::Trace::Context;

# vigil's stand-in for perf's Perf::Trace::Context.  Under perf these read
# the raw sample behind $context; vigil records neither the preempt
# count, the irq flags nor the lock depth, so they are always 0.

use strict;
use warnings;

our $VERSION = '0.1.0';

use Exporter 'import';
our @EXPORT = qw(common_pc common_flags common_lock_depth);
our @EXPORT_OK = @EXPORT;

sub common_pc { return 0 }
sub common_flags { return 0 }
sub common_lock_depth { return 0 }

1;

__END__

=head1 NAME

Perf::Trace::Context - common_pc, common_flags, common_lock_depth for
perf-script-style handlers under vigil

=head1 DESCRIPTION

Each takes the C<$context> argument of a handler.  vigil's events carry
no preempt count, irq flags or lock depth, so all three return 0.

=cut
