#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "agenda.h"
#include "config.h"
#include "log.h"
#include "outbox.h"
#include "plan.h"
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

/* kind about meeting r to every coordinator of g, once. */
static int
to_coordinators(const struct config *cfg, struct store *st,
    const struct group *g, const struct store_plan_meeting *r,
    const char *kind, long long now, int *queued, char **err)
{
	const struct series *s = config_series(g, r->series);
	const char *at = strrchr(r->uid, '@');
	struct store_plan_meeting show;
	struct plan_vars pv;
	struct outbox_msg om;
	char *key, *mid, *tag;
	size_t i;
	int rc;

	key = xasprintf("%s:%s", kind, r->uid);
	rc = store_warning_add(st, g->id, kind, key, now, err);
	free(key);
	if (rc <= 0)
		return rc;
	/* The agenda shown is the draft too, not only a confirmed one. */
	show = *r;
	show.agenda_confirmed = 1;
	tag = xasprintf("[%s]", g->id);
	for (i = 0; i < g->nmembers && rc >= 0; i++) {
		const struct member *m = &g->members[i];
		const char *lang = config_member_language(g, m);
		const char *tz = config_member_timezone(g, m);

		if (!m->coordinator)
			continue;
		plan_vars_init(&pv, cfg, g, &show, s ? s->open : 0, m->email,
		    m->name, lang, tz);
		plan_vars_take(&pv, "deadline", template_date(lang,
		    r->start - REMINDER_DAYS * DAY, tz));
		plan_vars_add(&pv, "tag", tag);
		/* "<kind>.<uid's local part>.<recipient>@<domain>": the inbox
		 * finds the meeting from a reply's References. */
		mid = xasprintf("%s.%.*s.%08x@%s", kind, (int)(at - r->uid),
		    r->uid, str_hash32(m->email), at + 1);
		memset(&om, 0, sizeof om);
		om.kind = kind;
		om.group_id = g->id;
		om.meeting_uid = r->uid;
		om.to_email = m->email;
		om.to_name = m->name;
		om.langs[0] = m->language;
		om.langs[1] = g->language;
		om.langs[2] = cfg->language;
		om.vars = pv.v;
		om.nvars = pv.n;
		om.message_id = mid;
		rc = outbox_queue(cfg, st, &om, now, err);
		if (rc == 1)
			(*queued)++;
		free(mid);
		plan_vars_free(&pv);
	}
	free(tag);
	if (rc >= 0)
		log_info("%s: %s for %s sent to the coordinators", g->id, kind,
		    r->uid);
	return rc < 0 ? -1 : 1;
}

static int
group_mail(const struct config *cfg, struct store *st, const struct group *g,
    long long now, int *queued, char **err)
{
	struct store_plan_meeting *rows = NULL, *r;
	long long lead = cfg->agenda_lead_days * DAY;
	long long grace = cfg->minutes_grace_days * DAY;
	size_t n = 0, i;
	char *draft;

	if (store_plan_meetings(st, g->id, now - LOOK_BACK, now + lead + 1,
	    &rows, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		r = &rows[i];
		if (r->cancelled)
			continue;
		if (r->start > now && now >= r->start - lead &&
		    !r->agenda_confirmed) {
			if (r->agenda == NULL &&
			    (draft = read_draft(g, config_series(g, r->series)))) {
				if (store_meeting_set_draft(st, r->uid, draft,
				    err) == -1) {
					free(draft);
					goto fail;
				}
				r->agenda = draft;
			}
			if (to_coordinators(cfg, st, g, r, "agenda-request", now,
			    queued, err) == -1)
				goto fail;
			if (now >= r->start - REMINDER_DAYS * DAY &&
			    lead > REMINDER_DAYS * DAY &&
			    to_coordinators(cfg, st, g, r, "agenda-reminder", now,
			    queued, err) == -1)
				goto fail;
		}
		if (r->end <= now && r->minutes_path == NULL) {
			if (to_coordinators(cfg, st, g, r, "minutes-request", now,
			    queued, err) == -1)
				goto fail;
			if (now >= r->end + grace && to_coordinators(cfg, st, g,
			    r, "minutes-reminder", now, queued, err) == -1)
				goto fail;
		}
	}
	store_plan_meetings_free(rows, n);
	return 0;
fail:
	store_plan_meetings_free(rows, n);
	return -1;
}

int
agenda_run(const struct config *cfg, struct store *st, long long now,
    int *queued, char **err)
{
	char *gerr = NULL;
	size_t i;

	for (i = 0; i < cfg->ngroups; i++) {
		const struct group *g = &cfg->groups[i];

		if (store_begin(st) == -1) {
			*err = xstrdup("cannot begin a transaction in the state db");
			return -1;
		}
		if (group_mail(cfg, st, g, now, queued, &gerr) == -1) {
			store_rollback(st);
			log_warnx("cannot prepare the coordinators' mail of %s: %s; "
			    "trying again next cycle", g->id,
			    gerr ? gerr : "unknown error");
			free(gerr);
			gerr = NULL;
		} else if (store_commit(st) == -1) {
			*err = xasprintf("cannot commit the coordinators' mail of "
			    "%s", g->id);
			return -1;
		}
	}
	return 0;
}
