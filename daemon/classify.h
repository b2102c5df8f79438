/* classify.h: what one raw message is, on its own, without configuration.
 *
 * classify() turns an .eml (or a bare .ics) into a verdict: an iTIP reply,
 * counter, request or cancellation, a bounce (or delay), an auto-reply, an
 * ordinary message, or malformed input.  `convened inspect` prints
 * verdict_json(); the inbox acts on the verdict after checking trust. */
#ifndef CONVENED_CLASSIFY_H
#define CONVENED_CLASSIFY_H

#include <stddef.h>

#include "bounce.h"
#include "ical.h"
#include "mime.h"

enum verdict_kind {
	VERDICT_RSVP,          /* METHOD:REPLY */
	VERDICT_COUNTER,       /* METHOD:COUNTER */
	VERDICT_REQUEST,       /* METHOD:REQUEST */
	VERDICT_CANCEL,        /* METHOD:CANCEL, or STATUS:CANCELLED */
	VERDICT_BOUNCE,        /* delivery failed for at least one
	                        * recipient; others may be delayed */
	VERDICT_DELAY,         /* delivery only delayed, for every recipient
	                        * listed: never counted as a bounce */
	VERDICT_AUTO_REPLY,    /* out of office and other automatic mail */
	VERDICT_PLAIN,         /* anything else: agenda replies, minutes... */
	VERDICT_MALFORMED      /* over a limit, unreadable MIME or calendar */
};

/* Everything in a verdict belongs to it; free with verdict_free(). */
struct verdict {
	enum verdict_kind kind;
	char   *message_id;       /* without <>, or NULL */
	char   *from;             /* lower-case addr-spec, or NULL */
	char   *from_refused;     /* why From gave no sender (mime.h), or
	                           * NULL: no sender is ever guessed */
	char   *reason;           /* one line, or NULL */

	struct ical_itip *itip;   /* the first calendar object that could be
	                           * read, or NULL; the JSON shows ev[0] */
	int     has_proposed;     /* COUNTER, or REPLY carrying a DTSTART
	                           * or an attendee's proposal */
	long long proposed_start; /* that DTSTART, unix seconds: a REPLY's
	                           * DTSTART is only a new time if it differs
	                           * from the meeting's, which the caller
	                           * knows and classify() does not */
	int     attendee_proposed; /* a REPLY whose ATTENDEE proposes
	                           * proposed_start itself (Apple's
	                           * TO-ALL-PROPOSED-NEW-TIME, ical.h): a new
	                           * time whatever the DTSTART, beside the
	                           * answer the REPLY carries */

	struct bounce *bounce;    /* kind BOUNCE: the failed recipients, then
	                           * the delayed ones (delay 1, permanent 0);
	                           * kind DELAY: the delayed ones alone */
	size_t  nbounce;
	char   *bounced_id;       /* Message-ID of the returned message */

	struct mime_msg *msg;     /* the parsed message (subject, text,
	                           * attachments, In-Reply-To, References);
	                           * NULL for a bare .ics or when malformed */
};

/* Classify len bytes of data.  Always produces a verdict in *out (free
 * with verdict_free); returns 0.  Malformed input is kind MALFORMED with
 * a reason.  Limits are mime.h's defaults. */
int  classify(const char *data, size_t len, struct verdict **out);
void verdict_free(struct verdict *);

/* "rsvp", "counter", "request", "cancel", "bounce", "delay",
 * "auto-reply", "plain", "malformed" (DESIGN.md's list).  A report that
 * only says delivery is delayed is a "delay" listing its recipients, each
 * with delay true (Sisimai reads it as a soft bounce of them). */
const char *verdict_kind_name(enum verdict_kind);

/* The `convened inspect` JSON object, one line without a final newline:
 * keys message_id, from, kind, itip (object or null), bounce (array of
 * {"email", "status", "permanent", "delay"}, or null unless kind is
 * bounce or delay), reason (string or null); then,
 * added by the trust work (issue 12) and never reshaping those:
 *   from_refused    why From gave no sender, or null;
 *   tokens          [{"token", "where", "value"}]: the reply tokens the
 *                   message carries (token_find(), any organizer
 *                   address: inspect has no configuration), where
 *                   (to, cc, delivered-to, organizer, in-reply-to,
 *                   references) and the address or Message-ID;
 *   authentication  [{"authserv_id" (null when the field names none or
 *                   cannot be read), "readable", "results":
 *                   [{"method", "result"}], "authenticates"}]: every
 *                   Authentication-Results field, topmost first;
 *                   authenticates is whether the From address would be
 *                   authenticated with that authserv-id alone in
 *                   [trust] authserv_id (authres.h);
 *   attachments     [{"filename", "content_type", "size", "type",
 *                   "why"}]: type is filetype.h's kind by content, why
 *                   its reason when other.
 * Caller frees. */
char *verdict_json(const struct verdict *);

#endif
