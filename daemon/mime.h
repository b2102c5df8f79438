/* mime.h: one raw Internet message as plain C data (the one door to GMime).
 *
 * Only mime.c includes GMime.  mime_parse() reads a message (LF or CRLF,
 * with or without an mbox "From " first line) and keeps what the collect
 * step needs: identity headers, the header facts that mark auto-replies and
 * bounces, the first text/plain body, every calendar object, attachments,
 * and the parts of a delivery report.
 *
 * Ownership: every pointer in a struct mime_msg belongs to it and lives
 * until mime_free().  Strings are NUL-terminated UTF-8 unless said
 * otherwise; attachment bytes are binary (with a NUL after the last byte
 * for convenience, not counted in size).  Nothing here is sanitised for
 * use as a file name or in a shell: that is the archive's job. */
#ifndef CONVENED_MIME_H
#define CONVENED_MIME_H

#include <stddef.h>

/* Untrusted input stays bounded: exceeding any limit refuses the message.
 * The header and part limits are checked before GMime sees a byte (GMime
 * spends some hundreds of bytes on each header field and part it
 * builds); depth is checked as the parts are walked. */
struct mime_limits {
	size_t max_size;         /* bytes of raw message */
	int    max_depth;        /* nesting of multipart/message parts */
	int    max_parts;        /* MIME parts in all */
	size_t max_header_lines; /* lines of all header blocks together */
	size_t max_header_bytes; /* bytes of all header blocks together */
};
/* The largest raw message convened reads, wherever it comes from: the
 * IMAP fetch (inbox.c), `inspect` (main.c), classify() and mime_parse()
 * all stop here. */
#define MIME_MAX_SIZE  ((size_t)25 << 20)
#define MIME_MAX_DEPTH 20
#define MIME_MAX_PARTS 1000
/* A real message carries a few dozen header lines, and each part a few:
 * 10,000 lines and 1 MB leave room for 1,000 parts and long Received,
 * DKIM and ARC chains. */
#define MIME_MAX_HEADER_LINES 10000
#define MIME_MAX_HEADER_BYTES ((size_t)1 << 20)
/* Calendar objects go to libical, which spends some hundreds of bytes on
 * every line, and on a line it cannot read time that grows with the lines
 * before it (10,000 such lines: under a second; 260,000: hours).  An iTIP
 * reply is a few kB, an invitation with every attendee and an HTML
 * description some hundreds: the calendar objects of one message stay
 * under 1 MB and 10,000 lines together. */
#define MIME_MAX_CALENDAR ((size_t)1 << 20)
#define MIME_MAX_CALENDAR_LINES 10000
#define MIME_LIMITS_DEFAULT { MIME_MAX_SIZE, MIME_MAX_DEPTH, MIME_MAX_PARTS, \
        MIME_MAX_HEADER_LINES, MIME_MAX_HEADER_BYTES }

/* A calendar object: inline text/calendar, or an attached .ics,
 * application/ics or text/x-vcalendar; transfer-decoded, in UTF-8.
 * Byte-identical copies (Thunderbird sends two) are kept once. */
struct mime_calendar {
	char *text;
	char *method;       /* Content-Type method= parameter, upper-case, or NULL */
};

struct mime_attachment {
	char          *charset;       /* the declared charset= parameter,
	                               * lower-case, or NULL */
	char          *filename;      /* decoded (RFC 2231, RFC 2047 also inside
	                               * quoted name=); raw: may hold "/", "..",
	                               * control characters; NULL if none */
	char          *content_type;  /* "type/subtype", lower-case */
	unsigned char *data;          /* transfer-decoded bytes */
	size_t         size;
};

/* Header fields kept verbatim (unfolded, first occurrence of each name in
 * any case): the facts that mark auto-replies, lists and bounces. */
struct mime_header {
	char *name;         /* as listed in mime.c, canonical case */
	char *value;
};

/* Untrusted lists stay bounded: what is past these is not kept. */
#define MIME_MAX_ADDRS        100   /* of To, Cc, Delivered-To each */
#define MIME_MAX_AUTHRES      50    /* Authentication-Results fields */
#define MIME_MAX_AUTHRES_LEN  4096  /* bytes of one, unfolded */

struct mime_msg {
	char   *message_id;    /* without <>; NULL if none */
	char   *from;          /* lower-case addr-spec (addr_mailbox(): valid
	                        * per addr_valid(), never guessed); NULL when
	                        * there is no From or it names no such one */
	char   *from_refused;  /* why a From field gave no sender (one line:
	                        * two From fields, two mailboxes, an address
	                        * that is not valid); NULL otherwise */
	char   *from_name;     /* display name, decoded; NULL if none */
	char   *sender;        /* Sender: addr-spec, lower-case; NULL if none */
	char   *return_path;   /* Return-Path: addr-spec, lower-case; "" for <> */
	char   *subject;       /* decoded; the first Subject in any case wins */
	char   *in_reply_to;   /* first id, without <>; NULL if none */
	char  **references;    /* ids without <>, oldest first */
	size_t  nreferences;
	long long date;        /* unix seconds, 0 if none or unreadable */

	/* Every To, Cc and Delivered-To field's addresses, in order (for
	 * Delivered-To the topmost, the last delivery's, first): lower case,
	 * as GMime reads them, not checked; at most MIME_MAX_ADDRS each. */
	char  **to;
	size_t  nto;
	char  **cc;
	size_t  ncc;
	char  **delivered_to;
	size_t  ndelivered_to;
	/* Every Authentication-Results field's value, unfolded, in order:
	 * the topmost is the one the nearest MTA added.  At most
	 * MIME_MAX_AUTHRES; one over MIME_MAX_AUTHRES_LEN is kept as "" so
	 * that it still holds its place. */
	char  **authres;
	size_t  nauthres;

	struct mime_header *hdr;
	size_t  nhdr;

	char   *content_type;  /* top-level "type/subtype", lower-case */
	char   *report_type;   /* report-type= of a multipart/report, lower-case */

	char   *text;          /* the first text/plain part in UTF-8; NULL when
	                        * there is none (an HTML-only message is not
	                        * rendered as text: html_only is set instead) */
	int     html_only;

	struct mime_calendar   *cal;
	size_t  ncal;
	struct mime_attachment *att;
	size_t  natt;
	int     tnef;          /* application/ms-tnef or winmail.dat seen; it is
	                        * listed as an attachment, never decoded */

	char   *delivery_status;  /* message/(global-)delivery-status text;
	                           * several parts are joined; NULL if none */
	char   *original_headers; /* the header block of the first
	                           * message/rfc822 (or global) or
	                           * text/rfc822-headers part; NULL if none */
};

/* Parse len bytes of data (need not be NUL-terminated).  lim NULL means
 * MIME_LIMITS_DEFAULT.  0 with *out set (free with mime_free), or -1 with
 * *err set to a one-line reason the caller frees.  Never aborts on input. */
int  mime_parse(const char *data, size_t len, const struct mime_limits *lim,
         struct mime_msg **out, char **err);
void mime_free(struct mime_msg *);

/* 1 when a is a calendar object (text/calendar, or application/ics as
 * some clients label it), 0 otherwise. */
int  mime_attachment_is_calendar(const struct mime_attachment *a);

/* The kept header name (case-insensitive), or NULL when absent or not one
 * of the kept names.  Valid as long as msg. */
const char *mime_header(const struct mime_msg *, const char *name);

/* Count len bytes of calendar text into the running totals *bytes and
 * *lines of one message: NULL while they are within the limits above,
 * else the reason (caller frees). */
char *mime_calendar_budget(const char *data, size_t len, size_t *bytes,
         size_t *lines);

/* Convert len bytes in charset (NULL: guess) to a new UTF-8 string the
 * caller frees; never fails: undecodable input is read as windows-1252. */
char *mime_to_utf8(const char *data, size_t len, const char *charset);

#endif
