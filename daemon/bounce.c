/* bounce.c: delivery failures, standard (RFC 3464) and not.
 *
 * A delivery report's message/delivery-status part is read field by
 * field.  Older MTAs send plain text instead; those notices are read by
 * their shape, which is shared across qmail, Exim, Postfix, Gmail and
 * Yahoo rather than tied to one sample:
 *
 *   - the message comes from the mail system (MAILER-DAEMON, postmaster,
 *     a null Return-Path, or an X-Failed-Recipients field) and its text
 *     says delivery failed;
 *   - the notice is the text before the "copy of the message" line;
 *   - each failed recipient opens a line, either "<addr>:" followed by
 *     the reason (qmail, Postfix, Yahoo) or an indented bare address
 *     followed by more indented detail (Exim, Gmail);
 *   - the status is the first enhanced code (X.Y.Z) in that recipient's
 *     detail, else in the whole notice, else the class of an SMTP reply
 *     code; 4.x.x is final when the notice says delivery was abandoned. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bounce.h"
#include "mime.h"
#include "util.h"

#define MAX_RCPT 500

struct rlist {
	struct bounce *v;
	size_t n;
};

static void
rlist_add(struct rlist *l, const char *email, const char *status,
    int permanent)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		if (strcmp(l->v[i].email, email) == 0)
			return;
	if (l->n == MAX_RCPT)
		return;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	l->v[l->n].email = xstrdup(email);
	l->v[l->n].status = xstrdup(status);
	l->v[l->n].permanent = permanent;
	l->n++;
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

/* Case-insensitive search in the first len bytes of s. */
static const char *
memcasemem(const char *s, size_t len, const char *needle)
{
	size_t k = strlen(needle), i;

	if (k == 0 || k > len)
		return NULL;
	for (i = 0; i + k <= len; i++)
		if (strncasecmp(s + i, needle, k) == 0)
			return s + i;
	return NULL;
}

static int
has_any(const char *s, size_t len, const char *const *words)
{
	for (; *words; words++)
		if (memcasemem(s, len, *words))
			return 1;
	return 0;
}

static const char *const failure_cues[] = {
	"could not be delivered", "couldn't be delivered",
	"wasn't able to deliver", "was not able to deliver",
	"unable to deliver", "delivery failed", "failed permanently",
	"delivery has failed", "permanent error", "permanent failure",
	"undeliverable", "undelivered", "returned to sender",
	"following address(es) failed", "user unknown", "could not deliver",
	NULL
};

/* Wording of a notice that gave up even on a temporary (4.x.x) error. */
static const char *const final_cues[] = {
	"not going to try again", "given up", "gave up", "permanent",
	"too long", "giving up", "will not be retried", "no further attempts",
	NULL
};

static int
is_addr_char(int c)
{
	return c > 0x20 && c != 0x7f && c != '<' && c != '>' && c != '(' &&
	    c != ')' && c != ',' && c != ';' && c != ':' && c != '"' &&
	    c != '[' && c != ']';
}

/* A whole addr-spec in s[0..len): local@domain, at most 254 bytes.
 * Lower-cased copy, or NULL. */
static char *
addr_of(const char *s, size_t len)
{
	size_t i, at = 0, nat = 0;
	char *r;

	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	if (len < 3 || len > 254)
		return NULL;
	for (i = 0; i < len; i++) {
		if (s[i] == '@') {
			at = i;
			nat++;
		} else if (!is_addr_char((unsigned char)s[i]))
			return NULL;
	}
	if (nat != 1 || at == 0 || at == len - 1 || !strchr(s + at, '.'))
		return NULL;
	r = xstrndup(s, len);
	str_lower(r);
	return r;
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
				if (++dots > 2)
					break;
				digits = 0;
			} else if (isdigit((unsigned char)s[j])) {
				if (++digits > 3)
					break;
			} else
				break;
		}
		if (dots != 2 || digits == 0 || s[j - 1] == '.')
			continue;
		if (j < len && (isalnum((unsigned char)s[j]) || s[j] == '.' ||
		    s[j] == '@'))
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

/* ---- RFC 3464 ---- */

struct dsn_rcpt {
	char *rcpt;     /* Final-Recipient, else Original-Recipient */
	int   final;
	char *action;
	char *status;
};

static void
dsn_flush(struct dsn_rcpt *r, struct rlist *failed, struct rlist *delayed)
{
	char code[16];

	if (r->rcpt != NULL && r->action != NULL) {
		int have = r->status != NULL &&
		    find_enhanced(r->status, strlen(r->status), code, sizeof code);

		if (strcasecmp(r->action, "failed") == 0)
			/* "failed" is final whatever the class says. */
			rlist_add(failed, r->rcpt, have ? code : "5.0.0", 1);
		else if (strcasecmp(r->action, "delayed") == 0)
			rlist_add(delayed, r->rcpt, have ? code : "4.0.0", 0);
	}
	free(r->rcpt);
	free(r->action);
	free(r->status);
	memset(r, 0, sizeof *r);
}

/* "rfc822; addr" (or "utf-8; addr") -> addr, lower-case, or NULL. */
static char *
dsn_addr(const char *v)
{
	const char *semi = strchr(v, ';');
	char *t, *r;

	char *a;

	t = xstrdup(semi ? semi + 1 : v);
	a = str_trim(t);
	r = addr_of(a, strlen(a));
	free(t);
	return r;
}

static void
dsn_parse(const char *ds, struct rlist *failed, struct rlist *delayed)
{
	struct dsn_rcpt r;
	const char *p = ds, *nl;

	memset(&r, 0, sizeof r);
	while (*p) {
		size_t len;
		char *buf, *line, *colon;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		buf = xstrndup(p, len);
		p += len + (nl != NULL);
		line = str_trim(buf);
		if (*line == '\0') {
			dsn_flush(&r, failed, delayed);
			free(buf);
			continue;
		}
		if ((colon = strchr(line, ':')) != NULL) {
			*colon = '\0';
			char *name = str_trim(line), *val = str_trim(colon + 1);

			if (strcasecmp(name, "Final-Recipient") == 0) {
				free(r.rcpt);
				r.rcpt = dsn_addr(val);
				r.final = 1;
			} else if (strcasecmp(name, "Original-Recipient") == 0 &&
			    !r.final) {
				free(r.rcpt);
				r.rcpt = dsn_addr(val);
			} else if (strcasecmp(name, "Action") == 0 &&
			    r.action == NULL) {
				char *sp = val + strcspn(val, " \t(");

				*sp = '\0';
				r.action = xstrdup(val);
			} else if (strcasecmp(name, "Status") == 0 &&
			    r.status == NULL)
				r.status = xstrdup(val);
		}
		free(buf);
	}
	dsn_flush(&r, failed, delayed);
}

/* ---- plain-text notices ---- */

/* Length of the notice: text up to the line that introduces the copy of
 * the returned message ("--- Below this line is a copy of the message.",
 * "------ This is a copy of the message", "----- Original message -----",
 * "--- Original message follows."). */
static size_t
notice_len(const char *t)
{
	const char *p = t, *nl;

	while (*p) {
		const char *q = p;
		size_t len;

		nl = strchr(p, '\n');
		len = nl ? (size_t)(nl - p) : strlen(p);
		while (q < p + len && (*q == ' ' || *q == '\t'))
			q++;
		if ((strncmp(q, "---", 3) == 0 || strncmp(q, "===", 3) == 0) &&
		    (memcasemem(q, len - (size_t)(q - p), "message") ||
		    memcasemem(q, len - (size_t)(q - p), "copy") ||
		    memcasemem(q, len - (size_t)(q - p), "original")))
			return (size_t)(p - t);
		if (memcasemem(q, len - (size_t)(q - p), "original message follows"))
			return (size_t)(p - t);
		if (!nl)
			break;
		p = nl + 1;
	}
	return strlen(t);
}

static int
from_mail_system(const struct mime_msg *m)
{
	static const char *const daemons[] = {
		"mailer-daemon", "mailer_daemon", "mailerdaemon", "postmaster",
		"mail-daemon", "mdaemon", NULL
	};
	const char *const *d;

	if (m->return_path != NULL && *m->return_path == '\0')
		return 1;
	if (mime_header(m, "X-Failed-Recipients") != NULL)
		return 1;
	if (m->from_name != NULL &&
	    (memcasemem(m->from_name, strlen(m->from_name), "mail delivery") ||
	    memcasemem(m->from_name, strlen(m->from_name), "mailer-daemon")))
		return 1;
	if (m->from == NULL)
		return 0;
	for (d = daemons; *d; d++) {
		size_t k = strlen(*d);

		if (strncmp(m->from, *d, k) == 0 && m->from[k] == '@')
			return 1;
	}
	return 0;
}

/* One recipient line and where its detail lies in the notice. */
struct rline {
	char       *addr;
	const char *detail;     /* from after the address to the next
	                         * recipient line or blank line */
	size_t      dlen;
};

/* A line that opens a recipient: "<addr>:" at the start, or an indented
 * line that holds nothing but an address.  *rest is what follows. */
static char *
recipient_line(const char *p, size_t len, const char **rest)
{
	const char *q = p, *end = p + len, *gt;
	char *a;

	while (end > p && (end[-1] == '\r' || end[-1] == ' ' ||
	    end[-1] == '\t'))
		end--;
	while (q < end && (*q == ' ' || *q == '\t'))
		q++;
	if (q < end && *q == '<' && (gt = memchr(q, '>', (size_t)(end - q))) &&
	    gt + 1 < end && gt[1] == ':') {
		if ((a = addr_of(q + 1, (size_t)(gt - q - 1))) != NULL) {
			*rest = gt + 2;
			return a;
		}
	}
	if (q > p && q < end && (a = addr_of(q, (size_t)(end - q))) != NULL) {
		*rest = end;
		return a;
	}
	return NULL;
}

static size_t
scan_recipients(const char *t, size_t len, struct rline *v, size_t max)
{
	const char *p = t, *end = t + len;
	size_t n = 0;

	while (p < end && n < max) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
		const char *rest;
		char *a = recipient_line(p, l, &rest);

		if (a != NULL) {
			const char *d = rest, *q = nl ? nl + 1 : end;

			/* Detail: to the next blank or recipient line. */
			while (q < end) {
				const char *nl2 = memchr(q, '\n', (size_t)(end - q));
				size_t l2 = nl2 ? (size_t)(nl2 - q) :
				    (size_t)(end - q);
				const char *r2, *s = q;
				char *a2;

				while (s < q + l2 && isspace((unsigned char)*s))
					s++;
				if (s == q + l2)
					break;
				if ((a2 = recipient_line(q, l2, &r2)) != NULL) {
					free(a2);
					break;
				}
				q = nl2 ? nl2 + 1 : end;
			}
			v[n].addr = a;
			v[n].detail = d;
			v[n].dlen = (size_t)(q - d);
			n++;
			p = q;
			continue;
		}
		p = nl ? nl + 1 : end;
	}
	return n;
}

/* Status and permanence of one recipient from its detail and the notice. */
static void
judge(const char *detail, size_t dlen, const char *notice, size_t nlen,
    char *code, size_t codesz, int *permanent)
{
	int cls;

	if (!find_enhanced(detail, dlen, code, codesz) &&
	    !find_enhanced(notice, nlen, code, codesz)) {
		cls = find_smtp_class(detail, dlen);
		if (cls == 0)
			cls = find_smtp_class(notice, nlen);
		snprintf(code, codesz, "%c.0.0", cls == '4' ? '4' : '5');
	}
	*permanent = code[0] == '5' || has_any(detail, dlen, final_cues) ||
	    has_any(notice, nlen, final_cues);
}

static void
plain_notice(const struct mime_msg *m, struct rlist *failed,
    struct rlist *delayed)
{
	struct rline rl[64];
	const char *xfr = mime_header(m, "X-Failed-Recipients");
	size_t nlen, nr, i;
	char code[16];
	int perm;

	if (m->text == NULL || !from_mail_system(m))
		return;
	nlen = notice_len(m->text);
	if (xfr == NULL && !has_any(m->text, nlen, failure_cues))
		return;
	nr = scan_recipients(m->text, nlen, rl, sizeof rl / sizeof rl[0]);

	if (xfr != NULL) {
		/* The header names the recipients; the text says why. */
		char **v = NULL;
		size_t nv = 0, j;

		str_split_list(xfr, &v, &nv);
		for (j = 0; j < nv; j++) {
			char *a = addr_of(v[j], strlen(v[j]));
			const char *d = "";
			size_t dl = 0;

			if (a == NULL)
				continue;
			for (i = 0; i < nr; i++)
				if (strcmp(rl[i].addr, a) == 0) {
					d = rl[i].detail;
					dl = rl[i].dlen;
					break;
				}
			judge(d, dl, m->text, nlen, code, sizeof code, &perm);
			rlist_add(perm ? failed : delayed, a, code, perm);
			free(a);
		}
		strv_free(v, nv);
	} else {
		for (i = 0; i < nr; i++) {
			judge(rl[i].detail, rl[i].dlen, m->text, nlen, code,
			    sizeof code, &perm);
			rlist_add(perm ? failed : delayed, rl[i].addr, code, perm);
		}
	}
	for (i = 0; i < nr; i++)
		free(rl[i].addr);
}

int
bounce_detect(const struct mime_msg *m, struct bounce **out, size_t *n,
    int *is_delay)
{
	struct rlist failed = { NULL, 0 }, delayed = { NULL, 0 };

	*out = NULL;
	*n = 0;
	*is_delay = 0;
	if (m->delivery_status != NULL)
		dsn_parse(m->delivery_status, &failed, &delayed);
	if (failed.n == 0 && delayed.n == 0 && m->delivery_status == NULL)
		plain_notice(m, &failed, &delayed);
	if (failed.n > 0) {
		bounce_free(delayed.v, delayed.n);
		*out = failed.v;
		*n = failed.n;
	} else if (delayed.n > 0) {
		*out = delayed.v;
		*n = delayed.n;
		*is_delay = 1;
	}
	return 0;
}

/* The Message-ID field of a header block (or of text holding one). */
static char *
header_msgid(const char *h, size_t len)
{
	const char *p = h, *end = h + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);

		if (l > 11 && strncasecmp(p, "Message-ID:", 11) == 0) {
			/* The id may sit on a folded continuation line. */
			const char *lt = memchr(p, '<', (size_t)(end - p));
			const char *gt = lt ? memchr(lt, '>',
			    (size_t)(end - lt)) : NULL;

			if (lt != NULL && gt != NULL && gt - lt > 1 &&
			    gt - lt < 1000 && lt < p + l + 200)
				return xstrndup(lt + 1, (size_t)(gt - lt - 1));
			return NULL;
		}
		p = nl ? nl + 1 : end;
	}
	return NULL;
}

char *
bounce_original_id(const struct mime_msg *m)
{
	size_t nlen;

	if (m->original_headers != NULL)
		return header_msgid(m->original_headers,
		    strlen(m->original_headers));
	if (m->text == NULL)
		return NULL;
	nlen = notice_len(m->text);
	return header_msgid(m->text + nlen, strlen(m->text + nlen));
}
