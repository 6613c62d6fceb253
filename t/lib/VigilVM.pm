package VigilVM;
# Test helper: run commands in the qemu VM (scripts/vm-run) from .t files.
use strict;
use warnings;
use Exporter 'import';
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempfile);

our @EXPORT = qw(vm_available vm_why_unavailable vm_run vm_skip_unless_available);
our @EXPORT_OK = qw(repo_root vm_kernel);

my $ROOT = abs_path(dirname(abs_path(__FILE__)) . '/../..');

sub repo_root { return $ROOT }

sub _in_path {
    my ($tool) = @_;
    return grep { -x "$_/$tool" } split /:/, ($ENV{PATH} // '');
}

# The kernel the VM boots: $ENV{VIGIL_VM_KERNEL} (a version, a path or
# "debug"; see scripts/vm-run --kernel), else the host's newest.  Returns
# scripts/vm-run --show's answer as a hashref (kernel, kver, modroot,
# module, kdir, config, timeout_factor), or { error => ... }.
my %kernel_cache;

sub vm_kernel {
    my $k = $ENV{VIGIL_VM_KERNEL} // '';
    return $kernel_cache{$k} if $kernel_cache{$k};
    my @args = ("$ROOT/scripts/vm-run", length $k ? ('--kernel', $k) : (), '--show');
    my $out = `@{[ join ' ', map { "'$_'" } @args ]} 2>&1`;
    my %r;
    if ($? == 0) {
        %r = map { /^(\w+)=(.*)$/ ? ($1, $2) : () } split /\n/, $out;
    } else {
        $out =~ s/^vm-run: error: //;
        chomp $out;
        %r = (error => $out);
    }
    return $kernel_cache{$k} = \%r;
}

# Returns a reason string when the VM cannot be used, or undef when it can.
sub vm_why_unavailable {
    my (%o) = @_;
    return "qemu-system-x86_64 not installed" unless _in_path('qemu-system-x86_64');
    return "/bin/busybox not installed" unless -x '/bin/busybox';
    return "scripts/vm-run missing" unless -x "$ROOT/scripts/vm-run";
    return "no kernel image /boot/vmlinuz-*-amd64"
        unless ($ENV{VIGIL_VM_KERNEL} // '') ne '' || glob('/boot/vmlinuz-*-amd64');
    my $k = vm_kernel();
    return "kernel: $k->{error}" if $k->{error};
    if (!exists $o{module} || $o{module}) {
        my $ko = $o{module_path} // $k->{module};
        return "$ko not built (run make)" unless -f $ko;
    }
    return undef;
}

sub vm_available { return !defined vm_why_unavailable(@_) }

sub vm_skip_unless_available {
    my ($reason, %o) = @_;
    my $why = vm_why_unavailable(%o);
    return 1 unless defined $why;
    require Test::More;
    my $msg = defined $reason && length $reason ? "$reason: $why" : $why;
    if ($ENV{CI}) {
        Test::More::plan(tests => 1);
        Test::More::fail("VM test cannot run under CI: $msg");
        exit 1;
    }
    Test::More::plan(skip_all => "VM not available: $msg");
    exit 0;    # not reached: plan skip_all exits
}

sub vm_run {
    my (%o) = @_;
    defined $o{cmd} or die "vm_run: cmd => '...' is required\n";
    my @args = ("$ROOT/scripts/vm-run", '--quiet');
    my $kernel = $o{kernel} // $ENV{VIGIL_VM_KERNEL};
    push @args, '--kernel', $kernel if defined $kernel && $kernel ne '';
    push @args, '--timeout', $o{timeout} if defined $o{timeout};
    push @args, '--smp', $o{smp} if defined $o{smp};
    push @args, '--mem', $o{mem} if defined $o{mem};
    push @args, '--rw-share', $o{rw_share} if defined $o{rw_share};
    if (exists $o{module} && !$o{module}) {
        push @args, '--no-module';
    } elsif (defined $o{module_path}) {
        push @args, '--module', $o{module_path};
    }
    my ($kfh, $kfile) = tempfile('vigilvm-klog.XXXXXX', TMPDIR => 1, UNLINK => 1);
    push @args, '--kernel-log', $kfile;
    push @args, '--', $o{cmd};

    my ($efh, $efile) = tempfile('vigilvm-stderr.XXXXXX', TMPDIR => 1, UNLINK => 1);
    my $pid = open(my $out, '-|');
    defined $pid or die "vm_run: fork: $!\n";
    if (!$pid) {
        open STDERR, '>&', $efh or die "vm_run: stderr: $!\n";
        exec @args or die "vm_run: exec $args[0]: $!\n";
    }
    local $/;
    my $output = <$out> // '';
    close $out;
    my $status = $?;
    seek $efh, 0, 0;
    my $stderr = <$efh> // '';
    close $efh;

    my $exit = $status & 127 ? 128 + ($status & 127) : $status >> 8;
    my $kernel_log = do { local $/; <$kfh> } // '';
    close $kfh;
    my %r = (
        exit       => $exit,
        output     => $output,
        stderr     => $stderr,
        kernel_log => $kernel_log,
        ok         => $exit == 0 ? 1 : 0,
    );
    if ($exit != 0 && ($o{verbose} // 1) && !$o{quiet}) {
        require Test::More;
        Test::More::diag("vm-run exited $exit:\n$stderr");
    }
    return \%r;
}

1;

__END__

=head1 NAME

VigilVM - run commands in the vigil test VM from Test::More tests

=head1 SYNOPSIS

  use FindBin;
  use lib "$FindBin::Bin/../lib";
  use Test::More;
  use VigilVM;

  vm_skip_unless_available('needs the VM');   # SKIP (or FAIL when $ENV{CI})

  my $r = vm_run(cmd => 'ls -l /dev/vigil', timeout => 120);
  ok($r->{ok}, 'command passed in the VM, module loaded and unloaded cleanly');
  like($r->{output}, qr/^crw-------/, '/dev/vigil is mode 0600');

  done_testing;

=head1 DESCRIPTION

A thin wrapper around F<scripts/vm-run> (see C<scripts/vm-run --help>).

=over

=item vm_available(%opt)

True when qemu, busybox, the kernel (see vm_kernel), F<scripts/vm-run>
and (unless C<< module => 0 >>) the module built for that kernel (or
C<module_path>) are present.

=item vm_kernel()

The kernel the VM boots, as C<scripts/vm-run --show> reports it: a hashref
with C<kernel> (image), C<kver>, C<modroot>, C<module> (the vigil.ko loaded
for it), C<kdir> (its build tree), C<config>, C<timeout_factor>; or
C<< { error => REASON } >>.  C<$ENV{VIGIL_VM_KERNEL}> chooses the kernel
(a version, a path, or C<debug>), so the whole suite runs on another kernel
with e.g. C<VIGIL_VM_KERNEL=6.12-rt prove -r t/vm/>.

=item vm_why_unavailable(%opt)

The reason the VM cannot be used, or undef.

=item vm_skip_unless_available($reason, %opt)

Returns when the VM is available.  Otherwise skips the whole test file
(C<plan skip_all>) -- except when C<$ENV{CI}> is true, where it plans one
test, fails it with the reason and exits non-zero, so CI cannot pass by
skipping.

=item vm_run(cmd => $shell_command, %opt)

Runs C<$shell_command> with C<sh -c> in the guest, in the repository
directory, and returns a hashref:

  exit        vm-run's exit status (the command's, or 122 rmmod failed,
              123 kernel log problem, 124 timeout, 125 VM failure)
  ok          1 when exit is 0
  output      the command's stdout and stderr (merged), as printed
  stderr      vm-run's own messages (reasons for failure, kernel log)
  kernel_log  the whole guest kernel log (boot included)

Options: C<timeout> (seconds, default 300; scripts/vm-run multiplies it
by C<$VIGIL_VM_TIMEOUT_FACTOR>, 4 on the debug kernel), C<kernel> (default
C<$VIGIL_VM_KERNEL>), C<rw_share> (a host directory
made writable in the guest at the same path), C<< module => 0 >> (do not
load a module), C<module_path> (another .ko), C<smp>, C<mem>,
C<< quiet => 1 >> (do not C<diag> vm-run's messages on failure).

=back

=cut
