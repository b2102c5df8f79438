/* classify.c: one message, one verdict (see classify.h).
 *
 * Order matters: a delivery report is a bounce (or a delay) even though
 * RFC 3464 reports carry Auto-Submitted; a calendar object comes next, so
 * that an RSVP sent by a server-side scheduling agent with Auto-Submitted
 * still counts; only then the auto-reply markers; the rest is plain. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "bounce.h"
#include "classify.h"
#include "ical.h"
#include "mime.h"
#include "util.h"

static const char *const kind_names[] = {
	"rsvp", "counter", "request", "cancel", "bounce", "delay",
	"auto-reply", "plain", "malformed"
};

const char *
verdict_kind_name(enum verdict_kind k)
{
	if ((unsigned)k >= sizeof kind_names / sizeof kind_names[0])
		return "malformed";
	return kind_names[k];
}

/* A bare calendar object rather than a message: BEGIN:VCALENDAR first. */
static int
is_bare_calendar(const char *data, size_t len)
{
	static const char begin[] = "BEGIN:VCALENDAR";
	size_t i = 0;

	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && isspace((unsigned char)data[i]))
		i++;
	return len - i >= sizeof begin - 1 &&
	    strncasecmp(data + i, begin, sizeof begin - 1) == 0;
}

/* Kind from the iTIP METHOD.  Sets *reason for what is not acted on. */
static enum verdict_kind
itip_kind(const struct ical_itip *it, char **reason)
{
	const char *m = it->method;
	size_t i;
	int cancelled = 0;

	for (i = 0; i < it->nev; i++)
		if (it->ev[i].status && strcmp(it->ev[i].status, "CANCELLED") == 0)
			cancelled = 1;
	if (m != NULL && strcmp(m, "REPLY") == 0)
		return VERDICT_RSVP;
	if (m != NULL && strcmp(m, "COUNTER") == 0)
		return VERDICT_COUNTER;
	if ((m != NULL && strcmp(m, "CANCEL") == 0) || cancelled)
		return VERDICT_CANCEL;
	if (m != NULL && strcmp(m, "REQUEST") == 0)
		return VERDICT_REQUEST;
	if (m == NULL) {
		*reason = xstrdup("calendar object without METHOD: not an iTIP "
		    "message");
		return VERDICT_PLAIN;
	}
	if (strcmp(m, "PUBLISH") == 0 || strcmp(m, "ADD") == 0 ||
	    strcmp(m, "REFRESH") == 0 || strcmp(m, "DECLINECOUNTER") == 0) {
		*reason = xasprintf("iTIP METHOD %s is not acted on", m);
		return VERDICT_PLAIN;
	}
	*reason = xasprintf("unknown iTIP METHOD %.40s", m);
	return VERDICT_MALFORMED;
}

static void
set_itip(struct verdict *v, struct ical_itip *it)
{
	char *reason = NULL;

	v->itip = it;
	v->kind = itip_kind(it, &reason);
	if ((v->kind == VERDICT_COUNTER || v->kind == VERDICT_RSVP) &&
	    it->ev[0].has_dtstart) {
		v->has_proposed = 1;
		v->proposed_start = it->ev[0].dtstart;
	}
	if (reason == NULL && it->warning != NULL)
		reason = xstrdup(it->warning);
	v->reason = reason;
}

static int
has_ci(const char *s, const char *needle)
{
	return s != NULL && strcasestr(s, needle) != NULL;
}

/* Auto-reply markers (RFC 3834 and the common non-standard ones).  A
 * reason the caller frees, or NULL. */
static char *
auto_reply(const struct mime_msg *m)
{
	/* Subject words in es, en, pt, fr; accents matched by leaving the
	 * accented letters out, so any case of them matches too. */
	static const char *const subjects[] = {
		"automatic reply", "respuesta autom", "resposta autom",
		"ponse automatique", "out of office", "out of the office",
		"fuera de la oficina", "autoreply:", "auto-reply:",
		NULL
	};
	const char *const *s;
	const char *h;

	if ((h = mime_header(m, "Auto-Submitted")) != NULL &&
	    strncasecmp(h, "no", 2) != 0)
		return xasprintf("auto-reply: Auto-Submitted: %.60s", h);
	if ((h = mime_header(m, "X-Autoreply")) != NULL)
		return xasprintf("auto-reply: X-Autoreply: %.60s", h);
	if ((h = mime_header(m, "X-Autorespond")) != NULL)
		return xasprintf("auto-reply: X-Autorespond: %.60s", h);
	if ((h = mime_header(m, "Precedence")) != NULL ||
	    (h = mime_header(m, "X-Precedence")) != NULL) {
		/* Mailing lists mark every post "bulk": a post with a
		 * List-Id is a person writing to a list, not an autoresponder. */
		if (strcasecmp(h, "junk") == 0 ||
		    strcasecmp(h, "auto_reply") == 0 ||
		    (strcasecmp(h, "bulk") == 0 &&
		    mime_header(m, "List-Id") == NULL))
			return xasprintf("auto-reply: Precedence: %.60s", h);
	}
	for (s = subjects; *s; s++)
		if (has_ci(m->subject, *s))
			return xasprintf("auto-reply: subject \"%.60s\"",
			    m->subject);
	return NULL;
}

static char *
one_line(char *s)
{
	char *p;

	if (s == NULL)
		return NULL;
	for (p = s; *p; p++)
		if (*p == '\n' || *p == '\r' || *p == '\t')
			*p = ' ';
	return s;
}

static void
classify_message(struct verdict *v, const char *data, size_t len)
{
	struct mime_msg *m;
	struct ical_itip *it;
	char *err = NULL, *first_err = NULL;
	size_t i;
	int delay;

	if (mime_parse(data, len, NULL, &m, &err) == -1) {
		v->kind = VERDICT_MALFORMED;
		v->reason = xasprintf("cannot read message: %s", err);
		free(err);
		return;
	}
	v->msg = m;
	if (m->message_id)
		v->message_id = xstrdup(m->message_id);
	if (m->from)
		v->from = xstrdup(m->from);

	bounce_detect(m, &v->bounce, &v->nbounce, &delay, &v->bounced_id);
	if (v->nbounce > 0) {
		v->kind = delay ? VERDICT_DELAY : VERDICT_BOUNCE;
		return;
	}

	for (i = 0; i < m->ncal; i++) {
		if (ical_parse_itip(m->cal[i].text, m->cal[i].method, &it,
		    &err) == 0) {
			set_itip(v, it);
			free(first_err);
			return;
		}
		if (first_err == NULL)
			first_err = err;
		else
			free(err);
	}
	if (first_err != NULL) {
		v->kind = VERDICT_MALFORMED;
		v->reason = first_err;
		return;
	}

	if ((v->reason = auto_reply(m)) != NULL) {
		v->kind = VERDICT_AUTO_REPLY;
		return;
	}
	v->kind = VERDICT_PLAIN;
	if (m->tnef)
		v->reason = xstrdup("Outlook TNEF (winmail.dat) not read");
	else if (m->html_only)
		v->reason = xstrdup("ordinary mail, HTML only (not rendered as "
		    "text)");
	else
		v->reason = xstrdup("ordinary mail: no calendar object, "
		    "delivery report or auto-reply marker");
}

int
classify(const char *data, size_t len, struct verdict **out)
{
	struct verdict *v = xcalloc(1, sizeof *v);
	struct ical_itip *it;
	char *err = NULL, *text;
	size_t cal_bytes = 0, cal_lines = 0;

	*out = v;
	if (data == NULL || len == 0) {
		v->kind = VERDICT_MALFORMED;
		v->reason = xstrdup("empty message");
		return 0;
	}
	if (len > MIME_MAX_SIZE) {
		v->kind = VERDICT_MALFORMED;
		/* inspect reads one byte past the limit, no more: len is
		 * not the message's size then. */
		v->reason = xasprintf("message over the limit of %zu bytes",
		    MIME_MAX_SIZE);
		return 0;
	}
	if (!is_bare_calendar(data, len)) {
		classify_message(v, data, len);
		v->reason = one_line(v->reason);
		return 0;
	}
	if (memchr(data, '\0', len) != NULL) {
		v->kind = VERDICT_MALFORMED;
		v->reason = xstrdup("calendar object holds a NUL byte");
		return 0;
	}
	if ((v->reason = mime_calendar_budget(data, len, &cal_bytes,
	    &cal_lines)) != NULL) {
		v->kind = VERDICT_MALFORMED;
		return 0;
	}
	text = xstrndup(data, len);
	if (ical_parse_itip(text, NULL, &it, &err) == 0)
		set_itip(v, it);
	else {
		v->kind = VERDICT_MALFORMED;
		v->reason = err;
	}
	free(text);
	v->reason = one_line(v->reason);
	return 0;
}

void
verdict_free(struct verdict *v)
{
	if (v == NULL)
		return;
	free(v->message_id);
	free(v->from);
	free(v->reason);
	ical_itip_free(v->itip);
	bounce_free(v->bounce, v->nbounce);
	free(v->bounced_id);
	mime_free(v->msg);
	free(v);
}

static void
json_time(struct buf *b, long long t)
{
	struct tm tm;
	time_t tt = (time_t)t;

	if (gmtime_r(&tt, &tm) == NULL) {
		buf_adds(b, "null");
		return;
	}
	buf_addf(b, "\"%04d-%02d-%02dT%02d:%02d:%02dZ\"", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

char *
verdict_json(const struct verdict *v)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;

	buf_adds(&b, "{\"message_id\": ");
	json_str_or_null(&b, v->message_id);
	buf_adds(&b, ", \"from\": ");
	json_str_or_null(&b, v->from);
	buf_adds(&b, ", \"kind\": ");
	json_str(&b, verdict_kind_name(v->kind));
	buf_adds(&b, ", \"itip\": ");
	if (v->itip != NULL && v->itip->nev > 0) {
		const struct ical_itip_event *e = &v->itip->ev[0];

		buf_adds(&b, "{\"method\": ");
		json_str_or_null(&b, v->itip->method);
		buf_adds(&b, ", \"uid\": ");
		json_str_or_null(&b, e->uid);
		buf_adds(&b, ", \"recurrence_id\": ");
		json_str_or_null(&b, e->recurrence_id);
		buf_addf(&b, ", \"sequence\": %d, \"organizer\": ", e->sequence);
		json_str_or_null(&b, e->organizer);
		buf_adds(&b, ", \"attendees\": [");
		for (i = 0; i < e->natt; i++) {
			buf_adds(&b, i ? ", {\"email\": " : "{\"email\": ");
			json_str(&b, e->att[i].email);
			buf_adds(&b, ", \"partstat\": ");
			json_str(&b, e->att[i].partstat);
			buf_adds(&b, "}");
		}
		/* A REPLY's DTSTART proposes a new time only if it differs
		 * from the meeting's, which inspect cannot know; it shows the
		 * DTSTART (an extension of the contract) and leaves the
		 * judgement to the daemon. */
		buf_adds(&b, "], \"dtstart\": ");
		if (e->has_dtstart)
			json_time(&b, e->dtstart);
		else
			buf_adds(&b, "null");
		buf_adds(&b, ", \"proposed_start\": ");
		if (v->has_proposed && v->kind == VERDICT_COUNTER)
			json_time(&b, v->proposed_start);
		else
			buf_adds(&b, "null");
		buf_adds(&b, "}");
	} else
		buf_adds(&b, "null");
	buf_adds(&b, ", \"bounce\": ");
	if (v->kind == VERDICT_BOUNCE || v->kind == VERDICT_DELAY) {
		buf_adds(&b, "[");
		for (i = 0; i < v->nbounce; i++) {
			buf_adds(&b, i ? ", {\"email\": " : "{\"email\": ");
			json_str(&b, v->bounce[i].email);
			buf_adds(&b, ", \"status\": ");
			json_str(&b, v->bounce[i].status);
			buf_addf(&b, ", \"permanent\": %s}",
			    v->bounce[i].permanent ? "true" : "false");
		}
		buf_adds(&b, "]");
	} else
		buf_adds(&b, "null");
	buf_adds(&b, ", \"reason\": ");
	json_str_or_null(&b, v->reason);
	buf_adds(&b, "}");
	return buf_detach(&b);
}
