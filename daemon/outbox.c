#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "outbox.h"
#include "smtp.h"
#include "store.h"
#include "util.h"

#define BATCH 200

static long long
backoff(int attempts)
{
	long long d = 60;

	while (attempts-- > 0 && d < 4 * 3600)
		d *= 2;
	return d < 4 * 3600 ? d : 4 * 3600;
}

/* A temporary failure: the row waits for its backoff, or fails once it
 * has waited give_up_hours.  quiet: the line was logged for another row
 * (the server is down for all of them). */
static int
defer(const struct config *cfg, struct store *st, const struct store_outbox *o,
    long long now, const char *serr, int quiet, struct outbox_stats *os,
    char **err)
{
	char *why;
	int rc;

	if (now - o->created >= cfg->smtp_give_up_hours * 3600LL) {
		why = xasprintf("gave up after %d hours: %s",
		    cfg->smtp_give_up_hours, serr);
		log_warnx("cannot send %s %s to %s: %s", o->kind,
		    o->message_id, o->recipient, why);
		rc = store_outbox_set(st, o->id, "failed", 1, -1, -1, why, err);
		free(why);
		os->failed++;
		return rc;
	}
	(quiet ? log_debug : log_info)("deferred %s %s to %s: %s", o->kind,
	    o->message_id, o->recipient, serr);
	os->deferred++;
	return store_outbox_set(st, o->id, "pending", 1,
	    now + backoff(o->attempts), -1, serr, err);
}

static struct smtp *
session(const struct config *cfg, char **err)
{
	char *pw = NULL;
	struct smtp *s;

	if (cfg->smtp.username != NULL &&
	    (pw = config_read_password(&cfg->smtp, err)) == NULL)
		return NULL;
	s = smtp_new(&cfg->smtp, pw, cfg->smtp_timeout);
	if (pw != NULL) {
		explicit_bzero(pw, strlen(pw));
		free(pw);
	}
	return s;
}

int
outbox_flush(const struct config *cfg, struct store *st, long long now,
    volatile sig_atomic_t *stop, struct outbox_stats *os, char **err)
{
	struct store_outbox *rows = NULL;
	struct smtp *smtp = NULL;
	char *serr = NULL;
	size_t n = 0, i;
	enum dmn rc;
	int ret = 0;

	memset(os, 0, sizeof *os);
	for (;;) {
		if (store_outbox_due(st, now, BATCH, &rows, &n, err) == -1)
			return -1;
		if (n == 0)
			break;
		if (smtp == NULL && (smtp = session(cfg, &serr)) == NULL) {
			log_warnx("cannot send mail: %s", serr);
			free(serr);
			os->account_error = 1;
			store_outbox_free(rows, n);
			return 0;
		}
		/* The batch is marked in one commit: 'sending' only says a
		 * row may have gone, and the rows that did not are sent next
		 * time all the same.  'sent' is written per message, after
		 * the server's 250: never more than the one in flight can go
		 * twice. */
		if (store_begin(st) == -1)
			goto fail_begin;
		for (i = 0; i < n; i++)
			if (store_outbox_set(st, rows[i].id, "sending", 0, -1, -1,
			    NULL, err) == -1) {
				store_rollback(st);
				goto fail;
			}
		if (store_commit(st) == -1)
			goto fail_begin;
		for (i = 0; i < n; i++) {
			const struct store_outbox *o = &rows[i];

			if (stop != NULL && *stop)
				goto done;
			rc = smtp_send(smtp, cfg->org_email, o->recipient, o->data,
			    o->len, &serr);
			switch (rc) {
			case DMN_OK:
				if (store_outbox_set(st, o->id, "sent", 1, -1, now,
				    NULL, err) == -1)
					goto fail;
				log_debug("sent %s %s to %s", o->kind, o->message_id,
				    o->recipient);
				os->sent++;
				break;
			case DMN_TEMP:
				if (defer(cfg, st, o, now, serr, 0, os, err) == -1)
					goto fail;
				if (!smtp_server_unavailable(smtp))
					break;
				/* Refused, lost, stalled or closing (421): the
				 * server is down for every message, not this one.
				 * One line and one timeout per cycle, not one per
				 * message: the rest of the batch waits with it. */
				for (i++; i < n; i++)
					if (defer(cfg, st, &rows[i], now, serr, 1, os,
					    err) == -1)
						goto fail;
				free(serr);
				serr = NULL;
				goto done;
			case DMN_BAD_MSG:
				log_warnx("cannot send %s %s to %s: %s", o->kind,
				    o->message_id, o->recipient, serr);
				rc = store_outbox_set(st, o->id, "failed", 1, -1, -1,
				    serr, err) == -1 ? DMN_FATAL : rc;
				/* An address the server refuses outright is as
				 * dead as one that bounces: the coordinators are
				 * told the same way. */
				if (rc != DMN_FATAL && smtp_recipient_refused(smtp) &&
				    store_bounce_record(st, o->recipient, serr, 1, now,
				    err) == -1)
					rc = DMN_FATAL;
				os->failed++;
				break;
			case DMN_BAD_ACCOUNT:
			case DMN_FATAL:
				/* Nothing will go through this server now: the
				 * row waits, unblamed, for the next cycle. */
				log_warnx("cannot send mail through %s: %s",
				    cfg->smtp.url, serr);
				free(serr);
				serr = NULL;
				os->account_error = 1;
				if (store_outbox_set(st, o->id, "pending", 0, -1, -1,
				    NULL, err) == -1)
					goto fail;
				goto done;
			}
			free(serr);
			serr = NULL;
			if (rc == DMN_FATAL)
				goto fail;
		}
		store_outbox_free(rows, n);
		rows = NULL;
		n = 0;
	}
done:
	store_outbox_free(rows, n);
	smtp_free(smtp);
	return ret;
fail_begin:
	if (*err == NULL)
		*err = xstrdup("cannot mark messages as being sent in the state "
		    "db");
fail:
	free(serr);
	store_outbox_free(rows, n);
	smtp_free(smtp);
	return -1;
}
