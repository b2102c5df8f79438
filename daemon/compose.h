/* compose.h: the outgoing RFC 5322 / MIME message, built by hand.
 *
 * Output is always CRLF, 7-bit clean (non-ASCII only inside RFC 2047
 * encoded-words, quoted-printable or base64), NUL-free, with no line over
 * 998 octets; header lines are folded at 78 columns where they can be:
 * between words, between parameters, after the colon before a single long
 * token (an attachment's type, an address); ids are kept on their line
 * (Message-ID, In-Reply-To, References: tools read them so).  The same input gives
 * byte-identical output: boundaries are derived from the Message-ID.
 *
 * Header safety: nothing from the input can start a header line.  Control
 * characters (CR and LF included) in the subject, display names, file names
 * and extra header values become spaces before encoding.  Addresses and the
 * Message-ID are not text: the caller validates them (addr_valid());
 * compose itself replaces any character outside the safe set with '_' so a
 * bad address yields a wrong, harmless address in one header, never a new
 * header (NULL or "" gives "<>").  It never fails: bad input is
 * neutralised, OOM aborts. */
#ifndef CONVENED_COMPOSE_H
#define CONVENED_COMPOSE_H

#include <stddef.h>

struct compose_attachment {
	/* UTF-8, cut at 200 octets; controls become spaces, '/' and '\\' '_';
	 * NULL or "" is "attachment".
	 * Content-Disposition gets filename="..." when plain ASCII and short
	 * enough for one line, else RFC 2231
	 * filename*=UTF-8''... (continued as filename*0*, *1* past 78 columns);
	 * Content-Type gets an ASCII name="..." fallback: accented Latin
	 * letters as plain ones ("reunión" is "reunion"), '_' for the rest. */
	const char *filename;
	/* "type/subtype[; params]", as received.  Bad, NULL, multipart/ or
	 * message/ (which base64 may not carry): application/octet-stream;
	 * text/ without parameters gets charset=UTF-8 when data is UTF-8. */
	const char *content_type;
	const void *data;
	size_t      len;
};

struct compose_msg {
	const char *from_name, *from_email;   /* From */
	const char *to_name, *to_email;       /* To (one recipient per message) */
	const char *reply_to;                 /* NULL: none; a bare address */
	const char *reply_to_name;            /* its display name, or NULL */
	const char *subject;                  /* UTF-8 */
	const char *message_id;               /* without <> */
	const char *in_reply_to;              /* NULL or without <>; also References */
	long long   date;                     /* unix seconds; written as +0000 */
	const char *text;                     /* UTF-8 plain-text body; LF or CRLF */
	const char *ical;                     /* NULL: no calendar; else VCALENDAR text */
	const char *ical_method;              /* REQUEST | CANCEL | PUBLISH | REPLY */
	const struct compose_attachment *att;
	size_t      natt;                     /* extra attachments (minutes, PDFs) */
	/* NULL-terminated name,value,name,value...; a value of printable
	 * ASCII written as it is (folded at spaces only: a <URL> stays whole),
	 * any other UTF-8, encoded like Subject.  A pair whose name is not a
	 * valid field name, or is one of the headers compose writes itself
	 * (From, To, Cc, Bcc, Subject, Date, Message-ID, Reply-To,
	 * In-Reply-To, References, Sender, MIME-Version, Content-*,
	 * Auto-Submitted, X-Auto-Response-Suppress, Return-Path), is skipped
	 * with a warning.  May be NULL. */
	const char *const *extra_headers;
	/* Cc: NULL none, else one bare address and its display name (or
	 * NULL): a relayed post's author (list.h). */
	const char *cc, *cc_name;
};

/* The whole message, NUL-terminated for convenience; *len (when not NULL)
 * gets its length.  The caller frees.  Inputs are only read during the call.
 * Never fails (aborts on OOM). */
char *compose_message(const struct compose_msg *, size_t *len);

/* An unstructured header value (Subject, extra headers) as it follows
 * "Name: ": ASCII words stay readable, runs of words that need it (non-ASCII,
 * "=?", over-long, odd spacing) become =?UTF-8?Q?...?= or B words of at most
 * 75 characters, never splitting a UTF-8 sequence; folded with CRLF SP so no
 * line exceeds 78 (header_name_len is strlen("Subject") etc.).  Control
 * characters become spaces, invalid UTF-8 becomes U+FFFD; otherwise the value
 * decodes back exactly.  NULL is taken as "".  The caller frees. */
char *compose_encode_words(const char *utf8, size_t header_name_len);

/* One mailbox, unfolded: bare <a@b> when display_name is NULL or blank, the
 * name as is when it is ASCII atoms, "quoted" when it has specials, and as
 * encoded-words when it is not ASCII.  The address is sanitised as described
 * above.  The caller frees. */
char *compose_address(const char *display_name, const char *email);

#endif
