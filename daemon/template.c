/* template.c: message templates, their check and their rendering.
 *
 * One parser serves both `convened check` and the send path, so a
 * template that check accepts is exactly one that renders, and one it
 * refuses never renders.  The parser turns the file into two token lists
 * (subject, body) that point into the file's text; rendering walks them. */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "config.h"
#include "ical.h"
#include "template.h"
#include "util.h"

const char *const template_kinds[] = { "invite", "update", "cancel",
    "bounce-notice", "agenda-request", "agenda-reminder", "minutes-request",
    "minutes-reminder", "minutes-notice", "counter-notice", "quota-warning",
    "quota-year-end", "rule-warning", "agenda-refused", "files-refused",
    "quarantine-notice", "outage-notice", "auth-notice", "confirm-request",
    "milestone-reminder", "milestone-overdue",
    "presentations-call", "presentation-reply", "presentation-notice",
    "materials-request", "materials-notice",
    "list-moderation", "list-delivery", "list-digest", "list-paused",
    "poll-ballot", "poll-tally",
    "seminar-announce", "seminar-refusal", "seminar-flood",
    NULL };

/* Variables every meeting message takes; of a series event (recur.h):
 * that the message is about the whole series, its meetings still to come
 * (one "  - when" a line), its last day, or that the message is about one
 * occurrence of it. */
static const char *const meeting_vars[] = {
	"member_name", "member_email", "group_name", "group_id", "summary",
	"kind", "openness", "date", "when_member", "when_meeting",
	"member_timezone", "meeting_timezone", "duration", "location",
	"organizer_name", "organizer_email", "agenda", "sequence", "series",
	"series_dates", "series_until", "occurrence", NULL
};

/* An update: the meeting's variables, what changed (each flag non-empty
 * when it did), what was there before, and whether the reader's answer
 * stands (answer, in words) or is asked for again (reply_requested). */
static const char *const update_vars[] = {
	"member_name", "member_email", "group_name", "group_id", "summary",
	"kind", "openness", "date", "when_member", "when_meeting",
	"member_timezone", "meeting_timezone", "duration", "location",
	"organizer_name", "organizer_email", "agenda", "sequence",
	"changed_time", "changed_place", "changed_agenda", "changed_title",
	"previous_when", "previous_location", "answer", "reply_requested",
	"series", "series_dates", "series_until", "occurrence",
	"changed_dates", "series_ended", NULL
};

/* Notices about one meeting (its agenda, its minutes, a proposed new
 * time): the meeting's variables and what the notice is about. */
static const char *const notice_vars[] = {
	"member_name", "member_email", "group_name", "group_id", "summary",
	"kind", "openness", "date", "when_member", "when_meeting",
	"member_timezone", "meeting_timezone", "duration", "location",
	"organizer_name", "organizer_email", "agenda", "sequence",
	"deadline", "tag", "files", "sender_name", "attendee_name",
	"attendee_email", "proposed_when", "proposed_duration", "comment",
	"more", NULL
};

/* Notices to coordinators: who they are written to, and about what. */
static const char *const bounce_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "address", "address_name",
	"reason", NULL
};

/* Quota warnings (quota.c): the year's figures, the time left in it as
 * words ("9 meses"), the date of the check and the meetings still to come
 * (one "  - date, kind" a line), all localized for the reader. */
static const char *const quota_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "year", "quota", "held",
	"scheduled", "short_by", "months_left", "checkpoint", "planned_dates",
	NULL
};

/* The coordination rule broken: why (localized) and the coordinators now
 * registered (one "  - name <email> (role)" a line). */
static const char *const rule_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "why", "coordinators", NULL
};

/* An agenda refused for its length: the meeting's variables and the
 * sizes, in KiB. */
static const char *const agenda_refused_vars[] = {
	"member_name", "member_email", "group_name", "group_id", "summary",
	"kind", "openness", "date", "when_member", "when_meeting",
	"member_timezone", "meeting_timezone", "duration", "location",
	"organizer_name", "organizer_email", "agenda", "sequence", "tag",
	"size", "limit", NULL
};

/* Attachments left out of an archived item: which (one "name (size)" a
 * line), whose message, and the two caps in KiB. */
static const char *const files_refused_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "sender", "sender_name",
	"subject", "message_id", "refused", "archived", "limit", "total_limit",
	NULL
};

/* A message put in quarantine: what it is, where it was and went, and
 * why: too big (size and limit, in KiB) or failing (error, count). */
static const char *const quarantine_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "message_id", "sender", "subject",
	"folder", "quarantine_folder", "size", "limit", "error", "count", NULL
};

/* A part of the environment down: which, since when (localized), why;
 * until when, for one told of once it ended (the state db's own). */
static const char *const outage_vars[] = {
	"member_name", "member_email", "organizer_name", "organizer_email",
	"resource", "since", "until", "error", NULL
};

/* An account that can no longer sign in (account.c), to the admin. */
static const char *const auth_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "account", "server", "auth",
	"error", NULL
};

/* A coordinator asked to confirm a message that came without proof
 * (trust.h): whose, what it is (one of the kind_* flags non-empty), what
 * it said (quoted, bounded) and carried (files, one "  name (size,
 * type)" a line), why it was held (no_token or not_authenticated
 * non-empty) and the day it is dropped (until). */
static const char *const confirm_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "sender", "subject",
	"message_id", "quoted", "files", "until", "no_token",
	"not_authenticated", "kind_agenda", "kind_minutes", "kind_document",
	"kind_agreement", NULL
};

/* A milestone of the plan of work (milestone.h): its name and summary,
 * the day it is due (localized), whether that day has come (due_today,
 * non-empty on and after it), the days of notice, the group's tag and
 * who owns it (owner_secretariat non-empty for the secretariat). */
static const char *const milestone_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "milestone", "summary", "due",
	"due_today", "before_due", "lead_days", "tag", "owner_secretariat",
	NULL
};

/* Volunteer presentations (present.h): the meeting's variables, the
 * offer (title, presenter_*, position in its list, its status as a flag:
 * accepted or waiting, what happened to it as a flag: offered, retitled,
 * withdrawn, moved_up, moved_down), the list as it stands (presenters
 * accepted, line waiting: one "  N. country, name: title" a line), the
 * slots, and for the materials the files (one name a line) and
 * sender_name. */
static const char *const present_vars[] = {
	"member_name", "member_email", "group_name", "group_id", "summary",
	"kind", "openness", "date", "when_member", "when_meeting",
	"member_timezone", "meeting_timezone", "duration", "location",
	"organizer_name", "organizer_email", "agenda", "sequence", "tag",
	"slots", "title", "presenter_name", "presenter_email",
	"presenter_country", "position", "accepted", "waiting", "offered",
	"retitled", "withdrawn", "moved_up", "moved_down", "presenters",
	"line", "files", "sender_name", NULL
};

/* The coordinators asked about posts held for a group's list (list.h):
 * the posts (one numbered entry each, quoted), how many (count), how
 * many more wait for a later request (more, empty when none), the day
 * they are dropped (until) and the list's address. */
static const char *const list_moderation_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "posts", "count", "more", "until",
	"list_address", NULL
};

/* A member told how they read a group's list (list.h): one of the
 * delivery_* flags non-empty, paused when bounces paused it, and the
 * command (DIGEST, NOMAIL, RESUME) done, or to confirm by reply; none of
 * those for a request for help. */
static const char *const list_delivery_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "delivery_each", "delivery_digest",
	"delivery_nomail", "paused", "command", "confirm", "done",
	"list_address", "request_address", NULL
};

/* A member's daily digest: the posts (numbered, each with its sender,
 * subject, date and text) and how many. */
static const char *const list_digest_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "posts", "count", "list_address",
	NULL
};

/* The coordinators told that a member's list mail is paused for
 * bouncing. */
static const char *const list_paused_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "paused_email", "paused_name", NULL
};

/* A scheduling poll (poll.h): its name and summary, the meeting's kind
 * (a word of the reader's language), duration and location, the last
 * day to answer, the candidates numbered in the reader's zone (with the
 * tally, each one's yes count and countries), the leading candidate's
 * number and time (no_yes when nobody said yes), how many members
 * answered of how many, and reminder for the tally's reminder. */
static const char *const poll_vars[] = {
	"member_name", "member_email", "group_name", "group_id",
	"organizer_name", "organizer_email", "poll", "summary",
	"meeting_kind", "duration", "location", "closes", "candidates", "tag",
	"reminder", "leading", "leading_when", "no_yes", "answered", "members",
	NULL
};

/* An open seminar (seminar.h): the meeting's variables, its seats, the
 * time in UTC (when_utc), the group's tag; for the admin's notice the
 * address last refused and the waiting list's bound. */
static const char *const seminar_vars[] = {
	"member_name", "member_email", "group_name", "group_id", "summary",
	"kind", "openness", "date", "when_member", "when_meeting",
	"member_timezone", "meeting_timezone", "duration", "location",
	"organizer_name", "organizer_email", "agenda", "sequence", "seats",
	"when_utc", "tag", "registrant", "waiting_max", NULL
};

/* The table of allowed variables, per kind.  A later kind with other
 * variables adds its own list here. */
static const struct {
	const char *kind;
	const char *const *vars;
} kind_vars[] = {
	{ "invite", meeting_vars },
	{ "update", update_vars },
	{ "cancel", meeting_vars },
	{ "bounce-notice", bounce_vars },
	{ "agenda-request", notice_vars },
	{ "agenda-reminder", notice_vars },
	{ "minutes-request", notice_vars },
	{ "minutes-reminder", notice_vars },
	{ "minutes-notice", notice_vars },
	{ "counter-notice", notice_vars },
	{ "quota-warning", quota_vars },
	{ "quota-year-end", quota_vars },
	{ "rule-warning", rule_vars },
	{ "agenda-refused", agenda_refused_vars },
	{ "files-refused", files_refused_vars },
	{ "quarantine-notice", quarantine_vars },
	{ "outage-notice", outage_vars },
	{ "auth-notice", auth_vars },
	{ "confirm-request", confirm_vars },
	{ "milestone-reminder", milestone_vars },
	{ "milestone-overdue", milestone_vars },
	{ "presentations-call", present_vars },
	{ "presentation-reply", present_vars },
	{ "presentation-notice", present_vars },
	{ "materials-request", present_vars },
	{ "materials-notice", present_vars },
	{ "list-moderation", list_moderation_vars },
	{ "list-delivery", list_delivery_vars },
	{ "list-digest", list_digest_vars },
	{ "list-paused", list_paused_vars },
	{ "poll-ballot", poll_vars },
	{ "poll-tally", poll_vars },
	{ "seminar-announce", seminar_vars },
	{ "seminar-refusal", seminar_vars },
	{ "seminar-flood", seminar_vars },
};

#define MAX_DEPTH   16          /* sections open at once */
#define SHOW_MAX    60          /* bytes of a bad tag quoted in a message */

static const char *const shipped_langs[] = { "es", "en", "pt", "fr", NULL };

static int
in_list(const char *const *list, const char *s, size_t n)
{
	size_t i;

	for (i = 0; list[i] != NULL; i++)
		if (strlen(list[i]) == n && memcmp(list[i], s, n) == 0)
			return 1;
	return 0;
}

static const char *const *
vars_for(const char *kind)
{
	size_t i;

	for (i = 0; i < sizeof kind_vars / sizeof kind_vars[0]; i++)
		if (strcmp(kind_vars[i].kind, kind) == 0)
			return kind_vars[i].vars;
	return NULL;
}

/* --- problems ---------------------------------------------------------- */

/* Where problems go: every one into d (check), or the first one kept as
 * "FILE:LINE: message" (render). */
struct report {
	const char  *file;
	struct diag *d;
	char        *first;
	int          n;
};

static void report_add(struct report *, int, const char *, ...)
    __attribute__((format(printf, 3, 4)));

static void
report_add(struct report *r, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);

	if (r->d != NULL)
		diag_add(r->d, 1, r->file, line, "%s", msg);
	else if (r->first == NULL)
		r->first = xasprintf("%s:%d: %s", r->file, line, msg);
	r->n++;
	free(msg);
}

/* --- UTF-8 ------------------------------------------------------------- */

/* Decode one scalar value at p (n bytes available).  Returns its length
 * and sets *cp, or 0 for an invalid sequence (overlong, surrogate, beyond
 * U+10FFFF, truncated). */
static size_t
utf8_decode(const unsigned char *p, size_t n, unsigned long *cp)
{
	unsigned long c;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	} else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2, c = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3, c = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4, c = p[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && c < 0x800) || (len == 4 && c < 0x10000) ||
	    (c >= 0xd800 && c <= 0xdfff) || c > 0x10ffff)
		return 0;
	*cp = c;
	return len;
}

/* A control character that must never reach a header. */
static int
is_ctl(unsigned long c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c <= 0x9f) ||
	    c == 0x2028 || c == 0x2029;
}

/* --- parsing ----------------------------------------------------------- */

enum tok_type { T_TEXT, T_VAR, T_OPEN, T_CLOSE };

struct tok {
	enum tok_type type;
	const char   *s;        /* text, or the variable's name */
	size_t        len;
};

struct toks {
	struct tok *v;
	size_t      n, cap;
};

static void
toks_add(struct toks *t, enum tok_type type, const char *s, size_t len)
{
	if (type == T_TEXT && len == 0)
		return;
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->v = xreallocarray(t->v, t->cap, sizeof *t->v);
	}
	t->v[t->n].type = type;
	t->v[t->n].s = s;
	t->v[t->n].len = len;
	t->n++;
}

struct parsed {
	struct toks subject;
	struct toks body;
};

static void
parsed_free(struct parsed *p)
{
	free(p->subject.v);
	free(p->body.v);
}

/* The sections open in one unit (the subject, or the body). */
struct unit {
	struct toks *out;
	struct {
		const char *name;
		size_t      len;
		int         line;
	} open[MAX_DEPTH];
	int depth;
};

struct parser {
	struct report      *r;
	const char         *kind;
	const char *const  *vars;
};

/* Quote at most SHOW_MAX bytes of s, cut on a character boundary: s is
 * known to be valid UTF-8 by the time a tag is looked at. */
static int
show_len(const char *s, size_t n)
{
	if (n <= SHOW_MAX)
		return (int)n;
	n = SHOW_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

static int
is_name(const char *s, size_t n)
{
	size_t i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' &&
		    s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static void
trim_blank(const char **s, size_t *n)
{
	while (*n > 0 && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* One tag: inner is what stands between "{{" and "}}". */
static void
tag(struct parser *p, struct unit *u, const char *inner, size_t n, int line)
{
	const char *name = inner;
	size_t len = n;
	char sigil = 0;
	int i;

	trim_blank(&name, &len);
	if (len > 0 && (*name == '#' || *name == '/')) {
		sigil = *name;
		name++, len--;
		trim_blank(&name, &len);
	}
	if (!is_name(name, len)) {
		report_add(p->r, line, "invalid tag {{%.*s}}",
		    show_len(inner, n), inner);
		return;
	}
	if (!in_list(p->vars, name, len)) {
		report_add(p->r, line, "unknown %s {{%s%.*s}} in a%s %s "
		    "template", sigil ? "section" : "variable",
		    sigil == '#' ? "#" : sigil == '/' ? "/" : "",
		    show_len(name, len), name,
		    strchr("aeiou", p->kind[0]) ? "n" : "", p->kind);
		return;
	}
	if (sigil == 0) {
		toks_add(u->out, T_VAR, name, len);
	} else if (sigil == '#') {
		for (i = 0; i < u->depth; i++)
			if (u->open[i].len == len &&
			    memcmp(u->open[i].name, name, len) == 0) {
				report_add(p->r, line, "section {{#%.*s}} "
				    "inside itself (opened at line %d)",
				    (int)len, name, u->open[i].line);
				return;
			}
		if (u->depth == MAX_DEPTH) {
			report_add(p->r, line, "sections nested deeper than "
			    "%d", MAX_DEPTH);
			return;
		}
		u->open[u->depth].name = name;
		u->open[u->depth].len = len;
		u->open[u->depth].line = line;
		u->depth++;
		toks_add(u->out, T_OPEN, name, len);
	} else {
		if (u->depth == 0) {
			report_add(p->r, line, "{{/%.*s}} closes no open "
			    "section", (int)len, name);
			return;
		}
		i = u->depth - 1;
		if (u->open[i].len != len ||
		    memcmp(u->open[i].name, name, len) != 0) {
			report_add(p->r, line, "{{/%.*s}} does not close "
			    "{{#%.*s}} opened at line %d", (int)len, name,
			    (int)u->open[i].len, u->open[i].name,
			    u->open[i].line);
			/* Resynchronise when the name is open further out. */
			while (i >= 0 && (u->open[i].len != len ||
			    memcmp(u->open[i].name, name, len) != 0))
				i--;
			if (i >= 0)
				u->depth = i;
			return;
		}
		u->depth--;
		toks_add(u->out, T_CLOSE, name, len);
	}
}

/* A section tag alone on its line (blanks aside) stands for the whole
 * line, newline included.  Returns 1 when s is such a line. */
static int
standalone(struct parser *p, struct unit *u, const char *s, size_t n,
    int line)
{
	const char *t = s;
	size_t len = n;

	trim_blank(&t, &len);
	if (len < 5 || memcmp(t, "{{", 2) != 0 ||
	    memcmp(t + len - 2, "}}", 2) != 0)
		return 0;
	if (memmem(t + 2, len - 4, "{{", 2) || memmem(t + 2, len - 4, "}}", 2))
		return 0;
	t += 2, len -= 4;
	trim_blank(&t, &len);
	if (len == 0 || (*t != '#' && *t != '/'))
		return 0;
	tag(p, u, t, len, line);
	return 1;
}

/* Tokenize one line (without its line end). */
static void
line_tags(struct parser *p, struct unit *u, const char *s, size_t n,
    int line)
{
	const char *end = s + n, *open, *close;

	while (s < end) {
		open = memmem(s, (size_t)(end - s), "{{", 2);
		if (open == NULL) {
			toks_add(u->out, T_TEXT, s, (size_t)(end - s));
			return;
		}
		toks_add(u->out, T_TEXT, s, (size_t)(open - s));
		close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
		if (close == NULL) {
			report_add(p->r, line, "unterminated {{ (a tag "
			    "ends with }} on the same line)");
			return;
		}
		tag(p, u, open + 2, (size_t)(close - open - 2), line);
		s = close + 2;
	}
}

static void
unit_end(struct parser *p, struct unit *u, const char *where)
{
	int i;

	for (i = 0; i < u->depth; i++)
		report_add(p->r, u->open[i].line, "section {{#%.*s}} is "
		    "never closed%s", (int)u->open[i].len, u->open[i].name,
		    where);
	u->depth = 0;
}

/* Check one line's bytes: valid UTF-8 and no control character but TAB.
 * Reports the first problem and returns -1, else 0. */
static int
line_bytes(struct report *r, const char *s, size_t n, int line)
{
	const unsigned char *q = (const unsigned char *)s;
	unsigned long c;
	size_t i = 0, k;

	while (i < n) {
		if ((k = utf8_decode(q + i, n - i, &c)) == 0) {
			report_add(r, line, "invalid UTF-8 (byte %zu of the "
			    "line)", i + 1);
			return -1;
		}
		if (c == 0) {
			report_add(r, line, "NUL byte");
			return -1;
		}
		if (c != '\t' && is_ctl(c)) {
			report_add(r, line, "control character U+%04lX", c);
			return -1;
		}
		i += k;
	}
	return 0;
}

/* Parse a whole template.  Every problem goes to r; returns their
 * number.  The tokens in *out point into text, which must outlive them. */
static int
parse(struct report *r, const char *kind, const char *text, size_t len,
    struct parsed *out)
{
	struct parser p;
	struct unit subj, body;
	const char *s = text, *end = text + len, *nl;
	size_t n;
	int line = 0, before = r->n, has_nl;

	memset(out, 0, sizeof *out);
	memset(&subj, 0, sizeof subj);
	memset(&body, 0, sizeof body);
	subj.out = &out->subject;
	body.out = &out->body;
	p.r = r;
	p.kind = kind;
	p.vars = vars_for(kind);
	if (p.vars == NULL) {
		report_add(r, 0, "unknown template kind '%s'", kind);
		return r->n - before;
	}

	/* A byte order mark from a Windows editor is not part of the text. */
	if (len >= 3 && memcmp(s, "\xef\xbb\xbf", 3) == 0)
		s += 3;
	if (s == end) {
		report_add(r, 1, "empty file (the first line must be "
		    "\"Subject: ...\")");
		return r->n - before;
	}
	while (s < end) {
		line++;
		nl = memchr(s, '\n', (size_t)(end - s));
		has_nl = nl != NULL;
		n = has_nl ? (size_t)(nl - s) : (size_t)(end - s);
		if (n > 0 && s[n - 1] == '\r')
			n--;            /* CRLF line ends are fine */
		if (line_bytes(r, s, n, line) < 0) {
			/* Nothing more to learn from this line. */
		} else if (line == 1) {
			if (n < 9 || memcmp(s, "Subject: ", 9) != 0) {
				report_add(r, 1, "the first line must be "
				    "\"Subject: ...\"");
			} else {
				const char *t = s + 9;
				size_t tn = n - 9;

				trim_blank(&t, &tn);
				if (tn == 0)
					report_add(r, 1, "empty subject");
				line_tags(&p, &subj, t, tn, 1);
				unit_end(&p, &subj, " on the subject line");
			}
		} else if (line == 2) {
			const char *t = s;
			size_t tn = n;

			trim_blank(&t, &tn);
			if (tn != 0)
				report_add(r, 2, "the second line must be "
				    "blank (it ends the header)");
		} else if (!standalone(&p, &body, s, n, line)) {
			line_tags(&p, &body, s, n, line);
			if (has_nl)
				toks_add(&out->body, T_TEXT, "\n", 1);
		}
		s = has_nl ? nl + 1 : end;
	}
	if (line == 1)
		report_add(r, 1, "no blank line and no body after the "
		    "subject");
	unit_end(&p, &body, "");
	return r->n - before;
}

/* --- files ------------------------------------------------------------- */

/* Read path whole.  0 with *text (NUL-terminated, caller frees) and *len;
 * 1 when there is no such file; -1 after reporting why at line 0. */
static int
load(struct report *r, const char *path, char **text, size_t *len,
    struct stat *sb)
{
	struct buf b = BUF_INIT(TEMPLATE_MAX_SIZE);
	struct stat st;
	int fd;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
		if (errno == ENOENT || errno == ENOTDIR)
			return 1;
		report_add(r, 0, "cannot open: %s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) < 0) {
		report_add(r, 0, "cannot stat: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if (!S_ISREG(st.st_mode)) {
		report_add(r, 0, "not a regular file");
		close(fd);
		return -1;
	}
	/* The cap holds whatever st_size said: the file may grow under us. */
	if (buf_read(&b, fd) == -1) {
		if (errno == EFBIG)
			report_add(r, 0, "larger than %d bytes",
			    TEMPLATE_MAX_SIZE);
		else
			report_add(r, 0, "read error: %s", strerror(errno));
		buf_release(&b);
		close(fd);
		return -1;
	}
	close(fd);
	*len = b.len;
	*text = buf_detach(&b);
	if (sb != NULL)
		*sb = st;
	return 0;
}

/* --- rendering --------------------------------------------------------- */

static const char *
lookup(const struct tvar *vars, size_t nvars, const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < nvars; i++)
		if (vars[i].name != NULL && strlen(vars[i].name) == len &&
		    memcmp(vars[i].name, name, len) == 0)
			return vars[i].value ? vars[i].value : "";
	return "";
}

/* Insert a value literally, made safe for where it goes. */
static void
add_value(struct buf *b, const char *v, int subject)
{
	const unsigned char *q = (const unsigned char *)v;
	size_t n = strlen(v), i = 0, k;
	unsigned long c;

	while (i < n) {
		if ((k = utf8_decode(q + i, n - i, &c)) == 0) {
			buf_adds(b, "\xef\xbf\xbd");    /* U+FFFD */
			i++;
			continue;
		}
		if (!is_ctl(c)) {
			buf_add(b, q + i, k);
		} else if (subject) {
			buf_addc(b, ' ');
		} else if (c == '\r') {
			buf_addc(b, '\n');
			if (i + 1 < n && q[i + 1] == '\n')
				i++;
		} else if (c == '\n' || c == '\t' || c == 0x2028 ||
		    c == 0x2029) {
			buf_add(b, q + i, k);
		} else {
			buf_addc(b, ' ');
		}
		i += k;
	}
}

static void
emit(struct buf *b, const struct toks *t, const struct tvar *vars,
    size_t nvars, int subject)
{
	size_t i;
	int hidden = 0;

	for (i = 0; i < t->n; i++) {
		const struct tok *k = &t->v[i];

		if (hidden > 0) {
			if (k->type == T_OPEN)
				hidden++;
			else if (k->type == T_CLOSE)
				hidden--;
			continue;
		}
		switch (k->type) {
		case T_TEXT:
			buf_add(b, k->s, k->len);
			break;
		case T_VAR:
			add_value(b, lookup(vars, nvars, k->s, k->len),
			    subject);
			break;
		case T_OPEN:
			if (*lookup(vars, nvars, k->s, k->len) == '\0')
				hidden = 1;
			break;
		case T_CLOSE:
			break;
		}
	}
}

/* A language is a path component: a short tag like "es" or "pt-BR". */
static int
lang_ok(const char *l)
{
	size_t i, n;

	if (l == NULL || (n = strlen(l)) == 0 || n > 15 || l[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!((l[i] >= 'a' && l[i] <= 'z') || (l[i] >= 'A' &&
		    l[i] <= 'Z') || (l[i] >= '0' && l[i] <= '9') ||
		    l[i] == '-' || l[i] == '_'))
			return 0;
	return 1;
}

/* Templates parsed once: a cycle renders the same few for thousands of
 * letters, each an open, a read and a parse.  An entry holds while its
 * file is the same (inode, size, times), so that an edit is seen by the
 * next letter.  Rendering happens in the main thread only. */
#define CACHE_MAX       64

struct cached {
	char           *path;           /* NULL: a free entry */
	char           *text;           /* the tokens point into it */
	struct parsed   p;
	dev_t           dev;
	ino_t           ino;
	off_t           size;
	struct timespec mtim, ctim;
};

static struct cached cache[CACHE_MAX];
static size_t cache_next;       /* the entry a new one takes when full */
static struct cached fresh;     /* the last one read that racy() keeps
                                 * from the cache */

static int
same_file(const struct cached *c, const struct stat *sb)
{
	return c->dev == sb->st_dev && c->ino == sb->st_ino &&
	    c->size == sb->st_size &&
	    c->mtim.tv_sec == sb->st_mtim.tv_sec &&
	    c->mtim.tv_nsec == sb->st_mtim.tv_nsec &&
	    c->ctim.tv_sec == sb->st_ctim.tv_sec &&
	    c->ctim.tv_nsec == sb->st_ctim.tv_nsec;
}

static void
cached_clear(struct cached *c)
{
	free(c->path);
	free(c->text);
	parsed_free(&c->p);
	memset(c, 0, sizeof *c);
}

void
template_cache_clear(void)
{
	size_t i;

	for (i = 0; i < CACHE_MAX; i++)
		cached_clear(&cache[i]);
	cached_clear(&fresh);
	cache_next = 0;
}

/* Changed within this many seconds: the file system's times are only as
 * fine as its clock tick, so a second write of the same size in the same
 * tick would look the same; such a file is read again each time. */
#define RACY_SECONDS    2

static int
racy(const struct stat *sb)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	return now.tv_sec - sb->st_mtim.tv_sec < RACY_SECONDS ||
	    now.tv_sec - sb->st_ctim.tv_sec < RACY_SECONDS;
}

/* The entry of path, read and parsed anew unless the one kept is of
 * the file as it is: NULL and 1 when there is no such file, NULL and -1
 * with *err when it cannot be read or is refused.  The entry is valid
 * until the next call. */
static const struct cached *
cached_get(const char *path, const char *kind, int *rc, char **err)
{
	struct report r = { path, NULL, NULL, 0 };
	struct cached *c = NULL;
	struct stat sb;
	struct parsed p;
	size_t i, len;
	char *text;

	for (i = 0; i < CACHE_MAX && c == NULL; i++)
		if (cache[i].path != NULL && strcmp(cache[i].path, path) == 0)
			c = &cache[i];
	if (c != NULL && stat(path, &sb) == 0 && same_file(c, &sb))
		return c;
	if (c != NULL)
		cached_clear(c);
	if ((*rc = load(&r, path, &text, &len, &sb)) != 0) {
		if (*rc < 0)
			*err = r.first;
		return NULL;
	}
	if (parse(&r, kind, text, len, &p) > 0) {
		if (r.n > 1)
			*err = xasprintf("template refused: %s (and %d more "
			    "problems; run convened check)", r.first, r.n - 1);
		else
			*err = xasprintf("template refused: %s", r.first);
		free(r.first);
		parsed_free(&p);
		free(text);
		*rc = -1;
		return NULL;
	}
	if (racy(&sb))
		c = &fresh;
	else if (c == NULL) {
		c = &cache[cache_next];
		cache_next = (cache_next + 1) % CACHE_MAX;
	}
	cached_clear(c);
	c->path = xstrdup(path);
	c->text = text;
	c->p = p;
	c->dev = sb.st_dev;
	c->ino = sb.st_ino;
	c->size = sb.st_size;
	c->mtim = sb.st_mtim;
	c->ctim = sb.st_ctim;
	return c;
}

static int
render_file(const char *path, const char *kind, const struct tvar *vars,
    size_t nvars, char **subject, char **body, char **err)
{
	const struct cached *c;
	struct buf s = BUF_INIT(BUF_OWN), b = BUF_INIT(BUF_OWN);
	char *t;
	size_t len, n;
	int rc;

	if ((c = cached_get(path, kind, &rc, err)) == NULL)
		return rc;
	emit(&s, &c->p.subject, vars, nvars, 1);
	emit(&b, &c->p.body, vars, nvars, 0);

	/* A value may have been blank at either end of the subject. */
	t = buf_detach(&s);
	n = strlen(t);
	while (n > 0 && t[n - 1] == ' ')
		t[--n] = '\0';
	for (len = 0; t[len] == ' '; len++)
		;
	memmove(t, t + len, n - len + 1);
	*subject = t;
	*body = buf_detach(&b);
	return 0;
}

int
template_render(const struct config *cfg, const char *const *langs,
    size_t nlangs, const char *kind, const struct tvar *vars, size_t nvars,
    char **subject, char **body, char **err)
{
	const char *dirs[2];
	struct buf tried = BUF_INIT(BUF_OWN);
	size_t i, j, di;
	char *path;
	int rc;

	if (kind == NULL || !in_list(template_kinds, kind, strlen(kind))) {
		*err = xasprintf("unknown template kind '%s'",
		    kind ? kind : "(null)");
		return -1;
	}
	dirs[0] = cfg->templates_local;
	dirs[1] = cfg->templates;
	if (dirs[0] != NULL && dirs[1] != NULL && strcmp(dirs[0], dirs[1]) == 0)
		dirs[0] = NULL;
	for (i = 0; i < nlangs; i++) {
		if (!lang_ok(langs[i]))
			continue;
		for (j = 0; j < i; j++)
			if (langs[j] != NULL && strcmp(langs[j], langs[i]) == 0)
				break;
		if (j < i)
			continue;
		buf_addf(&tried, "%s%s", tried.len ? ", " : "", langs[i]);
		for (di = 0; di < 2; di++) {
			if (dirs[di] == NULL)
				continue;
			path = xasprintf("%s/%s/%s.txt", dirs[di], langs[i],
			    kind);
			rc = render_file(path, kind, vars, nvars, subject,
			    body, err);
			free(path);
			if (rc <= 0) {
				buf_release(&tried);
				return rc;
			}
		}
	}
	*err = xasprintf("no %s template for language%s %s in %s%s%s",
	    kind, strchr(buf_str(&tried), ',') ? "s" : "",
	    tried.len ? buf_str(&tried) : "(none given)",
	    dirs[0] ? dirs[0] : "", dirs[0] && dirs[1] ? " or " : "",
	    dirs[1] ? dirs[1] : "");
	buf_release(&tried);
	return -1;
}

/* --- check ------------------------------------------------------------- */

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The names in dir, sorted, without "." entries.  0, 1 when dir does not
 * exist, -1 after a diag error. */
static int
list_dir(const char *dir, struct diag *d, char ***names, size_t *n)
{
	DIR *dp;
	struct dirent *de;

	*names = NULL;
	*n = 0;
	if ((dp = opendir(dir)) == NULL) {
		if (errno == ENOENT)
			return 1;
		diag_add(d, 1, dir, 0, "cannot open directory: %s",
		    strerror(errno));
		return -1;
	}
	while ((de = readdir(dp)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		*names = xreallocarray(*names, *n + 1, sizeof **names);
		(*names)[(*n)++] = xstrdup(de->d_name);
	}
	closedir(dp);
	if (*n > 1)
		qsort(*names, *n, sizeof **names, cmp_str);
	return 0;
}

static void
check_file(const char *path, const char *kind, struct diag *d)
{
	struct report r = { path, d, NULL, 0 };
	struct parsed p;
	char *text;
	size_t len;

	if (load(&r, path, &text, &len, NULL) != 0)
		return;
	parse(&r, kind, text, len, &p);
	parsed_free(&p);
	free(text);
}

static void
check_lang(const char *dir, const char *lang, const char *daemon_lang,
    int *found, struct diag *d)
{
	char **names, *path, *kind;
	size_t n, i, k, len;
	struct stat st;

	if (list_dir(dir, d, &names, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		len = strlen(names[i]);
		if (len < 5 || strcmp(names[i] + len - 4, ".txt") != 0)
			continue;       /* README, editor backups */
		path = xasprintf("%s/%s", dir, names[i]);
		kind = xstrndup(names[i], len - 4);
		for (k = 0; template_kinds[k] != NULL; k++)
			if (strcmp(template_kinds[k], kind) == 0)
				break;
		if (template_kinds[k] == NULL) {
			diag_add(d, 0, path, 0, "'%s' is not a template kind "
			    "convened sends; ignored", kind);
		} else if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
			diag_add(d, 1, path, 0, "not a regular file");
		} else {
			check_file(path, kind, d);
			if (strcmp(lang, daemon_lang) == 0)
				found[k] = 1;
		}
		free(kind);
		free(path);
	}
	strv_free(names, n);
}

static void
check_dir(const char *dir, const char *daemon_lang, int *found,
    struct diag *d)
{
	char **names, *path;
	size_t n, i;
	struct stat st;

	if (list_dir(dir, d, &names, &n) != 0)
		return;
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", dir, names[i]);
		if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
			free(path);
			continue;
		}
		if (!in_list(shipped_langs, names[i], strlen(names[i])))
			diag_add(d, 0, path, 0, "'%s' is not a language "
			    "convened uses (es, en, pt, fr); ignored",
			    names[i]);
		else
			check_lang(path, names[i], daemon_lang, found, d);
		free(path);
	}
	strv_free(names, n);
}

int
template_check(const struct config *cfg, struct diag *d)
{
	const char *lang = cfg->language ? cfg->language : "es";
	const char *local = cfg->templates_local;
	size_t before = d->nerrors, k;
	int found[sizeof template_kinds / sizeof template_kinds[0]] = { 0 };
	char *path;

	if (local != NULL && cfg->templates != NULL &&
	    strcmp(local, cfg->templates) == 0)
		local = NULL;
	if (local != NULL)
		check_dir(local, lang, found, d);
	if (cfg->templates != NULL)
		check_dir(cfg->templates, lang, found, d);
	for (k = 0; template_kinds[k] != NULL; k++) {
		if (found[k])
			continue;
		path = xasprintf("%s/%s/%s.txt", cfg->templates ?
		    cfg->templates : local ? local : ".", lang,
		    template_kinds[k]);
		diag_add(d, 1, path, 0, "missing template: no %s message "
		    "for the daemon's language %s%s%s", template_kinds[k],
		    lang, local ? " here or in " : "", local ? local : "");
		free(path);
	}
	return (int)(d->nerrors - before);
}

/* --- localized words --------------------------------------------------- */

enum template_lang
template_lang(const char *lang)
{
	if (lang != NULL) {
		if (strcmp(lang, "es") == 0)
			return TEMPLATE_ES;
		if (strcmp(lang, "pt") == 0)
			return TEMPLATE_PT;
		if (strcmp(lang, "fr") == 0)
			return TEMPLATE_FR;
	}
	return TEMPLATE_EN;
}

static const char *const weekdays[4][7] = {
	{ "domingo", "lunes", "martes", "miércoles", "jueves", "viernes",
	  "sábado" },
	{ "Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday",
	  "Saturday" },
	{ "domingo", "segunda-feira", "terça-feira", "quarta-feira",
	  "quinta-feira", "sexta-feira", "sábado" },
	{ "dimanche", "lundi", "mardi", "mercredi", "jeudi", "vendredi",
	  "samedi" },
};

static const char *const months[4][12] = {
	{ "enero", "febrero", "marzo", "abril", "mayo", "junio", "julio",
	  "agosto", "septiembre", "octubre", "noviembre", "diciembre" },
	{ "January", "February", "March", "April", "May", "June", "July",
	  "August", "September", "October", "November", "December" },
	{ "janeiro", "fevereiro", "março", "abril", "maio", "junho", "julho",
	  "agosto", "setembro", "outubro", "novembro", "dezembro" },
	{ "janvier", "février", "mars", "avril", "mai", "juin", "juillet",
	  "août", "septembre", "octobre", "novembre", "décembre" },
};

static const char *const months_short_en[12] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

/* The zone as shown: "UTC" when there is none libical knows. */
static const char *
shown_zone(const char *tzid)
{
	if (tzid == NULL || strcmp(tzid, "UTC") == 0 || !ical_tz_known(tzid))
		return NULL;
	return tzid;
}

char *
template_when(const char *lang, long long utc, const char *tzid)
{
	struct ical_tm tm;
	struct buf b = BUF_INIT(BUF_OWN);
	const char *zone = shown_zone(tzid);
	int l = template_lang(lang), off, wd, mo;

	ical_localtime(utc, zone, &tm);
	wd = tm.wday >= 0 && tm.wday < 7 ? tm.wday : 0;
	mo = tm.month >= 1 && tm.month <= 12 ? tm.month - 1 : 0;
	switch (l) {
	case TEMPLATE_ES:
		buf_addf(&b, "%s %d de %s de %d", weekdays[l][wd], tm.day,
		    months[l][mo], tm.year);
		break;
	case TEMPLATE_PT:
		buf_addf(&b, "%s, %d de %s de %d", weekdays[l][wd], tm.day,
		    months[l][mo], tm.year);
		break;
	case TEMPLATE_FR:
		buf_addf(&b, "%s %d%s %s %d", weekdays[l][wd], tm.day,
		    tm.day == 1 ? "er" : "", months[l][mo], tm.year);
		break;
	default:
		buf_addf(&b, "%s %d %s %d", weekdays[l][wd], tm.day,
		    months[l][mo], tm.year);
		break;
	}
	buf_addf(&b, ", %02d:%02d", tm.hour, tm.minute);
	if (zone == NULL) {
		buf_adds(&b, " (UTC)");
	} else {
		off = tm.utcoff < 0 ? -tm.utcoff : tm.utcoff;
		/* U+2212 MINUS SIGN, as typography wants for an offset. */
		buf_addf(&b, " (%s, UTC%s%02d:%02d)", zone,
		    tm.utcoff < 0 ? "\xe2\x88\x92" : "+", off / 60, off % 60);
	}
	return buf_detach(&b);
}

char *
template_date(const char *lang, long long utc, const char *tzid)
{
	struct ical_tm tm;

	ical_localtime(utc, shown_zone(tzid), &tm);
	if (template_lang(lang) == TEMPLATE_EN)
		return xasprintf("%d %s %d", tm.day, months_short_en[
		    tm.month >= 1 && tm.month <= 12 ? tm.month - 1 : 0],
		    tm.year);
	return xasprintf("%02d/%02d/%d", tm.day, tm.month, tm.year);
}

static const struct {
	const char *code;
	const char *word[4];    /* es, en, pt, fr */
} kind_words[] = {
	{ "meeting", { "reunión", "meeting", "reunião", "réunion" } },
	{ "seminar", { "seminario", "seminar", "seminário", "séminaire" } },
	{ "workshop", { "taller", "workshop", "oficina", "atelier" } },
	{ "virtual-visit", { "visita virtual", "virtual visit",
	    "visita virtual", "visite virtuelle" } },
	{ "intersectoral", { "reunión intersectorial",
	    "intersectoral meeting", "reunião intersetorial",
	    "réunion intersectorielle" } },
};

const char *
template_kind_word(const char *lang, const char *kind_code)
{
	size_t i;

	if (kind_code == NULL)
		return "";
	for (i = 0; i < sizeof kind_words / sizeof kind_words[0]; i++)
		if (strcmp(kind_words[i].code, kind_code) == 0)
			return kind_words[i].word[template_lang(lang)];
	return kind_code;
}

const char *
template_openness_word(const char *lang, int open)
{
	static const char *const words[4][2] = {
		{ "de carácter cerrado", "de carácter abierto" },
		{ "closed", "open" },
		{ "de caráter fechado", "de caráter aberto" },
		{ "à huis clos", "à participation ouverte" },
	};

	return words[template_lang(lang)][open ? 1 : 0];
}

const char *
template_answer_word(const char *lang, const char *partstat)
{
	static const struct {
		const char *partstat;
		const char *word[4];    /* es, en, pt, fr */
	} words[] = {
		{ "ACCEPTED", { "aceptada", "accepted", "aceita", "acceptée" } },
		{ "DECLINED", { "rechazada", "declined", "recusada", "refusée" } },
		{ "TENTATIVE", { "provisional", "tentative", "provisória",
		    "provisoire" } },
	};
	size_t i;

	for (i = 0; partstat != NULL && i < sizeof words / sizeof words[0];
	    i++)
		if (strcmp(words[i].partstat, partstat) == 0)
			return words[i].word[template_lang(lang)];
	return NULL;
}
