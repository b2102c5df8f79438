/* outbox.h: send what the outbox holds, over one SMTP session per flush.
 *
 * A row is marked 'sending' before its SMTP dialogue and 'sent' only after
 * the server accepted the message, each in its own commit; a crash in
 * between leaves it 'sending', and it goes again under the same
 * Message-ID.  A 4xx waits with exponential backoff (one minute doubling
 * to four hours) until [smtp] give_up_hours after it was queued, then
 * fails; a 5xx fails the row at once.  A failed row is kept, with its
 * reason, for `status` and the coordinators' notice. */
#ifndef CONVENED_OUTBOX_H
#define CONVENED_OUTBOX_H

#include <signal.h>

struct config;
struct store;

struct outbox_stats {
	int sent;
	int deferred;           /* 4xx: tried again later */
	int failed;             /* 5xx, or retried too long */
	int account_error;      /* the server refused us: flush stopped */
};

/* Send every due row.  stop (may be NULL) is checked between messages:
 * when it turns non-zero the flush ends after the message in flight.
 * Returns 0, or -1 when the store failed (*err set, caller frees). */
int outbox_flush(const struct config *, struct store *, long long now,
        volatile sig_atomic_t *stop, struct outbox_stats *, char **err);

#endif
