/* testlib.h: what the cmocka tests share: a temporary workspace with a
 * global file, a groups directory, the repository's templates and a store
 * (with cmocka setup and teardown functions for it), the outbox rows a
 * step queued, and small file helpers.  Every function asserts (cmocka)
 * instead of returning errors. */
#ifndef CONVENED_TESTLIB_H
#define CONVENED_TESTLIB_H

#include <sys/types.h>

#include <stddef.h>

#include "cycle.h"

struct config;
struct store;
struct store_outbox;

struct tl_ws {
	char           dir[64];
	char          *global;       /* dir/convened.ini */
	struct config *cfg;          /* after tl_ws_group(), or NULL */
	struct store  *st;           /* dir/state.db, open */
	long long      seen;         /* last outbox row tl_outbox_new() gave */
};

/* A workspace in a new temporary directory named after tag.  The global
 * file points state and repository into it, templates at the project's,
 * SMTP and IMAP at loopback port 1 (nothing there), organizer
 * agenda@example.org, zone America/Santiago; `extra` is appended to it
 * (more sections, e.g. "[policy]\n..."), may be NULL. */
void tl_ws_init(struct tl_ws *, const char *tag, const char *extra);

/* Write groups.d/<file> and load the configuration again into ws->cfg,
 * which must be valid (its problems are printed otherwise). */
void tl_ws_group(struct tl_ws *, const char *file, const char *text);

/* Append text to the global file and load the configuration again
 * (tl_ws_reload), which must be valid. */
void tl_ws_global_add(struct tl_ws *, const char *text);
void tl_ws_reload(struct tl_ws *);

/* Close, free and remove the directory. */
void tl_ws_free(struct tl_ws *);

/* The group the reply tests share, planned: "ss" with coordinators Ana
 * (ministry) and Luis (secretariat; `luis_extra` is added to his section,
 * may be ""), member Kim, and a monthly series on third Wednesdays,
 * invited one meeting at a time (test_recur has it as one event), its
 * March meeting (17 March 2021, 18:00Z) invited on 1 March: three
 * invitations queued. */
void tl_ws_planned(struct tl_ws *, const char *tag, const char *luis_extra);

/* Run one per-group step of the cycle (cycle.h) for every group as if it
 * were `when`; no group may fail.  Returns the messages it queued. */
int    tl_step(struct tl_ws *, const char *name, cycle_group_fn *step,
           const char *when);

/* Store group gid of ws->cfg (not its members: the plan step does that),
 * and the meeting of its series on local date key (YYYYMMDD) as the
 * planner would: its UID, the series' summary, kind, zone and place, from
 * start (UTC) for the series' duration; cancelled (SEQUENCE 1) or not
 * (0).
 * Returns the UID (caller frees). */
char *tl_meeting(struct tl_ws *, const char *gid, const char *series,
    const char *key, long long start, int cancelled);

/* The address a reader answers a letter of ours at: the organizer's plus
 * address "agenda+TOKEN@example.org" with addr's reply token for scope
 * (token.h: kind 'm' a meeting's UID, 'g' a group id, 'h' a held
 * message's Message-ID).  Caller frees. */
char *tl_reply_to(struct tl_ws *, int kind, const char *scope,
          const char *addr);

/* cmocka setup functions: *state becomes a new workspace (a struct tl_ws),
 * tl_setup_planned()'s with the planned group of tl_ws_planned() in which
 * Luis writes English, tl_setup_ws()'s with `extra` in its global file
 * (call it from a setup of your own).  tl_teardown() frees either. */
int tl_setup_ws(void **state, const char *extra);
int tl_setup_planned(void **state);
int tl_teardown(void **state);

/* The outbox rows queued since the last call (every row, due or not, that
 * came after ws->seen), oldest first; ws->seen moves past them.  Free with
 * store_outbox_free(rows, *n). */
struct store_outbox *tl_outbox_new(struct tl_ws *, size_t *n);

/* Queue an "invite" row message_id to rcpt at now, its text
 * "Subject: x\r\n\r\nhello\r\n"; its row id. */
long long tl_outbox_add(struct tl_ws *, const char *message_id,
          const char *rcpt, long long now);

/* The next three look at every row in the outbox, old or new, and leave
 * ws->seen alone.  How many rows are of group, kind and recipient (each
 * NULL for any). */
size_t tl_outbox_count(struct tl_ws *, const char *group, const char *kind,
          const char *rcpt);
/* The whole message of the one row of kind to rcpt (it fails the test when
 * there is not exactly one).  Caller frees. */
char  *tl_outbox_one(struct tl_ws *, const char *kind, const char *rcpt);
/* The same message's plain text, decoded (CRLF line ends).  Caller
 * frees. */
char  *tl_outbox_text(struct tl_ws *, const char *kind, const char *rcpt);

void tl_write(const char *path, const char *text, mode_t mode);

/* What the daemon logs between tl_log_begin() and tl_log_end() goes to
 * a file in the workspace; tl_log_end() returns it (caller frees) and
 * passes it on to stderr. */
void   tl_log_begin(struct tl_ws *);
char  *tl_log_end(struct tl_ws *);

/* Remove dir and everything under it (fuzz/harness.c's harness_rmtree,
 * links not followed); a failure fails the test. */
void tl_rmtree(const char *dir);

/* A loopback TCP port the kernel just handed out and nobody listens on. */
int tl_unused_port(void);

/* How many files there are under dir/sub (sub may be NULL), 0 when it
 * is absent. */
int tl_count_files(const char *dir, const char *sub);

/* How many times needle stands in hay (overlapping ones too). */
int tl_count(const char *hay, const char *needle);

/* $SHARED/sub, else ../shared/sub (material read in place, never copied
 * into the project); NULL when it is not a directory.  Caller frees. */
char *tl_shared(const char *sub);

/* The bytes of a file, NUL-terminated (*len does not count the NUL; len
 * may be NULL), or NULL when it cannot be opened.  Caller frees. */
char *tl_slurp(const char *path, size_t *len);

/* "YYYY-MM-DD HH:MM" read as UTC, in unix seconds. */
long long tl_utc(const char *when);

#endif
