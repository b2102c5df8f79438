/* smtp.h: hand composed messages to the submission server (libcurl).
 *
 * Only smtp.c and net.c include curl.h.  One struct smtp holds one libcurl
 * easy handle for a batch of sends: libcurl keeps the connection open
 * between sends, so a batch costs one connect, one TLS handshake and one
 * AUTH.  After any failed send smtp.c cuts the connection (libcurl would
 * keep some, with late replies still on their way in them); the next send
 * opens a fresh one.  smtp_free() ends the session with QUIT.
 *
 * libcurl's global state is initialised by the first curl_easy_init(),
 * always in the main thread (smtp_new() is only called there), and never
 * torn down; valgrind reports those one-time allocations as "still
 * reachable".  Each session has a thread of its own that runs its
 * transfers (see smtp.c), started by smtp_new() and ended by
 * smtp_free().  smtp_new() and smtp_free() are called in the main
 * thread; the sends and waits of a session come from one thread at a
 * time: the main thread's flush, or before it outbox.h's early sender,
 * whose sessions the flush takes over once that thread has ended.
 *
 * TLS: smtps:// is implicit TLS; smtp:// with tls_required uses STARTTLS
 * and fails when the server does not offer it.  The peer certificate and
 * host name are always verified when TLS is used.  tls_required = 0 (only
 * accepted by the configuration for loopback) never attempts TLS.
 *
 * Environment, for tests only:
 *   CONVENED_CA_FILE   a PEM file of CA certificates used instead of the
 *                      system store (CURLOPT_CAINFO); verification stays on.
 *
 * Timeouts: `timeout` seconds bound each wait.  Connecting (TCP, TLS, the
 * greeting, EHLO and AUTH) must finish within it, every server reply must
 * arrive within it after its command, and the message upload aborts when
 * no byte moved for that long.  A generous total cap per send
 * (10 x timeout + 1 s per KiB of message) stops a peer that trickles
 * forever.  See smtp.c for why stalls rather than a total per message.
 *
 * Nothing here logs the password or the message body; *err never contains
 * them either. */
#ifndef CONVENED_SMTP_H
#define CONVENED_SMTP_H

#include <stddef.h>

#include "config.h"
#include "dmn.h"

struct smtp;                                    /* opaque */

/* A session for endpoint ep (url, username, tls_required, auth are
 * copied; ep need not outlive the call).  password may be NULL: no AUTH;
 * with ep->auth xoauth2 or oauthbearer it is the access token, sent in
 * that SASL mechanism.  libcurl keeps its own copy of
 * it (freed, not wiped, with the handle: libcurl offers no way to); we keep
 * none, so the caller may wipe its string as soon as this returns.  timeout in seconds (> 0; values
 * below 1 are taken as 1).  Never fails: allocation failure aborts.  No
 * network traffic happens until the first smtp_send(). */
struct smtp *smtp_new(const struct endpoint *ep, const char *password,
    long timeout);

/* Send one message from `from` to the single recipient `rcpt` (bare
 * addr-specs, no angle brackets).  data[0..len) is the message as composed:
 * CRLF line ends, the last line ended by CRLF; it goes out byte-exact
 * (libcurl dot-stuffs lines beginning with "."; the server undoes it).
 *
 * Returns
 *   DMN_OK           the server answered 250 to the end of data
 *   DMN_TEMP         a 4xx at any stage; connection refused, reset or closed
 *                    (also in the middle of DATA); a timeout; a host name
 *                    that does not resolve; libcurl out of memory
 *   DMN_BAD_MSG      a 5xx to MAIL FROM, RCPT TO, DATA or the end of data,
 *                    or an address that cannot go into an SMTP command
 *   DMN_BAD_ACCOUNT  authentication refused (5xx to AUTH, or 530
 *                    "authentication required" anywhere), a 5xx to the
 *                    greeting/EHLO/STARTTLS, STARTTLS not offered, any TLS
 *                    or certificate failure, a URL or scheme refused
 * On anything but DMN_OK, *err is set to one line (caller frees) naming the
 * stage and, when the server answered, its reply code and text.  *err is
 * left alone on DMN_OK.  The strings are only read during the call. */
enum dmn smtp_send(struct smtp *, const char *from, const char *rcpt,
    const char *data, size_t len, char **err);

/* Several messages at once ([smtp] connections): one session per
 * connection, each started with smtp_start() and ended by smtp_wait(),
 * which waits until one of them ends.  smtp_send() is the two in one
 * for a single session.  Each session keeps its own connection, so what
 * follows a send (the predicates below, the cut after a failure) is
 * about that session only. */
#define SMTP_SESSIONS_MAX 8

/* Begin sending as smtp_send() does, and return at once: DMN_OK when the
 * send is under way (the session is busy until smtp_wait() gives its
 * result; data and the strings must stay until then), or DMN_BAD_MSG
 * with *err for an address that cannot go into an SMTP command (nothing
 * started).  The sender is the message's own: it may differ from one
 * send to the next.  Starting a send on a busy session aborts. */
enum dmn smtp_start(struct smtp *, const char *from, const char *rcpt,
    const char *data, size_t len, char **err);

/* 1 when the session (may be NULL: 0) has a send under way. */
int smtp_busy(const struct smtp *);

/* Wait until one of the sends under way on ss[0..n) (NULL and idle
 * entries are passed over) ends: *which is its index, and the result is
 * smtp_send()'s for it, *err too.  Aborts when none is under way. */
enum dmn smtp_wait(struct smtp *const *ss, size_t n, size_t *which,
    char **err);

/* After a send that failed: 1 when the server refused the recipient
 * itself (a 5xx to RCPT TO), the sign of an address that will never take
 * mail, as opposed to a message refused for what it is. */
int smtp_recipient_refused(const struct smtp *);

/* After a send that failed for now (DMN_TEMP): 1 when the failure is the
 * server's, not this message's: refused or lost connection, a stall past
 * the timeout, a 4xx before MAIL FROM, or 421 (closing) anywhere. */
int smtp_server_unavailable(const struct smtp *);

/* After a send that failed for now (DMN_TEMP): 1 when it failed before
 * MAIL FROM (connecting, the greeting, EHLO, STARTTLS, AUTH), so that
 * nothing of the message reached the server. */
int smtp_connect_failed(const struct smtp *);

/* After a send that failed with DMN_BAD_ACCOUNT: 1 when the server
 * refused the login itself (a 5xx to AUTH or its continuation), as it
 * does for an access token that expired or was revoked. */
int smtp_login_refused(const struct smtp *);

/* QUIT, close the connection, free.  NULL is a no-op. */
void smtp_free(struct smtp *);

#endif
