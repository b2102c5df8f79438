#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "notice.h"
#include "outbox.h"
#include "plan.h"
#include "store.h"
#include "template.h"
#include "util.h"

static int
queue_to(const struct config *cfg, struct store *st, const struct group *g,
    const struct notice *n, const char *email, const char *name,
    const char *lang, const char *tz, long long now, int *queued,
    char **err)
{
	struct plan_vars pv;
	struct outbox_msg om;
	char *mid;
	size_t i;
	int rc;

	memset(&pv, 0, sizeof pv);
	plan_vars_add(&pv, "member_name", name ? name : email);
	plan_vars_add(&pv, "member_email", email);
	plan_vars_add(&pv, "group_name", g->name);
	plan_vars_add(&pv, "group_id", g->id);
	plan_vars_add(&pv, "organizer_name", cfg->org_name);
	plan_vars_add(&pv, "organizer_email", cfg->org_email);
	for (i = 0; i < n->nvars; i++)
		plan_vars_add(&pv, n->vars[i].name, n->vars[i].value);
	if (n->vars_for != NULL)
		n->vars_for(n->arg, &pv, lang ? lang : g->language, tz);
	/* One id per notice and recipient: queueing it again is a no-op. */
	mid = xasprintf("notice.%s.%s.%08x.%08x@%s", n->kind, g->id,
	    str_hash32(n->key), str_hash32(email), addr_domain(cfg->org_email));
	memset(&om, 0, sizeof om);
	om.kind = n->kind;
	om.group_id = g->id;
	om.to_email = email;
	om.to_name = name;
	om.langs[0] = lang;
	om.langs[1] = g->language;
	om.langs[2] = cfg->language;
	om.vars = pv.v;
	om.nvars = pv.n;
	om.message_id = mid;
	rc = outbox_queue(cfg, st, &om, now, err);
	if (rc == 1)
		(*queued)++;
	free(mid);
	plan_vars_free(&pv);
	return rc < 0 ? -1 : 0;
}

int
notice_queue(const struct config *cfg, struct store *st,
    const struct group *g, const struct notice *n, long long now,
    int *queued, char **err)
{
	const struct member *m;
	size_t i;
	int rc;

	if ((rc = store_warning_add(st, g->id, n->kind, n->key, now, err)) <= 0)
		return rc;
	for (i = 0; i < g->nmembers; i++) {
		m = &g->members[i];
		if (!m->coordinator ||
		    (n->skip != NULL && strcmp(n->skip, m->email) == 0))
			continue;
		if (queue_to(cfg, st, g, n, m->email, m->name,
		    config_member_language(g, m), config_member_timezone(g, m),
		    now, queued, err) == -1)
			return -1;
	}
	if (n->copy_admin && cfg->admin != NULL &&
	    queue_to(cfg, st, g, n, cfg->admin, NULL, cfg->language,
	    cfg->timezone, now, queued, err) == -1)
		return -1;
	log_info("%s: %s notice %s queued", g->id, n->kind, n->key);
	return 1;
}

int
notice_bounces(const struct config *cfg, struct store *st, long long now,
    int *queued, char **err)
{
	char **bad = NULL, *status;
	size_t nbad = 0, i, j;
	int rc = 0;

	for (i = 0; i < cfg->ngroups && rc == 0; i++) {
		const struct group *g = &cfg->groups[i];

		if (store_group_bouncing(st, g->id, &bad, &nbad, err) == -1)
			return -1;
		if (nbad == 0)
			continue;
		if (store_begin(st) == -1) {
			strv_free(bad, nbad);
			*err = xstrdup("cannot begin a transaction in the state db");
			return -1;
		}
		for (j = 0; j < nbad && rc == 0; j++) {
			const struct member *m = config_member(g, bad[j]);
			const char *name = m ? m->name : NULL;
			struct tvar vars[3];
			struct notice n;

			status = store_bounce_status(st, bad[j]);
			vars[0] = (struct tvar){ "address", bad[j] };
			vars[1] = (struct tvar){ "address_name",
			    name ? name : bad[j] };
			vars[2] = (struct tvar){ "reason", status ? status : "" };
			memset(&n, 0, sizeof n);
			n.kind = "bounce-notice";
			n.key = bad[j];
			n.vars = vars;
			n.nvars = 3;
			n.skip = bad[j];
			rc = notice_queue(cfg, st, g, &n, now, queued, err) < 0 ?
			    -1 : 0;
			free(status);
		}
		if (rc == 0 ? store_commit(st) : store_rollback(st))
			rc = -1;
		strv_free(bad, nbad);
		bad = NULL;
		nbad = 0;
	}
	return rc;
}
