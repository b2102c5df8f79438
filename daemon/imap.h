/* imap.h: read replies from the organizer's mailbox (libcurl).
 *
 * Only imap.c and net.c include curl.h.  One struct imap holds one libcurl easy
 * handle: one connection and one login, reused by every call of a collect
 * cycle.  libcurl closes the connection after any command the server
 * refuses (NO/BAD) and reconnects silently when it finds the old one dead;
 * imap.c notices both and selects the folder again before the next command
 * that needs it, checking that its UIDVALIDITY did not change meanwhile.
 *
 * Every command goes through CURLOPT_CUSTOMREQUEST on a URL without a
 * mailbox path, so libcurl never selects or fetches on its own: its URL
 * fetch (";UID=n") asks for BODY[], which sets \Seen.  We fetch with
 * BODY.PEEK[] instead, in chunks (see imap_fetch()).
 *
 * TLS: imaps:// is implicit TLS; imap:// with tls_required uses STARTTLS
 * and fails when the server does not offer it; tls_required = 0 (loopback
 * only, the configuration checks) never attempts TLS.  Certificates and
 * host names are always verified.  CONVENED_CA_FILE (tests only) names a
 * PEM file of CA certificates used instead of the system store.
 *
 * Timeouts: `timeout` seconds bound connecting (TCP, TLS, greeting, login),
 * each server reply after its command, and any stall while data flows; a
 * loose total cap per command stops a peer that trickles forever.
 *
 * The server is not trusted: every response line and the message buffer
 * are capped; garbage gives DMN_TEMP (or DMN_BAD_MSG for one message),
 * never a crash.  Folder names go into commands only as quoted strings of
 * printable ASCII without '"' or '\' ('&' is encoded as "&-", modified
 * UTF-7); anything else is refused with DMN_BAD_MSG.
 *
 * Nothing here logs the password or a message body (debug logging shows
 * commands, never AUTHENTICATE/LOGIN arguments, and response lines without
 * their literals); *err never contains them either.
 *
 * Common results of every call below:
 *   DMN_TEMP         connection refused, reset, closed, timed out, a host
 *                    name that does not resolve, a response over the caps or
 *                    that made no sense, a tagged BAD, NO [UNAVAILABLE] (or
 *                    [INUSE], [SERVERBUG], [LIMIT]), libcurl out of memory
 *   DMN_BAD_MSG      any other tagged NO to the call's command (what that
 *                    means for each call is below)
 *   DMN_BAD_ACCOUNT  login refused, STARTTLS not offered, any TLS or
 *                    certificate failure, a URL or scheme libcurl refuses
 * Every call after imap_select() needs a folder selected by it: calling
 * one without aborts (a bug in the caller, not a server's doing).
 * On anything but DMN_OK, *err is set to one line (caller frees) naming the
 * command and, when the server answered, its reply.  *err is left alone on
 * DMN_OK.  String arguments are only read during the call. */
#ifndef CONVENED_IMAP_H
#define CONVENED_IMAP_H

#include <stddef.h>

#include "config.h"
#include "dmn.h"

struct imap;                                    /* opaque */

/* A session for endpoint ep (url, username, tls_required, auth are
 * copied; ep need not outlive the call; a path in the URL is ignored).
 * password may be NULL (no login: the server then refuses every command);
 * with ep->auth xoauth2 or oauthbearer it is the access token, sent in
 * that SASL mechanism.  libcurl keeps
 * its own copy of it (freed, not wiped, with the handle: libcurl offers no
 * way to); we keep none, so the caller may wipe its string as soon as this
 * returns.  timeout in seconds (values below 1
 * are taken as 1).  Never fails: allocation failure aborts.  No network
 * traffic happens until the first call. */
struct imap *imap_new(const struct endpoint *ep, const char *password,
    long timeout);

/* After a call that failed with DMN_BAD_ACCOUNT: 1 when the server
 * refused the login itself (a tagged NO to AUTHENTICATE or LOGIN), as it
 * does for an access token that expired or was revoked. */
int imap_login_refused(const struct imap *);

/* LOGOUT, close the connection, free.  NULL is a no-op. */
void imap_free(struct imap *);

/* SELECT folder (read-write) and report its UIDVALIDITY and UIDNEXT
 * (*uidnext is 0 when the server did not say).  The folder stays selected
 * for the calls below until the next imap_select().
 *   DMN_BAD_MSG  the folder does not exist or cannot be selected (a NO),
 *                or its name cannot be sent (see the top)
 *   DMN_TEMP     also when the server sent no UIDVALIDITY */
enum dmn imap_select(struct imap *, const char *folder,
    unsigned long *uidvalidity, unsigned long *uidnext, char **err);

/* The UIDs greater than `after` in the selected folder, ascending, without
 * duplicates.  *uids (caller frees; NULL when *n is 0) and *n are set on
 * DMN_OK only.  DMN_TEMP when the folder's UIDVALIDITY changed since
 * imap_select() (after a reconnection): select again. */
enum dmn imap_uids(struct imap *, unsigned long after, unsigned long **uids,
    size_t *n, char **err);

/* The raw message with UID uid in the selected folder, as the server has
 * it (CRLF line ends), fetched with BODY.PEEK[] so \Seen is not set.
 * *data (caller frees) is NUL-terminated after *len bytes; both set on
 * DMN_OK only.
 *   DMN_BAD_MSG  the message is over max bytes (RFC822.SIZE is checked
 *                first, and the buffer never grows past max), it no longer
 *                exists (expunged elsewhere), or the server refused it
 *   DMN_TEMP     also when the server announced a size but sent no body */
enum dmn imap_fetch(struct imap *, unsigned long uid, size_t max,
    char **data, size_t *len, char **err);

/* 1 when the last imap_fetch() refused the message for being over its
 * max (as the server announced it, or as it came), 0 otherwise. */
int imap_fetch_too_big(const struct imap *);

/* The first max bytes (at most 128 KiB) of message uid, enough for its
 * header, fetched with BODY.PEEK[]<0.max> so \Seen is not set, and its
 * size as the server announces it (0 when it does not).  *data (caller
 * frees) is NUL-terminated after *len bytes; all three set on DMN_OK
 * only.  DMN_BAD_MSG as imap_fetch(). */
enum dmn imap_fetch_head(struct imap *, unsigned long uid, size_t max,
    char **data, size_t *len, unsigned long *size, char **err);

/* One message of a batch: many messages' sizes, then bodies, in a few
 * commands rather than two or more each. */
struct imap_msg {
	unsigned long uid;      /* the caller's */
	int     found;          /* the server answered for it */
	unsigned long size;     /* RFC822.SIZE as announced, or 0 */
	char   *data;           /* its body, NUL-terminated after len bytes,
	                         * or NULL: the caller frees */
	size_t  len;
};

/* found and size of each of msgs[0..n) (UIDs ascending, data NULL), in
 * one UID FETCH per 80 messages.  A message the server does not answer
 * for is gone, or was never there (found 0); so is every one when
 * libcurl refuses the answers as too long (see imap.c): each is then
 * for imap_fetch(). */
enum dmn imap_sizes(struct imap *, struct imap_msg *msgs, size_t n,
    char **err);

/* The bodies (BODY.PEEK[]: \Seen is not set) of the messages of
 * msgs[0..*upto) that imap_sizes() found with a size from 1 to max
 * bytes and at most 32 KiB, in one UID FETCH whose literals are read
 * from the stream; *upto is as far into msgs as 32 KiB of them, or 16
 * messages, reach, and is 0 only when n is.  A batch libcurl refuses as
 * too long is left to imap_fetch() and the session's batches are halved
 * from then on (none past one message).  A message not given its data
 * (over the limits, gone, sent as anything but a literal, or one that
 * came over max bytes) is for imap_fetch(), which reads it alone and
 * says what is wrong with it.  On anything but DMN_OK no data is set. */
enum dmn imap_fetch_batch(struct imap *, struct imap_msg *msgs, size_t n,
    size_t max, size_t *upto, char **err);

/* UID STORE uid +FLAGS.SILENT (\Seen).  A UID that no longer exists is
 * not an error (the server ignores it). */
enum dmn imap_set_seen(struct imap *, unsigned long uid, char **err);

/* Move message uid from the selected folder to `folder`: UID MOVE when the
 * server announces MOVE; else UID COPY, then UID STORE +FLAGS.SILENT
 * (\Deleted) and UID EXPUNGE of that UID only (UIDPLUS), never a plain
 * EXPUNGE, which would also remove messages others marked \Deleted.
 * Without UIDPLUS the message is copied and marked \Seen, and left where
 * it was (a warning says so once per session).  A missing target folder
 * (NO [TRYCREATE]) is created once and the command retried.
 *   DMN_BAD_MSG  the server refused the move, copy or creation, or the
 *                name cannot be sent */
enum dmn imap_move(struct imap *, unsigned long uid, const char *folder,
    char **err);

/* \Seen on every message of uids (ascending), then, when folder is not
 * NULL, move them all there as imap_move() does: a few commands for the
 * whole batch rather than two a message.  On failure some may be done and
 * some not; doing them again is harmless. */
enum dmn imap_file_away(struct imap *, const unsigned long *uids, size_t n,
    const char *folder, char **err);

#endif
