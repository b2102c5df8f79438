/*
 * metrics.c: the node_exporter textfile (see metrics.h).  The exposition
 * format: "# HELP" and "# TYPE" before each metric's samples, one sample
 * a line, label values quoted.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cycle.h"
#include "ical.h"
#include "metrics.h"
#include "quota.h"
#include "store.h"
#include "util.h"

static void
head(struct buf *b, const char *name, const char *help)
{
	buf_addf(b, "# HELP %s %s\n# TYPE %s gauge\n", name, help, name);
}

/* A gauge for every account row that has the figure (v >= 0). */
static void
per_account(struct buf *b, const char *name, const char *help,
    const struct store_account *a, size_t n, size_t field)
{
	size_t i;
	int any = 0;

	for (i = 0; i < n; i++) {
		long long v = *(const long long *)((const char *)&a[i] + field);

		if (v < 0)
			continue;
		if (!any++)
			head(b, name, help);
		buf_addf(b, "%s{account=\"%s\",auth=\"%s\"} %lld\n", name,
		    a[i].name, a[i].auth, v);
	}
}

static void
accounts(struct buf *b, const struct store_account *a, size_t n)
{
	size_t i;

	if (n > 0)
		head(b, "convened_account_up", "Whether the account signed in "
		    "at its last try.");
	for (i = 0; i < n; i++)
		buf_addf(b, "convened_account_up{account=\"%s\",auth=\"%s\"} "
		    "%d\n", a[i].name, a[i].auth, a[i].ok);
	per_account(b, "convened_account_last_success_timestamp_seconds",
	    "When the account last signed in.", a, n,
	    offsetof(struct store_account, last_success));
	per_account(b, "convened_account_token_expiry_timestamp_seconds",
	    "When the account's OAuth access token expires.", a, n,
	    offsetof(struct store_account, token_expires));
}

static void
gauge(struct buf *b, const char *name, const char *help, long long v)
{
	head(b, name, help);
	buf_addf(b, "%s %lld\n", name, v);
}

/* Groups whose held and scheduled meetings this year fall short. */
static int
short_of_quota(const struct config *cfg, struct store *st, long long now,
    int *n, char **err)
{
	struct quota_year q;
	size_t i;

	*n = 0;
	for (i = 0; i < cfg->ngroups; i++) {
		const struct group *g = &cfg->groups[i];

		if (quota_year(cfg, g, st, ical_year_in_zone(now, g->timezone),
		    now, &q, err) == -1)
			return -1;
		*n += q.short_by > 0;
		quota_year_free(&q);
	}
	return 0;
}

char *
metrics_text(const struct config *cfg, struct store *st, long long now,
    const struct cycle_stats *cs, char **err)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct store_account *a;
	size_t n;
	int groups;

	if (store_accounts(st, &a, &n, err) == -1)
		return NULL;
	if (short_of_quota(cfg, st, now, &groups, err) == -1) {
		store_accounts_free(a, n);
		return NULL;
	}
	accounts(&b, a, n);
	store_accounts_free(a, n);
	gauge(&b, "convened_cycle_timestamp_seconds", "When the last cycle "
	    "ran.", now);
	gauge(&b, "convened_cycle_messages_sent", "Messages the last cycle "
	    "sent.", cs->sent);
	gauge(&b, "convened_cycle_messages_deferred", "Messages the last "
	    "cycle deferred, to be tried again.", cs->deferred);
	gauge(&b, "convened_cycle_messages_failed", "Messages the last cycle "
	    "gave up on.", cs->failed);
	gauge(&b, "convened_cycle_replies_applied", "Replies the last cycle "
	    "applied.", cs->replies_applied);
	gauge(&b, "convened_cycle_replies_refused", "Replies the last cycle "
	    "refused: their sender may not do what they ask.",
	    cs->replies_refused < 0 ? 0 : cs->replies_refused);
	gauge(&b, "convened_groups_short_of_quota", "Groups whose meetings "
	    "this year fall short of their quota.", groups);
	gauge(&b, "convened_messages_waiting", "Messages queued and not sent "
	    "yet.", cs->pending);
	return buf_detach(&b);
}

int
metrics_write(const struct config *cfg, struct store *st, long long now,
    const struct cycle_stats *cs, char **err)
{
	char *text;
	int rc;

	if ((text = metrics_text(cfg, st, now, cs, err)) == NULL)
		return -1;
	rc = file_write_path(cfg->metrics, text, strlen(text), 0644, err);
	free(text);
	return rc;
}
