/* repo.h: the repository's git history, and its copy at the publishing
 * remote.
 *
 * Every change convened makes below [daemon] repository becomes one git
 * commit (libgit2; only repo.c includes it): its author is the person
 * whose mail caused it (convened itself for feeds and pages), its
 * committer convened, its message names the group, the meeting, the kind
 * and the mail's Message-ID.
 *
 * The one path for every writer (archive, feeds, the site, and whatever
 * else comes to write into the repository):
 *
 *   1. repo_commit() journals the change, a row in the store, in the same
 *      transaction as the record the files belong to.  A file written
 *      before the row (a new item: archive.h never overwrites) is in
 *      place when the row commits; a file replaced in place (a feed, a
 *      page) is journaled before it is written.  Either way, once the
 *      row is there the files it names are what the next commit takes.
 *   2. repo_flush(), after the cycle's transactions, commits the journal
 *      oldest first: the named paths are read from disk into the index,
 *      a tree is written, the commit made and HEAD moved (objects and refs
 *      synced, GIT_OPT_ENABLE_FSYNC_GITDIR), and only then the row goes.
 *      The commit's message ends with "Convened-Journal: <row id>": after
 *      a crash between the commit and the row's removal, the row is
 *      recognised as committed and dropped, never committed twice.  A
 *      change that left the tree as it was (a write that failed) makes no
 *      commit.
 *   3. Anything else found changed on disk (a crash before the journal
 *      row, a writer that did not journal) is committed last, as convened,
 *      kind "recovered": no file is ever left out of the history.  An
 *      existing plain directory is converted the same way on first use:
 *      one commit, kind "converted".
 *
 * Temporary files (util.h's ".tmp.*") are never committed
 * (.git/info/exclude). */
#ifndef CONVENED_REPO_H
#define CONVENED_REPO_H

#include <stddef.h>

struct config;
struct store;

/* One change.  Strings are read during the call only. */
struct repo_change {
	const char *author_name;   /* the person whose mail caused it; NULL
	                            * (with author_email NULL): convened */
	const char *author_email;
	const char *group_id;      /* NULL: the whole repository */
	const char *meeting_uid;   /* NULL: no meeting */
	const char *kind;          /* minutes, agreement, document, refused,
	                            * calendar, site... */
	const char *message_id;    /* the mail's; NULL for none */
	const char *const *paths;  /* relative to the repository; a path
	                            * ending in '/' is the directory's whole
	                            * tree, files gone from it included */
	size_t      npaths;
	long long   at;            /* when it was made: the author's date */
};

/* 1 when p may name a file of the repository: relative, no "." or ".."
 * component, no control character (a line of the journal each); else 0. */
int repo_path_ok(const char *p);

/* Journal c for the next repo_flush(), in the caller's transaction if it
 * holds one.  0, or -1 when the store failed (*err set, caller frees). */
int repo_commit(struct store *, const struct repo_change *c, char **err);

/* repo_commit() of a change convened makes of itself (a feed, a page, a
 * record rebuilt from the store): no author, no meeting, no Message-ID.
 * 0 / -1 as repo_commit(). */
int repo_commit_convened(struct store *, const char *group_id,
        const char *kind, const char *const *paths, size_t npaths,
        long long at, char **err);

/* Commit what is journaled, then anything else changed on disk, as
 * described above; the repository's git directory is made (initial
 * branch "main") when missing.  *commits (may be NULL) counts the commits
 * made.  0; 1 when the git history cannot be written (*err set: the
 * journal stays and the next flush tries again); -1 when the store
 * failed (*err set). */
int repo_flush(const struct config *, struct store *, long long now,
        int *commits, char **err);

/* Push HEAD's branch to [daemon] publish, when set and when HEAD is not
 * what was pushed last (.git/convened-published holds that).  A failure
 * is an outage of OUTAGE_PUBLISH (outage.h: told once, tried again with
 * backoff); nothing is lost, the next push carries every commit.
 * 0, or -1 when the store failed (*err set). */
int repo_publish(const struct config *, struct store *, long long now,
        char **err);

/* The cycle's step: the site written (site.h) when something changed
 * (the pages of the groups whose byte in only is set; only NULL: all),
 * the journal flushed, the remote pushed.  Nothing while the repository
 * is down (OUTAGE_REPOSITORY: the journal waits); a site or a history
 * that cannot be written is an outage of OUTAGE_HISTORY, told once, and
 * stops nothing else.  0, or -1 when the
 * store failed (*err set). */
int repo_cycle(const struct config *, struct store *, long long now,
        const unsigned char *only, char **err);

#endif
