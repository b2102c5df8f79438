/* notice.h: mail to a group's coordinators that goes once: an address
 * that bounces (here), the quota and coordination-rule warnings
 * (quota.c), the agenda and minutes requests and reminders (agenda.c).
 *
 * (group, kind, key) is recorded in the store in the same transaction that
 * queues the messages, so a restart, a second cycle or a second process
 * never repeats one. */
#ifndef CONVENED_NOTICE_H
#define CONVENED_NOTICE_H

#include "letter.h"

struct cycle_ctx;
struct group;

struct notice {
	/* The letter each reader gets (letter.h): kind and group are
	 * required, ref is the notice's key (unique within group and kind),
	 * to is filled in for each reader. */
	struct letter letter;
	const char   *skip;     /* an address not to write to, or NULL */
	int           copy_admin;   /* also to [policy] admin */
};

/* Queue n to every coordinator of its group (each as letter.h reads them)
 * and, when asked, to the admin, unless it was recorded before.  Adds the
 * messages queued to c->cs->queued.  Returns 1 queued, 0 recorded before,
 * -1 error (*err set, caller frees).  The caller holds the transaction. */
int notice_queue(const struct cycle_ctx *c, const struct notice *n,
        char **err);

/* Tell g's coordinators, once per address, about members whose address
 * bounces permanently (cycle.h's per-group step).  0, or -1 with *err. */
int notice_bounces(const struct cycle_ctx *c, const struct group *g,
        char **err);

#endif
