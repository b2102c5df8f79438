/*
 * htmlreport.c: report --format html (see htmlreport.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "html.h"
#include "htmlreport.h"
#include "ical.h"
#include "log.h"
#include "quota.h"
#include "store.h"
#include "util.h"

static const char style[] =
	"body { font-family: sans-serif; max-width: 60em; margin: 1em auto;"
	" padding: 0 1em; color: #000; background: #fff; }\n"
	"table { border-collapse: collapse; margin: 0.5em 0 1.5em; }\n"
	"th, td { border: 1px solid #444; padding: 0.2em 0.6em;"
	" text-align: left; }\n"
	"td.n { text-align: right; }\n"
	"svg.chart { max-width: 100%; height: auto; font: 12px sans-serif; }\n";

static void
td_num(struct buf *b, int v)
{
	buf_addf(b, "<td class=\"n\">%d</td>", v);
}

/* Meetings held against the quota: the chart and its table. */
static void
quota_section(struct buf *b, const struct config *cfg,
    const struct quota_year *q, int year)
{
	struct html_bar *bars = xcalloc(cfg->ngroups + 1, sizeof *bars);
	char *title;
	size_t i;

	for (i = 0; i < cfg->ngroups; i++) {
		bars[i].label = cfg->groups[i].name;
		bars[i].value = q[i].held;
		bars[i].target = q[i].quota;
	}
	title = xasprintf("Meetings held against the quota, %d", year);
	buf_addf(b, "<h2>Meetings held against the quota</h2>\n<p>Grey bar: "
	    "meetings held; black mark: the quota.</p>\n");
	html_bars(b, title, bars, cfg->ngroups, "");
	free(title);
	free(bars);
	buf_adds(b, "<table>\n<tr><th>Group</th><th>Quota</th><th>Held</th>"
	    "<th>Scheduled</th><th>Short by</th></tr>\n");
	for (i = 0; i < cfg->ngroups; i++) {
		buf_adds(b, "<tr><td>");
		html_esc(b, cfg->groups[i].name);
		buf_adds(b, "</td>");
		td_num(b, q[i].quota);
		td_num(b, q[i].held);
		td_num(b, q[i].scheduled);
		td_num(b, q[i].short_by);
		buf_adds(b, "</tr>\n");
	}
	buf_adds(b, "</table>\n");
}

static int
invited(const struct store_meeting *m)
{
	return m->accepted + m->declined + m->tentative + m->needs_action;
}

/* The label of a meeting: its group and local day (caller frees). */
static char *
meeting_label(const struct group *g, const struct store_meeting *m)
{
	struct ical_tm tm;

	ical_localtime(m->start, g->timezone, &tm);
	return xasprintf("%s %04d-%02d-%02d", g->id, tm.year % 10000,
	    tm.month % 100, tm.day % 100);
}

/* Attendance per meeting held: the chart and its table. */
static void
attendance_section(struct buf *b, const struct config *cfg,
    const struct quota_year *q, long long now)
{
	struct html_bar *bars = NULL;
	char **labels = NULL;
	size_t i, j, n = 0;
	int inv;

	for (i = 0; i < cfg->ngroups; i++)
		for (j = 0; j < q[i].nm; j++) {
			const struct store_meeting *m = &q[i].m[j];

			if (strcmp(quota_meeting_state(m, now), "held") != 0 ||
			    (inv = invited(m)) == 0)
				continue;
			bars = xreallocarray(bars, n + 1, sizeof *bars);
			labels = xreallocarray(labels, n + 1, sizeof *labels);
			labels[n] = meeting_label(&cfg->groups[i], m);
			bars[n].label = labels[n];
			bars[n].value = (m->accepted * 100 + inv / 2) / inv;
			bars[n].target = -1;
			n++;
		}
	buf_adds(b, "<h2>Attendance per meeting held</h2>\n<p>Invitations "
	    "accepted, as a share of those invited.</p>\n");
	html_bars(b, "Attendance per meeting held", bars, n, "%");
	buf_adds(b, "<table>\n<tr><th>Meeting</th><th>Attendance</th></tr>\n");
	for (i = 0; i < n; i++) {
		buf_adds(b, "<tr><td>");
		html_esc(b, labels[i]);
		buf_addf(b, "</td><td class=\"n\">%.0f%%</td></tr>\n",
		    bars[i].value);
		free(labels[i]);
	}
	buf_adds(b, "</table>\n");
	free(labels);
	free(bars);
}

/* One country's count among *v (n of them), added when new. */
static void
count_country(struct html_bar **v, size_t *n, const char *country)
{
	size_t i;

	for (i = 0; i < *n; i++)
		if (strcmp((*v)[i].label, country) == 0) {
			(*v)[i].value++;
			return;
		}
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[*n].label = xstrdup(country);
	(*v)[*n].value = 1;
	(*v)[*n].target = -1;
	(*n)++;
}

/* ---- experiences per country: issue 15's record (experiences.json) ---- */
static void
experiences_section(struct buf *b, const struct config *cfg, int year)
{
	struct html_experience *e;
	struct html_bar *bars = NULL;
	char *err = NULL, y[8];
	size_t i, j, ne, n = 0;

	snprintf(y, sizeof y, "%04d-", year % 10000);
	for (i = 0; i < cfg->ngroups; i++) {
		if (html_experiences(cfg->repository, cfg->groups[i].id, &e, &ne,
		    &err) == -1) {
			log_warnx("%s: the report leaves out the experiences: %s",
			    cfg->groups[i].id, err);
			free(err);
			err = NULL;
			continue;
		}
		for (j = 0; j < ne; j++)
			if (e[j].date != NULL && strncmp(e[j].date, y, 5) == 0)
				count_country(&bars, &n, e[j].country ?
				    e[j].country : "?");
		html_experiences_free(e, ne);
	}
	buf_adds(b, "<h2>Experiences presented, per country</h2>\n");
	if (n == 0) {
		buf_adds(b, "<p>No experiences recorded.</p>\n");
		return;
	}
	html_bars(b, "Experiences presented, per country", bars, n, "");
	buf_adds(b, "<table>\n<tr><th>Country</th><th>Experiences</th></tr>\n");
	for (i = 0; i < n; i++) {
		buf_adds(b, "<tr><td>");
		html_esc(b, bars[i].label);
		buf_addf(b, "</td><td class=\"n\">%.0f</td></tr>\n",
		    bars[i].value);
		free((char *)bars[i].label);
	}
	buf_adds(b, "</table>\n");
	free(bars);
}
/* ---- end of experiences ---- */

static void
render(struct buf *b, const struct config *cfg, const struct quota_year *q,
    long long now, int year)
{
	buf_addf(b, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta "
	    "charset=\"utf-8\">\n<title>Working groups: annual report %d"
	    "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>Working "
	    "groups: annual report %d</h1>\n<p>", year, style, year);
	html_esc(b, cfg->org_name);
	buf_addf(b, ". Meetings count as held once they ended and were not "
	    "cancelled; scheduled ones are still to come in %d.</p>\n", year);
	quota_section(b, cfg, q, year);
	attendance_section(b, cfg, q, now);
	experiences_section(b, cfg, year);
	buf_adds(b, "</body>\n</html>\n");
}

int
htmlreport_write(FILE *fp, const struct config *cfg, struct store *st,
    long long now, int year, char **err)
{
	struct quota_year *q = xcalloc(cfg->ngroups + 1, sizeof *q);
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i, ok;
	int rc = -1;

	for (ok = 0; ok < cfg->ngroups; ok++)
		if (quota_year(cfg, &cfg->groups[ok], st, year, now, &q[ok],
		    err) == -1)
			goto out;
	render(&b, cfg, q, now, year);
	if (fwrite(b.data, 1, b.len, fp) != b.len || fflush(fp) == EOF)
		*err = xasprintf("cannot write the report: %s", strerror(errno));
	else
		rc = 0;
out:
	for (i = 0; i < ok; i++)
		quota_year_free(&q[i]);
	free(q);
	buf_release(&b);
	return rc;
}
