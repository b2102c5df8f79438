/* account.h: the two accounts convened signs in to, imap and smtp: what
 * each signs in with now, how it went, and telling the admin when one
 * stops working.
 *
 * Passwords are read from their files for each session, as before.
 * OAuth 2.0 access tokens (oauth.h) live here for the life of the
 * process: fetched when an account first needs one, kept in memory that
 * core dumps leave out, shared by IMAP and SMTP, and refreshed with the
 * refresh token once the token is within a minute (or a quarter of its
 * life, when that is shorter) of expiring, by the real clock, whatever
 * --now says.  A refresh token the provider rotates replaces
 * refresh_token_file at once.  token_command runs once a cycle.
 *
 * Within one cycle (account_cycle_begin() starts one):
 *  - the token is fetched at most once for expiry and once more for a
 *    login refused with a token from an earlier cycle (account_retry()),
 *    never more: no loop;
 *  - a failure to get a token is logged once, in one line that says what
 *    to do, and every account that asks again gets the same failure
 *    without a second request;
 *  - a token endpoint that cannot be reached is not asked again until its
 *    backoff (one minute doubling to an hour) has passed; a refresh token
 *    the endpoint refused is not sent again until refresh_token_file
 *    changes (`convened authorize` wrote a new one).
 * What each account did is recorded in the store (account_record()), for
 * `status` and the metrics. */
#ifndef CONVENED_ACCOUNT_H
#define CONVENED_ACCOUNT_H

#include "dmn.h"

struct config;
struct cycle_ctx;
struct store;

enum account { ACCOUNT_IMAP, ACCOUNT_SMTP };
#define ACCOUNT_COUNT 2

/* "imap" or "smtp". */
const char *account_name(enum account);

/* A new cycle: the limits above start again. */
void account_cycle_begin(void);

/* What the account signs in with: its password, an access token, or
 * NULL (no authentication: auth = none, or a password account without a
 * username).  *secret is the caller's to wipe and free
 * (oauth_secret_free()).
 *   DMN_OK           *secret set
 *   DMN_TEMP         no token for now (the endpoint is down or backing
 *                    off, token_command timed out): try next cycle
 *   DMN_BAD_ACCOUNT  the password file cannot be read, or the
 *                    authorization is gone (no refresh token, the
 *                    endpoint refused it, token_command failed): a
 *                    person must act
 * On failure *err is set (caller frees, logs) for a password; for a token
 * the failure was logged here, once per cycle, and *err is left NULL.
 * Either way the account is recorded as failing this cycle. */
enum dmn account_secret(const struct config *, enum account, char **secret,
        char **err);

/* The server refused the login of the account (smtp_login_refused(),
 * imap_login_refused()): 1 when one more try with a new access token is
 * worth it (the refused one came from an earlier cycle, and no token was
 * fetched for this reason yet this cycle); the token is dropped and the
 * next account_secret() fetches another.  0 otherwise. */
int  account_retry(const struct config *, enum account);

/* How signing in went: ok, or error (one line, may be NULL) and whether
 * it was the login itself the server refused. */
void account_result(const struct config *, enum account, int ok,
        const char *error, int login_refused);

/* Write what the accounts did since the last call into the store
 * (store_account_set()).  0, or -1 with *err set (caller frees). */
int  account_record(const struct config *, struct store *, long long now,
        char **err);

/* The admin ([policy] admin) is told, once per outage, of an account
 * whose authorization failed this cycle (a refused or missing refresh
 * token, a failing token_command, a fresh token the server refused), when
 * mail can still be sent: the SMTP account is not failing.  The letter
 * (kind auth-notice) is queued in the store's transaction of this call.
 * Adds to c->cs->queued.  0, or -1 with *err set (caller frees). */
int  account_notice(const struct cycle_ctx *, char **err);

/* Forget the access token (wiped) and everything above. */
void account_reset(void);

#endif
