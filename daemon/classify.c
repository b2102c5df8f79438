/* classify.c: one message, one verdict (see classify.h).
 *
 * Order matters: a delivery report is a bounce (a delay too) even though
 * RFC 3464 reports carry Auto-Submitted; a calendar object comes next, so
 * that an RSVP sent by a server-side scheduling agent with Auto-Submitted
 * still counts; only then the auto-reply markers; the rest is plain. */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "authres.h"
#include "bounce.h"
#include "classify.h"
#include "filetype.h"
#include "ical.h"
#include "mime.h"
#include "token.h"
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

/* An attendee of e who proposes another time in a REPLY, as Apple
 * Calendar writes it (ical.h), or NULL. */
static const struct ical_itip_attendee *
attendee_proposal(const struct ical_itip_event *e)
{
	size_t i;

	for (i = 0; i < e->natt; i++)
		if (e->att[i].has_proposed)
			return &e->att[i];
	return NULL;
}

static void
set_itip(struct verdict *v, struct ical_itip *it)
{
	const struct ical_itip_attendee *a;
	char *reason = NULL;

	v->itip = it;
	v->kind = itip_kind(it, &reason);
	if ((v->kind == VERDICT_COUNTER || v->kind == VERDICT_RSVP) &&
	    it->ev[0].has_dtstart) {
		v->has_proposed = 1;
		v->proposed_start = it->ev[0].dtstart;
	}
	if (v->kind == VERDICT_RSVP &&
	    (a = attendee_proposal(&it->ev[0])) != NULL) {
		v->has_proposed = 1;
		v->proposed_start = a->proposed;
		v->attendee_proposed = 1;
	}
	if (reason == NULL && it->warning != NULL)
		reason = xstrdup(it->warning);
	v->reason = reason;
}

/* ---- out of office ---------------------------------------------------- */

/* Out-of-office answers without RFC 3834 headers, told by their words in
 * es, en, pt and fr, as Outlook, Exchange, Gmail, Lotus Notes and Sieve
 * vacation scripts write them.  Everything is compared in lower case
 * (ooo_fold()), accents as written.  Our own tables: a marker in a
 * subject, anywhere or first; in the first lines of the text, a phrase
 * that says it is automatic, or one that says the writer is away
 * together with when they are back ("until", "hasta", "até",
 * "jusqu'"), which a coordinator answering with an agenda does not open
 * with. */
static const char *const ooo_subject_any[] = {
	"automatic reply", "respuesta autom", "resposta autom",
	"ponse automatique", "out of office", "out of the office",
	"fuera de la oficina", "fuera de oficina", "fora do escrit",
	"absent du bureau", "absente du bureau", "absence du bureau",
	"message d'absence", "autoreply:", "auto-reply:", "auto reply:",
	"mensaje autom", "mensagem autom", NULL
};
static const char *const ooo_subject_first[] = {
	"auto:", "ausente:", "ausencia:", "aus\xc3\xaancia:", "absence:",
	"absent:", "absente:", "vacaciones:", "f\xc3\xa9rias:", "vacances:",
	"vacation:", "on vacation", "away:", NULL
};
static const char *const ooo_automatic[] = {
	"this is an automatic reply", "this is an automated reply",
	"this is an automatic message", "esta es una respuesta autom",
	"este es un mensaje autom", "esta \xc3\xa9 uma resposta autom",
	"esta e uma resposta autom", "esta \xc3\xa9 uma mensagem autom",
	"ceci est une r\xc3\xa9ponse automatique",
	"ceci est un message automatique", "r\xc3\xa9ponse automatique",
	"respuesta autom\xc3\xa1tica", "resposta autom\xc3\xa1tica",
	"automatic reply", NULL
};
static const char *const ooo_away[] = {
	"out of the office", "out of office", "away from the office",
	"i am away", "i'm away", "i am currently away", "on annual leave",
	"i am on leave", "i am on vacation", "i'm on vacation",
	"i am on holiday", "limited access to e", "fuera de la oficina",
	"fuera de oficina", "de vacaciones", "me encuentro ausente",
	"estar\xc3\xa9 ausente", "estoy ausente", "estoy de licencia",
	"acceso limitado al correo", "fora do escrit", "de f\xc3\xa9rias",
	"estou ausente", "estarei ausente", "encontro-me ausente",
	"estou de licen\xc3\xa7" "a", "acesso limitado ao e", "je suis absent",
	"je serai absent", "absent du bureau", "absente du bureau",
	"hors du bureau", "en cong\xc3\xa9", "en vacances",
	"acc\xc3\xa8s limit\xc3\xa9", NULL
};
static const char *const ooo_back[] = {
	"until", "return", "back on", "back in", "hasta", "regres",
	"de vuelta", "retorn", "at\xc3\xa9 ", "volto", "jusqu", "retour",
	"reviendrai", NULL
};

#define OOO_LINES   3       /* first lines of the text looked at */
#define OOO_MAX     600     /* bytes of them */

/* s in lower case: ASCII, and Latin-1's capitals in UTF-8 (U+00C0 to
 * U+00DE but the multiplication sign), the letters of es, pt and fr. */
static void
ooo_fold(char *s)
{
	unsigned char *p = (unsigned char *)s;

	for (; *p; p++) {
		if (*p >= 'A' && *p <= 'Z')
			*p = (unsigned char)(*p + 32);
		else if (p[0] == 0xc3 && p[1] >= 0x80 && p[1] <= 0x9e &&
		    p[1] != 0x97) {
			p[1] = (unsigned char)(p[1] + 32);
			p++;
		}
	}
}

static const char *
ooo_match(const char *folded, const char *const *words)
{
	for (; *words; words++)
		if (strstr(folded, *words) != NULL)
			return *words;
	return NULL;
}

/* The first OOO_LINES lines of text that are neither blank nor quoted,
 * joined by spaces, folded.  Caller frees. */
static char *
ooo_first_lines(const char *text)
{
	struct buf b = BUF_INIT(OOO_MAX);
	const char *p = text, *end = text ? text + strlen(text) : NULL, *nl;
	size_t n;
	int lines = 0;

	/* blank and quoted lines do not count: memchr keeps a text of
	 * nothing else linear */
	while (p != NULL && p < end && lines < OOO_LINES) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		while (n > 0 && isspace((unsigned char)p[n - 1]))
			n--;
		if (n > 0 && p[0] != '>' && strspn(p, " \t") < n) {
			if (buf_add(&b, p, n) == -1 || buf_addc(&b, ' ') == -1)
				break;
			lines++;
		}
		p = nl ? nl + 1 : NULL;
	}
	p = buf_detach(&b);
	return (char *)(p ? p : xstrdup(""));
}

/* A subject marker: anywhere, or first. */
static const char *
ooo_subject(const char *folded)
{
	const char *w, *s = folded;
	size_t i;

	if ((w = ooo_match(folded, ooo_subject_any)) != NULL)
		return w;
	while (isspace((unsigned char)*s))
		s++;
	for (i = 0; ooo_subject_first[i] != NULL; i++)
		if (strncmp(s, ooo_subject_first[i],
		    strlen(ooo_subject_first[i])) == 0)
			return ooo_subject_first[i];
	return NULL;
}

/* An out-of-office answer by its words: a reason (caller frees) or NULL. */
static char *
out_of_office(const struct mime_msg *m)
{
	char *folded = xstrdup(m->subject ? m->subject : ""), *r = NULL;
	const char *w;

	ooo_fold(folded);
	if (ooo_subject(folded) != NULL)
		r = xasprintf("auto-reply: subject \"%.60s\"", m->subject);
	free(folded);
	if (r != NULL || m->text == NULL)
		return r;
	folded = ooo_first_lines(m->text);
	ooo_fold(folded);
	if ((w = ooo_match(folded, ooo_automatic)) != NULL ||
	    ((w = ooo_match(folded, ooo_away)) != NULL &&
	    ooo_match(folded, ooo_back) != NULL))
		r = xasprintf("auto-reply: its first lines say \"%s\"", w);
	free(folded);
	return r;
}

/* ---- auto-replies ------------------------------------------------------ */

/* Auto-reply markers (RFC 3834 and the common non-standard ones), then
 * out-of-office words.  A reason the caller frees, or NULL. */
static char *
auto_reply(const struct mime_msg *m)
{
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
	return out_of_office(m);
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
	if (m->from_refused)
		v->from_refused = xstrdup(m->from_refused);

	bounce_detect(m, &v->bounce, &v->nbounce, &v->bounced_id);
	if (v->nbounce > 0) {
		/* the failed come first: a delay alone starts with a delay */
		v->kind = v->bounce[0].delay ? VERDICT_DELAY : VERDICT_BOUNCE;
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
	free(v->from_refused);
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

static void
json_itip(struct buf *b, const struct verdict *v)
{
	const struct ical_itip_event *e;
	size_t i;

	if (v->itip == NULL || v->itip->nev == 0) {
		buf_adds(b, "null");
		return;
	}
	e = &v->itip->ev[0];
	buf_adds(b, "{\"method\": ");
	json_str_or_null(b, v->itip->method);
	buf_adds(b, ", \"uid\": ");
	json_str_or_null(b, e->uid);
	buf_adds(b, ", \"recurrence_id\": ");
	json_str_or_null(b, e->recurrence_id);
	buf_addf(b, ", \"sequence\": %d, \"organizer\": ", e->sequence);
	json_str_or_null(b, e->organizer);
	buf_adds(b, ", \"attendees\": [");
	for (i = 0; i < e->natt; i++) {
		buf_adds(b, i ? ", {\"email\": " : "{\"email\": ");
		json_str(b, e->att[i].email);
		buf_adds(b, ", \"partstat\": ");
		json_str(b, e->att[i].partstat);
		buf_adds(b, "}");
	}
	/* A REPLY's DTSTART proposes a new time only if it differs from the
	 * meeting's, which inspect cannot know; it shows the DTSTART (an
	 * extension of the contract) and leaves the judgement to the
	 * daemon. */
	buf_adds(b, "], \"dtstart\": ");
	if (e->has_dtstart)
		json_time(b, e->dtstart);
	else
		buf_adds(b, "null");
	buf_adds(b, ", \"proposed_start\": ");
	if (v->has_proposed && (v->kind == VERDICT_COUNTER ||
	    v->attendee_proposed))
		json_time(b, v->proposed_start);
	else
		buf_adds(b, "null");
	buf_adds(b, "}");
}

static void
json_bounce(struct buf *b, const struct verdict *v)
{
	size_t i;

	if (v->kind != VERDICT_BOUNCE && v->kind != VERDICT_DELAY) {
		buf_adds(b, "null");
		return;
	}
	buf_adds(b, "[");
	for (i = 0; i < v->nbounce; i++) {
		buf_adds(b, i ? ", {\"email\": " : "{\"email\": ");
		json_str(b, v->bounce[i].email);
		buf_adds(b, ", \"status\": ");
		json_str(b, v->bounce[i].status);
		buf_addf(b, ", \"permanent\": %s, \"delay\": %s}",
		    v->bounce[i].permanent ? "true" : "false",
		    v->bounce[i].delay ? "true" : "false");
	}
	buf_adds(b, "]");
}

/* The reply tokens the message carries, for any organizer address. */
static void
json_tokens(struct buf *b, const struct verdict *v)
{
	struct token_found f[TOKEN_FOUND_MAX];
	size_t i, n;

	n = token_find(v->msg, v->itip && v->itip->nev ?
	    v->itip->ev[0].organizer : NULL, NULL, f, TOKEN_FOUND_MAX);
	buf_adds(b, "[");
	for (i = 0; i < n; i++) {
		buf_adds(b, i ? ", {\"token\": " : "{\"token\": ");
		json_str(b, f[i].token);
		buf_adds(b, ", \"where\": ");
		json_str(b, token_where_name(f[i].where));
		buf_adds(b, ", \"value\": ");
		json_str(b, f[i].in);
		buf_adds(b, "}");
	}
	buf_adds(b, "]");
}

/* One Authentication-Results field: what it says, and whether believing
 * its authserv-id would authenticate the sender. */
static void
json_authres_field(struct buf *b, const struct verdict *v, size_t k)
{
	const struct mime_msg *m = v->msg;
	struct authres_verdict av;
	struct authres a;
	int readable = authres_parse(m->authres[k], &a) == 0;
	size_t i;

	buf_adds(b, "{\"authserv_id\": ");
	json_str_or_null(b, a.authserv_id);
	buf_addf(b, ", \"readable\": %s, \"results\": [",
	    readable ? "true" : "false");
	for (i = 0; i < a.nres; i++) {
		buf_adds(b, i ? ", {\"method\": " : "{\"method\": ");
		json_str(b, a.res[i].method);
		buf_adds(b, ", \"result\": ");
		json_str(b, a.res[i].result);
		buf_adds(b, "}");
	}
	buf_addf(b, "], \"authenticates\": %s}", a.authserv_id != NULL &&
	    authres_check(m->authres, m->nauthres, &a.authserv_id, 1,
	    v->from, &av) && strcmp(av.authserv_id, a.authserv_id) == 0 ?
	    "true" : "false");
	authres_clear(&a);
}

static void
json_authentication(struct buf *b, const struct verdict *v)
{
	size_t i;

	buf_adds(b, "[");
	for (i = 0; v->msg != NULL && i < v->msg->nauthres; i++) {
		buf_adds(b, i ? ", " : "");
		json_authres_field(b, v, i);
	}
	buf_adds(b, "]");
}

static void
json_attachments(struct buf *b, const struct verdict *v)
{
	const struct mime_attachment *a;
	const char *why;
	size_t i;

	buf_adds(b, "[");
	for (i = 0; v->msg != NULL && i < v->msg->natt; i++) {
		a = &v->msg->att[i];
		buf_adds(b, i ? ", {\"filename\": " : "{\"filename\": ");
		json_str_or_null(b, a->filename);
		buf_adds(b, ", \"content_type\": ");
		json_str_or_null(b, a->content_type);
		buf_addf(b, ", \"size\": %zu, \"type\": ", a->size);
		json_str(b, filetype_name(filetype_detect(a->data, a->size,
		    a->charset, &why)));
		buf_adds(b, ", \"why\": ");
		json_str_or_null(b, why);
		buf_adds(b, "}");
	}
	buf_adds(b, "]");
}

char *
verdict_json(const struct verdict *v)
{
	struct buf b = BUF_INIT(BUF_OWN);

	buf_adds(&b, "{\"message_id\": ");
	json_str_or_null(&b, v->message_id);
	buf_adds(&b, ", \"from\": ");
	json_str_or_null(&b, v->from);
	buf_adds(&b, ", \"kind\": ");
	json_str(&b, verdict_kind_name(v->kind));
	buf_adds(&b, ", \"itip\": ");
	json_itip(&b, v);
	buf_adds(&b, ", \"bounce\": ");
	json_bounce(&b, v);
	buf_adds(&b, ", \"reason\": ");
	json_str_or_null(&b, v->reason);
	/* The trust work's keys, after the contract's first ones. */
	buf_adds(&b, ", \"from_refused\": ");
	json_str_or_null(&b, v->from_refused);
	buf_adds(&b, ", \"tokens\": ");
	json_tokens(&b, v);
	buf_adds(&b, ", \"authentication\": ");
	json_authentication(&b, v);
	buf_adds(&b, ", \"attachments\": ");
	json_attachments(&b, v);
	buf_adds(&b, "}");
	return buf_detach(&b);
}
