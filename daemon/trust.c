/*
 * trust.c: what proof a message carries for what it asks (see trust.h).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "authres.h"
#include "classify.h"
#include "config.h"
#include "msgid.h"
#include "token.h"
#include "trust.h"

const char *
trust_reason_name(enum trust_reason r)
{
	static const char *const names[TRUST__COUNT] = {
		[TRUST_NO_PROOF] = "no-proof",
		[TRUST_NO_TOKEN] = "no-token",
		[TRUST_NOT_AUTHENTICATED] = "not-authenticated",
		[TRUST_SPOOFED] = "spoofed",
		[TRUST_NOT_COORDINATOR] = "not-coordinator",
		[TRUST_CONFIRM_UNPROVEN] = "confirm-unproven",
		[TRUST_HOLD_LIMIT] = "hold-limit",
		[TRUST_LOOP] = "loop",
		[TRUST_EXPIRED] = "expired",
		[TRUST_FUTURE_DTSTAMP] = "future-dtstamp",
		[TRUST_FOREIGN_BOUNCE] = "foreign-bounce",
		[TRUST_FILE_TYPE] = "file-type",
		[TRUST_RATE_LIMITED] = "rate-limited",
		[TRUST_NOT_MEMBER] = "not-member",
		[TRUST_BAD_OFFER] = "bad-offer",
	};

	return (unsigned)r < TRUST__COUNT ? names[r] : "?";
}

int
trust_junk_folder(const char *folder)
{
	static const char *const names[] = { "junk", "spam", "bulk",
	    "junk e-mail", "junk email", "bulk mail", NULL };
	const char *last, *p;
	size_t i;

	if (folder == NULL)
		return 0;
	for (last = p = folder; *p != '\0'; p++)
		if (*p == '/' || *p == '.')
			last = p + 1;
	for (i = 0; names[i] != NULL; i++)
		if (strcasecmp(last, names[i]) == 0)
			return 1;
	return 0;
}

/* The first of found[0..nfound) issued to from for one of scopes, or -1. */
static int
matching_token(const struct config *cfg, const struct token_found *found,
    size_t nfound, const char *from, const struct trust_scope *scopes,
    size_t n)
{
	size_t i, k;

	if (n > TRUST_SCOPES_MAX)
		n = TRUST_SCOPES_MAX;
	for (i = 0; i < nfound; i++)
		for (k = 0; k < n; k++)
			if (scopes[k].id != NULL && token_verify(&cfg->trust_key,
			    scopes[k].kind, scopes[k].id, from, found[i].token))
				return (int)i;
	return -1;
}

void
trust_gather(const struct config *cfg, const struct verdict *v,
    const char *folder, const struct trust_scope *scopes, size_t n,
    struct trust_proof *out)
{
	trust_gather_as(cfg, v, v->from, folder, scopes, n, out);
}

void
trust_gather_as(const struct config *cfg, const struct verdict *v,
    const char *who, const char *folder, const struct trust_scope *scopes,
    size_t n, struct trust_proof *out)
{
	struct token_found found[TOKEN_FOUND_MAX];
	struct authres_verdict av;
	const char *organizer = NULL;
	size_t nfound;
	int i;

	memset(out, 0, sizeof *out);
	out->junk = trust_junk_folder(folder);
	out->authserv = cfg->ntrust_authserv > 0;
	if (v->from == NULL)
		return;
	if (v->itip != NULL && v->itip->nev > 0)
		organizer = v->itip->ev[0].organizer;
	nfound = token_find(v->msg, organizer, cfg->org_email, found,
	    TOKEN_FOUND_MAX);
	if (n > 0 && nfound > 0 && who != NULL && (i = matching_token(cfg,
	    found, nfound, who, scopes, n)) >= 0) {
		out->token = 1;
		snprintf(out->where, sizeof out->where, "%s",
		    token_where_name(found[i].where));
	}
	if (out->authserv && v->msg != NULL) {
		out->authenticated = authres_check(v->msg->authres,
		    v->msg->nauthres, cfg->trust_authserv, cfg->ntrust_authserv,
		    v->from, &av);
		snprintf(out->auth_why, sizeof out->auth_why, "%s", av.why);
	}
}

enum trust_decision
trust_decide(enum trust_stake stake, const struct trust_proof *p)
{
	if (p->confirmed)
		return TRUST_ALLOW;
	if (stake == TRUST_ANSWER) {
		if (p->token || p->authenticated)
			return TRUST_ALLOW;
		/* Invited before tokens: their answers carry none.  Junk is
		 * where forgeries land: there, From alone is not enough. */
		return p->legacy && !p->junk ? TRUST_ALLOW : TRUST_REFUSE;
	}
	if (!p->token)
		return TRUST_HOLD_NO_TOKEN;
	if (p->authserv && !p->authenticated)
		return TRUST_HOLD_NOT_AUTHENTICATED;
	return TRUST_ALLOW;
}

long long
trust_answer_time(long long dtstamp, long long date, long long now,
    int *future)
{
	long long t = dtstamp > 0 ? dtstamp : date > 0 ? date : now;

	*future = t > now + TRUST_CLOCK_SKEW;
	return *future ? now : t;
}

int
trust_bounce_ours(const struct config *cfg, const char *bounced_id,
    const char *address)
{
	struct msgid id;

	if (bounced_id == NULL || address == NULL || !cfg->trust_key.set ||
	    msgid_parse(bounced_id, addr_domain(cfg->org_email), &id) == -1 ||
	    id.version < 1)
		return 0;
	if (id.uid[0] != '\0')
		return token_verify(&cfg->trust_key, TOKEN_MEETING, id.uid,
		    address, id.token);
	return token_verify(&cfg->trust_key, TOKEN_GROUP, id.group, address,
	    id.token);
}
