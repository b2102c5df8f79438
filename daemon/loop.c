/*
 * loop.c: `convened run`.  One thread, one loop: a cycle every `tick`
 * seconds, reading mail once `[imap] poll` seconds have passed since the
 * start of the last cycle that read it, and between cycles one wait,
 * ppoll(2), that a signal or the next deadline ends.  Signal handlers only set flags
 * (Redis, OpenSMTPD); the flags are looked at between messages during a
 * cycle and around the wait.  Signals are blocked outside ppoll while the
 * flags are tested, so one arriving just before the wait still ends it.
 * The watchdog is pinged around the wait and, through loop_alive(), from
 * the loops that send and read mail.
 *
 * Here too: how every command opens the state db, so that none of them
 * ever starts afresh by mistake (loop.h), and how `once` and `run` hold it
 * one at a time (lock.h).
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "cycle.h"
#include "dynlib.h"
#include "lock.h"
#include "log.h"
#include "loop.h"
#include "store.h"
#include "template.h"
#include "token.h"
#include "util.h"

/* libsystemd's functions, for `run` alone (dynlib.h): called through
 * dynlib_systemd's table, filled on first use; `run` fills it when it
 * starts (dynlib_check()). */
#define SYSTEMD_FNS(X) \
	X(sd_notify) \
	X(sd_notifyf) \
	X(sd_watchdog_enabled)

DYNLIB_TABLE(sd, dynlib_systemd, "libsystemd.so.0", SYSTEMD_FNS)

#define sd_notify (sd_fns()->sd_notify)
#define sd_notifyf (sd_fns()->sd_notifyf)
#define sd_watchdog_enabled (sd_fns()->sd_watchdog_enabled)

static volatile sig_atomic_t stop_flag;
static volatile sig_atomic_t reload_flag;

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		reload_flag = 1;
	else {
		/* A second Ctrl-C means now: nothing is lost by it, a row
		 * in flight is sent again under the same Message-ID. */
		if (stop_flag && sig == SIGINT)
			_exit(EX_SOFTWARE);
		stop_flag = 1;
	}
}

/* The watchdog's pace, in monotonic milliseconds: 0 when `run` has
 * none (or this is not `run`). */
static long long wd_every;
static long long wd_next;

/* Monotonic milliseconds. */
static long long
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
loop_alive(void)
{
	long long t;

	if (wd_every == 0 || (t = mono()) < wd_next)
		return;
	sd_notify(0, "WATCHDOG=1");
	wd_next = t + wd_every;
}

/* At start every file is read, and every warning said; a reload reads
 * again only the files that changed since (config.h's cache). */
static struct config *
load(const char *path, int cache)
{
	struct config *cfg;
	struct diag d;
	size_t i;

	diag_init(&d);
	cfg = config_load_cached(path, cache, &d);
	/* The daemon refuses what `check` refuses: templates too. */
	if (cfg != NULL && template_check(cfg, &d) > 0) {
		config_free(cfg);
		cfg = NULL;
	}
	for (i = 0; i < d.n; i++)
		(d.is_error[i] ? log_errx : log_warnx)("%s", d.text[i]);
	diag_free(&d);
	/* Without its key nothing can be sent: a new configuration whose
	 * key cannot be read is refused like one with errors. */
	if (cfg != NULL && loop_open_key(cfg) == -1) {
		config_free(cfg);
		cfg = NULL;
	}
	return cfg;
}

/* SIGHUP: the new configuration replaces the old only when it is valid;
 * a bad one is reported line by line and the daemon goes on as it was. */
static void
reload(const char *path, struct config **cfg, struct store **st,
    struct lock **lk)
{
	struct config *ncfg;
	struct store *nst;
	struct lock *nlk;
	int rc;

	sd_notify(0, "RELOADING=1");
	if ((ncfg = load(path, CONFIG_CACHE_READ | CONFIG_CACHE_WRITE)) ==
	    NULL) {
		log_errx("configuration %s has errors: keeping the one in force",
		    path);
		sd_notify(0, "READY=1\nSTATUS=configuration reload failed; "
		    "running on the previous one");
		return;
	}
	if (strcmp(ncfg->state, (*cfg)->state) != 0) {
		/* The new state under its own lock before the old one goes;
		 * never a new state beside records on a reload. */
		if ((nst = loop_claim(ncfg, 0, 0, &nlk, &rc)) == NULL) {
			log_errx("cannot use state db %s: keeping the "
			    "configuration in force", ncfg->state);
			config_free(ncfg);
			sd_notify(0, "READY=1");
			return;
		}
		store_close(*st);
		lock_release(*lk);
		*st = nst;
		*lk = nlk;
	}
	config_free(*cfg);
	*cfg = ncfg;
	config_cache_save(*cfg);
	log_info("configuration %s reloaded: %zu groups", path, (*cfg)->ngroups);
	sd_notify(0, "READY=1");
}

/* Whether the year directory yfd (below a group's) holds an archived
 * item: 1 with its name in *what, 0. */
static int
year_has_items(int yfd, const char *group, const char *year, char **what)
{
	struct dirent *de;
	DIR *d;
	int found = 0;

	if ((d = fdopendir(yfd)) == NULL) {
		close(yfd);
		return 0;
	}
	while (!found && (de = readdir(d)) != NULL)
		if (de->d_name[0] != '.') {
			*what = xasprintf("%s/%s/%s", group, year, de->d_name);
			found = 1;
		}
	closedir(d);
	return found;
}

static int
is_year(const char *s)
{
	return strlen(s) == 4 && isdigit((unsigned char)s[0]) &&
	    isdigit((unsigned char)s[1]) && isdigit((unsigned char)s[2]) &&
	    isdigit((unsigned char)s[3]);
}

/* Whether the group directory gfd holds an archived item below a year:
 * 1 with its path in *what, 0. */
static int
group_has_items(int gfd, const char *group, char **what)
{
	struct dirent *de;
	DIR *d;
	int yfd, found = 0;

	if ((d = fdopendir(gfd)) == NULL) {
		close(gfd);
		return 0;
	}
	while (!found && (de = readdir(d)) != NULL) {
		if (!is_year(de->d_name))
			continue;
		yfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (yfd != -1)
			found = year_has_items(yfd, group, de->d_name, what);
	}
	closedir(d);
	return found;
}

/* Whether the repository holds records: an item archived under some
 * <group>/<year>/ (the calendar feeds do not count: they are written
 * again from the state).  1 with the first one's path in *what (caller
 * frees), 0 none (or no repository), -1 when it cannot be read (*what is
 * then the reason). */
static int
repository_has_records(const char *repository, char **what)
{
	struct dirent *de;
	DIR *d;
	int gfd, found = 0;

	if ((d = opendir(repository)) == NULL) {
		if (errno == ENOENT)
			return 0;
		*what = xasprintf("cannot read repository %s: %s", repository,
		    strerror(errno));
		return -1;
	}
	while (!found && (de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		gfd = openat(dirfd(d), de->d_name, O_RDONLY | O_DIRECTORY |
		    O_NOFOLLOW | O_CLOEXEC);
		if (gfd != -1)
			found = group_has_items(gfd, de->d_name, what);
	}
	closedir(d);
	return found;
}

/* No state db yet: fine on a first start, refused beside a repository
 * that already has records unless the administrator said --init.  0, or
 * the exit status with the reason logged. */
static int
fresh_start(const struct config *cfg, int init)
{
	char *what = NULL;
	int r;

	if (init)
		return 0;
	if ((r = repository_has_records(cfg->repository, &what)) == 0)
		return 0;
	if (r == -1) {
		log_errx("no state db %s, and %s: not starting afresh",
		    cfg->state, what);
		free(what);
		return EX_CANTCREAT;
	}
	log_errx("no state db %s, but repository %s already holds records "
	    "(%s): a new state would send every invitation again; restore "
	    "the state db from its backup (convened(8)), or start afresh on "
	    "purpose with convened --init once", cfg->state, cfg->repository,
	    what);
	free(what);
	return EX_CONFIG;
}

/* 0 when cfg->state may be opened or created, else the exit status with
 * the reason logged.  Changes nothing on disk. */
static int
state_usable(const struct config *cfg, int init)
{
	char *err = NULL;

	switch (store_probe(cfg->state, &err)) {
	case STORE_FILE_OURS:
		return 0;
	case STORE_FILE_NONE:
		return fresh_start(cfg, init);
	case STORE_FILE_REFUSED:
		log_errx("%s: stopping, the file left as it is; restore the "
		    "state db from its backup (convened(8)), or move it away "
		    "and start afresh with convened --init once", err);
		free(err);
		return EX_CONFIG;
	default:
		log_errx("%s", err);
		free(err);
		return EX_CANTCREAT;
	}
}

static struct store *
open_checked(const struct config *cfg, int *rc)
{
	struct store *st;
	char *err = NULL;

	if ((st = store_open(cfg->state, &err)) == NULL) {
		log_errx("%s", err);
		free(err);
		*rc = EX_CANTCREAT;
	}
	return st;
}

struct store *
loop_open_store(const struct config *cfg, int init, int *rc)
{
	if ((*rc = state_usable(cfg, init)) != 0)
		return NULL;
	return open_checked(cfg, rc);
}

struct store *
loop_claim(const struct config *cfg, int init, int wait_s, struct lock **lk,
    int *rc)
{
	enum lock_fail why;
	struct store *st;
	char *err = NULL;

	*lk = NULL;
	/* Checked before the lock file is made: a refused state leaves the
	 * disk exactly as it was. */
	if ((*rc = state_usable(cfg, init)) != 0)
		return NULL;
	if ((*lk = lock_take(cfg->state, wait_s, &why, &err)) == NULL) {
		if (why == LOCK_BUSY)
			log_errx("%s: not running now; --wait SECONDS waits for "
			    "it", err);
		else
			log_errx("%s", err);
		free(err);
		*rc = why == LOCK_BUSY ? EX_TEMPFAIL : EX_CANTCREAT;
		return NULL;
	}
	/* Checked again under the lock: another process may have created
	 * the state in between. */
	if ((*rc = state_usable(cfg, init)) != 0 ||
	    (st = open_checked(cfg, rc)) == NULL) {
		lock_release(*lk);
		*lk = NULL;
		return NULL;
	}
	return st;
}

int
loop_open_key(struct config *cfg)
{
	const char *k = cfg->trust_key_file;
	struct stat st;
	char *err = NULL;
	int had_db = stat(cfg->state, &st) == 0;
	int had_key = strchr(k, '/') == NULL || lstat(k, &st) == 0;

	if (token_key_load(k, 1, &cfg->trust_key, &err) == -1) {
		log_errx("%s", err);
		free(err);
		return -1;
	}
	/* A key lost beside a database that has sent mail voids every
	 * token in flight: the administrator must hear of it. */
	if (had_db && !had_key)
		log_warnx("made a new reply-token key %s beside the existing "
		    "state database %s: if there was one before, the tokens of "
		    "mail sent until now prove nothing", k, cfg->state);
	return 0;
}

int
loop_poll_due(long long *next_poll, long long t, int poll)
{
	if (t < *next_poll)
		return 0;
	*next_poll = t + poll;
	return 1;
}

enum wake { WAKE_TIME, WAKE_RELOAD, WAKE_STOP };

/* Sleep until monotonic millisecond `wake` or a signal.  The signals are
 * blocked while the flags are tested and let through only inside ppoll,
 * so one that arrives just before the wait still ends it. */
static enum wake
wait_for(long long wake, const sigset_t *block)
{
	enum wake w = WAKE_TIME;
	struct timespec ts;
	long long left;
	sigset_t orig;

	sigprocmask(SIG_BLOCK, block, &orig);
	if (!stop_flag && !reload_flag && (left = wake - mono()) > 0) {
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000L;
		if (ppoll(NULL, 0, &ts, &orig) == -1 && errno != EINTR)
			log_warn("ppoll");
	}
	if (stop_flag)
		w = WAKE_STOP;
	else if (reload_flag) {
		reload_flag = 0;
		w = WAKE_RELOAD;
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return w;
}

static void
signals(sigset_t *block)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigemptyset(block);
	sigaddset(block, SIGTERM);
	sigaddset(block, SIGINT);
	sigaddset(block, SIGHUP);
}

/* Milliseconds between WATCHDOG=1 pings, half systemd's WatchdogSec
 * (sd_watchdog_enabled(3) recommends it), or 0 when there is none. */
static long long
watchdog_every(void)
{
	uint64_t usec = 0;
	long long every;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	every = (long long)(usec / 2000);
	return every < 1 ? 1 : every;
}

/* One cycle; mail is read when the poll deadline has come (start and the
 * deadline in monotonic seconds).  -1 when the store failed: the state on
 * disk is as the last commit left it, and systemd restarts us. */
static int
one_cycle(const struct config *cfg, struct store *st, long long fake_now,
    long long start, long long *next_poll)
{
	struct cycle_stats cs;
	struct timespec a, b;
	long long t = mono() / 1000, now;
	char *err = NULL;

	clock_gettime(CLOCK_MONOTONIC, &a);
	now = fake_now >= 0 ? fake_now + (t - start) : (long long)time(NULL);
	if (cycle_run(cfg, st, now, loop_poll_due(next_poll, t, cfg->imap_poll),
	    &stop_flag, &cs, &err) == -1) {
		log_errx("%s", err);
		free(err);
		return -1;
	}
	/* bench/bench.py reads it: the cost of an idle cycle inside run. */
	clock_gettime(CLOCK_MONOTONIC, &b);
	log_debug("cycle took %.3f ms", (double)(b.tv_sec - a.tv_sec) * 1e3 +
	    (double)(b.tv_nsec - a.tv_nsec) / 1e6);
	sd_notifyf(0, "STATUS=%d replies applied, %d meetings planned, "
	    "%d sent, %lld waiting%s", cs.replies_applied, cs.meetings_new,
	    cs.sent, cs.pending, cs.smtp_refused || cs.mail_server_down ?
	    "; a mail server is unavailable" : "");
	return 0;
}

int
loop_run(const char *path, long long fake_now, int init, int wait_s)
{
	long long start = mono() / 1000, next_cycle = 0, next_poll = 0, wake;
	struct config *cfg;
	struct store *st;
	struct lock *lk;
	sigset_t block;
	int rc = EX_OK;
	enum wake w;
	char *err = NULL;

	if (dynlib_check(&err) == -1) {
		log_errx("%s: not starting", err);
		free(err);
		return EX_SOFTWARE;
	}
	if ((cfg = load(path, CONFIG_CACHE_WRITE)) == NULL) {
		log_errx("configuration %s has errors: not starting", path);
		return EX_CONFIG;
	}
	if ((st = loop_claim(cfg, init, wait_s, &lk, &rc)) == NULL) {
		config_free(cfg);
		return rc;
	}
	config_cache_save(cfg);
	signals(&block);
	wd_every = watchdog_every();
	wd_next = 0;
	sd_notify(0, "READY=1\nSTATUS=started, first cycle under way");
	log_info("started: %zu groups, a cycle every %d s, mail read every "
	    "%d s%s", cfg->ngroups, cfg->tick, cfg->imap_poll, wd_every ?
	    ", watchdog on" : "");
	for (;;) {
		wake = wd_every && wd_next < next_cycle ? wd_next : next_cycle;
		if ((w = wait_for(wake, &block)) == WAKE_STOP)
			break;
		if (w == WAKE_RELOAD) {
			reload(path, &cfg, &st, &lk);
			next_cycle = 0;         /* the new schedule at once */
			continue;
		}
		loop_alive();
		if (mono() < next_cycle)
			continue;
		if (one_cycle(cfg, st, fake_now, start, &next_poll) == -1) {
			rc = EX_SOFTWARE;
			break;
		}
		next_cycle = mono() + cfg->tick * 1000LL;
		loop_alive();
	}
	sd_notify(0, "STOPPING=1");
	log_info("stopping");
	store_close(st);
	lock_release(lk);
	config_free(cfg);
	wd_every = 0;
	return rc;
}
