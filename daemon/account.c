/*
 * account.c: what the accounts sign in with, and how it went (see
 * account.h).
 *
 * One process holds one access token at a time, for the [oauth] it was
 * fetched under: a reload that changes [oauth] drops it.  Its bytes live
 * in pages marked MADV_DONTDUMP, so a core dump of the daemon does not
 * carry it; every other copy (the sessions', oauth.c's) is wiped when
 * freed.  libcurl keeps its own copy of the token or password for the
 * life of a session handle and frees it unwiped: that one we cannot
 * reach.
 */
#include <sys/mman.h>
#include <sys/stat.h>

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "account.h"
#include "config.h"
#include "cycle.h"
#include "letter.h"
#include "log.h"
#include "oauth.h"
#include "outage.h"
#include "store.h"
#include "template.h"
#include "util.h"

#define TOKEN_ROOM      (16u << 10)     /* an access token, with its NUL */
#define MARGIN          60              /* seconds before expiry to renew */
#define BACKOFF_FIRST   60
#define BACKOFF_MAX     3600

/* The access token, and what this cycle did about it. */
static struct {
	char       *key;            /* the [oauth] it came from */
	char       *token;          /* in token_page; NULL: none */
	long long   expires;        /* real clock; 0: this cycle only */
	long long   life;           /* seconds it was granted for */
	unsigned long cycle;        /* when it was fetched */
	/* this cycle */
	unsigned long now_cycle;
	int         forced;         /* a refused login fetched one already */
	enum dmn    failed;         /* a fetch failed: DMN_OK when not */
	char       *failed_why;
	/* an endpoint that cannot be reached waits */
	long long   next_try;
	int         failures;
	/* the refresh token file whose token the endpoint refused */
	int         refused;
	struct stat refused_st;
	char       *refused_why;
} tk;

static char *token_page;

/* What each account did since the last account_record(). */
static struct {
	int         tried, ok, needs_person;
	int         dirty;          /* not written to the store yet */
	char       *error;
} did[ACCOUNT_COUNT];

const char *
account_name(enum account a)
{
	return a == ACCOUNT_IMAP ? "imap" : "smtp";
}

static const struct endpoint *
endpoint_of(const struct config *cfg, enum account a)
{
	return a == ACCOUNT_IMAP ? &cfg->imap : &cfg->smtp;
}

static long long
real_now(void)
{
	return (long long)time(NULL);
}

static void
drop_token(void)
{
	if (tk.token != NULL)
		explicit_bzero(tk.token, TOKEN_ROOM);
	tk.token = NULL;
	tk.expires = tk.life = 0;
}

void
account_reset(void)
{
	size_t i;

	drop_token();
	free(tk.key);
	free(tk.refused_why);
	free(tk.failed_why);
	memset(&tk, 0, sizeof tk);
	for (i = 0; i < ACCOUNT_COUNT; i++)
		free(did[i].error);
	memset(did, 0, sizeof did);
}

void
account_cycle_begin(void)
{
	int a;

	tk.now_cycle++;
	tk.forced = 0;
	tk.failed = DMN_OK;
	free(tk.failed_why);
	tk.failed_why = NULL;
	for (a = 0; a < ACCOUNT_COUNT; a++)
		did[a].tried = 0;
	/* token_command's token is good for one cycle. */
	if (tk.token != NULL && tk.expires == 0)
		drop_token();
}

/* Keep token in the pages core dumps leave out; 0, or -1 when it is too
 * long to keep. */
static int
keep_token(const char *token)
{
	size_t n = strlen(token);

	if (n >= TOKEN_ROOM)
		return -1;
	if (token_page == NULL) {
		token_page = mmap(NULL, TOKEN_ROOM, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (token_page == MAP_FAILED)
			fatal("mmap");
		if (madvise(token_page, TOKEN_ROOM, MADV_DONTDUMP) == -1)
			log_warn("madvise MADV_DONTDUMP: the access token may "
			    "appear in a core dump");
	}
	drop_token();
	memcpy(token_page, token, n + 1);
	tk.token = token_page;
	tk.cycle = tk.now_cycle;
	return 0;
}

/* A token fetched under other [oauth] settings (a reload) is not ours. */
static void
same_settings(const struct oauth_config *o)
{
	char *key = xasprintf("%d|%s|%s|%s|%s|%s", (int)o->provider,
	    o->token_url ? o->token_url : "", o->client_id ? o->client_id : "",
	    o->scope ? o->scope : "", o->refresh_token_file ?
	    o->refresh_token_file : "", o->token_command ? o->token_command :
	    "");

	if (tk.key != NULL && strcmp(tk.key, key) == 0) {
		free(key);
		return;
	}
	drop_token();
	free(tk.key);
	tk.key = key;
	tk.next_try = 0;
	tk.failures = 0;
	tk.refused = 0;
}

static int
expiring(long long now)
{
	long long margin = tk.life / 4 < MARGIN ? tk.life / 4 : MARGIN;

	return tk.expires != 0 && now >= tk.expires - margin;
}

/* The refresh token file is the one the endpoint refused, unchanged. */
static int
still_refused(const struct oauth_config *o)
{
	struct stat st;

	if (!tk.refused)
		return 0;
	if (stat(o->refresh_token_file, &st) == 0 &&
	    st.st_ino == tk.refused_st.st_ino &&
	    st.st_size == tk.refused_st.st_size &&
	    st.st_mtim.tv_sec == tk.refused_st.st_mtim.tv_sec &&
	    st.st_mtim.tv_nsec == tk.refused_st.st_mtim.tv_nsec)
		return 1;
	tk.refused = 0;
	return 0;
}

/* A rotated refresh token replaces the file now: the old one may stop
 * working as soon as the new one is issued. */
static void
rotated(const struct oauth_config *o, const char *old, const char *fresh)
{
	char *err = NULL;

	if (fresh == NULL || *fresh == '\0' || strcmp(old, fresh) == 0)
		return;
	if (oauth_refresh_write(o, fresh, &err) == -1) {
		log_warnx("%s; the new refresh token is lost when convened "
		    "stops: run convened authorize", err);
		free(err);
		return;
	}
	log_info("refresh token rotated by the provider: %s replaced",
	    o->refresh_token_file);
}

/* The refresh grant, with the file's token.  The grant goes in tk. */
static enum dmn
refresh(const struct oauth_config *o, long long now, char **why)
{
	struct oauth_grant g;
	char *rt;
	enum dmn r;

	if (still_refused(o)) {
		*why = xstrdup(tk.refused_why);
		return DMN_BAD_ACCOUNT;
	}
	if (tk.next_try > now) {
		*why = xasprintf("the token endpoint %s failed %d time%s: next "
		    "try in %lld s", o->token_url, tk.failures,
		    tk.failures == 1 ? "" : "s", tk.next_try - now);
		return DMN_TEMP;
	}
	if ((rt = oauth_refresh_read(o, why)) == NULL)
		return DMN_BAD_ACCOUNT;
	if ((r = oauth_refresh(o, rt, &g, why)) == DMN_OK) {
		tk.failures = 0;
		tk.next_try = 0;
		rotated(o, rt, g.refresh_token);
		if (keep_token(g.access_token) == -1) {
			*why = xstrdup("the access token is too long to keep");
			r = DMN_TEMP;
		} else {
			/* No lifetime said: good for this cycle only. */
			tk.life = g.expires_in > 0 ? g.expires_in : 0;
			tk.expires = tk.life > 0 ? now + tk.life : 0;
			log_debug("access token obtained, valid for %lld s",
			    tk.life);
		}
	} else if (r == DMN_TEMP) {
		long long wait = BACKOFF_FIRST;
		int i;

		for (i = 0; i < tk.failures && wait < BACKOFF_MAX; i++)
			wait *= 2;
		tk.failures++;
		tk.next_try = now + (wait < BACKOFF_MAX ? wait : BACKOFF_MAX);
	} else if (stat(o->refresh_token_file, &tk.refused_st) == 0) {
		tk.refused = 1;
		free(tk.refused_why);
		tk.refused_why = xstrdup(*why);
	}
	oauth_grant_clear(&g);
	oauth_secret_free(rt);
	return r;
}

static enum dmn
command_token(const struct oauth_config *o, char **why)
{
	char *t = NULL;
	enum dmn r;

	if ((r = oauth_command(o, &t, why)) == DMN_OK) {
		if (keep_token(t) == -1) {
			*why = xstrdup("token_command printed a token too long "
			    "to keep");
			r = DMN_BAD_ACCOUNT;
		}
		tk.expires = tk.life = 0;
	}
	oauth_secret_free(t);
	return r;
}

static void
failed(enum account a, const char *error, int needs_person)
{
	char *copy = error != NULL ? xstrdup(error) : NULL;

	did[a].tried = did[a].dirty = 1;
	did[a].ok = 0;
	did[a].needs_person = needs_person;
	free(did[a].error);
	did[a].error = copy;
}

/* The access token for account a: one line logged per cycle when there
 * is none. */
static enum dmn
token_for(const struct config *cfg, enum account a, char **secret)
{
	const struct oauth_config *o = &cfg->oauth;
	long long now = real_now();
	char *why = NULL;
	enum dmn r;

	same_settings(o);
	if (tk.failed != DMN_OK) {
		failed(a, tk.failed_why, tk.failed == DMN_BAD_ACCOUNT);
		return tk.failed;
	}
	if (tk.token == NULL || expiring(now)) {
		r = o->token_command != NULL ? command_token(o, &why) :
		    refresh(o, now, &why);
		if (r != DMN_OK) {
			tk.failed = r;
			tk.failed_why = xstrdup(why);
			log_warnx("cannot get an access token: %s; mail waits%s",
			    why, r == DMN_BAD_ACCOUNT && o->token_command == NULL ?
			    ": run convened authorize" : "");
			failed(a, why, r == DMN_BAD_ACCOUNT);
			free(why);
			return r;
		}
	}
	*secret = xstrdup(tk.token);
	return DMN_OK;
}

enum dmn
account_secret(const struct config *cfg, enum account a, char **secret,
    char **err)
{
	const struct endpoint *ep = endpoint_of(cfg, a);

	*secret = NULL;
	if (ep->auth == AUTH_NONE || (ep->auth == AUTH_PASSWORD &&
	    ep->username == NULL))
		return DMN_OK;
	if (CONFIG_AUTH_OAUTH(ep->auth))
		return token_for(cfg, a, secret);
	if ((*secret = config_read_password(ep, err)) == NULL) {
		failed(a, *err, 1);
		return DMN_BAD_ACCOUNT;
	}
	return DMN_OK;
}

int
account_retry(const struct config *cfg, enum account a)
{
	if (!CONFIG_AUTH_OAUTH(endpoint_of(cfg, a)->auth) || tk.forced ||
	    tk.token == NULL || tk.cycle == tk.now_cycle)
		return 0;
	log_info("%s refused the access token from an earlier cycle: getting "
	    "a new one", account_name(a));
	tk.forced = 1;
	drop_token();
	return 1;
}

void
account_result(const struct config *cfg, enum account a, int ok,
    const char *error, int login_refused)
{
	char *why;

	if (ok) {
		did[a].tried = did[a].ok = did[a].dirty = 1;
		did[a].needs_person = 0;
		free(did[a].error);
		did[a].error = NULL;
		return;
	}
	if (!login_refused || !CONFIG_AUTH_OAUTH(endpoint_of(cfg, a)->auth)) {
		failed(a, error, login_refused);
		return;
	}
	why = xasprintf("%s (the server refused a fresh access token: check "
	    "the scope granted, and run convened authorize)",
	    error ? error : "login refused");
	failed(a, why, 1);
	free(why);
}

int
account_record(const struct config *cfg, struct store *st, long long now,
    char **err)
{
	struct store_account_in in;
	const struct endpoint *ep;
	int a;

	for (a = 0; a < ACCOUNT_COUNT; a++) {
		if (!did[a].dirty)
			continue;
		ep = endpoint_of(cfg, (enum account)a);
		memset(&in, 0, sizeof in);
		in.name = account_name((enum account)a);
		in.auth = config_auth_name(ep->auth);
		in.ok = did[a].ok;
		in.now = now;
		in.error = did[a].error != NULL ? did[a].error :
		    "unknown error";
		in.token_expires = CONFIG_AUTH_OAUTH(ep->auth) &&
		    tk.token != NULL && tk.expires > 0 ? tk.expires : -1;
		if (store_account_set(st, &in, err) == -1)
			return -1;
		did[a].dirty = 0;
	}
	return 0;
}

/* One account's notice, when its outage is new to the admin. */
static int
notice_one(const struct cycle_ctx *c, enum account a, char **err)
{
	const struct endpoint *ep = endpoint_of(c->cfg, a);
	char since[32], *ref;
	struct tvar vars[4];
	struct letter l;
	int rc;

	if ((rc = store_account_noticed(c->st, account_name(a), c->now,
	    err)) <= 0)
		return rc;
	snprintf(since, sizeof since, "%lld", c->now);
	vars[0] = (struct tvar){ "account", account_name(a) };
	vars[1] = (struct tvar){ "server", ep->url };
	vars[2] = (struct tvar){ "error", did[a].error };
	vars[3] = (struct tvar){ "auth", config_auth_name(ep->auth) };
	ref = xasprintf("%s-%s", account_name(a), since);
	memset(&l, 0, sizeof l);
	l.kind = "auth-notice";
	l.to = c->cfg->admin;
	l.ref = ref;
	l.vars = vars;
	l.nvars = 4;
	rc = letter_queue(c->cfg, c->st, &l, c->now, err);
	free(ref);
	if (rc == -1)
		return -1;
	c->cs->queued += rc;
	log_info("%s: notice of the failed authorization queued for the "
	    "admin %s", account_name(a), c->cfg->admin);
	return 1;
}

/* A notice that could not be queued waits for the next cycle (its
 * "noticed" mark went with the rollback): broken templates are told once
 * as their outage, a letter's own failure is logged; only the state db's
 * failure stops the cycle. */
static int
notice_failed(const struct cycle_ctx *c, enum account a, char **err)
{
	char *terr = NULL;
	int rc;

	if (store_failure(c->st) >= STORE_FAIL_ENV)
		return -1;
	if ((rc = outage_templates(c->cfg, c->st, c->now, &terr)) == -1) {
		free(*err);
		*err = terr;
		return -1;
	}
	if (rc == 0)
		log_warnx("%s: cannot queue the admin's notice of the failed "
		    "authorization: %s; trying again next cycle",
		    account_name(a), *err != NULL ? *err : "unknown error");
	else
		log_debug("%s: the admin's notice waits for the templates: %s",
		    account_name(a), *err != NULL ? *err : "unknown error");
	free(*err);
	*err = NULL;
	return 0;
}

int
account_notice(const struct cycle_ctx *c, char **err)
{
	int a;

	if (c->cfg->admin == NULL || (did[ACCOUNT_SMTP].tried &&
	    !did[ACCOUNT_SMTP].ok))
		return 0;
	for (a = 0; a < ACCOUNT_COUNT; a++) {
		if (!did[a].tried || did[a].ok || !did[a].needs_person)
			continue;
		/* The notice goes by SMTP: not when it is SMTP's own token
		 * that failed. */
		if (a == ACCOUNT_IMAP && tk.failed != DMN_OK &&
		    CONFIG_AUTH_OAUTH(c->cfg->smtp.auth))
			continue;
		if (store_begin(c->st) == -1) {
			*err = xstrdup("cannot begin the admin's notice in the "
			    "state db");
			return -1;
		}
		if (notice_one(c, (enum account)a, err) == -1) {
			store_rollback(c->st);
			if (notice_failed(c, (enum account)a, err) == -1)
				return -1;
			continue;
		}
		if (store_commit(c->st) == -1) {
			store_rollback(c->st);
			*err = xstrdup("cannot commit the admin's notice");
			return -1;
		}
	}
	return 0;
}
