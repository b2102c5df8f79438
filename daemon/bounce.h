/* bounce.h: is this message a delivery failure, and for whom?
 *
 * Reads RFC 3464 delivery reports and the older plain-text notices that
 * MTAs still send (qmail, Exim, Postfix before DSNs, Gmail, Yahoo), from a
 * parsed message (mime.h).  No library beyond libc. */
#ifndef CONVENED_BOUNCE_H
#define CONVENED_BOUNCE_H

#include <stddef.h>

struct mime_msg;

struct bounce {
	char *email;       /* the recipient, lower-case addr-spec */
	char *status;      /* "5.1.1"; "5.0.0" or "4.0.0" when only an SMTP
	                    * code or nothing was given */
	int   permanent;   /* 1: delivery abandoned; 0: only delayed */
};

/* Look for failed or delayed recipients in m.  Returns 0 and sets *out
 * (an array of *n, caller frees with bounce_free) to the failed
 * recipients, *is_delay to 0; or, when the report only says delivery is
 * delayed, to the delayed recipients (permanent 0) with *is_delay 1.
 * *n is 0 and *out NULL when m is neither.  -1 never happens today but
 * is reserved for unreadable reports.
 *
 * Permanent: RFC 3464 "Action: failed" (whatever the Status class),
 * a 5.x.x status, or a 4.x.x one in a notice that says delivery was
 * abandoned ("I'm not going to try again", "permanent", "given up"). */
int  bounce_detect(const struct mime_msg *m, struct bounce **out, size_t *n,
         int *is_delay);
void bounce_free(struct bounce *, size_t n);

/* The Message-ID (without <>) of the returned original message, from a
 * message/rfc822 or text/rfc822-headers part or from the text after a
 * plain-text bounce's "copy of the message" line; NULL if not found.
 * Caller frees. */
char *bounce_original_id(const struct mime_msg *m);

#endif
