/*
 * vg_sysconst.h - the names and values of the flags and codes system
 * call arguments carry (open flags, mmap protections, access modes,
 * fcntl commands, ...), as the C library's headers define them where
 * vigil is built: the values are never typed here, so they cannot
 * drift from the kernel's.  Vigil::Syscall (perl/lib/Vigil/Syscall.pm)
 * decodes arguments with them (Vigil::_sysconsts, perl/sysconst.xsh);
 * which argument of which syscall is of which group is said there.
 *
 * A group is a set of names for one kind of argument.  Its entries are
 *   VG_SC_FLAG  a bit (or bits) that may be or-ed with others;
 *   VG_SC_ENUM  one value of the group's field (the bits of its
 *               VG_SC_MASK entry; the whole value when it has none);
 *   VG_SC_MASK  the bits that hold one VG_SC_ENUM value, the rest being
 *               flags (O_ACCMODE of the open flags);
 *   VG_SC_ZERO  the name of the value 0 (PROT_NONE, F_OK).
 * Needs _GNU_SOURCE (Perl's compiler flags have it).
 */
#ifndef VG_SYSCONST_H
#define VG_SYSCONST_H

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

enum { VG_SC_FLAG = 'f', VG_SC_ENUM = 'e', VG_SC_MASK = 'm', VG_SC_ZERO = 'z' };

typedef struct {
	const char *group;
	const char *name;
	long long value;
	char role;
} VgSysConst;

#define VG_SC(g, r, n)	{ g, #n, (long long)(n), r },

static const VgSysConst vg_sysconsts[] = {
	/* open(2), openat(2); pipe2, dup3, eventfd2, ... take some of them */
	VG_SC("open", VG_SC_MASK, O_ACCMODE)
	VG_SC("open", VG_SC_ENUM, O_RDONLY)
	VG_SC("open", VG_SC_ENUM, O_WRONLY)
	VG_SC("open", VG_SC_ENUM, O_RDWR)
	VG_SC("open", VG_SC_FLAG, O_CREAT)
	VG_SC("open", VG_SC_FLAG, O_EXCL)
	VG_SC("open", VG_SC_FLAG, O_NOCTTY)
	VG_SC("open", VG_SC_FLAG, O_TRUNC)
	VG_SC("open", VG_SC_FLAG, O_APPEND)
	VG_SC("open", VG_SC_FLAG, O_NONBLOCK)
	VG_SC("open", VG_SC_FLAG, O_DSYNC)
	VG_SC("open", VG_SC_FLAG, O_SYNC)
	VG_SC("open", VG_SC_FLAG, O_ASYNC)
	VG_SC("open", VG_SC_FLAG, O_DIRECT)
	VG_SC("open", VG_SC_FLAG, O_DIRECTORY)
	VG_SC("open", VG_SC_FLAG, O_NOFOLLOW)
	VG_SC("open", VG_SC_FLAG, O_NOATIME)
	VG_SC("open", VG_SC_FLAG, O_CLOEXEC)
	VG_SC("open", VG_SC_FLAG, O_PATH)
	VG_SC("open", VG_SC_FLAG, O_TMPFILE)
	/* the *at(2) calls' directory and flags */
	VG_SC("dirfd", VG_SC_ENUM, AT_FDCWD)
	VG_SC("at", VG_SC_FLAG, AT_SYMLINK_NOFOLLOW)
	VG_SC("at", VG_SC_FLAG, AT_REMOVEDIR)
	VG_SC("at", VG_SC_FLAG, AT_SYMLINK_FOLLOW)
	VG_SC("at", VG_SC_FLAG, AT_NO_AUTOMOUNT)
	VG_SC("at", VG_SC_FLAG, AT_EMPTY_PATH)
#ifdef AT_RECURSIVE
	VG_SC("at", VG_SC_FLAG, AT_RECURSIVE)
#endif
	/* mmap(2), mprotect(2) */
	VG_SC("prot", VG_SC_ZERO, PROT_NONE)
	VG_SC("prot", VG_SC_FLAG, PROT_READ)
	VG_SC("prot", VG_SC_FLAG, PROT_WRITE)
	VG_SC("prot", VG_SC_FLAG, PROT_EXEC)
	VG_SC("prot", VG_SC_FLAG, PROT_GROWSDOWN)
	VG_SC("prot", VG_SC_FLAG, PROT_GROWSUP)
	VG_SC("map", VG_SC_MASK, MAP_TYPE)
	VG_SC("map", VG_SC_ENUM, MAP_SHARED)
	VG_SC("map", VG_SC_ENUM, MAP_PRIVATE)
#ifdef MAP_SHARED_VALIDATE
	VG_SC("map", VG_SC_ENUM, MAP_SHARED_VALIDATE)
#endif
	VG_SC("map", VG_SC_FLAG, MAP_FIXED)
	VG_SC("map", VG_SC_FLAG, MAP_ANONYMOUS)
	VG_SC("map", VG_SC_FLAG, MAP_GROWSDOWN)
	VG_SC("map", VG_SC_FLAG, MAP_DENYWRITE)
	VG_SC("map", VG_SC_FLAG, MAP_EXECUTABLE)
	VG_SC("map", VG_SC_FLAG, MAP_LOCKED)
	VG_SC("map", VG_SC_FLAG, MAP_NORESERVE)
	VG_SC("map", VG_SC_FLAG, MAP_POPULATE)
	VG_SC("map", VG_SC_FLAG, MAP_NONBLOCK)
	VG_SC("map", VG_SC_FLAG, MAP_STACK)
	VG_SC("map", VG_SC_FLAG, MAP_HUGETLB)
#ifdef MAP_SYNC
	VG_SC("map", VG_SC_FLAG, MAP_SYNC)
#endif
#ifdef MAP_FIXED_NOREPLACE
	VG_SC("map", VG_SC_FLAG, MAP_FIXED_NOREPLACE)
#endif
	/* access(2), faccessat(2) */
	VG_SC("access", VG_SC_ZERO, F_OK)
	VG_SC("access", VG_SC_FLAG, R_OK)
	VG_SC("access", VG_SC_FLAG, W_OK)
	VG_SC("access", VG_SC_FLAG, X_OK)
	/* lseek(2) */
	VG_SC("seek", VG_SC_ENUM, SEEK_SET)
	VG_SC("seek", VG_SC_ENUM, SEEK_CUR)
	VG_SC("seek", VG_SC_ENUM, SEEK_END)
	VG_SC("seek", VG_SC_ENUM, SEEK_DATA)
	VG_SC("seek", VG_SC_ENUM, SEEK_HOLE)
	/* fcntl(2) */
	VG_SC("fcntl", VG_SC_ENUM, F_DUPFD)
	VG_SC("fcntl", VG_SC_ENUM, F_GETFD)
	VG_SC("fcntl", VG_SC_ENUM, F_SETFD)
	VG_SC("fcntl", VG_SC_ENUM, F_GETFL)
	VG_SC("fcntl", VG_SC_ENUM, F_SETFL)
	VG_SC("fcntl", VG_SC_ENUM, F_GETLK)
	VG_SC("fcntl", VG_SC_ENUM, F_SETLK)
	VG_SC("fcntl", VG_SC_ENUM, F_SETLKW)
	VG_SC("fcntl", VG_SC_ENUM, F_SETOWN)
	VG_SC("fcntl", VG_SC_ENUM, F_GETOWN)
	VG_SC("fcntl", VG_SC_ENUM, F_SETSIG)
	VG_SC("fcntl", VG_SC_ENUM, F_GETSIG)
	VG_SC("fcntl", VG_SC_ENUM, F_OFD_GETLK)
	VG_SC("fcntl", VG_SC_ENUM, F_OFD_SETLK)
	VG_SC("fcntl", VG_SC_ENUM, F_OFD_SETLKW)
	VG_SC("fcntl", VG_SC_ENUM, F_SETLEASE)
	VG_SC("fcntl", VG_SC_ENUM, F_GETLEASE)
	VG_SC("fcntl", VG_SC_ENUM, F_NOTIFY)
	VG_SC("fcntl", VG_SC_ENUM, F_DUPFD_CLOEXEC)
	VG_SC("fcntl", VG_SC_ENUM, F_SETPIPE_SZ)
	VG_SC("fcntl", VG_SC_ENUM, F_GETPIPE_SZ)
	VG_SC("fcntl", VG_SC_ENUM, F_ADD_SEALS)
	VG_SC("fcntl", VG_SC_ENUM, F_GET_SEALS)
	/* socket(2), socketpair(2); accept4 takes the flags */
	VG_SC("af", VG_SC_ENUM, AF_UNSPEC)
	VG_SC("af", VG_SC_ENUM, AF_UNIX)
	VG_SC("af", VG_SC_ENUM, AF_INET)
	VG_SC("af", VG_SC_ENUM, AF_INET6)
	VG_SC("af", VG_SC_ENUM, AF_NETLINK)
	VG_SC("af", VG_SC_ENUM, AF_PACKET)
	VG_SC("af", VG_SC_ENUM, AF_VSOCK)
	/* the socket type is the low 4 bits (the kernel's SOCK_TYPE_MASK,
	 * which no user header has), the rest flags */
	{ "sock", "SOCK_TYPE_MASK", 0xf, VG_SC_MASK },
	VG_SC("sock", VG_SC_ENUM, SOCK_STREAM)
	VG_SC("sock", VG_SC_ENUM, SOCK_DGRAM)
	VG_SC("sock", VG_SC_ENUM, SOCK_RAW)
	VG_SC("sock", VG_SC_ENUM, SOCK_RDM)
	VG_SC("sock", VG_SC_ENUM, SOCK_SEQPACKET)
	VG_SC("sock", VG_SC_ENUM, SOCK_PACKET)
	VG_SC("sock", VG_SC_FLAG, SOCK_NONBLOCK)
	VG_SC("sock", VG_SC_FLAG, SOCK_CLOEXEC)
	/* clone(2): the low byte is the signal sent at the child's exit */
	VG_SC("clone", VG_SC_MASK, CSIGNAL)
	VG_SC("clone", VG_SC_FLAG, CLONE_VM)
	VG_SC("clone", VG_SC_FLAG, CLONE_FS)
	VG_SC("clone", VG_SC_FLAG, CLONE_FILES)
	VG_SC("clone", VG_SC_FLAG, CLONE_SIGHAND)
#ifdef CLONE_PIDFD
	VG_SC("clone", VG_SC_FLAG, CLONE_PIDFD)
#endif
	VG_SC("clone", VG_SC_FLAG, CLONE_PTRACE)
	VG_SC("clone", VG_SC_FLAG, CLONE_VFORK)
	VG_SC("clone", VG_SC_FLAG, CLONE_PARENT)
	VG_SC("clone", VG_SC_FLAG, CLONE_THREAD)
	VG_SC("clone", VG_SC_FLAG, CLONE_NEWNS)
	VG_SC("clone", VG_SC_FLAG, CLONE_SYSVSEM)
	VG_SC("clone", VG_SC_FLAG, CLONE_SETTLS)
	VG_SC("clone", VG_SC_FLAG, CLONE_PARENT_SETTID)
	VG_SC("clone", VG_SC_FLAG, CLONE_CHILD_CLEARTID)
	VG_SC("clone", VG_SC_FLAG, CLONE_UNTRACED)
	VG_SC("clone", VG_SC_FLAG, CLONE_CHILD_SETTID)
	VG_SC("clone", VG_SC_FLAG, CLONE_NEWCGROUP)
	VG_SC("clone", VG_SC_FLAG, CLONE_NEWUTS)
	VG_SC("clone", VG_SC_FLAG, CLONE_NEWIPC)
	VG_SC("clone", VG_SC_FLAG, CLONE_NEWUSER)
	VG_SC("clone", VG_SC_FLAG, CLONE_NEWPID)
	VG_SC("clone", VG_SC_FLAG, CLONE_NEWNET)
	VG_SC("clone", VG_SC_FLAG, CLONE_IO)
	/* wait4(2), waitid(2) */
	VG_SC("wait", VG_SC_FLAG, WNOHANG)
	VG_SC("wait", VG_SC_FLAG, WUNTRACED)
	VG_SC("wait", VG_SC_FLAG, WEXITED)
	VG_SC("wait", VG_SC_FLAG, WCONTINUED)
	VG_SC("wait", VG_SC_FLAG, WNOWAIT)
	VG_SC("wait", VG_SC_FLAG, __WNOTHREAD)
	VG_SC("wait", VG_SC_FLAG, __WALL)
	VG_SC("wait", VG_SC_FLAG, __WCLONE)
	/* rt_sigprocmask(2) */
	VG_SC("sighow", VG_SC_ENUM, SIG_BLOCK)
	VG_SC("sighow", VG_SC_ENUM, SIG_UNBLOCK)
	VG_SC("sighow", VG_SC_ENUM, SIG_SETMASK)
};

#undef VG_SC

#endif
