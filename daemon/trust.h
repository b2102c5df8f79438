/* trust.h: what proof a message carries for what it asks (DESIGN.md,
 * "trust"; issue 12, items 3 and 5).
 *
 * The From address alone proves nothing.  Two things do:
 *
 *  - a reply token (token.h) issued to the sender for the meeting, the
 *    series event or the group the message is about, found in the
 *    places token_find() looks (To, Cc, Delivered-To, a REPLY's
 *    ORGANIZER, In-Reply-To, References).  A token issued to someone
 *    else proves nothing: token_verify() binds the recipient;
 *  - authentication: a trusted Authentication-Results field (authres.h,
 *    [trust] authserv_id) aligned with the From address.  Without
 *    authserv_id nobody is authenticated.
 *
 * What is needed depends on what is at stake (trust_decide()):
 *
 *  - an answer (an RSVP, a COUNTER): the token or authentication.  An
 *    answer to a meeting invited before tokens existed (its invitations
 *    name the plain organizer address) that is not over yet counts on
 *    From alone, as before; not when it was found in a Junk folder;
 *  - the record (an agenda, minutes, a document, an agreement: what is
 *    sent on to every member or kept in the repository): the token, and
 *    authentication too when authserv_id is set.  Without that proof,
 *    the message is held and the coordinator, at the configured address,
 *    is asked to confirm it; only a reply carrying the token issued for
 *    that request (scope TOKEN_HELD, the held message's Message-ID)
 *    and, with authserv_id set, authenticated, applies it.  A reply to a
 *    letter sent before the upgrade carries no token: it takes that path
 *    too, since nothing else tells it from a forgery.
 *
 * Every refusal has a reason, logged with the message's Message-ID and
 * counted in the store (store_refusal_add) for `status`. */
#ifndef CONVENED_TRUST_H
#define CONVENED_TRUST_H

#include <stddef.h>

#include "token.h"

struct config;
struct verdict;

#define TRUST_CLOCK_SKEW   (15 * 60)   /* seconds a DTSTAMP may be ahead
                                        * of the time the mail is read */
#define TRUST_HOLD_DAYS    7           /* a held message waits this long
                                        * for its confirmation */
#define TRUST_HELD_MAX     5           /* held at once for one
                                        * coordinator: more are refused,
                                        * not asked about */
#define TRUST_SCOPES_MAX   256         /* scopes tried for one message */

enum trust_stake {
	TRUST_ANSWER,           /* an RSVP or a COUNTER: the sender's own */
	TRUST_RECORD            /* agenda, minutes, document, agreement */
};

/* What a message proves, gathered by trust_gather(). */
struct trust_proof {
	int  token;             /* carries a token issued to its sender */
	int  authenticated;     /* a trusted Authentication-Results says so */
	int  authserv;          /* [trust] authserv_id is set */
	int  junk;              /* it was found in a Junk folder */
	int  legacy;            /* about a meeting invited before tokens,
	                         * not over yet (set by the caller) */
	int  confirmed;         /* its coordinator confirmed it (set by the
	                         * caller applying a held message) */
	char where[64];         /* where the token was: token_where_name() */
	char auth_why[256];     /* authres_check()'s reason, or "" */
};

enum trust_decision {
	TRUST_ALLOW,
	TRUST_REFUSE,           /* an answer without proof */
	TRUST_HOLD_NO_TOKEN,    /* the record, without the sender's token */
	TRUST_HOLD_NOT_AUTHENTICATED    /* the record, with the token but
	                                 * not authenticated */
};

/* The reasons a message, or part of it, is refused: counted by name. */
enum trust_reason {
	TRUST_NO_PROOF,         /* an answer without token or
	                         * authentication */
	TRUST_NO_TOKEN,         /* the record without the sender's token:
	                         * held, the coordinator asked */
	TRUST_NOT_AUTHENTICATED,    /* the record with the token, not
	                             * authenticated: held likewise */
	TRUST_SPOOFED,          /* From answers for another attendee */
	TRUST_NOT_COORDINATOR,  /* the record from someone who is not a
	                         * coordinator of the group */
	TRUST_CONFIRM_UNPROVEN, /* a CONFIRM without its token or without
	                         * authentication */
	TRUST_HOLD_LIMIT,       /* TRUST_HELD_MAX held already */
	TRUST_LOOP,             /* our own mail come back */
	TRUST_EXPIRED,          /* held, never confirmed */
	TRUST_FUTURE_DTSTAMP,   /* a DTSTAMP ahead of TRUST_CLOCK_SKEW: the
	                         * answer counts as of its receipt */
	TRUST_FOREIGN_BOUNCE,   /* a bounce of no message of ours to the
	                         * address */
	TRUST_FILE_TYPE,        /* an attachment not on the allow-list */
	TRUST_RATE_LIMITED,     /* a notice to coordinators not sent again
	                         * this cycle */
	TRUST_NOT_MEMBER,       /* a presentation offered by someone who is
	                         * not a member of the group (present.h) */
	TRUST_BAD_OFFER,        /* an offer refused: its title, or over a
	                         * flood bound (present.h) */
	TRUST__COUNT
};

/* "no-proof", "no-token", "not-authenticated", "spoofed",
 * "not-coordinator", "confirm-unproven", "hold-limit", "loop",
 * "expired", "future-dtstamp", "foreign-bounce", "file-type",
 * "rate-limited", "not-member", "bad-offer". */
const char *trust_reason_name(enum trust_reason);

/* What may be scoped by a token: a meeting's (or series event's) UID, a
 * group id, a held message's Message-ID. */
struct trust_scope {
	enum token_scope  kind;
	const char       *id;       /* borrowed */
};

/* Gather what v proves for scopes[0..n) (at most TRUST_SCOPES_MAX are
 * tried): the tokens it carries checked against its From address, the
 * Authentication-Results read against [trust] authserv_id, and whether
 * folder (may be NULL) is a Junk folder.  legacy and confirmed are left
 * 0.  cfg's key must be loaded unless n is 0. */
void trust_gather(const struct config *, const struct verdict *v,
         const char *folder, const struct trust_scope *scopes, size_t n,
         struct trust_proof *out);
/* The same, with the tokens checked against who instead of From: the
 * member's own address when From is one of the member's aliases (the
 * tokens were issued to the member).  Authentication is still judged for
 * From, the address the mail system saw. */
void trust_gather_as(const struct config *, const struct verdict *v,
         const char *who, const char *folder,
         const struct trust_scope *scopes, size_t n,
         struct trust_proof *out);

/* The policy: what proof p is worth for stake (see above). */
enum trust_decision trust_decide(enum trust_stake, const struct trust_proof *p);

/* 1 when folder names a Junk folder: its last component (after '/' or
 * '.') is, in any case, Junk, Spam, Bulk, "Junk E-mail", "Junk Email" or
 * "Bulk Mail". */
int  trust_junk_folder(const char *folder);

/* The time an answer is recorded as of: its DTSTAMP (else its Date, else
 * now) unless that is more than TRUST_CLOCK_SKEW ahead of now, which is
 * not believed: then now, and *future set to 1. */
long long trust_answer_time(long long dtstamp, long long date,
              long long now, int *future);

/* 1 when bounced_id (the returned message's Message-ID, may be NULL) is
 * one convened wrote to address: ours (msgid.h) and carrying address's
 * token for its meeting or group.  Else 0. */
int  trust_bounce_ours(const struct config *, const char *bounced_id,
         const char *address);

#endif
