/* token.h: reply tokens, the proof that whoever answers received
 * convened's mail (DESIGN.md, "trust").
 *
 * Every letter carries a token issued to its recipient for its scope:
 * the meeting it is about, or else its group.  The token stands where the
 * recipient's client will quote it: the Message-ID (msgid.h), the
 * Reply-To "<local>+<token>@<domain>" of the organizer's address, and an
 * invitation's ORGANIZER.  Only the recipient's mailbox ever holds it, and
 * it is worth nothing under another sender's address.
 *
 * A token is HMAC-SHA-256 (GLib's GHmac) under a 32-byte secret key, over
 * this encoding of its scope and recipient:
 *
 *	"convened-token" 0x00 0x01 <kind> <len> <scope> <len> <address>
 *
 * where 0x01 is the version of the encoding, kind is 'm' (a meeting's UID),
 * 'g' (a group id; "" for a letter about no group), 'b' (an outbox row's
 * id in decimal: the envelope sender's token, verp.h) or 'h' (the
 * Message-ID of a message held for a coordinator's confirmation: trust.h),
 * each len is the length of what follows as four bytes, most significant
 * first, and the address is the recipient's, in lower case (ASCII).  Every
 * field has its length in front: no two scopes and addresses encode alike.
 * The first 80 bits of the HMAC are written as 16 lower-case base32
 * letters (RFC 4648's alphabet, a-z and 2-7): MTAs lower-case local parts,
 * and 80 bits keep "<local>+<token>" within a local part's 64 octets for
 * any organizer address of up to 47.
 *
 * The key: 64 hexadecimal digits on one line, in [trust] key_file, read
 * as a password_file is (config.h): a path, or a systemd credential name.
 * At a path that does not exist the daemon creates it (token_key_load())
 * from getrandom(2), mode 0600.  It is never logged.  Whoever holds it can
 * make every recipient's token; a new key makes every token issued before
 * it worthless. */
#ifndef CONVENED_TOKEN_H
#define CONVENED_TOKEN_H

#include <stddef.h>

struct mime_msg;

#define TOKEN_KEY_LEN   32
#define TOKEN_LEN       16              /* characters of a token */
#define TOKEN_KEY_FILE  "reply-token.key"   /* the default key_file's name,
                                             * beside [daemon] state */

struct token_key {
	unsigned char b[TOKEN_KEY_LEN];
	int           set;              /* 0 until loaded */
};

enum token_scope {
	TOKEN_GROUP,                    /* scope is a group id */
	TOKEN_MEETING,                  /* scope is a meeting's UID */
	TOKEN_BOUNCE,                   /* scope is an outbox row's id, in
	                                 * decimal (verp.h) */
	TOKEN_HELD                      /* scope is the Message-ID of a
	                                 * message held for confirmation */
};

/* Read the key named by key_file (a path when it holds a '/', else a
 * systemd credential under $CREDENTIALS_DIRECTORY) into *out.  With
 * create, a path that does not exist is made first: 32 bytes from
 * getrandom(2), written as hex to a temporary file (O_EXCL, mode 0600),
 * synced, then linked to its name, so that two processes starting at once
 * end up with the same key and a crash leaves no half-written one; that is
 * logged once, without the key.  Refused: a file readable by group or
 * others, one that is not 64 hex digits.  0, or -1 with *err set (caller
 * frees) and *out cleared. */
int  token_key_load(const char *key_file, int create, struct token_key *out,
         char **err);

/* Set a key from its bytes (tests); len must be TOKEN_KEY_LEN. */
void token_key_set(struct token_key *, const void *bytes, size_t len);

/* Forget the key: its bytes are overwritten. */
void token_key_wipe(struct token_key *);

/* The token of recipient for scope (see above) into out, NUL-terminated.
 * scope NULL is "".  key must be set (an unset key is a bug: abort). */
void token_build(const struct token_key *, enum token_scope,
         const char *scope, const char *recipient, char out[TOKEN_LEN + 1]);

/* 1 when token (any case, NULL too) is recipient's for scope, else 0.
 * The comparison takes the same time whatever the bytes. */
int  token_verify(const struct token_key *, enum token_scope,
         const char *scope, const char *recipient, const char *token);

/* "<local>+<token>@<domain>" of the organizer's address org_email; the
 * caller frees.  NULL when org_email has no '@' or a local part that
 * already holds a '+'. */
char *token_address(const char *org_email, const char *token);

/* ---- finding tokens in a message ---- */

enum token_where {
	TOKEN_IN_TO,
	TOKEN_IN_CC,
	TOKEN_IN_DELIVERED_TO,
	TOKEN_IN_ORGANIZER,             /* a REPLY's ORGANIZER, copied from
	                                 * the invitation */
	TOKEN_IN_REPLY_TO,              /* the Message-ID In-Reply-To names */
	TOKEN_IN_REFERENCES
};

/* A token as found: its place and the address or Message-ID it was in
 * (borrowed from the message: valid as long as it is). */
struct token_found {
	char              token[TOKEN_LEN + 1];     /* lower case */
	enum token_where  where;
	const char       *in;
};

#define TOKEN_FOUND_MAX 16

/* The tokens a reply carries, in the order above, each once (where it
 * was first found), at most max: plus addresses "<local>+<token>@<domain>"
 * in To, Cc and Delivered-To and in organizer (a REPLY's ORGANIZER,
 * lower-case, without mailto:; may be NULL), and the token field of our
 * Message-IDs (msgid.h) in In-Reply-To and References.  With org_email
 * set, only its local part and domain count (compared without case);
 * NULL takes any (`inspect`, which has no configuration).  What is found
 * is only a candidate: token_verify() says whose it is.  m may be NULL
 * (a bare calendar object).  Returns how many are in out. */
size_t token_find(const struct mime_msg *m, const char *organizer,
           const char *org_email, struct token_found *out, size_t max);

/* "to", "cc", "delivered-to", "organizer", "in-reply-to", "references". */
const char *token_where_name(enum token_where);

#endif
