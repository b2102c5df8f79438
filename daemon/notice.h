/* notice.h: mail to a group's coordinators about the group itself: an
 * address that bounces now; quota and the coordination rule later.
 *
 * Every notice is sent once.  (group, kind, key) is recorded in the store
 * in the same transaction that queues the messages, so a restart, a
 * second cycle or a second process never repeats one. */
#ifndef CONVENED_NOTICE_H
#define CONVENED_NOTICE_H

#include <stddef.h>

struct config;
struct group;
struct plan_vars;
struct store;
struct tvar;

struct notice {
	const char *kind;        /* the template kind, e.g. "bounce-notice" */
	const char *key;         /* unique within group and kind */
	const struct tvar *vars; /* the kind's own variables, the same for
	                          * every reader; borrowed */
	size_t      nvars;
	/* Variables that depend on the reader (dates, words in their
	 * language, times in their zone): added for each one.  May be NULL. */
	void      (*vars_for)(void *arg, struct plan_vars *pv,
	                      const char *lang, const char *tz);
	void       *arg;
	const char *skip;        /* an address not to write to, or NULL */
	int         copy_admin;  /* also to [policy] admin */
};

/* Queue n to every coordinator of g (in each one's language) and, when
 * asked, to the admin (in the daemon's language and zone), unless it was
 * sent before.  The variables
 * member_name, member_email, group_name, group_id, organizer_name and
 * organizer_email are added for each recipient.  Returns 1 queued, 0 sent
 * before, -1 error (*err set, caller frees).  The caller holds the
 * transaction. */
int notice_queue(const struct config *, struct store *,
        const struct group *g, const struct notice *n, long long now,
        int *queued, char **err);

/* Tell each group's coordinators, once per address, about members whose
 * address bounces permanently.  One transaction per group.  Returns 0 or
 * -1 (*err set). */
int notice_bounces(const struct config *, struct store *, long long now,
        int *queued, char **err);

#endif
