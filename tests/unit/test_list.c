/* Unit tests for list.c: the list addresses, what a relayed post
 * carries, loop detection, the moderators' commands, and posts going
 * through inbox_apply() and the cycle's list step on a real store (the
 * integration test runs the same through Dovecot and SMTP). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "ical.h"
#include "inbox.h"
#include "list.h"
#include "mime.h"
#include "plan.h"
#include "store.h"
#include "testlib.h"
#include "token.h"
#include "util.h"

#define KIM  "kim@gov.example.bb"
#define ANA  "ana@mides.example.uy"
#define LUIS "luis@cepal.example.org"
#define LIST "agenda+ss@example.org"

static enum inbox_result
apply(struct tl_ws *fx, const char *msg, const char *now)
{
	char *err = NULL;
	enum inbox_result r;

	r = inbox_apply(fx->cfg, fx->st, tl_utc(now), msg, strlen(msg), "INBOX", 7,
	    1, &err);
	if (err != NULL)
		print_message("inbox_apply: %s\n", err);
	free(err);
	return r;
}

static struct mime_msg *
parse(const char *text)
{
	struct mime_msg *m = NULL;
	char *err = NULL;

	if (mime_parse(text, strlen(text), NULL, &m, &err) == -1)
		fail_msg("%s", err);
	return m;
}

/* A post from `from` to `to` with Message-ID id; extra header lines
 * (CRLF-ended) may be "". */
static char *
post(const char *from, const char *to, const char *id, const char *subject,
    const char *extra, const char *body)
{
	return xasprintf("From: %s\r\nTo: %s\r\n%sSubject: %s\r\n"
	    "Message-ID: <%s>\r\nDate: Mon, 01 Mar 2021 12:00:00 +0000\r\n"
	    "MIME-Version: 1.0\r\n"
	    "Content-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n", from, to,
	    extra, subject, id, body);
}

/* A member's post that proves itself: it carries the sender's token for
 * the group in Cc, as a reply to a relayed post does in In-Reply-To. */
static char *
proven_post(struct tl_ws *fx, const char *from, const char *id,
    const char *subject, const char *body)
{
	const char *lt = strchr(from, '<');
	char *addr = lt ? xstrndup(lt + 1, strcspn(lt + 1, ">")) :
	    xstrdup(from);
	char *tok = tl_reply_to(fx, 'g', "ss", addr), *cc, *m;

	free(addr);

	cc = xasprintf("Cc: %s\r\n", tok);
	m = post(from, LIST, id, subject, cc, body);
	free(cc);
	free(tok);
	return m;
}

/* The value of header name in message m (first line only); caller frees. */
static char *
header(const char *m, const char *name)
{
	char *want = xasprintf("\r\n%s: ", name);
	const char *p = strstr(m, want);
	char *v;

	if (p == NULL) {
		free(want);
		return NULL;
	}
	p += strlen(want);
	v = xstrndup(p, strcspn(p, "\r"));
	free(want);
	return v;
}

/* ---- pure functions -------------------------------------------------------- */

static void
test_addresses(void **state)
{
	struct tl_ws *fx = *state;
	const struct group *g = config_group(fx->cfg, "ss");
	char *l = list_address(fx->cfg, g), *r = list_request_address(fx->cfg, g);
	struct mime_msg *m;
	int req = -1;

	assert_string_equal(l, LIST);
	assert_string_equal(r, "agenda+ss-request@example.org");
	free(l);
	free(r);

	m = parse("From: x@y.example\r\nTo: Agenda+SS@Example.org\r\n\r\nx\r\n");
	assert_ptr_equal(list_addressed(fx->cfg, m, &req), g);
	assert_int_equal(req, 0);
	mime_free(m);
	m = parse("From: x@y.example\r\nTo: a@b.example\r\n"
	    "Cc: agenda+ss-request@example.org\r\n\r\nx\r\n");
	assert_ptr_equal(list_addressed(fx->cfg, m, &req), g);
	assert_int_equal(req, 1);
	mime_free(m);
	m = parse("Delivered-To: agenda+ss@example.org\r\nFrom: x@y.example\r\n"
	    "To: undisclosed-recipients:;\r\n\r\nx\r\n");
	assert_ptr_equal(list_addressed(fx->cfg, m, NULL), g);
	mime_free(m);
	/* the organizer, a token address, another plus address: no list */
	l = tl_reply_to(fx, 'g', "ss", KIM);
	r = xasprintf("From: x@y.example\r\nTo: agenda@example.org, %s, "
	    "agenda+ssx@example.org, ss@example.org\r\n\r\nx\r\n", l);
	m = parse(r);
	assert_null(list_addressed(fx->cfg, m, NULL));
	mime_free(m);
	free(r);
	free(l);
}

static void
test_explicit_and_check(void **state)
{
	struct tl_ws *fx = *state;
	const struct group *g, **taken;
	char buf[256], *l;

	tl_ws_group(fx, "20-tt.ini", "[group]\nid = tt\nname = T\n"
	    "kind = discussion\nlist = Grupo-TT@Lists.Example.org\n"
	    "[member a@b.example]\nname = A\nrole = ministry\n");
	g = config_group(fx->cfg, "tt");
	l = list_request_address(fx->cfg, g);
	assert_string_equal(l, "grupo-tt-request@lists.example.org");
	free(l);
	assert_null(list_check(fx->cfg, g, buf, sizeof buf));

	/* an address of VERP's form, another group's address: refused */
	free(g->list);
	((struct group *)g)->list = xstrdup("agenda+b-ab-abcdefghijklmnop"
	    "@example.org");
	assert_non_null(list_check(fx->cfg, g, buf, sizeof buf));
	assert_non_null(strstr(buf, "VERP"));
	free(g->list);
	((struct group *)g)->list = xstrdup("agenda+ss-request@example.org");
	assert_null(list_check(fx->cfg, g, buf, sizeof buf));
	taken = xcalloc(fx->cfg->ngroups, sizeof *taken);
	list_clashes(fx->cfg, taken);
	assert_non_null(taken[g - fx->cfg->groups]);
	assert_string_equal(taken[g - fx->cfg->groups]->id, "ss");
	free(taken);
	free(g->list);
	((struct group *)g)->list = xstrdup("agenda@example.org");
	assert_non_null(list_check(fx->cfg, g, buf, sizeof buf));
	free(g->list);
	((struct group *)g)->list = NULL;
	assert_null(list_check(fx->cfg, g, buf, sizeof buf));
}

static void
test_subject_tag(void **state)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "Hola", "[ss] Hola" },
		{ NULL, "[ss]" },
		{ "", "[ss]" },
		{ "Re: Hola", "[ss] Re: Hola" },
		{ "Re: [ss] Hola", "Re: [ss] Hola" },
		{ "RE: [ss] Hola", "RE: [ss] Hola" },
		{ "Res: [ss] Olá", "Res: [ss] Olá" },
		{ "RES: Re: [SS] Olá", "RES: Re: [SS] Olá" },
		{ "AW: [ss] Hallo", "AW: [ss] Hallo" },
		{ "TR: [ss] Réunion", "TR: [ss] Réunion" },
		{ "RV: [ss] Reunión", "RV: [ss] Reunión" },
		{ "[ss] minutes", "[ss] minutes" },
		{ "[ssx] other", "[ss] [ssx] other" },
	};
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = list_subject("ss", cases[i].in);
		assert_string_equal(s, cases[i].out);
		free(s);
	}
}

static void
test_headers_and_loops(void **state)
{
	struct tl_ws *fx = *state;
	const struct group *g = config_group(fx->cfg, "ss");
	char **h = list_headers(fx->cfg, g), *text;
	struct mime_msg *m;
	size_t i;
	int seen = 0;

	for (i = 0; h[i] != NULL; i += 2) {
		if (strcmp(h[i], "List-Id") == 0) {
			assert_string_equal(h[i + 1], "Sur-Sur <ss.list.example.org>");
			seen |= 1;
		} else if (strcmp(h[i], "List-Post") == 0) {
			assert_string_equal(h[i + 1], "<mailto:" LIST ">");
			seen |= 2;
		} else if (strcmp(h[i], "List-Unsubscribe") == 0) {
			assert_string_equal(h[i + 1], "<mailto:agenda+ss-request@"
			    "example.org?subject=unsubscribe>");
			seen |= 4;
		} else if (strcmp(h[i], "Precedence") == 0) {
			assert_string_equal(h[i + 1], "list");
			seen |= 8;
		} else if (strcmp(h[i], "X-Loop") == 0) {
			assert_string_equal(h[i + 1], LIST);
			seen |= 16;
		}
	}
	assert_int_equal(seen, 31);
	list_headers_free(h);

	/* List-Archive only for a public group when the site's address is
	 * known: a members-only group has no public page to name. */
	fx->cfg->site_url = xstrdup("https://example.org/grupos");
	h = list_headers(fx->cfg, g);
	for (i = 0; h[i] != NULL; i += 2)
		assert_string_not_equal(h[i], "List-Archive");
	list_headers_free(h);
	((struct group *)g)->public_minutes = 1;
	h = list_headers(fx->cfg, g);
	for (i = 0, seen = 0; h[i] != NULL; i += 2)
		if (strcmp(h[i], "List-Archive") == 0) {
			assert_string_equal(h[i + 1],
			    "<https://example.org/grupos/ss.html#list>");
			seen++;
		}
	assert_int_equal(seen, 1);
	list_headers_free(h);
	free(fx->cfg->site_url);
	fx->cfg->site_url = NULL;
	h = list_headers(fx->cfg, g);
	for (i = 0; h[i] != NULL; i += 2)
		assert_string_not_equal(h[i], "List-Archive");
	list_headers_free(h);
	((struct group *)g)->public_minutes = 0;

	m = parse("From: x@y.example\r\nTo: " LIST "\r\nX-Loop: " LIST
	    "\r\n\r\nx\r\n");
	assert_int_equal(list_looped(fx->cfg, m), 1);
	mime_free(m);
	m = parse("From: x@y.example\r\nTo: " LIST "\r\n"
	    "List-Id: \"Other name\" <ss.list.EXAMPLE.org>\r\n\r\nx\r\n");
	assert_int_equal(list_looped(fx->cfg, m), 1);
	mime_free(m);
	/* another list's List-Id (a member forwarding from elsewhere) */
	text = xstrdup("From: x@y.example\r\nTo: " LIST "\r\n"
	    "List-Id: <ss.list.elsewhere.example>\r\nX-Loop: other@x.example"
	    "\r\n\r\nx\r\n");
	m = parse(text);
	assert_int_equal(list_looped(fx->cfg, m), 0);
	mime_free(m);
	free(text);
}

static void
test_commands(void **state)
{
	static const struct {
		const char *text;
		enum list_command cmd;
		unsigned long which;
	} cases[] = {
		{ "APPROVE", LIST_CMD_APPROVE, 0 },
		{ "\n\n  aprobar\nthanks", LIST_CMD_APPROVE, 0 },
		{ "Aprovar.", LIST_CMD_APPROVE, 0 },
		{ "APPROUVER 1 3", LIST_CMD_APPROVE, 5 },
		{ "approve: 2, 20", LIST_CMD_APPROVE, (1UL << 1) | (1UL << 19) },
		{ "REJECT", LIST_CMD_REJECT, 0 },
		{ "Rechazar 2", LIST_CMD_REJECT, 2 },
		{ "REJEITAR", LIST_CMD_REJECT, 0 },
		{ "rejeter!", LIST_CMD_REJECT, 0 },
		{ "DIGEST", LIST_CMD_DIGEST, 0 },
		{ "Resumen", LIST_CMD_DIGEST, 0 },
		{ "RESUMO", LIST_CMD_DIGEST, 0 },
		{ "recueil", LIST_CMD_DIGEST, 0 },
		{ "NOMAIL", LIST_CMD_NOMAIL, 0 },
		{ "pausa", LIST_CMD_NOMAIL, 0 },
		{ "PAUSE", LIST_CMD_NOMAIL, 0 },
		{ "RESUME", LIST_CMD_RESUME, 0 },
		{ "reanudar", LIST_CMD_RESUME, 0 },
		{ "Retomar", LIST_CMD_RESUME, 0 },
		{ "REPRENDRE", LIST_CMD_RESUME, 0 },
		/* not commands */
		{ "APPROVE 21", LIST_CMD_NONE, 0 },
		{ "APPROVE 0", LIST_CMD_NONE, 0 },
		{ "APPROVE 99999999999999999999", LIST_CMD_NONE, 0 },
		{ "I approve of this", LIST_CMD_NONE, 0 },
		{ "approve this", LIST_CMD_NONE, 0 },
		{ "approved", LIST_CMD_NONE, 0 },
		{ "", LIST_CMD_NONE, 0 },
		{ NULL, LIST_CMD_NONE, 0 },
	};
	unsigned long which;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		which = 99;
		assert_int_equal(list_command(cases[i].text, &which), cases[i].cmd);
		if (cases[i].cmd != LIST_CMD_NONE)
			assert_int_equal(which, cases[i].which);
	}
}

/* ---- posts through the inbox and the cycle --------------------------------- */

static void
test_member_post_relayed(void **state)
{
	struct tl_ws *fx = *state;
	char *m = proven_post(fx, "Kim Lee <" KIM ">", "p1@gov.example.bb",
	    "Re: Cooperación", "Hola a todas y todos.");
	char *out, *v, *text;

	assert_int_equal(apply(fx, m, "2021-03-02 12:00"), INBOX_APPLIED);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 2);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", KIM), 0);
	out = tl_outbox_one(fx, "post", ANA);
	v = header(out, "Subject");
	assert_non_null(strstr(v, "[ss] Re: "));
	free(v);
	v = header(out, "From");
	assert_string_equal(v, "Kim Lee via Sur-Sur <" LIST ">");
	free(v);
	v = header(out, "Reply-To");
	assert_non_null(strstr(v, LIST));
	free(v);
	v = header(out, "Cc");
	assert_non_null(strstr(v, KIM));
	free(v);
	assert_non_null(strstr(out, "\r\nList-Id: Sur-Sur <ss.list.example.org>"));
	assert_non_null(strstr(out, "\r\nList-Post: <mailto:" LIST ">"));
	assert_non_null(strstr(out, "\r\nList-Help: "));
	assert_non_null(strstr(out, "\r\nList-Unsubscribe: "));
	assert_non_null(strstr(out, "\r\nPrecedence: list\r\n"));
	assert_non_null(strstr(out, "\r\nX-Loop: " LIST "\r\n"));
	v = header(out, "Message-ID");
	assert_non_null(strstr(v, "cv1.post.ss."));
	free(v);
	text = tl_outbox_text(fx, "post", LUIS);
	assert_non_null(strstr(text, "Hola a todas y todos."));
	free(text);
	free(out);

	/* the same post again: nothing more */
	assert_int_equal(apply(fx, m, "2021-03-02 12:05"), INBOX_DUPLICATE);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 2);
	free(m);
}

/* Our own relayed post, fed back: refused, nothing relayed. */
static void
test_loop_refused(void **state)
{
	struct tl_ws *fx = *state;
	char *m = proven_post(fx, KIM, "p2@gov.example.bb", "Tema", "Texto.");
	char *out, *back, *x;

	assert_int_equal(apply(fx, m, "2021-03-02 12:00"), INBOX_APPLIED);
	free(m);
	/* it is automatic mail (Auto-Submitted) and ours (Message-ID) */
	out = tl_outbox_one(fx, "post", ANA);
	assert_int_not_equal(apply(fx, out, "2021-03-02 12:10"), INBOX_APPLIED);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 2);
	/* with another Message-ID but our X-Loop, from a member */
	x = proven_post(fx, ANA, "p3@mides.example.uy", "Tema", "Otra vez.");
	back = xasprintf("X-Loop: " LIST "\r\n%s", x);
	assert_int_equal(apply(fx, back, "2021-03-02 12:11"), INBOX_REFUSED);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 2);
	free(back);
	free(x);
	/* an auto-reply to a post: never relayed */
	x = post(LUIS, LIST, "ooo@cepal.example.org", "Out of office: [ss] Tema",
	    "Auto-Submitted: auto-replied\r\n", "I am away.");
	assert_int_not_equal(apply(fx, x, "2021-03-02 12:12"), INBOX_APPLIED);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 2);
	free(x);
	free(out);
}

/* The Message-ID of the one row of kind to rcpt (caller frees). */
static char *
row_id(struct tl_ws *fx, const char *kind, const char *rcpt)
{
	char *m = tl_outbox_one(fx, kind, rcpt), *v = header(m, "Message-ID"),
	    *id;

	assert_non_null(v);
	id = xstrndup(v + 1, strlen(v) - 2);
	free(v);
	free(m);
	return id;
}

/* A coordinator's reply to the moderation request of batch, carrying
 * their token for it. */
static int replies;     /* makes each reply's Message-ID its own */

static char *
moderator_reply(struct tl_ws *fx, const char *who, long long batch,
    const char *id, const char *first_line)
{
	char scope[64], *to, *m;

	snprintf(scope, sizeof scope, "ss/%lld", batch);
	to = tl_reply_to(fx, 'h', scope, who);
	m = xasprintf("From: %s\r\nTo: %s\r\nSubject: Re: held\r\n"
	    "Message-ID: <mod-%lld-%d-%s>\r\nIn-Reply-To: <%s>\r\n"
	    "MIME-Version: 1.0\r\nContent-Type: text/plain\r\n\r\n%s\r\n\r\n"
	    "> quoted request\r\n", who, to, batch, ++replies, who, id,
	    first_line);
	free(to);
	return m;
}

static void
test_held_approved(void **state)
{
	struct tl_ws *fx = *state;
	char *m = post("Out Sider <out@else.example>", LIST, "n1@else.example",
	    "Oferta", "", "Una propuesta."), *id, *r, *text;
	long long batch = tl_utc("2021-03-02 12:30");
	struct store_post_stats ps;
	char *err = NULL;

	assert_int_equal(apply(fx, m, "2021-03-02 12:00"), INBOX_APPLIED);
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 0);
	/* an unproven member's post is held too */
	m = post(KIM, LIST, "n2@gov.example.bb", "Sin prueba", "", "Texto.");
	assert_int_equal(apply(fx, m, "2021-03-02 12:01"), INBOX_APPLIED);
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 0);

	/* one request to each coordinator, listing both */
	assert_int_equal(tl_step(fx, "list", list_group, "2021-03-02 12:30"), 2);
	assert_int_equal(tl_outbox_count(fx, "ss", "list-moderation", KIM), 0);
	text = tl_outbox_text(fx, "list-moderation", ANA);
	assert_non_null(strstr(text, "[1] out@else.example"));
	assert_non_null(strstr(text, "> Una propuesta."));
	assert_non_null(strstr(text, "[2] " KIM));
	assert_non_null(strstr(text, "APROBAR"));
	free(text);
	/* nothing more while it waits */
	assert_int_equal(tl_step(fx, "list", list_group, "2021-03-02 14:30"), 0);

	/* a reply without the token (a forger knows the form of the
	 * request's Message-ID, not the token in it): refused */
	id = row_id(fx, "list-moderation", ANA);
	r = xasprintf("From: %s\r\nTo: agenda@example.org\r\nSubject: Re\r\n"
	    "Message-ID: <forged@x.example>\r\nIn-Reply-To: <%.*s"
	    "aaaaaaaaaaaaaaaa@example.org>\r\n\r\nAPPROVE\r\n", ANA,
	    (int)(strlen(id) - strlen(strchr(id, '@')) - TOKEN_LEN), id);
	assert_int_equal(apply(fx, r, "2021-03-02 13:00"), INBOX_REFUSED);
	free(r);
	/* Kim is no coordinator */
	r = moderator_reply(fx, KIM, batch, id, "APPROVE");
	assert_int_equal(apply(fx, r, "2021-03-02 13:00"), INBOX_REFUSED);
	free(r);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 0);

	/* Ana approves the first: it goes to every member */
	r = moderator_reply(fx, ANA, batch, id, "APROBAR 1");
	assert_int_equal(apply(fx, r, "2021-03-02 13:00"), INBOX_APPLIED);
	free(r);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 3);
	text = tl_outbox_text(fx, "post", KIM);
	assert_non_null(strstr(text, "Una propuesta."));
	free(text);
	/* Luis rejects the rest: Kim's unproven post never goes out */
	free(id);
	id = row_id(fx, "list-moderation", LUIS);
	r = moderator_reply(fx, LUIS, batch, id, "REJECT");
	assert_int_equal(apply(fx, r, "2021-03-02 13:05"), INBOX_APPLIED);
	free(r);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 3);
	assert_int_equal(store_post_stats(fx->st, "ss", &ps, &err), 0);
	assert_int_equal(ps.relayed, 1);
	assert_int_equal(ps.held, 0);
	/* approving again changes nothing */
	r = moderator_reply(fx, LUIS, batch, id, "APPROVE");
	apply(fx, r, "2021-03-02 13:06");
	free(r);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 3);
	free(id);
}

static void
test_moderated_and_expiry(void **state)
{
	struct tl_ws *fx = *state;
	struct store_post_stats ps;
	char *err = NULL, *m;

	tl_ws_group(fx, "10-ss.ini", "[group]\nid = ss\nname = Sur-Sur\n"
	    "kind = discussion\nposting = moderated\n"
	    "[member " ANA "]\nname = Ana\nrole = ministry\ncoordinator = yes\n"
	    "[member " LUIS "]\nname = Luis\nrole = secretariat\n"
	    "coordinator = yes\n[member " KIM "]\nname = Kim\nrole = ministry\n");
	m = proven_post(fx, KIM, "q1@gov.example.bb", "Tema", "Texto.");
	assert_int_equal(apply(fx, m, "2021-03-02 12:00"), INBOX_APPLIED);
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 0);
	assert_int_equal(store_post_stats(fx->st, "ss", &ps, &err), 0);
	assert_int_equal(ps.held, 1);
	/* a week and a bit later it has expired: nobody is asked any more */
	tl_step(fx, "list", list_group, "2021-03-02 12:10");
	assert_int_equal(tl_step(fx, "list", list_group, "2021-03-09 12:01"), 0);
	assert_int_equal(store_post_stats(fx->st, "ss", &ps, &err), 0);
	assert_int_equal(ps.held, 0);
	assert_int_equal(ps.relayed, 0);
}

/* 1,000 posts from outside: the coordinators get a bounded number of
 * requests over the week the posts wait, whatever arrives. */
static void
test_flood_bounded(void **state)
{
	struct tl_ws *fx = *state;
	char id[64], *m, when[32];
	int i, asked = 0, day, hour;

	for (i = 0; i < 1000; i++) {
		snprintf(id, sizeof id, "flood-%d@spam.example", i);
		m = post("spam@spam.example", LIST, id, "Buy", "", "Now.");
		assert_int_equal(apply(fx, m, "2021-03-02 12:00"), INBOX_APPLIED);
		free(m);
	}
	for (day = 2; day <= 10; day++)
		for (hour = 0; hour < 24; hour += 1) {
			snprintf(when, sizeof when, "2021-03-%02d %02d:30", day,
			    hour);
			asked += tl_step(fx, "list", list_group, when);
		}
	/* one request a day to each of two coordinators while the posts
	 * wait (7 days), and none for the posts themselves */
	assert_true(asked >= 2);
	assert_true(asked <= 2 * 8);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 0);
}


/* DIGEST to the command address, proven: Kim reads by digest, gets no
 * post as it comes, and one digest a day later; NOMAIL unproven: Luis
 * asked to confirm, his delivery unchanged until he does. */
static void
test_delivery_commands(void **state)
{
	struct tl_ws *fx = *state;
	struct store_reader rd;
	char *err = NULL, *m, *tok, *cc, *text, *id, *r;

	tok = tl_reply_to(fx, 'g', "ss", KIM);
	cc = xasprintf("Cc: %s\r\n", tok);
	m = post(KIM, "agenda+ss-request@example.org", "d1@gov.example.bb",
	    "x", cc, "Resumen\r\n\r\n-- \r\nKim");
	assert_int_equal(apply(fx, m, "2021-03-02 10:00"), INBOX_APPLIED);
	free(m);
	free(cc);
	free(tok);
	assert_int_equal(store_reader_get(fx->st, "ss", KIM, &rd, &err), 1);
	assert_string_equal(rd.delivery, "digest");
	text = tl_outbox_text(fx, "list-delivery", KIM);
	assert_non_null(strstr(text, "Hecho: DIGEST"));
	free(text);

	/* unproven NOMAIL in a post's first line: not relayed, confirm */
	m = post(LUIS, LIST, "d2@cepal.example.org", "holidays", "",
	    "NOMAIL\r\n");
	assert_int_equal(apply(fx, m, "2021-03-02 10:05"), INBOX_APPLIED);
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 0);
	assert_int_equal(store_reader_get(fx->st, "ss", LUIS, &rd, &err), 0);
	assert_string_equal(rd.delivery, "each");
	text = tl_outbox_text(fx, "list-delivery", LUIS);
	assert_non_null(strstr(text, "reply to this message with NOMAIL"));
	free(text);
	/* a forged flood of commands costs Luis one letter an hour */
	m = post(LUIS, "agenda+ss-request@example.org", "d3@cepal.example.org",
	    "x", "", "NOMAIL\r\n");
	apply(fx, m, "2021-03-02 10:06");
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "list-delivery", LUIS), 1);
	/* his reply to the request confirms it */
	id = row_id(fx, "list-delivery", LUIS);
	tok = tl_reply_to(fx, 'g', "ss", LUIS);
	r = xasprintf("From: %s\r\nTo: %s\r\nSubject: Re\r\nMessage-ID: "
	    "<d4@cepal.example.org>\r\nIn-Reply-To: <%s>\r\n\r\nNOMAIL\r\n",
	    LUIS, tok, id);
	assert_int_equal(apply(fx, r, "2021-03-02 10:10"), INBOX_APPLIED);
	free(r);
	free(tok);
	free(id);
	assert_int_equal(store_reader_get(fx->st, "ss", LUIS, &rd, &err), 1);
	assert_string_equal(rd.delivery, "nomail");

	/* Ana posts: nobody else reads each post now */
	m = proven_post(fx, ANA, "d5@mides.example.uy", "Tema", "Buenas.");
	assert_int_equal(apply(fx, m, "2021-03-02 11:00"), INBOX_APPLIED);
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 0);
	/* not a day yet: no digest; then one, with the post */
	assert_int_equal(tl_step(fx, "list", list_group, "2021-03-02 20:00"), 0);
	assert_int_equal(tl_step(fx, "list", list_group, "2021-03-03 10:30"), 1);
	text = tl_outbox_text(fx, "list-digest", KIM);
	assert_non_null(strstr(text, "[1] " ANA));
	assert_non_null(strstr(text, "Buenas."));
	free(text);
	assert_int_equal(tl_outbox_count(fx, "ss", "list-digest", LUIS), 0);
	/* nothing new: no digest the next day */
	assert_int_equal(tl_step(fx, "list", list_group, "2021-03-04 11:00"), 0);
}

/* Kim's address bounces: her list mail pauses, the coordinators are
 * told once; invitations are not list mail. */
static void
test_bounce_pause(void **state)
{
	struct tl_ws *fx = *state;
	struct store_reader rd;
	char *err = NULL, *m;
	int i;

	/* four failures: not yet */
	for (i = 0; i < 4; i++)
		assert_int_equal(store_bounce_record(fx->st, KIM, "5.1.1", 1,
		    tl_utc("2021-02-27 09:00") + i * DAY, &err), 0);
	assert_int_equal(tl_step(fx, "list", list_group, "2021-03-02 10:00"), 0);
	assert_int_equal(store_bounce_record(fx->st, KIM, "5.1.1", 1,
	    tl_utc("2021-03-02 09:30"), &err), 0);
	assert_int_equal(tl_step(fx, "list", list_group, "2021-03-02 10:00"), 2);
	assert_int_equal(tl_outbox_count(fx, "ss", "list-paused", ANA), 1);
	assert_int_equal(tl_outbox_count(fx, "ss", "list-paused", LUIS), 1);
	assert_int_equal(store_reader_get(fx->st, "ss", KIM, &rd, &err), 1);
	assert_int_equal(rd.paused, 1);
	assert_int_equal(tl_step(fx, "list", list_group, "2021-03-02 11:00"), 0);
	m = proven_post(fx, ANA, "b1@mides.example.uy", "Tema", "Hola.");
	assert_int_equal(apply(fx, m, "2021-03-02 12:00"), INBOX_APPLIED);
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 1);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", KIM), 0);
	assert_int_equal(store_readers_paused(fx->st, "ss", &err), 1);
}


/* Relayed posts are archived per month, mbox and text, with the group's
 * dissemination; held ones are not; `report` counts them by month. */
static void
test_archive(void **state)
{
	struct tl_ws *fx = *state;
	struct store_post_month *mo;
	struct store_repo_change rc;
	char *m, *path, *text, *err = NULL;
	size_t n;

	m = proven_post(fx, KIM, "a1@gov.example.bb", "Tema",
	    "From here on, a line that mbox would cut.\r\nFin.");
	assert_int_equal(apply(fx, m, "2021-03-02 12:00"), INBOX_APPLIED);
	free(m);
	m = post("out@else.example", LIST, "a2@else.example", "Held", "",
	    "Not archived.");
	assert_int_equal(apply(fx, m, "2021-03-02 12:01"), INBOX_APPLIED);
	free(m);
	m = proven_post(fx, ANA, "a3@mides.example.uy", "Abril", "En abril.");
	assert_int_equal(apply(fx, m, "2021-04-01 12:00"), INBOX_APPLIED);
	free(m);
	tl_step(fx, "list", list_group, "2021-04-01 12:10");

	path = xasprintf("%s/ss/list/2021-03.mbox", fx->cfg->repository);
	text = tl_slurp(path, NULL);
	assert_non_null(text);
	assert_int_equal(strncmp(text, "From " KIM " ", 5 + strlen(KIM) + 1), 0);
	assert_non_null(strstr(text, "\nFrom: <" KIM ">\n"));
	/* no line but the separator starts "From " */
	assert_null(strstr(text, "\nFrom here"));
	assert_non_null(strstr(text, "\nSubject: [ss] Tema\n"));
	assert_non_null(strstr(text, "\nList-Id: Sur-Sur"));
	assert_null(strstr(text, "Not archived."));
	assert_null(strstr(text, "\r"));
	free(text);
	free(path);
	path = xasprintf("%s/ss/list/2021-03.txt", fx->cfg->repository);
	text = tl_slurp(path, NULL);
	assert_non_null(strstr(text, "From here on, a line that mbox"));
	assert_non_null(strstr(text, "Subject: Tema"));
	/* the name before the address: the public copy drops the address */
	assert_non_null(strstr(text, "From:    Kim <" KIM ">\n"));
	free(text);
	free(path);
	path = xasprintf("%s/ss/list/2021-04.txt", fx->cfg->repository);
	text = tl_slurp(path, NULL);
	assert_non_null(strstr(text, "En abril."));
	free(text);
	free(path);
	path = xasprintf("%s/ss/list/metadata.json", fx->cfg->repository);
	text = tl_slurp(path, NULL);
	assert_non_null(strstr(text, "\"dissemination\": \"members\""));
	free(text);
	free(path);

	/* each month journaled for the git history (repo.h) before it was
	 * written, its author the month's last post's */
	assert_int_equal(store_repo_next(fx->st, &rc, &err), 1);
	assert_string_equal(rc.kind, "list");
	assert_string_equal(rc.author_name, "Kim");
	assert_string_equal(rc.author_email, KIM);
	assert_non_null(strstr(rc.message_id, "a1@gov.example.bb"));
	assert_non_null(strstr(rc.paths, "ss/list/2021-03.mbox\n"
	    "ss/list/2021-03.txt\nss/list/metadata.json"));
	store_repo_change_clear(&rc);

	assert_int_equal(store_posts_months(fx->st, "ss", tl_utc("2021-01-01 00:00"),
	    tl_utc("2022-01-01 00:00"), &mo, &n, &err), 0);
	assert_int_equal(n, 2);
	assert_string_equal(mo[0].month, "2021-03");
	assert_int_equal(mo[0].posts, 1);
	assert_string_equal(mo[1].month, "2021-04");
	free(mo);
}

/* With [trust] authserv_id set, a post reaches every member only with
 * both proofs (DESIGN.md's trust rule): the token alone is held, and so
 * is authentication alone; the two together relay it at once. */
static void
test_post_needs_both_proofs(void **state)
{
	struct tl_ws *fx = *state;
	const char *ar = "Authentication-Results: mx.example.org; dkim=pass "
	    "header.d=gov.example.bb\r\n";
	char *m, *tok, *extra;

	tl_ws_global_add(fx, "[trust]\nauthserv_id = mx.example.org\n");
	m = proven_post(fx, "Kim <" KIM ">", "b1@gov.example.bb", "Uno",
	    "Solo el token.");
	apply(fx, m, "2021-03-02 12:00");
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 0);

	m = post("Kim <" KIM ">", LIST, "b2@gov.example.bb", "Dos", ar,
	    "Solo autenticado.");
	apply(fx, m, "2021-03-02 12:01");
	free(m);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 0);

	tok = tl_reply_to(fx, 'g', "ss", KIM);
	extra = xasprintf("%sCc: %s\r\n", ar, tok);
	m = post("Kim <" KIM ">", LIST, "b3@gov.example.bb", "Tres", extra,
	    "Las dos pruebas.");
	assert_int_equal(apply(fx, m, "2021-03-02 12:02"), INBOX_APPLIED);
	free(m);
	free(extra);
	free(tok);
	assert_int_equal(tl_outbox_count(fx, "ss", "post", NULL), 2);
}

static int
setup(void **state)
{
	struct tl_ws *fx = xcalloc(1, sizeof *fx);

	tl_ws_init(fx, "list", NULL);
	tl_ws_group(fx, "10-ss.ini", "[group]\nid = ss\nname = Sur-Sur\n"
	    "kind = discussion\n"
	    "[member " ANA "]\nname = Ana\nrole = ministry\ncoordinator = yes\n"
	    "[member " LUIS "]\nname = Luis\nrole = secretariat\n"
	    "coordinator = yes\nlanguage = en\n"
	    "[member " KIM "]\nname = Kim\nrole = ministry\n");
	/* the group and its members in the store, as every cycle has them */
	tl_step(fx, "plan", plan_group, "2021-03-01 12:00");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct tl_ws *fx = *state;

	tl_ws_free(fx);
	free(fx);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_addresses, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_and_check, setup,
		    teardown),
		cmocka_unit_test(test_subject_tag),
		cmocka_unit_test_setup_teardown(test_headers_and_loops, setup,
		    teardown),
		cmocka_unit_test(test_commands),
		cmocka_unit_test_setup_teardown(test_member_post_relayed, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_loop_refused, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_held_approved, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_moderated_and_expiry, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_flood_bounded, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_delivery_commands, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bounce_pause, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_archive, setup, teardown),
		cmocka_unit_test_setup_teardown(test_post_needs_both_proofs, setup,
		    teardown),
	};
	int rc = cmocka_run_group_tests_name("list", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}
