/* net.h: the sockets under a libcurl handle (smtp.c and imap.c), so that
 * a connection we no longer trust can be cut without waiting for its
 * goodbye.  libcurl keeps a connection for reuse and, after a failure,
 * says QUIT or LOGOUT and waits as long for the answer as for any reply:
 * on a stalled server that doubles the wait.  And URLs as libcurl reads
 * them, for the configuration's checks (config.c). */
#ifndef CONVENED_NET_H
#define CONVENED_NET_H

#include <stddef.h>

#include "dmn.h"

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
