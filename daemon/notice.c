/*
 * notice.c: letters to the coordinators that go once (see notice.h).
 */
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "cycle.h"
#include "letter.h"
#include "log.h"
#include "notice.h"
#include "store.h"
#include "template.h"
#include "util.h"

static int
queue_to(const struct cycle_ctx *c, const struct notice *n, const char *to,
    char **err)
{
	struct letter l = n->letter;
	int rc;

	l.to = to;
	if ((rc = letter_queue(c->cfg, c->st, &l, c->now, err)) == 1)
		c->cs->queued++;
	return rc < 0 ? -1 : 0;
}

int
notice_queue(const struct cycle_ctx *c, const struct notice *n, char **err)
{
	const struct group *g = n->letter.group;
	const struct member *m;
	size_t i;
	int rc;

	if ((rc = store_warning_add(c->st, g->id, n->letter.kind,
	    n->letter.ref, c->now, err)) <= 0)
		return rc;
	for (i = 0; i < g->nmembers; i++) {
		m = &g->members[i];
		if (!m->coordinator ||
		    (n->skip != NULL && strcmp(n->skip, m->email) == 0))
			continue;
		if (queue_to(c, n, m->email, err) == -1)
			return -1;
	}
	if (n->copy_admin && c->cfg->admin != NULL &&
	    queue_to(c, n, c->cfg->admin, err) == -1)
		return -1;
	log_info("%s: %s %s queued for the coordinators%s", g->id,
	    n->letter.kind, n->letter.ref, n->copy_admin ? " and the admin" :
	    "");
	return 1;
}

int
notice_bounces(const struct cycle_ctx *c, const struct group *g, char **err)
{
	char **bad = NULL, *status;
	size_t nbad = 0, i;
	int rc = 0;

	/* Bounces come with mail read or sent, which runs every group. */
	cycle_due(c, CYCLE_NEVER);
	if (store_group_bouncing(c->st, g->id, &bad, &nbad, err) == -1)
		return -1;
	for (i = 0; i < nbad && rc == 0; i++) {
		const struct member *m = config_member(g, bad[i]);
		struct tvar vars[3];
		struct notice n;

		status = store_bounce_status(c->st, bad[i]);
		vars[0] = (struct tvar){ "address", bad[i] };
		vars[1] = (struct tvar){ "address_name",
		    m && m->name ? m->name : bad[i] };
		vars[2] = (struct tvar){ "reason", status ? status : "" };
		memset(&n, 0, sizeof n);
		n.letter.kind = "bounce-notice";
		n.letter.group = g;
		n.letter.ref = bad[i];
		n.letter.vars = vars;
		n.letter.nvars = 3;
		n.skip = bad[i];
		rc = notice_queue(c, &n, err) < 0 ? -1 : 0;
		free(status);
	}
	strv_free(bad, nbad);
	return rc;
}
