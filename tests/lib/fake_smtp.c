/* fake_smtp.c: see fake_smtp.h.  The results follow smtp.h's contract for
 * the reply each script entry stands for. */
#include <stdlib.h>
#include <string.h>

#include "fake_smtp.h"
#include "smtp.h"
#include "util.h"

struct fake_smtp fake_smtp;

struct smtp {
	enum fake_reply last;
	int     busy;           /* started, not waited for */
	size_t  seq;            /* when it started */
	enum dmn result;
	char   *err;
};

void
fake_smtp_reset(void)
{
	size_t i;

	for (i = 0; i < FAKE_MAX; i++) {
		free(fake_smtp.from[i]);
		free(fake_smtp.rcpt[i]);
		free(fake_smtp.data[i]);
	}
	memset(&fake_smtp, 0, sizeof fake_smtp);
}

struct smtp *
smtp_new(const struct endpoint *ep, const char *password, long timeout)
{
	(void)ep;
	(void)password;
	(void)timeout;
	fake_smtp.sessions++;
	fake_smtp.open++;
	return xcalloc(1, sizeof(struct smtp));
}

/* The script's reply to the next send, decided when it starts. */
static enum dmn
reply(struct smtp *s, const char *from, const char *rcpt,
    const char *data, size_t len, char **err)
{
	size_t n = fake_smtp.sends++;

	if (n < FAKE_MAX) {
		fake_smtp.from[n] = xstrdup(from);
		fake_smtp.rcpt[n] = xstrdup(rcpt);
		fake_smtp.data[n] = xstrndup(data, len);
	}
	if (fake_smtp.during != NULL)
		fake_smtp.during(n + 1);
	if (fake_smtp.stop != NULL && fake_smtp.stop_at == n + 1)
		*fake_smtp.stop = 1;
	s->last = n < fake_smtp.nscript ? fake_smtp.script[n] : FAKE_250;
	switch (s->last) {
	case FAKE_250:
		return DMN_OK;
	case FAKE_451:
		*err = xasprintf("cannot send to %s: end of data refused: 451 "
		    "try later", rcpt);
		return DMN_TEMP;
	case FAKE_DOWN:
		*err = xasprintf("cannot send to %s: connect: Couldn't connect "
		    "to server", rcpt);
		return DMN_TEMP;
	case FAKE_550_RCPT:
		*err = xasprintf("cannot send to %s: RCPT TO refused: 550 no "
		    "such user", rcpt);
		return DMN_BAD_MSG;
	case FAKE_554_DATA:
		*err = xasprintf("cannot send to %s: end of data refused: 554 "
		    "spam", rcpt);
		return DMN_BAD_MSG;
	case FAKE_535_AUTH:
		*err = xasprintf("cannot send to %s: AUTH refused: 535 bad "
		    "credentials", rcpt);
		return DMN_BAD_ACCOUNT;
	}
	return DMN_OK;
}

enum dmn
smtp_send(struct smtp *s, const char *from, const char *rcpt,
    const char *data, size_t len, char **err)
{
	return reply(s, from, rcpt, data, len, err);
}

enum dmn
smtp_start(struct smtp *s, const char *from, const char *rcpt,
    const char *data, size_t len, char **err)
{
	(void)err;              /* the reply is for smtp_wait() */
	s->err = NULL;
	s->result = reply(s, from, rcpt, data, len, &s->err);
	s->busy = 1;
	s->seq = fake_smtp.sends;
	if (fake_smtp.inflight < ++fake_smtp.busy)
		fake_smtp.inflight = fake_smtp.busy;
	return DMN_OK;
}

int
smtp_busy(const struct smtp *s)
{
	return s != NULL && s->busy;
}

/* The send started first ends first. */
enum dmn
smtp_wait(struct smtp *const *ss, size_t n, size_t *which, char **err)
{
	size_t i, first = n;

	for (i = 0; i < n; i++)
		if (smtp_busy(ss[i]) && (first == n ||
		    ss[i]->seq < ss[first]->seq))
			first = i;
	if (first == n)
		abort();
	*which = first;
	ss[first]->busy = 0;
	fake_smtp.busy--;
	if (ss[first]->err != NULL)
		*err = ss[first]->err;
	return ss[first]->result;
}

int
smtp_recipient_refused(const struct smtp *s)
{
	return s->last == FAKE_550_RCPT;
}

int
smtp_server_unavailable(const struct smtp *s)
{
	return s->last == FAKE_DOWN;
}

int
smtp_connect_failed(const struct smtp *s)
{
	return s->last == FAKE_DOWN;
}

int
smtp_login_refused(const struct smtp *s)
{
	return s->last == FAKE_535_AUTH;
}

void
smtp_free(struct smtp *s)
{
	if (s == NULL)
		return;
	fake_smtp.open--;
	free(s);
}
