/* fake_smtp.h: smtp.h's door without a server, for test_outbox (the
 * Makefile links fake_smtp.o in place of smtp.o for that binary only).
 * Each send takes the next reply of a script, and what the outbox asked
 * is kept to be looked at. */
#ifndef CONVENED_FAKE_SMTP_H
#define CONVENED_FAKE_SMTP_H

#include <signal.h>
#include <stddef.h>

enum fake_reply {
	FAKE_250,               /* accepted */
	FAKE_451,               /* 451 to the end of data: this message, later */
	FAKE_DOWN,              /* connection refused: the server is down */
	FAKE_550_RCPT,          /* 550 to RCPT TO: the address is dead */
	FAKE_554_DATA,          /* 554 to the end of data: not this message */
	FAKE_535_AUTH           /* 535 to AUTH: the account is refused */
};

#define FAKE_MAX 64

struct fake_smtp {
	enum fake_reply script[FAKE_MAX];   /* replies to the sends in order; */
	size_t  nscript;                    /* every send past them gets 250 */
	size_t  sends;                      /* smtp_send() calls */
	int     sessions;                   /* smtp_new() calls */
	int     open;                       /* sessions not freed yet */
	int     busy;                       /* sends started, not waited for */
	int     inflight;                   /* the most at once */
	char   *from[FAKE_MAX];             /* envelope senders, in order */
	char   *rcpt[FAKE_MAX];             /* recipients, in order */
	char   *data[FAKE_MAX];             /* what was sent to each */
	void  (*during)(size_t nth);        /* called in each send (1-based) */
	size_t  stop_at;                    /* during this send (1-based) */
	volatile sig_atomic_t *stop;        /* ... set *stop, as SIGTERM does */
};

extern struct fake_smtp fake_smtp;

/* Forget the script and what was recorded. */
void fake_smtp_reset(void);

#endif
