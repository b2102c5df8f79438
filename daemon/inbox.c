/*
 * inbox.c: the effects of replies (see inbox.h).
 *
 * Who may act is decided by the From address: an RSVP counts only from
 * the attendee it answers for, an agenda or minutes only from a
 * coordinator of the group.  From can be forged, so what the message
 * proves decides whether it acts (trust.h): a reply token issued to the
 * sender, authentication by a trusted MTA.  A coordinator's message
 * without that proof is held and the coordinator asked to confirm it.
 * Every refusal is one log line with the Message-ID and its reason, and
 * is counted in the store for `status`.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "account.h"
#include "addr.h"
#include "archive.h"
#include "classify.h"
#include "compose.h"
#include "config.h"
#include "filetype.h"
#include "imap.h"
#include "inbox.h"
#include "letter.h"
#include "list.h"
#include "log.h"
#include "loop.h"
#include "milestone.h"
#include "msgid.h"
#include "outage.h"
#include "repo.h"
#include "seminar.h"
#include "oauth.h"
#include "present.h"
#include "poll.h"
#include "store.h"
#include "template.h"
#include "token.h"
#include "trust.h"
#include "util.h"
#include "verp.h"

#define COMMENT_MAX     2000    /* bytes of a proposal's text passed on */
#define DELEGATES_MAX   3       /* delegates one member may send to one
                                 * meeting: an alternate, and room for a
                                 * change of mind, not a mailing list */
#define MINUTES_WINDOW  (90 * DAY)  /* a tagged minutes message belongs to
                                     * a meeting that ended this recently */
#define QUOTE_MAX       2000    /* bytes of a held message quoted */
#define SCOPE_WINDOW    (400 * DAY) /* meetings whose tokens prove a
                                     * coordinator's message to the group */
#define REASONS_MAX     4       /* refusals counted for one message */

struct ictx {
	const struct config *cfg;
	struct store *st;
	long long now;
	const struct verdict *v;
	const char *msgid;
	const char *why;        /* reason for the log line */
	char whybuf[256];
	int seen_before;        /* processed in an earlier cycle: quiet */
	char **err;
	/* What failed, when something did: the environment's resource that
	 * did (outage.h), and whether it is only waiting for its next try;
	 * or a letter, which may be the templates' doing. */
	char *resource;
	int waiting;
	int letter_failed;
	/* What was written in the repository: taken back when the record
	 * of it cannot be committed.  apart: the files refused for their
	 * type, kept in an item of their own. */
	struct archive_stored stored, apart;
	/* Trust (trust.h): the raw message (to hold it), the folder it was
	 * found in, whether its coordinator confirmed it, and the refusals
	 * to count with its record. */
	const char *data;
	size_t len;
	const char *folder;
	int confirmed;
	int files_only;         /* archive the attachments, not the text (a
	                         * milestone's DONE) */
	enum trust_reason reasons[REASONS_MAX];
	size_t nreasons;
};

static const char *
why(struct ictx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static const char *
why(struct ictx *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->whybuf, sizeof c->whybuf, fmt, ap);
	va_end(ap);
	c->why = c->whybuf;
	return c->why;
}

/* A refusal of reason, to count with the message's record. */
static void
note(struct ictx *c, enum trust_reason r)
{
	if (c->nreasons < REASONS_MAX)
		c->reasons[c->nreasons++] = r;
}

static enum inbox_result
refuse(struct ictx *c, enum trust_reason r, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* The message refused for reason r, said first in its log line. */
static enum inbox_result
refuse(struct ictx *c, enum trust_reason r, const char *fmt, ...)
{
	va_list ap;
	int n;

	n = snprintf(c->whybuf, sizeof c->whybuf, "%s: ",
	    trust_reason_name(r));
	va_start(ap, fmt);
	vsnprintf(c->whybuf + n, sizeof c->whybuf - (size_t)n, fmt, ap);
	va_end(ap);
	c->why = c->whybuf;
	note(c, r);
	return INBOX_REFUSED;
}

const char *
inbox_result_name(enum inbox_result r)
{
	switch (r) {
	case INBOX_APPLIED:   return "applied";
	case INBOX_DUPLICATE: return "duplicate";
	case INBOX_IGNORED:   return "ignored";
	case INBOX_REFUSED:   return "refused";
	case INBOX_FAILED:    return "failed";
	case INBOX_QUARANTINE: return "quarantined";
	case INBOX_WAITING:   return "waiting";
	case INBOX_STORE_DOWN: return "store-down";
	}
	return "?";
}

/* ---- reading replies ---------------------------------------------------- */

static int
starts_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int
ends_ci(const char *s, size_t n, const char *suffix)
{
	size_t k = strlen(suffix);

	return n >= k && strncasecmp(s + n - k, suffix, k) == 0;
}

/* Where the quoted message starts, in the clients our members use. */
static int
attribution(const char *line, size_t n)
{
	static const char *const seps[] = {
		"-----Original Message", "-----Mensaje original",
		"-----Mensagem original", "-----Message d'origine",
		"________________________________", NULL
	};
	size_t i;

	while (n > 0 && (line[n - 1] == ' ' || line[n - 1] == '\t'))
		n--;
	for (i = 0; seps[i] != NULL; i++)
		if (starts_ci(line, seps[i]))
			return 1;
	if ((starts_ci(line, "On ") && ends_ci(line, n, "wrote:")) ||
	    (starts_ci(line, "El ") && ends_ci(line, n, "escribió:")) ||
	    (starts_ci(line, "Em ") && ends_ci(line, n, "escreveu:")) ||
	    (starts_ci(line, "Le ") && (ends_ci(line, n, "a écrit :") ||
	    ends_ci(line, n, "a écrit:") || ends_ci(line, n, "a écrit\xc2\xa0:"))))
		return 1;
	return 0;
}

char *
inbox_unquoted(const char *text)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *p = text ? text : "", *end = p + strlen(p), *nl;
	size_t n;
	char *s, *e;

	/* memchr over what is left, not strchr: a hostile reply of a
	 * million lines must stay linear under every libc and sanitizer */
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if ((n == 2 && strncmp(p, "--", 2) == 0) ||
		    (n == 3 && strncmp(p, "-- ", 3) == 0) || attribution(p, n))
			break;
		if (n == 0 || p[0] != '>') {
			buf_add(&b, p, n);
			buf_addc(&b, '\n');
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	s = buf_detach(&b);
	/* Trim blank lines (and blanks) at both ends. */
	for (e = s; *e == '\n' || *e == ' ' || *e == '\t' || *e == '\r'; e++)
		;
	memmove(s, e, strlen(e) + 1);
	n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

int
inbox_is_confirmation(const char *unquoted)
{
	static const char *const words[] = { "CONFIRM", "CONFIRMAR",
	    "CONFIRMER", "OK", NULL };
	char word[32];
	size_t n = 0, i;
	const char *p;

	for (p = unquoted; *p && *p != '\n'; p++) {
		if (isalpha((unsigned char)*p)) {
			if (n + 1 >= sizeof word)
				return 0;
			word[n++] = (char)toupper((unsigned char)*p);
		} else if (!(isspace((unsigned char)*p) || ispunct((unsigned char)*p)))
			return 0;       /* digits or other letters: an agenda */
		else if (n > 0 && isalpha((unsigned char)p[1]))
			return 0;       /* a second word */
	}
	word[n] = '\0';
	for (i = 0; words[i] != NULL; i++)
		if (strcmp(word, words[i]) == 0)
			return 1;
	return 0;
}

/* One of our own Message-IDs (msgid.h) in In-Reply-To or References,
 * about a meeting, of one of kinds[].  Returns the kind found and sets
 * *uid (caller frees), or NULL. */
static const char *
our_reference(const struct ictx *c, const char *const *kinds, char **uid)
{
	const struct mime_msg *m = c->v->msg;
	const char *dom = addr_domain(c->cfg->org_email), *id;
	struct msgid ref;
	size_t i, k, n = m ? m->nreferences + 1 : 0;

	/* Newest first: In-Reply-To, then References from the end. */
	for (i = 0; i < n; i++) {
		id = i == 0 ? m->in_reply_to : m->references[m->nreferences - i];
		if (msgid_parse(id, dom, &ref) == -1 || *ref.uid == '\0')
			continue;
		for (k = 0; kinds[k] != NULL; k++)
			if (strcmp(ref.kind, kinds[k]) == 0) {
				*uid = xstrdup(ref.uid);
				return kinds[k];
			}
	}
	return NULL;
}

/* ---- messages to coordinators and members --------------------------------- */

/* The resource that failed (outage.h), and whether it only waits for its
 * next try rather than failed now.  *c->err says why. */
static void
env_failed(struct ictx *c, char *resource, int waiting)
{
	free(c->resource);
	c->resource = resource;
	c->waiting = waiting;
}

/* A letter as an answer to the message being applied (its ref): queueing
 * it again for the same message does nothing.  While the templates are
 * down and not due for a try, none is rendered.  0, or -1 with *c->err. */
static int
send_letter(struct ictx *c, struct letter *l)
{
	int due;

	l->ref = c->msgid;
	if ((due = outage_due(c->st, OUTAGE_TEMPLATES, c->now, c->err)) == -1)
		return -1;
	if (due == OUTAGE_WAIT) {
		*c->err = xstrdup("the templates are unavailable: waiting for "
		    "their next try");
		env_failed(c, xstrdup(OUTAGE_TEMPLATES), 1);
		return -1;
	}
	if (letter_queue(c->cfg, c->st, l, c->now, c->err) < 0) {
		c->letter_failed = 1;
		return -1;
	}
	if (due == OUTAGE_TRY)
		return outage_ok(c->cfg, c->st, OUTAGE_TEMPLATES, c->now, c->err);
	return 0;
}

/* kind about meeting r to one person, as an answer to the message. */
static int
meeting_mail(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const char *kind, const char *to,
    struct letter *l)
{
	l->kind = kind;
	l->group = g;
	l->meeting = r;
	l->to = to;
	return send_letter(c, l);
}

/* letter.h's vars_for: the proposed time in the reader's terms. */
static void
proposed_for(void *arg, struct letter_vars *lv, const char *lang,
    const char *tz)
{
	const long long *proposed = arg;

	letter_vars_take(lv, "proposed_when", template_when(lang, *proposed,
	    tz));
}

/* Whether a counter-notice about attendee and meeting r may go to
 * coordinator `to` in this cycle: once at most, or a thousand proposals
 * would make a thousand notices each; the next one says how many were
 * held back (*more).  1 yes, 0 no (noted, said once per message), -1
 * error. */
static int
notice_due(struct ictx *c, const struct store_plan_meeting *r,
    const char *to, const char *attendee, long long *more)
{
	int rc;

	rc = store_notice_allow(c->st, "counter-notice", to, r->uid, attendee,
	    c->now, c->now, more, c->err);
	if (rc == 0 && c->nreasons == 0) {
		note(c, TRUST_RATE_LIMITED);
		log_info("%s: refused (%s): a proposal of %s for %s was passed "
		    "to the coordinators in this cycle already: counted for the "
		    "next notice", c->msgid,
		    trust_reason_name(TRUST_RATE_LIMITED), attendee, r->uid);
	}
	return rc;
}

/* The counter-notice to coordinator `to`, unless one about the same
 * attendee and meeting went in this cycle; with how many were held back
 * since the last.  extra has room for the count after its n variables. */
static int
counter_notice(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const char *to, const char *attendee,
    struct tvar *extra, size_t n, struct letter *l)
{
	long long more = 0;
	char buf[32];
	int rc;

	if ((rc = notice_due(c, r, to, attendee, &more)) != 1)
		return rc;
	snprintf(buf, sizeof buf, "%lld", more);
	extra[n].name = "more";
	extra[n].value = more > 0 ? buf : NULL;
	l->nvars = n + 1;
	return meeting_mail(c, g, r, "counter-notice", to, l);
}

/* An attendee proposes another time: the coordinators decide. */
static int
forward_proposal(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const char *attendee,
    long long proposed)
{
	const struct member *who = config_member(g, attendee);
	const struct ical_itip_event *ev = &c->v->itip->ev[0];
	char *comment = ev->comment != NULL ? xstrdup(ev->comment) :
	    inbox_unquoted(c->v->msg ? c->v->msg->text : NULL);
	char minutes[24] = "";
	struct letter l;
	size_t i;
	int rc = 0;

	/* A proposal that is the event's own DTSTART brings its DTEND:
	 * another length is said; Apple's proposes a start alone. */
	if (ev->has_dtstart && ev->dtstart == proposed && ev->has_dtend &&
	    ev->dtend > ev->dtstart && ev->dtend - ev->dtstart < 7 * DAY &&
	    ev->dtend - ev->dtstart != r->end - r->start)
		snprintf(minutes, sizeof minutes, "%lld",
		    (ev->dtend - ev->dtstart + 59) / 60);

	if (strlen(comment) > COMMENT_MAX)
		comment[COMMENT_MAX] = '\0';
	{
		struct tvar extra[] = {
			{ "attendee_name", who && who->name ? who->name :
			    attendee },
			{ "attendee_email", attendee },
			{ "comment", comment },
			{ "proposed_duration", minutes },
			{ "more", NULL },
		};

		memset(&l, 0, sizeof l);
		l.vars = extra;
		l.nvars = 4;
		l.vars_for = proposed_for;
		l.arg = &proposed;
		for (i = 0; i < g->nmembers && rc >= 0; i++)
			if (g->members[i].coordinator)
				rc = counter_notice(c, g, r, g->members[i].email,
				    attendee, extra, 4, &l);
	}
	free(comment);
	return rc;
}

/* ---- RSVP and COUNTER --------------------------------------------------- */

static int
valid_partstat(const char *p)
{
	return p != NULL && (strcmp(p, "ACCEPTED") == 0 ||
	    strcmp(p, "DECLINED") == 0 || strcmp(p, "TENTATIVE") == 0 ||
	    strcmp(p, "DELEGATED") == 0);
}

/* The address addr stands for in group g: a member's own address for
 * one of their aliases (config.h), else addr itself.  Lives as long as
 * addr and the configuration. */
static const char *
own_address(const struct group *g, const char *addr)
{
	const struct member *m = addr ? config_member_of(g, addr) : NULL;

	return m != NULL ? m->email : addr;
}

/* The attendee a reply speaks for: one invited to meeting r, and the
 * sender of the mail itself, not someone answering for another; an alias
 * of a member stands for the member, in the ATTENDEE and in From.
 * *invited is the address the meeting invited.  NULL with *res set (and
 * the reason given) when there is none. */
static const struct ical_itip_attendee *
replying_attendee(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const char **invited,
    enum inbox_result *res)
{
	const struct ical_itip_event *ev = &c->v->itip->ev[0];
	const struct ical_itip_attendee *who = NULL;
	const char *from = own_address(g, c->v->from), *addr = NULL, *a;
	struct store_invitee *inv = NULL;
	size_t ninv = 0, i, j;

	if (store_meeting_invitees(c->st, r->uid, &inv, &ninv, c->err) == -1) {
		store_invitees_free(inv, ninv);
		*res = INBOX_FAILED;
		return NULL;
	}
	/* The sender's own ATTENDEE when it is there: a delegate's reply
	 * names the member who delegated too (RFC 5546 2.1.5). */
	for (i = 0; i < ev->natt; i++) {
		a = own_address(g, ev->att[i].email);
		for (j = 0; j < ninv && strcasecmp(a, inv[j].email) != 0; j++)
			;
		if (j == ninv || (who != NULL && (from == NULL ||
		    strcasecmp(a, from) != 0)))
			continue;
		who = &ev->att[i];
		addr = a;
		if (from != NULL && strcasecmp(a, from) == 0)
			break;
	}
	store_invitees_free(inv, ninv);
	if (who == NULL) {
		why(c, "no attendee of meeting %s in it", r->uid);
		*res = INBOX_IGNORED;
		return NULL;
	}
	if (from == NULL || strcasecmp(from, addr) != 0) {
		*res = refuse(c, TRUST_SPOOFED, "From %s answers for attendee %s",
		    c->v->from ? c->v->from : "(none)", who->email);
		return NULL;
	}
	*invited = addr;
	return who;
}

/* Whether an answer to meeting r proves its sender (trust.h): a token
 * issued to them (or to the member whose alias they are) for the
 * meeting, its series event or the group, or authentication; From alone
 * for a meeting invited before tokens that is not over, unless the answer
 * was found in Junk.  1, or 0 with the refusal given. */
static int
answer_proven(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r)
{
	struct trust_scope sc[3];
	struct trust_proof p;
	size_t n = 0;

	sc[n++] = (struct trust_scope){ TOKEN_MEETING, r->uid };
	if (r->series_uid != NULL && strcmp(r->series_uid, r->uid) != 0)
		sc[n++] = (struct trust_scope){ TOKEN_MEETING, r->series_uid };
	sc[n++] = (struct trust_scope){ TOKEN_GROUP, g->id };
	/* an alias's answer carries the token the member was given */
	trust_gather_as(c->cfg, c->v, own_address(g, c->v->from), c->folder,
	    sc, n, &p);
	p.legacy = r->plain_organizer && c->now < r->end;
	if (trust_decide(TRUST_ANSWER, &p) == TRUST_ALLOW)
		return 1;
	refuse(c, TRUST_NO_PROOF, "answer for %s carries no reply token of "
	    "%s's and is not authenticated%s%s%s", r->uid, c->v->from,
	    p.junk ? "; found in Junk" : "", p.auth_why[0] ? ": " : "",
	    p.auth_why);
	return 0;
}

/* An RSVP: who's answer to meeting r, unless a newer one is recorded;
 * *newer says whether it was (it stands, and what it says is done). */
static enum inbox_result
record_answer(struct ictx *c, const struct store_plan_meeting *r,
    const struct ical_itip_attendee *who, const char *invited, int *newer)
{
	const struct ical_itip_event *ev = &c->v->itip->ev[0];
	long long at;
	int rc, future;

	if (!valid_partstat(who->partstat)) {
		why(c, "PARTSTAT %s is not an answer", who->partstat);
		return INBOX_IGNORED;
	}
	/* A reply without DTSTAMP is as old as the mail says; one stamped
	 * in the future would stand over every later answer: it is as old
	 * as its receipt. */
	at = trust_answer_time(ev->dtstamp, c->v->msg ? c->v->msg->date : 0,
	    c->now, &future);
	rc = store_invitation_reply(c->st, r->uid, invited, who->partstat,
	    at, c->now, c->err);
	if (rc == -1)
		return INBOX_FAILED;
	*newer = rc;
	if (future) {
		note(c, TRUST_FUTURE_DTSTAMP);
		log_warnx("%s: refused (%s): its DTSTAMP is ahead of the clock: "
		    "the answer counts as of its receipt", c->msgid,
		    trust_reason_name(TRUST_FUTURE_DTSTAMP));
	}
	why(c, rc ? "%s %s for %s" : "%s %s for %s is older than the "
	    "answer recorded", invited, who->partstat, r->uid);
	return INBOX_APPLIED;
}

/* Whether meeting r may take one more delegate of member: fewer than
 * DELEGATES_MAX of theirs, or email one of them already.  1 yes, 0 no,
 * -1 error. */
static int
delegate_room(struct ictx *c, const struct store_plan_meeting *r,
    const char *member, const char *email)
{
	struct store_delegate *d = NULL;
	size_t n = 0, i, mine = 0;
	int known = 0;

	if (store_meeting_delegates(c->st, r->uid, &d, &n, c->err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (strcasecmp(d[i].delegator, member) == 0)
			mine++;
		if (strcasecmp(d[i].email, email) == 0)
			known = 1;
	}
	store_delegates_free(d, n);
	return known || mine < DELEGATES_MAX;
}

/* A member's answer DELEGATED with DELEGATED-TO (RFC 5546 2.1.5): the
 * delegate becomes an attendee of meeting r, invited by the plan in this
 * same cycle (in the group's language and zone) and answering for
 * themselves.  r is a meeting invited on its own, or a series event as a
 * whole (its answer without RECURRENCE-ID: the delegate then receives
 * the event); one meeting of a series event is not delegated alone, for
 * the event is one calendar entry and its attendees are the same in all
 * of it.  Only a member delegates.  The answer is recorded already; what
 * cannot be done is logged, and the answer stands.  INBOX_APPLIED, or
 * INBOX_FAILED. */
static enum inbox_result
take_delegation(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const struct ical_itip_attendee *who,
    const char *member)
{
	const char *to = who->delegated_to;
	int rc;

	if (to == NULL || strcmp(who->partstat, "DELEGATED") != 0)
		return INBOX_APPLIED;
	if (config_member_of(g, member) == NULL) {
		why(c, "%s DELEGATED %s to %s: only a member of %s delegates",
		    member, r->uid, to, g->id);
		return INBOX_APPLIED;
	}
	if (!addr_valid(to) || strcasecmp(to, c->cfg->org_email) == 0 ||
	    config_member_of(g, to) != NULL) {
		why(c, "%s DELEGATED %s to %s, %s: nobody added", member,
		    r->uid, to, addr_valid(to) && strcasecmp(to,
		    c->cfg->org_email) != 0 ? "a member already" :
		    "not an address to invite");
		return INBOX_APPLIED;
	}
	if (r->series_uid != NULL && strcmp(r->series_uid, r->uid) != 0) {
		why(c, "%s DELEGATED %s to %s: one meeting of series event %s "
		    "is not delegated alone, the whole series is; nobody added",
		    member, r->uid, to, r->series_uid);
		return INBOX_APPLIED;
	}
	if ((rc = delegate_room(c, r, member, to)) == -1)
		return INBOX_FAILED;
	if (rc == 0) {
		why(c, "%s DELEGATED %s to %s: %d delegates already; nobody "
		    "added", member, r->uid, to, DELEGATES_MAX);
		return INBOX_APPLIED;
	}
	if ((rc = store_delegate_add(c->st, r->uid, to, member, c->now,
	    c->err)) == -1)
		return INBOX_FAILED;
	why(c, "%s DELEGATED %s to %s: %s", member, r->uid, to, rc ?
	    "invited as their delegate" : "a delegate already");
	return INBOX_APPLIED;
}

/* The time a reply proposes for meeting r, in the shape of each client:
 * a COUNTER's DTSTART (Outlook, Thunderbird); a REPLY whose ATTENDEE
 * carries TO-ALL-PROPOSED-NEW-TIME (Apple Calendar, whose DTSTART stays
 * the meeting's); a REPLY with another DTSTART.  1 with *start set, 0
 * when it proposes nothing. */
static int
proposed_time(const struct ictx *c, const struct store_plan_meeting *r,
    const struct ical_itip_attendee *who, int counter, long long *start)
{
	const struct ical_itip_event *ev = &c->v->itip->ev[0];

	if (!counter && who->has_proposed) {
		*start = who->proposed;
		return who->proposed != r->start;
	}
	*start = ev->dtstart;
	return ev->has_dtstart && (counter || ev->dtstart != r->start);
}

/* A COUNTER, or a reply with another start: who proposes a time. */
static enum inbox_result
pass_proposal(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const struct ical_itip_attendee *who,
    const char *invited, int counter, long long start)
{
	if (forward_proposal(c, g, r, invited, start) == -1)
		return INBOX_FAILED;
	if (counter)
		why(c, "%s proposes another time for %s: passed to the "
		    "coordinators", invited, r->uid);
	else
		why(c, "%s %s for %s, and proposes another time: passed to "
		    "the coordinators", invited, who->partstat, r->uid);
	return INBOX_APPLIED;
}

/* The meeting a reply answers (recur.h): the meeting of its UID, the
 * occurrence of a series event its UID and RECURRENCE-ID name, or the
 * series event as a whole for its UID alone (a row that stands for all
 * of the event's meetings still to come: store_meeting_for_reply()).
 * 1 found, 0 none, -1 error. */
static int
answered_meeting(struct ictx *c, const struct ical_itip_event *ev,
    struct store_plan_meeting *r)
{
	return store_meeting_for_reply(c->st, ev->uid, ev->recurrence_id ?
	    ev->recurrence : -1, r, c->err);
}

static enum inbox_result
do_reply(struct ictx *c, int counter)
{
	const struct ical_itip_event *ev = &c->v->itip->ev[0];
	struct store_plan_meeting r;
	const struct ical_itip_attendee *who;
	const struct group *g;
	const char *invited = NULL;
	enum inbox_result res = INBOX_IGNORED;
	long long start;
	int rc, newer = 0;

	memset(&r, 0, sizeof r);
	if ((rc = answered_meeting(c, ev, &r)) == -1)
		return INBOX_FAILED;
	if (rc == 0) {
		why(c, "UID %.80s is not one of our meetings", ev->uid);
		return INBOX_IGNORED;
	}
	if ((g = config_group(c->cfg, r.group_id)) == NULL) {
		why(c, "meeting %s belongs to group %s, no longer configured",
		    r.uid, r.group_id);
		goto out;
	}
	if ((who = replying_attendee(c, g, &r, &invited, &res)) == NULL)
		goto out;
	if (!answer_proven(c, g, &r)) {
		res = INBOX_REFUSED;
		goto out;
	}
	if (r.cancelled) {
		why(c, "meeting %s is cancelled", r.uid);
		goto out;
	}
	if (!counter && ((res = record_answer(c, &r, who, invited, &newer)) !=
	    INBOX_APPLIED || (newer && (res = take_delegation(c, g, &r, who,
	    invited)) != INBOX_APPLIED)))
		goto out;
	if (proposed_time(c, &r, who, counter, &start))
		res = pass_proposal(c, g, &r, who, invited, counter, start);
	else if (counter)
		why(c, "COUNTER without a start time");
out:
	store_plan_meeting_clear(&r);
	return res;
}

/* A delay is logged and never recorded: the message may still arrive,
 * and a newer transient report must not undo a permanent one either. */
static size_t
count_delays(const struct verdict *v, const char **first)
{
	size_t i, n = 0;

	for (i = 0; i < v->nbounce; i++)
		if (v->bounce[i].delay && n++ == 0)
			*first = v->bounce[i].email;
	return n;
}

static enum inbox_result
do_bounce(struct ictx *c)
{
	const struct verdict *v = c->v;
	const char *late = NULL;
	size_t i, marked = 0, foreign = 0, delayed = count_delays(v, &late);
	int rc;

	/* When the returned message is quoted, it must be one of ours. */
	if (v->bounced_id != NULL) {
		if ((rc = store_outbox_has(c->st, v->bounced_id, c->err)) == -1)
			return INBOX_FAILED;
		if (rc == 0) {
			why(c, "bounce of %.80s, not a message of ours",
			    v->bounced_id);
			return INBOX_IGNORED;
		}
	}
	for (i = 0; i < v->nbounce; i++) {
		if (!v->bounce[i].permanent)
			continue;
		if ((rc = store_address_known(c->st, v->bounce[i].email,
		    c->err)) == -1)
			return INBOX_FAILED;
		if (rc == 0)
			continue;
		/* It counts only when it returns a message we sent to that
		 * address: the returned Message-ID carries its token. */
		if (!trust_bounce_ours(c->cfg, v->bounced_id,
		    v->bounce[i].email)) {
			foreign++;
			continue;
		}
		if (store_bounce_record(c->st, v->bounce[i].email,
		    v->bounce[i].status, 1, c->now, c->err) == -1)
			return INBOX_FAILED;
		marked++;
	}
	if (marked == 0 && foreign > 0)
		return refuse(c, TRUST_FOREIGN_BOUNCE, "bounce of %.80s, not a "
		    "message of ours to %s", v->bounced_id ? v->bounced_id :
		    "no message quoted", v->bounce[0].email);
	if (foreign > 0)
		note(c, TRUST_FOREIGN_BOUNCE);
	if (marked == 0 && delayed > 0) {
		why(c, "delivery delayed for %zu address%s, first %s: not "
		    "counted as a bounce", delayed, delayed == 1 ? "" : "es",
		    late);
		return INBOX_IGNORED;
	}
	if (marked == 0) {
		why(c, "bounce for no address of ours");
		return INBOX_IGNORED;
	}
	why(c, "%zu address%s bouncing, first %s", marked,
	    marked == 1 ? "" : "es", v->bounce[0].email);
	return INBOX_APPLIED;
}

/* ---- the record: proof, or the coordinator's confirmation ------------ */

static char *local_date(long long t, const char *tz);

/* The scopes whose tokens prove a coordinator's message to group g: the
 * group, meeting r (may be NULL) and its series event, and every meeting
 * of the group (and its event) within SCOPE_WINDOW, whose letters' Reply-To
 * the coordinator may have answered.  *mt is what the scopes borrow from
 * (free with store_plan_meetings_free(*mt, *nmt)).  Their number, or -1. */
static int
record_scopes(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, struct trust_scope *sc,
    struct store_plan_meeting **mt, size_t *nmt)
{
	size_t n = 0, i;

	*mt = NULL;
	*nmt = 0;
	sc[n++] = (struct trust_scope){ TOKEN_GROUP, g->id };
	if (r != NULL) {
		sc[n++] = (struct trust_scope){ TOKEN_MEETING, r->uid };
		if (r->series_uid != NULL)
			sc[n++] = (struct trust_scope){ TOKEN_MEETING,
			    r->series_uid };
	}
	if (store_plan_meetings(c->st, g->id, c->now - SCOPE_WINDOW,
	    c->now + SCOPE_WINDOW, mt, nmt, c->err) == -1)
		return -1;
	for (i = 0; i < *nmt && n + 2 <= TRUST_SCOPES_MAX; i++) {
		sc[n++] = (struct trust_scope){ TOKEN_MEETING, (*mt)[i].uid };
		if ((*mt)[i].series_uid != NULL)
			sc[n++] = (struct trust_scope){ TOKEN_MEETING,
			    (*mt)[i].series_uid };
	}
	return (int)n;
}

/* Mail of our own come back: one of our Message-IDs, or from the
 * organizer's address (a plus address of it too). */
static int
looped(const struct ictx *c)
{
	const char *org = c->cfg->org_email, *from = c->v->from, *at, *plus;
	struct msgid id;

	if (msgid_parse(c->v->message_id, addr_domain(org), &id) == 0)
		return 1;
	if (from == NULL || (at = strchr(org, '@')) == NULL)
		return 0;
	if (strcasecmp(from, org) == 0)
		return 1;
	plus = strchr(from, '+');
	return plus != NULL && (size_t)(plus - from) == (size_t)(at - org) &&
	    strncasecmp(from, org, (size_t)(at - org)) == 0 &&
	    strchr(plus, '@') != NULL && strcasecmp(strchr(plus, '@'), at) == 0;
}

/* What arrived, for the confirmation request: the text the message
 * would apply, bounded, each line quoted; and its attachments named, with
 * their size and type by content.  Both caller-freed. */
static void
quote_held(const struct ictx *c, char **quoted, char **files)
{
	const struct mime_msg *m = c->v->msg;
	struct buf q = BUF_INIT(BUF_OWN), f = BUF_INIT(BUF_OWN);
	char *text = inbox_unquoted(m ? m->text : NULL), *p, *nl;
	size_t i, cut = strlen(text);

	if (cut > QUOTE_MAX) {
		/* On a character's first byte. */
		for (cut = QUOTE_MAX; cut > 0 &&
		    ((unsigned char)text[cut] & 0xc0) == 0x80; cut--)
			;
		text[cut] = '\0';
	}
	for (p = text; *p != '\0'; p = nl + 1) {
		nl = strchr(p, '\n');
		buf_adds(&q, "> ");
		buf_add(&q, p, nl ? (size_t)(nl - p) : strlen(p));
		buf_addc(&q, '\n');
		if (nl == NULL)
			break;
	}
	if (cut < strlen(m && m->text ? m->text : ""))
		buf_adds(&q, "> [...]\n");
	for (i = 0; m != NULL && i < m->natt; i++)
		buf_addf(&f, "  %s (%zu KB, %s)\n", m->att[i].filename ?
		    m->att[i].filename : "(no name)", (m->att[i].size + 1023) /
		    1024, filetype_name(filetype_detect(m->att[i].data,
		    m->att[i].size, m->att[i].charset, NULL)));
	free(text);
	*quoted = buf_detach(&q);
	*files = buf_detach(&f);
}

/* The confirmation request: to the coordinator co at the configured
 * address, never to From, quoting what arrived; their token in it is for
 * this held message alone. */
static int
ask_confirmation(struct ictx *c, const struct group *g, const char *what,
    const struct member *co, enum trust_reason reason)
{
	char *quoted, *files, *until;
	struct letter l;
	int rc;

	quote_held(c, &quoted, &files);
	until = local_date(c->now + TRUST_HOLD_DAYS * DAY, g->timezone);
	{
		const struct tvar vars[] = {
			{ "sender", c->v->from },
			{ "subject", c->v->msg ? c->v->msg->subject : NULL },
			{ "message_id", c->msgid }, { "quoted", quoted },
			{ "files", *files ? files : NULL }, { "until", until },
			{ "no_token", reason == TRUST_NO_TOKEN ? "1" : NULL },
			{ "not_authenticated", reason == TRUST_NOT_AUTHENTICATED ?
			    "1" : NULL },
			{ "kind_agenda", strcmp(what, "agenda") ? NULL : "1" },
			{ "kind_minutes", strcmp(what, "minutes") ? NULL : "1" },
			{ "kind_document", strcmp(what, "document") ? NULL : "1" },
			{ "kind_agreement", strcmp(what, "agreement") ? NULL :
			    "1" },
		};

		memset(&l, 0, sizeof l);
		l.kind = "confirm-request";
		l.group = g;
		l.to = co->email;
		l.held = c->msgid;
		l.vars = vars;
		l.nvars = sizeof vars / sizeof vars[0];
		rc = send_letter(c, &l);
	}
	free(until);
	free(files);
	free(quoted);
	return rc;
}

/* A coordinator's message without the proof the record needs: held, and
 * the coordinator asked, unless it is our own mail come back or too many
 * wait for them already. */
static enum inbox_result
hold(struct ictx *c, const struct group *g, const char *what,
    enum trust_decision d)
{
	const struct member *co = config_coordinator(g, c->v->from);
	enum trust_reason reason = d == TRUST_HOLD_NO_TOKEN ? TRUST_NO_TOKEN :
	    TRUST_NOT_AUTHENTICATED;
	struct store_held h, *held = NULL;
	size_t n = 0;
	int rc;

	if (looped(c))
		return refuse(c, TRUST_LOOP, "%s for %s is our own mail come "
		    "back: not held, nobody asked", what, g->id);
	if (store_held_for(c->st, co->email, &held, &n, c->err) == -1)
		return INBOX_FAILED;
	store_held_free(held, n);
	if (n >= TRUST_HELD_MAX)
		return refuse(c, TRUST_HOLD_LIMIT, "%s for %s without proof, "
		    "and %zu messages wait for %s's confirmation already: not "
		    "held", what, g->id, n, co->email);
	memset(&h, 0, sizeof h);
	h.message_id = (char *)c->msgid;
	h.group_id = g->id;
	h.coordinator = co->email;
	h.received = c->now;
	if ((rc = store_held_add(c->st, &h, c->data, c->len, c->err)) == -1 ||
	    (rc == 1 && ask_confirmation(c, g, what, co, reason) == -1))
		return INBOX_FAILED;
	return refuse(c, reason, "%s for %s %s: held, %s asked to confirm it",
	    what, g->id, reason == TRUST_NO_TOKEN ? "carries no reply token "
	    "of its sender's" : "is not authenticated", co->email);
}

/* Whether a coordinator's message for the record proves itself
 * (trust.h): 1 yes (or confirmed), 0 no (held or refused: *res), -1
 * failed (*res INBOX_FAILED). */
static int
record_proven(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const char *what,
    enum inbox_result *res)
{
	struct trust_scope sc[TRUST_SCOPES_MAX];
	struct store_plan_meeting *mt;
	struct trust_proof p;
	enum trust_decision d;
	size_t nmt;
	int n;

	if (c->confirmed)
		return 1;
	if ((n = record_scopes(c, g, r, sc, &mt, &nmt)) == -1) {
		*res = INBOX_FAILED;
		return -1;
	}
	trust_gather(c->cfg, c->v, c->folder, sc, (size_t)n, &p);
	store_plan_meetings_free(mt, nmt);
	if ((d = trust_decide(TRUST_RECORD, &p)) == TRUST_ALLOW)
		return 1;
	*res = hold(c, g, what, d);
	return *res == INBOX_FAILED ? -1 : 0;
}

/* ---- agenda -------------------------------------------------------------- */

/* An agenda too long to go into every attendee's update: the coordinator
 * who sent it is told, and the agenda in force stands. */
static enum inbox_result
refuse_agenda(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, size_t len)
{
	const struct member *m = config_coordinator(g, c->v->from);
	char size[32], limit[32], *tag;
	struct letter l;
	int rc;

	snprintf(size, sizeof size, "%zu", (len + 1023) / 1024);
	snprintf(limit, sizeof limit, "%d", c->cfg->agenda_max_kb);
	tag = xasprintf("[%s]", g->id);
	{
		const struct tvar vars[] = {
			{ "size", size }, { "limit", limit }, { "tag", tag },
		};

		memset(&l, 0, sizeof l);
		l.vars = vars;
		l.nvars = 3;
		rc = meeting_mail(c, g, r, "agenda-refused", m->email, &l);
	}
	free(tag);
	if (rc == -1)
		return INBOX_FAILED;
	why(c, "agenda of %s is %s KiB, over the limit of %s KiB: refused, %s "
	    "told", r->uid, size, limit, m->email);
	return INBOX_APPLIED;
}

static enum inbox_result
do_agenda(struct ictx *c, const char *uid)
{
	struct store_plan_meeting r;
	const struct group *g;
	enum inbox_result res = INBOX_IGNORED;
	char *text = NULL, *shown = NULL;
	int rc;

	memset(&r, 0, sizeof r);
	if ((rc = store_meeting_get(c->st, uid, &r, c->err)) == -1)
		return INBOX_FAILED;
	if (rc == 0) {
		why(c, "agenda reply for unknown meeting %.80s", uid);
		return INBOX_IGNORED;
	}
	if ((g = config_group(c->cfg, r.group_id)) == NULL) {
		why(c, "group %s is no longer configured", r.group_id);
		goto out;
	}
	if (config_coordinator(g, c->v->from) == NULL) {
		res = refuse(c, TRUST_NOT_COORDINATOR, "agenda from %s, not a "
		    "coordinator of %s", c->v->from ? c->v->from : "(none)",
		    g->id);
		goto out;
	}
	if (r.cancelled || r.start <= c->now) {
		why(c, "agenda for %s, which is %s", r.uid,
		    r.cancelled ? "cancelled" : "past");
		goto out;
	}
	text = inbox_unquoted(c->v->msg ? c->v->msg->text : NULL);
	if (*text == '\0') {
		why(c, "agenda reply with no text of its own");
		goto out;
	}
	if (record_proven(c, g, &r, "agenda", &res) != 1)
		goto out;
	res = INBOX_IGNORED;
	if (inbox_is_confirmation(text)) {
		if (r.agenda_confirmed) {
			why(c, "agenda of %s was confirmed already", r.uid);
			res = INBOX_APPLIED;
			goto out;
		}
		/* What was shown is confirmed: the presenters above the
		 * draft (present.h). */
		if (present_draft(c->st, g, &r, &shown, c->err) == -1 ||
		    store_meeting_confirm_agenda(c->st, r.uid, shown,
		    c->err) == -1)
			goto fail;
		why(c, "agenda of %s confirmed by %s", r.uid, c->v->from);
	} else {
		if (strlen(text) > (size_t)c->cfg->agenda_max_kb * 1024) {
			res = refuse_agenda(c, g, &r, strlen(text));
			goto out;
		}
		if (r.agenda_confirmed && r.agenda != NULL &&
		    strcmp(r.agenda, text) == 0) {
			why(c, "agenda of %s unchanged", r.uid);
			res = INBOX_APPLIED;
			goto out;
		}
		if (store_meeting_confirm_agenda(c->st, r.uid, text, c->err) == -1)
			goto fail;
		why(c, "agenda of %s replaced by %s", r.uid, c->v->from);
	}
	/* Every attendee gets the agenda in an updated invitation. */
	if (store_meeting_bump(c->st, r.uid, c->err) == -1)
		goto fail;
	res = INBOX_APPLIED;
	goto out;
fail:
	res = INBOX_FAILED;
out:
	free(shown);
	free(text);
	store_plan_meeting_clear(&r);
	return res;
}

/* ---- minutes and documents ----------------------------------------------- */

static const char *
tag_kind(const char *word, size_t n)
{
	static const struct { const char *w; const char *kind; } words[] = {
		{ "minutes", "minutes" }, { "acta", "minutes" },
		{ "actas", "minutes" }, { "ata", "minutes" },
		{ "compte-rendu", "minutes" }, { "agreement", "agreement" },
		{ "acuerdo", "agreement" }, { "acordo", "agreement" },
		{ "accord", "agreement" }, { "document", "document" },
		{ "documento", "document" },
	};
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (strlen(words[i].w) == n && strncasecmp(word, words[i].w, n) == 0)
			return words[i].kind;
	return NULL;
}

/* "[group-id] minutes ..." anywhere in the subject (after Re:, Fwd:). */
static const struct group *
tagged(const struct ictx *c, const char **kind)
{
	const char *s = c->v->msg ? c->v->msg->subject : NULL, *open, *close,
	    *w;
	const struct group *g;
	char id[65];
	size_t n;

	for (open = s; open != NULL && (open = strchr(open, '[')) != NULL;
	    open++) {
		if ((close = strchr(open, ']')) == NULL)
			return NULL;
		n = (size_t)(close - open - 1);
		if (n == 0 || n >= sizeof id)
			continue;
		memcpy(id, open + 1, n);
		id[n] = '\0';
		str_lower(id);
		if ((g = config_group(c->cfg, id)) == NULL)
			continue;
		for (w = close + 1; *w == ' '; w++)
			;
		n = strspn(w, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-");
		if ((*kind = tag_kind(w, n)) != NULL)
			return g;
	}
	return NULL;
}

static char *
local_date(long long t, const char *tz)
{
	struct ical_tm tm;

	ical_localtime(t, tz, &tm);
	return xasprintf("%04d-%02d-%02d", tm.year, tm.month, tm.day);
}

static int tell_members_as(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const struct archive_stored *as,
    const struct archive_file *files, size_t nfiles, const char *text,
    const char *kind, const char *title);

/* Members (and, when the group's minutes are public, the guests of the
 * meeting's open series) get the minutes with the files. */
static int
tell_members(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const struct archive_stored *as,
    const struct archive_file *files, size_t nfiles, const char *text)
{
	return tell_members_as(c, g, r, as, files, nfiles, text,
	    "minutes-notice", NULL);
}

/* The same for a letter of kind (a presenter's materials: title). */
static int
tell_members_as(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const struct archive_stored *as,
    const struct archive_file *files, size_t nfiles, const char *text,
    const char *kind, const char *title)
{
	const struct series *s = config_series(g, r->series);
	const struct member *sender = config_member(g, c->v->from);
	struct compose_attachment *att;
	struct buf names = BUF_INIT(BUF_OWN);
	struct letter l;
	size_t i, k = 0;
	int rc = 0;

	att = xcalloc(nfiles + 1, sizeof *att);
	/* archive_store wrote the text first (when there was one), then
	 * the files in order, under the names it chose. */
	if (text != NULL && *text != '\0') {
		att[k].filename = as->names[k];
		att[k].content_type = "text/plain; charset=UTF-8";
		att[k].data = text;
		att[k].len = strlen(text);
		k++;
	}
	for (i = 0; i < nfiles && k < as->n; i++, k++) {
		att[k].filename = as->names[k];
		att[k].content_type = files[i].content_type;
		att[k].data = files[i].data;
		att[k].len = files[i].len;
	}
	for (i = 0; i < as->n; i++) {
		buf_adds(&names, as->names[i]);
		buf_addc(&names, '\n');
	}
	{
		const struct tvar extra[] = {
			{ "files", buf_str(&names) },
			{ "sender_name", sender && sender->name ? sender->name :
			    c->v->from },
			{ "title", title },
		};

		memset(&l, 0, sizeof l);
		l.vars = extra;
		l.nvars = title != NULL ? 3 : 2;
		l.att = att;
		l.natt = k;
		for (i = 0; i < g->nmembers && rc == 0; i++)
			rc = meeting_mail(c, g, r, kind,
			    g->members[i].email, &l);
		for (i = 0; rc == 0 && g->public_minutes && s && s->open &&
		    i < s->nguests; i++)
			if (config_member(g, s->guests[i]) == NULL)
				rc = meeting_mail(c, g, r, kind,
				    s->guests[i], &l);
	}
	buf_release(&names);
	free(att);
	return rc;
}

/* Whether a file may go to every member: by what its bytes are
 * (filetype.h), never by its name.  NULL yes, else why not. */
static const char *
not_allowed(const struct mime_attachment *a)
{
	const char *why = NULL;

	if (filetype_detect(a->data, a->size, a->charset, &why) ==
	    FILETYPE_OTHER)
		return why != NULL ? why : "not an allowed type";
	return NULL;
}

/* The message's attachments to archive: all but calendars, and of those
 * only what is of an allowed type by content and keeps within [policy]
 * attachment_max_kb each and attachments_total_max_kb together, taken
 * in order.  The rest is left out, one "  name (N KB)" line each in
 * *refused ("  name (N KB): why" for a type refused, counted in
 * *wrong).  The array (never NULL, caller frees) borrows from m, which
 * may be NULL.  The files refused for their type alone (within the size
 * caps) are also put in apart[0..*napart) (room for m->natt), named
 * "<name>.refused" so that no one opens them by a click (the names are
 * the caller's to free). */
static struct archive_file *
archive_files(const struct config *cfg, const struct mime_msg *m,
    size_t *nfiles, struct buf *refused, int *wrong,
    struct archive_file *apart, size_t *napart)
{
	size_t i, total = 0, one = (size_t)cfg->attachment_max_kb * 1024,
	    all = (size_t)cfg->attachments_total_max_kb * 1024;
	struct archive_file *files;
	const struct mime_attachment *a;
	char fallback[32], *name;
	const char *bad;

	*nfiles = 0;
	*wrong = 0;
	*napart = 0;
	files = xcalloc(m && m->natt ? m->natt : 1, sizeof *files);
	for (i = 0; m != NULL && i < m->natt; i++) {
		a = &m->att[i];
		if (mime_attachment_is_calendar(a))
			continue;
		bad = not_allowed(a);
		if (bad != NULL || a->size > one || a->size > all - total) {
			snprintf(fallback, sizeof fallback, "attachment-%zu", i + 1);
			name = archive_safe_name(a->filename, a->filename ?
			    strlen(a->filename) : 0, fallback);
			buf_addf(refused, "%s  %s (%zu KB)%s%s", refused->len ?
			    "\n" : "", name, (a->size + 1023) / 1024, bad ? ": " :
			    "", bad ? bad : "");
			if (bad != NULL && a->size <= one && a->size <= all -
			    total) {
				apart[*napart].name = xasprintf("%s.refused",
				    name);
				apart[*napart].data = a->data;
				apart[*napart].len = a->size;
				apart[*napart].content_type =
				    "application/octet-stream";
				(*napart)++;
			}
			free(name);
			*wrong += bad != NULL;
			continue;
		}
		total += a->size;
		files[*nfiles].name = a->filename;
		files[*nfiles].data = a->data;
		files[*nfiles].len = a->size;
		files[*nfiles].content_type = a->content_type;
		(*nfiles)++;
	}
	return files;
}

/* Text and files into the group's repository, dated by the meeting r
 * when there is one (else today); *as says where. */
static enum archive_result
archive_in_repository(struct ictx *c, const struct group *g,
    const char *kind, const struct store_plan_meeting *r, const char *text,
    const struct archive_file *files, size_t nfiles, struct archive_stored *as)
{
	struct archive_item it;
	enum archive_result ar;
	char *date;

	date = local_date(r ? r->start : c->now, g->timezone);
	memset(&it, 0, sizeof it);
	it.group_id = g->id;
	it.kind = kind;
	it.date = date;
	it.sender = c->v->from;
	it.message_id = c->msgid;
	it.received = c->now;
	it.dissemination = g->public_minutes ? "public" : "members";
	it.meeting_uid = r ? r->uid : NULL;
	it.text = text;
	it.files = files;
	it.nfiles = nfiles;
	ar = archive_store(c->cfg->repository, &it, as, c->err);
	free(date);
	return ar;
}

/* What archive_store() wrote, journaled for the git history (repo.h)
 * in the message's transaction: its author is the sender.  0 / -1. */
static int
journal_item(struct ictx *c, const struct group *g, const char *kind,
    const struct store_plan_meeting *r, const struct archive_stored *as)
{
	const struct member *m = config_member(g, c->v->from);
	struct repo_change rc;
	char *dir = xasprintf("%s/", as->dir);
	const char *paths[] = { dir };
	int ok;

	memset(&rc, 0, sizeof rc);
	rc.author_name = m != NULL ? m->name : NULL;
	rc.author_email = c->v->from;
	rc.group_id = g->id;
	rc.meeting_uid = r ? r->uid : NULL;
	rc.kind = kind;
	rc.message_id = c->msgid;
	rc.paths = paths;
	rc.npaths = 1;
	rc.at = c->now;
	ok = repo_commit(c->st, &rc, c->err);
	free(dir);
	return ok;
}

/* archive_in_repository(), unless the repository or the group's
 * directory is down and waits for its next try: then, and when the
 * write fails for their fault, c->resource says which.  0, or -1 with
 * *c->err. */
static int
into_repository(struct ictx *c, const struct group *g, const char *kind,
    const struct store_plan_meeting *r, const char *text,
    const struct archive_file *files, size_t nfiles, struct archive_stored *as)
{
	enum archive_result ar;
	int due;

	if ((due = outage_repository_due(c->st, g->id, c->now, c->err)) == -1)
		return -1;
	if (due == OUTAGE_WAIT) {
		*c->err = xasprintf("the repository is unavailable for %s: "
		    "waiting for its next try", g->id);
		env_failed(c, outage_group(g->id), 1);
		return -1;
	}
	ar = archive_in_repository(c, g, kind, r, text, files, nfiles, as);
	if (ar == ARCHIVE_REPOSITORY)
		env_failed(c, xstrdup(OUTAGE_REPOSITORY), 0);
	else if (ar == ARCHIVE_GROUP)
		env_failed(c, outage_group(g->id), 0);
	if (ar != ARCHIVE_OK || journal_item(c, g, kind, r, as) == -1)
		return -1;
	return due == OUTAGE_TRY ? outage_repository_ok(c->cfg, c->st, g->id,
	    c->now, c->err) : 0;
}

/* The coordinators hear of attachments left out for their size: refused
 * lists them, as (NULL when nothing was archived) what was kept. */
static int
tell_refused(struct ictx *c, const struct group *g,
    const struct archive_stored *as, const char *refused)
{
	const struct member *sender = config_member(g, c->v->from);
	struct buf kept = BUF_INIT(BUF_OWN);
	char one[32], all[32];
	struct letter l;
	size_t i;
	int rc = 0;

	for (i = 0; as != NULL && i < as->n; i++)
		buf_addf(&kept, "%s  %s", i ? "\n" : "", as->names[i]);
	snprintf(one, sizeof one, "%d", c->cfg->attachment_max_kb);
	snprintf(all, sizeof all, "%d", c->cfg->attachments_total_max_kb);
	{
		const struct tvar vars[] = {
			{ "sender", c->v->from },
			{ "sender_name", sender && sender->name ? sender->name :
			    c->v->from },
			{ "subject", c->v->msg ? c->v->msg->subject : NULL },
			{ "message_id", c->msgid }, { "refused", refused },
			{ "archived", buf_str(&kept) }, { "limit", one },
			{ "total_limit", all },
		};

		memset(&l, 0, sizeof l);
		l.kind = "files-refused";
		l.group = g;
		l.vars = vars;
		l.nvars = sizeof vars / sizeof vars[0];
		for (i = 0; i < g->nmembers && rc == 0; i++)
			if (g->members[i].coordinator) {
				l.to = g->members[i].email;
				rc = send_letter(c, &l);
			}
	}
	buf_release(&kept);
	return rc;
}

/* One document row per file archived in *as.  0, or -1 with *c->err. */
static int
record_documents(struct ictx *c, const struct group *g, const char *kind,
    const char *meeting_uid, const struct archive_stored *as)
{
	struct store_document d;
	char *path;
	size_t i;
	int rc;

	for (i = 0; i < as->n; i++) {
		path = xasprintf("%s/%s", as->dir, as->names[i]);
		memset(&d, 0, sizeof d);
		d.group_id = g->id;
		d.meeting_uid = meeting_uid;
		d.kind = kind;
		d.path = path;
		d.sha256 = as->sha256[i];
		d.sender = c->v->from;
		d.message_id = c->msgid;
		d.received = c->now;
		rc = store_document_add(c->st, &d, c->err);
		free(path);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* What an archived message did, for the log line. */
static void
archived_why(struct ictx *c, const struct group *g, const char *kind,
    const struct archive_stored *as, const char *refused)
{
	int left = *refused != '\0';

	if (as->dir == NULL)
		why(c, "%s for %s: every file refused (caps or type), none "
		    "archived; the coordinators told", kind, g->id);
	else
		why(c, "%s of %s archived in %s (%zu file%s%s)", kind, g->id,
		    as->dir, as->n, as->n == 1 ? "" : "s", left ?
		    ", some left out for their size or type: the coordinators "
		    "told" : "");
}

/* The files refused for their type are kept, apart from the record and
 * never sent on, in an item of kind "refused" (<date>-refused/, each file
 * "<name>.refused"): the coordinators may look at what was refused, and
 * nothing of it reaches the members.  0, or -1 with *c->err. */
static int
keep_apart(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const struct archive_file *apart,
    size_t napart, struct archive_stored *sa)
{
	if (into_repository(c, g, "refused", r, NULL, apart, napart, sa) == -1)
		return -1;
	log_info("%s: %zu file%s refused for %s type kept apart in %s, not "
	    "sent on", c->msgid, napart, napart == 1 ? "" : "s",
	    napart == 1 ? "its" : "their", sa->dir);
	return 0;
}

static enum inbox_result
do_archive(struct ictx *c, const struct group *g, const char *kind,
    const char *uid)
{
	const struct mime_msg *m = c->v->msg;
	const struct store_plan_meeting *meeting;
	struct store_plan_meeting r;
	struct archive_stored as, sa;
	struct archive_file *files, *apart;
	struct buf refused = BUF_INIT(BUF_OWN);
	char *text;
	size_t nfiles, napart = 0, i;
	int have = 0, rc, wrong;
	enum inbox_result res = INBOX_FAILED;

	memset(&r, 0, sizeof r);
	memset(&as, 0, sizeof as);
	memset(&sa, 0, sizeof sa);
	if (config_coordinator(g, c->v->from) == NULL)
		return refuse(c, TRUST_NOT_COORDINATOR, "%s from %s, not a "
		    "coordinator of %s", kind, c->v->from ? c->v->from :
		    "(none)", g->id);
	if (uid != NULL) {
		if ((rc = store_meeting_get(c->st, uid, &r, c->err)) == -1)
			return INBOX_FAILED;
		have = rc == 1 && strcmp(r.group_id, g->id) == 0;
	}
	meeting = have ? &r : NULL;
	text = c->files_only ? xstrdup("") : inbox_unquoted(m ? m->text : NULL);
	apart = xcalloc(m && m->natt ? m->natt : 1, sizeof *apart);
	files = archive_files(c->cfg, m, &nfiles, &refused, &wrong, apart,
	    &napart);
	if (*text == '\0' && nfiles == 0 && refused.len == 0) {
		why(c, "%s for %s with neither text nor files", kind, g->id);
		res = INBOX_IGNORED;
		goto out;
	}
	if (record_proven(c, g, meeting, kind, &res) != 1)
		goto out;
	res = INBOX_FAILED;
	if ((*text != '\0' || nfiles > 0) && (into_repository(c, g, kind,
	    meeting, text, files, nfiles, &as) == -1 || record_documents(c, g,
	    kind, meeting ? meeting->uid : NULL, &as) == -1))
		goto out;
	if (have && as.dir != NULL && strcmp(kind, "minutes") == 0 &&
	    (store_meeting_set_minutes(c->st, r.uid, as.dir, c->err) == -1 ||
	    tell_members(c, g, &r, &as, files, nfiles, text) == -1))
		goto out;
	if (napart > 0 && keep_apart(c, g, meeting, apart, napart,
	    &sa) == -1)
		goto out;
	if (refused.len > 0 && tell_refused(c, g, as.dir ? &as : NULL,
	    buf_str(&refused)) == -1)
		goto out;
	if (wrong > 0) {
		note(c, TRUST_FILE_TYPE);
		log_warnx("%s: refused (%s): %d attachment%s of %s for %s not "
		    "of an allowed type: neither archived nor sent on; the "
		    "coordinators told", c->msgid,
		    trust_reason_name(TRUST_FILE_TYPE), wrong, wrong == 1 ? "" :
		    "s", kind, g->id);
	}
	archived_why(c, g, kind, &as, buf_str(&refused));
	res = INBOX_APPLIED;
out:
	/* Kept until the commit, which may fail yet. */
	c->stored = as;
	c->apart = sa;
	memset(&as, 0, sizeof as);
	store_plan_meeting_clear(&r);
	buf_release(&refused);
	for (i = 0; i < napart; i++)
		free((char *)apart[i].name);
	free(apart);
	free(files);
	free(text);
	return res;
}

/* ---- presentations (present.h) ------------------------------------- */

/* present.h's send: a letter answering this message.  A letter that is
 * one of several to one reader for it (ref set) is told apart by ref. */
static int
present_send(void *arg, struct letter *l)
{
	struct ictx *c = arg;
	const char *keep = c->msgid;
	char *ref = NULL;
	int rc;

	if (l->ref != NULL) {
		ref = xasprintf("%s %s", c->msgid, l->ref);
		c->msgid = ref;
	}
	rc = send_letter(c, l);
	c->msgid = keep;
	free(ref);
	return rc;
}

/* The meeting uid of a reply about presentations, and its group: 1, or 0
 * with the log line given (*res), or -1 failed. */
static int
present_meeting(struct ictx *c, const char *uid, struct store_plan_meeting *r,
    const struct group **g, enum inbox_result *res)
{
	int rc;

	*res = INBOX_IGNORED;
	if ((rc = store_meeting_get(c->st, uid, r, c->err)) == -1) {
		*res = INBOX_FAILED;
		return -1;
	}
	if (rc == 0 || (*g = config_group(c->cfg, r->group_id)) == NULL) {
		why(c, "reply about the presentations of %.80s, which is no "
		    "meeting of a configured group", uid);
		return 0;
	}
	return 1;
}

/* An offer to present, or its withdrawal: only from a member of the
 * group, proven as an answer is (trust.h). */
static enum inbox_result
do_presentation(struct ictx *c, const char *uid)
{
	const struct present_mail mail = { present_send, c };
	struct store_plan_meeting r;
	const struct group *g = NULL;
	const struct member *m;
	enum inbox_result res;
	enum present_verb verb;
	char *text, *title = NULL, line[256];
	const char *bad;

	memset(&r, 0, sizeof r);
	text = inbox_unquoted(c->v->msg ? c->v->msg->text : NULL);
	verb = present_parse(text, &title, &bad);
	if (present_meeting(c, uid, &r, &g, &res) != 1)
		goto out;
	if (verb == PRESENT_NONE) {
		why(c, "reply about the presentations of %s without PRESENT "
		    "or WITHDRAW", r.uid);
		goto out;
	}
	if ((m = config_member_of(g, c->v->from)) == NULL) {
		res = refuse(c, TRUST_NOT_MEMBER, "presentation from %s, not a "
		    "member of %s: nothing recorded", c->v->from ? c->v->from :
		    "(none)", g->id);
		goto out;
	}
	if (!answer_proven(c, g, &r)) {
		res = INBOX_REFUSED;
		goto out;
	}
	if (verb == PRESENT_BAD_TITLE) {
		res = refuse(c, TRUST_BAD_OFFER, "offer from %s for %s with %s: "
		    "nothing recorded", m->email, r.uid, bad);
		goto out;
	}
	switch (present_apply(c->cfg, c->st, g, &r, m, verb, title, c->now,
	    &mail, line, sizeof line, c->err)) {
	case PRESENT_APPLIED:
		res = INBOX_APPLIED;
		why(c, "%s", line);
		break;
	case PRESENT_NOTHING:
		res = INBOX_IGNORED;
		why(c, "%s", line);
		break;
	case PRESENT_REFUSED:
		res = refuse(c, TRUST_BAD_OFFER, "%s", line);
		break;
	case PRESENT_FAILED:
		res = INBOX_FAILED;
		break;
	}
out:
	free(title);
	free(text);
	store_plan_meeting_clear(&r);
	return res;
}

/* Whether a presenter's materials prove themselves as the record must;
 * unlike a coordinator's they are not held: 1, or 0 refused. */
static int
materials_proven(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, const char *who)
{
	struct trust_scope sc[TRUST_SCOPES_MAX];
	struct store_plan_meeting *mt;
	struct trust_proof p;
	enum trust_decision d;
	size_t nmt;
	int n;

	if ((n = record_scopes(c, g, r, sc, &mt, &nmt)) == -1)
		return -1;
	trust_gather_as(c->cfg, c->v, who, c->folder, sc, (size_t)n, &p);
	store_plan_meetings_free(mt, nmt);
	if ((d = trust_decide(TRUST_RECORD, &p)) == TRUST_ALLOW)
		return 1;
	refuse(c, d == TRUST_HOLD_NO_TOKEN ? TRUST_NO_TOKEN :
	    TRUST_NOT_AUTHENTICATED, "materials of %s for %s %s: refused",
	    who, r->uid, d == TRUST_HOLD_NO_TOKEN ? "carry no reply token of "
	    "theirs" : "are not authenticated");
	return 0;
}

/* The files kept, the experience told of: archived with the meeting,
 * added to the presenter's experience, sent to the members. */
static int
keep_materials(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r, struct store_presentation *p,
    const char *text, const struct archive_file *files, size_t nfiles,
    struct archive_stored *as)
{
	/* The experience lists the files; the words, archived first, are
	 * the message's. */
	size_t skip = text != NULL && *text != '\0';

	if (into_repository(c, g, "meeting", r, text, files, nfiles, as) == -1 ||
	    record_documents(c, g, "document", r->uid, as) == -1 ||
	    present_add_files(c->st, p, as->dir, as->names + skip,
	    as->n - skip, c->err) == -1)
		return -1;
	return tell_members_as(c, g, r, as, files, nfiles, text,
	    "materials-notice", p->title);
}

/* A presenter's answer to the materials request. */
static enum inbox_result
do_materials(struct ictx *c, const char *uid)
{
	const struct mime_msg *m = c->v->msg;
	struct store_plan_meeting r;
	struct store_presentation *p = NULL;
	struct archive_file *files = NULL, *apart = NULL;
	struct archive_stored as;
	struct buf refused = BUF_INIT(BUF_OWN);
	const struct group *g = NULL;
	const struct member *who;
	enum inbox_result res;
	size_t nfiles = 0, napart = 0, i;
	char *text = NULL;
	int wrong, rc;

	memset(&r, 0, sizeof r);
	memset(&as, 0, sizeof as);
	if (present_meeting(c, uid, &r, &g, &res) != 1)
		goto out;
	if ((who = config_member_of(g, c->v->from)) == NULL) {
		res = refuse(c, TRUST_NOT_MEMBER, "materials from %s, not a "
		    "member of %s", c->v->from ? c->v->from : "(none)", g->id);
		goto out;
	}
	res = INBOX_FAILED;
	if ((rc = present_presenter(c->st, r.uid, who->email, &p,
	    c->err)) != 1) {
		if (rc == 0) {
			why(c, "materials from %s, who did not present at %s",
			    who->email, r.uid);
			res = INBOX_IGNORED;
		}
		goto out;
	}
	apart = xcalloc(m && m->natt ? m->natt : 1, sizeof *apart);
	files = archive_files(c->cfg, m, &nfiles, &refused, &wrong, apart,
	    &napart);
	text = inbox_unquoted(m ? m->text : NULL);
	if (nfiles == 0) {
		why(c, "materials of %s for %s without a file that may be "
		    "archived", who->email, r.uid);
		res = refused.len ? refuse(c, TRUST_FILE_TYPE, "materials of %s: "
		    "every file refused (caps or type)", who->email) :
		    INBOX_IGNORED;
		goto out;
	}
	if ((rc = materials_proven(c, g, &r, who->email)) != 1) {
		res = rc == 0 ? INBOX_REFUSED : INBOX_FAILED;
		goto out;
	}
	if (wrong > 0)
		note(c, TRUST_FILE_TYPE);
	if (keep_materials(c, g, &r, p, text, files, nfiles, &as) == -1 ||
	    (refused.len > 0 && tell_refused(c, g, &as, buf_str(&refused)) == -1))
		goto out;
	archived_why(c, g, "materials", &as, buf_str(&refused));
	res = INBOX_APPLIED;
out:
	c->stored = as;
	store_presentations_free(p, p ? 1 : 0);
	store_plan_meeting_clear(&r);
	buf_release(&refused);
	for (i = 0; i < napart; i++)
		free((char *)apart[i].name);
	free(apart);
	free(files);
	free(text);
	return res;
}

/* ---- a coordinator's confirmation of a held message -------------------- */

static enum inbox_result dispatch(struct ictx *c);
static void ictx_init(struct ictx *c, const struct config *cfg,
    struct store *st, long long now, const struct verdict *v,
    const char *msgid, char **err);

/* One of our Message-IDs of kind in In-Reply-To or References: 1 with
 * *ref, else 0. */
static int
reference_of(const struct ictx *c, const char *kind, struct msgid *ref)
{
	const struct mime_msg *m = c->v->msg;
	const char *dom = addr_domain(c->cfg->org_email), *id;
	size_t i, n = m ? m->nreferences + 1 : 0;

	for (i = 0; i < n; i++) {
		id = i == 0 ? m->in_reply_to : m->references[i - 1];
		if (msgid_parse(id, dom, ref) == 0 &&
		    strcmp(ref->kind, kind) == 0)
			return 1;
	}
	return 0;
}

static int
answers_kind(const struct ictx *c, const char *kind)
{
	struct msgid ref;

	return reference_of(c, kind, &ref);
}

/* The held message h applied, as its coordinator confirmed it: what it
 * does is this message's effect, in its transaction. */
static enum inbox_result
apply_held(struct ictx *c, const struct store_held *h)
{
	struct verdict *hv;
	struct ictx hc;
	enum inbox_result res;
	char *raw;
	size_t len, i;
	int rc;

	if ((rc = store_held_raw(c->st, h->message_id, &raw, &len,
	    c->err)) != 1)
		return rc == -1 ? INBOX_FAILED : INBOX_IGNORED;
	classify(raw, len, &hv);
	ictx_init(&hc, c->cfg, c->st, c->now, hv, h->message_id, c->err);
	hc.data = raw;
	hc.len = len;
	hc.confirmed = 1;
	res = dispatch(&hc);
	/* What it wrote and what failed are this message's to undo. */
	c->stored = hc.stored;
	c->apart = hc.apart;
	c->resource = hc.resource;
	c->waiting = hc.waiting;
	c->letter_failed = hc.letter_failed;
	for (i = 0; i < hc.nreasons; i++)
		note(c, hc.reasons[i]);
	if (res != INBOX_FAILED && store_held_drop(c->st, h->message_id,
	    c->err) == -1)
		res = INBOX_FAILED;
	why(c, "%s confirmed by %s: %s", h->message_id, c->v->from, hc.why);
	verdict_free(hv);
	free(raw);
	return res == INBOX_FAILED ? INBOX_FAILED : INBOX_APPLIED;
}

/* The held message of h[0..n) whose confirmation request this message
 * answers, by the token issued for it to the sender; *p is what that
 * proves.  NULL when none. */
static const struct store_held *
confirmed_held(const struct ictx *c, const struct store_held *h, size_t n,
    struct trust_proof *p)
{
	struct trust_scope sc;
	size_t i;

	for (i = 0; i < n; i++) {
		sc.kind = TOKEN_HELD;
		sc.id = h[i].message_id;
		trust_gather(c->cfg, c->v, c->folder, &sc, 1, p);
		if (p->token)
			return &h[i];
	}
	return NULL;
}

/* A reply to a confirmation request (trust.h): 1 with *res when this
 * message is one, 0 when it is not.  Only the coordinator's own token for
 * the held message, and authentication when authserv_id is set, make a
 * CONFIRM apply it. */
static int
confirmation(struct ictx *c, enum inbox_result *res)
{
	struct store_held *h = NULL;
	const struct store_held *which = NULL;
	struct trust_proof p;
	size_t n = 0;
	char *text;

	if (c->confirmed || c->v->from == NULL)
		return 0;
	if (store_held_for(c->st, c->v->from, &h, &n, c->err) == -1) {
		*res = INBOX_FAILED;
		return 1;
	}
	if (n > 0)
		which = confirmed_held(c, h, n, &p);
	if (which == NULL) {
		store_held_free(h, n);
		if (!answers_kind(c, "confirm-request"))
			return 0;
		*res = refuse(c, TRUST_CONFIRM_UNPROVEN, "reply to a "
		    "confirmation request without %s's token for a message "
		    "held", c->v->from);
		return 1;
	}
	text = inbox_unquoted(c->v->msg ? c->v->msg->text : NULL);
	if (!inbox_is_confirmation(text)) {
		why(c, "reply to the confirmation request for %s without "
		    "CONFIRM: it stays held", which->message_id);
		*res = INBOX_IGNORED;
	} else if (p.authserv && !p.authenticated)
		*res = refuse(c, TRUST_CONFIRM_UNPROVEN, "confirmation of %s "
		    "is not authenticated: %s", which->message_id, p.auth_why);
	else
		*res = apply_held(c, which);
	free(text);
	store_held_free(h, n);
	return 1;
}

/* ---- a milestone's DONE (milestone.h) ------------------------------------ */

/* A coordinator's DONE to ms of g: proven as the record is (or held), its
 * attachments archived as the group's documents, the milestone marked. */
static enum inbox_result
milestone_done(struct ictx *c, const struct group *g,
    const struct milestone *ms)
{
	enum inbox_result res = INBOX_IGNORED;
	char *archived;
	int rc;

	if (config_coordinator(g, c->v->from) == NULL)
		return refuse(c, TRUST_NOT_COORDINATOR, "DONE for milestone %s "
		    "from %s, not a coordinator of %s", ms->name, c->v->from ?
		    c->v->from : "(none)", g->id);
	if (c->v->msg != NULL && c->v->msg->natt > 0) {
		c->files_only = 1;
		res = do_archive(c, g, "document", NULL);
		c->files_only = 0;
		if (res != INBOX_APPLIED && res != INBOX_IGNORED)
			return res;
	}
	if (res == INBOX_IGNORED && record_proven(c, g, NULL, "document",
	    &res) != 1)
		return res;
	archived = xstrdup(res == INBOX_APPLIED && c->why ? c->why : "");
	if ((rc = milestone_mark_done(c->st, g, ms, c->now, c->msgid,
	    c->v->from, c->err)) == -1) {
		free(archived);
		return INBOX_FAILED;
	}
	why(c, "milestone %s of %s %s by %s%s%s", ms->name, g->id, rc ?
	    "marked done" : "was done before; told again", c->v->from,
	    *archived ? "; " : "", archived);
	free(archived);
	return INBOX_APPLIED;
}

/* A reply to a milestone's reminder: 1 with *res when this message is
 * one, 0 when it is not. */
static int
milestone_reply(struct ictx *c, enum inbox_result *res)
{
	const struct milestone *ms = NULL;
	const struct group *g;
	struct msgid ref;
	char *text;
	int done;

	if (!reference_of(c, MILESTONE_REMINDER, &ref))
		return 0;
	if ((g = config_group(c->cfg, ref.group)) != NULL)
		ms = milestone_of_ref(g, ref.ref);
	text = inbox_unquoted(c->v->msg ? c->v->msg->text : NULL);
	done = milestone_is_done_word(text);
	free(text);
	if (ms == NULL) {
		why(c, "reply to the reminder of a milestone of %.64s no longer "
		    "configured", ref.group);
		*res = INBOX_IGNORED;
	} else if (!done) {
		why(c, "reply to the reminder of milestone %s of %s without "
		    "DONE: nothing marked", ms->name, g->id);
		*res = INBOX_IGNORED;
	} else
		*res = milestone_done(c, g, ms);
	return 1;
}

/* Mail for a group's mailing list (list.h): 1 with *res, else 0. */
static int
list_mail(struct ictx *c, enum inbox_result *res)
{
	struct list_in in;

	memset(&in, 0, sizeof in);
	in.cfg = c->cfg;
	in.st = c->st;
	in.now = c->now;
	in.v = c->v;
	in.msgid = c->msgid;
	in.data = c->data;
	in.len = c->len;
	in.folder = c->folder;
	in.looped = looped(c);
	in.err = c->err;
	if (list_inbox(&in, res) == 0)
		return 0;
	if (in.refused)
		note(c, in.reason);
	why(c, "%s", in.why);
	return 1;
}

/* ---- a poll's ballot and its CONFIRM N (poll.h) ------------------------ */

/* A member's answer to their ballot for p of g: proven as any answer
 * is; one that is no answer changes nothing. */
static enum inbox_result
poll_ballot(struct ictx *c, const struct group *g, const struct poll *p)
{
	struct trust_scope sc = { TOKEN_GROUP, g->id };
	unsigned char yes[CONFIG_POLL_CANDIDATES_MAX];
	const struct member *m = c->v->from ? config_member_of(g, c->v->from) :
	    NULL;
	struct trust_proof pr;
	const char *bad = NULL;
	long long closes;
	char *text;
	int n;

	if (poll_closes_at(p, &closes) == -1 || c->now >= closes) {
		why(c, "answer to poll %s of %s after it closed: not counted",
		    p->name, g->id);
		return INBOX_IGNORED;
	}
	if (m == NULL) {
		why(c, "answer to poll %s of %s from %s, not a member: not "
		    "counted", p->name, g->id, c->v->from ? c->v->from : "(none)");
		return INBOX_IGNORED;
	}
	trust_gather_as(c->cfg, c->v, m->email, c->folder, &sc, 1, &pr);
	if (trust_decide(TRUST_ANSWER, &pr) != TRUST_ALLOW)
		return refuse(c, TRUST_NO_PROOF, "answer to poll %s of %s "
		    "carries no reply token of %s's and is not authenticated",
		    p->name, g->id, c->v->from);
	text = inbox_unquoted(c->v->msg ? c->v->msg->text : NULL);
	n = poll_parse_answer(text, p->ncandidates, yes, &bad);
	free(text);
	if (n == -1) {
		why(c, "answer of %s to poll %s of %s is no answer (%s): "
		    "nothing changed", m->email, p->name, g->id, bad);
		return INBOX_IGNORED;
	}
	if (poll_answer(c->st, g, p, m->email, yes, c->now, c->msgid,
	    c->err) == -1)
		return INBOX_FAILED;
	why(c, "answer of %s to poll %s of %s recorded: %d candidate%s",
	    m->email, p->name, g->id, n, n == 1 ? "" : "s");
	return INBOX_APPLIED;
}

/* A coordinator's CONFIRM N to the tally of p of g: proven as the
 * record is (or held), the candidate chosen. */
static enum inbox_result
poll_confirm(struct ictx *c, const struct group *g, const struct poll *p)
{
	enum inbox_result res;
	char *text;
	int n, rc;

	if (config_coordinator(g, c->v->from) == NULL)
		return refuse(c, TRUST_NOT_COORDINATOR, "CONFIRM for poll %s "
		    "from %s, not a coordinator of %s", p->name, c->v->from ?
		    c->v->from : "(none)", g->id);
	text = inbox_unquoted(c->v->msg ? c->v->msg->text : NULL);
	n = poll_parse_confirm(text, p->ncandidates);
	free(text);
	if (n <= 0) {
		why(c, "reply to the tally of poll %s of %s without CONFIRM "
		    "and a candidate's number%s: nothing chosen", p->name, g->id,
		    n == -1 ? " (out of range)" : "");
		return INBOX_IGNORED;
	}
	if (poll_candidate_utc(p, (size_t)n - 1) <= c->now) {
		why(c, "CONFIRM %d for poll %s of %s: that time has passed: "
		    "nothing chosen", n, p->name, g->id);
		return INBOX_IGNORED;
	}
	if (record_proven(c, g, NULL, "choice", &res) != 1)
		return res;
	if ((rc = poll_choose(c->st, g, p, n, c->now, c->msgid, c->v->from,
	    c->err)) == -1)
		return INBOX_FAILED;
	why(c, "poll %s of %s: %s", p->name, g->id, rc ? "candidate chosen "
	    "by the coordinator: it becomes a meeting" : "a candidate was "
	    "chosen before: it stands");
	return INBOX_APPLIED;
}

/* A reply to a poll's tally (CONFIRM N) or ballot (an answer): 1 with
 * *res when this message is one, 0 when it is not.  The held messages'
 * CONFIRM (confirmation()) answers a confirm-request, never these. */
static int
poll_reply(struct ictx *c, enum inbox_result *res)
{
	const struct poll *p = NULL;
	const struct group *g;
	struct msgid ref;
	int tally;

	if ((tally = reference_of(c, POLL_TALLY, &ref)) == 0 &&
	    !reference_of(c, POLL_BALLOT, &ref))
		return 0;
	if ((g = config_group(c->cfg, ref.group)) != NULL)
		p = poll_of_ref(g, ref.ref);
	if (p == NULL) {
		why(c, "reply to a poll of %.64s no longer configured",
		    ref.group);
		*res = INBOX_IGNORED;
	} else
		*res = tally ? poll_confirm(c, g, p) : poll_ballot(c, g, p);
	return 1;
}

/* ---- registration for a seminar (seminar.h) ------------------------------ */

/* The admin told, once a meeting, that its registrations hit a limit. */
static int
tell_flood(struct ictx *c, const struct group *g, const struct series *s,
    const struct store_plan_meeting *r)
{
	char seats[16], most[16], tag[80];
	struct letter l;

	if (c->cfg->admin == NULL) {
		log_info("%s: registrations for %s over their limits; no "
		    "[policy] admin to tell", g->id, r->uid);
		return 0;
	}
	snprintf(seats, sizeof seats, "%d", s != NULL ? s->seats : 0);
	snprintf(most, sizeof most, "%d", SEMINAR_WAITING_MAX);
	snprintf(tag, sizeof tag, "[%s]", g->id);
	{
		const struct tvar vars[] = {
			{ "seats", seats }, { "waiting_max", most }, { "tag", tag },
			{ "registrant", c->v->from },
		};

		memset(&l, 0, sizeof l);
		l.vars = vars;
		l.nvars = sizeof vars / sizeof vars[0];
		return meeting_mail(c, g, r, SEMINAR_FLOOD, c->cfg->admin, &l);
	}
}

/* The sender's registration for meeting r of g, applied. */
static enum inbox_result
register_for(struct ictx *c, const struct group *g,
    const struct store_plan_meeting *r)
{
	const struct series *s = config_series(g, r->series);
	char tag[80];
	struct letter l;
	int out, admin;

	if ((out = seminar_register(c->st, g, s, r, c->v->from, c->msgid,
	    c->now, &admin, c->err)) == -1)
		return INBOX_FAILED;
	why(c, "registration of %s for %s: %s", c->v->from, r->uid,
	    seminar_outcome_name(out));
	if (out == SEMINAR_REFUSE) {
		snprintf(tag, sizeof tag, "[%s]", g->id);
		{
			const struct tvar vars[] = { { "tag", tag } };

			memset(&l, 0, sizeof l);
			l.vars = vars;
			l.nvars = 1;
			if (meeting_mail(c, g, r, SEMINAR_REFUSAL, c->v->from,
			    &l) == -1)
				return INBOX_FAILED;
		}
	}
	if (admin && tell_flood(c, g, s, r) == -1)
		return INBOX_FAILED;
	return out == SEMINAR_SEATED || out == SEMINAR_WAITING ||
	    out == SEMINAR_REFUSE ? INBOX_APPLIED : INBOX_IGNORED;
}

/* A first line REGISTER (or its words) in a reply to our mail about a
 * meeting: 1 with *res when this message is one, 0 when it is not.  No
 * answer to mail of our own come back or to no valid address. */
static int
registration(struct ictx *c, enum inbox_result *res)
{
	static const char *const kinds[] = { SEMINAR_ANNOUNCE, "invite",
	    "update", "cancel", NULL };
	struct store_plan_meeting r;
	const struct group *g;
	char *text, *uid = NULL;
	int word, rc;

	text = inbox_unquoted(c->v->msg ? c->v->msg->text : NULL);
	word = seminar_is_register_word(text);
	free(text);
	if (!word || our_reference(c, kinds, &uid) == NULL)
		return 0;
	*res = INBOX_IGNORED;
	memset(&r, 0, sizeof r);
	if (looped(c))
		why(c, "registration for %.80s looks like our own mail come "
		    "back: no answer", uid);
	else if (c->v->from == NULL || !addr_valid(c->v->from))
		why(c, "registration for %.80s from no valid address: no "
		    "answer", uid);
	else if ((rc = store_meeting_get(c->st, uid, &r, c->err)) == -1)
		*res = INBOX_FAILED;
	else if (rc == 0 || (g = config_group(c->cfg, r.group_id)) == NULL)
		why(c, "registration for unknown meeting %.80s", uid);
	else if (config_member_of(g, c->v->from) != NULL)
		why(c, "registration for %s from %s, a member of %s: invited "
		    "as a member", uid, c->v->from, g->id);
	else
		*res = register_for(c, g, &r);
	store_plan_meeting_clear(&r);
	free(uid);
	return 1;
}

static enum inbox_result
do_plain(struct ictx *c)
{
	static const char *const agenda_kinds[] = { "agenda-request",
	    "agenda-reminder", NULL };
	static const char *const minutes_kinds[] = { "minutes-request",
	    "minutes-reminder", NULL };
	static const char *const present_kinds[] = { "presentations-call",
	    "presentation-reply", NULL };
	static const char *const materials_kinds[] = { "materials-request",
	    NULL };
	struct store_plan_meeting r;
	const struct group *g;
	const char *kind;
	char *uid = NULL;
	enum inbox_result res;
	int rc;

	if (confirmation(c, &res) || list_mail(c, &res))
		return res;
	if (milestone_reply(c, &res))
		return res;
	if (poll_reply(c, &res))
		return res;
	if (registration(c, &res))
		return res;
	if (our_reference(c, agenda_kinds, &uid) != NULL) {
		res = do_agenda(c, uid);
		free(uid);
		return res;
	}
	if (our_reference(c, minutes_kinds, &uid) != NULL) {
		memset(&r, 0, sizeof r);
		if ((rc = store_meeting_get(c->st, uid, &r, c->err)) == -1) {
			free(uid);
			return INBOX_FAILED;
		}
		g = rc == 1 ? config_group(c->cfg, r.group_id) : NULL;
		store_plan_meeting_clear(&r);
		if (g == NULL) {
			why(c, "minutes for unknown meeting %.80s", uid);
			free(uid);
			return INBOX_IGNORED;
		}
		res = do_archive(c, g, "minutes", uid);
		free(uid);
		return res;
	}
	if (our_reference(c, materials_kinds, &uid) != NULL) {
		res = do_materials(c, uid);
		free(uid);
		return res;
	}
	if (our_reference(c, present_kinds, &uid) != NULL) {
		res = do_presentation(c, uid);
		free(uid);
		return res;
	}
	if ((g = tagged(c, &kind)) != NULL) {
		/* Tagged minutes belong to the latest meeting without any. */
		if (strcmp(kind, "minutes") == 0)
			uid = store_last_ended_without_minutes(c->st, g->id, c->now,
			    c->now - MINUTES_WINDOW);
		res = do_archive(c, g, kind, uid);
		free(uid);
		return res;
	}
	why(c, "ordinary mail: no reply to a request of ours, no group tag");
	return INBOX_IGNORED;
}

/* ---- bounces to an envelope sender of ours (verp.h) ---------------------- */

/* What the message says of rcpt, whom the envelope sender it reached
 * names: the report's entry for rcpt, else its first (failed ones come
 * first: a forwarded address failed further on); when bounce.c read
 * nobody, bounce_unread()'s verdict, whose status goes to *own.  1 with
 * *b, or 0: not a bounce (a vacation reply, a person's mail, a calendar
 * answer). */
static int
verp_verdict(const struct verdict *v, const char *rcpt, struct bounce *b,
    char **own)
{
	size_t i;

	*own = NULL;
	if (v->kind == VERDICT_BOUNCE || v->kind == VERDICT_DELAY) {
		*b = v->bounce[0];
		for (i = 0; i < v->nbounce; i++)
			if (strcmp(v->bounce[i].email, rcpt) == 0)
				*b = v->bounce[i];
		return 1;
	}
	if (v->msg == NULL || (v->kind != VERDICT_PLAIN &&
	    v->kind != VERDICT_AUTO_REPLY && v->kind != VERDICT_MALFORMED) ||
	    !bounce_unread(v->msg, b))
		return 0;
	*own = b->status;
	return 1;
}

/* A message to an envelope sender of ours is about the one message and
 * recipient it names, whatever the report says or fails to say.  1 with
 * *res when it was one, 0 to go on as for any message.  One that names
 * a row its token does not verify for is refused: forged, or made under
 * another key. */
static int
verp_bounce(struct ictx *c, enum inbox_result *res)
{
	const struct config *cfg = c->cfg;
	struct verp_hit h;
	struct bounce b;
	char *own;

	if (!cfg->org_verp || !cfg->trust_key.set || c->v->msg == NULL)
		return 0;
	switch (verp_find(&cfg->trust_key, c->st, cfg->org_email, c->v->msg,
	    &h, c->err)) {
	case VERP_ERROR:
		*res = INBOX_FAILED;
		return 1;
	case VERP_NONE:
		return 0;
	case VERP_INVALID:
		why(c, "envelope sender token in %.120s does not verify: "
		    "not believed", h.address);
		*res = INBOX_REFUSED;
		return 1;
	case VERP_VALID:
		break;
	}
	if (!verp_verdict(c->v, h.recipient, &b, &own)) {
		verp_hit_clear(&h);
		return 0;
	}
	if (!b.permanent) {
		why(c, "delivery of %.80s to %s %s (envelope sender): not "
		    "counted as a bounce", h.message_id, h.recipient,
		    b.delay ? "delayed" : "failed for now");
		*res = INBOX_IGNORED;
	} else if (store_bounce_record(c->st, h.recipient, b.status, 1,
	    c->now, c->err) == -1)
		*res = INBOX_FAILED;
	else {
		why(c, "%s bouncing (%s), by the envelope sender of %.80s",
		    h.recipient, b.status, h.message_id);
		*res = INBOX_APPLIED;
	}
	free(own);
	verp_hit_clear(&h);
	return 1;
}

/* ---- one message ------------------------------------------------------- */

static enum inbox_result
dispatch(struct ictx *c)
{
	enum inbox_result res;

	if (verp_bounce(c, &res))
		return res;
	switch (c->v->kind) {
	case VERDICT_RSVP:
		return do_reply(c, 0);
	case VERDICT_COUNTER:
		return do_reply(c, 1);
	case VERDICT_BOUNCE:
	case VERDICT_DELAY:
		return do_bounce(c);
	case VERDICT_PLAIN:
		return do_plain(c);
	case VERDICT_AUTO_REPLY:
		why(c, "automatic reply: %s", c->v->reason ? c->v->reason :
		    "never answered");
		return INBOX_IGNORED;
	case VERDICT_REQUEST:
	case VERDICT_CANCEL:
		why(c, "a calendar %s sent to us: not ours to act on",
		    verdict_kind_name(c->v->kind));
		return INBOX_IGNORED;
	case VERDICT_MALFORMED:
		why(c, "malformed: %s", c->v->reason ? c->v->reason : "unreadable");
		return INBOX_IGNORED;
	}
	return INBOX_IGNORED;
}

/* The Message-ID header of a message GMime could not read: the first
 * "Message-ID:" line of the header block, its <...> part. */
static char *
raw_message_id(const char *data, size_t len)
{
	const char *p = data, *end = data + (len < 65536 ? len : 65536), *nl;
	const char *lt, *gt;

	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL)
			nl = end;
		if (nl == p || (nl == p + 1 && *p == '\r'))
			break;          /* the end of the header block */
		if ((size_t)(nl - p) > 11 && strncasecmp(p, "Message-ID:", 11) == 0 &&
		    (lt = memchr(p, '<', (size_t)(nl - p))) != NULL &&
		    (gt = memchr(lt, '>', (size_t)(nl - lt))) != NULL &&
		    gt - lt > 1 && gt - lt < 256) {
			char *id = xstrndup(lt + 1, (size_t)(gt - lt - 1));

			if (!str_has_ctl(id) && str_is_utf8(id) &&
			    strchr(id, ' ') == NULL)
				return id;
			free(id);
		}
		p = nl + 1;
	}
	return NULL;
}

/* What a message is known by: its Message-ID.  One without is known by
 * its content, which is the same in every folder and after every
 * restart; one too broken to parse may still name itself in its header,
 * which is what an administrator looks for in the log.  Caller frees. */
static char *
identity(const struct verdict *v, const char *data, size_t len)
{
	char *msgid, hex[65];

	if (v->message_id != NULL && *v->message_id != '\0')
		return xstrdup(v->message_id);
	if ((msgid = raw_message_id(data, len)) != NULL)
		return msgid;
	sha256_hex(data, len, hex);
	return xasprintf("sha256-%s@convened.invalid", hex);
}

static void
ictx_init(struct ictx *c, const struct config *cfg, struct store *st,
    long long now, const struct verdict *v, const char *msgid, char **err)
{
	memset(c, 0, sizeof *c);
	c->cfg = cfg;
	c->st = st;
	c->now = now;
	c->v = v;
	c->msgid = msgid;
	c->err = err;
	c->why = "";
	store_failure_clear(st);
}

/* The refusals of the message, counted with its record. */
static int
count_refusals(struct ictx *c)
{
	size_t i;

	for (i = 0; i < c->nreasons; i++)
		if (store_refusal_add(c->st, trust_reason_name(c->reasons[i]),
		    c->now, c->err) == -1)
			return -1;
	return 0;
}

/* The message applied, with the record that it was, in one transaction;
 * or, seen before, nothing: filed away again if it was applied (a crash
 * came between commit and flag), left alone if it was not. */
static enum inbox_result
apply_once(struct ictx *c, const char *folder, unsigned long uidvalidity,
    unsigned long uid)
{
	char *before = NULL;
	enum inbox_result res;
	int rc;

	if ((rc = store_inbound_seen(c->st, c->msgid, &before, c->err)) != 0) {
		if (rc == -1)
			return INBOX_FAILED;
		res = strcmp(before, "applied") == 0 ? INBOX_DUPLICATE :
		    INBOX_IGNORED;
		why(c, "processed before (%s)", before);
		c->seen_before = 1;
		free(before);
		return res;
	}
	if (store_begin(c->st) == -1) {
		*c->err = xasprintf("cannot begin a transaction in the state db: "
		    "%s", store_errmsg(c->st));
		return INBOX_FAILED;
	}
	if ((res = dispatch(c)) != INBOX_FAILED &&
	    count_refusals(c) == 0 &&
	    store_inbound_add(c->st, c->msgid, folder ? folder : "", uidvalidity,
	    uid, c->now, verdict_kind_name(c->v->kind), inbox_result_name(res),
	    c->err) == 0 &&
	    store_inbound_failure_clear(c->st, c->msgid, c->err) == 0 &&
	    store_commit(c->st) == 0)
		return res;
	store_rollback(c->st);
	/* Nothing of it in the state: nothing of it in the repository. */
	archive_unstore(c->cfg->repository, &c->stored);
	archive_unstore(c->cfg->repository, &c->apart);
	if (*c->err == NULL)
		*c->err = xasprintf("cannot record message %s in the state db: %s",
		    c->msgid, store_errmsg(c->st));
	return INBOX_FAILED;
}

/* *c->err gives way to a later failure's message e. */
static void
replace_err(struct ictx *c, char *e)
{
	free(*c->err);
	*c->err = e;
}

/* The quarantine-notice about the message to one person: as a failure
 * (error and count) or as too big (size and limit, in KB).  A letter
 * that cannot be queued is logged: the log line says it all already. */
static void
tell_quarantine(struct ictx *c, const struct group *g, const char *to,
    const char *folder, const char *error, int count, const char *size,
    const char *limit)
{
	char n[16], *e = NULL;
	struct letter l;

	snprintf(n, sizeof n, "%d", count);
	{
		const struct tvar vars[] = {
			{ "message_id", c->msgid }, { "sender", c->v->from },
			{ "subject", c->v->msg ? c->v->msg->subject : NULL },
			{ "folder", folder },
			{ "quarantine_folder", c->cfg->imap_quarantine },
			{ "size", size }, { "limit", limit }, { "error", error },
			{ "count", error ? n : NULL },
		};

		memset(&l, 0, sizeof l);
		l.kind = "quarantine-notice";
		l.group = g;
		l.to = to;
		l.ref = c->msgid;
		l.vars = vars;
		l.nvars = sizeof vars / sizeof vars[0];
		if (letter_queue(c->cfg, c->st, &l, c->now, &e) < 0) {
			log_warnx("%s: cannot tell %s it is in quarantine: %s",
			    c->msgid, to, e);
			free(e);
		}
	}
}

/* What of an error says how it failed, so that two failures of one
 * message compare: our messages put the failure first and its cause
 * last ("cannot record document ss/2021/...-document-2/x.pdf in state db
 * ...: constraint failed"), and what varies from one try to the next (an
 * item's directory, a temporary file's name) is in the first part or in
 * numbers.  The last part, numbers collapsed.  Caller frees. */
static char *
failure_cause(const char *error)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *p = error, *q;

	for (q = error; (q = strstr(q, ": ")) != NULL; q += 2)
		p = q + 2;
	for (; *p != '\0'; p++) {
		if (isdigit((unsigned char)*p)) {
			while (isdigit((unsigned char)p[1]))
				p++;
			buf_addc(&b, '#');
		} else
			buf_addc(&b, *p);
	}
	buf_adds(&b, "");
	return buf_detach(&b);
}

/* The message's own failure, counted; the INBOX_QUARANTINE_AFTER-th
 * cycle running it fails the same way, quarantined and the admin told
 * once. */
static enum inbox_result
count_failure(struct ictx *c, const char *folder, unsigned long uidvalidity,
    unsigned long uid, int *count)
{
	char *e = NULL, *cause;
	int tell = 0;

	if (store_begin(c->st) == -1)
		return INBOX_STORE_DOWN;
	cause = failure_cause(*c->err);
	*count = store_inbound_failed(c->st, c->msgid, folder ? folder : "",
	    uidvalidity, uid, *c->err, cause, c->now, &e);
	free(cause);
	if (*count >= INBOX_QUARANTINE_AFTER &&
	    (tell = store_inbound_quarantine(c->st, c->msgid, c->now, &e)) == 1 &&
	    c->cfg->admin != NULL)
		tell_quarantine(c, NULL, c->cfg->admin, folder, *c->err, *count,
		    NULL, NULL);
	if (*count == -1 || tell == -1 || store_commit(c->st) == -1) {
		store_rollback(c->st);
		if (e != NULL)
			replace_err(c, e);
		return INBOX_STORE_DOWN;
	}
	return *count >= INBOX_QUARANTINE_AFTER ? INBOX_QUARANTINE :
	    INBOX_FAILED;
}

/* Whose fault the failure was, and what follows from it: the state db's
 * (the collect ends), the repository's or the templates' (an outage,
 * told once; the message waits), or the message's own (counted). */
static enum inbox_result
failed(struct ictx *c, const char *folder, unsigned long uidvalidity,
    unsigned long uid, int *count)
{
	char *e = NULL;
	int rc = 0;

	if (store_failure(c->st) >= STORE_FAIL_ENV)
		return INBOX_STORE_DOWN;
	if (c->resource != NULL && c->waiting)
		return INBOX_WAITING;
	if (c->resource != NULL)
		rc = outage_failed(c->cfg, c->st, c->resource, *c->err, c->now,
		    &e) == -1 ? -1 : 1;
	else if (c->letter_failed)
		rc = outage_templates(c->cfg, c->st, c->now, &e);
	if (rc == -1) {
		replace_err(c, e);
		return INBOX_STORE_DOWN;
	}
	if (rc == 1)
		return INBOX_WAITING;
	return count_failure(c, folder, uidvalidity, uid, count);
}

/* The one line for the log. */
static void
report(const struct ictx *c, enum inbox_result res, const char *folder,
    int count)
{
	const char *kind = verdict_kind_name(c->v->kind);
	const char *from = c->v->from ? c->v->from : "(no sender)";

	if (c->seen_before) {
		log_debug("%s: %s", c->msgid, c->why);
		return;
	}
	switch (res) {
	case INBOX_APPLIED:
	case INBOX_DUPLICATE:
		log_info("%s: %s from %s: %s", c->msgid, kind, from, c->why);
		break;
	case INBOX_IGNORED:
	case INBOX_REFUSED:
		(res == INBOX_REFUSED ? log_warnx : log_info)("%s: %s from %s "
		    "%s: %s; left on the server", c->msgid, kind, from,
		    inbox_result_name(res), c->why);
		break;
	case INBOX_FAILED:
		log_warnx("%s: cannot apply %s from %s (failure %d of %d in a "
		    "row): %s; tried again next cycle", c->msgid, kind, from,
		    count, INBOX_QUARANTINE_AFTER, *c->err);
		break;
	case INBOX_QUARANTINE:
		log_warnx("%s: cannot apply %s from %s, %d cycles running: %s; "
		    "put in quarantine%s%s%s", c->msgid, kind, from, count,
		    *c->err, c->cfg->imap_quarantine ? " (" : "",
		    c->cfg->imap_quarantine ? c->cfg->imap_quarantine : "",
		    c->cfg->imap_quarantine ? ")" : ", left in its folder");
		break;
	case INBOX_WAITING:
	case INBOX_STORE_DOWN:
		log_debug("%s in %s waits: %s", c->msgid, folder ? folder : "-",
		    *c->err);
		break;
	}
}

enum inbox_result
inbox_apply(const struct config *cfg, struct store *st, long long now,
    const char *data, size_t len, const char *folder,
    unsigned long uidvalidity, unsigned long uid, char **err)
{
	struct verdict *v;
	struct ictx c;
	char *msgid;
	enum inbox_result res;
	int count = 0;

	classify(data, len, &v);
	msgid = identity(v, data, len);
	ictx_init(&c, cfg, st, now, v, msgid, err);
	c.data = data;
	c.len = len;
	c.folder = folder;
	if ((res = apply_once(&c, folder, uidvalidity, uid)) == INBOX_FAILED)
		res = failed(&c, folder, uidvalidity, uid, &count);
	report(&c, res, folder, count);
	archive_stored_free(&c.stored);
	archive_stored_free(&c.apart);
	free(c.resource);
	free(msgid);
	verdict_free(v);
	return res;
}

/* ---- too big to read ------------------------------------------------------ */

/* The group a message seems to be about: the tag in its subject, else
 * the group of a Message-ID of ours it answers.  NULL: none. */
static const struct group *
concerned(const struct ictx *c)
{
	const struct mime_msg *m = c->v->msg;
	const char *dom = addr_domain(c->cfg->org_email), *kind, *id;
	const struct group *g;
	struct msgid ref;
	size_t i, n = m ? m->nreferences + 1 : 0;

	if ((g = tagged(c, &kind)) != NULL)
		return g;
	for (i = 0; i < n; i++) {
		id = i == 0 ? m->in_reply_to : m->references[m->nreferences - i];
		if (msgid_parse(id, dom, &ref) == 0 && *ref.group != '\0' &&
		    (g = config_group(c->cfg, ref.group)) != NULL)
			return g;
	}
	return NULL;
}

/* Who hears of a message too big: the coordinators of the group it is
 * about when a member of it sent it, else the admin.  Their number. */
static int
tell_too_big(struct ictx *c, const char *folder, const char *size,
    const char *limit)
{
	const struct group *g = concerned(c);
	size_t i;
	int n = 0;

	if (g != NULL && config_member(g, c->v->from) != NULL) {
		for (i = 0; i < g->nmembers; i++)
			if (g->members[i].coordinator) {
				tell_quarantine(c, g, g->members[i].email, folder,
				    NULL, 0, size, limit);
				n++;
			}
	} else if (c->cfg->admin != NULL) {
		tell_quarantine(c, g, c->cfg->admin, folder, NULL, 0, size,
		    limit);
		n++;
	}
	return n;
}

/* Where the header of head ends (its blank line), or hlen. */
static size_t
header_len(const char *head, size_t hlen)
{
	const char *p;

	for (p = head; (p = memchr(p, '\n', hlen - (size_t)(p - head))) != NULL;
	    p++)
		if ((size_t)(p + 1 - head) < hlen && (p[1] == '\n' ||
		    (p[1] == '\r' && (size_t)(p + 2 - head) < hlen && p[2] == '\n')))
			return (size_t)(p + 1 - head);
	return hlen;
}

/* Recorded as quarantined in one transaction with its notices. */
static enum inbox_result
quarantine_big(struct ictx *c, const char *folder, unsigned long uidvalidity,
    unsigned long uid, const char *size, int *told)
{
	char limit[32], *e = NULL;
	int tell;

	snprintf(limit, sizeof limit, "%d", c->cfg->imap_max_message_kb);
	*c->err = xasprintf("it is %s KB, over the limit of %s KB: not read",
	    size, limit);
	if (store_begin(c->st) == -1)
		return INBOX_STORE_DOWN;
	if (store_inbound_failed(c->st, c->msgid, folder ? folder : "",
	    uidvalidity, uid, *c->err, "too big", c->now, &e) == -1 ||
	    (tell = store_inbound_quarantine(c->st, c->msgid, c->now, &e)) == -1) {
		store_rollback(c->st);
		replace_err(c, e);
		return INBOX_STORE_DOWN;
	}
	*told = tell ? tell_too_big(c, folder, size, limit) : 0;
	if (store_commit(c->st) == -1) {
		store_rollback(c->st);
		return INBOX_STORE_DOWN;
	}
	return INBOX_QUARANTINE;
}

enum inbox_result
inbox_too_big(const struct config *cfg, struct store *st, long long now,
    const char *head, size_t hlen, unsigned long size, const char *folder,
    unsigned long uidvalidity, unsigned long uid, char **err)
{
	struct verdict *v;
	struct ictx c;
	char *msgid, *before = NULL, kb[32];
	enum inbox_result res;
	int rc, told = 0;

	/* Only the header is read: enough to say whose it is. */
	classify(head, header_len(head, hlen), &v);
	msgid = identity(v, head, hlen);
	ictx_init(&c, cfg, st, now, v, msgid, err);
	snprintf(kb, sizeof kb, "%lu", (size + 1023) / 1024);
	if ((rc = store_inbound_seen(st, msgid, &before, err)) == 1 &&
	    strcmp(before, "applied") == 0)
		res = INBOX_DUPLICATE;
	else if (rc == -1)
		res = INBOX_STORE_DOWN;
	else if ((res = quarantine_big(&c, folder, uidvalidity, uid, kb,
	    &told)) == INBOX_QUARANTINE)
		log_warnx("%s: message from %s in %s is %s KB, over the limit of "
		    "%d KB: not read, put in quarantine%s%s; %d told", msgid,
		    v->from ? v->from : "(no sender)", folder ? folder : "-", kb,
		    cfg->imap_max_message_kb, cfg->imap_quarantine ? " " : "",
		    cfg->imap_quarantine ? cfg->imap_quarantine : "", told);
	free(before);
	free(msgid);
	verdict_free(v);
	return res;
}

/* ---- IMAP ---------------------------------------------------------------- */

/* Messages applied are filed away (\Seen, moved) in batches: a few IMAP
 * commands for hundreds of messages instead of two each.  The folder's
 * last UID moves only past messages filed away; a crash before a batch is
 * filed reads those messages again, finds them by Message-ID, and files
 * them away then. */
#define FILE_BATCH 500
#define HEAD_MAX   (64u << 10)  /* of a message too big: its header */
#define SIZES_WINDOW 1000       /* messages whose sizes are asked at once */

/* What one step of reading a folder means for the rest of the collect. */
enum read {
	READ_NEXT,              /* on to the next message */
	READ_FOLDER_FAILED,     /* logged: on to the next folder */
	READ_REFUSED,           /* logged: the server refuses us, no folder
	                         * will do */
	READ_STORE_FAILED       /* *err set: the collect ends with -1 */
};

/* One folder's pass. */
struct folder_run {
	const struct config *cfg;
	struct store *st;
	struct imap *im;
	long long now;
	struct inbox_stats *is;
	char **err;
	const char *folder;
	unsigned long uv;
	unsigned long *pending;     /* applied, to file away */
	size_t npending;
	unsigned long done;         /* last UID finished with, to record */
	int held;                   /* a message would not apply: done stays
	                             * before it, so it is read again */
	int login_refused;          /* the server refused the login */
	int server_failed;          /* opening the folder failed on it */
	int hold_login;             /* a refused login is not logged yet */
	char *failure;              /* the last server failure, for account.c */
};

/* The server failed on this folder: one line, and the rest of the folder
 * waits for the next cycle. */
static void
say_failed(const struct folder_run *fr)
{
	log_warnx("cannot read mail from %s, folder %s: %s", fr->cfg->imap.url,
	    fr->folder, fr->failure != NULL ? fr->failure : "unknown error");
}

static enum read
server_failed(struct folder_run *fr, enum dmn rc, char *why)
{
	free(fr->failure);
	fr->failure = why;
	fr->login_refused = rc == DMN_BAD_ACCOUNT && imap_login_refused(fr->im);
	/* A refused login may be tried again with a new token: said then,
	 * if it fails again. */
	if (!fr->login_refused || !fr->hold_login)
		say_failed(fr);
	fr->server_failed = 1;
	fr->is->server_error = 1;
	return rc == DMN_BAD_ACCOUNT ? READ_REFUSED : READ_FOLDER_FAILED;
}

/* File away what is pending, then record the folder's progress. */
static enum read
file_away(struct folder_run *fr)
{
	char *why = NULL;
	enum dmn rc;

	if (fr->npending > 0) {
		rc = imap_file_away(fr->im, fr->pending, fr->npending,
		    fr->cfg->imap_processed, &why);
		if (rc != DMN_OK)
			return server_failed(fr, rc, why);
		fr->npending = 0;
	}
	if (fr->done != 0 && store_folder_set(fr->st, fr->folder, fr->uv,
	    fr->done, fr->err) == -1)
		return READ_STORE_FAILED;
	return READ_NEXT;
}

/* SELECT the folder and list the UIDs past the last one recorded. */
static enum read
open_folder(struct folder_run *fr, unsigned long **uids, size_t *n)
{
	unsigned long next, known_uv = 0, last = 0;
	char *why = NULL;
	enum dmn rc;
	int known;

	rc = imap_select(fr->im, fr->folder, &fr->uv, &next, &why);
	if (rc == DMN_BAD_MSG) {
		log_warnx("cannot read folder %s: %s; skipped", fr->folder, why);
		free(why);
		return READ_FOLDER_FAILED;
	}
	if (rc != DMN_OK)
		return server_failed(fr, rc, why);
	if ((known = store_folder_get(fr->st, fr->folder, &known_uv, &last,
	    fr->err)) == -1)
		return READ_STORE_FAILED;
	if (!known || known_uv != fr->uv) {
		/* A new UIDVALIDITY renumbers everything: read it all again;
		 * what was done is recognised by its Message-ID. */
		if (known)
			log_warnx("UIDVALIDITY of %s changed from %lu to %lu: "
			    "reading the folder again", fr->folder, known_uv,
			    fr->uv);
		last = 0;
		if (store_folder_set(fr->st, fr->folder, fr->uv, 0,
		    fr->err) == -1)
			return READ_STORE_FAILED;
	}
	if ((rc = imap_uids(fr->im, last, uids, n, &why)) != DMN_OK)
		return server_failed(fr, rc, why);
	return READ_NEXT;
}

/* uid is finished with (applied, ignored, quarantined, gone): the
 * folder's progress passes it, unless a message before it is held. */
static void
finished(struct folder_run *fr, unsigned long uid)
{
	if (!fr->held)
		fr->done = uid;
}

/* To the quarantine folder; without one, flagged \Seen where it is.  A
 * move the server refuses leaves it there, said once: it is recorded as
 * quarantined all the same and never applied. */
static enum read
to_quarantine(struct folder_run *fr, unsigned long uid)
{
	const char *q = fr->cfg->imap_quarantine;
	char *why = NULL;
	enum dmn rc;

	fr->is->quarantined++;
	rc = q != NULL ? imap_move(fr->im, uid, q, &why) :
	    imap_set_seen(fr->im, uid, &why);
	if (rc == DMN_BAD_MSG) {
		log_warnx("%s UID %lu: cannot put it in quarantine: %s; left "
		    "where it is", fr->folder, uid, why);
		free(why);
	} else if (rc != DMN_OK)
		return server_failed(fr, rc, why);
	finished(fr, uid);
	return READ_NEXT;
}

/* What became of message uid, for the folder; why is inbox's *err. */
static enum read
settle(struct folder_run *fr, unsigned long uid, enum inbox_result res,
    char *why)
{
	switch (res) {
	case INBOX_STORE_DOWN:
		*fr->err = why;
		return READ_STORE_FAILED;
	case INBOX_FAILED:
	case INBOX_WAITING:
		/* Logged by inbox_apply; read again next cycle. */
		free(why);
		(*(res == INBOX_FAILED ? &fr->is->failed : &fr->is->waiting))++;
		fr->held = 1;
		return READ_NEXT;
	case INBOX_QUARANTINE:
		free(why);
		return to_quarantine(fr, uid);
	case INBOX_APPLIED:
	case INBOX_DUPLICATE:
		fr->pending[fr->npending++] = uid;
		break;
	case INBOX_IGNORED:
	case INBOX_REFUSED:
		break;
	}
	free(why);
	(*(res == INBOX_APPLIED ? &fr->is->applied : &fr->is->ignored))++;
	finished(fr, uid);
	return fr->npending == FILE_BATCH ? file_away(fr) : READ_NEXT;
}

/* The server will not give message uid (gone, refused): said, and
 * passed over. */
static enum read
left(struct folder_run *fr, unsigned long uid, char *why)
{
	log_warnx("%s UID %lu: %s; left on the server", fr->folder, uid, why);
	free(why);
	fr->is->ignored++;
	finished(fr, uid);
	return READ_NEXT;
}

/* [imap] max_message_kb in bytes. */
static size_t
max_bytes(const struct folder_run *fr)
{
	return (size_t)fr->cfg->imap_max_message_kb * 1024;
}

/* A message over [imap] max_message_kb: only its start is fetched. */
static enum read
too_big(struct folder_run *fr, unsigned long uid)
{
	enum inbox_result res;
	unsigned long size;
	char *head, *why = NULL;
	size_t hlen;
	enum dmn rc;

	rc = imap_fetch_head(fr->im, uid, HEAD_MAX, &head, &hlen, &size, &why);
	if (rc == DMN_BAD_MSG)
		return left(fr, uid, why);
	if (rc != DMN_OK)
		return server_failed(fr, rc, why);
	res = inbox_too_big(fr->cfg, fr->st, fr->now, head, hlen, size,
	    fr->folder, fr->uv, uid, &why);
	free(head);
	return settle(fr, uid, res, why);
}

/* Message uid, fetched: applied, and queued to be filed away. */
static enum read
apply_fetched(struct folder_run *fr, unsigned long uid, const char *data,
    size_t len)
{
	enum inbox_result res;
	char *why = NULL;

	fr->is->fetched++;
	res = inbox_apply(fr->cfg, fr->st, fr->now, data, len, fr->folder,
	    fr->uv, uid, &why);
	return settle(fr, uid, res, why);
}

/* One message fetched alone: applied, and queued to be filed away. */
static enum read
read_one(struct folder_run *fr, unsigned long uid)
{
	enum read r;
	char *data, *why = NULL;
	size_t len;
	enum dmn rc;

	rc = imap_fetch(fr->im, uid, max_bytes(fr), &data, &len, &why);
	if (rc == DMN_BAD_MSG && imap_fetch_too_big(fr->im)) {
		free(why);
		return too_big(fr, uid);
	}
	if (rc == DMN_BAD_MSG)
		return left(fr, uid, why);
	if (rc != DMN_OK)
		return server_failed(fr, rc, why);
	r = apply_fetched(fr, uid, data, len);
	free(data);
	return r;
}

/* Messages uids[0..n) in order, their bodies fetched many to a command
 * (imap_fetch_batch()); what a batch leaves out, or all of them when the
 * server refuses to list their sizes, is read alone as before. */
static enum read
read_window(struct folder_run *fr, const unsigned long *uids, size_t n,
    volatile sig_atomic_t *stop)
{
	struct imap_msg *m = xcalloc(n, sizeof(*m));
	enum read r = READ_NEXT;
	size_t i, k, upto = 0;
	char *why = NULL;
	enum dmn rc;

	for (i = 0; i < n; i++)
		m[i].uid = uids[i];
	if ((rc = imap_sizes(fr->im, m, n, &why)) == DMN_BAD_MSG) {
		free(why);
		upto = n;       /* nothing found: each read alone */
	} else if (rc != DMN_OK) {
		r = server_failed(fr, rc, why);
	}
	for (i = 0; i < n && r == READ_NEXT && !(stop != NULL && *stop); i++) {
		loop_alive();
		if (i == upto) {
			why = NULL;
			rc = imap_fetch_batch(fr->im, m + i, n - i,
			    max_bytes(fr), &k, &why);
			if (rc != DMN_OK && rc != DMN_BAD_MSG) {
				r = server_failed(fr, rc, why);
				break;
			}
			free(why);
			upto = i + k;
		}
		r = m[i].data != NULL ? apply_fetched(fr, uids[i], m[i].data,
		    m[i].len) : read_one(fr, uids[i]);
		free(m[i].data);
		m[i].data = NULL;
	}
	for (i = 0; i < n; i++)
		free(m[i].data);
	free(m);
	return r;
}

/* A session signed in with what account.h gives, or NULL (logged). */
static struct imap *
session(const struct config *cfg)
{
	char *secret = NULL, *why = NULL;
	struct imap *im;

	if (account_secret(cfg, ACCOUNT_IMAP, &secret, &why) != DMN_OK) {
		if (why != NULL)
			log_warnx("cannot read mail: %s", why);
		free(why);
		return NULL;
	}
	im = imap_new(&cfg->imap, secret, cfg->imap_timeout);
	oauth_secret_free(secret);
	return im;
}

/* The folder opened; a login refused with an access token from an
 * earlier cycle is tried once more with a new one (account.h). */
static enum read
open_signed_in(struct folder_run *fr, unsigned long **uids, size_t *n)
{
	int server_error = fr->is->server_error;
	struct imap *im;
	enum read r;

	fr->login_refused = fr->server_failed = 0;
	fr->hold_login = 1;
	r = open_folder(fr, uids, n);
	fr->hold_login = 0;
	if (fr->login_refused && account_retry(fr->cfg, ACCOUNT_IMAP) &&
	    (im = session(fr->cfg)) != NULL) {
		imap_free(fr->im);
		fr->im = im;
		fr->is->server_error = server_error;
		fr->login_refused = fr->server_failed = 0;
		r = open_folder(fr, uids, n);
	} else if (fr->login_refused)
		say_failed(fr);
	if (r != READ_STORE_FAILED)
		account_result(fr->cfg, ACCOUNT_IMAP, !fr->server_failed,
		    fr->failure, fr->login_refused);
	return r;
}

/* One folder, in UID order. */
static enum read
collect_folder(struct folder_run *fr, volatile sig_atomic_t *stop)
{
	unsigned long *uids = NULL;
	size_t n = 0, i;
	enum read r;

	fr->npending = 0;
	fr->done = 0;
	fr->held = 0;
	r = open_signed_in(fr, &uids, &n);
	fr->pending = xcalloc(FILE_BATCH, sizeof *fr->pending);
	for (i = 0; i < n && r == READ_NEXT && !(stop != NULL && *stop);
	    i += SIZES_WINDOW)
		r = read_window(fr, uids + i, n - i < SIZES_WINDOW ? n - i :
		    SIZES_WINDOW, stop);
	if (r == READ_NEXT)
		r = file_away(fr);
	free(fr->pending);
	fr->pending = NULL;
	free(uids);
	return r;
}

int
inbox_expire_held(struct store *st, long long now, char **err)
{
	struct store_held *h = NULL;
	size_t n = 0, i;

	if (store_begin(st) == -1) {
		*err = xasprintf("cannot begin a transaction in the state db: "
		    "%s", store_errmsg(st));
		return -1;
	}
	if (store_held_expired(st, now - TRUST_HOLD_DAYS * DAY, &h, &n,
	    err) == -1)
		goto fail;
	for (i = 0; i < n; i++)
		if (store_held_drop(st, h[i].message_id, err) == -1 ||
		    store_refusal_add(st, trust_reason_name(TRUST_EXPIRED), now,
		    err) == -1)
			goto fail;
	if (store_commit(st) == -1) {
		*err = xasprintf("cannot commit to the state db: %s",
		    store_errmsg(st));
		goto fail;
	}
	for (i = 0; i < n; i++)
		log_warnx("%s: refused (%s): held for %s of %s since %lld days, "
		    "never confirmed: dropped", h[i].message_id,
		    trust_reason_name(TRUST_EXPIRED), h[i].coordinator,
		    h[i].group_id, (now - h[i].received) / DAY);
	store_held_free(h, n);
	return 0;
fail:
	store_rollback(st);
	store_held_free(h, n);
	return -1;
}

int
inbox_collect(const struct config *cfg, struct store *st, long long now,
    volatile sig_atomic_t *stop, struct inbox_stats *is, char **err)
{
	struct folder_run fr = { .cfg = cfg, .st = st, .now = now, .is = is,
	    .err = err };
	enum read r = READ_NEXT;
	size_t i;

	memset(is, 0, sizeof *is);
	if (inbox_expire_held(st, now, err) == -1)
		return -1;
	if ((fr.im = session(cfg)) == NULL) {
		is->server_error = 1;
		return 0;
	}
	for (i = 0; i < cfg->nimap_folders && !(stop != NULL && *stop) &&
	    r != READ_REFUSED && r != READ_STORE_FAILED; i++) {
		fr.folder = cfg->imap_folders[i];
		r = collect_folder(&fr, stop);
	}
	imap_free(fr.im);
	free(fr.failure);
	return r == READ_STORE_FAILED ? -1 : 0;
}
