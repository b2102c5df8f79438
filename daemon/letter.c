/*
 * letter.c: every message to a person, rendered and queued in one place
 * (see letter.h).
 *
 * The outbox row is written in the caller's transaction, next to what
 * the letter records (an invitation sent, a notice given): both are kept
 * or neither.  Sending is outbox.c's.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "compose.h"
#include "config.h"
#include "letter.h"
#include "msgid.h"
#include "store.h"
#include "template.h"
#include "token.h"
#include "util.h"

struct letter_vars {
	struct tvar *v;
	size_t       n;
	char       **own;           /* values to free */
	size_t       nown;
};

/* Who reads a letter.  Strings borrowed from the configuration, or from
 * past (a member who left, as the store remembers them). */
struct reader {
	const char *name;           /* NULL: none known */
	const char *langs[3];       /* tried in order; NULL entries skipped */
	const char *lang;           /* the first of langs that is set */
	const char *tz;
	struct store_member_row past;
};

void
letter_vars_add(struct letter_vars *lv, const char *name, const char *value)
{
	lv->v = xreallocarray(lv->v, lv->n + 1, sizeof *lv->v);
	lv->v[lv->n++] = (struct tvar){ name, value };
}

void
letter_vars_take(struct letter_vars *lv, const char *name, char *value)
{
	lv->own = xreallocarray(lv->own, lv->nown + 1, sizeof *lv->own);
	lv->own[lv->nown++] = value;
	letter_vars_add(lv, name, value);
}

static void
vars_release(struct letter_vars *lv)
{
	size_t i;

	for (i = 0; i < lv->nown; i++)
		free(lv->own[i]);
	free(lv->own);
	free(lv->v);
	memset(lv, 0, sizeof *lv);
}

static int
listed(char *const *v, size_t n, const char *email)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcasecmp(v[i], email) == 0)
			return 1;
	return 0;
}

/* A member who has left the group, as the store remembers them: their
 * name, language and zone still hold for the cancellations they get.
 * 1 found, 0 not, -1 error (*err set). */
static int
reader_past_member(struct store *st, const struct letter *l,
    struct reader *rd, char **err)
{
	int rc;

	if (l->group == NULL ||
	    (rc = store_member_get(st, l->group->id, l->to, &rd->past,
	    err)) == 0)
		return 0;
	if (rc == -1)
		return -1;
	rd->name = rd->past.name;
	rd->langs[0] = rd->past.language;
	rd->tz = rd->past.timezone;
	return 1;
}

/* 0, or -1 with *err set when the store cannot say who left. */
static int
reader_of(const struct config *cfg, struct store *st, const struct letter *l,
    struct reader *rd, char **err)
{
	const struct group *g = l->group;
	const struct member *m = g ? config_member(g, l->to) : NULL;
	const struct guest *gu = g ? config_guest(g, l->to) : NULL;
	const struct series *s = g && l->meeting ? config_series(g,
	    l->meeting->series) : NULL;
	int rc = 0;

	memset(rd, 0, sizeof *rd);
	rd->langs[1] = g ? g->language : NULL;
	rd->langs[2] = cfg->language;
	if (m != NULL) {
		rd->name = m->name;
		rd->langs[0] = m->language;
		rd->tz = config_member_timezone(g, m);
	} else if (gu != NULL) {
		rd->name = gu->name;
		rd->langs[0] = gu->language;
		rd->tz = gu->timezone;
	} else if (s != NULL && listed(s->guests, s->nguests, l->to)) {
		/* the group's language and zone, as for a member */
	} else if (cfg->admin != NULL && strcasecmp(l->to, cfg->admin) == 0) {
		rd->langs[0] = cfg->language;
		rd->tz = cfg->timezone;
	} else if ((rc = reader_past_member(st, l, rd, err)) != 0) {
		if (rc == -1)
			return -1;
	} else if (s != NULL)
		rd->tz = s->timezone;
	else if (l->meeting != NULL)
		rd->tz = l->meeting->tzid;
	if (rd->tz == NULL)
		rd->tz = g ? g->timezone : cfg->timezone;
	rd->lang = rd->langs[0] ? rd->langs[0] : rd->langs[1] ? rd->langs[1] :
	    rd->langs[2];
	return 0;
}

/* Whether l's meeting is open: its series says so, or guests were
 * invited to it (the series has gone, or changed since).  1 open, 0
 * closed, -1 not known (a series gone that had no guests), -2 error
 * (*err set). */
static int
meeting_open(struct store *st, const struct letter *l, char **err)
{
	const struct series *s = config_series(l->group, l->meeting->series);
	int rc;

	if (s != NULL && s->open)
		return 1;
	if ((rc = store_meeting_had_guests(st, l->meeting->uid, err)) == -1)
		return -2;
	if (rc == 1)
		return 1;
	return s != NULL ? 0 : -1;
}

/* The variables of a meeting, for one reader; open as meeting_open()
 * says (not known: no openness word). */
static void
meeting_vars(struct letter_vars *lv, const struct letter *l,
    const struct reader *rd, int open)
{
	const struct store_plan_meeting *r = l->meeting;
	const char *lang = rd->lang, *tz = rd->tz;

	letter_vars_add(lv, "summary", r->summary);
	letter_vars_add(lv, "kind", template_kind_word(lang,
	    r->kind ? r->kind : "meeting"));
	letter_vars_add(lv, "openness", open < 0 ? NULL :
	    template_openness_word(lang, open));
	letter_vars_take(lv, "date", template_date(lang, r->start, tz));
	letter_vars_take(lv, "when_member", template_when(lang, r->start, tz));
	letter_vars_take(lv, "when_meeting", template_when(lang, r->start,
	    r->tzid));
	letter_vars_add(lv, "member_timezone", tz);
	letter_vars_add(lv, "meeting_timezone", r->tzid);
	letter_vars_take(lv, "duration", xasprintf("%lld",
	    (r->end - r->start) / 60));
	letter_vars_add(lv, "location", r->location);
	letter_vars_add(lv, "agenda", r->agenda_confirmed ? r->agenda : NULL);
	letter_vars_take(lv, "sequence", xasprintf("%d", r->sequence));
}

/* Everything a template of l may use, for one reader. */
static void
all_vars(struct letter_vars *lv, const struct config *cfg,
    const struct letter *l, const struct reader *rd, int open)
{
	size_t i;

	letter_vars_add(lv, "member_name", rd->name ? rd->name : l->to);
	letter_vars_add(lv, "member_email", l->to);
	letter_vars_add(lv, "group_name", l->group ? l->group->name : NULL);
	letter_vars_add(lv, "group_id", l->group ? l->group->id : NULL);
	letter_vars_add(lv, "organizer_name", cfg->org_name);
	letter_vars_add(lv, "organizer_email", cfg->org_email);
	if (l->meeting != NULL && l->group != NULL)
		meeting_vars(lv, l, rd, open);
	for (i = 0; i < l->nvars; i++)
		letter_vars_add(lv, l->vars[i].name, l->vars[i].value);
	if (l->vars_for != NULL)
		l->vars_for(l->arg, lv, rd->lang, rd->tz);
}

/* The UID a letter about a meeting names: the series event's when it
 * carries a calendar of one (every message of an event names the same
 * ORGANIZER, or clients take it for another event), else the meeting's;
 * NULL without a meeting. */
static const char *
event_uid(const struct letter *l)
{
	if (l->meeting == NULL)
		return NULL;
	if (l->calendar != NULL && l->meeting->series_uid != NULL)
		return l->meeting->series_uid;
	return l->meeting->uid;
}

/* The reader's token: for the message held for their confirmation, for
 * the meeting or its series event, else for the group. */
static void
reader_token(const struct config *cfg, const struct letter *l,
    char tok[TOKEN_LEN + 1])
{
	if (l->held != NULL)
		token_build(&cfg->trust_key, TOKEN_HELD, l->held, l->to, tok);
	else if (l->meeting != NULL)
		token_build(&cfg->trust_key, TOKEN_MEETING, event_uid(l),
		    l->to, tok);
	else
		token_build(&cfg->trust_key, TOKEN_GROUP,
		    l->group ? l->group->id : NULL, l->to, tok);
}

/* NULL when one of the letter's names cannot go in an id (*err set). */
static char *
message_id(const struct config *cfg, const struct letter *l,
    const char *tok, char **err)
{
	struct msgid id;
	char *mid = NULL;

	if (msgid_init(&id, l->kind, l->group ? l->group->id : NULL,
	    event_uid(l)) == 0) {
		if (l->ref != NULL)
			msgid_set_ref(&id, l->ref);
		else if (l->calendar != NULL && l->meeting != NULL)
			msgid_set_sequence(&id, l->meeting->sequence);
		msgid_set_token(&id, tok);
		mid = msgid_build(&id, addr_domain(cfg->org_email));
	}
	if (mid == NULL)
		*err = xasprintf("cannot make a Message-ID for %s to %s",
		    l->kind, l->to);
	return mid;
}

/* The plus address the reader answers, or NULL: tokens are off, or the
 * meeting's invitations named the plain address. */
static char *
reply_address(const struct config *cfg, const struct letter *l,
    const char *tok)
{
	if (!cfg->trust_tokens ||
	    (l->meeting != NULL && l->meeting->plain_organizer))
		return NULL;
	return token_address(cfg->org_email, tok);
}

/* The calendar of l naming organizer, or NULL when l has none; a meeting
 * invited with the plain address is recorded so (store.h).  0 or -1. */
static int
calendar_for(struct store *st, const struct letter *l, const char *body,
    const char *organizer, const char *plus, char **ical, char **err)
{
	*ical = NULL;
	if (l->calendar == NULL)
		return 0;
	if (plus == NULL && l->meeting != NULL &&
	    !l->meeting->plain_organizer &&
	    (l->meeting->series_uid != NULL ?
	    store_series_set_plain(st, l->meeting->series_uid, err) :
	    store_meeting_set_plain(st, l->meeting->uid, err)) == -1)
		return -1;
	*ical = l->calendar(l->arg, body, organizer);
	return 0;
}

/* What a relayed post puts in msg in place of the organizer's: its
 * author (or the list) in From, Reply-To and Cc, its headers, and what
 * it answers: the reader's own copy of a post the list relayed (its
 * Message-ID is made as message_id() makes it, with the reader's token
 * tok), else the post's own In-Reply-To.  *irt is the caller's to
 * free. */
static void
post_fields(const struct config *cfg, const struct letter *l,
    const char *tok, struct compose_msg *msg, char **irt)
{
	const struct letter_post *p = l->post;
	struct msgid id;

	*irt = NULL;
	msg->from_name = p->from_name;
	msg->from_email = p->from_email;
	msg->reply_to = p->reply_to;
	msg->reply_to_name = p->reply_to_name;
	msg->cc = p->cc;
	msg->cc_name = p->cc_name;
	msg->extra_headers = p->headers;
	if (p->reply_ref != NULL && msgid_init(&id, l->kind, l->group ?
	    l->group->id : NULL, NULL) == 0 &&
	    strlen(p->reply_ref) < sizeof id.ref) {
		memcpy(id.ref, p->reply_ref, strlen(p->reply_ref) + 1);
		msgid_set_token(&id, tok);
		*irt = msgid_build(&id, addr_domain(cfg->org_email));
	}
	msg->in_reply_to = *irt != NULL ? *irt : p->in_reply_to;
}

int
letter_queue(const struct config *cfg, struct store *st,
    const struct letter *l, long long now, char **err)
{
	struct letter_vars lv;
	struct reader rd;
	struct compose_msg msg;
	struct store_outbox_in out;
	char *mid, *subject = NULL, *body = NULL, *ical = NULL, *data = NULL;
	char tok[TOKEN_LEN + 1], *plus, *irt = NULL;
	int rc = -1, open = -1;

	if (!cfg->trust_key.set) {
		*err = xasprintf("cannot write %s to %s: no reply-token key "
		    "loaded", l->kind, l->to);
		return -1;
	}
	reader_token(cfg, l, tok);
	if ((mid = message_id(cfg, l, tok, err)) == NULL)
		return -1;
	plus = reply_address(cfg, l, tok);
	memset(&lv, 0, sizeof lv);
	if (reader_of(cfg, st, l, &rd, err) == -1 ||
	    (l->meeting != NULL && l->group != NULL &&
	    (open = meeting_open(st, l, err)) == -2)) {
		store_member_row_clear(&rd.past);
		free(mid);
		return -1;
	}
	all_vars(&lv, cfg, l, &rd, open);
	if (l->post != NULL) {
		subject = xstrdup(l->post->subject ? l->post->subject : "");
		body = xstrdup(l->post->text ? l->post->text : "");
	} else if (template_render(cfg, rd.langs, 3, l->kind, lv.v, lv.n,
	    &subject, &body, err) == -1 || calendar_for(st, l, body, plus ?
	    plus : cfg->org_email, plus, &ical, err) == -1)
		goto out;
	memset(&msg, 0, sizeof msg);
	msg.from_name = cfg->org_name;
	msg.from_email = cfg->org_email;
	msg.to_name = rd.name;
	msg.to_email = l->to;
	msg.reply_to = plus;
	msg.reply_to_name = plus ? cfg->org_name : NULL;
	msg.subject = subject;
	msg.message_id = mid;
	msg.date = now;
	msg.text = body;
	msg.ical = ical;
	msg.ical_method = ical ? l->method : NULL;
	msg.att = l->att;
	msg.natt = l->natt;
	if (l->post != NULL)
		post_fields(cfg, l, tok, &msg, &irt);

	memset(&out, 0, sizeof out);
	out.message_id = mid;
	out.kind = l->kind;
	out.group_id = l->group ? l->group->id : NULL;
	out.meeting_uid = l->meeting ? l->meeting->uid : NULL;
	out.recipient = l->to;
	out.data = data = compose_message(&msg, &out.len);
	out.now = now;
	rc = store_outbox_add(st, &out, err);
out:
	store_member_row_clear(&rd.past);
	vars_release(&lv);
	free(data);
	free(ical);
	free(subject);
	free(body);
	free(plus);
	free(irt);
	free(mid);
	explicit_bzero(tok, sizeof tok);
	return rc;
}
