/*
 * agenda.c: the coordinators' mail around each meeting (see agenda.h).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agenda.h"
#include "config.h"
#include "cycle.h"
#include "letter.h"
#include "log.h"
#include "notice.h"
#include "present.h"
#include "store.h"
#include "template.h"
#include "util.h"

#define REMINDER_DAYS  2
#define DRAFT_MAX      (64 * 1024)
#define LOOK_BACK      (60 * DAY)   /* older meetings get no requests */

/* The series' draft agenda file: read at send time so an edit made after
 * the last reload still counts.  NULL when there is none or it will not
 * do (too big, not UTF-8): logged, and the request goes without it. */
static char *
read_draft(const struct group *g, const struct series *s)
{
	struct buf b = BUF_INIT(DRAFT_MAX);
	FILE *fp;
	int rc;

	if (s == NULL || s->agenda == NULL)
		return NULL;
	if ((fp = fopen(s->agenda, "re")) == NULL) {
		log_warn("%s: cannot read agenda %s", g->id, s->agenda);
		return NULL;
	}
	rc = buf_read(&b, fileno(fp));
	fclose(fp);
	if (rc == -1 || !str_is_utf8(buf_str(&b)) ||
	    memchr(buf_str(&b), '\0', b.len) != NULL) {
		log_warnx("%s: agenda %s is over %d bytes or not UTF-8 text: "
		    "sent without it", g->id, s->agenda, DRAFT_MAX);
		buf_release(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* notice.h's vars_for: the agenda's deadline in the reader's terms. */
static void
deadline_for(void *arg, struct letter_vars *lv, const char *lang,
    const char *tz)
{
	const struct store_plan_meeting *r = arg;

	letter_vars_take(lv, "deadline", template_date(lang,
	    r->start - REMINDER_DAYS * DAY, tz));
}

/* kind about meeting r to every coordinator of g, once: 1 queued, 0 sent
 * before, -1 error. */
static int
to_coordinators(const struct cycle_ctx *c, const struct group *g,
    const struct store_plan_meeting *r, const char *kind, char **err)
{
	struct store_plan_meeting show;
	struct notice n;
	struct tvar tag;
	char *key, *tagv, *drafted = NULL;
	int rc;

	/* The agenda shown is the draft too, not only a confirmed one. */
	show = *r;
	show.agenda_confirmed = 1;
	/* The presenters accepted go above the draft (present.h). */
	if (strncmp(kind, "agenda-", 7) == 0 &&
	    present_draft(c->st, g, r, &drafted, err) == -1)
		return -1;
	if (drafted != NULL)
		show.agenda = drafted;
	key = xasprintf("%s:%s", kind, r->uid);
	tagv = xasprintf("[%s]", g->id);
	tag = (struct tvar){ "tag", tagv };
	memset(&n, 0, sizeof n);
	n.letter.kind = kind;
	n.letter.group = g;
	n.letter.meeting = &show;
	n.letter.ref = key;
	n.letter.vars = &tag;
	n.letter.nvars = 1;
	n.letter.vars_for = deadline_for;
	n.letter.arg = &show;
	rc = notice_queue(c, &n, err);
	free(drafted);
	free(tagv);
	free(key);
	return rc;
}

/* Before the meeting: the agenda request, with the series' draft the
 * first time, and the reminder. */
static int
agenda_mail(const struct cycle_ctx *c, const struct group *g,
    struct store_plan_meeting *r, char **err)
{
	long long lead = c->cfg->agenda_lead_days * DAY;
	char *draft;

	if (r->agenda == NULL &&
	    (draft = read_draft(g, config_series(g, r->series))) != NULL) {
		if (store_meeting_set_draft(c->st, r->uid, draft, err) == -1) {
			free(draft);
			return -1;
		}
		r->agenda = draft;
	}
	if (to_coordinators(c, g, r, "agenda-request", err) == -1)
		return -1;
	if (c->now >= r->start - REMINDER_DAYS * DAY &&
	    lead > REMINDER_DAYS * DAY &&
	    to_coordinators(c, g, r, "agenda-reminder", err) == -1)
		return -1;
	return 0;
}

/* After the meeting, while there are no minutes: the request and the
 * reminder. */
static int
minutes_mail(const struct cycle_ctx *c, const struct group *g,
    const struct store_plan_meeting *r, char **err)
{
	long long grace = c->cfg->minutes_grace_days * DAY;

	if (to_coordinators(c, g, r, "minutes-request", err) == -1)
		return -1;
	if (c->now >= r->end + grace &&
	    to_coordinators(c, g, r, "minutes-reminder", err) == -1)
		return -1;
	return 0;
}

int
agenda_group(const struct cycle_ctx *c, const struct group *g, char **err)
{
	struct store_plan_meeting *rows = NULL, *r;
	long long now = c->now, lead = c->cfg->agenda_lead_days * DAY;
	size_t n = 0, i;
	int rc = 0;

	/* Its moments are days from its meetings' starts and ends. */
	cycle_due(c, CYCLE_NEVER);
	if (store_plan_meetings(c->st, g->id, now - LOOK_BACK, now + lead + 1,
	    &rows, &n, err) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		r = &rows[i];
		if (r->cancelled)
			continue;
		if (r->start > now && now >= r->start - lead &&
		    !r->agenda_confirmed)
			rc = agenda_mail(c, g, r, err);
		if (rc == 0 && r->end <= now && r->minutes_path == NULL)
			rc = minutes_mail(c, g, r, err);
	}
	store_plan_meetings_free(rows, n);
	return rc;
}
