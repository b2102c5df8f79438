/*
 * loop.c: `convened run`.  One thread, one loop: a cycle every `tick`
 * seconds, reading mail once `[imap] poll` seconds have passed since the
 * start of the last cycle that read it, and between cycles one wait,
 * ppoll(2), that a signal or the next deadline ends.  Signal handlers only set flags
 * (Redis, OpenSMTPD); the flags are looked at between messages during a
 * cycle and around the wait.  Signals are blocked outside ppoll while the
 * flags are tested, so one arriving just before the wait still ends it.
 */
#include <sys/stat.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include <systemd/sd-daemon.h>

#include "config.h"
#include "cycle.h"
#include "log.h"
#include "loop.h"
#include "store.h"
#include "template.h"
#include "token.h"

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

static long long
mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec;
}

static struct config *
load(const char *path)
{
	struct config *cfg;
	struct diag d;
	size_t i;

	diag_init(&d);
	cfg = config_load(path, &d);
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
reload(const char *path, struct config **cfg, struct store **st)
{
	struct config *ncfg;
	struct store *nst;
	char *err = NULL;

	sd_notify(0, "RELOADING=1");
	if ((ncfg = load(path)) == NULL) {
		log_errx("configuration %s has errors: keeping the one in force",
		    path);
		sd_notify(0, "READY=1\nSTATUS=configuration reload failed; "
		    "running on the previous one");
		return;
	}
	if (strcmp(ncfg->state, (*cfg)->state) != 0) {
		if ((nst = store_open(ncfg->state, &err)) == NULL) {
			log_errx("%s: keeping the configuration in force", err);
			free(err);
			config_free(ncfg);
			sd_notify(0, "READY=1");
			return;
		}
		store_close(*st);
		*st = nst;
	}
	config_free(*cfg);
	*cfg = ncfg;
	log_info("configuration %s reloaded: %zu groups", path, (*cfg)->ngroups);
	sd_notify(0, "READY=1");
}

struct store *
loop_open_store(const struct config *cfg)
{
	struct store *st;
	char *err = NULL;

	if ((st = store_open(cfg->state, &err)) == NULL) {
		log_errx("%s", err);
		free(err);
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

/* Sleep until monotonic time `wake` or a signal.  The signals are blocked
 * while the flags are tested and let through only inside ppoll, so one
 * that arrives just before the wait still ends it. */
static enum wake
wait_for(long long wake, const sigset_t *block)
{
	enum wake w = WAKE_TIME;
	struct timespec ts;
	sigset_t orig;

	sigprocmask(SIG_BLOCK, block, &orig);
	if (!stop_flag && !reload_flag && mono() < wake) {
		ts.tv_sec = (time_t)(wake - mono());
		ts.tv_nsec = 0;
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

/* Seconds between WATCHDOG=1 pings (half systemd's WatchdogSec), or 0. */
static long long
watchdog_every(void)
{
	uint64_t usec = 0;
	long long every;

	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return 0;
	every = (long long)(usec / 2000000);
	return every < 1 ? 1 : every;
}

/* One cycle; mail is read when the poll deadline has come.  -1 when the
 * store failed: the state on disk is as the last commit left it, and
 * systemd restarts us. */
static int
one_cycle(const struct config *cfg, struct store *st, long long fake_now,
    long long start, long long *next_poll)
{
	struct cycle_stats cs;
	long long t = mono(), now;
	char *err = NULL;

	now = fake_now >= 0 ? fake_now + (t - start) : (long long)time(NULL);
	if (cycle_run(cfg, st, now, loop_poll_due(next_poll, t, cfg->imap_poll),
	    &stop_flag, &cs, &err) == -1) {
		log_errx("%s", err);
		free(err);
		return -1;
	}
	sd_notifyf(0, "STATUS=%d replies applied, %d meetings planned, "
	    "%d sent, %lld waiting%s", cs.replies_applied, cs.meetings_new,
	    cs.sent, cs.pending, cs.smtp_refused || cs.mail_server_down ?
	    "; a mail server is unavailable" : "");
	return 0;
}

int
loop_run(const char *path, long long fake_now)
{
	long long start = mono(), next_cycle = 0, next_poll = 0, next_wd = 0;
	long long wd_every, wake;
	struct config *cfg;
	struct store *st;
	sigset_t block;
	int rc = EX_OK;
	enum wake w;

	if ((cfg = load(path)) == NULL) {
		log_errx("configuration %s has errors: not starting", path);
		return EX_CONFIG;
	}
	if ((st = loop_open_store(cfg)) == NULL) {
		config_free(cfg);
		return EX_CANTCREAT;
	}
	signals(&block);
	wd_every = watchdog_every();
	sd_notify(0, "READY=1\nSTATUS=started, first cycle under way");
	log_info("started: %zu groups, a cycle every %d s, mail read every "
	    "%d s", cfg->ngroups, cfg->tick, cfg->imap_poll);
	for (;;) {
		wake = wd_every && next_wd < next_cycle ? next_wd : next_cycle;
		if ((w = wait_for(wake, &block)) == WAKE_STOP)
			break;
		if (w == WAKE_RELOAD) {
			reload(path, &cfg, &st);
			next_cycle = 0;         /* the new schedule at once */
			continue;
		}
		if (wd_every && mono() >= next_wd) {
			sd_notify(0, "WATCHDOG=1");
			next_wd = mono() + wd_every;
		}
		if (mono() < next_cycle)
			continue;
		if (one_cycle(cfg, st, fake_now, start, &next_poll) == -1) {
			rc = EX_SOFTWARE;
			break;
		}
		next_cycle = mono() + cfg->tick;
		if (wd_every) {
			sd_notify(0, "WATCHDOG=1");
			next_wd = mono() + wd_every;
		}
	}
	sd_notify(0, "STOPPING=1");
	log_info("stopping");
	store_close(st);
	config_free(cfg);
	return rc;
}
