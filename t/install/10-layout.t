#!/usr/bin/perl
# `make install DESTDIR=D PREFIX=P` (the userspace part: the module is
# installed by kbuild or DKMS) gives a layout where every absolute path
# the installed manual pages name exists -- for P=/usr (the Debian
# packages) and P=/usr/local (the default).  Paths that only exist at run
# time (made by vigil.ko, vigild or systemd) and the sample output of the
# handlers are listed below with the reason; any other path must be
# installed.  The installed vigild looks for handlers in P's directory.
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../daemon/lib", "$FindBin::Bin/../lib";
use File::Temp qw(tempdir);
use File::Find;
use Test::More;
use VigildRun;

need_progs('vigild', 'vigilctl');
my $root = repo_root();

# path (or prefix ending in /) => why the installation does not make it
my %runtime = (
    '/dev/vigil'              => 'vigil.ko\'s control device',
    '/dev/vigil_annotate'     => 'vigil.ko\'s annotation device',
    '/sys/kernel/debug/vigil/' => 'vigil.ko\'s buffers in debugfs',
    '/proc/'                  => 'the kernel\'s',
    '/sys/kernel/tracing/'    => 'the kernel\'s tracefs (--source kernel)',
    '/sys/kernel/irq'         => 'the kernel\'s IRQ lines (the statedump reads them)',
    '/sys/kernel/irq/'        => 'the kernel\'s IRQ lines (the statedump reads them)',
    '/run/vigil/vigild.sock'  => 'made by vigild (RuntimeDirectory= under systemd)',
    '/var/lib/vigil/dumps'    => 'made by vigild (StateDirectory= under systemd)',
    '/var/lib/vigil/dumps/'   => 'dumps vigild writes',
    '/tmp/'                   => 'examples\' output directories',
);
# sample output of handlers in vigil-handlers(7): files of the traced system
my %sample = map { $_ => 1 } qw(/usr/bin/ls /etc/shadow /etc);
# the text names the prefixes themselves (where Perl modules go)
my %prefix_word = map { $_ => 1 } qw(/usr /usr/local);

sub man_paths {
    my ($file) = @_;
    open my $fh, '<', $file or die "$file: $!";
    my %p;
    while (<$fh>) {
        s/\\f[BIRP]//g; s/\\s[-+]?\d//g; s/\\-/-/g; s/\\&//g; s/\\\(..//g;
        while (m{(?<![\w.\$/-])(/(?:usr|etc|var|run|dev|sys|lib|opt|proc|tmp|srv)(?![\w.-])(?:/[\w.\@+-]*)*)}g) {
            (my $p = $1) =~ s/\.+\z//;
            $p{$p} = 1;
        }
    }
    return sort keys %p;
}

sub runtime_reason {
    my ($p) = @_;
    return $runtime{$p} if exists $runtime{$p};
    for my $r (grep { m{/\z} } keys %runtime) {
        return $runtime{$r} if index($p, $r) == 0;
    }
    return undef;
}

for my $prefix ('/usr', '/usr/local') {
    my $dest = tempdir(CLEANUP => 1);
    my ($rc, $out, $err) = run_cmd(['make', '-C', $root, '--no-print-directory',
                                    'install-userspace', "DESTDIR=$dest", "PREFIX=$prefix"],
                                   timeout => 600);
    is($rc, 0, "make install-userspace DESTDIR=... PREFIX=$prefix") or do { diag $err; next };

    my @pages;
    find({ no_chdir => 1, wanted => sub { push @pages, $_ if -f && m{/man\d/[^/]+\.\d\w*\z} } },
         grep { -d } "$dest$prefix/share/man", "$dest$prefix/man");	# Perl's site man3 is /usr/local/man
    my %pages = map { m{([^/]+)\z}; ($1 => $_) } @pages;
    ok($pages{$_}, "$prefix: man page $_ installed")
        for qw(vigild.8 vigilctl.8 vigil.yaml.5 vigil-handlers.7 vigil-capture.1 Vigil.3pm);

    my $checked = 0;
    for my $page (sort keys %pages) {
        for my $p (man_paths($pages{$page})) {
            next if $prefix_word{$p} || runtime_reason($p);
            next if $sample{$p} && $page eq 'vigil-handlers.7';
            if ($p =~ m{\A(.*)/[A-Z]+(\.\w+)?\z}) {	# DIR/NAME.pl: a placeholder
                my ($d, $ext) = ($1, $2 // '');
                ok(-d "$dest$d" && glob("$dest$d/*$ext"),
                   "$prefix: $page names $p: $d holds such files");
            } else {
                ok(-e "$dest$p", "$prefix: $page names $p: installed");
            }
            $checked++;
        }
        unlike(do { local $/; open my $fh, '<', $pages{$page} or die; <$fh> },
               qr{/usr/local/}, "$prefix: $page names nothing under /usr/local/")
            if $prefix eq '/usr';
    }
    cmp_ok($checked, '>=', 5, "$prefix: the pages name installed paths ($checked checked)");

    # the configuration is root's only: vigild (root) runs what it says
    my @cs = stat("$dest/etc/vigil/vigil.yaml");
    is(@cs ? sprintf('%04o', $cs[2] & 07777) : 'missing', '0600', "$prefix: /etc/vigil/vigil.yaml installed 0600");

    # the installed vigild looks for handlers in PREFIX's directory (which
    # is not there on this machine: only under DESTDIR)
    my $cfg = write_file("$dest/c.yaml", "control_socket: $dest/sock\n");
    ($rc, $out, $err) = run_cmd(["$dest$prefix/sbin/vigild", '-c', $cfg, '-s', 'no-such-handler',
                                 '--check-config'], timeout => 30);
    like($err, qr{nor in \Q$prefix\E/share/vigil/handlers \(}, "$prefix: the installed vigild looks in $prefix/share/vigil/handlers");
    ok(-f "$dest$prefix/share/vigil/handlers/syscall-top.pl", '... where syscall-top.pl is installed');

    # the unit starts the installed vigild
    my ($unit) = grep { -f } map { "$dest$_/systemd/system/vigild.service" } "$prefix/lib", '/lib';
    ok($unit, "$prefix: vigild.service installed") or next;
    my ($exec) = slurp($unit) =~ /^ExecStart=(\S+)/m;
    is($exec, "$prefix/sbin/vigild", '... its ExecStart is the installed vigild');
    ok(-x "$dest$exec", '... which is there');
}

done_testing;
