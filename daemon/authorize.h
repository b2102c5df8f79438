/* authorize.h: `convened authorize`, which obtains the first refresh
 * token with a person at the keyboard and keeps it in [oauth]
 * refresh_token_file.
 *
 * Where the provider offers the device authorization grant (device_url:
 * Microsoft, or custom) it prints the address to open and the code to
 * enter, then polls the token endpoint at the interval the provider
 * asks, five seconds more slowly after each slow_down, until the code
 * expires (RFC 8628).  Otherwise (Google) it uses the authorization-code
 * grant with PKCE (RFC 7636) and a loopback redirect (RFC 8252): it
 * listens on 127.0.0.1 on a port the kernel picks, prints the address to
 * open in a browser on the same machine, and takes the one redirect that
 * comes back with the right state.
 *
 * Nothing secret is printed: not the tokens, not the device code. */
#ifndef CONVENED_AUTHORIZE_H
#define CONVENED_AUTHORIZE_H

#include <stdio.h>

struct config;

/* Run the grant, writing what the person must do and what was done to
 * out.  0 when refresh_token_file was written; -1 with *err set (caller
 * frees): no account uses OAuth, token_command is configured, the
 * provider refused or the code expired, the file cannot be written. */
int authorize_run(const struct config *, FILE *out, char **err);

#endif
