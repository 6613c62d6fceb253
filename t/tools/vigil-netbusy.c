// SPDX-License-Identifier: GPL-2.0
/*
 * vigil-netbusy - a process busy receiving network packets and waking
 * another process (the filter context test).
 *
 *   vigil-netbusy COUNT
 *
 * Forks a partner process, prints "pid=<own pid> partner=<partner pid>"
 * (flushed), then COUNT times: sends a UDP datagram of 1234 bytes to its
 * own socket on 127.0.0.1 (the loopback device receives it in a softirq
 * while this process is current: one net:netif_receive_skb of skb->len
 * 1262, IPv4 + UDP headers included), receives it, and hands a byte to
 * the partner through a pipe and waits for its answer on another (the
 * partner sleeps in read(): this process wakes it up and switches away
 * while waiting), then sleeps 1 us 20 times (clock_nanosleep: the hrtimer's
 * interrupt often fires before this process has scheduled away, and
 * wakes it while it is still current: a sched_wakeup of itself in
 * interrupt context).  Prints "sent=<COUNT>" at the end.  Exit 1 on any
 * failure, with a message naming the call.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAYLOAD 1234

static void fail(const char *what)
{
	fprintf(stderr, "vigil-netbusy: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	static char buf[PAYLOAD], in[PAYLOAD + 1];
	const struct timespec nap = { 0, 1000 };
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int to_partner[2], from_partner[2];
	long count, i, j;
	pid_t partner;
	char c;
	int s;

	if (argc != 2 || (count = atol(argv[1])) < 1) {
		fprintf(stderr, "usage: vigil-netbusy COUNT\n");
		return 1;
	}
	if (pipe(to_partner) || pipe(from_partner))
		fail("pipe");
	partner = fork();
	if (partner < 0)
		fail("fork");
	if (!partner) {
		/* the partner: answer each byte until the pipe closes */
		close(to_partner[1]);
		close(from_partner[0]);
		fclose(stdout);
		while (read(to_partner[0], &c, 1) == 1)
			if (write(from_partner[1], &c, 1) != 1)
				_exit(1);
		_exit(0);
	}
	close(to_partner[0]);
	close(from_partner[1]);
	printf("pid=%d partner=%d\n", (int)getpid(), (int)partner);
	fflush(stdout);

	s = socket(AF_INET, SOCK_DGRAM, 0);
	if (s < 0)
		fail("socket");
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(s, (struct sockaddr *)&a, sizeof(a)))
		fail("bind 127.0.0.1");
	if (getsockname(s, (struct sockaddr *)&a, &alen))
		fail("getsockname");
	memset(buf, 'v', sizeof(buf));
	for (i = 0; i < count; i++) {
		if (sendto(s, buf, sizeof(buf), 0, (struct sockaddr *)&a,
			   sizeof(a)) != PAYLOAD)
			fail("sendto 127.0.0.1");
		if (recv(s, in, sizeof(in), 0) != PAYLOAD)
			fail("recv");
		c = 'x';
		if (write(to_partner[1], &c, 1) != 1)
			fail("write to the partner");
		if (read(from_partner[0], &c, 1) != 1)
			fail("read from the partner");
		for (j = 0; j < 20; j++)
			if (clock_nanosleep(CLOCK_MONOTONIC, 0, &nap, NULL))
				fail("clock_nanosleep");
	}
	close(to_partner[1]);
	if (waitpid(partner, NULL, 0) != partner)
		fail("waitpid");
	printf("sent=%ld\n", count);
	return 0;
}
