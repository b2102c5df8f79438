#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <curl/curl.h>

#include "config.h"
#include "log.h"
#include "net.h"
#include "util.h"

static int
sockopt_cb(void *arg, curl_socket_t fd, curlsocktype purpose)
{
	struct net_socks *ns = arg;

	(void)purpose;
	if (ns->n < NET_MAXFD)
		ns->fds[ns->n++] = fd;
	return CURL_SOCKOPT_OK;
}

static int
closesocket_cb(void *arg, curl_socket_t fd)
{
	struct net_socks *ns = arg;
	size_t i;

	for (i = 0; i < ns->n; i++) {
		if (ns->fds[i] == fd) {
			ns->fds[i] = ns->fds[--ns->n];
			break;
		}
	}
	return close(fd);
}

void
net_socks_attach(struct net_socks *ns, void *curl)
{
	ns->n = 0;
	curl_easy_setopt(curl, CURLOPT_SOCKOPTFUNCTION, sockopt_cb);
	curl_easy_setopt(curl, CURLOPT_SOCKOPTDATA, ns);
	curl_easy_setopt(curl, CURLOPT_CLOSESOCKETFUNCTION, closesocket_cb);
	curl_easy_setopt(curl, CURLOPT_CLOSESOCKETDATA, ns);
}

void
net_client_setup(void *curl, const struct net_client *nc)
{
	const char *ca = getenv("CONVENED_CA_FILE");

	/* Options that cannot fail with a valid handle on libcurl 7.85+;
	 * a URL or scheme libcurl dislikes surfaces in curl_easy_perform(). */
	curl_easy_setopt(curl, CURLOPT_URL, nc->url);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, nc->protocols);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nc->errbuf);
	net_socks_attach(nc->socks, curl);

	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, nc->timeout);
	curl_easy_setopt(curl, CURLOPT_SERVER_RESPONSE_TIMEOUT, nc->timeout);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(curl, CURLOPT_LOW_SPEED_TIME, nc->timeout);

	/* smtps:// and imaps:// are TLS from the first byte whatever this
	 * says. */
	curl_easy_setopt(curl, CURLOPT_USE_SSL, nc->ep->tls_required ?
	    (long)CURLUSESSL_ALL : (long)CURLUSESSL_NONE);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca != NULL && *ca != '\0') {
		log_debug("%s: CA certificates from CONVENED_CA_FILE %s",
		    nc->name, ca);
		curl_easy_setopt(curl, CURLOPT_CAINFO, ca);
	}
	if (nc->password == NULL)
		return;
	curl_easy_setopt(curl, CURLOPT_USERNAME, nc->ep->username);
	if (!CONFIG_AUTH_OAUTH(nc->ep->auth)) {
		curl_easy_setopt(curl, CURLOPT_PASSWORD, nc->password);
		return;
	}
	/* libcurl 7.88 prefers OAUTHBEARER whenever the server offers both
	 * unless the login options name the mechanism; CURLOPT_HTTPAUTH is
	 * left alone (bearer there would mean HTTP). */
	curl_easy_setopt(curl, CURLOPT_XOAUTH2_BEARER, nc->password);
	curl_easy_setopt(curl, CURLOPT_LOGIN_OPTIONS, nc->ep->auth ==
	    AUTH_XOAUTH2 ? "AUTH=XOAUTH2" : "AUTH=OAUTHBEARER");
}

void
net_socks_cut(struct net_socks *ns)
{
	size_t i;

	for (i = 0; i < ns->n; i++)
		shutdown(ns->fds[i], SHUT_RDWR);
}

void
net_socks_grace(struct net_socks *ns, int ms)
{
	struct pollfd pfd[NET_MAXFD];
	size_t i;

	for (i = 0; i < ns->n; i++) {
		pfd[i].fd = ns->fds[i];
		pfd[i].events = POLLIN;
	}
	if (ns->n > 0 && poll(pfd, ns->n, ms) == 0)
		net_socks_cut(ns);
}

enum dmn
net_curl_dmn(int code)
{
	switch ((CURLcode)code) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_NOT_BUILT_IN:
	case CURLE_LOGIN_DENIED:
	case CURLE_AUTH_ERROR:
	case CURLE_REMOTE_ACCESS_DENIED:
	case CURLE_USE_SSL_FAILED:
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_SSL_ENGINE_NOTFOUND:
	case CURLE_SSL_ENGINE_SETFAILED:
	case CURLE_SSL_CERTPROBLEM:
	case CURLE_SSL_CIPHER:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_ENGINE_INITFAILED:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CRL_BADFILE:
	case CURLE_SSL_ISSUER_ERROR:
	case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
	case CURLE_SSL_INVALIDCERTSTATUS:
	case CURLE_SSL_CLIENTCERT:
		return DMN_BAD_ACCOUNT;
	default:
		/* refused, reset, closed, timed out, name not resolved,
		 * a reply that made no sense: all worth another try.  So is
		 * CURLE_OUT_OF_MEMORY: libcurl also says it when a reply
		 * passes one of its own caps, the server's doing, and an
		 * allocation of ours that fails ends the process anyway. */
		return DMN_TEMP;
	}
}

/* A part of h as a string of ours, or NULL when the URL has none. */
static char *
url_part(CURLU *h, CURLUPart what)
{
	char *part = NULL, *copy;

	if (curl_url_get(h, what, &part, 0) != CURLUE_OK || part == NULL)
		return NULL;
	copy = xstrdup(part);
	curl_free(part);
	return copy;
}

static int
host_is_loopback(const char *host)
{
	struct in_addr a4;
	struct in6_addr a6;
	size_t n = strlen(host);
	char *bare;
	int yes;

	if (strcasecmp(host, "localhost") == 0)
		return 1;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n < 2 || host[0] != '[' || host[n - 1] != ']')
		return 0;
	bare = xstrndup(host + 1, n - 2);
	yes = inet_pton(AF_INET6, bare, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
	free(bare);
	return yes;
}

int
net_url_parse(const char *text, struct net_url *u, char **err)
{
	static const CURLUPart login[] = {
		CURLUPART_USER, CURLUPART_PASSWORD, CURLUPART_OPTIONS
	};
	CURLUcode rc;
	CURLU *h;
	char *part;
	size_t i;

	memset(u, 0, sizeof *u);
	if ((h = curl_url()) == NULL)
		fatalx("out of memory");
	/* Any scheme: the caller says which fit, whatever this libcurl
	 * was built with. */
	if ((rc = curl_url_set(h, CURLUPART_URL, text,
	    CURLU_NON_SUPPORT_SCHEME)) != CURLUE_OK) {
		*err = xstrdup(curl_url_strerror(rc));
		curl_url_cleanup(h);
		return -1;
	}
	u->scheme = url_part(h, CURLUPART_SCHEME);
	u->host = url_part(h, CURLUPART_HOST);
	for (i = 0; i < sizeof login / sizeof login[0]; i++)
		if ((part = url_part(h, login[i])) != NULL) {
			u->login = 1;
			free(part);
		}
	u->loopback = u->host != NULL && host_is_loopback(u->host);
	curl_url_cleanup(h);
	if (u->scheme == NULL)
		u->scheme = xstrdup("");
	return 0;
}

void
net_url_free(struct net_url *u)
{
	free(u->scheme);
	free(u->host);
	memset(u, 0, sizeof *u);
}
