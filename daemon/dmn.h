/* dmn.h: how far a failure reaches (isync's driver.h idea).  Lower layers
 * return one of these with a message in a caller-freed char **err; only
 * main.c turns them into exit statuses. */
#ifndef CONVENED_DMN_H
#define CONVENED_DMN_H

enum dmn {
	DMN_OK = 0,
	DMN_TEMP,         /* try again later: 4xx, timeout, connection lost */
	DMN_BAD_MSG,      /* this message or recipient will never go: 5xx */
	DMN_BAD_ACCOUNT,  /* the account is unusable: auth, TLS, config */
	DMN_FATAL         /* the process cannot go on */
};

#endif
