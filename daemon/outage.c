/*
 * outage.c: a part of the environment down, told once, tried again with
 * backoff (see outage.h).
 */
#include <stdlib.h>
#include <string.h>

#include "archive.h"
#include "config.h"
#include "letter.h"
#include "log.h"
#include "outage.h"
#include "store.h"
#include "template.h"
#include "util.h"

#define FIRST_WAIT  60          /* seconds after the first failed try */
#define LONGEST     3600        /* never more between two tries */
#define STATE_DB    "state db"

/* The wait after the n-th failed try in a row: doubling from a minute. */
static long long
backoff(int tries)
{
	long long d = FIRST_WAIT;

	while (--tries > 0 && d < LONGEST)
		d *= 2;
	return d < LONGEST ? d : LONGEST;
}

char *
outage_group(const char *group_id)
{
	return xasprintf("%s/%s", OUTAGE_REPOSITORY, group_id);
}

/* Where the resource is: its path, or paths (caller frees). */
static char *
path_of(const struct config *cfg, const char *resource)
{
	size_t n = strlen(OUTAGE_REPOSITORY);

	if (strcmp(resource, OUTAGE_REPOSITORY) == 0)
		return xstrdup(cfg->repository);
	if (strncmp(resource, OUTAGE_REPOSITORY, n) == 0 && resource[n] == '/')
		return xasprintf("%s%s", cfg->repository, resource + n);
	if (strcmp(resource, OUTAGE_TEMPLATES) == 0)
		return cfg->templates_local != NULL ? xasprintf("%s, %s",
		    cfg->templates_local, cfg->templates) :
		    xstrdup(cfg->templates);
	if (strcmp(resource, STATE_DB) == 0)
		return xstrdup(cfg->state);
	if (strcmp(resource, OUTAGE_HISTORY) == 0)
		return xasprintf("%s/.git", cfg->repository);
	if (strcmp(resource, OUTAGE_PUBLISH) == 0)
		return xstrdup(cfg->publish ? cfg->publish : "");
	return xstrdup(resource);
}

/* What the resource is, for the log (caller frees). */
static char *
what(const struct config *cfg, const char *resource)
{
	char *path = path_of(cfg, resource), *s;
	const char *kind = strcmp(resource, OUTAGE_REPOSITORY) == 0 ?
	    "the repository" : strcmp(resource, OUTAGE_TEMPLATES) == 0 ?
	    "the templates in" : strcmp(resource, STATE_DB) == 0 ?
	    "the state db" : strcmp(resource, OUTAGE_HISTORY) == 0 ?
	    "the git history" : strcmp(resource, OUTAGE_PUBLISH) == 0 ?
	    "the publishing remote" : "the group directory";

	s = xasprintf("%s %s", kind, path);
	free(path);
	return s;
}

/* The times of an outage, in the admin's language and zone. */
struct span {
	long long since, until;         /* until < 0: not over */
};

/* letter.h's vars_for. */
static void
span_for(void *arg, struct letter_vars *lv, const char *lang, const char *tz)
{
	const struct span *sp = arg;

	letter_vars_take(lv, "since", template_when(lang, sp->since, tz));
	if (sp->until >= 0)
		letter_vars_take(lv, "until", template_when(lang, sp->until, tz));
}

/* One letter to the admin, in the caller's transaction.  A failure is
 * logged: the log line said it already, and a broken template may be
 * the very outage. */
static void
tell_admin(const struct config *cfg, struct store *st, const char *resource,
    const char *why, const struct span *sp, long long now)
{
	char *ref, *desc, *err = NULL;
	struct letter l;

	if (cfg->admin == NULL)
		return;
	desc = path_of(cfg, resource);
	ref = xasprintf("%s@%lld", resource, sp->since);
	{
		const struct tvar vars[] = {
			{ "resource", desc },
			{ "error", why },
		};

		memset(&l, 0, sizeof l);
		l.kind = "outage-notice";
		l.to = cfg->admin;
		l.ref = ref;
		l.vars = vars;
		l.nvars = 2;
		l.vars_for = span_for;
		l.arg = (void *)sp;
		if (letter_queue(cfg, st, &l, now, &err) < 0) {
			log_warnx("cannot tell the admin that %s is unavailable: %s",
			    desc, err);
			free(err);
		}
	}
	free(ref);
	free(desc);
}

int
outage_due(struct store *st, const char *resource, long long now,
    char **err)
{
	struct store_outage o;
	int rc;

	if ((rc = store_outage_get(st, resource, &o, err)) <= 0)
		return rc == 0 ? OUTAGE_UP : -1;
	free(o.error);
	return now >= o.next_try ? OUTAGE_TRY : OUTAGE_WAIT;
}

int
outage_repository_due(struct store *st, const char *group_id, long long now,
    char **err)
{
	char *res = outage_group(group_id);
	int a, b;

	a = outage_due(st, OUTAGE_REPOSITORY, now, err);
	b = a == -1 ? -1 : outage_due(st, res, now, err);
	free(res);
	if (a == -1 || b == -1)
		return -1;
	if (a == OUTAGE_WAIT || b == OUTAGE_WAIT)
		return OUTAGE_WAIT;
	return a == OUTAGE_TRY || b == OUTAGE_TRY ? OUTAGE_TRY : OUTAGE_UP;
}

int
outage_repository_failed(const struct config *cfg, struct store *st,
    const char *group_id, int r, const char *why, long long now, char **err)
{
	char *res;
	int rc;

	if (r == ARCHIVE_REPOSITORY)
		return outage_failed(cfg, st, OUTAGE_REPOSITORY, why, now, err) ==
		    -1 ? -1 : 1;
	if (r != ARCHIVE_GROUP)
		return 0;
	res = outage_group(group_id);
	rc = outage_failed(cfg, st, res, why, now, err);
	free(res);
	return rc == -1 ? -1 : 1;
}

int
outage_repository_ok(const struct config *cfg, struct store *st,
    const char *group_id, long long now, char **err)
{
	char *res = outage_group(group_id);
	int rc;

	rc = outage_ok(cfg, st, OUTAGE_REPOSITORY, now, err) == -1 ||
	    outage_ok(cfg, st, res, now, err) == -1 ? -1 : 0;
	free(res);
	return rc;
}

/* Record the failure; a new outage is logged and told. */
static int
record(const struct config *cfg, struct store *st, const char *resource,
    const char *why, long long now, char **err)
{
	struct store_outage o;
	struct span sp;
	char *desc;
	int rc;

	memset(&o, 0, sizeof o);
	if ((rc = store_outage_get(st, resource, &o, err)) == -1)
		return -1;
	if (rc == 0)
		o.since = now;
	o.tries++;
	o.next_try = now + backoff(o.tries);
	free(o.error);
	o.error = xstrdup(why);
	rc = store_outage_put(st, resource, &o, err);
	free(o.error);
	if (rc == -1)
		return -1;
	desc = what(cfg, resource);
	if (o.tries == 1) {
		log_warnx("cannot use %s: %s; what needs it waits, tried again "
		    "with backoff", desc, why);
		sp.since = o.since;
		sp.until = -1;
		tell_admin(cfg, st, resource, why, &sp, now);
	} else
		log_debug("%s still unavailable (try %d): %s", desc, o.tries,
		    why);
	free(desc);
	return 0;
}

int
outage_failed(const struct config *cfg, struct store *st,
    const char *resource, const char *why, long long now, char **err)
{
	if (store_begin(st) == -1) {
		*err = xasprintf("cannot record that %s is unavailable in the "
		    "state db", resource);
		return -1;
	}
	if (record(cfg, st, resource, why, now, err) == -1) {
		store_rollback(st);
		return -1;
	}
	if (store_commit(st) == -1) {
		store_rollback(st);
		*err = xasprintf("cannot record that %s is unavailable in the "
		    "state db", resource);
		return -1;
	}
	return 0;
}

int
outage_ok(const struct config *cfg, struct store *st, const char *resource,
    long long now, char **err)
{
	struct store_outage o;
	char *desc;
	int rc;

	if ((rc = store_outage_get(st, resource, &o, err)) <= 0)
		return rc;
	free(o.error);
	if (store_outage_end(st, resource, err) == -1)
		return -1;
	desc = what(cfg, resource);
	log_info("%s works again, after %lld min unavailable", desc,
	    (now - o.since) / 60);
	free(desc);
	return 0;
}

int
outage_templates(const struct config *cfg, struct store *st, long long now,
    char **err)
{
	struct diag d;
	size_t i;
	int rc = 0;

	diag_init(&d);
	if (template_check(cfg, &d) > 0) {
		for (i = 0; i < d.n && !d.is_error[i]; i++)
			;
		rc = outage_failed(cfg, st, OUTAGE_TEMPLATES, i < d.n ?
		    d.text[i] : "a template is broken", now, err) == -1 ? -1 : 1;
	}
	diag_free(&d);
	return rc;
}

/* ---- the state db, in the process ---------------------------------------- */

static struct {
	int        down;
	int        tries;
	long long  since, next_try;
	char      *why;
} state_db;

int
outage_store_due(long long now)
{
	return !state_db.down || now >= state_db.next_try;
}

void
outage_store_failed(const struct config *cfg, const char *why, long long now)
{
	char *desc = what(cfg, STATE_DB);

	if (!state_db.down) {
		state_db.down = 1;
		state_db.tries = 0;
		state_db.since = now;
		log_warnx("cannot use %s: %s; the cycle stopped there, tried "
		    "again with backoff", desc, why);
	} else
		log_debug("%s still unavailable (try %d): %s", desc,
		    state_db.tries + 1, why);
	state_db.tries++;
	state_db.next_try = now + backoff(state_db.tries);
	free(state_db.why);
	state_db.why = xstrdup(why);
	free(desc);
}

void
outage_store_ok(const struct config *cfg, struct store *st, long long now)
{
	struct span sp;
	char *desc;

	if (!state_db.down)
		return;
	desc = what(cfg, STATE_DB);
	log_info("%s works again, after %lld min unavailable", desc,
	    (now - state_db.since) / 60);
	free(desc);
	sp.since = state_db.since;
	sp.until = now;
	if (cfg->admin != NULL && store_begin(st) == 0) {
		tell_admin(cfg, st, STATE_DB, state_db.why, &sp, now);
		if (store_commit(st) == -1)
			store_rollback(st);
	}
	state_db.down = 0;
	free(state_db.why);
	state_db.why = NULL;
}
