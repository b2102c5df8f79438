/*
 * authres.c: Authentication-Results read (RFC 8601) and judged (see
 * authres.h).
 *
 * The reader is a small hand-written lexer over one unfolded value: CFWS
 * (white space and comments, nested) between every element, values as
 * tokens or quoted strings.  It is lenient where real MTAs stray from the
 * grammar (a missing authserv-id, "action=none", "; hotmail.com;") and
 * strict where a value decides: a property given twice, or too long to
 * keep whole, is not read at all rather than read one way.  Every loop
 * moves forward through a value mime.c has already bounded.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "authres.h"
#include "util.h"

#define MAX_DEPTH   8           /* of nested comments */

struct lex {
	const char *p;
	int         bad;            /* unbalanced, or nested too deep */
};

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Past one comment, l->p at its '('. */
static void
skip_comment(struct lex *l)
{
	int depth = 0;

	do {
		if (*l->p == '\0') {
			l->bad = 1;
			return;
		}
		if (*l->p == '\\' && l->p[1] != '\0')
			l->p++;
		else if (*l->p == '(' && ++depth > MAX_DEPTH) {
			l->bad = 1;
			return;
		} else if (*l->p == ')')
			depth--;
		l->p++;
	} while (depth > 0);
}

static void
skip_cfws(struct lex *l)
{
	for (;;) {
		while (is_wsp(*l->p))
			l->p++;
		if (*l->p != '(' || l->bad)
			return;
		skip_comment(l);
	}
}

/* A keyword (RFC 8601's ldh-str, '_' let through) in lower case into
 * out; "" when there is none or it does not fit.  Returns its length. */
static size_t
keyword(struct lex *l, char *out, size_t cap)
{
	const char *s = l->p;
	size_t n, i;

	while (isalnum((unsigned char)*l->p) || *l->p == '-' || *l->p == '_')
		l->p++;
	n = (size_t)(l->p - s);
	if (n >= cap)
		n = 0;
	for (i = 0; i < n; i++)
		out[i] = (char)tolower((unsigned char)s[i]);
	out[n] = '\0';
	return (size_t)(l->p - s);
}

/* A value: quoted strings (unquoted) and runs of other characters, up to
 * white space, ';', '(' or the end.  0, or -1 when it does not fit in
 * out (it is passed over all the same; out is then ""). */
static int
value(struct lex *l, char *out, size_t cap)
{
	size_t n = 0;
	int full = 0;
	char c;

	while (*l->p != '\0' && !is_wsp(*l->p) && *l->p != ';' &&
	    *l->p != '(') {
		if (*l->p == '"') {
			for (l->p++; *l->p != '"'; l->p++) {
				if (*l->p == '\0') {
					l->bad = 1;
					out[0] = '\0';
					return -1;
				}
				if (*l->p == '\\' && l->p[1] != '\0')
					l->p++;
				c = *l->p;
				if (n + 1 < cap)
					out[n++] = c;
				else
					full = 1;
			}
			l->p++;
			continue;
		}
		if (n + 1 < cap)
			out[n++] = *l->p;
		else
			full = 1;
		l->p++;
	}
	out[full ? 0 : n] = '\0';
	return full ? -1 : 0;
}

/* To the next ';' outside comments and quotes, or the end. */
static void
skip_to_semicolon(struct lex *l)
{
	char scratch[2];

	while (*l->p != '\0' && *l->p != ';' && !l->bad) {
		if (*l->p == '(')
			skip_comment(l);
		else if (*l->p == '"')
			value(l, scratch, sizeof scratch);
		else
			l->p++;
	}
}

/* The properties convened reads, where each goes in a result. */
static char *
property(struct authres_result *r, const char *ptype, const char *name)
{
	if (strcmp(ptype, "header") == 0 && strcmp(name, "d") == 0)
		return r->header_d;
	if (strcmp(ptype, "header") == 0 && strcmp(name, "i") == 0)
		return r->header_i;
	if (strcmp(ptype, "header") == 0 && strcmp(name, "from") == 0)
		return r->header_from;
	if (strcmp(ptype, "smtp") == 0 && strcmp(name, "mailfrom") == 0)
		return r->smtp_mailfrom;
	return NULL;
}

/* "reason=...", "ptype.property=value" or another "name=value", until
 * the resinfo ends.  A property read twice is read as none. */
static void
properties(struct lex *l, struct authres_result *r)
{
	char ptype[AUTHRES_NAME_MAX + 1], name[AUTHRES_NAME_MAX + 1];
	char v[AUTHRES_VALUE_MAX + 1], *slot;
	unsigned twice = 0, seen = 0, bit;
	const char *before;

	for (;;) {
		skip_cfws(l);
		if (l->bad || *l->p == '\0' || *l->p == ';')
			break;
		before = l->p;
		keyword(l, ptype, sizeof ptype);
		skip_cfws(l);
		name[0] = '\0';
		if (*l->p == '.') {
			l->p++;
			skip_cfws(l);
			keyword(l, name, sizeof name);
			skip_cfws(l);
		}
		if (*l->p != '=') {
			/* Not a property: one word of garbage passed over. */
			if (l->p == before)
				l->p++;
			continue;
		}
		l->p++;
		skip_cfws(l);
		if (value(l, v, sizeof v) == -1)
			v[0] = '\0';
		if ((slot = property(r, ptype, name)) == NULL)
			continue;
		bit = 1u << (unsigned)(slot == r->header_d ? 0 :
		    slot == r->header_i ? 1 : slot == r->header_from ? 2 : 3);
		twice |= seen & bit;
		seen |= bit;
		snprintf(slot, AUTHRES_VALUE_MAX + 1, "%s", twice & bit ? "" : v);
	}
}

/* One resinfo, l->p past its ';' (or at the start of a field without an
 * authserv-id).  Appended to out when it reads as method=result. */
static void
resinfo(struct lex *l, struct authres *out)
{
	struct authres_result r;
	char digits[12];

	memset(&r, 0, sizeof r);
	skip_cfws(l);
	keyword(l, r.method, sizeof r.method);
	skip_cfws(l);
	if (*l->p == '/') {                     /* method-version */
		l->p++;
		skip_cfws(l);
		keyword(l, digits, sizeof digits);
		skip_cfws(l);
	}
	if (*l->p != '=') {
		if (strcmp(r.method, "none") == 0 && out->nres == 0)
			out->none = 1;
		return;
	}
	l->p++;
	skip_cfws(l);
	keyword(l, r.result, sizeof r.result);
	if (r.method[0] == '\0' || r.result[0] == '\0')
		return;
	properties(l, &r);
	if (l->bad || out->nres >= AUTHRES_MAX_RESULTS)
		return;
	out->res = xreallocarray(out->res, out->nres + 1, sizeof *out->res);
	out->res[out->nres++] = r;
}

/* The authserv-id and version, or none when the field starts with a
 * methodspec (Microsoft 365).  0 or -1. */
static int
authserv(struct lex *l, struct authres *out)
{
	char id[AUTHRES_VALUE_MAX + 1], word[AUTHRES_NAME_MAX + 1];
	const char *start = l->p;
	char *slash;

	keyword(l, word, sizeof word);
	skip_cfws(l);
	if (word[0] != '\0' && (*l->p == '=' || *l->p == '/')) {
		l->p = start;
		return 0;
	}
	l->p = start;
	/* A token (RFC 2045) or a quoted string; '/' let through for the
	 * job id. */
	if (value(l, id, sizeof id) == -1 || id[0] == '\0' ||
	    strpbrk(id, "()<>@,;:\\\"[]?=") != NULL)
		return -1;
	if ((slash = strchr(id, '/')) != NULL)
		*slash = '\0';
	str_lower(id);
	out->authserv_id = xstrdup(id);
	skip_cfws(l);
	if (isdigit((unsigned char)*l->p)) {
		out->version = atoi(l->p);
		while (isdigit((unsigned char)*l->p))
			l->p++;
		skip_cfws(l);
	}
	return 0;
}

int
authres_parse(const char *v, struct authres *out)
{
	struct lex l = { v ? v : "", 0 };
	int first;

	memset(out, 0, sizeof *out);
	out->version = 1;
	skip_cfws(&l);
	if (l.bad || *l.p == '\0' || authserv(&l, out) == -1)
		goto bad;
	first = out->authserv_id == NULL;
	for (;;) {
		if (!first) {
			skip_to_semicolon(&l);
			if (l.bad)
				goto bad;
			if (*l.p == '\0')
				break;
			l.p++;
		}
		first = 0;
		resinfo(&l, out);
		if (l.bad)
			goto bad;
	}
	if (out->authserv_id == NULL && out->nres == 0)
		goto bad;
	return 0;
bad:
	authres_clear(out);
	return -1;
}

void
authres_clear(struct authres *a)
{
	free(a->authserv_id);
	free(a->res);
	memset(a, 0, sizeof *a);
}

/* ---- judging ------------------------------------------------------------ */

/* A domain as alignment reads it: LDH labels, one trailing dot cut;
 * lower case into out.  The number of labels, 0 when it is none. */
static int
labels(const char *d, char out[AUTHRES_VALUE_MAX + 1])
{
	size_t n = strlen(d), i;
	int k = 1;

	if (n > 0 && d[n - 1] == '.')
		n--;
	if (n == 0 || n > AUTHRES_VALUE_MAX || d[0] == '.')
		return 0;
	for (i = 0; i < n; i++) {
		if (d[i] == '.') {
			if (d[i + 1] == '.' || i + 1 == n)
				return 0;
			k++;
		} else if (!isalnum((unsigned char)d[i]) && d[i] != '-')
			return 0;
		out[i] = (char)tolower((unsigned char)d[i]);
	}
	out[n] = '\0';
	return k;
}

int
authres_aligned(const char *a, const char *b)
{
	char x[AUTHRES_VALUE_MAX + 1], y[AUTHRES_VALUE_MAX + 1];
	const char *longer, *shorter;
	int la, lb;
	size_t nl, ns;

	if (a == NULL || b == NULL || (la = labels(a, x)) == 0 ||
	    (lb = labels(b, y)) == 0)
		return 0;
	if (strcmp(x, y) == 0)
		return 1;
	longer = la > lb ? x : y;
	shorter = la > lb ? y : x;
	nl = strlen(longer);
	ns = strlen(shorter);
	return (la > lb ? lb : la) >= 2 && nl > ns + 1 &&
	    longer[nl - ns - 1] == '.' && strcmp(longer + nl - ns, shorter) == 0;
}

/* Does result r (of its method) speak for a sender of domain dom? */
static int
passes(const struct authres_result *r, const char *dom)
{
	const char *d;

	if (strcmp(r->result, "pass") != 0)
		return 0;
	if (strcmp(r->method, "dmarc") == 0)
		return r->header_from[0] != '\0' &&
		    strcasecmp(r->header_from, dom) == 0;
	if (strcmp(r->method, "dkim") == 0) {
		d = r->header_d[0] != '\0' ? r->header_d :
		    r->header_i[0] != '\0' ? addr_domain(r->header_i) : NULL;
		return authres_aligned(d, dom);
	}
	if (strcmp(r->method, "spf") == 0)
		return r->smtp_mailfrom[0] != '\0' &&
		    authres_aligned(addr_domain(r->smtp_mailfrom), dom);
	return 0;
}

static int
trusted_id(const char *id, char *const *trusted, size_t n)
{
	size_t i;

	for (i = 0; id != NULL && i < n; i++)
		if (strcasecmp(id, trusted[i]) == 0)
			return 1;
	return 0;
}

/* The trusted fields, read from the top (authres.h).  Returns how many
 * are in run (each to clear). */
static size_t
trusted_run(char *const *fields, size_t n, char *const *trusted,
    size_t ntrusted, struct authres *run)
{
	size_t i, nrun = 0;
	struct authres a;

	for (i = 0; i < n; i++) {
		if (authres_parse(fields[i], &a) == 0 &&
		    trusted_id(a.authserv_id, trusted, ntrusted)) {
			run[nrun++] = a;
			continue;
		}
		authres_clear(&a);
		if (nrun > 0)
			break;
	}
	return nrun;
}

/* The topmost field of run that reports method decides it: 1 with *out
 * set when one of its results for it passes for dom.  What it said goes
 * to b for the reason. */
static int
decide(const struct authres *run, size_t nrun, const char *method,
    const char *dom, struct buf *b, struct authres_verdict *out)
{
	size_t i, j;
	int told = 0;

	for (i = 0; i < nrun; i++) {
		for (j = 0; j < run[i].nres; j++) {
			const struct authres_result *r = &run[i].res[j];

			if (strcmp(r->method, method) != 0)
				continue;
			if (passes(r, dom)) {
				snprintf(out->method, sizeof out->method, "%s",
				    method);
				snprintf(out->authserv_id,
				    sizeof out->authserv_id, "%s",
				    run[i].authserv_id);
				return 1;
			}
			buf_addf(b, "%s%s=%s", b->len ? ", " : "", method,
			    r->result);
			told = 1;
		}
		if (told)
			return 0;
	}
	return 0;
}

int
authres_check(char *const *fields, size_t nfields, char *const *trusted,
    size_t ntrusted, const char *from, struct authres_verdict *out)
{
	static const char *const methods[] = { "dmarc", "dkim", "spf" };
	struct authres *run;
	struct buf b = BUF_INIT(BUF_OWN);
	const char *dom;
	size_t nrun, i;

	memset(out, 0, sizeof *out);
	if (ntrusted == 0) {
		snprintf(out->why, sizeof out->why, "no [trust] authserv_id: "
		    "nothing is authenticated by Authentication-Results");
		return 0;
	}
	if (from == NULL || !addr_valid(from)) {
		snprintf(out->why, sizeof out->why, "no sender to authenticate");
		return 0;
	}
	dom = addr_domain(from);
	run = xcalloc(nfields ? nfields : 1, sizeof *run);
	nrun = trusted_run(fields, nfields, trusted, ntrusted, run);
	for (i = 0; nrun > 0 && i < 3 && !out->authenticated; i++)
		out->authenticated = decide(run, nrun, methods[i], dom, &b, out);
	if (nrun == 0)
		snprintf(out->why, sizeof out->why, "no Authentication-Results "
		    "from a trusted authserv-id");
	else if (out->authenticated)
		snprintf(out->why, sizeof out->why, "%s=pass for %.80s by %.80s",
		    out->method, dom, out->authserv_id);
	else
		snprintf(out->why, sizeof out->why, "no aligned pass for %.80s "
		    "from %.80s (%.60s)", dom, run[0].authserv_id,
		    b.len ? buf_str(&b) : "no dmarc, dkim or spf result");
	for (i = 0; i < nrun; i++)
		authres_clear(&run[i]);
	free(run);
	buf_release(&b);
	return out->authenticated;
}
