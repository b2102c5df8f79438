#include <sys/socket.h>

#include <poll.h>
#include <unistd.h>

#include <curl/curl.h>

#include "net.h"

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
