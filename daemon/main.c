/*
 * main.c: command line.  Exit statuses follow sysexits(3) where a caller
 * can act on them (EX_CONFIG for configuration, EX_USAGE for the command
 * line), except `check`, which answers 0 or 1 as shell scripts expect of
 * a validator.
 */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>

#include "classify.h"
#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "log.h"
#include "loop.h"
#include "report.h"
#include "template.h"
#include "store.h"
#include "util.h"


struct opts {
	const char *config;
	long long   now;
	int         verbose;
	int         now_given;
	int         json;
	int         year;
	const char *format;
};

static void
usage(FILE *fp)
{
	fprintf(fp,
	    "usage: convened [-v] [-c FILE] [--now YYYY-MM-DDTHH:MM:SSZ] COMMAND\n"
	    "commands:\n"
	    "  check                 validate the configuration and templates\n"
	    "  run                   the daemon, in the foreground\n"
	    "  once                  one cycle: read, plan, send, then exit\n"
	    "  inspect FILE          what convened makes of one message, as JSON\n"
	    "  status [--json] [GROUP]\n"
	    "                        quota, meetings and replies per group\n"
	    "  report --year YYYY [--format md|csv|json]\n"
	    "                        the annual report of all groups\n"
	    "  calendar GROUP        the group's meetings as an iCalendar feed\n"
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
load_config(const struct opts *o, int print_all)
{
	struct config *cfg;
	struct diag d;
	size_t i;

	diag_init(&d);
	cfg = config_load(o->config, &d);
	for (i = 0; i < d.n; i++)
		if (print_all || d.is_error[i])
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

static int
cmd_status(const struct opts *o, const char *group)
{
	struct config *cfg;
	struct store *st;
	char *err = NULL;
	int rc;

	if ((cfg = load_config(o, 0)) == NULL)
		return EX_CONFIG;
	if (group != NULL && config_group(cfg, group) == NULL) {
		log_errx("no group '%s' in %s", group, o->config);
		config_free(cfg);
		return EX_USAGE;
	}
	if ((st = store_open(cfg->state, &err)) == NULL) {
		log_errx("%s", err);
		free(err);
		config_free(cfg);
		return EX_CANTCREAT;
	}
	rc = report_status(stdout, cfg, st, o->now, group, o->json, &err);
	if (rc == -1) {
		log_errx("%s", err);
		free(err);
	}
	store_close(st);
	config_free(cfg);
	return rc == 0 ? EX_OK : EX_SOFTWARE;
}

/* Configuration and store for the read-only commands; NULL with *rc set
 * to the exit status. */
static struct store *
open_view(const struct opts *o, struct config **cfgp, int *rc)
{
	struct store *st;
	char *err = NULL;

	if ((*cfgp = load_config(o, 0)) == NULL) {
		*rc = EX_CONFIG;
		return NULL;
	}
	if ((st = store_open((*cfgp)->state, &err)) == NULL) {
		log_errx("%s", err);
		free(err);
		config_free(*cfgp);
		*cfgp = NULL;
		*rc = EX_CANTCREAT;
	}
	return st;
}

static int
cmd_report(const struct opts *o)
{
	struct config *cfg;
	struct store *st;
	char *err = NULL;
	int rc;

	if ((st = open_view(o, &cfg, &rc)) == NULL)
		return rc;
	rc = report_annual(stdout, cfg, st, o->now, o->year, o->format, &err);
	if (rc == -1) {
		log_errx("%s", err);
		free(err);
	}
	store_close(st);
	config_free(cfg);
	return rc == 0 ? EX_OK : EX_SOFTWARE;
}

static int
cmd_calendar(const struct opts *o, const char *group)
{
	const struct group *g;
	struct config *cfg;
	struct store *st;
	char *err = NULL, *text;
	int rc = EX_OK;

	if ((st = open_view(o, &cfg, &rc)) == NULL)
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

static int
cmd_once(const struct opts *o)
{
	struct config *cfg;
	struct store *st;
	char *err = NULL;
	int rc = EX_OK;

	if ((cfg = load_config(o, 0)) == NULL)
		return EX_CONFIG;
	if ((st = store_open(cfg->state, &err)) == NULL) {
		log_errx("%s", err);
		free(err);
		config_free(cfg);
		return EX_CANTCREAT;
	}
	if (cycle_run(cfg, st, o->now, 1, NULL, NULL, &err) == -1) {
		log_errx("%s", err);
		free(err);
		rc = EX_SOFTWARE;
	}
	store_close(st);
	config_free(cfg);
	return rc;
}

/* Needs no configuration: the administrator's tool for "why was this
 * mail ignored?", run on a file saved from any mailbox. */
static int
cmd_inspect(const char *path)
{
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

int
main(int argc, char *argv[])
{
	enum { OPT_NOW = 256, OPT_JSON, OPT_YEAR, OPT_FORMAT, OPT_HELP };
	static const struct option longopts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "now", required_argument, NULL, OPT_NOW },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "year", required_argument, NULL, OPT_YEAR },
		{ "format", required_argument, NULL, OPT_FORMAT },
		{ "help", no_argument, NULL, OPT_HELP },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	const char *cmd;
	int ch, rc;

	memset(&o, 0, sizeof o);
	o.config = CONFIG_DEFAULT_FILE;
	o.now = (long long)time(NULL);
	while ((ch = getopt_long(argc, argv, "c:vh", longopts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			o.config = optarg;
			break;
		case 'v':
			o.verbose++;
			break;
		case OPT_NOW:
			o.now_given = 1;
			if (parse_now(optarg, &o.now) == -1) {
				fprintf(stderr, "convened: --now wants "
				    "YYYY-MM-DDTHH:MM:SSZ, not '%s'\n", optarg);
				return EX_USAGE;
			}
			break;
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_YEAR: {
			char *end;
			long y;

			errno = 0;
			y = strtol(optarg, &end, 10);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    y < 1970 || y > 9999) {
				fprintf(stderr, "convened: --year wants a year "
				    "YYYY, not '%s'\n", optarg);
				return EX_USAGE;
			}
			o.year = (int)y;
			break;
		}
		case OPT_FORMAT:
			if (strcmp(optarg, "md") != 0 &&
			    strcmp(optarg, "csv") != 0 &&
			    strcmp(optarg, "json") != 0) {
				fprintf(stderr, "convened: --format wants md, csv "
				    "or json, not '%s'\n", optarg);
				return EX_USAGE;
			}
			o.format = optarg;
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
	log_init(o.verbose);
	if (optind >= argc) {
		usage(stderr);
		return EX_USAGE;
	}
	cmd = argv[optind++];

	if (strcmp(cmd, "check") == 0 && optind == argc && !o.json)
		rc = cmd_check(&o);
	else if (strcmp(cmd, "inspect") == 0 && argc - optind == 1)
		rc = cmd_inspect(argv[optind]);
	else if (strcmp(cmd, "run") == 0 && optind == argc)
		rc = loop_run(o.config, o.now_given ? o.now : -1);
	else if (strcmp(cmd, "once") == 0 && optind == argc)
		rc = cmd_once(&o);
	else if (strcmp(cmd, "status") == 0 && argc - optind <= 1)
		rc = cmd_status(&o, optind < argc ? argv[optind] : NULL);
	else if (strcmp(cmd, "report") == 0 && optind == argc && o.year != 0 &&
	    !o.json)
		rc = cmd_report(&o);
	else if (strcmp(cmd, "report") == 0 && optind == argc && o.year == 0) {
		fprintf(stderr, "convened: report wants --year YYYY\n");
		rc = EX_USAGE;
	} else if (strcmp(cmd, "calendar") == 0 && argc - optind == 1 && !o.json)
		rc = cmd_calendar(&o, argv[optind]);
	else {
		fprintf(stderr, "convened: unknown command or arguments: %s\n",
		    cmd);
		usage(stderr);
		rc = EX_USAGE;
	}
	ical_shutdown();
	return rc;
}
