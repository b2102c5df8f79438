/* outage.h: the environment failing, told apart from a message failing,
 * told once and tried again with backoff.
 *
 * A resource is a part of the environment convened uses and does not
 * make: the repository (OUTAGE_REPOSITORY), one group's directory in it
 * (outage_group()), the templates (OUTAGE_TEMPLATES), and the state db
 * itself.  It is down from its first failure until a try succeeds:
 *  - going down: one log line, "cannot use <what>: <why>; ...", and, when
 *    [policy] admin is set and the store works, one outage-notice letter
 *    to the admin; while it stays down nothing more is said above debug
 *    level, however often it fails;
 *  - while down it waits 1, 2, 4 ... minutes after each failed try, at
 *    most an hour (outage_due()); what needs it waits too, and nothing is
 *    counted against a message for it;
 *  - the first try that succeeds ends it: one log line, how long it was.
 * The outages of the repository, of a group's directory and of the
 * templates are rows in the store (store.h): the next `once`, or a
 * restart, does not tell them again.  The state db's own is kept in the
 * process, since a store that fails cannot record it: the daemon tells
 * it once, and tells the admin once it has ended (the letter needs the
 * store); each `once` meeting it logs its one line. */
#ifndef CONVENED_OUTAGE_H
#define CONVENED_OUTAGE_H

struct config;
struct store;

#define OUTAGE_REPOSITORY "repository"
#define OUTAGE_TEMPLATES  "templates"
/* The repository's git history, and the remote it is pushed to
 * ([daemon] publish): repo.h. */
#define OUTAGE_HISTORY    "history"
#define OUTAGE_PUBLISH    "publish"

/* The resource of group_id's directory in the repository (caller
 * frees). */
char *outage_group(const char *group_id);

/* Whether resource may be used at now: OUTAGE_UP, OUTAGE_TRY (it is
 * down and its next try has come: a success then calls outage_ok()),
 * OUTAGE_WAIT; -1 when the store failed (*err set, caller frees). */
enum { OUTAGE_WAIT, OUTAGE_UP, OUTAGE_TRY };
int  outage_due(struct store *, const char *resource, long long now,
         char **err);

/* resource failed at now, for why: recorded (a new outage logged and
 * told, a known one tried again later), in a transaction of its own: the
 * caller holds none.  0, or -1 when the store failed (*err set). */
int  outage_failed(const struct config *, struct store *,
         const char *resource, const char *why, long long now, char **err);

/* resource worked at now: its outage, if there was one, ends with one log
 * line.  In the caller's transaction or outside one.  0, or -1 when the
 * store failed (*err set). */
int  outage_ok(const struct config *, struct store *, const char *resource,
         long long now, char **err);

/* The repository as a write for group_id needs it: the repository
 * itself and the group's directory in it, as outage_due() (the worse of
 * the two). */
int  outage_repository_due(struct store *, const char *group_id,
         long long now, char **err);
/* A write for group_id failed as r (archive.h): an outage of the
 * repository (ARCHIVE_REPOSITORY) or of the group's directory
 * (ARCHIVE_GROUP), as outage_failed(); 1 then, 0 for ARCHIVE_ITEM, which
 * is the item's own failure and no outage.  -1 when the store failed. */
int  outage_repository_failed(const struct config *, struct store *,
         const char *group_id, int r, const char *why, long long now,
         char **err);
/* A write for group_id worked: both outages end, as outage_ok(). */
int  outage_repository_ok(const struct config *, struct store *,
         const char *group_id, long long now, char **err);

/* The templates, once a letter failed: an outage of OUTAGE_TEMPLATES
 * when template_check() now finds a problem (1: the first problem is
 * the outage's reason), 0 when the templates are sound (the failure was
 * the letter's own), -1 when the store failed (*err set). */
int  outage_templates(const struct config *, struct store *, long long now,
         char **err);

/* The state db: 1 when it may be tried at now, 0 while it waits. */
int  outage_store_due(long long now);
/* It failed at now, for why (logged once per outage). */
void outage_store_failed(const struct config *, const char *why,
         long long now);
/* It worked for a whole cycle at now: an outage ends, logged, and the
 * admin is told of it, from when to when (best effort: a failure to queue
 * the letter is logged). */
void outage_store_ok(const struct config *, struct store *, long long now);

#endif
