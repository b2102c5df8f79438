/* Hostile input through the whole inbound path (inbox_apply, as IMAP
 * feeds it): spoofed senders, a nesting bomb, a huge part, calendars
 * without UID or with impossible dates or a thousand attendees, invalid
 * UTF-8, attachment names built to escape the repository, a thousand
 * attachments.  Each is answered with one log line; none changes the
 * state (other than the record that it was seen); no file lands outside
 * the repository. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "ical.h"
#include "inbox.h"
#include "store.h"
#include "testlib.h"
#include "token.h"
#include "util.h"

#define UID "ss-monthly-20210317@example.org"

/* Everything the state says, but the record of what was read. */
static char *
snapshot(struct tl_ws *fx)
{
	static const char *const q[] = {
		"SELECT uid, start, sequence, content_seq, status, agenda_state,"
		"  agenda, minutes_path FROM meetings ORDER BY uid",
		"SELECT meeting_uid, email, sequence_sent, partstat, cancelled"
		"  FROM invitations ORDER BY 1, 2",
		"SELECT message_id, state FROM outbox ORDER BY 1",
		"SELECT path, sha256 FROM documents ORDER BY 1",
		"SELECT email, permanent FROM bounces ORDER BY 1",
		"SELECT group_id, kind, key FROM warnings ORDER BY 1, 2, 3",
	};
	struct buf b = BUF_INIT(BUF_OWN);
	sqlite3_stmt *st;
	sqlite3 *db;
	size_t i;
	int c;

	assert_int_equal(sqlite3_open_v2(fx->cfg->state, &db,
	    SQLITE_OPEN_READONLY, NULL), SQLITE_OK);
	for (i = 0; i < sizeof q / sizeof q[0]; i++) {
		assert_int_equal(sqlite3_prepare_v2(db, q[i], -1, &st, NULL),
		    SQLITE_OK);
		while (sqlite3_step(st) == SQLITE_ROW) {
			for (c = 0; c < sqlite3_column_count(st); c++) {
				const unsigned char *t = sqlite3_column_text(st, c);

				buf_adds(&b, t ? (const char *)t : "NULL");
				buf_addc(&b, '|');
			}
			buf_addc(&b, '\n');
		}
		sqlite3_finalize(st);
	}
	sqlite3_close(db);
	return buf_detach(&b);
}

static enum inbox_result
apply(struct tl_ws *fx, const char *msg, size_t len)
{
	char *err = NULL;
	enum inbox_result r;

	r = inbox_apply(fx->cfg, fx->st, tl_utc("2021-03-02 10:00"), msg, len,
	    "INBOX", 7, 1, &err);
	if (err != NULL)
		print_message("inbox_apply: %s\n", err);
	free(err);
	return r;
}

/* Applying msg changes no state, whatever it says. */
static void
no_change(struct tl_ws *fx, const char *msg, size_t len)
{
	char *before = snapshot(fx), *after;
	enum inbox_result r = apply(fx, msg, len);

	assert_true(r == INBOX_IGNORED || r == INBOX_REFUSED);
	after = snapshot(fx);
	assert_string_equal(before, after);
	free(before);
	free(after);
}

static char *
calendar_msg(const char *from, const char *body)
{
	static int n;

	return xasprintf("From: %s\r\nTo: agenda@example.org\r\n"
	    "Subject: reply\r\nMessage-ID: <h%d@example.com>\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/calendar; method=REPLY; charset=UTF-8\r\n\r\n"
	    "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//x//EN\r\n%s"
	    "END:VCALENDAR\r\n", from, ++n, body);
}

/* Calendar replies that must change nothing: the sender, then the lines
 * between PRODID and END:VCALENDAR. */
static const struct {
	const char *from, *body;
} calendars[] = {
	/* No UID. */
	{ "kim@gov.example.bb", "METHOD:REPLY\r\nBEGIN:VEVENT\r\n"
	  "DTSTAMP:20210302T100000Z\r\nATTENDEE;PARTSTAT=ACCEPTED:"
	  "mailto:kim@gov.example.bb\r\nEND:VEVENT\r\n" },
	/* A METHOD nobody uses. */
	{ "kim@gov.example.bb", "METHOD:DESTROY\r\nBEGIN:VEVENT\r\n"
	  "UID:" UID "\r\nDTSTAMP:20210302T100000Z\r\nATTENDEE;"
	  "PARTSTAT=ACCEPTED:mailto:kim@gov.example.bb\r\nEND:VEVENT\r\n" },
	/* An impossible date. */
	{ "kim@gov.example.bb", "METHOD:REPLY\r\nBEGIN:VEVENT\r\n"
	  "UID:" UID "\r\nDTSTAMP:20210302T100000Z\r\n"
	  "DTSTART:20210231T250000Z\r\nATTENDEE;PARTSTAT=ACCEPTED:"
	  "mailto:kim@gov.example.bb\r\nEND:VEVENT\r\n" },
	/* Invalid UTF-8 and control bytes everywhere. */
	{ "\xff\xfe kim@gov.example.bb\x01", "METHOD:REPLY\r\n"
	  "BEGIN:VEVENT\r\nUID:" UID "\xc3\x28\r\nDTSTAMP:20210302T100000Z\r\n"
	  "ATTENDEE;CN=\xed\xa0\x80;PARTSTAT=ACCEPTED:mailto:kim@gov.example.bb"
	  "\r\nEND:VEVENT\r\n" },
	/* An RSVP for Kim from someone else (test_spoofed). */
	{ "Kim <kim@gov.example.bb.evil.example>", "METHOD:REPLY\r\n"
	  "BEGIN:VEVENT\r\nUID:" UID "\r\nDTSTAMP:20210302T100000Z\r\n"
	  "ATTENDEE;PARTSTAT=DECLINED:mailto:kim@gov.example.bb\r\n"
	  "END:VEVENT\r\n" },
};
#define SPOOFED_RSVP (sizeof calendars / sizeof calendars[0] - 1)

/* calendars[i] as the message it arrives in: changes nothing. */
static void
calendar_no_change(struct tl_ws *fx, size_t i)
{
	char *m = calendar_msg(calendars[i].from, calendars[i].body);

	no_change(fx, m, strlen(m));
	free(m);
}

static void
test_hostile_calendars(void **state)
{
	struct tl_ws *fx = *state;
	struct buf b = BUF_INIT(BUF_OWN);
	char *m;
	size_t i;

	for (i = 0; i < SPOOFED_RSVP; i++)
		calendar_no_change(fx, i);
	/* A thousand attendees, none of them the sender. */
	buf_adds(&b, "METHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:" UID "\r\n"
	    "DTSTAMP:20210302T100000Z\r\n");
	for (i = 0; i < 1000; i++)
		buf_addf(&b, "ATTENDEE;PARTSTAT=DECLINED:mailto:a%zu@example.com"
		    "\r\n", i);
	buf_adds(&b, "ATTENDEE;PARTSTAT=DECLINED:mailto:kim@gov.example.bb\r\n"
	    "END:VEVENT\r\n");
	m = calendar_msg("mallory@example.com", buf_str(&b));
	no_change(fx, m, strlen(m));
	free(m);
	buf_release(&b);
}

static void
test_spoofed(void **state)
{
	static const char *const msgs[] = {
		/* Minutes and an agenda from a member who is not a
		 * coordinator. */
		"From: kim@gov.example.bb\r\nTo: agenda@example.org\r\n"
		"Subject: [ss] minutes\r\nMessage-ID: <sp1@bb>\r\n\r\nActa.\r\n",
		"From: kim@gov.example.bb\r\nTo: agenda@example.org\r\n"
		"Subject: Re: agenda\r\nMessage-ID: <sp2@bb>\r\nIn-Reply-To: "
		"<agenda-request.ss-monthly-20210317.12345678@example.org>\r\n"
		"\r\nCONFIRM\r\n",
	};
	struct tl_ws *fx = *state;
	size_t i;

	calendar_no_change(fx, SPOOFED_RSVP);
	for (i = 0; i < sizeof msgs / sizeof msgs[0]; i++)
		no_change(fx, msgs[i], strlen(msgs[i]));
}

static void
test_bombs(void **state)
{
	struct tl_ws *fx = *state;
	struct buf b = BUF_INIT(BUF_OWN);
	int i;

	/* Ten thousand nested multiparts. */
	buf_adds(&b, "From: ana@mides.example.uy\r\nSubject: [ss] document\r\n"
	    "Message-ID: <bomb@uy>\r\nMIME-Version: 1.0\r\n");
	for (i = 0; i < 10000; i++)
		buf_addf(&b, "Content-Type: multipart/mixed; boundary=\"b%d\"\r\n"
		    "\r\n--b%d\r\n", i, i);
	buf_adds(&b, "Content-Type: text/plain\r\n\r\nx\r\n");
	no_change(fx, b.data, b.len);
	buf_reset(&b);
	/* A part of 30 MB, over the 25 MB limit, from a coordinator. */
	buf_adds(&b, "From: ana@mides.example.uy\r\nSubject: [ss] document\r\n"
	    "Message-ID: <huge@uy>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: application/octet-stream\r\n\r\n");
	for (i = 0; i < 30 * 1024; i++) {
		char line[1024];

		memset(line, 'A', sizeof line - 2);
		line[sizeof line - 2] = '\r';
		line[sizeof line - 1] = '\n';
		buf_add(&b, line, sizeof line);
	}
	no_change(fx, b.data, b.len);
	buf_release(&b);
}

static int
files_outside(struct tl_ws *fx)
{
	char *cmd = xasprintf("find '%s' -type f ! -path '%s/repo/*' "
	    "! -name 'state.db*' ! -name imap.pass ! -name convened.ini "
	    "! -name reply-token.key "
	    "! -name 10-ss.ini | grep -q .", fx->dir, fx->dir);
	int rc = system(cmd);

	free(cmd);
	return rc == 0;
}

/* From a coordinator, so archived: every name stays inside its item. */
static void
test_attachment_names(void **state)
{
	static const char *const names[] = {
		"../../../../etc/passwd", "/etc/shadow", "..", ".htaccess",
		"con\x01" "trol\x1b[2J.txt", "C:\\\\Windows\\\\evil.exe",
		"metadata.json",
	};
	struct tl_ws *fx = *state;
	struct buf b = BUF_INIT(BUF_OWN), big = BUF_INIT(BUF_OWN);
	char *cmd, tok[TOKEN_LEN + 1];
	size_t i;
	int k;

	/* Through a letter's Reply-To: Ana's token for the group. */
	token_build(&fx->cfg->trust_key, TOKEN_GROUP, "ss",
	    "ana@mides.example.uy", tok);
	buf_addf(&b, "From: ana@mides.example.uy\r\nSubject: [ss] document\r\n"
	    "To: agenda+%s@example.org\r\n"
	    "Message-ID: <names@uy>\r\nMIME-Version: 1.0\r\n"
	    "Content-Type: multipart/mixed; boundary=\"b\"\r\n\r\n"
	    "--b\r\nContent-Type: text/plain\r\n\r\nDocumentos.\r\n", tok);
	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		buf_addf(&b, "--b\r\nContent-Type: application/octet-stream\r\n"
		    "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n"
		    "x\r\n", names[i]);
	/* NUL and a slash hidden in RFC 2231 encoding. */
	buf_adds(&b, "--b\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename*=UTF-8''a%00b%2F..%2F"
	    "..%2Fescape.txt\r\n\r\nx\r\n");
	for (k = 0; k < 10000; k++)
		buf_addc(&big, 'n');
	buf_addf(&b, "--b\r\nContent-Type: application/octet-stream\r\n"
	    "Content-Disposition: attachment; filename=\"%s.pdf\"\r\n\r\nx\r\n",
	    big.data);
	for (k = 0; k < 985; k++)
		buf_addf(&b, "--b\r\nContent-Type: application/octet-stream\r\n"
		    "Content-Disposition: attachment; filename=\"../x\"\r\n\r\n"
		    "%d\r\n", k);
	buf_adds(&b, "--b--\r\n");
	assert_int_equal(apply(fx, b.data, b.len), INBOX_APPLIED);
	assert_false(files_outside(fx));
	/* Every file in the one item directory, no dot file, no deeper dir. */
	cmd = xasprintf("test $(find '%s/repo' -type f | wc -l) -gt 990 && "
	    "! find '%s/repo' -mindepth 5 | grep -q . && "
	    "! find '%s/repo' -name '.*' | grep -q .", fx->dir, fx->dir,
	    fx->dir);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	buf_release(&b);
	buf_release(&big);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_hostile_calendars,
		    tl_setup_planned, tl_teardown),
		cmocka_unit_test_setup_teardown(test_spoofed, tl_setup_planned,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_bombs, tl_setup_planned,
		    tl_teardown),
		cmocka_unit_test_setup_teardown(test_attachment_names,
		    tl_setup_planned, tl_teardown),
	};
	int rc = cmocka_run_group_tests_name("hostile", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}
