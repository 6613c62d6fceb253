#!/usr/bin/perl
# t/lib/VigilVM.pm: a VM test that cannot run is skipped on a developer's
# machine but FAILS under CI, so CI can never pass by skipping.  Runs
# without booting a VM (the missing piece is simulated with a module path
# that does not exist).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use VigilVM;

my $lib = "$FindBin::Bin/../lib";
my $missing = '/nonexistent/vigil-test-missing.ko';
my $code = qq{use VigilVM; vm_skip_unless_available('helper check', module_path => '$missing'); }
    . q{print "ok 1 - should not get here\n";};

sub run_child {
    my ($ci) = @_;
    local $ENV{CI} = $ci;
    my $out = `$^X -I$lib -e "$code" 2>&1`;
    return ($? >> 8, $out);
}

like(VigilVM::vm_why_unavailable(module_path => $missing), qr/\Q$missing\E not built/,
    'vm_why_unavailable names the missing module');
ok(!vm_available(module_path => $missing), 'vm_available is false when the module is missing');

my ($st, $out) = run_child('');
is($st, 0, 'without CI an unavailable VM test exits 0 ...');
like($out, qr/^1\.\.0 # SKIP VM not available: helper check: .*\Q$missing\E/m,
    '... and skips the whole file, saying why');

($st, $out) = run_child('true');
isnt($st, 0, 'with CI=true an unavailable VM test exits non-zero ...');
like($out, qr/^not ok 1 - VM test cannot run under CI: helper check: .*\Q$missing\E/m,
    '... and reports a failing test that says why');
unlike($out, qr/should not get here/, 'the test body does not run when the VM is unavailable');

done_testing;
