/*
 * main.c: command line.  Exit statuses follow sysexits(3) where a caller
 * can act on them (EX_CONFIG for configuration and for a state db that
 * would mean a fresh start, EX_USAGE for the command line, EX_TEMPFAIL
 * when another process holds the state or the state db stopped a cycle),
 * except `check`, which answers 0 or 1 as shell scripts expect of a
 * validator.
 */
#include <sys/prctl.h>
#include <sys/stat.h>

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "authorize.h"
#include "classify.h"
#include "config.h"
#include "cycle.h"
#include "dynlib.h"
#include "ical.h"
#include "lock.h"
#include "log.h"
#include "loop.h"
#include "outbox.h"
#include "report.h"
#include "template.h"
#include "store.h"
#include "util.h"

/* The longest --wait: a day. */
#define WAIT_MAX 86400


struct opts {
	const char *config;
	long long   now;
	int         verbose;
	int         now_given;
	int         json;
	int         year;
	int         init;       /* --init: a new state beside records is wanted */
	int         wait;       /* --wait SECONDS, or -1 */
	const char *format;
	const char *operand;    /* the command's one argument, or NULL */
	int         cache;      /* CONFIG_CACHE_*: how groups may be read */
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: convened [-v] [-c FILE] [--now YYYY-MM-DDTHH:MM:SSZ] [--init] "
	    "COMMAND\n"
	    "commands:\n"
	    "  check                 validate the configuration and templates\n"
	    "  run [--wait SECONDS]  the daemon, in the foreground\n"
	    "  once [--wait SECONDS] one cycle: read, plan, send, then exit\n"
	    "  backup FILE           an online copy of the state db into FILE\n"
	    "  inspect FILE          what convened makes of one message, as JSON\n"
	    "  status [--json] [GROUP]\n"
	    "                        quota, meetings and replies per group\n"
	    "  report --year YYYY [--format md|csv|json|html]\n"
	    "                        the annual report of all groups\n"
	    "  calendar GROUP        the group's meetings as an iCalendar feed\n"
	    "  authorize             get the OAuth refresh token, interactively\n"
	    "--init lets once or run create a state db beside a repository that\n"
	    "already holds records; --wait waits that long for another cycle\n"
	    "default configuration: %s\n", CONFIG_DEFAULT_FILE);
}

/* Strict ISO 8601 UTC: the form tests and scripts write, nothing looser. */
static int
parse_now(const char *s, long long *out)
{
	struct tm tm;
	const char *end;
	time_t t;

	memset(&tm, 0, sizeof tm);
	if (strlen(s) != 20 || (end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm)) ==
	    NULL || *end != '\0')
		return -1;
	if ((t = timegm(&tm)) == (time_t)-1)
		return -1;
	*out = (long long)t;
	return 0;
}

static struct config *
load_config(const struct opts *o)
{
	struct config *cfg;
	struct diag d;
	size_t i;

	diag_init(&d);
	d.no_notes = 1;
	cfg = config_load_cached(o->config, o->cache, &d);
	for (i = 0; i < d.n; i++)
		if (d.is_error[i])
			fprintf(stderr, "%s\n", d.text[i]);
	diag_free(&d);
	return cfg;
}

static int
cmd_check(const struct opts *o)
{
	struct config *cfg;
	struct diag d;
	size_t i, members = 0, series = 0;
	char *err = NULL;

	/* The libraries opened on first use: a broken installation said
	 * now, not when the first message comes. */
	if (dynlib_check(&err) == -1) {
		printf("convened: %s\n", err);
		free(err);
		return EX_SOFTWARE;
	}
	diag_init(&d);
	cfg = config_load(o->config, &d);
	/* Templates are checked now, never found broken at send time. */
	if (cfg != NULL && template_check(cfg, &d) > 0) {
		config_free(cfg);
		cfg = NULL;
	}
	for (i = 0; i < d.n; i++)
		printf("%s\n", d.text[i]);
	if (cfg != NULL) {
		for (i = 0; i < d.nnotes; i++)
			printf("%s\n", d.notes[i]);
		for (i = 0; i < cfg->ngroups; i++) {
			members += cfg->groups[i].nmembers;
			series += cfg->groups[i].nseries;
		}
		printf("%s: configuration OK: %zu groups, %zu members, "
		    "%zu series%s\n", o->config, cfg->ngroups, members, series,
		    d.nwarnings ? ", with warnings" : "");
	} else
		printf("%s: %zu error%s, %zu warning%s\n", o->config, d.nerrors,
		    d.nerrors == 1 ? "" : "s", d.nwarnings,
		    d.nwarnings == 1 ? "" : "s");
	diag_free(&d);
	config_free(cfg);
	return cfg != NULL ? 0 : 1;
}

/* Configuration and store for the commands that need both, and for a
 * command that sends the reply-token key (`report` and `calendar` run
 * without it), read before the store: whether the database was there
 * first tells a first start from a lost key.  NULL with *rc set to the
 * exit status. */
static struct store *
open_view(const struct opts *o, struct config **cfgp, int sends, int *rc)
{
	struct store *st;

	if ((*cfgp = load_config(o)) == NULL) {
		*rc = EX_CONFIG;
		return NULL;
	}
	if (sends && loop_open_key(*cfgp) == -1) {
		*rc = EX_CONFIG;
		st = NULL;
	} else
		st = loop_open_store(*cfgp, 0, rc);
	if (st == NULL) {
		config_free(*cfgp);
		*cfgp = NULL;
	}
	return st;
}

/* The end of a command that had the view: rc is what its work returned,
 * 0, an exit status, or -1 with err set (freed here).  Closes both; the
 * exit status. */
static int
close_view(struct config *cfg, struct store *st, int rc, char *err)
{
	if (rc == -1) {
		log_errx("%s", err);
		free(err);
	}
	store_close(st);
	config_free(cfg);
	return rc == 0 ? EX_OK : rc > 0 ? rc : EX_SOFTWARE;
}

static int
cmd_status(const struct opts *o)
{
	const char *group = o->operand;
	struct config *cfg;
	struct store *st;
	char *err = NULL;
	int rc;

	if ((cfg = load_config(o)) == NULL)
		return EX_CONFIG;
	if (group != NULL && config_group(cfg, group) == NULL) {
		log_errx("no group '%s' in %s", group, o->config);
		config_free(cfg);
		return EX_USAGE;
	}
	if ((st = loop_open_store(cfg, 0, &rc)) == NULL) {
		config_free(cfg);
		return rc;
	}
	rc = report_status(stdout, cfg, st, o->now, group, o->json, &err);
	return close_view(cfg, st, rc, err);
}

/* A command's work on the view: 0, an exit status, or -1 with *err
 * set. */
typedef int view_work(const struct opts *, const struct config *,
    struct store *, char **err);

/* Opens the view, does the work, closes the view; the exit status. */
static int
in_view(const struct opts *o, view_work *work, int sends)
{
	struct config *cfg;
	struct store *st;
	char *err = NULL;
	int rc;

	if ((st = open_view(o, &cfg, sends, &rc)) == NULL)
		return rc;
	rc = work(o, cfg, st, &err);
	return close_view(cfg, st, rc, err);
}

static int
annual_report(const struct opts *o, const struct config *cfg,
    struct store *st, char **err)
{
	return report_annual(stdout, cfg, st, o->now, o->year, o->format, err);
}

static int
cmd_report(const struct opts *o)
{
	return in_view(o, annual_report, 0);
}

static int
cmd_calendar(const struct opts *o)
{
	const char *group = o->operand;
	const struct group *g;
	struct config *cfg;
	struct store *st;
	char *err = NULL, *text;
	int rc = EX_OK;

	if ((st = open_view(o, &cfg, 0, &rc)) == NULL)
		return rc;
	if ((g = config_group(cfg, group)) == NULL) {
		log_errx("no group '%s' in %s", group, o->config);
		rc = EX_USAGE;
	} else if ((text = report_calendar(cfg, st, g, o->now, &err)) == NULL) {
		log_errx("%s", err);
		free(err);
		rc = EX_SOFTWARE;
	} else {
		if (fputs(text, stdout) == EOF || fflush(stdout) == EOF) {
			log_errx("cannot write the calendar: output closed");
			rc = EX_SOFTWARE;
		}
		free(text);
	}
	store_close(st);
	config_free(cfg);
	return rc;
}

/* One cycle under the state's lock (loop_claim).  A state db busy, full
 * or read-only that stopped the cycle (logged once) is EX_TEMPFAIL, as
 * the lock held by another process is: for a cron job, try again later. */
static int
cmd_once(const struct opts *o)
{
	struct cycle_stats cs;
	struct config *cfg;
	struct store *st;
	struct lock *lk;
	char *err = NULL;
	int rc;

	if ((cfg = load_config(o)) == NULL)
		return EX_CONFIG;
	if (loop_open_key(cfg) == -1) {
		config_free(cfg);
		return EX_CONFIG;
	}
	if ((st = loop_claim(cfg, o->init, o->wait > 0 ? o->wait : 0, &lk,
	    &rc)) == NULL) {
		config_free(cfg);
		return rc;
	}
	config_cache_save(cfg);
	rc = cycle_run(cfg, st, o->now, 1, NULL, &cs, &err);
	if (rc == 0 && cs.store_down)
		rc = EX_TEMPFAIL;
	rc = close_view(cfg, st, rc, err);
	lock_release(lk);
	return rc;
}

/* Needs the configuration only for where the state is; no lock: the
 * copy is one snapshot whatever the daemon does meanwhile. */
static int
cmd_backup(const struct opts *o)
{
	struct store_sent *sent = NULL;
	struct config *cfg;
	long long bytes;
	char *err = NULL;
	size_t n;

	if ((cfg = load_config(o)) == NULL)
		return EX_CONFIG;
	/* Read before the copy is taken: each row in it is in the copy,
	 * and what went and is not yet marked is recorded as sent. */
	if (outbox_sent_log(cfg, &sent, &n, &err) == -1 ||
	    store_backup(cfg->state, o->operand, sent, n, &bytes, &err) == -1) {
		log_errx("%s", err);
		free(err);
		free(sent);
		config_free(cfg);
		return EX_CANTCREAT;
	}
	free(sent);
	printf("state db %s backed up to %s: %lld bytes, checked\n",
	    cfg->state, o->operand, bytes);
	config_free(cfg);
	return EX_OK;
}

/* Needs no configuration: the administrator's tool for "why was this
 * mail ignored?", run on a file saved from any mailbox. */
static int
cmd_inspect(const struct opts *o)
{
	const char *path = o->operand;
	struct verdict *v;
	/* One byte over the limit is enough for classify() to refuse it. */
	struct buf b = BUF_INIT(MIME_MAX_SIZE + 1);
	char *json;
	FILE *fp;

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL) {
		log_warn("cannot open %s", path);
		return EX_NOINPUT;
	}
	if (buf_read(&b, fileno(fp)) == -1 && errno != EFBIG) {
		log_warn("cannot read %s", path);
		if (fp != stdin)
			fclose(fp);
		buf_release(&b);
		return EX_NOINPUT;
	}
	if (fp != stdin)
		fclose(fp);
	classify(b.data ? b.data : "", b.len, &v);
	json = verdict_json(v);
	printf("%s\n", json);
	free(json);
	verdict_free(v);
	buf_release(&b);
	return EX_OK;
}

/* Needs the configuration only: the store is the daemon's. */
static int
cmd_authorize(const struct opts *o)
{
	struct config *cfg;
	char *err = NULL;
	int rc = EX_OK;

	if ((cfg = load_config(o)) == NULL)
		return EX_CONFIG;
	if (authorize_run(cfg, stdout, &err) == -1) {
		log_errx("cannot authorize: %s", err);
		free(err);
		rc = EX_NOPERM;
	}
	config_free(cfg);
	return rc;
}

static int
cmd_run(const struct opts *o)
{
	return loop_run(o->config, o->now_given ? o->now : -1, o->init,
	    o->wait > 0 ? o->wait : 0);
}

/* What each command accepts: how many operands, whether --json may go with
 * it, whether it wants --year, whether it is a cycle (takes the state's
 * lock; --init and --wait go with it).  Anything else is an unknown
 * command. */
static const struct command {
	const char *name;
	int       (*run)(const struct opts *);
	int         min_operands, max_operands;
	int         json_ok;
	int         wants_year;
	int         cycle;
} commands[] = {
	{ "check",    cmd_check,    0, 0, 0, 0, 0 },
	{ "inspect",  cmd_inspect,  1, 1, 1, 0, 0 },
	{ "run",      cmd_run,      0, 0, 1, 0, 1 },
	{ "once",     cmd_once,     0, 0, 1, 0, 1 },
	{ "status",   cmd_status,   0, 1, 1, 0, 0 },
	{ "report",   cmd_report,   0, 0, 0, 1, 0 },
	{ "calendar", cmd_calendar, 1, 1, 0, 0, 0 },
	{ "backup",   cmd_backup,   1, 1, 0, 0, 0 },
	{ "authorize", cmd_authorize, 0, 0, 0, 0, 0 },
};

/* The command cmd with its operands, as the table allows; an exit status. */
static int
run_command(struct opts *o, const char *cmd, int noperands, char **operands)
{
	const struct command *c;
	size_t i;

	for (i = 0; i < sizeof commands / sizeof commands[0]; i++) {
		c = &commands[i];
		if (strcmp(cmd, c->name) != 0 || noperands < c->min_operands ||
		    noperands > c->max_operands)
			continue;
		/* A missing year is named even when --json is wrong too. */
		if (c->wants_year && o->year == 0) {
			fprintf(stderr, "convened: %s wants --year YYYY\n", cmd);
			return EX_USAGE;
		}
		if (o->json && !c->json_ok)
			break;
		if ((o->init || o->wait >= 0) && !c->cycle) {
			fprintf(stderr, "convened: --init and --wait go with "
			    "once and run only\n");
			return EX_USAGE;
		}
		o->operand = noperands > 0 ? operands[0] : NULL;
		/* The commands that hold the state's lock keep the cache of
		 * the groups read; the others only use it. */
		o->cache = CONFIG_CACHE_READ | (c->cycle ? CONFIG_CACHE_WRITE :
		    0);
		return c->run(o);
	}
	fprintf(stderr, "convened: unknown command or arguments: %s\n", cmd);
	usage(stderr);
	return EX_USAGE;
}

/* A whole decimal number in [min, max] into *out: 0, or -1. */
static int
parse_int(const char *s, long min, long max, int *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		return -1;
	*out = (int)v;
	return 0;
}

static int
known_format(const char *s)
{
	return strcmp(s, "md") == 0 || strcmp(s, "csv") == 0 ||
	    strcmp(s, "json") == 0 || strcmp(s, "html") == 0;
}

/* The options into *o.  -1 to go on with the command at argv[optind],
 * else the exit status to leave with at once (a bad option, or --help). */
static int
parse_options(int argc, char *argv[], struct opts *o)
{
	enum { OPT_NOW = 256, OPT_JSON, OPT_YEAR, OPT_FORMAT, OPT_HELP,
	    OPT_INIT, OPT_WAIT };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "year", required_argument, NULL, OPT_YEAR },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ "init", no_argument, NULL, OPT_INIT },
		{ "wait", required_argument, NULL, OPT_WAIT },
		{ NULL, 0, NULL, 0 },
	};
	int ch;

	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o->config = optarg;
			break;
		case 'v':
			o->verbose++;
			break;
		case OPT_NOW:
			o->now_given = 1;
			if (parse_now(optarg, &o->now) == -1) {
				fprintf(stderr, "convened: --now wants "
				    "YYYY-MM-DDTHH:MM:SSZ, not '%s'\n", optarg);
				return EX_USAGE;
			}
			break;
		case OPT_JSON:
			o->json = 1;
			break;
		case OPT_YEAR:
			if (parse_int(optarg, 1970, 9999, &o->year) == -1) {
				fprintf(stderr, "convened: --year wants a year "
				    "YYYY, not '%s'\n", optarg);
				return EX_USAGE;
			}
			break;
		case OPT_FORMAT:
			if (!known_format(optarg)) {
				fprintf(stderr, "convened: --format wants md, csv, "
				    "json or html, not '%s'\n", optarg);
				return EX_USAGE;
			}
			o->format = optarg;
			break;
		case OPT_INIT:
			o->init = 1;
			break;
		case OPT_WAIT:
			if (parse_int(optarg, 0, WAIT_MAX, &o->wait) == -1) {
				fprintf(stderr, "convened: --wait wants seconds, "
				    "0 to %d, not '%s'\n", WAIT_MAX, optarg);
				return EX_USAGE;
			}
			break;
		case 'h':
		case OPT_HELP:
			usage(stdout);
			return EX_OK;
		default:
			usage(stderr);
			return EX_USAGE;
		}
	}
	return -1;
}

/* Secrets (the passwords read for a cycle) stay out of core files and out
 * of reach of other processes of our user: no core dump, no ptrace
 * attach, /proc/PID/mem closed.  A debugger that started us is left in
 * charge: what it is there to see must stay visible. */
static void
not_dumpable(void)
{
	char line[128];
	long tracer = 0;
	FILE *fp;

	if ((fp = fopen("/proc/self/status", "re")) != NULL) {
		while (fgets(line, sizeof line, fp) != NULL)
			if (sscanf(line, "TracerPid: %ld", &tracer) == 1)
				break;
		fclose(fp);
	}
	if (tracer == 0 && prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) == -1)
		log_warn("cannot make the process undumpable");
}

int
main(int argc, char *argv[])
{
	struct opts o;
	int rc;

	/* Before any file is made, under systemd or not: the state db, its
	 * journal and lock, and backups are ours alone.  The repository is
	 * for the convened group too; util.h's file helpers give its files
	 * and directories that mode explicitly. */
	umask(077);
	memset(&o, 0, sizeof o);
	o.wait = -1;
	o.config = CONFIG_DEFAULT_FILE;
	o.now = (long long)time(NULL);
	if ((rc = parse_options(argc, argv, &o)) != -1)
		return rc;
	log_init(o.verbose);
	not_dumpable();
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	rc = run_command(&o, argv[optind], argc - optind - 1,
	    argv + optind + 1);
	ical_shutdown();
	template_cache_clear();
	return rc;
}
