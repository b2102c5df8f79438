/* outbox.h: queue what convened writes, and send it over up to [smtp]
 * connections SMTP sessions per flush, one message in flight on each
 * (the first alone until a message went through).
 *
 * Due rows are sent in batches.  A batch is marked 'sending' in one commit
 * before its first SMTP dialogue.  Each row that went, after the server's
 * 250 to it and before its session starts another message, is a line of
 * the sent log ([daemon] state with ".sent" added: one write(), no
 * commit); the rows are marked 'sent', their texts dropped, dozens at a
 * time in one commit made while the next messages are on their way, and
 * the log is removed when the flush ends.  A crash leaves rows 'sending'
 * and the log: outbox_recover() marks what the log holds, and the rest
 * go again under the same Message-ID, so never more than the messages
 * in flight (one per connection) go twice.  Where the log cannot be
 * written, each row is marked in a commit of its own.  A batch is read
 * without the messages' text; each text is read from the state just
 * before its message is sent and freed after, so that a flush holds one
 * message in memory per connection, however big the batch's messages
 * are.  What the server answers does this:
 *  - a temporary failure (a 4xx, a timeout, a lost connection) waits with
 *    exponential backoff (one minute doubling to four hours), until
 *    [smtp] give_up_hours after the row was queued: then the row fails;
 *  - a server that is down (refused, lost, stalled, 421) defers the rest
 *    of the batch with the message that found it so: one log line and one
 *    timeout per flush; the messages in flight on the other connections
 *    end each by its own answer;
 *  - a connection past the first refused before MAIL FROM (a provider's
 *    cap on sessions) is closed, its message goes on another connection
 *    unblamed, and the flush goes on with fewer, said in one line;
 *  - a 5xx to the message fails the row at once; a 5xx to RCPT TO also
 *    records the address as bouncing permanently (store_bounce_record), as
 *    a DSN would;
 *  - a refused account (login, TLS, a 5xx before MAIL FROM, an unreadable
 *    password file) ends the flush; the rows it did not send wait for
 *    the next flush with no attempt counted.
 * A failed row is kept, with its reason, for `status` and the
 * coordinators' notice. */
#ifndef CONVENED_OUTBOX_H
#define CONVENED_OUTBOX_H

#include <signal.h>
#include <stddef.h>

struct config;
struct store;

struct outbox_stats {
	int sent;
	int deferred;           /* to be tried again later */
	int failed;             /* a 5xx, or retried too long */
	int account_error;      /* the server refused us: the flush ended */
};

struct outbox_early;

/* Send every due row, first taking over from early (may be NULL; freed
 * here, see below).  stop (may be NULL) is checked between messages:
 * when it turns non-zero the flush ends after the messages in flight,
 * and the rows not tried are 'pending' again.  Returns 0, or -1 when the
 * store failed (*err set, caller frees). */
int outbox_flush(const struct config *, struct store *, long long now,
        struct outbox_early *, volatile sig_atomic_t *stop,
        struct outbox_stats *, char **err);

/* Early sending: while a cycle's steps plan, a thread of its own sends
 * what they have committed so far, over a read-only connection to the
 * state db (store_open_reader()), so that delivery does not wait for
 * the whole plan.  It writes nothing to the state: each row that went,
 * after the server's 250 to it and before its session starts another,
 * is a line of the sent log ([daemon] state with ".sent" added), and
 * outbox_early_end() marks them all 'sent' in one commit and removes
 * the log.  A row that does not go is left 'pending', unblamed, for the
 * flush that follows to try and record; a server down, a refused
 * account, an unreadable row or an unwritable log end early sending
 * for the cycle.  The rows it sends were queued by groups committed
 * whole, and rows are never withdrawn once queued, so nothing planned
 * is sent before it is certain.
 *
 * outbox_early_start() returns NULL when sending cannot begin (no
 * secret to sign in with, the state or the log cannot be opened): the
 * flush does it all, and tells why.  Call it from the main thread. */
struct outbox_early *outbox_early_start(const struct config *,
        long long now, volatile sig_atomic_t *stop);
/* More rows were committed. NULL is a no-op. */
void outbox_early_more(struct outbox_early *);
/* The steps are over: outbox_flush() waits for the messages in flight,
 * marks those that went and goes on with early's sessions; a message
 * that did not go is recorded as the flush records its own (a server
 * found down ends this flush too).  When the marks cannot be made the
 * log stays for outbox_recover(), and the flush fails before sending.
 * Where nothing more may be sent (a step failed), outbox_early_end()
 * waits, marks and frees alone: 0, or -1 with *err.  NULL: a no-op. */
int  outbox_early_end(struct outbox_early *, struct store *, char **err);

/* A sent log left by a process that stopped before its rows were marked
 * (a crash, a kill): its rows marked 'sent', then the log removed.  A
 * line that is not one of ours is logged at FILE:LINE and passed over.
 * Called before a cycle sends anything; while it fails nothing is sent
 * or pruned, so no row id in the log can have been taken again.  0, or
 * -1 with *err. */
int  outbox_recover(const struct config *, struct store *, char **err);

/* The sent log's lines, as outbox_recover() reads them, into *v (caller
 * frees; none: NULL, 0): for convened backup, which reads them before
 * its copy and marks them in it (store_backup()).  0, or -1 with *err. */
struct store_sent;
int  outbox_sent_log(const struct config *, struct store_sent **v,
        size_t *n, char **err);

#endif
