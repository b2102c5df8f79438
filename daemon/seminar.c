/*
 * seminar.c: open seminars and registration by mail (see seminar.h).
 *
 * Every state is a row of the store's registrations (one per meeting and
 * address), changed in the transaction of the message or the cycle that
 * changes it; the limits are counts of those rows, so they hold across
 * restarts and cost no state of their own.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "cycle.h"
#include "letter.h"
#include "log.h"
#include "milestone.h"
#include "seminar.h"
#include "store.h"
#include "template.h"
#include "util.h"

const char *
seminar_outcome_name(enum seminar_outcome o)
{
	switch (o) {
	case SEMINAR_SEATED:  return "seated";
	case SEMINAR_WAITING: return "waiting";
	case SEMINAR_KNOWN:   return "registered before";
	case SEMINAR_REFUSE:  return "refused: the meeting is closed";
	case SEMINAR_LIMITED: return "over a limit";
	case SEMINAR_OVER:    return "the meeting is cancelled or past";
	}
	return "?";
}

int
seminar_is_register_word(const char *unquoted)
{
	static const char *const words[] = { "REGISTER", "INSCRIBIR",
	    "INSCREVER", "INSCRIRE", NULL };

	return milestone_first_word_in(unquoted, words);
}

int
seminar_open(const struct series *s)
{
	/* A series sent as one event has no meeting of its own to seat
	 * anyone at (plan.c invites to the event). */
	return s != NULL && s->open && s->seats > 0 &&
	    !config_series_recurring(s);
}

/* ---- registration ---------------------------------------------------------- */

/* The limit that refuses one more row for email and meeting r: 1 over a
 * limit, 0 within them, -1 error. */
static int
over_limit(struct store *st, const struct store_plan_meeting *r,
    const char *email, int open, long long now, char **err)
{
	long long n;

	if ((n = store_registration_count_address(st, email, now - DAY,
	    err)) < 0)
		return -1;
	if (n >= SEMINAR_ADDRESS_PER_DAY)
		return 1;
	if ((n = store_registration_count(st, r->uid, NULL, now - 3600,
	    err)) < 0)
		return -1;
	if (n >= SEMINAR_MEETING_PER_HOUR)
		return 1;
	if (!open) {
		n = store_registration_count(st, r->uid, "refused", 0, err);
		return n < 0 ? -1 : n >= SEMINAR_REFUSALS_MAX;
	}
	return 0;
}

/* The row of a new registration for an open meeting: seated, waiting,
 * or none (the waiting list full).  The outcome, or -1. */
static int
take_place(struct store *st, const struct group *g, const struct series *s,
    const struct store_plan_meeting *r, const char *email,
    const char *message_id, long long now, char **err)
{
	long long seated, waiting;
	const char *state;

	if (seminar_counts(st, r->uid, &seated, &waiting, err) == -1)
		return -1;
	if (seated < s->seats)
		state = "seated";
	else if (waiting < SEMINAR_WAITING_MAX)
		state = "waiting";
	else
		return SEMINAR_LIMITED;
	if (store_registration_add(st, r->uid, g->id, email, state, now,
	    message_id, err) == -1)
		return -1;
	return strcmp(state, "seated") == 0 ? SEMINAR_SEATED : SEMINAR_WAITING;
}

int
seminar_register(struct store *st, const struct group *g,
    const struct series *s, const struct store_plan_meeting *r,
    const char *email, const char *message_id, long long now,
    int *tell_admin, char **err)
{
	char *state = NULL;
	int rc, open = seminar_open(s);

	*tell_admin = 0;
	if (r->cancelled || now >= r->start)
		return SEMINAR_OVER;
	if ((rc = store_registration_get(st, r->uid, email, &state, err)) != 0) {
		free(state);
		return rc == 1 ? SEMINAR_KNOWN : -1;
	}
	if ((rc = over_limit(st, r, email, open, now, err)) == 0) {
		if (!open)
			return store_registration_add(st, r->uid, g->id, email,
			    "refused", now, message_id, err) == -1 ? -1 :
			    SEMINAR_REFUSE;
		rc = take_place(st, g, s, r, email, message_id, now, err);
		if (rc != SEMINAR_LIMITED)
			return rc;
	} else if (rc == -1)
		return -1;
	if ((rc = store_warning_add(st, g->id, SEMINAR_FLOOD, r->uid, now,
	    err)) == -1)
		return -1;
	*tell_admin = rc;
	return SEMINAR_LIMITED;
}

int
seminar_counts(struct store *st, const char *uid, long long *seated,
    long long *waiting, char **err)
{
	if ((*seated = store_registration_count(st, uid, "seated", 0,
	    err)) < 0 || (*waiting = store_registration_count(st, uid,
	    "waiting", 0, err)) < 0)
		return -1;
	return 0;
}

/* ---- the cycle ------------------------------------------------------------- */

/* 1 when email declined meeting uid, by the invitations in inv. */
static int
declined(const struct store_invitee *inv, size_t ninv, const char *email)
{
	size_t i;

	for (i = 0; i < ninv; i++)
		if (strcasecmp(inv[i].email, email) == 0)
			return !inv[i].cancelled && inv[i].partstat != NULL &&
			    strcasecmp(inv[i].partstat, "DECLINED") == 0;
	return 0;
}

/* Seats of meeting r held by those who declined, freed; free seats
 * given to the waiting list in order.  0, or -1. */
static int
move_up(const struct cycle_ctx *c, const struct group *g,
    const struct series *s, const struct store_plan_meeting *r,
    const struct store_registrant *reg, size_t nreg, char **err)
{
	struct store_invitee *inv = NULL;
	long long seated, waiting;
	size_t ninv = 0, i;
	char *next;
	int rc = -1;

	if (store_meeting_invitees(c->st, r->uid, &inv, &ninv, err) == -1)
		goto out;
	for (i = 0; i < nreg; i++)
		if (strcmp(reg[i].uid, r->uid) == 0 &&
		    strcmp(reg[i].state, "seated") == 0 &&
		    declined(inv, ninv, reg[i].email)) {
			if (store_registration_set(c->st, r->uid, reg[i].email,
			    "declined", err) == -1)
				goto out;
			log_info("%s: %s declined %s: their seat is free",
			    g->id, reg[i].email, r->uid);
		}
	if (seminar_counts(c->st, r->uid, &seated, &waiting, err) == -1)
		goto out;
	for (; seated < s->seats && waiting > 0; seated++, waiting--) {
		if ((next = store_registration_first_waiting(c->st, r->uid,
		    err)) == NULL) {
			rc = *err != NULL ? -1 : 0;
			goto out;
		}
		rc = store_registration_set(c->st, r->uid, next, "seated", err);
		if (rc == 0)
			log_info("%s: %s moves up from the waiting list of %s",
			    g->id, next, r->uid);
		free(next);
		if (rc == -1)
			goto out;
	}
	rc = 0;
out:
	store_invitees_free(inv, ninv);
	return rc;
}

/* The announcement's own variables for its reader: the time in UTC. */
static void
utc_for(void *arg, struct letter_vars *lv, const char *lang, const char *tz)
{
	const struct store_plan_meeting *r = arg;

	(void)tz;
	letter_vars_take(lv, "when_utc", template_when(lang, r->start, "UTC"));
}

/* Meeting r of series s announced, once, to s's announce list when its
 * invitations are due.  0, or -1. */
static int
announce(const struct cycle_ctx *c, const struct group *g,
    const struct series *s, const struct store_plan_meeting *r, char **err)
{
	char seats[16], tag[80];
	struct letter l;
	size_t i;
	int rc;

	if (s->nannounce == 0 ||
	    c->now < r->start - c->cfg->invite_lead_days * DAY)
		return 0;
	if ((rc = store_warning_add(c->st, g->id, SEMINAR_ANNOUNCE, r->uid,
	    c->now, err)) != 1)
		return rc;
	snprintf(seats, sizeof seats, "%d", s->seats);
	snprintf(tag, sizeof tag, "[%s]", g->id);
	{
		const struct tvar vars[] = {
			{ "seats", seats }, { "tag", tag },
		};

		for (i = 0; i < s->nannounce; i++) {
			memset(&l, 0, sizeof l);
			l.kind = SEMINAR_ANNOUNCE;
			l.group = g;
			l.meeting = r;
			l.to = s->announce[i];
			l.vars = vars;
			l.nvars = sizeof vars / sizeof vars[0];
			l.vars_for = utc_for;
			l.arg = (void *)r;
			if ((rc = letter_queue(c->cfg, c->st, &l, c->now,
			    err)) == -1)
				return -1;
			c->cs->queued += rc;
		}
	}
	log_info("%s: seminar %s announced to %zu address%s", g->id, r->uid,
	    s->nannounce, s->nannounce == 1 ? "" : "es");
	return 0;
}

int
seminar_group(const struct cycle_ctx *c, const struct group *g, char **err)
{
	struct store_plan_meeting *rows = NULL;
	struct store_registrant *reg = NULL;
	const struct series *s;
	size_t nrows = 0, nreg = 0, i;
	int rc = -1;

	/* Seats move on answers; the announcement is a day count from
	 * the meeting's start. */
	cycle_due(c, CYCLE_NEVER);
	for (i = 0; i < g->nseries && !seminar_open(&g->series[i]); i++)
		;
	if (i == g->nseries)
		return 0;
	if (store_plan_meetings(c->st, g->id, c->now, c->now +
	    (long long)c->cfg->horizon_days * DAY, &rows, &nrows, err) == -1 ||
	    store_group_registrants(c->st, g->id, &reg, &nreg, err) == -1)
		goto out;
	for (i = 0; i < nrows; i++) {
		s = config_series(g, rows[i].series);
		if (!seminar_open(s) || rows[i].cancelled ||
		    rows[i].series_uid != NULL)
			continue;
		if (move_up(c, g, s, &rows[i], reg, nreg, err) == -1 ||
		    announce(c, g, s, &rows[i], err) == -1)
			goto out;
	}
	rc = 0;
out:
	store_plan_meetings_free(rows, nrows);
	store_registrants_free(reg, nreg);
	return rc;
}
