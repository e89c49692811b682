/*
 * hostpath-probe.c - what the hostPath cases need beyond the shell.
 *
 *   hostpath-probe lock PATH START LEN HOLD_MS [wait]
 *       takes an fcntl write lock (F_SETLKW with "wait", else F_SETLK),
 *       prints "locked" or the errno's name, holds it HOLD_MS, exits
 *   hostpath-probe getlk PATH START LEN
 *       prints "unlocked", "F_RDLCK" or "F_WRLCK" (F_GETLK for a write lock)
 *   hostpath-probe sock-bind PATH        binds a unix socket and exits
 *   hostpath-probe sock-serve PATH       binds, listens, prints "ready",
 *       writes "hello" to one client, exits
 *   hostpath-probe sock-connect PATH     prints what the server wrote, or
 *       the errno's name
 *   hostpath-probe tmpfile DIR           O_TMPFILE in DIR: "0" or the errno
 *   hostpath-probe held-dir DIR GOFILE
 *       opens DIR, prints "open", waits until GOFILE exists, then prints
 *       "read <content|ERRNO>" for DIR/secret through the held fd and
 *       "create <0|ERRNO>" for DIR/new
 *   hostpath-probe race-open PATH CANARY SECONDS
 *       opens, reads and creates beneath PATH ("PATH/secret", "PATH/new")
 *       for SECONDS; prints the number of attempts, or "ESCAPED <what>"
 *       and exits 1 if a read ever returned CANARY
 *   hostpath-probe race-swap DIR A B SECONDS
 *       swaps DIR/A and DIR/B with RENAME_EXCHANGE for SECONDS and prints
 *       the number of swaps
 *
 * Exit 0 unless said otherwise; a bad command line exits 2.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: hostpath-probe lock|getlk|sock-bind|sock-serve|"
		"sock-connect|tmpfile|held-dir|race-open|race-swap ARGS...\n");
	exit(2);
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int do_lock(char **arg, int argc)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = atoll(arg[1]),
		.l_len = atoll(arg[2]),
	};
	int wait = argc > 4 && !strcmp(arg[4], "wait");
	int fd = open(arg[0], O_RDWR | O_CREAT, 0644);

	if (fd < 0 || fcntl(fd, wait ? F_SETLKW : F_SETLK, &fl) < 0) {
		puts(errname(errno));
		return 0;
	}
	puts("locked");
	fflush(stdout);
	usleep(atoi(arg[3]) * 1000);
	return 0;
}

static int do_getlk(char **arg)
{
	struct flock fl = {
		.l_type = F_WRLCK,
		.l_whence = SEEK_SET,
		.l_start = atoll(arg[1]),
		.l_len = atoll(arg[2]),
	};
	int fd = open(arg[0], O_RDONLY);

	if (fd < 0 || fcntl(fd, F_GETLK, &fl) < 0) {
		puts(errname(errno));
		return 0;
	}
	puts(fl.l_type == F_UNLCK ? "unlocked" :
	     fl.l_type == F_RDLCK ? "F_RDLCK" : "F_WRLCK");
	return 0;
}

static int sock_at(const char *path, struct sockaddr_un *sa)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path)) {
		fprintf(stderr, "hostpath-probe: socket path too long\n");
		exit(2);
	}
	strcpy(sa->sun_path, path);
	return socket(AF_UNIX, SOCK_STREAM, 0);
}

static int do_sock(const char *what, const char *path)
{
	struct sockaddr_un sa;
	int s = sock_at(path, &sa), c;
	char buf[64];
	ssize_t n;

	if (!strcmp(what, "sock-connect")) {
		if (connect(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
			puts(errname(errno));
			return 0;
		}
		n = read(s, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		puts(buf);
		return 0;
	}
	if (bind(s, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		printf("bind %s\n", errname(errno));
		return 1;
	}
	if (!strcmp(what, "sock-bind"))
		return 0;
	if (listen(s, 1) < 0)
		return 1;
	puts("ready");
	fflush(stdout);
	c = accept(s, NULL, NULL);
	if (c < 0 || write(c, "hello", 5) != 5)
		return 1;
	close(c);
	return 0;
}

static int do_tmpfile(const char *dir)
{
	int fd = open(dir, O_TMPFILE | O_RDWR, 0600);

	puts(fd < 0 ? errname(errno) : "0");
	return 0;
}

static int do_held_dir(const char *dir, const char *go)
{
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);
	char buf[64];
	ssize_t n;
	int fd;

	if (dfd < 0) {
		printf("opendir %s\n", errname(errno));
		return 1;
	}
	puts("open");
	fflush(stdout);
	while (access(go, F_OK))
		usleep(10000);
	fd = openat(dfd, "secret", O_RDONLY);
	if (fd < 0) {
		printf("read %s\n", errname(errno));
	} else {
		n = read(fd, buf, sizeof(buf) - 1);
		buf[n > 0 ? n : 0] = '\0';
		printf("read %s\n", buf);
		close(fd);
	}
	fd = openat(dfd, "new", O_WRONLY | O_CREAT | O_EXCL, 0644);
	printf("create %s\n", fd < 0 ? errname(errno) : "0");
	return 0;
}

static int do_race_open(const char *path, const char *canary, double secs)
{
	size_t clen = strlen(canary);
	double end = now() + secs;
	char name[4096], buf[256];
	unsigned long tries = 0;
	ssize_t n;
	int fd;

	while (now() < end) {
		snprintf(name, sizeof(name), "%s/secret", path);
		fd = open(name, O_RDONLY);
		if (fd >= 0) {
			n = read(fd, buf, sizeof(buf));
			close(fd);
			if (n >= (ssize_t)clen && !memcmp(buf, canary, clen)) {
				printf("ESCAPED read %s\n", name);
				return 1;
			}
		}
		snprintf(name, sizeof(name), "%s/new", path);
		fd = open(name, O_WRONLY | O_CREAT, 0644);
		if (fd >= 0)
			close(fd);
		tries++;
	}
	printf("%lu\n", tries);
	return 0;
}

static int do_race_swap(const char *dir, const char *a, const char *b,
			double secs)
{
	double end = now() + secs;
	unsigned long swaps = 0;
	int dfd = open(dir, O_RDONLY | O_DIRECTORY);

	if (dfd < 0)
		return 1;
	while (now() < end) {
		if (renameat2(dfd, a, dfd, b, RENAME_EXCHANGE) < 0) {
			perror("renameat2");
			return 1;
		}
		swaps++;
	}
	/* Even: each name is back where it started */
	if (swaps % 2 && renameat2(dfd, a, dfd, b, RENAME_EXCHANGE) == 0)
		swaps++;
	printf("%lu\n", swaps);
	return 0;
}

int main(int argc, char **argv)
{
	const char *op;

	if (argc < 3)
		usage();
	op = argv[1];
	argv += 2;
	argc -= 2;
	if (!strcmp(op, "lock") && argc >= 4)
		return do_lock(argv, argc);
	if (!strcmp(op, "getlk") && argc == 3)
		return do_getlk(argv);
	if (!strncmp(op, "sock-", 5) && argc == 1)
		return do_sock(op, argv[0]);
	if (!strcmp(op, "tmpfile") && argc == 1)
		return do_tmpfile(argv[0]);
	if (!strcmp(op, "held-dir") && argc == 2)
		return do_held_dir(argv[0], argv[1]);
	if (!strcmp(op, "race-open") && argc == 3)
		return do_race_open(argv[0], argv[1], atof(argv[2]));
	if (!strcmp(op, "race-swap") && argc == 4)
		return do_race_swap(argv[0], argv[1], argv[2], atof(argv[3]));
	usage();
	return 2;
}
