/* authres.h: the receiving MTA's verdicts on a sender (RFC 8601
 * Authentication-Results), and whether they authenticate the From
 * address (DESIGN.md, "trust"; issue 12, item 2).
 *
 * Anyone can write an Authentication-Results field into a message: only
 * those of the MTAs named in [trust] authserv_id are believed, and only
 * where those MTAs put them.  Fields are prepended as a message travels,
 * so the receiving side's come first.  Read from the top:
 *
 *  - fields above the first trusted one were added after it, by hops
 *    nearer the mailbox: passed over;
 *  - the first trusted field and those right below it that are trusted
 *    too are the trusted MTAs' (OpenDKIM and OpenDMARC each add their
 *    own); the first field below that is not trusted ends them, and
 *    nothing under it is read: it came with the message;
 *  - among those, for each method the topmost field that reports it
 *    decides it: a field lower down, forged to claim a trusted
 *    authserv-id, cannot overturn what the MTA itself said.
 *
 * A forged field that claims a trusted authserv-id right below the MTA's
 * own can still speak for a method the MTA does not report: no header
 * tells it from the MTA's.  RFC 8601 (sections 5 and 7.1) has the MTA
 * remove fields that claim its authserv-id from mail arriving from
 * outside; the administrator makes sure theirs does (`convened inspect`
 * lists every field it reads).
 *
 * A sender is authenticated when the trusted fields say
 *
 *  - dmarc=pass with header.from the From address's domain;
 *  - dkim=pass with header.d aligned with it (header.i's domain when
 *    there is no header.d: Gmail writes only header.i); or
 *  - spf=pass with smtp.mailfrom's domain aligned with it.
 *
 * Aligned is relaxed alignment without the public suffix list: the two
 * domains are equal, or one is a subdomain of the other and the shorter
 * has at least two labels (gob.cl aligns with minsal.gob.cl; com aligns
 * with nothing).  A registry that signs for its own suffix could pass;
 * no one else can.
 *
 * Microsoft 365 writes its field without an authserv-id ("spf=pass
 * (sender IP is ...) ...; compauth=pass reason=100"), which RFC 8601
 * requires: nothing tells it from one a sender wrote, so it is never
 * believed; such mailboxes rest on reply tokens. */
#ifndef CONVENED_AUTHRES_H
#define CONVENED_AUTHRES_H

#include <stddef.h>

#define AUTHRES_MAX_RESULTS 32          /* resinfos read of one field */
#define AUTHRES_NAME_MAX    32          /* a method or result keyword */
#define AUTHRES_VALUE_MAX   254         /* a property value kept */

/* One resinfo: "method=result reason=... ptype.property=value ...".
 * Keywords in lower case; a property's value as written (without
 * quotes), "" when absent, too long, or given twice. */
struct authres_result {
	char method[AUTHRES_NAME_MAX + 1];  /* dkim, spf, dmarc, arc, ... */
	char result[AUTHRES_NAME_MAX + 1];  /* pass, fail, none, ... */
	char header_d[AUTHRES_VALUE_MAX + 1];
	char header_i[AUTHRES_VALUE_MAX + 1];
	char header_from[AUTHRES_VALUE_MAX + 1];
	char smtp_mailfrom[AUTHRES_VALUE_MAX + 1];
};

/* One field, parsed.  Everything belongs to it: authres_clear(). */
struct authres {
	char   *authserv_id;    /* lower case, a "/jobid" suffix (OpenDKIM's
	                         * AuthservIDWithJobID) cut; NULL when the
	                         * field names none */
	int     version;        /* 1 unless written */
	int     none;           /* "; none": nothing was checked */
	struct authres_result *res;
	size_t  nres;
};

/* Parse one field's value (unfolded; any bytes, NULL too) per RFC 8601's
 * grammar: comments (nested, at most 8 deep) and quoted strings anywhere,
 * an optional version, "none".  A resinfo that does not read as
 * "method=result" is passed over (Outlook.com writes "; hotmail.com;"),
 * as are properties other than the four above; at most
 * AUTHRES_MAX_RESULTS are kept.  0 with *out filled, or -1 (*out
 * cleared) when the field is not one: nothing but comments, an
 * authserv-id and garbage, unbalanced comments or quotes. */
int  authres_parse(const char *value, struct authres *out);
void authres_clear(struct authres *);

/* The decision on one message. */
struct authres_verdict {
	int  authenticated;
	char method[AUTHRES_NAME_MAX + 1];  /* what passed: dmarc, dkim, spf;
	                                     * "" when nothing did */
	char authserv_id[AUTHRES_VALUE_MAX + 1];   /* whose field, or "" */
	char why[256];          /* one line for logs and `inspect` */
};

/* Whether the fields (values in order, topmost first, as mime.h keeps
 * them) authenticate from (a lower-case addr-spec; NULL: nobody is),
 * believing the authserv-ids in trusted (lower case; none: nothing is
 * authenticated).  Returns out->authenticated. */
int  authres_check(char *const *fields, size_t nfields,
         char *const *trusted, size_t ntrusted, const char *from,
         struct authres_verdict *out);

/* Relaxed alignment of two domains, as above: 1 or 0. */
int  authres_aligned(const char *a, const char *b);

#endif
