/* lock.c: one cycle at a time (see lock.h). */
#include <sys/file.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "lock.h"
#include "log.h"
#include "util.h"

#define LOCK_POLL_NS    100000000L      /* a tenth of a second */
#define LOCK_NOTE_MAX   128             /* "<pid> <time>\n" and then some */
#define LOCK_SIGN_TRIES 20              /* reads of an empty note, 10 ms apart */

struct lock {
	int   fd;
	char *path;
};

static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Who holds the lock, as its file says: "pid N since T", or a phrase for
 * a file not written yet.  A holder that has just taken the lock signs it
 * a moment later (flock, then truncate and write): an empty note is read
 * again, up to LOCK_SIGN_TRIES times 10 ms apart, before it is
 * called unnamed.  Caller frees. */
static char *
holder(int fd)
{
	const struct timespec pause = { 0, LOCK_POLL_NS / 10 };
	char note[LOCK_NOTE_MAX], when[32];
	ssize_t n;
	long pid;
	int tries = 0;

	while ((n = pread(fd, note, sizeof note - 1, 0)) <= 0 &&
	    ++tries < LOCK_SIGN_TRIES)
		nanosleep(&pause, NULL);
	if (n <= 0)
		return xstrdup("another process (not yet named)");
	note[n] = '\0';
	if (sscanf(note, "%ld %31s", &pid, when) != 2 || pid <= 0)
		return xstrdup("another process (its note unreadable)");
	return xasprintf("pid %ld since %s", pid, when);
}

/* Our pid and the time, for the next one to read. */
static void
sign(int fd)
{
	char note[LOCK_NOTE_MAX], when[32];
	time_t now = time(NULL);
	struct tm tm;
	int n;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof when, "@%lld", (long long)now);
	n = snprintf(note, sizeof note, "%ld %s\n", (long)getpid(), when);
	/* The note only names us: the lock works without it. */
	if (ftruncate(fd, 0) == -1 || pwrite(fd, note, (size_t)n, 0) != n)
		log_warn("cannot write the holder into the lock file");
}

static int
try_lock(int fd)
{
	while (flock(fd, LOCK_EX | LOCK_NB) == -1) {
		if (errno != EINTR)
			return -1;
	}
	return 0;
}

/* Wait until the lock is ours or wait_s seconds have passed: 0 or -1
 * (errno EWOULDBLOCK when it is still held). */
static int
wait_lock(int fd, const char *path, int wait_s)
{
	const struct timespec pause = { 0, LOCK_POLL_NS };
	long long deadline = mono_ms() + (long long)wait_s * 1000;
	char *who;

	if (try_lock(fd) == 0)
		return 0;
	if (errno != EWOULDBLOCK || wait_s <= 0)
		return -1;
	who = holder(fd);
	log_info("waiting up to %d s for %s, held by %s", wait_s, path, who);
	free(who);
	do {
		nanosleep(&pause, NULL);
		if (try_lock(fd) == 0)
			return 0;
		if (errno != EWOULDBLOCK)
			return -1;
	} while (mono_ms() < deadline);
	errno = EWOULDBLOCK;
	return -1;
}

struct lock *
lock_take(const char *state_path, int wait_s, enum lock_fail *why,
    char **err)
{
	struct lock *l;
	char *who;
	int fd;

	l = xcalloc(1, sizeof *l);
	l->path = xasprintf("%s.lock", state_path);
	fd = open(l->path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd == -1) {
		*why = LOCK_ERROR;
		*err = xasprintf("cannot open lock file %s: %s", l->path,
		    strerror(errno));
		goto fail;
	}
	if (wait_lock(fd, l->path, wait_s) == -1) {
		if (errno == EWOULDBLOCK) {
			who = holder(fd);
			*why = LOCK_BUSY;
			*err = xasprintf("state db %s is in use by %s (lock file "
			    "%s)", state_path, who, l->path);
			free(who);
		} else {
			*why = LOCK_ERROR;
			*err = xasprintf("cannot lock %s: %s", l->path,
			    strerror(errno));
		}
		close(fd);
		goto fail;
	}
	l->fd = fd;
	sign(fd);
	return l;
fail:
	free(l->path);
	free(l);
	return NULL;
}

void
lock_release(struct lock *l)
{
	if (l == NULL)
		return;
	/* Closing the last descriptor unlocks; say so anyway, explicitly. */
	flock(l->fd, LOCK_UN);
	close(l->fd);
	free(l->path);
	free(l);
}
