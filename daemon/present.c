/*
 * present.c: volunteer presentations, their slots, the agenda's section,
 * the materials and the record of experiences (see present.h).
 *
 * The store keeps one row per offer in order of arrival; which are
 * accepted is present_rank()'s to say, recomputed after every change and
 * written back, so `status`, the agenda and the letters read one answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "archive.h"
#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "letter.h"
#include "log.h"
#include "present.h"
#include "repo.h"
#include "store.h"
#include "template.h"
#include "util.h"

#define LOOK_BACK       (60 * DAY)  /* meetings ended this recently get
                                     * their experiences recorded */
#define RECORD_MAX      ((size_t)4 << 20)   /* experiences.* read back */
#define STR_(x)         #x
#define STR(x)          STR_(x)

/* ---- the parser ----------------------------------------------------- */

/* The first word of s folded to upper-case ASCII: Latin-1 letters with
 * accents (U+00C0-U+00FF, two bytes in UTF-8) lose them.  At most
 * max - 1 letters; *end is where the word stops. */
static void
folded_word(const char *s, char *out, size_t max, const char **end)
{
	/* U+00C0.. U+00FF without their accents ('*' for none). */
	static const char base[] = "AAAAAAACEEEEIIII" "DNOOOOO*OUUUUYTS"
	    "AAAAAAACEEEEIIII" "DNOOOOO*OUUUUYTY";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;
	char ch;

	for (;;) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')) {
			ch = (char)(*p & ~0x20);
			p++;
		} else if ((*p == 0xc3) && p[1] >= 0x80 && p[1] <= 0xbf &&
		    base[(p[1] & 0x3f)] != '*') {
			ch = base[p[1] & 0x3f];
			p += 2;
		} else
			break;
		if (n + 1 < max)
			out[n++] = ch;
		else
			n = max;        /* too long for any verb */
	}
	out[n < max ? n : 0] = '\0';
	*end = (const char *)p;
}

/* Drop a character of the title: control, bidirectional or invisible
 * (archive.h lists the same for file names).  Its length in bytes, or
 * 0 to keep it. */
static size_t
dropped(const unsigned char *p)
{
	if (*p < 0x20 || *p == 0x7f)
		return 1;
	if (p[0] == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f)
		return 2;
	if (p[0] == 0xd8 && p[1] == 0x9c)               /* U+061C */
		return 2;
	if (p[0] == 0xe2 && p[1] == 0x80 && ((p[2] >= 0x8b && p[2] <= 0x8f) ||
	    (p[2] >= 0xaa && p[2] <= 0xae)))            /* U+200B-F, 202A-E */
		return 3;
	if (p[0] == 0xe2 && p[1] == 0x81 && (p[2] == 0xa0 ||
	    (p[2] >= 0xa6 && p[2] <= 0xa9)))            /* U+2060, 2066-9 */
		return 3;
	if (p[0] == 0xef && p[1] == 0xbb && p[2] == 0xbf)   /* U+FEFF */
		return 3;
	return 0;
}

/* The title from s to the end of its line, cleaned (present.h); NULL
 * with *why when it will not do. */
static char *
clean_title(const char *s, const char **why)
{
	const unsigned char *p = (const unsigned char *)s;
	struct buf b = BUF_INIT(BUF_OWN);
	size_t skip, n;
	int space = 1;

	for (; *p != '\0' && *p != '\n'; p += skip) {
		if (*p == '\t' || *p == ' ') {
			if (!space)
				buf_addc(&b, ' ');
			space = 1;
			skip = 1;
		} else if ((skip = dropped(p)) == 0) {
			buf_addc(&b, (char)*p);
			space = 0;
			skip = 1;
		}
		if (b.len > PRESENT_TITLE_MAX + 1)
			break;
	}
	while (b.len > 0 && buf_str(&b)[b.len - 1] == ' ')
		b.len--;
	n = b.len;
	if (n == 0)
		*why = "an empty title";
	else if (n > PRESENT_TITLE_MAX)
		*why = "a title over " STR(PRESENT_TITLE_MAX) " bytes";
	else if (!str_is_utf8(buf_str(&b)))
		*why = "a title that is not UTF-8";
	else {
		char *t = buf_detach(&b);

		t[n] = '\0';
		return t;
	}
	buf_release(&b);
	return NULL;
}

enum present_verb
present_parse(const char *unquoted, char **title, const char **why)
{
	static const char *const offers[] = { "PRESENT", "PRESENTAR",
	    "APRESENTAR", "PRESENTER", NULL };
	static const char *const withdraws[] = { "WITHDRAW", "RETIRAR",
	    "RETIRER", NULL };
	const char *s = unquoted, *end;
	char word[16];
	size_t i;

	*title = NULL;
	*why = NULL;
	if (s == NULL)
		return PRESENT_NONE;
	while (*s == ' ' || *s == '\t' || *s == '*')
		s++;
	folded_word(s, word, sizeof word, &end);
	for (i = 0; withdraws[i] != NULL; i++)
		if (strcmp(word, withdraws[i]) == 0 &&
		    strchr(" \t\n.!:*", *end) != NULL)
			return PRESENT_WITHDRAW;
	for (i = 0; offers[i] != NULL; i++)
		if (strcmp(word, offers[i]) == 0)
			break;
	if (offers[i] == NULL)
		return PRESENT_NONE;
	while (*end == ' ' || *end == '\t' || *end == '*')
		end++;
	if (*end != ':')
		return PRESENT_NONE;
	if ((*title = clean_title(end + 1, why)) == NULL)
		return PRESENT_BAD_TITLE;
	return PRESENT_OFFER;
}

/* ---- slots ---------------------------------------------------------- */

const char *
present_status_name(enum present_status s)
{
	switch (s) {
	case PRESENT_ACCEPTED:
		return "accepted";
	case PRESENT_WITHDRAWN:
		return "withdrawn";
	case PRESENT_WAITING:
		break;
	}
	return "waiting";
}

enum present_status
present_status_of(const char *name)
{
	if (name != NULL && strcmp(name, "accepted") == 0)
		return PRESENT_ACCEPTED;
	if (name != NULL && strcmp(name, "withdrawn") == 0)
		return PRESENT_WITHDRAWN;
	return PRESENT_WAITING;
}

void
present_rank(const int *withdrawn, size_t n, int slots,
    enum present_status *out)
{
	size_t i;
	int taken = 0;

	for (i = 0; i < n; i++) {
		if (withdrawn[i])
			out[i] = PRESENT_WITHDRAWN;
		else if (taken < slots) {
			out[i] = PRESENT_ACCEPTED;
			taken++;
		} else
			out[i] = PRESENT_WAITING;
	}
}

int
present_slots(const struct group *g, const struct store_plan_meeting *r)
{
	const struct series *s = config_series(g, r->series);

	return s != NULL ? s->presentations : 0;
}

/* The rows of a meeting ranked again for slots; those whose status
 * changed are written back and flagged in moved[i] (their old status
 * in was[i]).  0, or -1 with *err. */
static int
rerank(struct store *st, struct store_presentation *p, size_t n, int slots,
    int *moved, enum present_status *was, char **err)
{
	enum present_status *now;
	int *wd;
	size_t i;
	int rc = 0;

	now = xcalloc(n + 1, sizeof *now);
	wd = xcalloc(n + 1, sizeof *wd);
	for (i = 0; i < n; i++)
		wd[i] = p[i].withdrawn >= 0;
	present_rank(wd, n, slots, now);
	for (i = 0; i < n && rc == 0; i++) {
		was[i] = present_status_of(p[i].status);
		moved[i] = was[i] != now[i];
		if (!moved[i])
			continue;
		free(p[i].status);
		p[i].status = xstrdup(present_status_name(now[i]));
		rc = store_presentation_put(st, &p[i], err);
	}
	free(wd);
	free(now);
	return rc;
}

/* ---- letters -------------------------------------------------------- */

/* The list as it stands: the accepted ("  1. UY, Ana Pérez: title") in
 * *acc, those waiting likewise in *wait.  Caller frees both. */
static void
listing(const struct store_presentation *p, size_t n, char **acc,
    char **wait)
{
	struct buf a = BUF_INIT(BUF_OWN), w = BUF_INIT(BUF_OWN);
	struct buf *b;
	size_t i, na = 0, nw = 0;

	for (i = 0; i < n; i++) {
		switch (present_status_of(p[i].status)) {
		case PRESENT_ACCEPTED:
			b = &a;
			buf_addf(b, "  %zu. ", ++na);
			break;
		case PRESENT_WAITING:
			b = &w;
			buf_addf(b, "  %zu. ", ++nw);
			break;
		default:
			continue;
		}
		buf_addf(b, "%s%s%s: %s\n", p[i].country ? p[i].country : "",
		    p[i].country ? ", " : "", p[i].name ? p[i].name :
		    p[i].email, p[i].title);
	}
	*acc = buf_detach(&a);
	*wait = buf_detach(&w);
}

/* Where row i stands among those of its status: 1, 2, ... */
static size_t
position(const struct store_presentation *p, size_t i)
{
	size_t k, pos = 1;

	for (k = 0; k < i; k++)
		if (strcmp(p[k].status, p[i].status) == 0)
			pos++;
	return pos;
}

/* What happened to one offer, for its letters. */
struct change {
	const struct store_presentation *p;     /* the row, as it is now */
	const char *what;       /* offered | retitled | withdrawn | moved-up
	                         * | moved-down */
	const char *ref;        /* the letter's ref (NULL: the sender's) */
	size_t pos;
};

/* The variables of both letters about change ch. */
static size_t
change_vars(const struct change *ch, struct tvar *v, char *pos, size_t plen)
{
	const struct store_presentation *p = ch->p;
	size_t n = 0;

	snprintf(pos, plen, "%zu", ch->pos);
	v[n++] = (struct tvar){ "title", p->title };
	v[n++] = (struct tvar){ "presenter_name", p->name ? p->name :
	    p->email };
	v[n++] = (struct tvar){ "presenter_email", p->email };
	v[n++] = (struct tvar){ "presenter_country", p->country };
	v[n++] = (struct tvar){ "position", pos };
	v[n++] = (struct tvar){ "accepted", strcmp(p->status, "accepted") ?
	    NULL : "1" };
	v[n++] = (struct tvar){ "waiting", strcmp(p->status, "waiting") ?
	    NULL : "1" };
	v[n++] = (struct tvar){ "offered", strcmp(ch->what, "offered") ?
	    NULL : "1" };
	v[n++] = (struct tvar){ "retitled", strcmp(ch->what, "retitled") ?
	    NULL : "1" };
	v[n++] = (struct tvar){ "withdrawn", strcmp(ch->what, "withdrawn") ?
	    NULL : "1" };
	v[n++] = (struct tvar){ "moved_up", strcmp(ch->what, "moved-up") ?
	    NULL : "1" };
	v[n++] = (struct tvar){ "moved_down", strcmp(ch->what,
	    "moved-down") ? NULL : "1" };
	return n;
}

/* One change told: to its member, then to every coordinator with the
 * list.  0, or -1 with *err (the sender's). */
static int
tell_change(const struct group *g, const struct store_plan_meeting *r,
    const struct store_presentation *p, size_t n, const struct change *ch,
    const struct present_mail *mail)
{
	struct tvar v[20];
	struct letter l;
	char pos[24], *acc, *wait, slots[16], *tag;
	size_t nv, i;
	int rc;

	listing(p, n, &acc, &wait);
	nv = change_vars(ch, v, pos, sizeof pos);
	snprintf(slots, sizeof slots, "%d", present_slots(g, r));
	tag = xasprintf("[%s]", g->id);
	v[nv++] = (struct tvar){ "presenters", acc };
	v[nv++] = (struct tvar){ "line", wait };
	v[nv++] = (struct tvar){ "slots", slots };
	v[nv++] = (struct tvar){ "tag", tag };
	memset(&l, 0, sizeof l);
	l.kind = "presentation-reply";
	l.group = g;
	l.meeting = r;
	l.to = ch->p->email;
	l.ref = ch->ref;
	l.vars = v;
	l.nvars = nv;
	rc = mail->send(mail->arg, &l);
	l.kind = "presentation-notice";
	for (i = 0; i < g->nmembers && rc == 0; i++) {
		if (!g->members[i].coordinator)
			continue;
		l.to = g->members[i].email;
		l.ref = ch->ref;
		rc = mail->send(mail->arg, &l);
	}
	free(tag);
	free(acc);
	free(wait);
	return rc;
}

/* After a change to row k (what), the letters: its own, and one for
 * every other row whose slot moved. */
static int
tell_all(const struct group *g, const struct store_plan_meeting *r,
    const struct store_presentation *p, size_t n, size_t k, const char *what,
    const int *moved, const enum present_status *was,
    const struct present_mail *mail, const char *ref)
{
	struct change ch;
	char own[48];
	size_t i;

	for (i = 0; i < n; i++) {
		if (i != k && !moved[i])
			continue;
		/* Letters about another offer, to the same coordinators,
		 * are told apart from those about row k. */
		snprintf(own, sizeof own, "moved-%lld", p[i].id);
		ch.p = &p[i];
		ch.what = i == k ? what : was[i] == PRESENT_WAITING ?
		    "moved-up" : "moved-down";
		if (i != k && present_status_of(p[i].status) ==
		    PRESENT_WITHDRAWN)
			continue;
		ch.ref = i == k || ref != NULL ? ref : own;
		ch.pos = position(p, i);
		if (tell_change(g, r, p, n, &ch, mail) == -1)
			return -1;
	}
	return 0;
}

/* ---- applying an offer or a withdrawal ------------------------------ */

/* The standing offer of email among p[0..n) (n when none), and how many
 * changes the member made for the meeting. */
static size_t
standing(const struct store_presentation *p, size_t n, const char *email,
    int *changes)
{
	size_t i, k = n;

	*changes = 0;
	for (i = 0; i < n; i++) {
		if (strcasecmp(p[i].email, email) != 0)
			continue;
		*changes += p[i].changes;
		if (p[i].withdrawn < 0)
			k = i;
	}
	return k;
}

static size_t
waiting_count(const struct store_presentation *p, size_t n)
{
	size_t i, w = 0;

	for (i = 0; i < n; i++)
		w += strcmp(p[i].status, "waiting") == 0;
	return w;
}

/* A new offer from m: a row appended to *p. */
static int
add_offer(struct store *st, const struct group *g,
    const struct store_plan_meeting *r, const struct member *m,
    const char *title, long long now, struct store_presentation **p,
    size_t *n, char **err)
{
	struct store_presentation *np;
	long long id;

	np = xreallocarray(*p, *n + 1, sizeof **p);
	*p = np;
	np = &np[*n];
	memset(np, 0, sizeof *np);
	np->meeting_uid = xstrdup(r->uid);
	np->group_id = xstrdup(g->id);
	np->email = xstrdup(m->email);
	np->name = m->name ? xstrdup(m->name) : NULL;
	np->country = m->country ? xstrdup(m->country) : NULL;
	np->title = xstrdup(title);
	np->offered = now;
	np->withdrawn = -1;
	np->status = xstrdup("waiting");
	np->changes = 1;
	np->files = xstrdup("");
	np->start = r->start;
	(*n)++;
	if (store_presentation_add(st, np, &id, err) == -1)
		return -1;
	np->id = id;
	return 0;
}

/* The change verb asks of p[0..*n) (k: m's standing offer, or *n):
 * "offered", "retitled", "withdrawn", with the row it is about in *k;
 * "" when the store failed (*err); NULL when there is nothing to do, or
 * (*full set) the line is full (why says). */
static const char *
change_rows(struct store *st, const struct group *g,
    const struct store_plan_meeting *r, const struct member *m,
    enum present_verb verb, const char *title, long long now,
    struct store_presentation **p, size_t *n, size_t *k, int *full,
    char *why, size_t wl, char **err)
{
	struct store_presentation *q;

	if (verb == PRESENT_WITHDRAW) {
		if (*k == *n) {
			snprintf(why, wl, "withdrawal from %s, who has no offer "
			    "standing for %s", m->email, r->uid);
			return NULL;
		}
		q = &(*p)[*k];
		q->withdrawn = now;
		q->changes++;
		return store_presentation_put(st, q, err) == -1 ? "" :
		    "withdrawn";
	}
	if (*k < *n) {
		q = &(*p)[*k];
		if (strcmp(q->title, title) == 0) {
			snprintf(why, wl, "offer from %s for %s unchanged",
			    m->email, r->uid);
			return NULL;
		}
		free(q->title);
		q->title = xstrdup(title);
		q->changes++;
		return store_presentation_put(st, q, err) == -1 ? "" :
		    "retitled";
	}
	if (waiting_count(*p, *n) >= PRESENT_WAITING_MAX) {
		*full = 1;
		snprintf(why, wl, "offer from %s for %s: %d offers wait "
		    "already", m->email, r->uid, PRESENT_WAITING_MAX);
		return NULL;
	}
	*k = *n;
	return add_offer(st, g, r, m, title, now, p, n, err) == -1 ? "" :
	    "offered";
}

enum present_result
present_apply(const struct config *cfg, struct store *st,
    const struct group *g, const struct store_plan_meeting *r,
    const struct member *m, enum present_verb verb, const char *title,
    long long now, const struct present_mail *mail, char *why,
    size_t whylen, char **err)
{
	struct store_presentation *p = NULL;
	enum present_status *was = NULL;
	enum present_result res = PRESENT_FAILED;
	const char *what;
	int slots = present_slots(g, r), changes, full = 0, *moved = NULL;
	size_t n = 0, k;

	(void)cfg;
	if (slots == 0 || r->cancelled || r->start <= now) {
		snprintf(why, whylen, "%s for %s, which %s", verb ==
		    PRESENT_OFFER ? "offer" : "withdrawal", r->uid, slots == 0 ?
		    "has no presentation slots" : r->cancelled ?
		    "is cancelled" : "has begun");
		return PRESENT_NOTHING;
	}
	if (store_meeting_presentations(st, r->uid, &p, &n, err) == -1)
		return PRESENT_FAILED;
	k = standing(p, n, m->email, &changes);
	if (changes >= PRESENT_CHANGES_MAX) {
		snprintf(why, whylen, "%s has changed their offer for %s %d "
		    "times already: no more", m->email, r->uid, changes);
		res = PRESENT_REFUSED;
		goto out;
	}
	what = change_rows(st, g, r, m, verb, title, now, &p, &n, &k, &full,
	    why, whylen, err);
	if (what == NULL) {
		res = full ? PRESENT_REFUSED : PRESENT_NOTHING;
		goto out;
	}
	if (*what == '\0')
		goto out;
	moved = xcalloc(n + 1, sizeof *moved);
	was = xcalloc(n + 1, sizeof *was);
	if (rerank(st, p, n, slots, moved, was, err) == -1 ||
	    tell_all(g, r, p, n, k, what, moved, was, mail, NULL) == -1)
		goto out;
	snprintf(why, whylen, "presentation of %s for %s %s: %s", m->email,
	    r->uid, what, p[k].status);
	res = PRESENT_APPLIED;
out:
	free(moved);
	free(was);
	store_presentations_free(p, n);
	return res;
}

/* ---- the agenda's section ------------------------------------------- */

int
present_draft(struct store *st, const struct group *g,
    const struct store_plan_meeting *r, char **out, char **err)
{
	/* In the order of template.h's enum template_lang. */
	static const char *const heading[] = { "Presentaciones",
	    "Presentations", "Apresentações", "Présentations" };
	struct store_presentation *p = NULL;
	struct buf b = BUF_INIT(BUF_OWN);
	char *acc, *wait;
	size_t n = 0;

	*out = NULL;
	if (present_slots(g, r) == 0)
		return 0;
	if (store_meeting_presentations(st, r->uid, &p, &n, err) == -1)
		return -1;
	listing(p, n, &acc, &wait);
	store_presentations_free(p, n);
	if (*acc != '\0') {
		buf_addf(&b, "%s:\n\n%s", heading[template_lang(g->language)],
		    acc);
		if (r->agenda != NULL && *r->agenda != '\0')
			buf_addf(&b, "\n%s", r->agenda);
		*out = buf_detach(&b);
	}
	free(acc);
	free(wait);
	return 0;
}

/* ---- the cycle's step ----------------------------------------------- */

/* present_mail's send for the cycle: straight to the outbox, counted. */
static int
cycle_send(void *arg, struct letter *l)
{
	const struct cycle_ctx *c = arg;
	char *e = NULL;
	int rc;

	if ((rc = letter_queue(c->cfg, c->st, l, c->now, &e)) == -1) {
		log_warnx("cannot queue %s to %s: %s", l->kind, l->to,
		    e ? e : "unknown error");
		free(e);
		return -1;
	}
	c->cs->queued += rc;
	return 0;
}

/* The call for volunteers to every member, once per meeting. */
static int
call(const struct cycle_ctx *c, const struct group *g,
    const struct store_plan_meeting *r, char **err)
{
	struct tvar v[2];
	struct letter l;
	char slots[16], *tag;
	size_t i;
	int rc;

	if ((rc = store_warning_add(c->st, g->id, "presentations-call", r->uid,
	    c->now, err)) <= 0)
		return rc;
	snprintf(slots, sizeof slots, "%d", present_slots(g, r));
	tag = xasprintf("[%s]", g->id);
	v[0] = (struct tvar){ "slots", slots };
	v[1] = (struct tvar){ "tag", tag };
	memset(&l, 0, sizeof l);
	l.kind = "presentations-call";
	l.group = g;
	l.meeting = r;
	l.vars = v;
	l.nvars = 2;
	for (i = 0; i < g->nmembers && rc >= 0; i++) {
		l.to = g->members[i].email;
		rc = cycle_send((void *)c, &l);
	}
	free(tag);
	if (rc < 0) {
		*err = xasprintf("cannot queue the call for presentations of %s",
		    r->uid);
		return -1;
	}
	log_info("%s: call for presentations of %s queued for %zu members",
	    g->id, r->uid, g->nmembers);
	return 0;
}

/* Slots ranked again for a meeting to come: `presentations` may have
 * changed since the last offer.  Who moves is told. */
static int
rank_again(const struct cycle_ctx *c, const struct group *g,
    const struct store_plan_meeting *r, char **err)
{
	const struct present_mail mail = { cycle_send, (void *)c };
	struct store_presentation *p = NULL;
	enum present_status *was;
	struct change ch;
	char ref[64];
	size_t n = 0, i;
	int *moved, rc;

	if (store_meeting_presentations(c->st, r->uid, &p, &n, err) == -1)
		return -1;
	moved = xcalloc(n + 1, sizeof *moved);
	was = xcalloc(n + 1, sizeof *was);
	rc = rerank(c->st, p, n, present_slots(g, r), moved, was, err);
	for (i = 0; i < n && rc == 0; i++) {
		if (!moved[i])
			continue;
		snprintf(ref, sizeof ref, "rank-%lld-%s", p[i].id, p[i].status);
		ch.p = &p[i];
		ch.what = was[i] == PRESENT_WAITING ? "moved-up" : "moved-down";
		ch.ref = ref;
		ch.pos = position(p, i);
		if ((rc = tell_change(g, r, p, n, &ch, &mail)) == -1)
			*err = xasprintf("cannot tell of the slots of %s", r->uid);
	}
	free(moved);
	free(was);
	store_presentations_free(p, n);
	return rc;
}

/* A meeting ended: its accepted offers are experiences presented, and
 * their presenters are asked for the materials. */
static int
presented(const struct cycle_ctx *c, const struct group *g,
    const struct store_plan_meeting *r, char **err)
{
	struct store_presentation *p = NULL;
	struct letter l;
	struct tvar v[1];
	size_t n = 0, i;
	int rc = 0;

	if (store_meeting_presentations(c->st, r->uid, &p, &n, err) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		if (p[i].presented || strcmp(p[i].status, "accepted") != 0)
			continue;
		p[i].presented = 1;
		if ((rc = store_presentation_put(c->st, &p[i], err)) == -1)
			break;
		v[0] = (struct tvar){ "title", p[i].title };
		memset(&l, 0, sizeof l);
		l.kind = "materials-request";
		l.group = g;
		l.meeting = r;
		l.to = p[i].email;
		l.vars = v;
		l.nvars = 1;
		if ((rc = cycle_send((void *)c, &l)) == -1)
			*err = xasprintf("cannot ask %s for materials",
			    p[i].email);
	}
	store_presentations_free(p, n);
	return rc;
}

/* Whether file in dirfd says text already. */
static int
says(int dirfd, const char *file, const char *text)
{
	char *old = NULL;
	int same;

	same = archive_read_file(dirfd, file, RECORD_MAX, &old) == 0 &&
	    strcmp(old, text) == 0;
	free(old);
	return same;
}

/* file in dirfd made to say text (journaled before, by the caller). */
static void
rewrite(const struct group *g, int dirfd, const char *file,
    const char *text)
{
	char *e = NULL;

	if (archive_write_file(dirfd, file, text, strlen(text), &e) !=
	    ARCHIVE_OK) {
		log_warnx("cannot write %s of %s: %s; trying again next cycle",
		    file, g->id, e ? e : "unknown error");
		free(e);
	} else
		log_info("%s: %s rewritten", g->id, file);
}

/* The two files of the record made to say json and md, when they do not:
 * journaled first (repo.h), as convened's own change (the record is
 * rebuilt from the store, whoever's mail changed it), then replaced.
 * 0, or -1 when the store failed. */
static int
record_files(const struct cycle_ctx *c, const struct group *g, int fd,
    const char *json, const char *md, char **err)
{
	int jsame = says(fd, "experiences.json", json);
	int msame = says(fd, "experiences.md", md);
	char *pj, *pm;
	const char *paths[2];
	int rc;

	if (jsame && msame)
		return 0;
	paths[0] = pj = xasprintf("%s/experiences.json", g->id);
	paths[1] = pm = xasprintf("%s/experiences.md", g->id);
	rc = repo_commit_convened(c->st, g->id, "experiences", paths, 2,
	    c->now, err);
	free(pj);
	free(pm);
	if (rc == -1)
		return -1;
	if (!jsame)
		rewrite(g, fd, "experiences.json", json);
	if (!msame)
		rewrite(g, fd, "experiences.md", md);
	return 0;
}

/* The record of experiences in the repository, when there is one. */
static int
record(const struct cycle_ctx *c, const struct group *g, char **err)
{
	struct store_presentation *p = NULL;
	char *json, *md, *e = NULL;
	size_t n = 0, i, kept = 0;
	int fd, rc = 0;

	if (store_group_presentations(c->st, g->id, 0, (long long)1 << 62, &p,
	    &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++)
		kept += p[i].presented;
	if (kept > 0) {
		json = present_experiences_json(g, p, n);
		md = present_experiences_md(g, p, n);
		if (archive_group_dir(c->cfg->repository, g->id, &fd, &e) !=
		    ARCHIVE_OK) {
			log_warnx("cannot write the experiences of %s: %s; "
			    "trying again next cycle", g->id, e ? e :
			    "unknown error");
			free(e);
		} else {
			rc = record_files(c, g, fd, json, md, err);
			close(fd);
		}
		free(json);
		free(md);
	}
	store_presentations_free(p, n);
	return rc;
}

int
present_group(const struct cycle_ctx *c, const struct group *g, char **err)
{
	struct store_plan_meeting *rows = NULL, *r;
	long long now = c->now, lead = c->cfg->presentations_lead_days * DAY;
	size_t n = 0, i;
	int rc = 0;

	/* Its moments are days from its meetings' starts and ends. */
	cycle_due(c, CYCLE_NEVER);
	if (store_plan_meetings(c->st, g->id, now - LOOK_BACK, now + lead + 1,
	    &rows, &n, err) == -1)
		return -1;
	for (i = 0; i < n && rc == 0; i++) {
		r = &rows[i];
		if (r->cancelled || present_slots(g, r) == 0)
			continue;
		if (r->start > now && now >= r->start - lead)
			rc = call(c, g, r, err);
		if (rc == 0 && r->start > now)
			rc = rank_again(c, g, r, err);
		if (rc == 0 && r->end <= now)
			rc = presented(c, g, r, err);
	}
	store_plan_meetings_free(rows, n);
	return rc == 0 ? record(c, g, err) : -1;
}

/* ---- materials ------------------------------------------------------ */

int
present_presenter(struct store *st, const char *uid, const char *who,
    struct store_presentation **out, char **err)
{
	struct store_presentation *p = NULL, tmp;
	size_t n = 0, i;

	*out = NULL;
	if (store_meeting_presentations(st, uid, &p, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (p[i].presented && strcasecmp(p[i].email, who) == 0)
			break;
	if (i == n) {
		store_presentations_free(p, n);
		return 0;
	}
	/* The one kept goes first; the array is freed as one row. */
	tmp = p[0];
	p[0] = p[i];
	p[i] = tmp;
	for (i = 1; i < n; i++)
		store_presentation_clear(&p[i]);
	*out = p;
	return 1;
}

int
present_add_files(struct store *st, struct store_presentation *p,
    const char *dir, char *const *names, size_t n, char **err)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;
	int rc;

	buf_adds(&b, p->files ? p->files : "");
	for (i = 0; i < n; i++)
		buf_addf(&b, "%s/%s\n", dir, names[i]);
	free(p->files);
	p->files = buf_detach(&b);
	rc = store_presentation_put(st, p, err);
	return rc;
}

/* ---- status, the report and the record ------------------------------ */

void
present_json_meeting(struct buf *b, const struct store_presentation *p,
    size_t n, const char *uid)
{
	size_t i;
	int first = 1;

	buf_adds(b, ",\n     \"presentations\": [");
	for (i = 0; i < n; i++) {
		if (strcmp(p[i].meeting_uid, uid) != 0)
			continue;
		buf_adds(b, first ? "{\"email\": " : ", {\"email\": ");
		first = 0;
		json_str(b, p[i].email);
		buf_adds(b, ", \"country\": ");
		json_str_or_null(b, p[i].country);
		buf_adds(b, ", \"title\": ");
		json_str(b, p[i].title);
		buf_adds(b, ", \"status\": ");
		json_str(b, p[i].status);
		buf_addc(b, '}');
	}
	buf_addc(b, ']');
}

size_t
present_count(const struct store_presentation *p, size_t n, const char *uid)
{
	size_t i, k = 0;

	for (i = 0; i < n; i++)
		k += strcmp(p[i].meeting_uid, uid) == 0 &&
		    strcmp(p[i].status, "withdrawn") != 0;
	return k;
}

/* Countries and how many experiences each presented: c[i], k[i] for
 * i < *nc, sorted by country; rows without a country count as "". */
struct tally {
	const char *c[256];
	size_t k[256];
	size_t n;
};

static void
tally_add(struct tally *t, const char *country, size_t k)
{
	size_t i, j;

	if (country == NULL)
		country = "";
	for (i = 0; i < t->n && strcmp(t->c[i], country) < 0; i++)
		;
	if (i < t->n && strcmp(t->c[i], country) == 0) {
		t->k[i] += k;
		return;
	}
	if (t->n == sizeof t->c / sizeof t->c[0])
		return;
	for (j = t->n; j > i; j--) {
		t->c[j] = t->c[j - 1];
		t->k[j] = t->k[j - 1];
	}
	t->c[i] = country;
	t->k[i] = k;
	t->n++;
}

/* The experiences of rows by country into t; the members' countries of
 * g with none into *none (k 0 kept apart: those with k == 0). */
static void
tally_group(struct tally *t, const struct group *g,
    const struct store_presentation *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].presented)
			tally_add(t, p[i].country, 1);
	for (i = 0; g != NULL && i < g->nmembers; i++)
		if (g->members[i].country != NULL)
			tally_add(t, g->members[i].country, 0);
}

static void
md_tally(struct buf *b, const struct tally *t)
{
	size_t i, total = 0, missing = 0;

	for (i = 0; i < t->n; i++)
		total += t->k[i];
	buf_addf(b, "\nExperiences presented: %zu.\n", total);
	if (total > 0) {
		buf_adds(b, "\n| Country | Experiences |\n|---|--:|\n");
		for (i = 0; i < t->n; i++)
			if (t->k[i] > 0)
				buf_addf(b, "| %s | %zu |\n", *t->c[i] ?
				    t->c[i] : "(no country)", t->k[i]);
	}
	for (i = 0; i < t->n; i++)
		if (t->k[i] == 0 && *t->c[i] != '\0')
			buf_addf(b, "%s%s", missing++ ? ", " :
			    "\nMember countries that have not presented yet: ",
			    t->c[i]);
	buf_adds(b, missing ? ".\n" : "\nEvery member country has "
	    "presented.\n");
}

void
present_report_md_group(struct buf *b, const struct group *g,
    const struct store_presentation *p, size_t n)
{
	struct tally t;

	memset(&t, 0, sizeof t);
	tally_group(&t, g, p, n);
	md_tally(b, &t);
}

void
present_report_json_group(struct buf *b, const struct group *g,
    const struct store_presentation *p, size_t n)
{
	struct tally t;
	size_t i, total = 0;
	int first = 1;

	memset(&t, 0, sizeof t);
	tally_group(&t, g, p, n);
	for (i = 0; i < t.n; i++)
		total += t.k[i];
	buf_addf(b, ",\n   \"experiences\": {\"total\": %zu, \"by_country\": {",
	    total);
	for (i = 0; i < t.n; i++) {
		if (t.k[i] == 0)
			continue;
		buf_adds(b, first ? "" : ", ");
		first = 0;
		json_str(b, t.c[i]);
		buf_addf(b, ": %zu", t.k[i]);
	}
	buf_adds(b, "}, \"not_presented\": [");
	first = 1;
	for (i = 0; i < t.n; i++) {
		if (t.k[i] != 0 || *t.c[i] == '\0')
			continue;
		buf_adds(b, first ? "" : ", ");
		first = 0;
		json_str(b, t.c[i]);
	}
	buf_adds(b, "]}");
}

int
present_group_has(const struct group *g)
{
	size_t i;

	for (i = 0; i < g->nseries; i++)
		if (g->series[i].presentations > 0)
			return 1;
	return 0;
}

void
present_report_md_conference(struct buf *b,
    const struct group *const *groups,
    const struct store_presentation *const *p, const size_t *n,
    size_t ngroups)
{
	struct tally t;
	size_t i;

	memset(&t, 0, sizeof t);
	for (i = 0; i < ngroups; i++)
		tally_group(&t, groups[i], p[i], n[i]);
	buf_adds(b, "\n## Experiences presented by countries\n\nOffers "
	    "accepted at meetings that have ended, in every group, by the "
	    "presenter's country.\n");
	md_tally(b, &t);
}

static char *
day_of(const struct group *g, long long t)
{
	struct ical_tm tm;

	ical_localtime(t, g->timezone, &tm);
	return xasprintf("%04d-%02d-%02d", tm.year % 10000, tm.month % 100,
	    tm.day % 100);
}

/* The files of an experience, one path a line, as JSON strings. */
static void
json_files(struct buf *b, const char *files)
{
	const char *s = files, *nl;
	int first = 1;
	char *one;

	buf_addc(b, '[');
	for (; s != NULL && *s != '\0'; s = nl + 1) {
		if ((nl = strchr(s, '\n')) == NULL)
			nl = s + strlen(s) - 1;
		one = xstrndup(s, (size_t)(nl - s) + (*nl != '\n'));
		buf_adds(b, first ? "" : ", ");
		first = 0;
		json_str(b, one);
		free(one);
	}
	buf_addc(b, ']');
}

char *
present_experiences_json(const struct group *g,
    const struct store_presentation *p, size_t n)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;
	char *day;
	int first = 1;

	buf_adds(&b, "{\"group\": ");
	json_str(&b, g->id);
	buf_adds(&b, ",\n \"experiences\": [");
	for (i = 0; i < n; i++) {
		if (!p[i].presented)
			continue;
		day = day_of(g, p[i].start);
		buf_addf(&b, "%s\n  {\"date\": \"%s\", \"meeting\": ", first ?
		    "" : ",", day);
		first = 0;
		json_str(&b, p[i].meeting_uid);
		buf_adds(&b, ", \"summary\": ");
		json_str_or_null(&b, p[i].summary);
		buf_adds(&b, ",\n   \"country\": ");
		json_str_or_null(&b, p[i].country);
		buf_adds(&b, ", \"presenter\": ");
		json_str(&b, p[i].name ? p[i].name : p[i].email);
		buf_adds(&b, ", \"email\": ");
		json_str(&b, p[i].email);
		buf_adds(&b, ",\n   \"title\": ");
		json_str(&b, p[i].title);
		buf_adds(&b, ", \"files\": ");
		json_files(&b, p[i].files);
		buf_addc(&b, '}');
		free(day);
	}
	buf_adds(&b, "]}\n");
	return buf_detach(&b);
}

char *
present_experiences_md(const struct group *g,
    const struct store_presentation *p, size_t n)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *s, *nl;
	size_t i;
	char *day;

	buf_addf(&b, "# Experiences presented: %s\n\n| Date | Meeting | "
	    "Country | Presenter | Title | Files |\n|---|---|---|---|---|---|\n",
	    g->name);
	for (i = 0; i < n; i++) {
		if (!p[i].presented)
			continue;
		day = day_of(g, p[i].start);
		buf_addf(&b, "| %s | ", day);
		md_cell(&b, p[i].summary ? p[i].summary : p[i].meeting_uid);
		buf_adds(&b, " | ");
		md_cell(&b, p[i].country ? p[i].country : "—");
		buf_adds(&b, " | ");
		md_cell(&b, p[i].name ? p[i].name : p[i].email);
		buf_adds(&b, " | ");
		md_cell(&b, p[i].title);
		buf_adds(&b, " | ");
		for (s = p[i].files; s != NULL && *s != '\0'; s = nl + 1) {
			if ((nl = strchr(s, '\n')) == NULL)
				break;
			buf_adds(&b, s == p[i].files ? "`" : ", `");
			buf_add(&b, s, (size_t)(nl - s));
			buf_addc(&b, '`');
		}
		buf_adds(&b, " |\n");
		free(day);
	}
	return buf_detach(&b);
}
