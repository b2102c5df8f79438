#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config.h"
#include "ical.h"
#include "report.h"
#include "store.h"
#include "util.h"

struct group_status {
	const struct group *g;
	int     year;
	int     held, scheduled, short_by;
	int     coordination_ok;
	const char *why;
	struct store_meeting *m;
	size_t  nm;
	char  **bouncing;
	size_t  nbouncing;
};

static void
iso_utc(long long t, char out[21])
{
	time_t tt = (time_t)t;
	struct tm tm;

	gmtime_r(&tt, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A meeting is held once its end has passed and it was not cancelled. */
static const char *
meeting_state(const struct store_meeting *m, long long now)
{
	if (m->cancelled)
		return "cancelled";
	return m->end <= now ? "held" : "scheduled";
}

static int
gather(struct group_status *gs, const struct group *g, struct store *st,
    long long now, char **err)
{
	long long from, to;
	size_t i;

	memset(gs, 0, sizeof *gs);
	gs->g = g;
	gs->year = ical_year_in_zone(now, g->timezone);
	from = ical_year_start(gs->year, g->timezone);
	to = ical_year_start(gs->year + 1, g->timezone);
	if (store_group_meetings(st, g->id, from, to, &gs->m, &gs->nm, err) == -1)
		return -1;
	if (store_group_bouncing(st, g->id, &gs->bouncing, &gs->nbouncing,
	    err) == -1) {
		store_meetings_free(gs->m, gs->nm);
		return -1;
	}
	for (i = 0; i < gs->nm; i++) {
		const char *s = meeting_state(&gs->m[i], now);

		if (strcmp(s, "held") == 0)
			gs->held++;
		else if (strcmp(s, "scheduled") == 0)
			gs->scheduled++;
	}
	gs->short_by = g->quota - gs->held - gs->scheduled;
	if (gs->short_by < 0)
		gs->short_by = 0;
	gs->coordination_ok = config_coordination_ok(g, &gs->why);
	return 0;
}

static void
release(struct group_status *gs)
{
	store_meetings_free(gs->m, gs->nm);
	strv_free(gs->bouncing, gs->nbouncing);
}

static void
json_group(struct buf *b, const struct group_status *gs, long long now)
{
	char when[21];
	size_t i, j;

	buf_adds(b, "{\"id\": ");
	json_str(b, gs->g->id);
	buf_addf(b, ", \"year\": %d, \"quota\": %d, \"held\": %d, "
	    "\"scheduled\": %d, \"short_by\": %d, \"coordination_ok\": %s,\n"
	    "   \"bouncing\": [", gs->year, gs->g->quota, gs->held,
	    gs->scheduled, gs->short_by, gs->coordination_ok ? "true" : "false");
	for (i = 0; i < gs->nbouncing; i++) {
		if (i)
			buf_adds(b, ", ");
		json_str(b, gs->bouncing[i]);
	}
	buf_adds(b, "],\n   \"meetings\": [");
	for (i = 0; i < gs->nm; i++) {
		const struct store_meeting *m = &gs->m[i];

		iso_utc(m->start, when);
		buf_adds(b, i ? ",\n    {\"uid\": " : "\n    {\"uid\": ");
		json_str(b, m->uid);
		buf_addf(b, ", \"start\": \"%s\", \"status\": \"%s\", "
		    "\"agenda\": \"%s\", \"minutes\": ", when,
		    meeting_state(m, now),
		    m->agenda_confirmed ? "confirmed" : "pending");
		json_str_or_null(b, m->minutes_path);
		buf_addf(b, ",\n     \"rsvp\": {\"accepted\": %d, \"declined\": %d, "
		    "\"tentative\": %d, \"needs_action\": %d},\n"
		    "     \"attendees\": [", m->accepted, m->declined,
		    m->tentative, m->needs_action);
		for (j = 0; j < m->nattendees; j++) {
			buf_adds(b, j ? ", {\"email\": " : "{\"email\": ");
			json_str(b, m->attendees[j].email);
			buf_adds(b, ", \"partstat\": ");
			json_str(b, m->attendees[j].partstat);
			buf_addc(b, '}');
		}
		buf_adds(b, "]}");
	}
	buf_adds(b, gs->nm ? "]}" : "]}");
}

static void
table(struct buf *b, struct group_status *gs, size_t n, long long now,
    int detail)
{
	static const char *const head[] = { "GROUP", "YEAR", "QUOTA", "HELD",
	    "SCHED", "SHORT", "COORD", "BOUNCING" };
	size_t idw = strlen(head[0]), i, j;
	char when[21];

	for (i = 0; i < n; i++)
		if (strlen(gs[i].g->id) > idw)
			idw = strlen(gs[i].g->id);
	buf_addf(b, "%-*s %4s %5s %4s %5s %5s %-5s %s\n", (int)idw, head[0],
	    head[1], head[2], head[3], head[4], head[5], head[6], head[7]);
	for (i = 0; i < n; i++) {
		buf_addf(b, "%-*s %4d %5d %4d %5d %5d %-5s %zu\n", (int)idw,
		    gs[i].g->id, gs[i].year, gs[i].g->quota, gs[i].held,
		    gs[i].scheduled, gs[i].short_by,
		    gs[i].coordination_ok ? "ok" : "BROKEN", gs[i].nbouncing);
	}
	for (i = 0; i < n; i++) {
		if (!gs[i].coordination_ok)
			buf_addf(b, "%s: coordination rule broken: %s\n",
			    gs[i].g->id, gs[i].why);
		for (j = 0; j < gs[i].nbouncing; j++)
			buf_addf(b, "%s: bouncing: %s\n", gs[i].g->id,
			    gs[i].bouncing[j]);
	}
	if (!detail)
		return;
	for (i = 0; i < n; i++) {
		buf_addf(b, "\nmeetings of %s in %d:\n", gs[i].g->id, gs[i].year);
		if (gs[i].nm == 0)
			buf_adds(b, "  none planned yet\n");
		for (j = 0; j < gs[i].nm; j++) {
			const struct store_meeting *m = &gs[i].m[j];

			iso_utc(m->start, when);
			buf_addf(b, "  %s  %-9s  agenda %-9s  yes %d  no %d  "
			    "maybe %d  waiting %d  minutes %s\n", when,
			    meeting_state(m, now),
			    m->agenda_confirmed ? "confirmed" : "pending",
			    m->accepted, m->declined, m->tentative,
			    m->needs_action,
			    m->minutes_path ? m->minutes_path : "-");
		}
	}
}

int
report_status(FILE *fp, const struct config *cfg, struct store *st,
    long long now, const char *group, int json, char **err)
{
	struct group_status *gs;
	struct buf b = BUF_INIT;
	char when[21];
	size_t i, n = 0;
	int rc = 0;

	gs = xcalloc(cfg->ngroups ? cfg->ngroups : 1, sizeof *gs);
	for (i = 0; i < cfg->ngroups; i++) {
		if (group != NULL && strcmp(cfg->groups[i].id, group) != 0)
			continue;
		if (gather(&gs[n], &cfg->groups[i], st, now, err) == -1) {
			rc = -1;
			goto out;
		}
		n++;
	}
	if (json) {
		iso_utc(now, when);
		buf_addf(&b, "{\"now\": \"%s\",\n \"groups\": [", when);
		for (i = 0; i < n; i++) {
			buf_adds(&b, i ? ",\n  " : "\n  ");
			json_group(&b, &gs[i], now);
		}
		buf_adds(&b, "]}\n");
	} else
		table(&b, gs, n, now, group != NULL);
	if (fwrite(buf_str(&b), 1, b.len, fp) != b.len || fflush(fp) == EOF) {
		*err = xstrdup("cannot write status: output closed");
		rc = -1;
	}
out:
	for (i = 0; i < n; i++)
		release(&gs[i]);
	free(gs);
	buf_release(&b);
	return rc;
}
