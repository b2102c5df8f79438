/* Unit tests for mime.c (and the iTIP reader in ical.c): the shapes of
 * real mail from tests/data, and hostile input built at run time --
 * nesting bombs, part floods, oversize messages, bad bytes in headers,
 * hostile attachment names and calendar objects. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "ical.h"
#include "mime.h"
#include "testlib.h"
#include "util.h"

static char *
slurp(const char *name, size_t *len)
{
	char *path = xasprintf("tests/data/%s", name);
	char *d = tl_slurp(path, len);

	if (d == NULL)
		fail_msg("cannot open %s (run from the repository root)", path);
	free(path);
	return d;
}

static struct mime_msg *
parse_file(const char *name)
{
	struct mime_msg *m = NULL;
	char *err = NULL, *d;
	size_t len;

	d = slurp(name, &len);
	if (mime_parse(d, len, NULL, &m, &err) != 0)
		fail_msg("%s: %s", name, err);
	free(d);
	return m;
}

/* mime_parse on a buffer that must be refused; returns the reason. */
static char *
refused(const struct buf *b, const struct mime_limits *lim)
{
	struct mime_msg *m = NULL;
	char *err = NULL;

	assert_int_equal(mime_parse(b->data, b->len, lim, &m, &err), -1);
	assert_null(m);
	assert_non_null(err);
	return err;
}

static void
test_rsvp_shapes(void **state)
{
	struct mime_msg *m;

	(void)state;
	m = parse_file("rsvp-accept.eml");
	assert_string_equal(m->message_id, "rsvp-accept-1@mides.example.uy");
	assert_string_equal(m->from, "ana@mides.example.uy");
	assert_string_equal(m->from_name, "Ana P\xc3\xa9rez");
	assert_string_equal(m->in_reply_to, "invite-42@convened.example.org");
	assert_int_equal(m->nreferences, 2);
	assert_string_equal(m->references[0], "root@convened.example.org");
	assert_int_equal(m->date, 1612958400);
	assert_int_equal(m->ncal, 1);
	assert_string_equal(m->cal[0].method, "REPLY");
	assert_non_null(strstr(m->text, "P\xc3\xa9rez has accepted"));
	mime_free(m);

	/* base64 inline + identical invite.ics attachment: one calendar */
	m = parse_file("rsvp-decline-base64.eml");
	assert_int_equal(m->ncal, 1);
	assert_non_null(strstr(m->cal[0].text, "PARTSTAT=DECLINED"));
	assert_int_equal(m->natt, 0);
	mime_free(m);

	m = parse_file("rsvp-tentative-method-hint.eml");
	assert_int_equal(m->ncal, 1);
	assert_string_equal(m->cal[0].method, "REPLY");
	assert_null(strstr(m->cal[0].text, "METHOD:"));
	assert_null(m->text);
	mime_free(m);
}

static void
test_nested_and_names(void **state)
{
	struct mime_msg *m;

	(void)state;
	m = parse_file("nested-multipart.eml");
	assert_string_equal(m->text, "deep text");
	assert_int_equal(m->ncal, 1);
	assert_int_equal(m->natt, 1);
	assert_string_equal(m->att[0].filename, "minutes.pdf");
	assert_string_equal(m->att[0].content_type, "application/pdf");
	mime_free(m);

	m = parse_file("rfc2231-name.eml");
	assert_int_equal(m->natt, 3);
	assert_string_equal(m->att[0].filename,
	    "Acta reuni\xc3\xb3n \xe2\x80\x94 febrero.pdf");
	assert_int_equal(m->att[0].size, 9);
	assert_memory_equal(m->att[0].data, "%PDF-1.4\n", 9);
	assert_string_equal(m->att[1].filename, "r\xc3\xa9sum\xc3\xa9.txt");
	assert_string_equal(m->att[2].filename, "\xc3\xa9l\xc3\xa8ve.doc");
	mime_free(m);
}

static void
test_charsets(void **state)
{
	struct mime_msg *m;

	(void)state;
	m = parse_file("latin1-body.eml");
	assert_string_equal(m->subject, "Confirmaci\xc3\xb3n");
	assert_string_equal(m->from_name, "Jos\xc3\xa9 Mu\xc3\xb1oz");
	assert_non_null(strstr(m->text, "reuni\xc3\xb3n. Se\xc3\xb1or"));
	mime_free(m);

	m = parse_file("cp1252-body.eml");
	/* 0x93 0x94 0x80 0x96: curly quotes, euro, en dash */
	assert_non_null(strstr(m->text, "\xe2\x80\x9cQuoted\xe2\x80\x9d "
	    "\xe2\x82\xac 10 \xe2\x80\x93 fin."));
	mime_free(m);

	m = parse_file("no-charset-8bit.eml");
	assert_non_null(strstr(m->text, "caf\xc3\xa9"));
	assert_true(str_is_utf8(m->subject));
	mime_free(m);
}

static void
test_reports(void **state)
{
	struct mime_msg *m;

	(void)state;
	m = parse_file("dsn-failed.eml");
	assert_string_equal(m->report_type, "delivery-status");
	assert_non_null(strstr(m->delivery_status, "Action: failed"));
	assert_non_null(strstr(m->original_headers, "invite-42@"));
	assert_string_equal(m->return_path, "");
	assert_string_equal(mime_header(m, "auto-submitted"), "auto-replied");
	assert_null(mime_header(m, "X-Autoreply"));
	mime_free(m);

	m = parse_file("dsn-delayed.eml");
	assert_non_null(strstr(m->delivery_status, "Action: delayed"));
	assert_non_null(strstr(m->original_headers, "invite-43@"));
	mime_free(m);

	m = parse_file("tnef-only.eml");
	assert_true(m->tnef);
	assert_int_equal(m->natt, 1);
	assert_int_equal(m->att[0].size, 64);
	mime_free(m);
}

static void
test_mbox_duplicates_no_id(void **state)
{
	struct mime_msg *m;

	(void)state;
	m = parse_file("mbox-no-id.eml");
	assert_null(m->message_id);
	assert_string_equal(m->from, "someone@example.org");
	assert_string_equal(m->subject, "first subject");
	assert_string_equal(m->text, "no message id here");
	mime_free(m);
}

/* LF and CRLF give the same facts. */
static void
test_line_endings(void **state)
{
	struct mime_msg *a, *b;
	char *d, *err = NULL;
	size_t len, i;
	struct buf lf = BUF_INIT(BUF_OWN);

	(void)state;
	d = slurp("rsvp-accept.eml", &len);    /* CRLF */
	for (i = 0; i < len; i++)
		if (d[i] != '\r')
			buf_addc(&lf, d[i]);
	assert_int_equal(mime_parse(d, len, NULL, &a, &err), 0);
	assert_int_equal(mime_parse(lf.data, lf.len, NULL, &b, &err), 0);
	assert_string_equal(a->subject, b->subject);
	assert_string_equal(a->text, b->text);
	assert_int_equal(a->ncal, b->ncal);
	mime_free(a);
	mime_free(b);
	buf_release(&lf);
	free(d);
}

static void
nest(struct buf *b, int depth, const char *type)
{
	int i;

	buf_adds(b, "From: x@example.org\nSubject: bomb\nMIME-Version: 1.0\n");
	for (i = 0; i < depth; i++)
		buf_addf(b, "Content-Type: %s; boundary=\"b%d\"\n\n--b%d\n",
		    type, i, i);
	buf_adds(b, "Content-Type: text/plain\n\nbottom\n");
	for (i = depth - 1; i >= 0; i--)
		buf_addf(b, "--b%d--\n", i);
}

static void
test_nesting_bomb(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct mime_msg *m;
	struct verdict *v;
	char *err, *d;
	size_t len;

	(void)state;
	nest(&b, 10000, "multipart/mixed");
	err = refused(&b, NULL);
	assert_non_null(strstr(err, "bomb"));
	free(err);
	classify(b.data, b.len, &v);
	assert_int_equal(v->kind, VERDICT_MALFORMED);
	verdict_free(v);
	buf_release(&b);

	d = slurp("nesting-30.eml", &len);
	buf_add(&b, d, len);
	free(d);
	err = refused(&b, NULL);
	assert_non_null(strstr(err, "nested deeper than 20"));
	free(err);
	buf_release(&b);

	/* 15 levels is within the limit, and the text is found */
	nest(&b, 15, "multipart/mixed");
	err = NULL;
	assert_int_equal(mime_parse(b.data, b.len, NULL, &m, &err), 0);
	assert_string_equal(m->text, "bottom");
	mime_free(m);
	buf_release(&b);

	/* message/rfc822 inside message/rfc822, 5000 deep */
	{
		int i;

		for (i = 0; i < 5000; i++)
			buf_adds(&b, "Content-Type: message/rfc822\n\n");
		buf_adds(&b, "Subject: x\n\nx\n");
		err = refused(&b, NULL);
		free(err);
		buf_release(&b);
	}
}

static void
test_part_flood(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct mime_msg *m;
	char *err;
	int i;

	(void)state;
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed; "
	    "boundary=p\n\n");
	for (i = 0; i < 1200; i++)
		buf_addf(&b, "--p\nContent-Type: application/octet-stream\n\n%d\n",
		    i);
	buf_adds(&b, "--p--\n");
	err = refused(&b, NULL);
	assert_non_null(strstr(err, "more than 1000 MIME parts"));
	free(err);
	buf_release(&b);

	/* 900 parts pass */
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed; "
	    "boundary=p\n\n");
	for (i = 0; i < 900; i++)
		buf_addf(&b, "--p\nContent-Type: application/octet-stream\n\n%d\n",
		    i);
	buf_adds(&b, "--p--\n");
	err = NULL;
	assert_int_equal(mime_parse(b.data, b.len, NULL, &m, &err), 0);
	assert_int_equal(m->natt, 900);
	mime_free(m);
	buf_release(&b);
}

static void
test_oversize(void **state)
{
	struct mime_limits lim = MIME_LIMITS_DEFAULT;
	struct buf b = BUF_INIT(BUF_OWN);
	struct verdict *v;
	char *err, *big;
	size_t n = MIME_MAX_SIZE + 1;

	(void)state;
	lim.max_size = 1000;
	buf_adds(&b, "From: x@example.org\n\n");
	while (b.len < 2000)
		buf_adds(&b, "0123456789abcdef0123456789abcdef\n");
	err = refused(&b, &lim);
	assert_non_null(strstr(err, "over the limit"));
	free(err);
	buf_release(&b);

	big = xmalloc(n);
	memset(big, 'A', n);
	memcpy(big, "From: x@example.org\n\n", 21);
	classify(big, n, &v);
	assert_int_equal(v->kind, VERDICT_MALFORMED);
	assert_non_null(strstr(v->reason, "over the limit"));
	verdict_free(v);
	free(big);
}

static void
test_bad_header_bytes(void **state)
{
	static const char raw[] =
	    "From: \"Bad \xff\xfe Name\" <Bad@Example.org>\n"
	    "Subject: caf\xc3 \x01\x02 \xff end\n"
	    "X-Autoreply: y\0es\n"
	    "Message-ID: <id\x01@x>\n"
	    "\n"
	    "body \0 with NUL \xff\n";
	struct mime_msg *m;
	struct verdict *v;
	char *err = NULL, *j;

	(void)state;
	assert_int_equal(mime_parse(raw, sizeof raw - 1, NULL, &m, &err), 0);
	assert_true(m->subject == NULL || str_is_utf8(m->subject));
	assert_true(m->from_name == NULL || str_is_utf8(m->from_name));
	assert_true(m->text == NULL || str_is_utf8(m->text));
	mime_free(m);
	classify(raw, sizeof raw - 1, &v);
	j = verdict_json(v);
	assert_true(str_is_utf8(j));
	free(j);
	verdict_free(v);
}

static void
test_hostile_names(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN), longname = BUF_INIT(BUF_OWN);
	struct mime_msg *m;
	char *err = NULL;
	int i;

	(void)state;
	for (i = 0; i < 10000; i++)
		buf_addc(&longname, (char)('a' + i % 26));
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed; "
	    "boundary=h\n\n");
	buf_adds(&b, "--h\nContent-Type: application/pdf\nContent-Disposition: "
	    "attachment; filename=\"../../etc/passwd\"\n\nx\n");
	buf_adds(&b, "--h\nContent-Type: application/pdf\nContent-Disposition: "
	    "attachment; filename*=UTF-8''a%00b%0A%1B.pdf\n\nx\n");
	buf_addf(&b, "--h\nContent-Type: application/pdf\nContent-Disposition: "
	    "attachment; filename=\"%s\"\n\nx\n", longname.data);
	buf_adds(&b, "--h\nContent-Type: application/pdf\nContent-Disposition: "
	    "attachment; filename=\"ctl\x01\x7f.pdf\"\n\nx\n");
	buf_adds(&b, "--h--\n");
	assert_int_equal(mime_parse(b.data, b.len, NULL, &m, &err), 0);
	assert_int_equal(m->natt, 4);
	/* reported raw: sanitising is the archive's job */
	assert_string_equal(m->att[0].filename, "../../etc/passwd");
	assert_true(m->att[1].filename == NULL ||
	    strncmp(m->att[1].filename, "a", 1) == 0);
	assert_non_null(m->att[2].filename);
	assert_true(strlen(m->att[2].filename) >= 1000);
	assert_true(str_is_utf8(m->att[3].filename));
	mime_free(m);
	buf_release(&b);
	buf_release(&longname);
}

static void
test_itip_hostile(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct ical_itip *it;
	char *err = NULL;
	int i;

	(void)state;
	assert_int_equal(ical_parse_itip("BEGIN:VCALENDAR\nMETHOD:REPLY\n"
	    "BEGIN:VEVENT\nDTSTART:20210101T000000Z\nEND:VEVENT\n"
	    "END:VCALENDAR\n", NULL, &it, &err), -1);
	assert_non_null(strstr(err, "without UID"));
	free(err);

	assert_int_equal(ical_parse_itip("BEGIN:VCALENDAR\nMETHOD:REPLY\n"
	    "BEGIN:VEVENT\nUID:x\nSUMMARY:caf\xe9\nEND:VEVENT\n"
	    "END:VCALENDAR\n", NULL, &it, &err), -1);
	assert_non_null(strstr(err, "UTF-8"));
	free(err);

	assert_int_equal(ical_parse_itip("garbage", NULL, &it, &err), -1);
	free(err);
	assert_int_equal(ical_parse_itip("BEGIN:VCALENDAR\nEND:VCALENDAR\n",
	    NULL, &it, &err), -1);
	free(err);
	assert_int_equal(ical_parse_itip("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\n"
	    "DTSTART:20211332T000000Z\nEND:VEVENT\nEND:VCALENDAR\n", NULL, &it,
	    &err), -1);
	assert_non_null(strstr(err, "impossible DTSTART"));
	free(err);

	/* 1000 attendees: the first 500 are kept, and it says so */
	buf_adds(&b, "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\n"
	    "UID:many@example.org\r\nDTSTART:20210217T180000Z\r\n");
	for (i = 0; i < 1000; i++)
		buf_addf(&b, "ATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:p%d"
		    "@Example.ORG\r\n", i);
	buf_adds(&b, "END:VEVENT\r\nEND:VCALENDAR\r\n");
	assert_int_equal(ical_parse_itip(b.data, NULL, &it, &err), 0);
	assert_int_equal(it->ev[0].natt, ICAL_ITIP_MAX_ATTENDEES);
	assert_true(it->ev[0].att_capped);
	assert_string_equal(it->ev[0].att[499].email, "p499@example.org");
	assert_non_null(strstr(it->warning, "more than 500 attendees"));
	ical_itip_free(it);
	buf_release(&b);

	/* METHOD given only as a hint; a differing hint is noted */
	assert_int_equal(ical_parse_itip("BEGIN:VCALENDAR\nMETHOD:REPLY\n"
	    "BEGIN:VEVENT\nUID:x\nEND:VEVENT\nEND:VCALENDAR\n", "request", &it,
	    &err), 0);
	assert_string_equal(it->method, "REPLY");
	assert_non_null(strstr(it->warning, "differs"));
	assert_false(it->ev[0].has_dtstart);
	ical_itip_free(it);

	/* an unknown TZID without VTIMEZONE is read as UTC, and said */
	assert_int_equal(ical_parse_itip("BEGIN:VCALENDAR\nBEGIN:VEVENT\nUID:x\n"
	    "DTSTART;TZID=Mars/Olympus:20210101T100000\nEND:VEVENT\n"
	    "END:VCALENDAR\n", "COUNTER", &it, &err), 0);
	assert_string_equal(it->method, "COUNTER");
	assert_int_equal(it->ev[0].dtstart, 1609495200);
	assert_non_null(strstr(it->warning, "Mars/Olympus"));
	ical_itip_free(it);
}

static void
test_libical_quiet_and_many_calendars(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct verdict *v;
	int i;

	(void)state;
	/* 300 distinct broken calendar parts: malformed, no crash */
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed; "
	    "boundary=c\n\n");
	for (i = 0; i < 300; i++)
		buf_addf(&b, "--c\nContent-Type: text/calendar\n\nBEGIN:VCALENDAR"
		    "\nBEGIN:VEVENT\nDTSTART:%d\nATTENDEE;;;=:\nEND:VEVENT\n"
		    "END:VCALENDAR\n", i);
	buf_adds(&b, "--c--\n");
	classify(b.data, b.len, &v);
	assert_int_equal(v->kind, VERDICT_MALFORMED);
	verdict_free(v);
	buf_release(&b);
}

static struct mime_msg *
parse_text(const char *text)
{
	struct mime_msg *m = NULL;
	char *err = NULL;

	if (mime_parse(text, strlen(text), NULL, &m, &err) != 0)
		fail_msg("%s", err);
	return m;
}

/* From names one valid address or nobody, with the reason; a second
 * From field (which one would a client show?) names nobody either. */
static void
test_from_refused(void **state)
{
	static const struct {
		const char *head;
		const char *from, *refused;
	} t[] = {
		{ "From: Ana =?UTF-8?Q?P=C3=A9rez?= <Ana@Mides.example.uy>\r\n",
		  "ana@mides.example.uy", NULL },
		{ "From: marie@gouv.example.ht@attacker.example\r\n", NULL,
		  "not a valid address" },
		{ "From: Marie\r\n <marie@gouv.example.ht@attacker.example>\r\n",
		  NULL, "not a valid address" },
		{ "From: ana@mides.example.uy\r\nFROM: mallory@evil.example\r\n",
		  NULL, "more than one From field" },
		{ "From: ana@mides.example.uy, mallory@evil.example\r\n", NULL,
		  "more than one mailbox" },
		{ "Subject: no From\r\n", NULL, NULL },
	};
	struct mime_msg *m;
	char *text;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++) {
		text = xasprintf("%sMessage-ID: <f%zu@x>\r\n\r\nbody\r\n",
		    t[i].head, i);
		m = parse_text(text);
		if (t[i].from != NULL)
			assert_string_equal(m->from, t[i].from);
		else
			assert_null(m->from);
		if (t[i].refused != NULL)
			assert_string_equal(m->from_refused, t[i].refused);
		else
			assert_null(m->from_refused);
		mime_free(m);
		free(text);
	}
	/* The display name is still read where the address is good. */
	m = parse_text("From: Ana =?UTF-8?Q?P=C3=A9rez?= <ana@x.example>\r\n"
	    "\r\nb\r\n");
	assert_string_equal(m->from_name, "Ana Pérez");
	mime_free(m);
}

/* To, Cc, Delivered-To and every Authentication-Results, in order. */
static void
test_recipients_and_authres(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct mime_msg *m;
	size_t i;

	(void)state;
	buf_adds(&b, "Delivered-To: agenda+abc@example.org\r\n"
	    "Authentication-Results: mx.example.org;\r\n"
	    "\tdkim=pass header.d=mides.example.uy\r\n"
	    "Received: from x by mx.example.org\r\n"
	    "Authentication-Results: mx.example.org; spf=pass "
	    "smtp.mailfrom=mides.example.uy\r\n"
	    "Delivered-To: agenda@example.org\r\n"
	    "Authentication-Results: evil.example; dmarc=pass\r\n"
	    "From: ana@mides.example.uy\r\n"
	    "To: \"Secretaría\" <Agenda+TOK@Example.org>, kim@gov.example.bb\r\n"
	    "Cc: team: luis@cepal.example.org, maria@minsal.example.cl;\r\n"
	    "TO: second@to.example\r\n"
	    "Authentication-Results: long; ");
	for (i = 0; i < MIME_MAX_AUTHRES_LEN; i++)
		buf_addc(&b, 'x');
	buf_adds(&b, "\r\n\r\nbody\r\n");
	m = parse_text(b.data);
	assert_int_equal(m->nto, 3);
	assert_string_equal(m->to[0], "agenda+tok@example.org");
	assert_string_equal(m->to[1], "kim@gov.example.bb");
	assert_string_equal(m->to[2], "second@to.example");
	assert_int_equal(m->ncc, 2);
	assert_string_equal(m->cc[1], "maria@minsal.example.cl");
	assert_int_equal(m->ndelivered_to, 2);
	assert_string_equal(m->delivered_to[0], "agenda+abc@example.org");
	assert_int_equal(m->nauthres, 4);
	/* Unfolded: the fold's CRLF goes, its tab stays. */
	assert_string_equal(m->authres[0], "mx.example.org;\tdkim=pass "
	    "header.d=mides.example.uy");
	assert_string_equal(m->authres[2], "evil.example; dmarc=pass");
	/* Over the limit: holds its place, says nothing. */
	assert_string_equal(m->authres[3], "");
	mime_free(m);

	/* Floods stop at the caps. */
	buf_reset(&b);
	for (i = 0; i < MIME_MAX_AUTHRES + 5; i++)
		buf_addf(&b, "Authentication-Results: h%zu; none\r\n", i);
	buf_adds(&b, "To: ");
	for (i = 0; i < MIME_MAX_ADDRS + 5; i++)
		buf_addf(&b, "%sa%zu@x.example", i ? ", " : "", i);
	buf_adds(&b, "\r\n\r\nbody\r\n");
	m = parse_text(b.data);
	assert_int_equal(m->nauthres, MIME_MAX_AUTHRES);
	assert_string_equal(m->authres[0], "h0; none");
	assert_int_equal(m->nto, MIME_MAX_ADDRS);
	mime_free(m);
	buf_release(&b);
}

/* An attachment's declared charset, for telling text by its bytes. */
static void
test_attachment_charset(void **state)
{
	struct mime_msg *m;

	(void)state;
	m = parse_text("From: a@x.example\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=b\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nhi\r\n"
	    "--b\r\nContent-Type: text/plain; charset=ISO-8859-1\r\n"
	    "Content-Disposition: attachment; filename=a.txt\r\n\r\n"
	    "caf\xe9\r\n"
	    "--b\r\nContent-Type: application/pdf\r\n"
	    "Content-Disposition: attachment; filename=a.pdf\r\n\r\n"
	    "%PDF-1.4\r\n--b--\r\n");
	assert_int_equal(m->natt, 2);
	assert_string_equal(m->att[0].charset, "iso-8859-1");
	assert_null(m->att[1].charset);
	mime_free(m);
}

/* ---- what GMime is never given: the counts before it runs ---- */

/* A message parses (0) or is refused with a reason holding want. */
static void
parses(struct buf *b)
{
	struct mime_msg *m = NULL;
	char *err = NULL;

	if (mime_parse(b->data, b->len, NULL, &m, &err) != 0)
		fail_msg("refused: %s", err);
	mime_free(m);
}

static void
refused_for(struct buf *b, const char *want)
{
	char *err = refused(b, NULL);

	if (strstr(err, want) == NULL)
		fail_msg("refused for \"%s\", not \"%s\"", err, want);
	free(err);
}

/* Header bombs in every block GMime reads as fields: the message's own,
 * folded lines, one long line, a part's, an embedded message's. */
static void
test_header_bombs(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	int i;

	(void)state;
	buf_adds(&b, "From: x@example.org\n");
	for (i = 0; i < 9000; i++)
		buf_adds(&b, "X-A: b\n");
	buf_adds(&b, "\nbody\n");
	parses(&b);                     /* within the limit */
	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\n");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "X-A: b\n");
	buf_adds(&b, "\nbody\n");
	refused_for(&b, "more than 10000 header lines");

	/* folded lines make one field: its bytes count, not its lines */
	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nX-Folded: a\n");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, " a\n");
	buf_adds(&b, "\nbody\n");
	parses(&b);
	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nX-Folded: a\n");
	for (i = 0; i < 400000; i++)
		buf_adds(&b, " a\n");
	buf_adds(&b, "\nbody\n");
	refused_for(&b, "bytes of headers");

	/* lines that are no field do not end a block for GMime */
	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nthis line has no colon\n");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "X-A: b\n");
	buf_adds(&b, "\nbody\n");
	refused_for(&b, "more than 10000 header lines");

	/* nor does a boundary line inside a header */
	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed; "
	    "boundary=B\n\n--B\nContent-Type: message/rfc822\n--B\n\n");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "X-A: b\n");
	buf_adds(&b, "\nx\n--B--\n");
	refused_for(&b, "header lines");

	/* a multipart/digest part without Content-Type is a message */
	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/digest; "
	    "boundary=B\n\n--B\n\n");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "X-A: b\n");
	buf_adds(&b, "\nx\n--B--\n");
	refused_for(&b, "header lines");

	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nX-Long: ");
	for (i = 0; i < 2 << 20; i += 64)
		buf_adds(&b, "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaa");
	buf_adds(&b, "\n\nbody\n");
	refused_for(&b, "bytes of headers");

	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed; "
	    "boundary=\"b 1\"\n\n--b 1\n");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "X-A: b\n");
	buf_adds(&b, "\nx\n--b 1--\n");
	refused_for(&b, "header lines");

	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nContent-Type: message/rfc822\n\n");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "X-A: b\n");
	buf_adds(&b, "\nx\n");
	refused_for(&b, "header lines");
	buf_release(&b);
}

/* What only looks like a bomb passes: "--" lines that are no boundary
 * (an SQL dump sent 8bit, a signature), a base64 message/rfc822 whose
 * body is no header block, many header-like lines in a body. */
static void
test_no_false_bombs(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct mime_msg *m = NULL;
	char *err = NULL;
	int i;

	(void)state;
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed; "
	    "boundary=\"=_b\"\n\n--=_b\nContent-Type: text/plain\n\nminutes\n"
	    "--=_b\nContent-Type: text/plain; name=dump.sql\n"
	    "Content-Disposition: attachment; filename=dump.sql\n\n");
	for (i = 0; i < 5000; i++)
		buf_addf(&b, "-- table %d\nINSERT INTO t VALUES (%d);\n"
		    "Note: %d\n", i, i, i);
	buf_adds(&b, "--=_b\nContent-Type: message/rfc822\n"
	    "Content-Transfer-Encoding: base64\n\n");
	for (i = 0; i < 20000; i++)
		buf_adds(&b, "RnJvbTogeEBleGFtcGxlLm9yZwpTdWJqZWN0OiB4CgpoZWxsbwo=\n");
	buf_adds(&b, "--=_b--\n");
	assert_int_equal(mime_parse(b.data, b.len, NULL, &m, &err), 0);
	assert_string_equal(m->text, "minutes");
	assert_true(m->natt >= 1);
	assert_string_equal(m->att[0].filename, "dump.sql");
	mime_free(m);
	buf_release(&b);
}

/* Parts are counted from the boundary lines before GMime builds them;
 * a boundary the count cannot read plainly (RFC 2231 pieces) makes every
 * "--" line count. */
static void
test_part_bomb_counted_first(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	int i;

	(void)state;
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed;\n"
	    " boundary=p\n\n");
	for (i = 0; i < 100000; i++)
		buf_adds(&b, "--p\n\nx\n");
	buf_adds(&b, "--p--\n");
	refused_for(&b, "part bomb");

	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed;\n"
	    " boundary*0=p; boundary*1=q\n\n");
	for (i = 0; i < 2000; i++)
		buf_adds(&b, "--pq\n\nx\n");
	buf_adds(&b, "--pq--\n");
	refused_for(&b, "part bomb");

	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed;\n"
	    " boundary=\"=?us-ascii?q?pq?=\"\n\n");
	for (i = 0; i < 2000; i++)
		buf_adds(&b, "--pq\n\nx\n");
	buf_adds(&b, "--pq--\n");
	refused_for(&b, "part bomb");

	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed;\n"
	    " boundary*0=p; boundary*1=q\n\n--pq\n\nx\n--pq--\n");
	parses(&b);
	buf_release(&b);
}

/* libical's time grows with the square of the lines it cannot read: the
 * calendar objects of one message stay under 10,000 lines and 1 MB, in a
 * message and bare. */
static void
test_calendar_caps(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct verdict *v;
	int i;

	(void)state;
	buf_adds(&b, "BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\n"
	    "UID:u\r\n");
	for (i = 0; i < 10001; i++)
		buf_adds(&b, "X:\r\n");
	buf_adds(&b, "END:VEVENT\r\nEND:VCALENDAR\r\n");
	classify(b.data, b.len, &v);
	assert_int_equal(v->kind, VERDICT_MALFORMED);
	assert_non_null(strstr(v->reason, "more than 10000 lines"));
	verdict_free(v);

	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nContent-Type: multipart/mixed; "
	    "boundary=c\n\n");
	for (i = 0; i < 3; i++) {
		int j;

		buf_adds(&b, "--c\nContent-Type: text/calendar; method=REPLY\n\n"
		    "BEGIN:VCALENDAR\nBEGIN:VEVENT\n");
		for (j = 0; j < 4000; j++)
			buf_addf(&b, "X-%d-%d:\n", i, j);
		buf_adds(&b, "END:VEVENT\nEND:VCALENDAR\n");
	}
	buf_adds(&b, "--c--\n");
	refused_for(&b, "calendar objects of more than 10000 lines");

	buf_reset(&b);
	buf_adds(&b, "From: x@example.org\nContent-Type: text/calendar\n\n");
	for (i = 0; i < 9000; i++)
		buf_adds(&b, "X-LONG:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
		    "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n");
	refused_for(&b, "calendar objects of more than 1048576 bytes");
	buf_release(&b);
}

/* A long body in windows-1252 becomes UTF-8 in one buffer, NULs spaces. */
static void
test_text_conversion(void **state)
{
	char *in = xmalloc(300001), *out;
	size_t i;

	(void)state;
	for (i = 0; i < 300000; i++)
		in[i] = i % 1000 == 999 ? '\0' : (char)0x80;   /* the euro */
	out = mime_to_utf8(in, 300000, "windows-1252");
	assert_int_equal(strlen(out), 300 * (999 * 3 + 1));
	assert_memory_equal(out, "\xe2\x82\xac\xe2\x82\xac", 6);
	assert_int_equal(out[999 * 3], ' ');
	free(out);
	out = mime_to_utf8("caf\xe9", 4, "iso-8859-1");
	assert_string_equal(out, "caf\xc3\xa9");
	free(out);
	out = mime_to_utf8("a\0b\xff", 4, "utf-8");
	assert_string_equal(out, "a b\xef\xbf\xbd");
	free(out);
	out = mime_to_utf8("\x81\x80", 2, "windows-1252");
	assert_true(str_is_utf8(out));
	free(out);
	free(in);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rsvp_shapes),
		cmocka_unit_test(test_nested_and_names),
		cmocka_unit_test(test_charsets),
		cmocka_unit_test(test_reports),
		cmocka_unit_test(test_mbox_duplicates_no_id),
		cmocka_unit_test(test_line_endings),
		cmocka_unit_test(test_nesting_bomb),
		cmocka_unit_test(test_part_flood),
		cmocka_unit_test(test_oversize),
		cmocka_unit_test(test_bad_header_bytes),
		cmocka_unit_test(test_hostile_names),
		cmocka_unit_test(test_itip_hostile),
		cmocka_unit_test(test_libical_quiet_and_many_calendars),
		cmocka_unit_test(test_from_refused),
		cmocka_unit_test(test_recipients_and_authres),
		cmocka_unit_test(test_attachment_charset),
		cmocka_unit_test(test_header_bombs),
		cmocka_unit_test(test_no_false_bombs),
		cmocka_unit_test(test_part_bomb_counted_first),
		cmocka_unit_test(test_calendar_caps),
		cmocka_unit_test(test_text_conversion),
	};
	int r = cmocka_run_group_tests(tests, NULL, NULL);

	ical_shutdown();
	return r;
}
