/* outbox.h: queue what convened writes, and send it over up to [smtp]
 * connections SMTP sessions per flush, one message in flight on each
 * (the first alone until a message went through).
 *
 * Due rows are sent in batches.  A batch is marked 'sending' in one commit
 * before its first SMTP dialogue, and each row 'sent' in its own commit
 * after the server's 250; a crash in between leaves rows 'sending', and
 * they go again under the same Message-ID, so never more than the
 * messages in flight (one per connection) go twice.  That commit writes
 * the row alone; the texts of rows sent go a few at a time in a commit
 * of their own, made while the next messages are on their way (a crash
 * before it leaves them in the state until store_prune() forgets their
 * rows).  A batch is read
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

struct config;
struct store;

struct outbox_stats {
	int sent;
	int deferred;           /* to be tried again later */
	int failed;             /* a 5xx, or retried too long */
	int account_error;      /* the server refused us: the flush ended */
};

/* Send every due row.  stop (may be NULL) is checked between messages:
 * when it turns non-zero the flush ends after the messages in flight,
 * and the rows not tried are 'pending' again.  Returns 0, or -1 when the
 * store failed (*err set, caller frees). */
int outbox_flush(const struct config *, struct store *, long long now,
        volatile sig_atomic_t *stop, struct outbox_stats *, char **err);

#endif
