/* verp.c: envelope senders that name their message (see verp.h).
 *
 * The row id goes in the address, not only in the mac: a bounce names one
 * row, which is read from the store; its recipient is then what the mac
 * must verify for.  A guessed row id with a made-up mac fails like a
 * forged one, and a mac copied from one row's address to another row's
 * id fails too. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mime.h"
#include "store.h"
#include "token.h"
#include "util.h"
#include "verp.h"

#define ROW_MAX  13             /* base32 letters of a 64-bit id */
#define TAG      "+b-"

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* row in base32, most significant first, NUL-terminated; its length. */
static size_t
row_letters(unsigned long long row, char out[ROW_MAX + 1])
{
	char rev[ROW_MAX];
	size_t n = 0, i;

	do {
		rev[n++] = b32[row & 31];
		row >>= 5;
	} while (row != 0 && n < ROW_MAX);
	for (i = 0; i < n; i++)
		out[i] = rev[n - 1 - i];
	out[n] = '\0';
	return n;
}

/* The row s[0..n) names: > 0, or 0 when it is not a row id as
 * row_letters() writes one (no leading zero letter, at most 63 bits). */
static long long
row_parse(const char *s, size_t n)
{
	unsigned long long v = 0;
	const char *p;
	size_t i;

	if (n == 0 || n > ROW_MAX || ((s[0] | 0x20) == 'a'))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '\0' || (p = strchr(b32, s[i] | 0x20)) == NULL)
			return 0;
		if (v >> 58 != 0)
			return 0;
		v = v << 5 | (unsigned long long)(p - b32);
	}
	return v > (unsigned long long)INT64_MAX ? 0 : (long long)v;
}

char *
verp_address(const struct token_key *k, const char *org_email,
    long long row, const char *recipient)
{
	const char *at = org_email ? strrchr(org_email, '@') : NULL;
	char id[ROW_MAX + 1], mac[TOKEN_LEN + 1], scope[24];
	size_t local, idn;

	if (at == NULL || at == org_email || row <= 0 ||
	    memchr(org_email, '+', (size_t)(at - org_email)) != NULL)
		return NULL;
	/* A longer local part might fit with a small row id, but then mail
	 * would change envelope senders as the outbox grows: none at all. */
	local = (size_t)(at - org_email);
	idn = row_letters((unsigned long long)row, id);
	if (local > VERP_LOCAL_MAX ||
	    local + strlen(TAG) + idn + 1 + TOKEN_LEN > 64)
		return NULL;
	snprintf(scope, sizeof scope, "%lld", row);
	token_build(k, TOKEN_BOUNCE, scope, recipient, mac);
	return xasprintf("%.*s" TAG "%s-%s@%s", (int)local, org_email, id, mac,
	    at + 1);
}

/* addr's row id and mac when it is org_email's local part + TAG + row +
 * '-' + mac at org_email's domain (compared without case): 1, else 0. */
static int
parse(const char *addr, const char *org_email, long long *row,
    char mac[TOKEN_LEN + 1])
{
	const char *at, *oat, *p, *dash;
	size_t local, i;

	if (addr == NULL || org_email == NULL ||
	    (at = strrchr(addr, '@')) == NULL ||
	    (oat = strrchr(org_email, '@')) == NULL ||
	    strcasecmp(at + 1, oat + 1) != 0)
		return 0;
	local = (size_t)(oat - org_email);
	if ((size_t)(at - addr) <= local + strlen(TAG) ||
	    strncasecmp(addr, org_email, local) != 0 ||
	    strncasecmp(addr + local, TAG, strlen(TAG)) != 0)
		return 0;
	p = addr + local + strlen(TAG);
	if ((size_t)(at - p) < 1 + 1 + TOKEN_LEN)
		return 0;
	dash = at - TOKEN_LEN - 1;
	if (*dash != '-' || (*row = row_parse(p, (size_t)(dash - p))) == 0)
		return 0;
	for (i = 0; i < TOKEN_LEN; i++) {
		if (strchr(b32, dash[1 + i] | 0x20) == NULL)
			return 0;
		mac[i] = (char)(dash[1 + i] | 0x20);
	}
	mac[TOKEN_LEN] = '\0';
	return 1;
}

void
verp_hit_clear(struct verp_hit *h)
{
	free(h->recipient);
	free(h->message_id);
	free(h->kind);
	memset(h, 0, sizeof *h);
}

enum verp_result
verp_check(const struct token_key *k, struct store *st,
    const char *org_email, const char *addr, struct verp_hit *hit,
    char **err)
{
	struct store_outbox o;
	char mac[TOKEN_LEN + 1], scope[24];
	long long row;
	int rc;

	memset(hit, 0, sizeof *hit);
	hit->address = addr;
	if (!k->set || !parse(addr, org_email, &row, mac))
		return VERP_NONE;
	if ((rc = store_outbox_get(st, row, &o, err)) == -1)
		return VERP_ERROR;
	if (rc == 0)
		return VERP_INVALID;
	snprintf(scope, sizeof scope, "%lld", row);
	if (!token_verify(k, TOKEN_BOUNCE, scope, o.recipient, mac)) {
		store_outbox_clear(&o);
		return VERP_INVALID;
	}
	hit->row = row;
	hit->recipient = o.recipient;
	hit->message_id = o.message_id;
	hit->kind = o.kind;
	o.recipient = o.message_id = o.kind = NULL;
	store_outbox_clear(&o);
	return VERP_VALID;
}

/* X-Original-To holds one address, bare or in <>: a lower-case copy, or
 * NULL. */
static char *
original_to(const struct mime_msg *m)
{
	const char *v = mime_header(m, "X-Original-To");
	char *a;
	size_t n;

	if (v == NULL)
		return NULL;
	v += strspn(v, " \t<");
	n = strcspn(v, " \t>,;");
	if (n == 0 || n > 254)
		return NULL;
	a = xstrndup(v, n);
	str_lower(a);
	return a;
}

/* One candidate: the running result res, and hit, as verp_find says. */
static enum verp_result
try_one(const struct token_key *k, struct store *st, const char *org_email,
    const char *addr, struct verp_hit *hit, enum verp_result res,
    const char **first_bad, char **err)
{
	enum verp_result r;

	if (res == VERP_VALID || res == VERP_ERROR)
		return res;
	r = verp_check(k, st, org_email, addr, hit, err);
	if (r == VERP_INVALID && *first_bad == NULL)
		*first_bad = addr;
	return r == VERP_NONE ? res : r;
}

enum verp_result
verp_find(const struct token_key *k, struct store *st, const char *org_email,
    const struct mime_msg *m, struct verp_hit *hit, char **err)
{
	enum verp_result res = VERP_NONE;
	const char *bad = NULL;
	char *xot = original_to(m);
	const char *oxot = mime_header(m, "X-Original-To");
	size_t i;

	memset(hit, 0, sizeof *hit);
	for (i = 0; i < m->ndelivered_to; i++)
		res = try_one(k, st, org_email, m->delivered_to[i], hit, res,
		    &bad, err);
	/* hit->address must point into m: the field's own text. */
	if (xot != NULL) {
		res = try_one(k, st, org_email, xot, hit, res, &bad, err);
		if (hit->address == xot)
			hit->address = oxot;
		if (bad == xot)
			bad = oxot;
		free(xot);
	}
	for (i = 0; i < m->nto; i++)
		res = try_one(k, st, org_email, m->to[i], hit, res, &bad, err);
	if (res == VERP_INVALID) {
		verp_hit_clear(hit);
		hit->address = bad;
	}
	return res;
}
