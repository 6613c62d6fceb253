#!/usr/bin/perl
# Vigil::Syscall: syscall arguments and results as strace shows them.
# The flag values come from the C headers (perl/vg_sysconst.h through
# Vigil::_sysconsts); here they are checked against what perl itself
# was built with (Fcntl, POSIX, Socket, Errno, Config), so a table that
# drifted from the system would fail.
use strict;
use warnings;
no warnings 'portable';	# 64-bit addresses
use FindBin;
use Test::More;
use Fcntl ();
use POSIX ();
use Socket ();

use lib map { ("$FindBin::Bin/../../$_/blib/lib", "$FindBin::Bin/../../$_/blib/arch") } ('perl', '.');

my $loaded = eval { require Vigil::Syscall; Vigil::Syscall->import(qw(call_text ret_text
    flags_text errno_name errno_text signal_name)); 1 };
ok($loaded, 'Vigil::Syscall loads from the built module (run make first)')
    or diag($@), done_testing(), exit 1;

my %const = map { $_->[1] => $_->[2] } Vigil::_sysconsts();
is($const{O_CREAT}, Fcntl::O_CREAT(), 'O_CREAT is the system\'s');
is($const{O_NONBLOCK}, Fcntl::O_NONBLOCK(), 'O_NONBLOCK too');
is($const{O_DIRECTORY}, Fcntl::O_DIRECTORY(), 'O_DIRECTORY too');
is($const{SEEK_END}, Fcntl::SEEK_END(), 'SEEK_END');
is($const{F_SETFL}, Fcntl::F_SETFL(), 'F_SETFL');
is($const{R_OK}, POSIX::R_OK(), 'R_OK');
is($const{WNOHANG}, POSIX::WNOHANG(), 'WNOHANG');
is($const{AF_INET6}, Socket::AF_INET6(), 'AF_INET6');
is($const{SOCK_CLOEXEC}, Socket::SOCK_CLOEXEC(), 'SOCK_CLOEXEC');

is(flags_text('open', Fcntl::O_WRONLY() | Fcntl::O_CREAT() | Fcntl::O_TRUNC()),
   'O_WRONLY|O_CREAT|O_TRUNC', 'open flags: the access mode, then the flags in the headers\' order');
is(flags_text('open', $const{O_RDONLY} | $const{O_CLOEXEC}), 'O_RDONLY|O_CLOEXEC', 'O_RDONLY|O_CLOEXEC');
is(flags_text('open', Fcntl::O_SYNC()), 'O_RDONLY|O_SYNC', 'a flag of several bits (O_SYNC holds O_DSYNC\'s) is one name');
is(flags_text('open', $const{O_RDWR} | 0x40000000), 'O_RDWR|0x40000000', 'bits without a name in hex');
is(flags_text('prot', 0), 'PROT_NONE', 'PROT_NONE for 0');
is(flags_text('prot', 5), 'PROT_READ|PROT_EXEC', 'protections');
is(flags_text('access', 0), 'F_OK', 'F_OK for 0');
is(flags_text('map', $const{MAP_SHARED} | $const{MAP_FIXED}), 'MAP_SHARED|MAP_FIXED', 'map type and flags');
is(flags_text('seek', 1), 'SEEK_CUR', 'an enumeration');
is(flags_text('seek', 77), '77', '... a value it lacks as a number');
is(flags_text('clone', $const{CLONE_VM} | 17), 'SIGCHLD|CLONE_VM', 'clone: the exit signal, then the flags');
is(flags_text('sock', $const{SOCK_DGRAM} | $const{SOCK_NONBLOCK}), 'SOCK_DGRAM|SOCK_NONBLOCK', 'socket type and flags');
ok(!eval { flags_text('nope', 1); 1 } && $@ =~ /no group 'nope'/, 'an unknown group dies');

is(errno_name(POSIX::ENOENT()), 'ENOENT', 'errno names from the system\'s errno.h');
is(errno_name(POSIX::EAGAIN()), 'EAGAIN', '... EAGAIN of its synonyms');
is(errno_name(512), 'ERESTARTSYS', '... and the kernel-internal ones');
is(errno_name(100000), undef, 'an unknown one is undef');
is(errno_text(POSIX::ENOENT()), 'ENOENT (' . POSIX::strerror(POSIX::ENOENT()) . ')', 'errno_text: the C library\'s text');
is(signal_name(9), 'SIGKILL', 'signal names');

is(call_text('openat', [[dfd => -100], [filename => '/etc/passwd'], [flags => 0x80000], [mode => 0]]),
   'openat(AT_FDCWD, "/etc/passwd", O_RDONLY|O_CLOEXEC)', 'openat: the mode only with O_CREAT');
is(call_text('openat', [[dfd => 4294967196], [filename => 0x1000, 1], [flags => 0x241], [mode => 0644]]),
   'openat(AT_FDCWD, 0x1000, O_WRONLY|O_CREAT|O_TRUNC, 0644)',
   'an int read unsigned is AT_FDCWD; a path the event has as a pointer in hex; the mode in octal');
is(call_text('mmap', [[addr => 0], [len => 4096], [prot => 3], [flags => 0x22], [fd => 18446744073709551615], [off => 0]]),
   'mmap(NULL, 4096, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0)', 'mmap: NULL, fd -1');
is(call_text('access', [[filename => "a\"b\n\x01"], [mode => 6]]), 'access("a\"b\n\x01", R_OK|W_OK)',
   'paths quoted and escaped; access modes');
is(call_text('kill', [[pid => 12], [sig => 15]]), 'kill(12, SIGTERM)', 'signals by name');
is(ret_text('openat', -2), '-1 ENOENT (' . POSIX::strerror(2) . ')', 'a failure: -1, the errno name and text');
is(ret_text('mmap', 0x7f0000001000), '0x7f0000001000', 'mmap returns an address');
is(ret_text('read', 42), '42', 'a count');
is(ret_text('lseek', -5000), '-5000', 'below -4095 is no error');

done_testing();
