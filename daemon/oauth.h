/* oauth.h: where access tokens come from (OAuth 2.0, RFC 6749): the
 * provider's token endpoint, spoken over libcurl's HTTP with its JSON read
 * by jansson; the refresh token file convened keeps; and token_command.
 *
 * Only oauth.c includes jansson.h (and, with net.c, smtp.c and imap.c,
 * curl.h).  Secrets (access and refresh tokens, the client secret, device
 * codes) never reach a log line or *err; every copy oauth.c makes is wiped
 * before it is freed, jansson's own included, and the request and answer
 * bodies live in buffers allocated once at their full size, so no
 * reallocation leaves a copy behind.
 *
 * Every call here blocks for at most [oauth] timeout seconds (a device
 * poll or a code exchange: one request; token_command: the command).
 * Results common to the calls that speak to an endpoint:
 *   DMN_OK           the endpoint granted what was asked
 *   DMN_TEMP         the endpoint cannot be reached, timed out, answered
 *                    5xx or 429, or answered what does not parse: try
 *                    again later
 *   DMN_BAD_ACCOUNT  the endpoint refused the grant (a 4xx with an OAuth
 *                    error: invalid_grant for a revoked or expired
 *                    refresh token, invalid_client, invalid_scope, ...),
 *                    TLS or the URL failed, or the client secret cannot be
 *                    read: a person must act (`convened authorize`, the
 *                    configuration)
 * On anything but DMN_OK *err is one line (caller frees) that names the
 * endpoint and, when it said one, its OAuth error code and description. */
#ifndef CONVENED_OAUTH_H
#define CONVENED_OAUTH_H

#include "dmn.h"

struct oauth_config;

/* A token endpoint's grant.  Strings are the caller's, wiped and freed by
 * oauth_grant_clear(). */
struct oauth_grant {
	char      *access_token;
	char      *refresh_token;   /* NULL: the provider keeps the old one */
	long long  expires_in;      /* seconds; 0 when the endpoint said none */
	char      *scope;           /* NULL when the endpoint said none */
};

void oauth_grant_clear(struct oauth_grant *);

/* The refresh-token grant (RFC 6749 section 6): a new access token for
 * refresh_token, with the configured scope when there is one. */
enum dmn oauth_refresh(const struct oauth_config *, const char *refresh_token,
        struct oauth_grant *, char **err);

/* The authorization-code grant with PKCE (RFC 7636): code from the
 * redirect to redirect_uri, verifier the secret whose S256 challenge the
 * authorization request carried. */
enum dmn oauth_code_grant(const struct oauth_config *, const char *code,
        const char *verifier, const char *redirect_uri,
        struct oauth_grant *, char **err);

/* The URL a person opens to grant access (RFC 6749 section 4.1.1) with
 * a PKCE challenge (S256) and state, answering to redirect_uri (caller
 * frees). */
char *oauth_authorize_url(const struct oauth_config *,
        const char *redirect_uri, const char *challenge, const char *state);

/* The device authorization grant (RFC 8628): what device_url answered.
 * Strings are the caller's (oauth_device_clear); verification_uri_complete
 * may be NULL; interval is in seconds (5 when the endpoint said none). */
struct oauth_device {
	char      *device_code;
	char      *user_code;
	char      *verification_uri;
	char      *verification_uri_complete;
	long long  expires_in;
	long       interval;
};

enum dmn oauth_device_start(const struct oauth_config *,
        struct oauth_device *, char **err);
void oauth_device_clear(struct oauth_device *);

enum oauth_poll {
	OAUTH_POLL_DONE,        /* *grant filled */
	OAUTH_POLL_PENDING,     /* the person has not answered yet */
	OAUTH_POLL_SLOW_DOWN,   /* the same, and poll 5 s more slowly */
	OAUTH_POLL_FAILED       /* denied, expired, or the endpoint failed:
	                         * *err set */
};

/* Ask the token endpoint once whether the person has answered. */
enum oauth_poll oauth_device_poll(const struct oauth_config *,
        const struct oauth_device *, struct oauth_grant *, char **err);

/* The refresh token kept in refresh_token_file: a string the caller wipes
 * and frees (oauth_secret_free), or NULL with *err set when the file is
 * missing, empty or unreadable (run convened authorize). */
char *oauth_refresh_read(const struct oauth_config *, char **err);

/* Replace refresh_token_file with token, atomically (a temporary file in
 * its directory, synced, renamed), mode 0600 whatever the umask.  0, or -1
 * with *err set. */
int   oauth_refresh_write(const struct oauth_config *, const char *token,
          char **err);

/* Run token_command (/bin/sh -c) with no input and [oauth] timeout: its
 * standard output, trimmed, is the access token (*token, the caller's to
 * wipe and free); each line of its standard error is logged as a warning.
 *   DMN_TEMP         it ran past the timeout (killed) or could not start
 *   DMN_BAD_ACCOUNT  it exited non-zero or printed no token */
enum dmn oauth_command(const struct oauth_config *, char **token,
        char **err);

/* Wipe and free a secret string.  NULL is a no-op. */
void  oauth_secret_free(char *);

#endif
