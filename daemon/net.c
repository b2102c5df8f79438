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
