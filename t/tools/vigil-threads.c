// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-threads - a process with many sleeping threads (the statedump
 * test).
 *
 *   vigil-threads COUNT
 *
 * Creates COUNT threads (small stacks) that all sleep until the process
 * ends, then prints "ready pid=<pid> threads=<COUNT + 1>" (flushed) and
 * waits until its standard input reaches end of file.  Exit 1 with a
 * message if a thread cannot be created.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void *sleeper(void *arg)
{
	(void)arg;
	for (;;)
		pause();
	return NULL;
}

int main(int argc, char **argv)
{
	pthread_attr_t attr;
	pthread_t th;
	long count, i;
	char c;
	int err;

	if (argc != 2 || (count = atol(argv[1])) < 1) {
		fprintf(stderr, "usage: vigil-threads COUNT\n");
		return 1;
	}
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 64 * 1024);
	for (i = 0; i < count; i++) {
		err = pthread_create(&th, &attr, sleeper, NULL);
		if (err) {
			fprintf(stderr, "vigil-threads: thread %ld: %s\n", i,
				strerror(err));
			return 1;
		}
	}
	printf("ready pid=%d threads=%ld\n", (int)getpid(), count + 1);
	fflush(stdout);
	while (read(0, &c, 1) > 0)
		;
	return 0;
}
