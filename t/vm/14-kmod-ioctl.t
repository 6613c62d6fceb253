#!/usr/bin/perl
# /dev/vigil validates every ioctl argument (-EINVAL, -EFAULT, -EBUSY for
# the wrong state or another fd, -ENOENT, -ENOTTY), /dev/vigil_annotate
# bounds its writes, and one session can start and stop tracing many
# times; the buffer fds allow only a read-only mapping and poll and
# outlive their session; CONSUME refuses steps it cannot take; all
# with a clean kernel log (vm-run fails on any warning).
use strict;
use warnings;
use FindBin;
use lib "$FindBin::Bin/../lib";
use Test::More;
use VigilVM;

vm_skip_unless_available('ioctl validation test');
my $root = VigilVM::repo_root();
system('make', '-s', '-C', "$root/kmod", 'tools') == 0
    or BAIL_OUT('cannot build kmod/tools');

my $r = vm_run(cmd => 'kmod/tools/vigil-ioctl-check --cycles 100', timeout => 300);
is($r->{exit}, 0, 'the ioctl checks ran in the VM with a clean kernel log and clean unload')
    or diag($r->{output});
my %got = $r->{output} =~ /^case (\S+) (\S+)$/mg;

my @expect = (
    [start_unconfigured      => EBUSY  => 'START before CONFIGURE is refused (state)'],
    [event_unconfigured      => EBUSY  => 'EVENT before CONFIGURE is refused (state)'],
    [cfg_abi_version         => EINVAL => 'CONFIGURE rejects an unknown abi_version'],
    [cfg_mode                => EINVAL => 'CONFIGURE rejects an unknown mode'],
    [cfg_subbuf_not_pow2     => EINVAL => 'CONFIGURE rejects a sub-buffer size that is not a power of 2'],
    [cfg_subbuf_too_small    => EINVAL => 'CONFIGURE rejects sub-buffers under 4 KiB'],
    [cfg_subbuf_too_big      => EINVAL => 'CONFIGURE rejects sub-buffers over 64 MiB'],
    [cfg_nsubbufs_1          => EINVAL => 'CONFIGURE rejects fewer than 2 sub-buffers'],
    [cfg_nsubbufs_5000       => EINVAL => 'CONFIGURE rejects more than 4096 sub-buffers'],
    [cfg_too_much_memory     => ENOMEM => 'CONFIGURE refuses buffers larger than half of the RAM'],
    [cfg_unknown_flag        => EINVAL => 'CONFIGURE rejects unknown flags'],
    [cfg_reserved            => EINVAL => 'CONFIGURE rejects non-zero reserved fields'],
    [cfg_null_pointer        => EFAULT => 'CONFIGURE with a NULL argument is -EFAULT'],
    [cfg_bad_pointer         => EFAULT => 'CONFIGURE with an unmapped argument is -EFAULT'],
    [cfg_good                => 0      => 'a valid CONFIGURE succeeds'],
    [cfg_other_fd            => EBUSY  => 'a second fd cannot configure while the first owns the session'],
    [start_other_fd          => EBUSY  => 'a second fd cannot START the owner\'s session'],
    [event_name_unterminated => EINVAL => 'EVENT rejects a name without NUL'],
    [event_unknown           => ENOENT => 'EVENT on an unknown event name is -ENOENT'],
    [event_enable_2          => EINVAL => 'EVENT rejects enable values other than 0/1'],
    [event_reserved          => EINVAL => 'EVENT rejects non-zero reserved'],
    [event_bad_pointer       => EFAULT => 'EVENT with an unmapped argument is -EFAULT'],
    [event_good              => 0      => 'EVENT enables raw_syscalls:sys_enter'],
    [event_annotation        => 0      => 'EVENT enables vigil:annotation'],
    [filter_type             => EINVAL => 'FILTER rejects an unknown type'],
    [filter_too_many         => EINVAL => 'FILTER rejects more than VIGIL_FILTER_MAX_IDS ids'],
    [filter_bad_ids_pointer  => EFAULT => 'FILTER with an unmapped id array is -EFAULT'],
    [filter_null_ids         => EINVAL => 'FILTER with count > 0 and a NULL id array is -EINVAL'],
    [filter_negative_pid     => EINVAL => 'FILTER rejects negative pids'],
    [filter_syscall_range    => EINVAL => 'FILTER rejects syscall numbers beyond NR_syscalls'],
    [filter_syscall_good     => 0      => 'a valid syscall filter is accepted'],
    [filter_clear            => 0      => 'count 0 clears a filter'],
    [kprobe_unknown_symbol   => ENOENT => 'ADD_KPROBE on an unknown symbol is -ENOENT'],
    [kprobe_nargs_7          => EINVAL => 'ADD_KPROBE rejects more than 6 arguments'],
    [kprobe_retprobe_2       => EINVAL => 'ADD_KPROBE rejects retprobe values other than 0/1'],
    [kprobe_empty_name       => EINVAL => 'ADD_KPROBE rejects an empty name'],
    [kprobe_name_with_space  => EINVAL => 'ADD_KPROBE rejects names that are not identifiers'],
    [kprobe_reserved         => EINVAL => 'ADD_KPROBE rejects non-zero reserved'],
    [kprobe_good             => 0      => 'ADD_KPROBE on __x64_sys_getppid succeeds'],
    [kprobe_duplicate        => EEXIST => 'ADD_KPROBE with a name in use is -EEXIST'],
    [kprobe_del_unknown      => ENOENT => 'DEL_KPROBE of an unknown name is -ENOENT'],
    [kprobe_del_good         => 0      => 'DEL_KPROBE removes the kprobe'],
    [kprobe_del_twice        => ENOENT => 'DEL_KPROBE of an already deleted kprobe is -ENOENT'],
    [kprobe_name_reuse_same_buffers => EEXIST => 'a deleted kprobe\'s name is not reused while its records may be in the buffers'],
    [kprobe_after_del        => 0      => 'a new kprobe can be added after a delete'],
    [addchan_abi_version     => EINVAL => 'ADD_CHANNEL rejects an unknown abi_version'],
    [addchan_mode            => EINVAL => 'ADD_CHANNEL rejects an unknown mode'],
    [addchan_subbuf_not_pow2 => EINVAL => 'ADD_CHANNEL rejects a sub-buffer size that is not a power of 2'],
    [addchan_nsubbufs_1      => EINVAL => 'ADD_CHANNEL rejects fewer than 2 sub-buffers'],
    [addchan_switch          => EINVAL => 'ADD_CHANNEL rejects a switch interval over 60 s'],
    [addchan_reserved        => EINVAL => 'ADD_CHANNEL rejects non-zero reserved fields'],
    [addchan_channel_set     => EINVAL => 'ADD_CHANNEL rejects a channel number given in (it is an output)'],
    [addchan_too_much_memory => ENOMEM => 'ADD_CHANNEL refuses buffers that would take more than half of the RAM with the others'],
    [addchan_other_fd        => EBUSY  => 'another fd cannot add a channel to the owner\'s session'],
    [addchan_bad_pointer     => EFAULT => 'ADD_CHANNEL with an unmapped argument is -EFAULT'],
    [addchan_good            => 0      => 'ADD_CHANNEL adds a flight channel'],
    [addchan_too_many        => ENOSPC => 'ADD_CHANNEL beyond VIGIL_MAX_CHANNELS is -ENOSPC'],
    [evchan_no_channel       => EINVAL => 'EVENT_CHANNEL rejects a channel that does not exist'],
    [evchan_reserved         => EINVAL => 'EVENT_CHANNEL rejects non-zero reserved'],
    [evchan_unknown          => ENOENT => 'EVENT_CHANNEL on an unknown event is -ENOENT'],
    [evchan_unterminated     => EINVAL => 'EVENT_CHANNEL rejects a name without NUL'],
    [evchan_other_fd         => EBUSY  => 'another fd cannot route the owner\'s events'],
    [evchan_good             => 0      => 'EVENT_CHANNEL routes sched_process_fork to channel 1'],
    [chanpos_no_channel      => EINVAL => 'CHAN_GET_POS rejects a channel that does not exist'],
    [chanpos_reserved        => EINVAL => 'CHAN_GET_POS rejects non-zero reserved'],
    [chanpos_good            => 0      => 'CHAN_GET_POS of channel 1, CPU 0 succeeds'],
    [chanconsume_beyond      => EINVAL => 'CHAN_CONSUME beyond the produced count is -EINVAL'],
    [chanbuf_no_channel      => EINVAL => 'CHAN_BUFFER_FD rejects a channel that does not exist'],
    [chanbuf_reserved        => EINVAL => 'CHAN_BUFFER_FD rejects non-zero reserved'],
    [chanbuf_good            => 0      => 'CHAN_BUFFER_FD hands out channel 1\'s buffer of CPU 0'],
    [chanpause_not_running   => EBUSY  => 'CHAN_PAUSE when not running is refused (state)'],
    [chanstats_no_channel    => EINVAL => 'CHAN_STATS rejects a channel that does not exist'],
    [chanstats_other_fd      => 0      => 'CHAN_STATS works from any fd'],
    [addchan_while_running   => EBUSY  => 'ADD_CHANNEL while running is refused (state)'],
    [evchan_while_running    => EBUSY  => 'EVENT_CHANNEL while running is refused (the writers read the map)'],
    [chanpause_bad_value     => EINVAL => 'CHAN_PAUSE rejects pause values other than 0/1'],
    [chanresume_not_paused   => EBUSY  => 'CHAN_PAUSE 0 of a channel not paused is refused (state)'],
    [chanpause_good          => 0      => 'CHAN_PAUSE pauses one channel while running'],
    [chanpause_twice         => EBUSY  => 'a second CHAN_PAUSE is refused (state)'],
    [chanresume_good         => 0      => 'CHAN_PAUSE 0 resumes it'],
    [getpos_bad_cpu          => EINVAL => 'GET_POS rejects a CPU number beyond nr_cpu_ids'],
    [getpos_reserved         => EINVAL => 'GET_POS rejects non-zero reserved'],
    [getpos_bad_pointer      => EFAULT => 'GET_POS with an unmapped argument is -EFAULT'],
    [getpos_good             => 0      => 'GET_POS of CPU 0 succeeds'],
    [consume_beyond_produced => EINVAL => 'CONSUME beyond the produced count is -EINVAL'],
    [stats_bad_buf           => EFAULT => 'STATS with an unmapped buffer is -EFAULT'],
    [stats_other_fd          => 0      => 'STATS works from any fd'],
    [unknown_ioctl           => ENOTTY => 'an unknown ioctl number is -ENOTTY'],
    [stop_not_running        => EBUSY  => 'STOP when not running is refused (state)'],
    [pause_not_running       => EBUSY  => 'PAUSE when not running is refused (state)'],
    [annotate_open           => 0      => 'root opens /dev/vigil_annotate for writing'],
    [annotate_not_running    => ENOTCONN => 'an annotation while nothing traces is -ENOTCONN, not silently lost'],
    [start_good              => 0      => 'START succeeds once configured'],
    [start_twice             => EBUSY  => 'a second START is refused (state)'],
    [cfg_while_running       => EBUSY  => 'CONFIGURE while running is refused (state)'],
    [resume_not_paused       => EBUSY  => 'RESUME when not paused is refused (state)'],
    [pause_good              => 0      => 'PAUSE while running succeeds'],
    [pause_twice             => EBUSY  => 'a second PAUSE is refused (state)'],
    [resume_good             => 0      => 'RESUME after PAUSE succeeds'],
    [flush_good              => 0      => 'FLUSH while running succeeds'],
    [annotate_too_long       => EMSGSIZE => 'an annotation over 256 bytes is -EMSGSIZE'],
    [annotate_256            => 0      => 'an annotation of exactly 256 bytes is accepted'],
    [annotate_bad_pointer    => EFAULT => 'an annotation from an unmapped buffer is -EFAULT'],
    [stop_good               => 0      => 'STOP while running succeeds'],
    [bufferfd_bad_cpu        => EINVAL => 'BUFFER_FD rejects a CPU number beyond nr_cpu_ids'],
    [bufferfd_flags          => EINVAL => 'BUFFER_FD rejects unknown flags'],
    [bufferfd_reserved       => EINVAL => 'BUFFER_FD rejects non-zero reserved'],
    [bufferfd_bad_pointer    => EFAULT => 'BUFFER_FD with an unmapped argument is -EFAULT'],
    [bufferfd_other_fd       => EBUSY  => 'another fd cannot take the owner\'s buffers'],
    [bufferfd_good           => 0      => 'BUFFER_FD hands out this CPU\'s buffer as a file descriptor'],
    [buffer_read             => EINVAL => 'the buffer fd has no read(): packets are read from the mapping between GET_POS and CONSUME only'],
    [buffer_splice           => EINVAL => 'the buffer fd has no splice_read() either'],
    [buffer_write            => EBADF  => 'the buffer fd is read-only'],
    [buffer_mmap_shared_write  => EACCES => 'a shared writable mapping of the buffer is refused'],
    [buffer_mmap_private_write => EPERM  => 'a private writable mapping of the buffer is refused'],
    [buffer_mmap_read        => 0      => 'the buffer maps read-only'],
    [buffer_mprotect_write   => EACCES => 'the read-only mapping cannot be made writable'],
    [bufferfd_flush          => 0      => 'FLUSH on a configured, stopped session succeeds'],
    [metadatafd_other_fd     => 0      => 'METADATA_FD works from any fd'],
    [metadata_write          => EBADF  => 'the metadata fd is read-only'],
    [metadata_lseek0         => 0      => 'the metadata fd can be rewound'],
    [cfg_after_owner_closed  => 0      => 'closing the owner fd ends the session: another fd may configure'],
    [flight_cfg              => 0      => 'a flight-mode session is configured'],
    [flight_start            => 0      => 'and started'],
    [consume_more_than_n_subbufs => EINVAL => 'CONSUME by more than n_subbufs at once is -EINVAL, not silently ignored'],
    [consume_n_subbufs       => 0      => 'CONSUME by n_subbufs is taken'],
    [consume_below_consumed  => EINVAL => 'CONSUME below the consumed count is -EINVAL'],
    [flight_stop             => 0      => 'the flight-mode session stops'],
);
for my $e (@expect) {
    my ($case, $want, $name) = @$e;
    is($got{$case}, $want, $name);
}
my %known = map { $_->[0] => 1 } @expect;
is_deeply([grep { !$known{$_} } sort keys %got], [], 'every case the tool ran has an expectation');
like($r->{output}, qr/^addchan_first 1$/m, 'the first channel added is channel 1 (0 is the default one)');
like($r->{output}, qr/^addchan_more 6$/m, 'six more channels fit: VIGIL_MAX_CHANNELS (8) in all');
like($r->{output}, qr/^chanbuf_map ok$/m, 'the channel\'s buffer fd maps read-only');
like($r->{output}, qr/^kprobe_id 1024$/m, 'the first kprobe gets id VIGIL_KPROBE_ID_BASE (1024)');
like($r->{output}, qr/^kprobe_id_after_del 1025$/m, 'a deleted kprobe\'s id is not reused in the same buffers');
my ($pd) = $r->{output} =~ /^pause_discarded_delta (\d+)$/m;
ok(defined $pd && $pd >= 100, 'while paused, 100 getppid entries are counted as discarded (' . ($pd // 'none') . ')');
like($r->{output}, qr/^poll_after_flush POLLIN$/m, 'after FLUSH the CPU\'s buffer fd polls readable');
like($r->{output}, qr/^bufferfd_cloexec yes$/m, 'the buffer fd is close-on-exec');
like($r->{output}, qr/^metadata_text CTF$/m, 'the metadata fd reads the TSDL text');
like($r->{output}, qr/^mapping_after_session magic$/m, 'a mapping made before the session ended still reads its packets');
like($r->{output}, qr/^poll_after_session POLLERR$/m, 'the buffer fd of an ended session polls POLLERR');
like($r->{output}, qr/^flight_produced_ahead yes$/m, 'in flight mode the producer ran more than n_subbufs ahead of the consumer');
like($r->{output}, qr/^cycles 100 0$/m, '100 START/STOP cycles in one session all succeed');
# -EINVAL is explained in the kernel log, naming the field and value
for my $msg ('CONFIGURE: abi_version 99, this module speaks 2',
             'CONFIGURE: subbuf_size 12288 is not a power of 2 in 4096..67108864',
             'CONFIGURE: n_subbufs 5000 is not in 2..4096',
             'CONFIGURE: reserved[3] is not zero',
             'EVENT: name is not NUL-terminated within 64 bytes',
             'FILTER: ids[0] = 100000 is out of range (syscall numbers 0..NR_syscalls-1)',
             'FILTER: ids[0] = -5 is out of range (ids are >= 0)',
             'GET_POS: cpu 9999 has no buffer',
             'BUFFER_FD: cpu 9999 is not a possible CPU',
             'BUFFER_FD: flags 0x1 and reserved 0 must be zero',
             'ADD_CHANNEL: abi_version 99, this module speaks 2',
             'ADD_CHANNEL: subbuf_size 12288 is not a power of 2 in 4096..67108864',
             'ADD_CHANNEL: reserved[1] is not zero',
             'EVENT_CHANNEL sched:sched_process_fork: no channel 99 (8 exist)',
             'GET_POS: no channel 99',
             'CHAN_PAUSE: pause 2 (0 or 1), reserved 0 (0)',
             'kprobe nosuch: unknown symbol vigil_no_such_symbol_xyz') {
    like($r->{kernel_log}, qr/vigil: \Q$msg\E/, "the kernel log explains: $msg");
}
my ($run_log) = $r->{kernel_log} =~ /(vigil-vm: run start.*)/s;
unlike($run_log // '', qr/\b(WARNING|BUG|Oops)\b|Call Trace/, 'no kernel warning during the ioctl checks');

done_testing;
