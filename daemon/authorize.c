/*
 * authorize.c: `convened authorize` (see authorize.h).
 */
#include <sys/random.h>
#include <sys/socket.h>

#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "authorize.h"
#include "config.h"
#include "log.h"
#include "oauth.h"
#include "util.h"

#define REDIRECT_WAIT   600     /* seconds for the person to answer */
#define REQUEST_MAX     8192    /* the redirect's request head */

/* Keep the grant: the refresh token in its file, and a word of what was
 * done. */
static int
keep(const struct config *cfg, FILE *out, const struct oauth_grant *g,
    char **err)
{
	const struct oauth_config *o = &cfg->oauth;

	if (g->refresh_token == NULL || *g->refresh_token == '\0') {
		*err = xstrdup("the provider granted no refresh token: ask for "
		    "offline access (offline_access in the scope for "
		    "Microsoft)");
		return -1;
	}
	if (oauth_refresh_write(o, g->refresh_token, err) == -1)
		return -1;
	fprintf(out, "authorized: refresh token written to %s (mode 0600)\n",
	    o->refresh_token_file);
	if (g->expires_in > 0)
		fprintf(out, "the first access token is valid for %lld s; "
		    "convened renews it as it goes\n", g->expires_in);
	if (g->scope != NULL)
		fprintf(out, "scope granted: %s\n", g->scope);
	fprintf(out, "a running convened uses it from its next cycle\n");
	return 0;
}

/* ---- device authorization grant (RFC 8628) ------------------------------ */

static int
device_flow(const struct config *cfg, FILE *out, char **err)
{
	const struct oauth_config *o = &cfg->oauth;
	struct oauth_device d;
	struct oauth_grant g;
	long long deadline;
	long interval;
	int rc = -1;

	if (oauth_device_start(o, &d, err) != DMN_OK)
		return -1;
	fprintf(out, "To authorize convened, open %s\nand enter the code %s\n",
	    d.verification_uri, d.user_code);
	if (d.verification_uri_complete != NULL)
		fprintf(out, "(or open %s)\n", d.verification_uri_complete);
	fprintf(out, "waiting for the answer...\n");
	fflush(out);
	deadline = (long long)time(NULL) + (d.expires_in > 0 ? d.expires_in :
	    900);
	for (interval = d.interval;; ) {
		sleep((unsigned)interval);
		if ((long long)time(NULL) >= deadline) {
			*err = xstrdup("the code expired before it was "
			    "entered: run convened authorize again");
			break;
		}
		switch (oauth_device_poll(o, &d, &g, err)) {
		case OAUTH_POLL_PENDING:
			continue;
		case OAUTH_POLL_SLOW_DOWN:
			interval += 5;
			log_debug("authorize: slow_down, polling every %ld s",
			    interval);
			continue;
		case OAUTH_POLL_DONE:
			rc = keep(cfg, out, &g, err);
			oauth_grant_clear(&g);
			break;
		case OAUTH_POLL_FAILED:
			break;
		}
		break;
	}
	oauth_device_clear(&d);
	return rc;
}

/* ---- authorization code with PKCE (RFC 7636, 8252) ----------------------- */

/* base64url without padding (RFC 4648 section 5) of n bytes. */
static char *
b64url(const unsigned char *p, size_t n)
{
	static const char abc[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnop"
	    "qrstuvwxyz0123456789-_";
	char *out = xmalloc(n / 3 * 4 + 5), *o = out;
	size_t i;

	for (i = 0; i + 2 < n; i += 3) {
		*o++ = abc[p[i] >> 2];
		*o++ = abc[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
		*o++ = abc[((p[i + 1] & 15) << 2) | (p[i + 2] >> 6)];
		*o++ = abc[p[i + 2] & 63];
	}
	if (i < n) {
		*o++ = abc[p[i] >> 2];
		if (i + 1 < n) {
			*o++ = abc[((p[i] & 3) << 4) | (p[i + 1] >> 4)];
			*o++ = abc[(p[i + 1] & 15) << 2];
		} else
			*o++ = abc[(p[i] & 3) << 4];
	}
	*o = '\0';
	return out;
}

static char *
random_b64url(size_t n)
{
	unsigned char raw[64];
	char *s;

	if (n > sizeof raw || getrandom(raw, n, 0) != (ssize_t)n)
		fatal("getrandom");
	s = b64url(raw, n);
	explicit_bzero(raw, sizeof raw);
	return s;
}

/* The S256 challenge of verifier: base64url(SHA-256(verifier)). */
static char *
challenge_of(const char *verifier)
{
	unsigned char raw[32];
	char hex[65];
	size_t i;

	sha256_hex(verifier, strlen(verifier), hex);
	for (i = 0; i < 32; i++)
		raw[i] = (unsigned char)strtoul((char[3]){ hex[2 * i],
		    hex[2 * i + 1], '\0' }, NULL, 16);
	return b64url(raw, sizeof raw);
}

/* A listening socket on 127.0.0.1, its port in *port; -1 on failure. */
static int
listen_loopback(int *port, char **err)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	int fd;

	memset(&a, 0, sizeof a);
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&a, sizeof a) == -1 ||
	    listen(fd, 4) == -1 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) == -1) {
		*err = xasprintf("cannot listen on 127.0.0.1 for the redirect: "
		    "%s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	*port = ntohs(a.sin_port);
	return fd;
}

static int
hexval(int c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ?
	    c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* The value of name in query (up to a space or the end), percent-decoded
 * (caller frees), or NULL. */
static char *
query_param(const char *query, const char *name)
{
	size_t n = strlen(name);
	const char *p = query;
	struct buf b = BUF_INIT(REQUEST_MAX);

	while (p != NULL && *p != '\0' && *p != ' ') {
		if (strncmp(p, name, n) == 0 && p[n] == '=') {
			for (p += n + 1; *p != '\0' && *p != '&' && *p != ' '; p++)
				if (*p == '%' && hexval(p[1]) >= 0 &&
				    hexval(p[2]) >= 0) {
					buf_addc(&b, (char)(hexval(p[1]) * 16 +
					    hexval(p[2])));
					p += 2;
				} else
					buf_addc(&b, *p == '+' ? ' ' : *p);
			return buf_detach(&b);
		}
		p = strpbrk(p, "& ");
		if (p != NULL && *p == '&')
			p++;
	}
	return NULL;
}

/* Wait for the browser's request to the redirect URI and answer it.
 * Returns the request line's query (caller frees), or NULL. */
static char *
take_redirect(int lfd, char **err)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	char req[REQUEST_MAX + 1], *q, *sp;
	static const char answer[] = "HTTP/1.1 200 OK\r\nContent-Type: "
	    "text/plain; charset=utf-8\r\nConnection: close\r\n\r\n"
	    "convened: done, this page can be closed.\n";
	ssize_t got;
	size_t len = 0;
	int fd;

	req[0] = '\0';
	if (poll(&p, 1, REDIRECT_WAIT * 1000) <= 0 ||
	    (fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC)) == -1) {
		*err = xasprintf("no answer came to the redirect within %d s: "
		    "run convened authorize again", REDIRECT_WAIT);
		return NULL;
	}
	p.fd = fd;
	while (len < REQUEST_MAX && strstr(req, "\r\n\r\n") == NULL &&
	    poll(&p, 1, 10000) > 0 &&
	    (got = read(fd, req + len, REQUEST_MAX - len)) > 0) {
		len += (size_t)got;
		req[len] = '\0';
	}
	req[len] = '\0';
	if (write(fd, answer, sizeof answer - 1) < 0)
		log_debug("authorize: the browser left before the answer");
	close(fd);
	if (strncmp(req, "GET /", 5) != 0 || (q = strchr(req + 4, '?')) == NULL) {
		*err = xstrdup("the redirect did not carry an answer");
		return NULL;
	}
	if ((sp = strchr(q, ' ')) != NULL)
		*sp = '\0';
	q = xstrdup(q + 1);
	explicit_bzero(req, sizeof req);
	return q;
}

/* The code from the redirect's query, once its state is ours. */
static char *
code_of(const char *query, const char *state, char **err)
{
	char *got = query_param(query, "state");
	char *code = query_param(query, "code");
	char *e = query_param(query, "error");

	if (e != NULL || code == NULL || got == NULL || strcmp(got, state) != 0) {
		*err = e != NULL ? xasprintf("the provider refused: %.200s",
		    e) : xstrdup("the redirect carried no code, or not our "
		    "state");
		oauth_secret_free(code);
		code = NULL;
	}
	free(got);
	free(e);
	return code;
}

static int
code_flow(const struct config *cfg, FILE *out, char **err)
{
	const struct oauth_config *o = &cfg->oauth;
	char *verifier, *challenge, *state, *uri, *url, *query, *code = NULL;
	struct oauth_grant g;
	int lfd, port, rc = -1;

	if ((lfd = listen_loopback(&port, err)) == -1)
		return -1;
	verifier = random_b64url(48);
	challenge = challenge_of(verifier);
	state = random_b64url(16);
	uri = xasprintf("http://127.0.0.1:%d/", port);
	url = oauth_authorize_url(o, uri, challenge, state);
	fprintf(out, "To authorize convened, open this address in a browser "
	    "on this machine\n(from elsewhere, forward port %d to it first, "
	    "e.g. ssh -L %d:127.0.0.1:%d):\n\n%s\n\nwaiting for the "
	    "answer...\n", port, port, port, url);
	fflush(out);
	if ((query = take_redirect(lfd, err)) != NULL &&
	    (code = code_of(query, state, err)) != NULL &&
	    oauth_code_grant(o, code, verifier, uri, &g, err) == DMN_OK) {
		rc = keep(cfg, out, &g, err);
		oauth_grant_clear(&g);
	}
	close(lfd);
	oauth_secret_free(code);
	oauth_secret_free(query);
	oauth_secret_free(verifier);
	free(challenge);
	free(state);
	free(uri);
	free(url);
	return rc;
}

int
authorize_run(const struct config *cfg, FILE *out, char **err)
{
	const struct oauth_config *o = &cfg->oauth;

	if (!config_uses_oauth(cfg)) {
		*err = xasprintf("%s: no account signs in with OAuth (auth = "
		    "xoauth2 or oauthbearer): nothing to authorize", cfg->file);
		return -1;
	}
	if (o->token_command != NULL) {
		*err = xasprintf("%s: access tokens come from token_command: "
		    "authorize with the program it runs", cfg->file);
		return -1;
	}
	if (o->device_url != NULL)
		return device_flow(cfg, out, err);
	if (o->authorize_url != NULL)
		return code_flow(cfg, out, err);
	*err = xasprintf("%s: [oauth] names neither device_url nor "
	    "authorize_url: no way to ask for access", cfg->file);
	return -1;
}
