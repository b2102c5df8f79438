/* bounce.c: delivery failures, standard (RFC 3464) and not.
 *
 * Readers, tried in turn on one message:
 *
 *   1. a report's message/delivery-status part, field by field (RFC 3464);
 *      when there is none, the same fields quoted in the text of a notice
 *      from the mail system (Amazon WorkMail writes them there);
 *   2. the plain-text notice of a mail system that sends no DSN, read by
 *      its shape and by the phrases in the tables below, not by family:
 *      - the message comes from the mail system (a null or daemon
 *        Return-Path, a daemon From or display name, X-Failed-Recipients,
 *        or a notice's Subject) and its Subject or text says delivery
 *        failed;
 *      - the notice is the text before the returned message, which starts
 *        at a marker line ("--- Below this line is a copy of the message",
 *        "Original message follows", "------- Returned Message") or at
 *        its first Received: or Return-Path: field;
 *      - a recipient line names the address first, after bullets (">>>",
 *        "*"), quotes or an angle bracket (Sendmail, qmail, Exim,
 *        Exchange, Domino, GMX, Zoho ...), or right after a label that
 *        ends in ':' ("Unknown user:", "RCPT TO:", "Could not be
 *        delivered to:") and is not a header field of the returned
 *        message ("To:", "From:");
 *      - a recipient's status is the first X.Y.Z in its detail (the lines
 *        up to the next recipient or blank line), else in the notice, else
 *        the class of an SMTP reply code;
 *   3. a bounce that a relay returned inside its own notice, as a
 *      message/rfc822 attachment: read once more, one level deep;
 *   4. a notice that names no address at all (Verizon, Sendmail 5): the
 *      returned message's To:, when it names exactly one address.  That
 *      is no guess for convened, which sends each message to one person.
 *
 * Work is bounded whatever the input: at most NOTICE_MAX bytes of text are
 * read as a notice, MAX_RCPT recipients kept, every search linear. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "bounce.h"
#include "mime.h"
#include "util.h"

#define MAX_RCPT   500
#define NOTICE_MAX (256u * 1024)
#define LABEL_MAX  100          /* bytes of a label before an address */
#define FIELD_MAX  4096         /* bytes of one returned header field */

/* ---- the phrases: lower case, matched anywhere unless said otherwise ---- */

/* Local parts of the mail system's own senders. */
static const char *const daemon_locals[] = {
	"mailer-daemon", "mailer_daemon", "mailerdaemon", "mail-daemon",
	"postmaster", "post_master", "mdaemon", "mail.delivery.system", NULL
};

/* Display names of those senders ("Mail Delivery Subsystem"). */
static const char *const daemon_names[] = {
	"mail deliver", "mailer-daemon", "mailer daemon", "postmaster",
	"mail system", "delivery subsystem", NULL
};

/* Subjects of delivery notices, in English and Japanese (KDDI, au). */
static const char *const subject_cues[] = {
	"undeliver", "returned mail", "delivery status notification",
	"delivery failure", "delivery failed", "delivery has failed",
	"failure notice", "non-delivery", "nondelivery", "mail system error",
	"error sending", "delivery problem", "delivery notification",
	"returned to sender", "could not be delivered", "not delivered",
	"no se puede entregar", "no se pudo entregar", "no entregado",
	"no entregable", "devuelto", "no fue posible entregar",
	"entregar a mensagem", "\xc3\xa3o entregue", "non remis", "non distribu",
	"unzustellbar", "\xe3\x83\xa1\xe3\x83\xbc\xe3\x83\xab\xe3\x82\xa8\xe3\x83\xa9\xe3\x83\xbc",
	NULL
};

/* A notice (Subject or text) that says delivery failed. */
static const char *const failure_cues[] = {
	"not be delivered", "n't be delivered", "not delivered",
	"wasn't able to deliver", "was not able to deliver", "unable to deliver",
	"could not deliver", "failed to deliver", "delivery failed",
	"delivery has failed", "delivery to the following", "failed permanently",
	"permanent error", "permanent failure", "permanent fatal",
	"fatal error", "undeliverable", "undelivered", "returned mail",
	"returned to sender", "address(es) failed", "address failed",
	"addresses failed", "user unknown", "unknown user", "no such user",
	"invalid user", "did not reach", "delivery problem", "delivery error",
	"error sending", "trouble delivering", "rejected", "failure reason",
	"error has occurred", "error occurred", "mailbox is full",
	"mailbox full", "could not be sent", "cannot send message",
	"(failure)", "action: failed", "aborted", "malformed address",
	"mail failure",
	/* the same, as Spanish, Portuguese, French and German systems write
	 * it (accents left out, so that any case of them matches) */
	"no se puede entregar", "no se pudo entregar", "no entregado",
	"no entregable", "no fue posible entregar", "no existe",
	"entregar a mensagem", "\xc3\xa3o entregue", "non remis", "non distribu",
	"impossible de remettre", "unzustellbar", "nicht zugestellt",
	NULL
};

/* Wording of a notice that gave up even on a temporary (4.x.x) error. */
static const char *const final_cues[] = {
	"not going to try again", "given up", "gave up", "permanent",
	"too long", "giving up", "will not be retried", "no further",
	NULL
};

/* Wording of a notice that only says delivery is late. */
static const char *const delay_cues[] = {
	"not yet been delivered", "will keep trying", "will continue",
	"still trying", "will be retried", "will retry", "no action is required",
	"is delayed", "been delayed", "delivery delayed", "message delayed",
	"still undelivered", "temporary failure report",
	"do not need to re-send", NULL
};

/* A line (after its dashes, '=' and blanks) that introduces the returned
 * message: these open it, and a "---" line holding one of end_words. */
static const char *const end_markers[] = {
	"original message", "returned message", "unsent message",
	"undelivered message", "returned mail follows", "below is a copy",
	"below this line is a copy", "this is a copy", "a copy of the original",
	"the header of the original", "headers of the original",
	"original mail", "message headers", "included message", NULL
};
static const char *const end_words[] = {
	"original", "copy", "returned", "unsent", "undelivered", "header",
	NULL
};

/* A label before an address names someone else when it holds one of
 * these words; a one-word label must be one of label_allow, since any
 * other ("To:", "Delivered-To:") is a header field of the returned
 * message. */
static const char *const label_deny[] = {
	"from", "sender", "reply", "by", "contact", "cc", NULL
};
static const char *const label_allow[] = {
	"recipient", "recipients", "rcpt", "addressee", "address", "user",
	"smtp", NULL
};

/* ---- small helpers ---- */

struct rlist {
	struct bounce *v;
	size_t n;
};

/* What the readers found in one message. */
struct found {
	struct rlist failed, delayed;
	int    entries;      /* DSN recipient groups seen, of any action */
	char  *orig_id;      /* from a nested bounce; else found at the end */
};

static int
found_any(const struct found *f)
{
	return f->failed.n > 0 || f->delayed.n > 0;
}

static int
rlist_has(const struct rlist *l, const char *email)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].email, email) == 0)
			return 1;
	return 0;
}

static void
rlist_add(struct rlist *l, const char *email, const char *status,
    int permanent)
{
	if (rlist_has(l, email) || l->n == MAX_RCPT)
		return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n].email = xstrdup(email);
	l->v[l->n].status = xstrdup(status);
	l->v[l->n].permanent = permanent;
	l->v[l->n].delay = 0;
	l->n++;
}

/* Move the delayed recipients to the end of l, marked delay; the ones
 * already in l (never today) or past MAX_RCPT are freed.  d is left
 * empty. */
static void
rlist_append_delays(struct rlist *l, struct rlist *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		if (rlist_has(l, d->v[i].email) || l->n == MAX_RCPT) {
			free(d->v[i].email);
			free(d->v[i].status);
			continue;
		}
		l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
		l->v[l->n] = d->v[i];
		l->v[l->n].delay = 1;
		l->n++;
	}
	free(d->v);
	d->v = NULL;
	d->n = 0;
}

void
bounce_free(struct bounce *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(b[i].email);
		free(b[i].status);
	}
	free(b);
}

static char *
lower_dup(const char *s, size_t len)
{
	char *r = xstrndup(s, len);

	str_lower(r);
	return r;
}

/* 1 when low[0..len) holds one of the phrases. */
static int
has_cue(const char *low, size_t len, const char *const *cues)
{
	for (; *cues; cues++)
		if (memmem(low, len, *cues, strlen(*cues)) != NULL)
			return 1;
	return 0;
}

/* has_cue() on a short string of any case (a Subject, a name). */
static int
short_has_cue(const char *s, const char *const *cues)
{
	char *low;
	int r;

	if (s == NULL)
		return 0;
	low = lower_dup(s, strnlen(s, 1000));
	r = has_cue(low, strlen(low), cues);
	free(low);
	return r;
}

static int
is_addr_char(int c)
{
	return c > 0x20 && c != 0x7f && c != '<' && c != '>' && c != '(' &&
	    c != ')' && c != ',' && c != ';' && c != ':' && c != '"' &&
	    c != '[' && c != ']';
}

/* The address that starts at p (after one '<', '"' or '\''), ending
 * before end: a lower-case copy if addr_valid(), else NULL.  *after is
 * set past the characters read. */
static char *
addr_token(const char *p, const char *end, const char **after)
{
	const char *q;
	char *a;

	if (p < end && (*p == '<' || *p == '"' || *p == '\''))
		p++;
	for (q = p; q < end && q - p <= 254 && is_addr_char((unsigned char)*q);
	    q++)
		;
	*after = q;
	/* A sentence's full stop, a closing quote. */
	while (q > p && (q[-1] == '.' || q[-1] == '\''))
		q--;
	if (q - p < 3 || q - p > 254)
		return NULL;
	a = lower_dup(p, (size_t)(q - p));
	if (!addr_valid(a)) {
		free(a);
		return NULL;
	}
	return a;
}

/* A whole string that is one address, maybe in <>: lower-case copy or
 * NULL. */
static char *
addr_of(const char *s)
{
	const char *after, *end = s + strlen(s);
	char *a = addr_token(s, end, &after);

	if (a != NULL && after < end && !(*after == '>' && after + 1 == end)) {
		free(a);
		return NULL;
	}
	return a;
}

/* The first enhanced status code X.Y.Z (X in 2, 4, 5) in s[0..len) that
 * is not part of an address or a dotted number.  1 and out set, or 0. */
static int
find_enhanced(const char *s, size_t len, char *out, size_t outsz)
{
	size_t i, j, dots, digits;

	for (i = 0; i < len; i++) {
		if (s[i] != '2' && s[i] != '4' && s[i] != '5')
			continue;
		if (i > 0 && (isalnum((unsigned char)s[i - 1]) || s[i - 1] == '.'))
			continue;
		for (j = i + 1, dots = 0, digits = 0; j < len; j++) {
			if (s[j] == '.') {
				if (digits == 0 && j != i + 1)
					break;
				if (dots == 2)
					break;  /* judged below */
				dots++;
				digits = 0;
			} else if (isdigit((unsigned char)s[j])) {
				if (++digits > 3)
					break;
			} else
				break;
		}
		if (dots != 2 || digits == 0 || s[j - 1] == '.')
			continue;
		/* A sentence's full stop may follow; a fourth number may
		 * not (an address, a version). */
		if (j < len && (isalnum((unsigned char)s[j]) || s[j] == '@' ||
		    (s[j] == '.' && j + 1 < len &&
		    isalnum((unsigned char)s[j + 1]))))
			continue;
		if (j - i + 1 > outsz)
			continue;
		memcpy(out, s + i, j - i);
		out[j - i] = '\0';
		return 1;
	}
	return 0;
}

/* The class of the first SMTP reply code (4xx or 5xx) in s: '4', '5' or 0. */
static int
find_smtp_class(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i + 3 <= len; i++) {
		if ((s[i] != '4' && s[i] != '5') ||
		    !isdigit((unsigned char)s[i + 1]) ||
		    !isdigit((unsigned char)s[i + 2]))
			continue;
		if (i > 0 && (isalnum((unsigned char)s[i - 1]) ||
		    s[i - 1] == '.' || s[i - 1] == ':' || s[i - 1] == '#'))
			continue;
		if (i + 3 < len && s[i + 3] != ' ' && s[i + 3] != '-')
			continue;
		return s[i];
	}
	return 0;
}

/* The line at *p (before end): its start, length without the newline;
 * *p moves past it. */
static const char *
next_line(const char **p, const char *end, size_t *len)
{
	const char *s = *p, *nl = memchr(s, '\n', (size_t)(end - s));

	*len = nl ? (size_t)(nl - s) : (size_t)(end - s);
	*p = nl ? nl + 1 : end;
	while (*len > 0 && s[*len - 1] == '\r')
		(*len)--;
	return s;
}

static int
blank(const char *s, size_t len)
{
	while (len > 0 && isspace((unsigned char)*s)) {
		s++;
		len--;
	}
	return len == 0;
}

/* ---- 1. RFC 3464 ---- */

struct dsn_rcpt {
	char *final;    /* Final-Recipient, if an address */
	char *orig;     /* Original-Recipient, if an address */
	char *action;
	char *status;
};

/* A group with an Action (or, when a broken report left it out, a
 * Status) counts; "failed" and "delayed" are kept, and SendGrid's
 * "expired" is a failure: the message was dropped unsent. */
static void
dsn_flush(struct dsn_rcpt *r, struct found *f)
{
	const char *rcpt = r->final ? r->final : r->orig;
	char code[16];
	int have = r->status != NULL &&
	    find_enhanced(r->status, strlen(r->status), code, sizeof code);

	if (rcpt != NULL && (r->action != NULL || have)) {
		f->entries++;
		if (r->action != NULL ? strncasecmp(r->action, "fail", 4) == 0 ||
		    strncasecmp(r->action, "expire", 6) == 0 : code[0] == '5')
			/* "failed" is final whatever the class says. */
			rlist_add(&f->failed, rcpt, have ? code : "5.0.0", 1);
		else if (r->action != NULL ?
		    strncasecmp(r->action, "delay", 5) == 0 : code[0] == '4')
			rlist_add(&f->delayed, rcpt, have ? code : "4.0.0", 0);
	}
	free(r->final);
	free(r->orig);
	free(r->action);
	free(r->status);
	memset(r, 0, sizeof *r);
}

/* "rfc822; addr" (or "utf-8; addr") -> addr, lower-case, or NULL. */
static char *
dsn_addr(const char *v)
{
	const char *semi = strchr(v, ';');
	char *t = xstrdup(semi ? semi + 1 : v), *r;

	r = addr_of(str_trim(t));
	free(t);
	return r;
}

static void
dsn_field(struct dsn_rcpt *r, const char *name, char *val)
{
	char **slot = NULL;

	if (strcasecmp(name, "Final-Recipient") == 0)
		slot = &r->final;
	else if (strcasecmp(name, "Original-Recipient") == 0)
		slot = &r->orig;
	if (slot != NULL) {
		if (*slot == NULL)
			*slot = dsn_addr(val);
	} else if (strcasecmp(name, "Action") == 0 && r->action == NULL) {
		val[strcspn(val, " \t(")] = '\0';
		r->action = xstrdup(val);
	} else if (strcasecmp(name, "Status") == 0 && r->status == NULL)
		r->status = xstrdup(val);
}

static void
dsn_parse(const char *ds, size_t dslen, struct found *f)
{
	const char *p = ds, *end = ds + dslen;
	struct dsn_rcpt r;

	memset(&r, 0, sizeof r);
	while (p < end) {
		size_t len;
		const char *s = next_line(&p, end, &len);
		const char *colon = memchr(s, ':', len);
		char *name, *val;

		if (blank(s, len)) {
			dsn_flush(&r, f);
			continue;
		}
		/* Only short lines can be a field we read. */
		if (colon == NULL || colon - s > 40 || len > 2000)
			continue;
		name = xstrndup(s, (size_t)(colon - s));
		val = xstrndup(colon + 1, len - (size_t)(colon - s) - 1);
		dsn_field(&r, str_trim(name), str_trim(val));
		free(name);
		free(val);
	}
	dsn_flush(&r, f);
}

/* ---- 2. plain-text notices ---- */

static int
is_daemon_addr(const char *a)
{
	const char *const *d;
	size_t k;

	if (a == NULL)
		return 0;
	k = strcspn(a, "@");
	for (d = daemon_locals; *d; d++)
		if (strlen(*d) == k && strncasecmp(a, *d, k) == 0)
			return 1;
	return 0;
}

/* Its sender or its Subject says the mail system wrote m. */
static int
signed_by_mail_system(const struct mime_msg *m)
{
	return is_daemon_addr(m->from) || is_daemon_addr(m->sender) ||
	    (m->return_path != NULL && is_daemon_addr(m->return_path)) ||
	    mime_header(m, "X-Failed-Recipients") != NULL ||
	    short_has_cue(m->from_name, daemon_names) ||
	    short_has_cue(m->subject, subject_cues);
}

/* ... or its null Return-Path, which automatic replies may have too. */
static int
from_mail_system(const struct mime_msg *m)
{
	return (m->return_path != NULL && *m->return_path == '\0') ||
	    signed_by_mail_system(m);
}

/* Is the line at p the first of the returned message? */
static int
end_marker(const char *p, size_t len)
{
	const char *q = p, *end = p + len;
	const char *const *e;
	size_t dashes;
	char *low;
	int r = 0;

	if ((len >= 9 && strncasecmp(p, "Received:", 9) == 0) ||
	    (len >= 12 && strncasecmp(p, "Return-Path:", 12) == 0))
		return 1;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	for (dashes = 0; q < end && strchr("-=_* \t", *q) != NULL; q++)
		if (*q == '-' || *q == '=')
			dashes++;
	if (q == end)
		return 0;
	low = lower_dup(q, (size_t)(end - q) < 200 ? (size_t)(end - q) : 200);
	if (dashes >= 3 && has_cue(low, strlen(low), end_words))
		r = 1;
	for (e = end_markers; !r && *e; e++)
		r = strncmp(low, *e, strlen(*e)) == 0;
	free(low);
	return r;
}

/* Bytes of t[0..len) before the returned message. */
static size_t
notice_len(const char *t, size_t len)
{
	const char *p = t, *end = t + len;

	while (p < end) {
		size_t l;
		const char *s = next_line(&p, end, &l);

		if (end_marker(s, l))
			return (size_t)(s - t);
	}
	return len;
}

struct notice {
	const char *text;      /* the notice: text before the returned message */
	size_t      len;
	char       *low;       /* lower-case copy of it */
	char        code[16];  /* its first X.Y.Z, "" when none */
	int         cls;       /* class of its first SMTP reply code, or 0 */
	int         final;     /* it, or the Subject, says it gave up */
	int         delay;     /* ... that delivery goes on */
};

/* *n from m's text (NULL: none), whatever it says; release with
 * notice_release. */
static void
notice_read(const struct mime_msg *m, struct notice *n)
{
	const char *t = m->text ? m->text : "";

	memset(n, 0, sizeof *n);
	n->text = t;
	n->len = notice_len(t, strnlen(t, NOTICE_MAX));
	n->low = lower_dup(t, n->len);
	n->final = has_cue(n->low, n->len, final_cues) ||
	    short_has_cue(m->subject, final_cues);
	n->delay = has_cue(n->low, n->len, delay_cues) ||
	    short_has_cue(m->subject, delay_cues);
	if (!find_enhanced(n->text, n->len, n->code, sizeof n->code))
		n->code[0] = '\0';
	n->cls = find_smtp_class(n->text, n->len);
}

/* Does m carry a notice of failure?  0 and *n filled (release with
 * notice_release), or -1. */
static int
notice_open(const struct mime_msg *m, struct notice *n)
{
	memset(n, 0, sizeof *n);
	if (m->text == NULL || !from_mail_system(m))
		return -1;
	notice_read(m, n);
	/* X-Failed-Recipients says it on its own (Google Groups writes the
	 * text in the reader's language). */
	if (mime_header(m, "X-Failed-Recipients") == NULL && !n->delay &&
	    !has_cue(n->low, n->len, failure_cues) &&
	    !short_has_cue(m->subject, failure_cues)) {
		free(n->low);
		return -1;
	}
	return 0;
}

static void
notice_release(struct notice *n)
{
	free(n->low);
}

/* A label (the text before ':') that can introduce a failed recipient. */
static int
label_names_recipient(const char *s, size_t len)
{
	static const char sep[] = " \t<>*";
	char *low = lower_dup(s, len), *w = low, *e, c;
	const char *const *d;
	int words = 0, ok = 1, allowed = 0;

	while (ok && *(w += strspn(w, sep)) != '\0') {
		e = w + strcspn(w, sep);
		c = *e;
		*e = '\0';
		words++;
		for (d = label_deny; *d && ok; d++)
			ok = strcmp(w, *d) != 0;
		for (d = label_allow; *d; d++)
			allowed |= strcmp(w, *d) == 0;
		*e = c;
		w = e;
	}
	free(low);
	return ok && words > 0 && (words > 1 || allowed);
}

/* Exim quotes a recipient it could not parse as written: in
 * "x@example.com <y@example.net>:" the first address is a display name
 * and the one in <> the address.  a (freed here when replaced) read up
 * to after. */
static char *
bracketed_instead(char *a, const char *after, const char *end)
{
	const char *p = after, *after2;
	char *b;

	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	if (p == after || p == end || *p != '<' ||
	    (b = addr_token(p, end, &after2)) == NULL)
		return a;
	if (after2 == end || *after2 != '>' || (after2 + 1 < end &&
	    strchr(": \t", after2[1]) == NULL)) {
		free(b);
		return a;
	}
	free(a);
	return b;
}

/* The failed recipient a notice line names, or NULL (see the top). */
static char *
line_recipient(const char *p, size_t len)
{
	const char *end = p + len, *q = p, *colon, *after;
	char *a;

	while (q < end && (*q == ' ' || *q == '\t' || *q == '*' ||
	    *q == '-' || *q == '>'))
		q++;
	/* A transcript's "550 <addr>... User unknown" (Sendmail 5). */
	if (end - q > 5 && (*q == '4' || *q == '5') &&
	    isdigit((unsigned char)q[1]) && isdigit((unsigned char)q[2]) &&
	    q[3] == ' ' && q[4] == '<')
		q += 4;
	if ((a = addr_token(q, end, &after)) != NULL)
		return bracketed_instead(a, after, end);
	colon = memchr(q, ':', (size_t)(end - q) < LABEL_MAX ?
	    (size_t)(end - q) : LABEL_MAX);
	if (colon == NULL || colon == q || memchr(q, '@', (size_t)(colon - q)) ||
	    !label_names_recipient(q, (size_t)(colon - q)))
		return NULL;
	for (q = colon + 1; q < end && (*q == ' ' || *q == '\t'); q++)
		;
	return addr_token(q, end, &after);
}

/* One recipient line and its detail: the lines after it up to the next
 * recipient or blank line. */
struct rline {
	char       *addr;
	const char *detail;
	size_t      dlen;
	char        code[16];  /* first X.Y.Z of line and detail, or "" */
};

static size_t
scan_recipients(const char *t, size_t len, struct rline **out)
{
	const char *p = t, *end = t + len;
	struct rline *v = NULL;
	size_t n = 0;

	while (p < end && n < MAX_RCPT) {
		size_t l;
		const char *s = next_line(&p, end, &l), *d = s;
		char *a = line_recipient(s, l), *a2;

		if (a == NULL)
			continue;
		while (p < end) {
			const char *q = p, *s2 = next_line(&q, end, &l);

			if (blank(s2, l))
				break;
			if ((a2 = line_recipient(s2, l)) != NULL) {
				free(a2);
				break;
			}
			p = q;
		}
		v = xreallocarray(v, n + 1, sizeof *v);
		v[n].addr = a;
		v[n].detail = d;
		v[n].dlen = (size_t)(p - d);
		if (!find_enhanced(d, v[n].dlen, v[n].code, sizeof v[n].code))
			v[n].code[0] = '\0';
		n++;
	}
	*out = v;
	return n;
}

/* Status and permanence of one recipient from its line r (or none). */
static void
judge(const struct notice *n, const struct rline *r, char *code,
    size_t codesz, int *permanent)
{
	int cls = 0, final = n->final;

	if (r != NULL && r->code[0] != '\0')
		snprintf(code, codesz, "%s", r->code);
	else if (n->code[0] != '\0')
		snprintf(code, codesz, "%s", n->code);
	else {
		if (r != NULL)
			cls = find_smtp_class(r->detail, r->dlen);
		if (cls == 0)
			cls = n->cls ? n->cls : n->delay ? '4' : '5';
		snprintf(code, codesz, "%c.0.0", cls);
	}
	if (r != NULL && !final)
		final = has_cue(n->low + (r->detail - n->text), r->dlen,
		    final_cues);
	*permanent = code[0] == '5' || final || !n->delay;
}

/* The line of address a, preferring one whose detail gives a status. */
static const struct rline *
rline_of(const struct rline *rl, size_t nr, const char *a)
{
	const struct rline *first = NULL;
	size_t i;

	for (i = 0; i < nr; i++)
		if (strcmp(rl[i].addr, a) == 0) {
			if (rl[i].code[0] != '\0')
				return &rl[i];
			if (first == NULL)
				first = &rl[i];
		}
	return first;
}

static void
add_judged(const struct notice *n, const struct rline *r, const char *a,
    struct found *f)
{
	char code[16];
	int perm;

	judge(n, r, code, sizeof code, &perm);
	if (!rlist_has(&f->failed, a) && !rlist_has(&f->delayed, a))
		rlist_add(perm ? &f->failed : &f->delayed, a, code, perm);
}

/* Addresses that are the mail system's or the returned message's sender,
 * never a failed recipient. */
static int
is_sender(const struct mime_msg *m, const char *self, const char *a)
{
	return (m->from && strcmp(m->from, a) == 0) ||
	    (m->sender && strcmp(m->sender, a) == 0) ||
	    (m->return_path && strcmp(m->return_path, a) == 0) ||
	    (self && strcmp(self, a) == 0);
}

/* ---- the returned message's header block ---- */

static int
is_field_line(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len && s[i] > ' ' && s[i] < 0x7f && s[i] != ':'; i++)
		;
	return i > 0 && i < len && s[i] == ':';
}

/* Its header block: the message/rfc822 or rfc822-headers part, else the
 * text after the notice from its first header-like line (past a marker
 * line and blank lines), to the first empty line. */
static const char *
returned_block(const struct mime_msg *m, size_t nlen, size_t *len)
{
	const char *p, *end, *start = NULL;
	size_t l, skipped = 0;

	if (m->original_headers != NULL) {
		*len = strnlen(m->original_headers, NOTICE_MAX);
		return m->original_headers;
	}
	if (m->text == NULL)
		return NULL;
	p = m->text + nlen;
	end = p + strnlen(p, NOTICE_MAX);
	while (p < end) {
		const char *s = next_line(&p, end, &l);

		if (start == NULL && is_field_line(s, l))
			start = s;
		else if (start == NULL && ++skipped > 3)
			return NULL;
		if (start != NULL && blank(s, l)) {
			*len = (size_t)(s - start);
			return start;
		}
	}
	*len = start ? (size_t)(end - start) : 0;
	return start;
}

/* The unfolded value of field name in a header block; caller frees. */
static char *
block_field(const char *h, size_t len, const char *name)
{
	const char *p = h, *end = h + len;
	size_t k = strlen(name), l;
	struct buf b = BUF_INIT(BUF_OWN);

	while (p < end) {
		const char *s = next_line(&p, end, &l);

		if (l <= k || strncasecmp(s, name, k) != 0 || s[k] != ':')
			continue;
		buf_add(&b, s + k + 1, l - k - 1 < FIELD_MAX ? l - k - 1 :
		    FIELD_MAX);
		while (p < end && (*p == ' ' || *p == '\t') && b.len < FIELD_MAX) {
			s = next_line(&p, end, &l);
			buf_addc(&b, ' ');
			buf_add(&b, s, l < FIELD_MAX ? l : FIELD_MAX);
		}
		return buf_detach(&b);
	}
	return NULL;
}

/* The one address a field value names, or NULL (none or several). */
static char *
sole_address(const char *v)
{
	const char *p = v, *end = v + strlen(v), *at, *s, *after;
	char *one = NULL, *a;

	while ((at = memchr(p, '@', (size_t)(end - p))) != NULL) {
		/* A local part has at most 64 octets. */
		for (s = at; s > p && at - s < 64 &&
		    is_addr_char((unsigned char)s[-1]); s--)
			;
		a = addr_token(s, end, &after);
		p = after > at ? after : at + 1;
		if (a == NULL)
			continue;
		if (one != NULL && strcmp(one, a) != 0) {
			free(a);
			free(one);
			return NULL;
		}
		free(one);
		one = a;
	}
	return one;
}

/* The one address of field name of the returned message, or NULL. */
static char *
returned_address(const struct mime_msg *m, size_t nlen, const char *name)
{
	size_t len;
	const char *h = returned_block(m, nlen, &len);
	char *v, *a;

	if (h == NULL || (v = block_field(h, len, name)) == NULL)
		return NULL;
	a = sole_address(v);
	free(v);
	return a;
}

/* ---- 2. and 4.: the notice's recipients ---- */

static void
notice_recipients(const struct mime_msg *m, const struct notice *n,
    struct found *f)
{
	const char *xfr = mime_header(m, "X-Failed-Recipients");
	char *self = returned_address(m, n->len, "From");
	struct rline *rl = NULL;
	size_t nr = scan_recipients(n->text, n->len, &rl), i;

	if (xfr != NULL) {
		/* The header names the recipients; the text says why. */
		char **v = NULL;
		size_t nv = 0;

		str_split_list(xfr, &v, &nv);
		for (i = 0; i < nv && i < MAX_RCPT; i++) {
			char *a = addr_of(v[i]);

			if (a != NULL)
				add_judged(n, rline_of(rl, nr, a), a, f);
			free(a);
		}
		strv_free(v, nv);
	} else
		for (i = 0; i < nr; i++)
			if (!is_sender(m, self, rl[i].addr))
				add_judged(n, rline_of(rl, nr, rl[i].addr),
				    rl[i].addr, f);
	for (i = 0; i < nr; i++)
		free(rl[i].addr);
	free(rl);
	free(self);
}

/* Only the returned message says whom it was for. */
static void
notice_returned_to(const struct mime_msg *m, const struct notice *n,
    struct found *f)
{
	char *to = returned_address(m, n->len, "To");
	char *from = returned_address(m, n->len, "From");
	size_t len;
	const char *h = returned_block(m, n->len, &len);
	char *cc = h ? block_field(h, len, "Cc") : NULL;

	/* With a Cc the message had several recipients: no telling which.
	 * A returned bounce was addressed to us. */
	if (to != NULL && cc == NULL && !is_sender(m, NULL, to) &&
	    !is_daemon_addr(from))
		add_judged(n, NULL, to, f);
	free(to);
	free(from);
	free(cc);
}

/* ---- the readers in turn ---- */

static int
is_feedback(const struct mime_msg *m)
{
	size_t i;

	if (m->report_type != NULL &&
	    (strcmp(m->report_type, "feedback-report") == 0 ||
	    strcmp(m->report_type, "disposition-notification") == 0))
		return 1;
	for (i = 0; i < m->natt; i++)
		if (strcmp(m->att[i].content_type, "message/feedback-report") == 0)
			return 1;
	return 0;
}

static char *original_id(const struct mime_msg *, size_t nlen);
static void detect(const struct mime_msg *, int depth, struct found *);

/* 3.: a bounce returned inside this one. */
static void
nested(const struct mime_msg *m, struct found *f)
{
	size_t i;

	for (i = 0; i < m->natt && !found_any(f); i++) {
		struct mime_msg *in;
		char *err = NULL;

		if (strcmp(m->att[i].content_type, "message/rfc822") != 0 &&
		    strcmp(m->att[i].content_type, "message/global") != 0)
			continue;
		if (mime_parse((const char *)m->att[i].data, m->att[i].size, NULL,
		    &in, &err) == -1) {
			free(err);
			continue;
		}
		detect(in, 1, f);
		mime_free(in);
	}
}

static void
detect(const struct mime_msg *m, int depth, struct found *f)
{
	struct notice n;

	if (is_feedback(m))
		return;
	if (m->delivery_status != NULL)
		dsn_parse(m->delivery_status, strlen(m->delivery_status), f);
	if (f->entries > 0)
		goto out;
	if (notice_open(m, &n) == -1)
		return;
	/* Report fields quoted in the text. */
	if (memmem(n.low, n.len, "final-recipient:", 16) != NULL ||
	    memmem(n.low, n.len, "original-recipient:", 19) != NULL)
		dsn_parse(n.text, n.len, f);
	if (f->entries == 0)
		notice_recipients(m, &n, f);
	if (!found_any(f) && depth == 0)
		nested(m, f);
	if (!found_any(f) && f->entries == 0)
		notice_returned_to(m, &n, f);
	notice_release(&n);
out:
	if (found_any(f) && f->orig_id == NULL)
		f->orig_id = original_id(m, m->text ? notice_len(m->text,
		    strnlen(m->text, NOTICE_MAX)) : 0);
}

int
bounce_detect(const struct mime_msg *m, struct bounce **out, size_t *n,
    char **orig_id)
{
	struct found f;

	memset(&f, 0, sizeof f);
	*out = NULL;
	*n = 0;
	if (orig_id != NULL)
		*orig_id = NULL;
	detect(m, 0, &f);
	rlist_append_delays(&f.failed, &f.delayed);
	*out = f.failed.v;
	*n = f.failed.n;
	if (orig_id != NULL && *n > 0)
		*orig_id = f.orig_id;
	else
		free(f.orig_id);
	return 0;
}

int
bounce_unread(const struct mime_msg *m, struct bounce *out)
{
	struct notice n;
	char code[16];
	int perm;

	/* A report read field by field that named no failure or delay
	 * said delivered or relayed. */
	memset(out, 0, sizeof *out);
	if (is_feedback(m) || m->delivery_status != NULL ||
	    !signed_by_mail_system(m))
		return 0;
	notice_read(m, &n);
	judge(&n, NULL, code, sizeof code, &perm);
	notice_release(&n);
	out->status = xstrdup(code);
	out->permanent = perm;
	out->delay = !perm;
	return 1;
}

/* ---- the returned message's Message-ID ---- */

/* The Message-ID field of a header block (or of text holding one). */
static char *
header_msgid(const char *h, size_t len)
{
	const char *p = h, *end = h + len;

	while (p < end) {
		size_t l;
		const char *s = next_line(&p, end, &l);

		if (l > 11 && strncasecmp(s, "Message-ID:", 11) == 0) {
			/* The id may sit on a folded continuation line. */
			const char *lt = memchr(s, '<', (size_t)(end - s));
			const char *gt = lt ? memchr(lt, '>',
			    (size_t)(end - lt)) : NULL;

			if (lt != NULL && gt != NULL && gt - lt > 1 &&
			    gt - lt < 1000 && lt < s + l + 200)
				return xstrndup(lt + 1, (size_t)(gt - lt - 1));
			return NULL;
		}
	}
	return NULL;
}

/* From the returned message's part, the text after the notice, or an
 * attached header list ("mailheaders.txt"). */
static char *
original_id(const struct mime_msg *m, size_t nlen)
{
	char *id = NULL;
	size_t i;

	if (m->original_headers != NULL)
		id = header_msgid(m->original_headers,
		    strlen(m->original_headers));
	if (id == NULL && m->text != NULL)
		id = header_msgid(m->text + nlen, strlen(m->text + nlen));
	for (i = 0; id == NULL && i < m->natt; i++)
		if (strcmp(m->att[i].content_type, "text/plain") == 0 ||
		    strncmp(m->att[i].content_type, "message/", 8) == 0)
			id = header_msgid((const char *)m->att[i].data,
			    strnlen((const char *)m->att[i].data, NOTICE_MAX));
	return id;
}
