// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-annotate-flood - several threads write to /dev/vigil_annotate as
 * fast as they can for a while (the annotation rate limit test).
 *
 *   vigil-annotate-flood WRITERS SECONDS
 *
 * Each writer opens the device itself.  All start together; each stops
 * at the deadline.  Prints
 *   accepted=A refused=R other=O elapsed_ns=E
 * where E runs from just before the first write to just after the last
 * one ended, so every accepted write was taken by the kernel inside it.
 * Exit 1 if a write fails with anything but EAGAIN.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_WRITERS 64

static pthread_barrier_t start;
static uint64_t deadline;

struct writer {
	pthread_t th;
	int fd;
	long accepted, refused, other;
	uint64_t last_end;
};

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + ts.tv_nsec;
}

static void *writer(void *arg)
{
	struct writer *w = arg;
	uint64_t t;

	pthread_barrier_wait(&start);
	do {
		if (write(w->fd, "flood", 5) == 5)
			w->accepted++;
		else if (errno == EAGAIN)
			w->refused++;
		else
			w->other++;
		t = now_ns();
	} while (t < deadline);
	w->last_end = t;
	return NULL;
}

int main(int argc, char **argv)
{
	struct writer w[MAX_WRITERS];
	long accepted = 0, refused = 0, other = 0;
	uint64_t t0, end = 0;
	int n, secs, i;

	if (argc != 3 || (n = atoi(argv[1])) < 1 || n > MAX_WRITERS ||
	    (secs = atoi(argv[2])) < 1) {
		fprintf(stderr, "usage: vigil-annotate-flood WRITERS(1..%d) SECONDS\n",
			MAX_WRITERS);
		return 1;
	}
	memset(w, 0, sizeof(w));
	for (i = 0; i < n; i++) {
		w[i].fd = open("/dev/vigil_annotate", O_WRONLY);
		if (w[i].fd < 0) {
			perror("vigil-annotate-flood: open /dev/vigil_annotate");
			return 1;
		}
	}
	pthread_barrier_init(&start, NULL, n + 1);
	for (i = 0; i < n; i++)
		if (pthread_create(&w[i].th, NULL, writer, &w[i])) {
			fprintf(stderr, "vigil-annotate-flood: pthread_create failed\n");
			return 1;
		}
	/* the clock starts before any writer can write */
	t0 = now_ns();
	deadline = t0 + (uint64_t)secs * 1000000000ULL;
	pthread_barrier_wait(&start);
	for (i = 0; i < n; i++) {
		pthread_join(w[i].th, NULL);
		accepted += w[i].accepted;
		refused += w[i].refused;
		other += w[i].other;
		if (w[i].last_end > end)
			end = w[i].last_end;
	}
	printf("accepted=%ld refused=%ld other=%ld elapsed_ns=%llu\n",
	       accepted, refused, other, (unsigned long long)(end - t0));
	return other ? 1 : 0;
}
