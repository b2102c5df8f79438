/* net.h: the sockets under a libcurl handle (smtp.c and imap.c), so that
 * a connection we no longer trust can be cut without waiting for its
 * goodbye.  libcurl keeps a connection for reuse and, after a failure,
 * says QUIT or LOGOUT and waits as long for the answer as for any reply:
 * on a stalled server that doubles the wait.  The options both clients
 * set alike on their handles.  And URLs as libcurl reads them, for the
 * configuration's checks (config.c). */
#ifndef CONVENED_NET_H
#define CONVENED_NET_H

#include <stddef.h>

#include "dmn.h"

struct endpoint;

#define NET_MAXFD 4     /* one connection; happy eyeballs may try a second
                         * address for a moment */

struct net_socks {
	int    fds[NET_MAXFD];
	size_t n;
};

/* Track the sockets libcurl opens and closes on handle `curl` (a CURL *)
 * in ns, which must live as long as the handle. */
void net_socks_attach(struct net_socks *ns, void *curl);

/* Make the connection unusable: libcurl sees the end on its next read, or
 * finds it dead when it considers reusing it, and closes it silently. */
void net_socks_cut(struct net_socks *);

/* A live server answers a goodbye at once: wait up to ms for any answer,
 * and cut the connection when none comes. */
void net_socks_grace(struct net_socks *, int ms);

/* What smtp.c and imap.c set alike on a new libcurl handle: the URL and
 * the protocols it may speak, no signals, libcurl's reason in errbuf, the
 * sockets in socks (net_socks_attach), stalls bounded by timeout seconds
 * (connecting, each reply, under 1 byte/s), TLS verified, and required
 * when ep says so (CONVENED_CA_FILE names other CA certificates: a debug
 * line under name says so), and ep's user name with password unless
 * password is NULL: a password, or for ep->auth xoauth2 or oauthbearer
 * the access token, sent in that SASL mechanism and no other.  errbuf
 * and socks must live as long as the handle; libcurl copies the
 * strings. */
struct net_client {
	const char             *name;      /* "smtp", for the log */
	const char             *protocols; /* libcurl's list: "smtp,smtps" */
	const char             *url;
	const struct endpoint  *ep;
	const char             *password;
	long                    timeout;
	char                   *errbuf;    /* CURL_ERROR_SIZE bytes */
	struct net_socks       *socks;
};

void net_client_setup(void *curl, const struct net_client *);

/* How far a libcurl failure (a CURLcode) reaches when the server's own
 * answer says nothing more: the URL, the login or TLS are the account's
 * problem (DMN_BAD_ACCOUNT); the rest (refused, reset, timed out, not
 * resolved, libcurl out of memory) is worth another try (DMN_TEMP). */
enum dmn net_curl_dmn(int code);

/* A URL as libcurl's URL API reads it, so that what the configuration
 * checks is what libcurl will connect to.  scheme is in lower case; host
 * is as libcurl normalises it (127.1 becomes 127.0.0.1, an IPv6 address
 * keeps its brackets, a zone id is dropped); login is 1 when a user name,
 * password or login options come before the host ("user:pw@host", even
 * an empty "@host"); loopback is 1 when the host is localhost (any case),
 * in 127.0.0.0/8 or ::1.  Returns 0, or -1 with *err set to libcurl's
 * reason (caller frees) when text is not a URL.  The strings are the
 * caller's, freed by net_url_free(). */
struct net_url {
	char  *scheme;
	char  *host;
	int    login;
	int    loopback;
};

int   net_url_parse(const char *text, struct net_url *, char **err);
void  net_url_free(struct net_url *);

#endif
