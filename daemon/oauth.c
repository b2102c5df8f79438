/*
 * oauth.c: the token endpoint, the refresh token file and token_command
 * (see oauth.h).
 *
 * A request is one POST of an application/x-www-form-urlencoded body
 * (RFC 6749 section 4.1.3, 6; RFC 8628 section 3.1, 3.4) with the client
 * authenticated in the body (client_id, and client_secret when there is
 * one), which Microsoft's and Google's endpoints both take.  Redirects are
 * not followed: a token endpoint that moves is a configuration to fix, and
 * following one would carry the refresh token to wherever it points.
 */
#include <sys/types.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "config.h"
#include "log.h"
#include "oauth.h"
#include "util.h"

#define ANSWER_MAX   (64u << 10)    /* a token endpoint's answer */
#define TOKEN_MAX    (16u << 10)    /* a token file, a command's output */
#define SHOWN_MAX    200            /* endpoint text in a message */

/* ---- secrets ------------------------------------------------------------ */

/* A buffer for a secret, allocated once at its full size so no
 * reallocation leaves a copy behind; wiped by secret_buf_release(). */
static void
secret_buf(struct buf *b, size_t max)
{
	buf_init(b, max);
	b->data = xmalloc(max + 1);
	b->cap = max + 1;
	b->data[0] = '\0';
}

static void
secret_buf_release(struct buf *b)
{
	explicit_bzero(b->data, b->cap);
	buf_release(b);
}

/* Every block a secret was in goes back wiped, all of it: jansson's
 * (they keep the strings they parse in memory of their own) and ours. */
static void
wiping_free(void *p)
{
	if (p == NULL)
		return;
	explicit_bzero(p, malloc_usable_size(p));
	free(p);
}

void
oauth_secret_free(char *s)
{
	wiping_free(s);
}

static void
json_wipe_on_free(void)
{
	static int done;

	if (!done) {
		json_set_alloc_funcs(malloc, wiping_free);
		done = 1;
	}
}

void
oauth_grant_clear(struct oauth_grant *g)
{
	oauth_secret_free(g->access_token);
	oauth_secret_free(g->refresh_token);
	free(g->scope);
	memset(g, 0, sizeof *g);
}

void
oauth_device_clear(struct oauth_device *d)
{
	oauth_secret_free(d->device_code);
	free(d->user_code);
	free(d->verification_uri);
	free(d->verification_uri_complete);
	memset(d, 0, sizeof *d);
}

/* ---- the request -------------------------------------------------------- */

/* A form body: name=value pairs percent-encoded (RFC 3986 unreserved
 * characters as they are), sized once so no copy of a secret is left by
 * a reallocation.  pairs ends with NULL; a NULL value skips its pair. */
static char *
form(const char *const *pairs, size_t *len)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t max = 1, i, n = 0;
	const char *v;
	char *out;

	for (i = 0; pairs[i] != NULL; i += 2)
		if (pairs[i + 1] != NULL)
			max += strlen(pairs[i]) + 2 + 3 * strlen(pairs[i + 1]);
	out = xmalloc(max);
	for (i = 0; pairs[i] != NULL; i += 2) {
		if ((v = pairs[i + 1]) == NULL)
			continue;
		if (n > 0)
			out[n++] = '&';
		memcpy(out + n, pairs[i], strlen(pairs[i]));
		n += strlen(pairs[i]);
		out[n++] = '=';
		for (; *v != '\0'; v++) {
			unsigned char ch = (unsigned char)*v;

			if ((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') ||
			    (ch >= '0' && ch <= '9') || strchr("-._~", ch) != NULL)
				out[n++] = (char)ch;
			else {
				out[n++] = '%';
				out[n++] = hex[ch >> 4];
				out[n++] = hex[ch & 15];
			}
		}
	}
	out[n] = '\0';
	*len = n;
	return out;
}

struct answer {
	char   *data;           /* ANSWER_MAX + 1 bytes, allocated once */
	size_t  len;
	int     over;
};

static size_t
write_cb(char *p, size_t size, size_t nitems, void *arg)
{
	struct answer *a = arg;
	size_t n = size * nitems;

	if (n > ANSWER_MAX - a->len) {
		a->over = 1;
		return 0;               /* libcurl stops: CURLE_WRITE_ERROR */
	}
	memcpy(a->data + a->len, p, n);
	a->len += n;
	return n;
}

/* POST body to url; the HTTP status and the answer as JSON (NULL when it
 * is not JSON).  DMN_OK when an answer came, whatever its status. */
static enum dmn
post(const struct oauth_config *o, const char *url, const char *body,
    size_t len, long *status, json_t **json, char **err)
{
	const char *ca = getenv("CONVENED_CA_FILE");
	struct answer a = { xmalloc(ANSWER_MAX + 1), 0, 0 };
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *hdr;
	json_error_t jerr;
	CURLcode rc;
	CURL *c;

	json_wipe_on_free();
	if ((c = curl_easy_init()) == NULL ||
	    (hdr = curl_slist_append(NULL, "Accept: application/json")) == NULL)
		fatalx("cannot initialise libcurl");
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https,http");
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, (long)o->timeout);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "convened");
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &a);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
	if (ca != NULL && *ca != '\0')
		curl_easy_setopt(c, CURLOPT_CAINFO, ca);
	rc = curl_easy_perform(c);
	*status = 0;
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
	curl_easy_cleanup(c);
	curl_slist_free_all(hdr);
	*json = NULL;
	if (rc == CURLE_OK)
		*json = json_loadb(a.data, a.len, 0, &jerr);
	explicit_bzero(a.data, a.len);
	free(a.data);
	if (rc == CURLE_OK)
		return DMN_OK;
	*err = xasprintf("cannot reach the token endpoint %s: %s%s%s%s", url,
	    a.over ? "answer too long" : curl_easy_strerror(rc),
	    errbuf[0] != '\0' ? " (" : "", errbuf, errbuf[0] != '\0' ? ")" : "");
	switch (rc) {
	case CURLE_UNSUPPORTED_PROTOCOL:
	case CURLE_URL_MALFORMAT:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		return DMN_BAD_ACCOUNT;
	default:
		return DMN_TEMP;
	}
}

/* A string member of j as a copy of ours, or NULL. */
static char *
member(const json_t *j, const char *key)
{
	const char *v = json_string_value(json_object_get(j, key));

	return v != NULL ? xstrdup(v) : NULL;
}

static long long
member_int(const json_t *j, const char *key)
{
	const json_t *v = json_object_get(j, key);

	/* Some endpoints send numbers as strings. */
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return json_is_integer(v) ? (long long)json_integer_value(v) : 0;
}

/* What an endpoint that did not grant said: its OAuth error, or its HTTP
 * status.  Refusals (a 4xx with an error) are a person's to mend. */
static enum dmn
refused(const char *url, long status, const json_t *j, char **err)
{
	const char *code = json_string_value(json_object_get(j, "error"));
	const char *desc = json_string_value(json_object_get(j,
	    "error_description"));

	if (code != NULL && status >= 400 && status < 500 && status != 429) {
		*err = xasprintf("the token endpoint %s refused: %.*s%s%.*s%s",
		    url, SHOWN_MAX, code, desc ? " (" : "", SHOWN_MAX,
		    desc ? desc : "", desc ? ")" : "");
		return DMN_BAD_ACCOUNT;
	}
	*err = xasprintf("the token endpoint %s answered HTTP %ld%s%.*s", url,
	    status, code ? ": " : (j == NULL ? " (not JSON)" : ""), SHOWN_MAX,
	    code ? code : "");
	return DMN_TEMP;
}

/* POST the pairs to url and read a token answer into g. */
static enum dmn
token_request(const struct oauth_config *o, const char *url,
    const char *const *pairs, struct oauth_grant *g, long *status,
    json_t **jout, char **err)
{
	json_t *j = NULL;
	enum dmn r;
	size_t len;
	char *body;

	memset(g, 0, sizeof *g);
	body = form(pairs, &len);
	r = post(o, url, body, len, status, &j, err);
	oauth_secret_free(body);
	if (r != DMN_OK)
		return r;
	if (*status == 200 && j != NULL &&
	    (g->access_token = member(j, "access_token")) != NULL &&
	    g->access_token[0] != '\0') {
		g->refresh_token = member(j, "refresh_token");
		g->expires_in = member_int(j, "expires_in");
		g->scope = member(j, "scope");
		json_decref(j);
		return DMN_OK;
	}
	oauth_grant_clear(g);
	if (jout != NULL) {
		*jout = j;
		return DMN_TEMP;
	}
	r = refused(url, *status, j, err);
	json_decref(j);
	return r;
}

/* A grant of the client's: pairs with client_id, and client_secret
 * when the configuration names one, added; then as token_request(). */
static enum dmn
client_grant(const struct oauth_config *o, const char *const *pairs,
    struct oauth_grant *g, long *status, json_t **jout, char **err)
{
	const char **all;
	char *secret = NULL;
	size_t n = 0;
	enum dmn r;

	memset(g, 0, sizeof *g);
	if (o->client_secret_file != NULL && (secret = config_read_secret(
	    o->client_secret_file, "client secret", err)) == NULL)
		return DMN_BAD_ACCOUNT;
	/* A value may be NULL (a pair left out): only a name ends it. */
	while (pairs[n] != NULL)
		n += 2;
	all = xcalloc(n + 5, sizeof *all);
	memcpy(all, pairs, n * sizeof *all);
	all[n] = "client_id";
	all[n + 1] = o->client_id;
	all[n + 2] = "client_secret";
	all[n + 3] = secret;
	r = token_request(o, o->token_url, all, g, status, jout, err);
	free(all);
	oauth_secret_free(secret);
	return r;
}

enum dmn
oauth_refresh(const struct oauth_config *o, const char *refresh_token,
    struct oauth_grant *g, char **err)
{
	long status;

	return client_grant(o, (const char *const[]){ "grant_type",
	    "refresh_token", "refresh_token", refresh_token, "scope", o->scope,
	    NULL }, g, &status, NULL, err);
}

enum dmn
oauth_code_grant(const struct oauth_config *o, const char *code,
    const char *verifier, const char *redirect_uri, struct oauth_grant *g,
    char **err)
{
	long status;

	return client_grant(o, (const char *const[]){ "grant_type",
	    "authorization_code", "code", code, "redirect_uri", redirect_uri,
	    "code_verifier", verifier, NULL }, g, &status, NULL, err);
}

enum dmn
oauth_device_start(const struct oauth_config *o, struct oauth_device *d,
    char **err)
{
	json_t *j = NULL;
	long status;
	enum dmn r;
	size_t len;
	char *body;

	memset(d, 0, sizeof *d);
	body = form((const char *const[]){ "client_id", o->client_id,
	    "scope", o->scope, NULL }, &len);
	r = post(o, o->device_url, body, len, &status, &j, err);
	free(body);
	if (r != DMN_OK)
		return r;
	d->device_code = member(j, "device_code");
	d->user_code = member(j, "user_code");
	/* Google's endpoint said verification_url before RFC 8628. */
	if ((d->verification_uri = member(j, "verification_uri")) == NULL)
		d->verification_uri = member(j, "verification_url");
	d->verification_uri_complete = member(j, "verification_uri_complete");
	d->expires_in = member_int(j, "expires_in");
	d->interval = (long)member_int(j, "interval");
	if (d->interval <= 0)
		d->interval = 5;
	if (status == 200 && d->device_code != NULL && d->user_code != NULL &&
	    d->verification_uri != NULL) {
		json_decref(j);
		return DMN_OK;
	}
	oauth_device_clear(d);
	r = refused(o->device_url, status, j, err);
	json_decref(j);
	return r;
}

enum oauth_poll
oauth_device_poll(const struct oauth_config *o, const struct oauth_device *d,
    struct oauth_grant *g, char **err)
{
	enum oauth_poll p = OAUTH_POLL_FAILED;
	const char *code;
	json_t *j = NULL;
	long status;
	enum dmn r;

	*err = NULL;
	r = client_grant(o, (const char *const[]){ "grant_type",
	    "urn:ietf:params:oauth:grant-type:device_code", "device_code",
	    d->device_code, NULL }, g, &status, &j, err);
	if (r == DMN_OK)
		return OAUTH_POLL_DONE;
	if (*err != NULL)       /* the endpoint could not be reached */
		return OAUTH_POLL_FAILED;
	code = json_string_value(json_object_get(j, "error"));
	if (code != NULL && strcmp(code, "authorization_pending") == 0)
		p = OAUTH_POLL_PENDING;
	else if (code != NULL && strcmp(code, "slow_down") == 0)
		p = OAUTH_POLL_SLOW_DOWN;
	else
		refused(o->token_url, status, j, err);
	json_decref(j);
	return p;
}

char *
oauth_authorize_url(const struct oauth_config *o, const char *redirect_uri,
    const char *challenge, const char *state)
{
	char *query, *url;
	size_t len;

	/* access_type and prompt: Google gives a refresh token only when
	 * asked for offline access, and again only on a new consent;
	 * other providers ignore what they do not know. */
	query = form((const char *const[]){ "client_id", o->client_id,
	    "response_type", "code", "redirect_uri", redirect_uri,
	    "scope", o->scope, "code_challenge", challenge,
	    "code_challenge_method", "S256", "state", state,
	    "access_type", "offline", "prompt", "consent", NULL }, &len);
	url = xasprintf("%s%c%s", o->authorize_url,
	    strchr(o->authorize_url, '?') != NULL ? '&' : '?', query);
	free(query);
	return url;
}

/* ---- the refresh token file -------------------------------------------- */

char *
oauth_refresh_read(const struct oauth_config *o, char **err)
{
	struct buf b;
	char *tok;
	size_t n;
	int fd;

	if ((fd = open(o->refresh_token_file, O_RDONLY | O_CLOEXEC)) == -1) {
		*err = xasprintf("no refresh token in %s (%s): run convened "
		    "authorize", o->refresh_token_file, strerror(errno));
		return NULL;
	}
	secret_buf(&b, TOKEN_MAX);
	if (buf_read(&b, fd) == -1) {
		*err = xasprintf("cannot read the refresh token in %s: %s",
		    o->refresh_token_file, errno == EFBIG ? "file too long" :
		    strerror(errno));
		close(fd);
		secret_buf_release(&b);
		return NULL;
	}
	close(fd);
	n = strcspn(buf_str(&b), "\r\n");
	tok = xstrndup(buf_str(&b), n);
	secret_buf_release(&b);
	if (*tok == '\0') {
		free(tok);
		*err = xasprintf("refresh token file %s is empty: run convened "
		    "authorize", o->refresh_token_file);
		return NULL;
	}
	return tok;
}

int
oauth_refresh_write(const struct oauth_config *o, const char *token,
    char **err)
{
	char *text = xasprintf("%s\n", token), *werr = NULL;
	int rc;

	rc = file_write_path(o->refresh_token_file, text, strlen(text), 0600,
	    &werr);
	oauth_secret_free(text);
	if (rc == -1) {
		*err = xasprintf("cannot store the refresh token: %s", werr);
		free(werr);
	}
	return rc;
}

/* ---- token_command ----------------------------------------------------- */

/* The command's standard error, a line at a time, as warnings; with
 * flush (or a full buffer) what is left without a newline too. */
static void
log_stderr(struct buf *e, int flush)
{
	char *s = e->data, *nl;
	size_t done = 0;

	if (s == NULL)
		return;
	while ((nl = memchr(s + done, '\n', e->len - done)) != NULL) {
		if (nl > s + done)
			log_warnx("token_command: %.*s", (int)(nl - s - done),
			    s + done);
		done = (size_t)(nl - s) + 1;
	}
	if ((flush || buf_full(e)) && done < e->len) {
		log_warnx("token_command: %.*s", (int)(e->len - done), s + done);
		done = e->len;
	}
	memmove(s, s + done, e->len - done);
	e->len -= done;
	s[e->len] = '\0';
	if (e->len == 0)
		buf_reset(e);
}

/* Read what the child writes on out and errfd until both close or the
 * deadline (CLOCK_MONOTONIC seconds) passes.  0, or -1 at the deadline. */
static int
drain(int out, int errfd, struct buf *o, struct buf *e, long long deadline)
{
	struct pollfd p[2] = { { out, POLLIN, 0 }, { errfd, POLLIN, 0 } };
	struct timespec ts;
	char chunk[4096];
	ssize_t n;
	int left;

	while (p[0].fd != -1 || p[1].fd != -1) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		left = (int)(deadline - (long long)ts.tv_sec);
		if (left <= 0 || poll(p, 2, left * 1000) == 0)
			return -1;
		for (size_t i = 0; i < 2; i++) {
			if (p[i].fd == -1 || p[i].revents == 0)
				continue;
			if ((n = read(p[i].fd, chunk, sizeof chunk)) <= 0) {
				if (n == -1 && errno == EINTR)
					continue;
				p[i].fd = -1;
				continue;
			}
			/* Past the cap bytes are dropped, not kept. */
			buf_add(i == 0 ? o : e, chunk, (size_t)n);
			explicit_bzero(chunk, (size_t)n);
			if (i == 1)
				log_stderr(e, 0);
		}
	}
	return 0;
}

static pid_t
spawn(const char *cmd, int out[2], int errp[2])
{
	pid_t pid;
	int null;

	if (pipe2(out, O_CLOEXEC) == -1)
		return -1;
	if (pipe2(errp, O_CLOEXEC) == -1) {
		close(out[0]);
		close(out[1]);
		return -1;
	}
	if ((pid = fork()) != 0)
		return pid;
	/* The child: its own process group, so that a timeout ends all it
	 * started. */
	setpgid(0, 0);
	if ((null = open("/dev/null", O_RDONLY)) != -1)
		dup2(null, 0);
	dup2(out[1], 1);
	dup2(errp[1], 2);
	execl("/bin/sh", "sh", "-c", cmd, (char *)NULL);
	_exit(127);
}

enum dmn
oauth_command(const struct oauth_config *o, char **token, char **err)
{
	struct buf out, e = BUF_INIT(4096);
	int op[2], ep[2], status = 0, timed_out;
	struct timespec ts;
	pid_t pid;
	char *t;

	*token = NULL;
	if ((pid = spawn(o->token_command, op, ep)) == -1) {
		*err = xasprintf("cannot run token_command: %s", strerror(errno));
		return DMN_TEMP;
	}
	close(op[1]);
	close(ep[1]);
	secret_buf(&out, TOKEN_MAX);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	timed_out = drain(op[0], ep[0], &out, &e,
	    (long long)ts.tv_sec + o->timeout) == -1;
	if (timed_out)
		kill(-pid, SIGKILL);
	close(op[0]);
	close(ep[0]);
	while (waitpid(pid, &status, 0) == -1 && errno == EINTR)
		;
	log_stderr(&e, 1);
	buf_release(&e);
	t = str_trim(out.data);
	if (!timed_out && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	    *t != '\0' && !buf_full(&out))
		*token = xstrdup(t);
	secret_buf_release(&out);
	if (*token != NULL)
		return DMN_OK;
	if (timed_out) {
		*err = xasprintf("token_command ran longer than %d s: killed",
		    o->timeout);
		return DMN_TEMP;
	}
	*err = WIFEXITED(status) && WEXITSTATUS(status) != 0 ?
	    xasprintf("token_command exited with status %d",
	    WEXITSTATUS(status)) : WIFSIGNALED(status) ?
	    xasprintf("token_command was killed by signal %d",
	    WTERMSIG(status)) : xstrdup("token_command printed no token");
	return DMN_BAD_ACCOUNT;
}
