/* verp.h: the envelope sender that names the message a bounce returns.
 *
 * Every message convened sends goes out with the SMTP envelope sender
 * (MAIL FROM; the From header is left alone)
 *
 *	<local>+b-<row>-<mac>@<domain>
 *
 * of the [organizer] address, where row is the message's outbox row id in
 * base32 (RFC 4648's lower-case alphabet, a-z and 2-7, most significant
 * first, no padding) and mac the 16-letter token of token.h with kind
 * TOKEN_BOUNCE, the row id in decimal as its scope and the row's
 * recipient as its address.  A bounce goes to the envelope sender, so
 * whatever its format, the address it reaches says which message to whom
 * failed.  Nobody without the key ([trust] key_file) can make the mac of
 * a row; only the recipient's mail servers (and the recipient, who can
 * then only make itself bounce) ever see one.  The mailbox must accept
 * plus addressing: deliver local+anything@domain to local@domain.
 *
 * Lengths: "+b-" and a row id of up to 7 letters (2^35 rows) and "-" and
 * 16 letters keep the local part within 64 octets for an organizer local
 * part of up to VERP_LOCAL_MAX octets; a longer one, or one holding '+'
 * already, sends with the plain address. */
#ifndef CONVENED_VERP_H
#define CONVENED_VERP_H

#include "token.h"

struct mime_msg;
struct store;

#define VERP_LOCAL_MAX  (64 - 3 - 7 - 1 - TOKEN_LEN)

/* The envelope sender for outbox row `row` (> 0) to recipient; caller
 * frees.  NULL when org_email has no '@', a '+' in its local part or one
 * longer than VERP_LOCAL_MAX, or the result's local part would pass 64
 * octets (a row past 2^35): send from org_email then.
 * key must be set (token_build() aborts otherwise). */
char *verp_address(const struct token_key *, const char *org_email,
          long long row, const char *recipient);

enum verp_result {
	VERP_ERROR = -1,        /* the store failed: *err set */
	VERP_NONE = 0,          /* no address of that shape */
	VERP_VALID = 1,         /* *hit filled: believe it */
	VERP_INVALID = 2        /* shaped like ours, but the mac does not
	                         * verify, or the row is unknown (never
	                         * made, or pruned): not believed */
};

struct verp_hit {
	long long   row;            /* outbox row id */
	char       *recipient;      /* the row's recipient (lower case) */
	char       *message_id;     /* the row's Message-ID, without <> */
	char       *kind;           /* the row's kind (invite, agenda ...) */
	const char *address;        /* where it was found: borrowed from the
	                             * caller's address or message */
};

/* Is addr (any case; may be NULL) one of org_email's VERP addresses whose
 * mac verifies for an outbox row?  VERP_VALID with *hit filled (release
 * with verp_hit_clear()), else *hit zeroed except address.  The row may
 * be in any state, sent or failed included, until store_prune() forgets
 * it. */
enum verp_result verp_check(const struct token_key *, struct store *,
          const char *org_email, const char *addr, struct verp_hit *hit,
          char **err);

/* verp_check() on the addresses a message was delivered to, the last
 * delivery's first: Delivered-To, X-Original-To, then To.  The first
 * valid one wins; VERP_INVALID when only invalid ones were found (hit's
 * address names the first); hit->address borrowed from m. */
enum verp_result verp_find(const struct token_key *, struct store *,
          const char *org_email, const struct mime_msg *m,
          struct verp_hit *hit, char **err);

void verp_hit_clear(struct verp_hit *);

#endif
