#!/usr/bin/perl
# vigild -l lists the kernel's own tracepoints too (the events
# --source kernel reads), after vigil.ko's: an event only the kernel
# has (kmem:kmalloc) is listed, and -lv tags it [kernel] and gives its
# fields with the C types of its tracefs format file, common_* fields
# left out.  An event both have keeps vigil.ko's row.
use strict;
use warnings;
use Test::More;
use FindBin;
use lib "$FindBin::Bin/lib", "$FindBin::Bin/../lib";
use KernelTest;
use VigildRun;

need_kernel_source();
my $vigild = vigild_path();

my ($rc, $out, $err) = run_cmd([$vigild, '-l', 'kmem:kmalloc']);
is($rc, 0, 'vigild -l kmem:kmalloc: exit 0') or diag $err;
is($out, "kmem:kmalloc\n", '... lists the kernel\'s tracepoint');

($rc, $out, $err) = run_cmd([$vigild, '-lv', 'kmem:kmalloc']);
is($rc, 0, 'vigild -lv kmem:kmalloc: exit 0') or diag $err;
my $format = do {
    local $/;
    open my $fh, '<', KernelTest::events_dir() . '/kmem/kmalloc/format' or die "format: $!";
    <$fh>;
};
my @want = map { my ($t, $n) = /^\tfield:(.*?)\s*\b(\w+)(?:\[\d*\])?;/ or die; $t =~ s/\s+$//; [ $t, $n ] }
    grep { /^\tfield:/ && !/common_/ } split /\n/, $format;
ok(@want >= 3, 'the format file declares fields (' . scalar(@want) . ')');
my @got = map { [ /^    (.*?)\s?(\w+)$/ ] } grep { /^    / } split /\n/, $out;
like($out, qr/^kmem:kmalloc  \[kernel\]$/m, '... tagged [kernel]');
is_deeply([ map { $_->[1] } @got ], [ map { $_->[1] } @want ],
          '... with the format file\'s fields in order, common_* left out');
like($out, qr/^    size_t bytes_req$/m, '... and their C types');

($rc, $out, $err) = run_cmd([$vigild, '-lv', 'sched:sched_switch']);
like($out, qr/^sched:sched_switch  \[vigil\.ko\]$/m, 'an event both have keeps vigil.ko\'s row');
($rc, $out, $err) = run_cmd([$vigild, '-l', 'nosuch:*']);
is($rc, 1, 'a glob nothing matches: exit 1');
like($err, qr/no event matches 'nosuch:\*'/, '... saying so');

done_testing;
