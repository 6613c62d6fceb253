/* Syscall numbers for the tests (x86_64 values), in the shape of
 * asm/unistd_64.h: "#define __NR_name number". */
#ifndef VIGIL_TEST_UNISTD_SUBSET_H
#define VIGIL_TEST_UNISTD_SUBSET_H 1

#define __NR_read 0
#define __NR_write 1
#define __NR_close 3
#define __NR_stat 4
#define __NR_mmap 9
#define __NR_sendfile 40
#define __NR_getpid 39
#define __NR_clone 56
#define __NR_execve 59
#define __NR_rename 82
#define __NR_umount2 166
#define __NR_openat 257
#define __NR_notraced 333

#endif
