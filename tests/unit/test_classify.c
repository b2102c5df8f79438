/* Unit tests for classify.c and bounce.c: every real-world fixture of
 * ../shared/fixtures (read in place, never copied; skipped when absent)
 * gives exactly what fixtures/SOURCES.md says, our own tests/data shapes
 * give their kinds, and verdict_json() is valid JSON with the key set of
 * `convened inspect` in DESIGN.md. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "classify.h"
#include "testlib.h"
#include "util.h"

/* ---- a small JSON checker: valid syntax, and the top-level keys ---- */

struct js {
	const char *p;
	int depth;
};

static void
ws(struct js *j)
{
	while (*j->p == ' ' || *j->p == '\n' || *j->p == '\t' || *j->p == '\r')
		j->p++;
}

static int value(struct js *j);

static int
string(struct js *j, struct buf *out)
{
	if (*j->p != '"')
		return -1;
	for (j->p++; *j->p != '"'; j->p++) {
		if ((unsigned char)*j->p < 0x20 || *j->p == '\0')
			return -1;
		if (*j->p == '\\') {
			j->p++;
			if (*j->p == 'u') {
				int i;

				for (i = 1; i <= 4; i++)
					if (!strchr("0123456789abcdefABCDEF",
					    j->p[i]) || j->p[i] == '\0')
						return -1;
				j->p += 4;
			} else if (!strchr("\"\\/bfnrt", *j->p) || *j->p == '\0')
				return -1;
		} else if (out)
			buf_addc(out, *j->p);
	}
	j->p++;
	return 0;
}

static int
composite(struct js *j, char open, char close, int keyed)
{
	if (*j->p != open || ++j->depth > 50)
		return -1;
	j->p++;
	ws(j);
	if (*j->p == close) {
		j->p++;
		j->depth--;
		return 0;
	}
	for (;;) {
		ws(j);
		if (keyed) {
			if (string(j, NULL) == -1)
				return -1;
			ws(j);
			if (*j->p++ != ':')
				return -1;
		}
		if (value(j) == -1)
			return -1;
		ws(j);
		if (*j->p == close) {
			j->p++;
			j->depth--;
			return 0;
		}
		if (*j->p++ != ',')
			return -1;
	}
}

static int
value(struct js *j)
{
	ws(j);
	if (*j->p == '{')
		return composite(j, '{', '}', 1);
	if (*j->p == '[')
		return composite(j, '[', ']', 0);
	if (*j->p == '"')
		return string(j, NULL);
	if (strncmp(j->p, "true", 4) == 0 || strncmp(j->p, "null", 4) == 0) {
		j->p += 4;
		return 0;
	}
	if (strncmp(j->p, "false", 5) == 0) {
		j->p += 5;
		return 0;
	}
	if (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) {
		j->p++;
		while (*j->p >= '0' && *j->p <= '9')
			j->p++;
		return 0;
	}
	return -1;
}

/* Valid JSON, an object whose keys are exactly those of `inspect`. */
static void
check_json(const char *s)
{
	/* The contract's keys, then the trust work's, in order. */
	static const char *const keys[] = { "message_id", "from", "kind",
	    "itip", "bounce", "reason", "from_refused", "tokens",
	    "authentication", "attachments" };
	struct js j = { s, 0 };
	struct buf k = BUF_INIT(BUF_OWN);
	size_t n = 0;

	if (value(&j) == -1 || (ws(&j), *j.p != '\0'))
		fail_msg("invalid JSON: %s", s);
	/* top-level keys, in order */
	j.p = s + 1;
	for (;;) {
		ws(&j);
		buf_reset(&k);
		assert_int_equal(string(&j, &k), 0);
		assert_true(n < sizeof keys / sizeof keys[0]);
		assert_string_equal(buf_str(&k), keys[n++]);
		ws(&j);
		j.p++;
		assert_int_equal(value(&j), 0);
		ws(&j);
		if (*j.p++ == '}')
			break;
	}
	assert_int_equal(n, sizeof keys / sizeof keys[0]);
	buf_release(&k);
	if (strstr(s, "\"itip\": {") != NULL) {
		static const char *const ik[] = { "\"method\":", "\"uid\":",
		    "\"recurrence_id\":", "\"sequence\":", "\"organizer\":",
		    "\"attendees\":", "\"proposed_start\":" };
		size_t i;

		for (i = 0; i < sizeof ik / sizeof ik[0]; i++)
			assert_non_null(strstr(s, ik[i]));
	}
}

/* ---- files ---- */

static struct verdict *
classify_path(const char *path)
{
	struct verdict *v;
	char *d, *j;
	size_t len;

	if ((d = tl_slurp(path, &len)) == NULL)
		fail_msg("cannot read %s", path);
	assert_int_equal(classify(d, len, &v), 0);
	free(d);
	j = verdict_json(v);
	check_json(j);
	free(j);
	return v;
}

/* ---- expectations from fixtures/SOURCES.md ---- */

struct expect {
	const char *file;
	const char *kind;
	const char *method;       /* NULL: no itip */
	const char *uid;
	int         sequence;
	const char *organizer;
	const char *attendees;    /* "email=PARTSTAT ..." all, in order */
	const char *bounces;      /* "email status P|T ..." */
	long long   dtstart;      /* 0: not checked */
};

static const struct expect real[] = {
	{ "imip-reply/apple-ical3-mail-accept.eml", "rsvp", "REPLY",
	  "1E71F9C8-AEDA-48EB-98D0-76E898F6BB5C", 7,
	  "ical-living-on+d7cdf68d-8b73-4df1-ad3b-f08002fb285f@example.com",
	  "xyzzy@example.com=ACCEPTED", NULL, 1218560400 },
	{ "imip-reply/google-calendar-accept.ics", "rsvp", "REPLY",
	  "62050f080e53ca8e00353ff0a89c6c6aa4af3dec", 1, "unittest@tine20.org",
	  "mail@corneliusweiss.de=ACCEPTED", NULL, 0 },
	{ "imip-reply/thunderbird-lightning-accept.eml", "rsvp", "REPLY",
	  "4f0162146d61cb2c06cbe2abf94636f4526abe16", 0,
	  "l.kneschke@caldav.org", "tine20admin@caldav.net=ACCEPTED", NULL, 0 },
	{ "imip-request/apple-ical5-mail-request-cp1252.eml", "request",
	  "REQUEST", "48560E48-9DE3-41F1-8F03-7607C67F7A8F", 3,
	  "pwulf@tine20.org",
	  "pwulf@tine20.org=ACCEPTED unittest@tine20.org=NEEDS-ACTION", NULL,
	  1322547300 },
	{ "imip-request/exchange2010-request-windows-tz.ics", "request",
	  "REQUEST", "040000008200E00074C5B7101A82E00800000000F9125A30B06BD001"
	  "0000000000000000100000009D791C7548BFD144BFA54F14213CAD25", 0,
	  "test2@example.com",
	  "karim@example.com=NEEDS-ACTION test1@example.com=NEEDS-ACTION", NULL,
	  1427896800 /* 16:00 Romance Standard Time (CEST) */ },
	{ "imip-request/google-calendar-request.ics", "request", "REQUEST",
	  "c74p2nmutcd0kt69ku7rs8vu2g@google.com", 0,
	  "inboxapptest.french@gmail.com",
	  "inboxapptest.french@gmail.com=ACCEPTED karim@nilas.com=NEEDS-ACTION",
	  NULL, 1427896800 },
	{ "imip-request/icloud-request-paris-tz.ics", "request", "REQUEST",
	  "5919D444-7C99-4687-A526-FC5D10091318", 0, "2_addr@imip.me.com",
	  "karim@nilas.com=NEEDS-ACTION invalid@example.com=ACCEPTED", NULL,
	  1427769000 /* 04:30 Europe/Paris */ },
	{ "imip-request/lotus-notes-852-request.ics", "request", "REQUEST",
	  "A5C4058C8C5926C8C12579B100622D66-Lotus_Notes_Generated", 0,
	  "paul.wulf@de.ibm.com", "paul.wulf@de.ibm.com=ACCEPTED "
	  "katrin@example.de=NEEDS-ACTION lars@example.com=NEEDS-ACTION", NULL,
	  1330668000 },
	{ "imip-request/outlook-exchange2003-cdo-request.eml", "request",
	  "REQUEST", "040000008200E00074C5B7101A82E00800000000F04200929A03CD01"
	  "000000000000000010000000A9E90330A8A0F547903AAFDBDD6A0D26", 0,
	  "name@example.com", "name@example.net=NEEDS-ACTION", NULL,
	  1331917200 /* 18:00 "(GMT+01.00) Sarajevo/Warsaw/Zagreb" */ },
	{ "imip-request/outlook-exchange2007-request-base64.eml", "request",
	  "REQUEST", "040000008200E00074C5B7101A82E0080000000010B88C8F0FC4CD01"
	  "0000000000000000100000000CB70453D9CD1E4B909ABC9962002608", 0,
	  "oliver.roth@mobi.ch", "oliver@roth.myftp.org=NEEDS-ACTION", NULL,
	  1353225600 /* 09:00 W. Europe Standard Time */ },
	{ "imip-request/thunderbird-lightning-request-qp.eml", "request",
	  "REQUEST", "6f59364f-987e-48bb-a0d1-5512a2ba5570", 0,
	  "unittest@tine20.org", "p.schuele@metaways.de=NEEDS-ACTION", NULL, 0 },
	{ "imip-cancel/google-calendar-cancel.ics", "cancel", "CANCEL",
	  "c74p2nmutcd0kt69ku7rs8vu2g@google.com", 1,
	  "inboxapptest.french@gmail.com",
	  "inboxapptest.french@gmail.com=ACCEPTED karim@nilas.com=NEEDS-ACTION",
	  NULL, 0 },
	{ "imip-cancel/tine20-cancel-qp.eml", "cancel", "CANCEL",
	  "4f0162146d61cb2c06cbe2abf94636f4526abe16", 0,
	  "l.kneschke@caldav.org", "l.kneschke@caldav.org=ACCEPTED "
	  "j.loew@caldav.org=NEEDS-ACTION tine20admin@caldav.net=NEEDS-ACTION",
	  NULL, 0 },
	{ "bounces/exchange2007-message-too-large.eml", "bounce", NULL, NULL, 0,
	  NULL, NULL, "john.smith@eu.a.b.c 5.2.3 P", 0 },
	{ "bounces/exim-two-recipients-user-unknown.eml", "bounce", NULL, NULL,
	  0, NULL, NULL,
	  "kijitora@example.jp 5.1.1 P sabatora@example.jp 5.2.1 P", 0 },
	{ "bounces/gmail-user-unknown-2010.eml", "bounce", NULL, NULL, 0, NULL,
	  NULL, "aougoueioaldljgoiuiorghladkgke@example.fr 5.1.1 P", 0 },
	{ "bounces/postfix-2000-mbox-from-line-user-unknown.eml", "bounce",
	  NULL, NULL, 0, NULL, NULL, "xxxxx@local.ie 5.1.1 P", 0 },
	{ "bounces/postfix-two-recipients-user-unknown.eml", "bounce", NULL,
	  NULL, 0, NULL, NULL, "filtered@example.co.jp 5.2.1 P "
	  "userunknown@example.co.jp 5.1.1 P", 0 },
	{ "bounces/qmail-unknown-user.eml", "bounce", NULL, NULL, 0, NULL, NULL,
	  "kijitora@example.ne.jp 5.5.0 P", 0 },
	{ "bounces/sendmail-user-unknown.eml", "bounce", NULL, NULL, 0, NULL,
	  NULL, "userunknown@bouncehammer.jp 5.1.1 P", 0 },
	{ "bounces/vircom-dsn-delayed-transient.eml", "delay", NULL, NULL, 0,
	  NULL, NULL, "userx@example.cz 4.4.1 D", 0 },
	{ "bounces/yahoo-2001-qmail-smtp-connect-gave-up.eml", "bounce", NULL,
	  NULL, 0, NULL, NULL, "userx@example.com 4.4.1 P", 0 },
	{ "mime/duplicate-case-variant-headers-exim-php.eml", "plain", NULL,
	  NULL, 0, NULL, NULL, NULL, 0 },
	{ "mime/outlook2003-winmail-dat-tnef-richtext.eml", "plain", NULL, NULL,
	  0, NULL, NULL, NULL, 0 },
	{ "mime/thunderbird-rfc2231-rfc2047-latin1-attachment-name.eml",
	  "plain", NULL, NULL, 0, NULL, NULL, NULL, 0 },
};
#define NREAL (sizeof real / sizeof real[0])

static void
check_expect(const struct verdict *v, const struct expect *e)
{
	struct buf got = BUF_INIT(BUF_OWN);
	size_t i;

	assert_string_equal(verdict_kind_name(v->kind), e->kind);
	if (e->method != NULL) {
		const struct ical_itip_event *ev;

		assert_non_null(v->itip);
		ev = &v->itip->ev[0];
		assert_string_equal(v->itip->method, e->method);
		assert_string_equal(ev->uid, e->uid);
		assert_int_equal(ev->sequence, e->sequence);
		assert_string_equal(ev->organizer, e->organizer);
		for (i = 0; i < ev->natt; i++)
			buf_addf(&got, "%s%s=%s", i ? " " : "", ev->att[i].email,
			    ev->att[i].partstat);
		assert_string_equal(buf_str(&got), e->attendees);
		if (e->dtstart != 0) {
			assert_true(ev->has_dtstart);
			assert_int_equal(ev->dtstart, e->dtstart);
		}
	} else
		assert_null(v->itip);
	buf_reset(&got);
	if (e->bounces != NULL) {
		for (i = 0; i < v->nbounce; i++)
			buf_addf(&got, "%s%s %s %c", i ? " " : "",
			    v->bounce[i].email, v->bounce[i].status,
			    v->bounce[i].permanent ? 'P' :
			    v->bounce[i].delay ? 'D' : 'T');
		assert_string_equal(buf_str(&got), e->bounces);
	} else
		assert_int_equal(v->nbounce, 0);
	buf_release(&got);
}

/* Every file under fixtures/ (but SOURCES.md) is in the table. */
static size_t
count_files(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	size_t n = 0;

	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char *p;
		struct stat st;

		if (de->d_name[0] == '.' || strcmp(de->d_name, "SOURCES.md") == 0)
			continue;
		p = xasprintf("%s/%s", dir, de->d_name);
		if (stat(p, &st) == 0 && S_ISDIR(st.st_mode))
			n += count_files(p);
		else {
			size_t i;
			const char *rel = strstr(p, "fixtures/") + 9;

			for (i = 0; i < NREAL; i++)
				if (strcmp(real[i].file, rel) == 0)
					break;
			if (i == NREAL)
				fail_msg("fixture %s has no expectation", rel);
			n++;
		}
		free(p);
	}
	closedir(d);
	return n;
}

static void
test_real_fixtures(void **state)
{
	char *dir = tl_shared("fixtures");
	size_t i;

	(void)state;
	if (dir == NULL) {
		skip();
		return;
	}
	assert_int_equal(count_files(dir), NREAL);
	for (i = 0; i < NREAL; i++) {
		char *p = xasprintf("%s/%s", dir, real[i].file);
		struct verdict *v = classify_path(p);

		print_message("%s: %s\n", real[i].file,
		    verdict_kind_name(v->kind));
		check_expect(v, &real[i]);
		verdict_free(v);
		free(p);
	}
	free(dir);
}

static struct verdict *
real_one(const char *file)
{
	char *dir = tl_shared("fixtures"), *p;
	struct verdict *v;

	if (dir == NULL)
		return NULL;
	p = xasprintf("%s/%s", dir, file);
	v = classify_path(p);
	free(p);
	free(dir);
	return v;
}

/* The tricky MIME of the real samples, beyond the kind. */
static void
test_real_mime_details(void **state)
{
	static const char ae[] = "\xc3\x84\xc3\xa4\xc3\x96\xc3\xb6\xc3\x9c"
	    "\xc3\xbc";
	struct verdict *v;
	struct buf name = BUF_INIT(BUF_OWN);
	char *id;
	int i;

	(void)state;
	if ((v = real_one("mime/thunderbird-rfc2231-rfc2047-latin1-attachment-"
	    "name.eml")) == NULL) {
		skip();
		return;
	}
	for (i = 0; i < 11; i++)
		buf_adds(&name, ae);
	buf_adds(&name, ".png");
	assert_int_equal(v->msg->natt, 1);
	assert_string_equal(v->msg->att[0].filename, name.data);
	assert_string_equal(v->msg->att[0].content_type, "image/png");
	buf_release(&name);
	verdict_free(v);

	v = real_one("mime/outlook2003-winmail-dat-tnef-richtext.eml");
	assert_true(v->msg->tnef);
	assert_string_equal(v->reason, "Outlook TNEF (winmail.dat) not read");
	assert_string_equal(v->msg->subject, "Winmail Test");
	assert_string_equal(v->from, "s.unittest@metaways.de");
	assert_string_equal(v->msg->sender, "thorsten.unittest@unittest.de");
	assert_int_equal(v->msg->att[0].size, 15934);
	assert_memory_equal(v->msg->att[0].data, "\x78\x9f\x3e\x22", 4);
	assert_non_null(strstr(v->msg->text, "Tine2.0 Test aus Outlook"));
	verdict_free(v);

	v = real_one("mime/duplicate-case-variant-headers-exim-php.eml");
	assert_string_equal(v->msg->subject,
	    "Ihre Anzeige auf Stellenwerk ist jetzt online!");
	assert_string_equal(v->from, "info@stellenwerk-hamburg.de");
	assert_string_equal(v->msg->from_name, "Stellenwerk");
	assert_true(str_is_utf8(v->msg->text));
	verdict_free(v);

	v = real_one("imip-request/apple-ical5-mail-request-cp1252.eml");
	assert_string_equal(v->msg->from_name, "Cornelius Wei\xc3\x9f");
	/* windows-1252 QP: U+201E and U+201C quotes, umlauts */
	assert_non_null(strstr(v->msg->text, "\xe2\x80\x9e" "Einladung"
	    "\xe2\x80\x9c"));
	assert_non_null(strstr(v->msg->text, "f\xc3\xbcr"));
	verdict_free(v);

	/* Thunderbird sends the calendar twice: kept once */
	v = real_one("imip-reply/thunderbird-lightning-accept.eml");
	assert_int_equal(v->msg->ncal, 1);
	verdict_free(v);

	/* which of our messages bounced */
	v = real_one("bounces/sendmail-user-unknown.eml");
	assert_non_null(v->bounced_id);
	verdict_free(v);
	v = real_one("bounces/qmail-unknown-user.eml");
	id = v->bounced_id;
	assert_string_equal(id, "000000000.9999999999999.JavaMail.postmaster"
	    "@mailhub");
	verdict_free(v);
	v = real_one("bounces/exim-two-recipients-user-unknown.eml");
	assert_string_equal(v->bounced_id,
	    "E1X58pB-0004bW-2s@marutamachi.example.org");
	verdict_free(v);
}

/* ---- our own shapes (tests/data), always run ---- */

static const struct expect own[] = {
	{ "rsvp-accept.eml", "rsvp", "REPLY", "meeting-42@convened.example.org",
	  2, "agenda@example.org", "ana@mides.example.uy=ACCEPTED", NULL,
	  1613584800 },
	{ "rsvp-decline-base64.eml", "rsvp", "REPLY",
	  "meeting-42@convened.example.org", 2, "agenda@example.org",
	  "ana@mides.example.uy=DECLINED", NULL, 0 },
	{ "rsvp-tentative-method-hint.eml", "rsvp", "REPLY",
	  "meeting-42@convened.example.org", 2, "agenda@example.org",
	  "ana@mides.example.uy=TENTATIVE", NULL, 0 },
	{ "counter.eml", "counter", "COUNTER", "meeting-42@convened.example.org",
	  2, "agenda@example.org", "jo@ilo.example.org=TENTATIVE", NULL,
	  1613671200 },
	{ "reply-new-dtstart.eml", "rsvp", "REPLY",
	  "meeting-42@convened.example.org", 3, "agenda@example.org",
	  "jo@ilo.example.org=ACCEPTED", NULL, 1616011200 },
	{ "nested-multipart.eml", "rsvp", "REPLY",
	  "meeting-42@convened.example.org", 2, "agenda@example.org",
	  "ana@mides.example.uy=ACCEPTED", NULL, 0 },
	{ "dsn-failed.eml", "bounce", NULL, NULL, 0, NULL, NULL,
	  "gone@example.com 5.1.1 P full@example.net 4.2.2 P", 0 },
	{ "dsn-delayed.eml", "delay", NULL, NULL, 0, NULL, NULL,
	  "slow@example.net 4.4.7 D", 0 },
	{ "qmail-shape-bounce.eml", "bounce", NULL, NULL, 0, NULL, NULL,
	  "nobody@example.net 5.1.1 P busy@example.net 4.1.2 P", 0 },
	{ "auto-reply-subject-es.eml", "auto-reply", NULL, NULL, 0, NULL, NULL,
	  NULL, 0 },
	{ "auto-reply-header.eml", "auto-reply", NULL, NULL, 0, NULL, NULL,
	  NULL, 0 },
	{ "tnef-only.eml", "plain", NULL, NULL, 0, NULL, NULL, NULL, 0 },
	{ "trust-facts.eml", "plain", NULL, NULL, 0, NULL, NULL, NULL, 0 },
	{ "rfc2231-name.eml", "plain", NULL, NULL, 0, NULL, NULL, NULL, 0 },
	{ "latin1-body.eml", "plain", NULL, NULL, 0, NULL, NULL, NULL, 0 },
	{ "cp1252-body.eml", "plain", NULL, NULL, 0, NULL, NULL, NULL, 0 },
	{ "no-charset-8bit.eml", "plain", NULL, NULL, 0, NULL, NULL, NULL, 0 },
	{ "mbox-no-id.eml", "plain", NULL, NULL, 0, NULL, NULL, NULL, 0 },
	{ "calendar-no-uid.eml", "malformed", NULL, NULL, 0, NULL, NULL, NULL,
	  0 },
	{ "calendar-garbage.eml", "malformed", NULL, NULL, 0, NULL, NULL, NULL,
	  0 },
	{ "nesting-30.eml", "malformed", NULL, NULL, 0, NULL, NULL, NULL, 0 },
	{ "impossible-date.ics", "malformed", NULL, NULL, 0, NULL, NULL, NULL,
	  0 },
	{ "cancelled-no-method.ics", "cancel", NULL, NULL, 0, NULL, NULL, NULL,
	  0 },
};

static void
test_own_fixtures(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < sizeof own / sizeof own[0]; i++) {
		char *p = xasprintf("tests/data/%s", own[i].file);
		struct verdict *v = classify_path(p);

		print_message("%s: %s (%s)\n", own[i].file,
		    verdict_kind_name(v->kind), v->reason ? v->reason : "");
		if (own[i].method == NULL &&
		    strcmp(own[i].file, "cancelled-no-method.ics") == 0) {
			assert_string_equal(verdict_kind_name(v->kind), "cancel");
			assert_null(v->itip->method);
			assert_string_equal(v->itip->ev[0].status, "CANCELLED");
		} else
			check_expect(v, &own[i]);
		if (v->kind == VERDICT_MALFORMED || v->kind == VERDICT_PLAIN ||
		    v->kind == VERDICT_AUTO_REPLY) {
			assert_non_null(v->reason);
			assert_null(strchr(v->reason, '\n'));
		}
		verdict_free(v);
		free(p);
	}
}

/* ---- proposals of another time ---- */

/* The real Apple reply (fixtures/imip-reply), its quoted-printable
 * calendar changed where Apple Calendar writes a proposal: params go
 * into the ATTENDEE after its PARTSTAT, props before CREATED.  No
 * client's proposal is among the real samples; the shape is that of
 * Apple's iCalendar framework (ICSUserAddress, ICSAlternateTimeProposal:
 * TO-ALL-PROPOSED-NEW-TIME="DTSTART:<time>;STATUS:<status>;") and of
 * CalendarServer's reading of X-CALENDARSERVER-PRIVATE-COMMENT in a
 * REPLY.  NULL when the fixtures are absent. */
static struct verdict *
apple_variant(const char *partstat, const char *params, const char *props)
{
	static const char at[] = "PARTSTAT=3DACCEPTED;RO=\n";
	static const char before[] = "CREATED:20080812T201906Z";
	char *dir = tl_shared("fixtures"), *p, *d, *q, *r;
	struct verdict *v;
	size_t len;

	if (dir == NULL)
		return NULL;
	p = xasprintf("%s/imip-reply/apple-ical3-mail-accept.eml", dir);
	free(dir);
	assert_non_null(d = tl_slurp(p, &len));
	free(p);
	assert_non_null(q = strstr(d, at));
	assert_non_null(r = strstr(d, before));
	*q = '\0';
	*r = '\0';
	p = xasprintf("%sPARTSTAT=3D%s;=\n%sRO=\n%s%s%s%s", d, partstat, params,
	    q + strlen(at), props, before, r + strlen(before));
	assert_int_equal(classify(p, strlen(p), &v), 0);
	free(p);
	free(d);
	return v;
}

static void
test_apple_proposal(void **state)
{
	static const char *const replies[] = {
		"imip-reply/apple-ical3-mail-accept.eml",
		"imip-reply/google-calendar-accept.ics",
		"imip-reply/thunderbird-lightning-accept.eml",
	};
	struct verdict *v;
	size_t i;
	char *j;

	(void)state;
	/* The real replies answer and propose nothing. */
	for (i = 0; i < sizeof replies / sizeof replies[0]; i++) {
		if ((v = real_one(replies[i])) == NULL) {
			skip();
			return;
		}
		assert_false(v->attendee_proposed);
		assert_false(v->itip->ev[0].att[0].has_proposed);
		assert_null(v->itip->ev[0].comment);
		j = verdict_json(v);
		assert_non_null(strstr(j, "\"proposed_start\": null"));
		free(j);
		verdict_free(v);
	}

	/* In UTC, with the comment: an answer, and a new time. */
	v = apple_variant("TENTATIVE", "TO-ALL-PROPOSED-NEW-TIME=3D\""
	    "DTSTART:20080813T170000Z;STATUS:NEEDS-ACTION;\";=\n",
	    "X-CALENDARSERVER-PRIVATE-COMMENT:Could=20we=20meet=20on=20"
	    "Wednesday=3F=0D=0A=\n");
	assert_string_equal(verdict_kind_name(v->kind), "rsvp");
	assert_string_equal(v->itip->ev[0].att[0].partstat, "TENTATIVE");
	assert_true(v->attendee_proposed);
	assert_int_equal(v->proposed_start, 1218646800);
	assert_string_equal(v->itip->ev[0].comment,
	    "Could we meet on Wednesday?");
	/* The meeting's own time is still there, and is not the proposal. */
	assert_int_equal(v->itip->ev[0].dtstart, 1218560400);
	j = verdict_json(v);
	assert_non_null(strstr(j, "\"partstat\": \"TENTATIVE\"}], "
	    "\"dtstart\": \"2008-08-12T17:00:00Z\", "
	    "\"proposed_start\": \"2008-08-13T17:00:00Z\"}"));
	free(j);
	verdict_free(v);

	/* A local time is the event's zone's (US/Pacific, PDT); COMMENT is
	 * read as well. */
	v = apple_variant("DECLINED", "TO-ALL-PROPOSED-NEW-TIME=3D\""
	    "DTSTART:20080813T100000;STATUS:NEEDS-ACTION;\";=\n",
	    "COMMENT:Mejor=20el=20mi=C3=A9rcoles=0D=0A=\n");
	assert_true(v->attendee_proposed);
	assert_int_equal(v->proposed_start, 1218646800);
	assert_string_equal(v->itip->ev[0].att[0].partstat, "DECLINED");
	assert_string_equal(v->itip->ev[0].comment,
	    "Mejor el mi\xc3\xa9rcoles");
	verdict_free(v);

	/* A proposal the organizer settled, and one without a time: none. */
	v = apple_variant("ACCEPTED", "TO-ALL-PROPOSED-NEW-TIME=3D\""
	    "DTSTART:20080813T170000Z;STATUS:DECLINED;\";=\n", "");
	assert_false(v->attendee_proposed);
	verdict_free(v);
	v = apple_variant("ACCEPTED", "TO-ALL-PROPOSED-NEW-TIME=3D\""
	    "DTSTART:tomorrow;\";=\n", "");
	assert_false(v->attendee_proposed);
	assert_string_equal(verdict_kind_name(v->kind), "rsvp");
	verdict_free(v);
}

/* RFC 5546 2.1.5: who delegates to whom, read from the ATTENDEE. */
static void
test_delegation_read(void **state)
{
	struct verdict *v;

	(void)state;
	v = apple_variant("DELEGATED", "DELEGATED-TO=3D\"mailto:Alt@Gov."
	    "example.bb\";=\n", "");
	if (v == NULL) {
		skip();
		return;
	}
	assert_string_equal(v->itip->ev[0].att[0].partstat, "DELEGATED");
	assert_string_equal(v->itip->ev[0].att[0].delegated_to,
	    "alt@gov.example.bb");
	assert_null(v->itip->ev[0].att[0].delegated_from);
	verdict_free(v);
	v = apple_variant("ACCEPTED", "DELEGATED-FROM=3D\"mailto:kim@gov."
	    "example.bb\",\"mailto:x@y.example\";=\n", "");
	assert_string_equal(v->itip->ev[0].att[0].delegated_from,
	    "kim@gov.example.bb");
	verdict_free(v);
	/* Not an address: nothing. */
	v = apple_variant("DELEGATED", "DELEGATED-TO=3D\"urn:x\";=\n", "");
	assert_null(v->itip->ev[0].att[0].delegated_to);
	verdict_free(v);
}

static void
test_json_shapes(void **state)
{
	static const char junk[] = "\x01\x02 not mail \xff";
	struct verdict *v;
	char *j;

	(void)state;
	v = classify_path("tests/data/counter.eml");
	j = verdict_json(v);
	assert_string_equal(j, "{\"message_id\": \"counter-1@ilo.example.org\", "
	    "\"from\": \"jo@ilo.example.org\", \"kind\": \"counter\", "
	    "\"itip\": {\"method\": \"COUNTER\", "
	    "\"uid\": \"meeting-42@convened.example.org\", "
	    "\"recurrence_id\": null, \"sequence\": 2, "
	    "\"organizer\": \"agenda@example.org\", \"attendees\": "
	    "[{\"email\": \"jo@ilo.example.org\", \"partstat\": \"TENTATIVE\"}], "
	    "\"dtstart\": \"2021-02-18T18:00:00Z\", "
	    "\"proposed_start\": \"2021-02-18T18:00:00Z\"}, \"bounce\": null, "
	    "\"reason\": null, \"from_refused\": null, \"tokens\": [], "
	    "\"authentication\": [], \"attachments\": []}");
	free(j);
	verdict_free(v);

	v = classify_path("tests/data/reply-new-dtstart.eml");
	assert_string_equal(v->itip->ev[0].recurrence_id, "2021-03-17T18:00:00Z");
	assert_true(v->has_proposed);
	/* inspect cannot tell a new time from the same one: it shows the
	 * DTSTART and no proposal. */
	j = verdict_json(v);
	assert_non_null(strstr(j, "\"proposed_start\": null"));
	assert_null(strstr(j, "\"dtstart\": null"));
	free(j);
	verdict_free(v);

	v = classify_path("tests/data/dsn-delayed.eml");
	j = verdict_json(v);
	assert_non_null(strstr(j, "\"bounce\": [{\"email\": \"slow@example.net\", "
	    "\"status\": \"4.4.7\", \"permanent\": false, \"delay\": true}]"));
	free(j);
	assert_string_equal(v->bounced_id, "invite-43@convened.example.org");
	verdict_free(v);

	/* empty input and nonsense still give a verdict */
	classify("", 0, &v);
	assert_int_equal(v->kind, VERDICT_MALFORMED);
	j = verdict_json(v);
	check_json(j);
	free(j);
	verdict_free(v);
	classify(junk, sizeof junk - 1, &v);
	j = verdict_json(v);
	check_json(j);
	free(j);
	verdict_free(v);
}

static struct verdict *
classify_text(const char *text)
{
	struct verdict *v;
	char *j;

	assert_int_equal(classify(text, strlen(text), &v), 0);
	j = verdict_json(v);
	check_json(j);
	free(j);
	return v;
}

/* Out-of-office answers without RFC 3834 headers, in the four languages,
 * by subject or first lines; and agenda replies that only look alike. */
static void
test_out_of_office(void **state)
{
	static const struct {
		const char *subject, *body;
		int         ooo;
	} t[] = {
		{ "Respuesta autom\xc3\xa1tica: [ss] orden del d\xc3\xad" "a",
		  "Hola.", 1 },
		{ "Fora do escrit\xc3\xb3rio: convite", "Ol\xc3\xa1.", 1 },
		{ "Absent du bureau : [ss] ordre du jour", "Bonjour.", 1 },
		{ "AUSENTE: reuni\xc3\xb3n mensual", "x", 1 },
		{ "Auto: Monthly exchange", "x", 1 },
		{ "Re: [ss] agenda", "Thank you for your message.\n\nI am out of "
		  "the office until 5 April with limited access to e-mail.", 1 },
		{ "Re: [ss] orden del d\xc3\xad" "a", "Estoy fuera de la oficina "
		  "hasta el lunes 5 de abril.\nSaludos", 1 },
		{ "Re: [ss] ordem do dia", "Prezados,\n\nEstou de F\xc3\xa9rias "
		  "at\xc3\xa9 o dia 5 de abril.", 1 },
		{ "RE: [ss] ordre du jour", "Bonjour,\nJe suis absente du bureau "
		  "jusqu'au 5 avril.", 1 },
		{ "Re: [ss] ordre du jour", "CECI EST UNE R\xc3\x89PONSE "
		  "AUTOMATIQUE.\nMerci.", 1 },
		{ "Re: [ss] agenda", "> I am out of the office until 5 April\n"
		  "1. Opening\n2. Experiences", 0 },
		/* Away, but no return: an agenda reply. */
		{ "Re: [ss] agenda", "I am away that week, so Ana chairs.\n1. "
		  "Opening\n2. Experiences of Chile", 0 },
		/* The words past the first lines: an agenda too. */
		{ "Re: [ss] agenda", "1. Opening\n2. Chile\n3. Uruguay\n4. "
		  "Next steps: I am out of the office until May.", 0 },
		/* Words that only resemble: ausencia de qu\xc3\xb3rum. */
		{ "[ss] acta: ausencia de qu\xc3\xb3rum", "Adjunto el acta.", 0 },
		{ "Re: [ss] agenda", "CONFIRM", 0 },
	};
	struct verdict *v;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		text = xasprintf("From: ana@mides.example.uy\r\nSubject: %s\r\n"
		    "Message-ID: <o%zu@uy>\r\nContent-Type: text/plain; "
		    "charset=UTF-8\r\n\r\n%s\r\n", t[i].subject, i, t[i].body);
		v = classify_text(text);
		if ((v->kind == VERDICT_AUTO_REPLY) != t[i].ooo)
			fail_msg("case %zu (%s): %s: %s", i, t[i].subject,
			    verdict_kind_name(v->kind), v->reason);
		verdict_free(v);
		free(text);
	}
}

/* The trust work's facts in inspect: a refused sender, tokens,
 * Authentication-Results, attachments by content. */
static void
test_trust_facts(void **state)
{
	struct verdict *v;
	char *j;

	(void)state;
	v = classify_text("From: marie@gouv.example.ht@attacker.example\r\n"
	    "Subject: [ss] document\r\nMessage-ID: <f@x>\r\n\r\nhi\r\n");
	assert_null(v->from);
	assert_string_equal(v->from_refused, "not a valid address");
	j = verdict_json(v);
	assert_non_null(strstr(j, "\"from\": null, "));
	assert_non_null(strstr(j, "\"from_refused\": \"not a valid "
	    "address\""));
	free(j);
	verdict_free(v);

	v = classify_text("Authentication-Results: mx.gov.example; "
	    "dmarc=pass header.from=mides.example.uy\r\n"
	    "Authentication-Results: (x) spf=pass smtp.mailfrom=m.example\r\n"
	    "Authentication-Results: mx.gov.example; dmarc=fail "
	    "header.from=mides.example.uy\r\n"
	    "From: Ana <ana@mides.example.uy>\r\n"
	    "To: agenda+abcdefghijklmnop@example.org\r\n"
	    "In-Reply-To: <cv1.agenda-request.ss.ss-m-20210317.-."
	    "qrstuvwxyz234567@example.org>\r\n"
	    "Subject: Re: [ss] minutes\r\nMessage-ID: <t@uy>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b"
	    "\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nActa.\r\n"
	    "--b\r\nContent-Type: application/pdf\r\nContent-Disposition: "
	    "attachment; filename=acta.pdf.exe\r\n\r\nMZ\x90\x01\x02\r\n"
	    "--b\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=acta.exe\r\n\r\n"
	    "%PDF-1.4 x\r\n--b--\r\n");
	j = verdict_json(v);
	assert_non_null(strstr(j, "\"tokens\": [{\"token\": "
	    "\"abcdefghijklmnop\", \"where\": \"to\", \"value\": "
	    "\"agenda+abcdefghijklmnop@example.org\"}, {\"token\": "
	    "\"qrstuvwxyz234567\", \"where\": \"in-reply-to\", "));
	assert_non_null(strstr(j, "\"authentication\": [{\"authserv_id\": "
	    "\"mx.gov.example\", \"readable\": true, \"results\": "
	    "[{\"method\": \"dmarc\", \"result\": \"pass\"}], "
	    "\"authenticates\": true}, {\"authserv_id\": null, "
	    "\"readable\": true, \"results\": [{\"method\": \"spf\", "
	    "\"result\": \"pass\"}], \"authenticates\": false}, "));
	assert_non_null(strstr(j, "\"attachments\": [{\"filename\": "
	    "\"acta.pdf.exe\", \"content_type\": \"application/pdf\", "
	    "\"size\": 5, \"type\": \"other\", \"why\": \"binary: control "
	    "characters or NUL bytes\"}, {\"filename\": \"acta.exe\", "
	    "\"content_type\": \"application/octet-stream\", \"size\": 10, "
	    "\"type\": \"pdf\", \"why\": null}]"));
	free(j);
	verdict_free(v);

	/* Files Python's zipfile made: Office Open XML and OpenDocument by
	 * their bytes, a PDF whatever its name; Gmail's field authenticates
	 * with its authserv-id, Microsoft 365's never. */
	v = classify_path("tests/data/trust-facts.eml");
	j = verdict_json(v);
	assert_non_null(strstr(j, "\"filename\": \"acuerdo.docx\", "));
	assert_non_null(strstr(j, "\"type\": \"ooxml\", \"why\": null}, "
	    "{\"filename\": \"acta.odt\""));
	assert_non_null(strstr(j, "\"type\": \"odf\", \"why\": null}, "
	    "{\"filename\": \"acta.exe\""));
	assert_non_null(strstr(j, "\"authserv_id\": \"mx.example.org\", "
	    "\"readable\": true"));
	assert_non_null(strstr(j, "\"result\": \"pass\"}], \"authenticates\": "
	    "true}, {\"authserv_id\": null"));
	assert_non_null(strstr(j, "\"compauth\", \"result\": \"pass\"}], "
	    "\"authenticates\": false}]"));
	free(j);
	verdict_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_fixtures),
		cmocka_unit_test(test_real_mime_details),
		cmocka_unit_test(test_own_fixtures),
		cmocka_unit_test(test_apple_proposal),
		cmocka_unit_test(test_delegation_read),
		cmocka_unit_test(test_json_shapes),
		cmocka_unit_test(test_out_of_office),
		cmocka_unit_test(test_trust_facts),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	ical_shutdown();
	return r;
}
