/* bounce.h: is this message a delivery failure, and for whom?
 *
 * Reads RFC 3464 delivery reports, the same fields quoted in a report's
 * text, and the plain-text notices that mail systems without DSNs still
 * send (old Sendmail, qmail, Exim, Exchange 5.5 and 2003, Domino, IMail,
 * GMX, Zoho, mobile carriers ...), from a parsed message (mime.h).
 * Feedback reports (RFC 5965) and read receipts are never bounces.  No
 * library beyond libc and mime.h. */
#ifndef CONVENED_BOUNCE_H
#define CONVENED_BOUNCE_H

#include <stddef.h>

struct mime_msg;

struct bounce {
	char *email;       /* the recipient, lower-case addr-spec */
	char *status;      /* "5.1.1" as the report gives it; "5.0.0" or
	                    * "4.0.0" when it gives only an SMTP code or
	                    * nothing */
	int   permanent;   /* 1: delivery abandoned; 0: transient */
	int   delay;       /* 1: the report only says delivery is late and
	                    * goes on (RFC 3464 "Action: delayed", "still
	                    * trying"); permanent is 0 then.  Sisimai calls
	                    * these soft bounces; convened shows them but
	                    * never counts them against the address */
};

/* Look for failed or delayed recipients in m.  Returns 0 and sets *out
 * (an array of *n, at most 500, caller frees with bounce_free) to the
 * failed recipients followed by the delayed ones (delay 1, permanent 0),
 * each address once.  *n is 0 and *out NULL when m is neither.  When
 * *n > 0 and orig_id is not NULL, *orig_id is the Message-ID (without <>)
 * of the returned message, from its message/rfc822 or text/rfc822-headers
 * part or the text after the notice, or NULL when none is quoted; caller
 * frees.  -1 never happens today but is reserved for unreadable reports.
 *
 * Permanent: RFC 3464 "Action: failed" (whatever the Status class); in a
 * plain notice, any failure unless the notice says delivery goes on
 * ("will keep trying", "delayed") and gives no 5.x.x status and no word
 * of giving up ("not going to try again", "given up"): a delay then. */
int  bounce_detect(const struct mime_msg *m, struct bounce **out, size_t *n,
         char **orig_id);
void bounce_free(struct bounce *, size_t n);

/* For a message that reached an envelope sender of ours naming one
 * recipient (verp.h) when bounce_detect() found nobody in it: is it a
 * notice from the mail system all the same, in a format not read here?
 * 1 when its sender is the mail system's (a daemon address or display
 * name in From, Sender or Return-Path, X-Failed-Recipients, or a delivery
 * notice's Subject: a null Return-Path alone is not enough, automatic
 * replies have one too), with *out's status the text's first X.Y.Z (else
 * "5.0.0", or "4.0.0" when it says delivery goes on) and permanent unless
 * the text says delivery goes on and never that it gave up (delay 1
 * then); out->email is NULL, out->status the caller's to free.  0, *out
 * zeroed, for anything else: a person's mail, a vacation reply, a
 * feedback report or read receipt, a delivery report (RFC 3464) that
 * says delivered or relayed. */
int  bounce_unread(const struct mime_msg *m, struct bounce *out);

#endif
