/* dmn.h: how far a failure reaches (isync's driver.h idea).  The network
 * doors (smtp.h, imap.h) return one of these with a message in a
 * caller-freed char **err; the caller decides from it whether to go on
 * with the next message, the next folder or the next cycle.  Nothing here
 * ends the process: what cannot go on (out of memory, a broken internal
 * contract) aborts where it happens, as xmalloc() does. */
#ifndef CONVENED_DMN_H
#define CONVENED_DMN_H

enum dmn {
	DMN_OK = 0,
	DMN_TEMP,         /* try again later: 4xx, timeout, connection lost */
	DMN_BAD_MSG,      /* this message, recipient or folder will never do:
	                   * 5xx, a tagged NO */
	DMN_BAD_ACCOUNT   /* the account is unusable: auth, TLS, URL */
};

#endif
