/* Unit tests for config.c: every class of error `convened check` reports,
 * each at its exact FILE:LINE, and the inheritance rules. */
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

#include "config.h"
#include "ical.h"
#include "testlib.h"
#include "util.h"

struct fx {
	char  dir[64];
	char *global;
	char *groups;
	struct diag d;
	struct config *cfg;
};

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *fp = fopen(path, "w");

	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(chmod(path, mode), 0);
}

/* A global file that is valid on its own; tests append to it or replace
 * it.  Line numbers below count from this text. */
static const char base_global[] =
	"[daemon]\n"                            /* 1 */
	"timezone = America/Santiago\n"         /* 2 */
	"[organizer]\n"                         /* 3 */
	"name = Secretaría\n"                   /* 4 */
	"email = agenda@example.org\n"          /* 5 */
	"[smtp]\n"                              /* 6 */
	"url = smtp://127.0.0.1:2525\n"         /* 7 */
	"tls = none\n"                          /* 8 */
	"[imap]\n"                              /* 9 */
	"url = imap://127.0.0.1:1143\n"         /* 10 */
	"username = agenda\n"                   /* 11 */
	"password_file = ./imap.pass\n"         /* 12 */
	"tls = none\n";                         /* 13 */

/* A group that keeps every rule; 17 lines. */
static const char good_group[] =
	"[group]\n"                             /* 1 */
	"id = south-south\n"                    /* 2 */
	"name = South-South cooperation\n"      /* 3 */
	"kind = thematic\n"                     /* 4 */
	"axis = cooperation\n"                  /* 5 */
	"timezone = America/Montevideo\n"       /* 6 */
	"[member ana@mides.example.uy]\n"       /* 7 */
	"name = Ana Pérez\n"                    /* 8 */
	"role = ministry\n"                     /* 9 */
	"coordinator = yes\n"                   /* 10 */
	"[member luis@cepal.example.org]\n"     /* 11 */
	"name = Luis Soto\n"                    /* 12 */
	"role = secretariat\n"                  /* 13 */
	"coordinator = yes\n"                   /* 14 */
	"timezone = America/Santiago\n"         /* 15 */
	"[series monthly]\n"                    /* 16 */
	"summary = Monthly exchange\n"          /* 17 */
	"start = 2021-02-17 15:00\n"            /* 18 */
	"duration = 90\n"                       /* 19 */
	"rrule = FREQ=MONTHLY;BYDAY=3WE\n";     /* 20 */

static int
setup(void **state)
{
	struct fx *fx = xcalloc(1, sizeof *fx);
	char *p;

	snprintf(fx->dir, sizeof fx->dir, "/tmp/convened-test-XXXXXX");
	assert_non_null(mkdtemp(fx->dir));
	fx->global = xasprintf("%s/convened.ini", fx->dir);
	fx->groups = xasprintf("%s/groups.d", fx->dir);
	assert_int_equal(mkdir(fx->groups, 0755), 0);
	p = xasprintf("%s/imap.pass", fx->dir);
	write_file(p, "secret\n", 0600);
	free(p);
	diag_init(&fx->d);
	unsetenv("CREDENTIALS_DIRECTORY");
	*state = fx;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *fx = *state;

	tl_rmtree(fx->dir);
	config_free(fx->cfg);
	diag_free(&fx->d);
	free(fx->global);
	free(fx->groups);
	free(fx);
	return 0;
}

static void
put_global(struct fx *fx, const char *extra)
{
	char *text = xasprintf("%s%s", base_global, extra);

	write_file(fx->global, text, 0644);
	free(text);
}

static char *
put_group(struct fx *fx, const char *name, const char *text)
{
	char *path = xasprintf("%s/%s", fx->groups, name);

	write_file(path, text, 0644);
	return path;
}

static void
load(struct fx *fx)
{
	fx->cfg = config_load(fx->global, &fx->d);
}

static int
in_list(char *const *v, size_t n, const char *expect)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(v[i], expect) == 0)
			return 1;
	for (i = 0; i < n; i++)
		print_message("  got: %s\n", v[i]);
	print_message("  expected: %s\n", expect);
	return 0;
}

static int
has(struct fx *fx, const char *expect)
{
	return in_list(fx->d.text, fx->d.n, expect);
}

/* Load, then expect exactly one error: `fmt` with the file and line. */
static void
expect_one_error(struct fx *fx, const char *file, int line, const char *msg)
{
	char *want = xasprintf("%s:%d: %s", file, line, msg);

	load(fx);
	assert_null(fx->cfg);
	assert_true(has(fx, want));
	assert_int_equal(fx->d.nerrors, 1);
	free(want);
}

/* A group file: good_group with one line replaced (1-based) or, with
 * line 0, text appended. */
/* Some problem ends with expect (its file and line start it). */
static int
has_suffix(struct fx *fx, const char *expect)
{
	size_t i, n = strlen(expect), m;

	for (i = 0; i < fx->d.n; i++) {
		m = strlen(fx->d.text[i]);
		if (m >= n && strcmp(fx->d.text[i] + m - n, expect) == 0)
			return 1;
	}
	return 0;
}

static char *
text_with(const char *text, int line, const char *replacement)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *p = text, *nl;
	int n = 1;

	while (*p) {
		nl = strchr(p, '\n');
		if (n == line)
			buf_adds(&b, replacement);
		else
			buf_add(&b, p, (size_t)(nl - p + 1));
		p = nl + 1;
		n++;
	}
	if (line == 0)
		buf_adds(&b, replacement);
	return buf_detach(&b);
}

static char *
group_with(int line, const char *replacement)
{
	return text_with(good_group, line, replacement);
}

static void
one_group_error(struct fx *fx, int line, const char *replacement,
    int err_line, const char *msg)
{
	char *text = group_with(line, replacement);
	char *path;

	put_global(fx, "");
	path = put_group(fx, "10-south-south.ini", text);
	expect_one_error(fx, path, err_line, msg);
	free(path);
	free(text);
}

/* ---- the valid case and inheritance ------------------------------------ */

static void
test_valid(void **state)
{
	struct fx *fx = *state;
	const struct group *g;
	char *path;

	put_global(fx, "");
	path = put_group(fx, "10-south-south.ini", good_group);
	load(fx);
	assert_int_equal(fx->d.n, 0);
	assert_non_null(fx->cfg);
	assert_int_equal(fx->cfg->ngroups, 1);
	g = config_group(fx->cfg, "south-south");
	assert_non_null(g);
	assert_int_equal(g->nmembers, 2);
	assert_string_equal(g->members[0].email, "ana@mides.example.uy");
	assert_true(g->members[0].coordinator);
	/* Inheritance: language from the daemon, quota from the policy,
	 * zone from the group unless the member has one. */
	assert_string_equal(g->language, "es");
	assert_int_equal(g->quota, 3);
	assert_string_equal(config_member_timezone(g, &g->members[0]),
	    "America/Montevideo");
	assert_string_equal(config_member_timezone(g, &g->members[1]),
	    "America/Santiago");
	assert_string_equal(g->series[0].timezone, "America/Montevideo");
	assert_string_equal(g->series[0].rrule, "FREQ=MONTHLY;BYDAY=3WE");
	assert_int_equal(g->series[0].duration, 90);
	assert_true(config_coordination_ok(g, NULL));
	/* Defaults of [imap] and [policy]. */
	assert_int_equal(fx->cfg->nimap_folders, 2);
	assert_string_equal(fx->cfg->imap_folders[1], "Junk");
	assert_int_equal(fx->cfg->nquota_checks, 4);
	assert_int_equal(fx->cfg->quota_checks[3], 1115);
	/* What keeps one message from stopping a folder or filling the
	 * disk: on unless switched off. */
	assert_string_equal(fx->cfg->imap_quarantine, "Quarantine");
	assert_int_equal(fx->cfg->imap_max_message_kb, 10240);
	assert_int_equal(fx->cfg->agenda_max_kb, 32);
	assert_int_equal(fx->cfg->attachment_max_kb, 5120);
	assert_int_equal(fx->cfg->attachments_total_max_kb, 10240);
	free(path);
}

/* The quarantine must not be read again, nor hide among what was done;
 * empty switches the move off. */
static void
test_quarantine_folder(void **state)
{
	struct fx *fx = *state;
	char *path;

	path = put_group(fx, "10-south-south.ini", good_group);
	put_global(fx, "folders = INBOX, Quarantine\n");
	expect_one_error(fx, fx->global, 9, "[imap] quarantine_folder "
	    "Quarantine is also in folders");
	diag_free(&fx->d);
	put_global(fx, "processed_folder = Done\nquarantine_folder = Done\n");
	expect_one_error(fx, fx->global, 9, "[imap] quarantine_folder Done is "
	    "also processed_folder");
	diag_free(&fx->d);
	put_global(fx, "quarantine_folder =\nmax_message_kb = 63\n");
	expect_one_error(fx, fx->global, 15, "max_message_kb must be a whole "
	    "number from 64 to 25600, not '63'");
	diag_free(&fx->d);
	put_global(fx, "quarantine_folder =\n");
	load(fx);
	assert_non_null(fx->cfg);
	assert_null(fx->cfg->imap_quarantine);
	free(path);
}

static void
test_lists_continue_and_repeat(void **state)
{
	struct fx *fx = *state;
	const struct series *s;
	char *text, *path;

	text = group_with(0,
	    "guests = maria@minsal.example.cl,\n"
	    "  jo@ilo.example.org, Pat@Example.COM\n"
	    "guests = kim@undp.example.org\n"
	    "exdate = 2021-07-21, 2021-12-15 15:00\n");
	put_global(fx, "[policy]\nquota_checks = 02-28\n  12-01\n");
	path = put_group(fx, "10-south-south.ini", text);
	load(fx);
	assert_int_equal(fx->d.n, 0);
	s = &fx->cfg->groups[0].series[0];
	assert_int_equal(s->nguests, 4);
	assert_string_equal(s->guests[2], "pat@example.com");
	assert_string_equal(s->guests[3], "kim@undp.example.org");
	assert_int_equal(s->nexdate, 2);
	assert_int_equal(fx->cfg->nquota_checks, 2);
	assert_int_equal(fx->cfg->quota_checks[0], 228);
	assert_int_equal(fx->cfg->quota_checks[1], 1201);
	free(path);
	free(text);
}

/* ---- one test per class of error ------------------------------------- */

static void
test_unknown_section(void **state)
{
	struct fx *fx = *state;

	put_global(fx, "[mailer]\nfoo = bar\n");
	expect_one_error(fx, fx->global, 14, "unknown section [mailer]");
}

static void
test_unknown_key(void **state)
{
	one_group_error(*state, 6,
	    "timezone = America/Montevideo\ncolour = blue\n", 7,
	    "unknown key 'colour' in [group]");
}

static void
test_missing_required_key(void **state)
{
	/* Line 9 "role = ministry" goes: the member section (line 7) lacks
	 * its role. */
	one_group_error(*state, 9, "; role forgotten\n", 7,
	    "[member ana@mides.example.uy]: missing required key 'role'");
}

static void
test_missing_section(void **state)
{
	struct fx *fx = *state;

	write_file(fx->global, "[organizer]\nname = x\nemail = a@example.org\n"
	    "[imap]\nurl = imap://127.0.0.1:1\nusername = u\n"
	    "password_file = ./imap.pass\ntls = none\n", 0644);
	expect_one_error(fx, fx->global, 8, "missing section [smtp]");
}

static void
test_malformed_email(void **state)
{
	struct fx *fx = *state;

	one_group_error(fx, 11, "[member luis@cepal..example.org]\n", 11,
	    "[member luis@cepal..example.org]: malformed e-mail address "
	    "'luis@cepal..example.org'");
}

static void
test_malformed_guest_and_admin(void **state)
{
	struct fx *fx = *state;
	char *text = group_with(0, "guests = ok@example.org, not-an-address\n");
	char *path, *want;

	put_global(fx, "[policy]\nadmin = root@localhost\n");
	path = put_group(fx, "10-south-south.ini", text);
	load(fx);
	assert_null(fx->cfg);
	assert_int_equal(fx->d.nerrors, 2);
	want = xasprintf("%s:21: guests: malformed e-mail address "
	    "'not-an-address'", path);
	assert_true(has(fx, want));
	free(want);
	want = xasprintf("%s:15: admin: malformed e-mail address "
	    "'root@localhost'", fx->global);
	assert_true(has(fx, want));
	free(want);
	free(path);
	free(text);
}

/* A member's aliases: read lower-case, found by config_member_of(); an
 * alias that is another member's address, their own, the organizer's,
 * or also another member's alias is refused at the member's line. */
static void
test_member_aliases(void **state)
{
	struct fx *fx = *state;
	const struct group *g;
	char *text, *path;

	put_global(fx, "");
	text = group_with(10, "coordinator = yes\naliases = Ana.Perez@Gmail."
	    "example, ana@casa.example\n");
	path = put_group(fx, "10-south-south.ini", text);
	load(fx);
	assert_non_null(fx->cfg);
	g = &fx->cfg->groups[0];
	assert_int_equal(g->members[0].naliases, 2);
	assert_string_equal(g->members[0].aliases[0],
	    "ana.perez@gmail.example");
	assert_ptr_equal(config_member_of(g, "ANA@casa.example"),
	    &g->members[0]);
	assert_ptr_equal(config_member_of(g, "luis@cepal.example.org"),
	    &g->members[1]);
	assert_null(config_member(g, "ana@casa.example"));
	assert_null(config_member_of(g, "nobody@casa.example"));
	free(text);
	free(path);
}

static void
test_alias_of_another(void **state)
{
	one_group_error(*state, 15, "timezone = America/Santiago\n"
	    "aliases = luis@home.example, Ana@mides.example.uy\n", 11,
	    "member luis@cepal.example.org: alias ana@mides.example.uy is "
	    "another member's address");
}

static void
test_alias_twice(void **state)
{
	struct fx *fx = *state;
	char *text = group_with(15, "timezone = America/Santiago\n"
	    "aliases = shared@example.net, agenda@example.org\n"), *t2, *path;

	t2 = text_with(text, 10, "coordinator = yes\naliases = "
	    "shared@example.net, luis@cepal.example.org\n");
	put_global(fx, "");
	path = put_group(fx, "10-south-south.ini", t2);
	load(fx);
	assert_null(fx->cfg);
	assert_true(has_suffix(fx, ":7: member ana@mides.example.uy: alias "
	    "luis@cepal.example.org is another member's address"));
	assert_true(has_suffix(fx, ":12: member luis@cepal.example.org: alias "
	    "shared@example.net is also ana@mides.example.uy's"));
	assert_true(has_suffix(fx, ":12: member luis@cepal.example.org: alias "
	    "agenda@example.org is the organizer's address"));
	assert_int_equal(fx->d.nerrors, 3);
	free(path);
	free(t2);
	free(text);
}

static void
test_member_twice(void **state)
{
	one_group_error(*state, 0,
	    "[member Ana@Mides.example.uy]\nname = Ana again\nrole = ministry\n",
	    21, "member ana@mides.example.uy given twice in the group "
	    "(first at line 7)");
}

static void
test_unknown_timezone(void **state)
{
	one_group_error(*state, 6, "timezone = America/Atlantis\n", 6,
	    "unknown time zone 'America/Atlantis' (an IANA name such as "
	    "America/Santiago)");
}

static void
test_bad_start(void **state)
{
	one_group_error(*state, 18, "start = 2021-02-30 15:00\n", 18,
	    "start must be a local date and time YYYY-MM-DD HH:MM, not "
	    "'2021-02-30 15:00'");
}

static void
test_bad_duration(void **state)
{
	one_group_error(*state, 19, "duration = 90min\n", 19,
	    "duration must be a whole number from 1 to 1440, not '90min'");
}

static void
test_bad_rrule(void **state)
{
	struct fx *fx = *state;
	char *text = group_with(20, "rrule = FREQ=FORTNIGHTLY;BYDAY=3WE\n");
	char *path, *prefix;
	size_t i, hits = 0;

	put_global(fx, "");
	path = put_group(fx, "10-south-south.ini", text);
	load(fx);
	assert_null(fx->cfg);
	assert_int_equal(fx->d.nerrors, 1);
	/* libical's wording of the reason may change; the place may not. */
	prefix = xasprintf("%s:20: rrule 'FREQ=FORTNIGHTLY;BYDAY=3WE': ", path);
	for (i = 0; i < fx->d.n; i++)
		if (strncmp(fx->d.text[i], prefix, strlen(prefix)) == 0)
			hits++;
	assert_int_equal(hits, 1);
	free(prefix);
	free(path);
	free(text);
}

static void
test_rrule_that_never_matches(void **state)
{
	one_group_error(*state, 20, "rrule = FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31\n",
	    16, "series monthly: rrule 'FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31' "
	    "gives no meeting in the five years from its start");
}

static void
test_bad_exdate(void **state)
{
	one_group_error(*state, 0, "exdate = 2021-07-21, 21/07/2021\n", 21,
	    "exdate '21/07/2021' is not YYYY-MM-DD or YYYY-MM-DD HH:MM");
}

static void
test_bad_language(void **state)
{
	one_group_error(*state, 6,
	    "timezone = America/Montevideo\nlanguage = deutsch\n", 7,
	    "language must be es, en, pt or fr, not 'deutsch'");
}

static void
test_bad_language_member(void **state)
{
	one_group_error(*state, 15, "language = de\n", 15,
	    "language must be es, en, pt or fr, not 'de'");
}

static void
test_parent_missing(void **state)
{
	one_group_error(*state, 5, "axis = cooperation\nparent = nowhere\n", 1,
	    "parent group 'nowhere' does not exist");
}

static void
test_parent_cycle(void **state)
{
	struct fx *fx = *state;
	char *a, *b, *pa, *pb, *want;

	a = group_with(2, "id = alpha\nparent = beta\n");
	b = group_with(2, "id = beta\nparent = alpha\n");
	put_global(fx, "");
	pa = put_group(fx, "10-alpha.ini", a);
	pb = put_group(fx, "20-beta.ini", b);
	load(fx);
	assert_null(fx->cfg);
	assert_int_equal(fx->d.nerrors, 2);
	want = xasprintf("%s:1: group 'alpha' is its own ancestor (a cycle of "
	    "parents)", pa);
	assert_true(has(fx, want));
	free(want);
	want = xasprintf("%s:1: group 'beta' is its own ancestor (a cycle of "
	    "parents)", pb);
	assert_true(has(fx, want));
	free(want);
	free(a);
	free(b);
	free(pa);
	free(pb);
}

static void
test_duplicate_group_id(void **state)
{
	struct fx *fx = *state;
	char *p1, *p2, *want;

	put_global(fx, "");
	p1 = put_group(fx, "10-a.ini", good_group);
	p2 = put_group(fx, "20-b.ini", good_group);
	want = xasprintf("group id 'south-south' already used by %s:1", p1);
	expect_one_error(fx, p2, 1, want);
	free(want);
	free(p1);
	free(p2);
}

static void
test_inline_password(void **state)
{
	struct fx *fx = *state;

	put_global(fx, "password = hunter2\n");
	expect_one_error(fx, fx->global, 14, "[imap] password written inline: "
	    "put it in a file of mode 0600 (or a systemd credential) and name "
	    "it with password_file");
}

static void
test_password_file_mode(void **state)
{
	struct fx *fx = *state;
	char *p = xasprintf("%s/imap.pass", fx->dir), *msg;

	assert_int_equal(chmod(p, 0640), 0);
	put_global(fx, "");
	msg = xasprintf("[imap] password file %s is readable by group or "
	    "others (mode 0640): chmod 600 it", p);
	expect_one_error(fx, fx->global, 9, msg);
	free(msg);
	free(p);
}

static void
test_tls_none_remote(void **state)
{
	struct fx *fx = *state;

	write_file(fx->global, "[organizer]\nname = x\nemail = a@example.org\n"
	    "[smtp]\nurl = smtp://mail.example.org:25\ntls = none\n"
	    "[imap]\nurl = imap://[::1]:1143\nusername = u\n"
	    "password_file = ./imap.pass\ntls = none\n", 0644);
	expect_one_error(fx, fx->global, 4,
	    "[smtp] tls = none is allowed only for a loopback host");
}

static void
test_coordination_rule_is_a_warning(void **state)
{
	struct fx *fx = *state;
	char *path, *want;
	char *text = group_with(14, "coordinator = no\n");

	put_global(fx, "");
	path = put_group(fx, "10-south-south.ini", text);
	load(fx);
	assert_non_null(fx->cfg);               /* a warning keeps it valid */
	assert_int_equal(fx->d.nerrors, 0);
	assert_int_equal(fx->d.nwarnings, 1);
	want = xasprintf("%s:1: warning: group 'south-south' breaks the "
	    "coordination rule: fewer than two coordinators", path);
	assert_true(has(fx, want));
	free(want);
	free(path);
	free(text);
}

static void
test_coordination_rule_roles(void **state)
{
	struct fx *fx = *state;
	char *path, *want;
	char *text = group_with(13, "role = academia\n");

	put_global(fx, "");
	path = put_group(fx, "10-south-south.ini", text);
	load(fx);
	assert_non_null(fx->cfg);
	want = xasprintf("%s:1: warning: group 'south-south' breaks the "
	    "coordination rule: no coordinator from the secretariat (role "
	    "secretariat)", path);
	assert_true(has(fx, want));
	free(want);
	free(path);
	free(text);
}

/* inih cuts a line longer than its buffer into pieces; the reader reports
 * it at its real line and the lines after it keep their numbers. */
static void
test_long_line_keeps_line_numbers(void **state)
{
	struct fx *fx = *state;
	struct buf b = BUF_INIT(BUF_OWN);
	char *text, *path, *want;
	int i;

	buf_adds(&b, "guests = ");
	for (i = 0; i < 30; i++)
		buf_addf(&b, "%sguest%02d@example.org", i ? ", " : "", i);
	buf_adds(&b, "\ncolour = blue\n");
	text = group_with(0, buf_str(&b));
	put_global(fx, "");
	path = put_group(fx, "10-south-south.ini", text);
	load(fx);
	assert_null(fx->cfg);
	assert_int_equal(fx->d.nerrors, 2);
	want = xasprintf("%s:21: line too long (%zu bytes, at most 198): "
	    "continue a list on indented lines", path, b.len - 15);
	assert_true(has(fx, want));
	free(want);
	want = xasprintf("%s:22: unknown key 'colour' in [series monthly]",
	    path);
	assert_true(has(fx, want));
	free(want);
	free(path);
	free(text);
	buf_release(&b);
}

/* Every problem is reported, not only the first. */
static void
test_all_errors_reported(void **state)
{
	struct fx *fx = *state;
	char *text, *path;

	text = xasprintf("%s", "[group]\nid = Bad Id\nname = x\nkind = round\n"
	    "language = xx\n[member a@b]\nname = A\nrole = king\n"
	    "[series s]\nsummary = S\nstart = tomorrow\nduration = 0\n"
	    "this line has no equals sign\n[elsewhere]\n");
	put_global(fx, "tick = -1\n");
	path = put_group(fx, "10-bad.ini", text);
	load(fx);
	assert_null(fx->cfg);
	/* global: tick; group: id, kind, language, member address,
	 * start, duration, syntax, section; (role is in a skipped section) */
	assert_int_equal(fx->d.nerrors, 9);
	free(path);
	free(text);
}

static void
test_syntax_error_line(void **state)
{
	one_group_error(*state, 0, "just some words\n", 21,
	    "expected 'key = value' or [section], not 'just some words'");
}

static void
test_duplicate_key(void **state)
{
	one_group_error(*state, 0, "duration = 60\n", 21,
	    "key 'duration' given twice in [series monthly] (first at line 19)");
}

static void
test_groups_dir_missing(void **state)
{
	struct fx *fx = *state;
	char *msg;

	put_global(fx, "");
	/* [daemon] is at line 1 of base_global: groups = nowhere goes
	 * through resolve_path from the global file's directory. */
	write_file(fx->global, "[daemon]\ngroups = nowhere\n[organizer]\n"
	    "name = x\nemail = a@example.org\n[smtp]\nurl = smtp://127.0.0.1\n"
	    "tls = none\n[imap]\nurl = imap://127.0.0.1\nusername = u\n"
	    "password_file = ./imap.pass\ntls = none\n", 0644);
	msg = xasprintf("cannot read groups directory %s/nowhere: No such file "
	    "or directory", fx->dir);
	expect_one_error(fx, fx->global, 1, msg);
	free(msg);
}

/* ---- one parser per type: a good and a bad value of each --------------- */

/* What a good value became, read back as text. */
enum field {
	F_GROUP_NAME, F_PROCESSED, F_STATE, F_AGENDA, F_IMAP_PASSWORD, F_ADMIN,
	F_GUESTS, F_HORIZON, F_COORDINATOR, F_GROUP_KIND, F_IMAP_TLS,
	F_GROUP_LANGUAGE, F_SERIES_TIMEZONE, F_GROUP_ID, F_COUNTRY,
	F_QUOTA_CHECKS, F_START, F_EXDATE, F_RRULE, F_FOLDERS, F_INVITATION
};

static char *
joined(char *const *v, size_t n)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;

	for (i = 0; i < n; i++)
		buf_addf(&b, "%s%s", i ? " " : "", v[i]);
	return buf_detach(&b);
}

static char *
field_text(const struct config *cfg, enum field f)
{
	const struct group *g = &cfg->groups[0];
	const struct series *s = &g->series[0];
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i;

	switch (f) {
	case F_GROUP_NAME:      return xstrdup(g->name);
	case F_PROCESSED:
		return xstrdup(cfg->imap_processed ? cfg->imap_processed : "NULL");
	case F_STATE:           return xstrdup(cfg->state);
	case F_AGENDA:          return xstrdup(s->agenda);
	case F_IMAP_PASSWORD:   return xstrdup(cfg->imap.password_file);
	case F_ADMIN:           return xstrdup(cfg->admin);
	case F_HORIZON:         return xasprintf("%d", cfg->horizon_days);
	case F_COORDINATOR:
		return xasprintf("%d", g->members[0].coordinator);
	case F_GROUP_KIND:      return xstrdup(config_group_kind_name(g->kind));
	case F_IMAP_TLS:        return xasprintf("%d", cfg->imap.tls_required);
	case F_GROUP_LANGUAGE:  return xstrdup(g->language);
	case F_SERIES_TIMEZONE: return xstrdup(s->timezone);
	case F_GROUP_ID:        return xstrdup(g->id);
	case F_COUNTRY:         return xstrdup(g->members[0].country);
	case F_START:           return xstrdup(s->start);
	case F_RRULE:           return xstrdup(s->rrule);
	case F_INVITATION:
		return xasprintf("%d %d", s->per_occurrence,
		    config_series_recurring(s));
	case F_GUESTS:          return joined(s->guests, s->nguests);
	case F_EXDATE:          return joined(s->exdate, s->nexdate);
	case F_FOLDERS:
		return joined(cfg->imap_folders, cfg->nimap_folders);
	case F_QUOTA_CHECKS:
		break;
	}
	for (i = 0; i < cfg->nquota_checks; i++)
		buf_addf(&b, "%s%d", i ? " " : "", cfg->quota_checks[i]);
	return buf_detach(&b);
}

struct type_case {
	const char *type;
	int         in_group;   /* text edits good_group, else base_global */
	int         at;         /* the line text replaces; 0: appended */
	const char *text;
	int         line;       /* of the one error; 0: the value is good */
	const char *want;       /* the error, or what field holds; "DIR"
	                         * stands for the test's directory */
	enum field  field;
};

static const struct type_case type_cases[] = {
	{ "text", 1, 3, "name = Sur–Sur  y más\n", 0, "Sur–Sur  y más",
	  F_GROUP_NAME },
	{ "text", 1, 3, "name = Sur\x7f\n", 3,
	  "'name' holds a control character", F_GROUP_NAME },
	{ "optional text", 0, 0, "processed_folder =\n", 0, "NULL",
	  F_PROCESSED },
	{ "optional text", 0, 0, "processed_folder = Tra\xe7" "ado\n", 14,
	  "'processed_folder' is not valid UTF-8", F_PROCESSED },
	{ "path", 0, 2, "timezone = UTC\nstate = ././var/state.db\n", 0,
	  "DIR/var/state.db", F_STATE },
	{ "path", 0, 2, "timezone = UTC\nstate = \x01\n", 3,
	  "'state' holds a control character", F_STATE },
	{ "readable file", 1, 0, "agenda = ../imap.pass\n", 0,
	  "DIR/groups.d/../imap.pass", F_AGENDA },
	{ "readable file", 1, 0, "agenda = missing.txt\n", 21,
	  "cannot read agenda file DIR/groups.d/missing.txt: No such file "
	  "or directory", F_AGENDA },
	{ "credential", 0, 12, "password_file = imap.pass\n", 0, "imap.pass",
	  F_IMAP_PASSWORD },
	{ "credential", 0, 12, "password_file = ./elsewhere.pass\n", 9,
	  "[imap] cannot read password file DIR/elsewhere.pass: No such file "
	  "or directory", F_IMAP_PASSWORD },
	{ "secret", 0, 0, "password = hunter2\n", 14, "[imap] password "
	  "written inline: put it in a file of mode 0600 (or a systemd "
	  "credential) and name it with password_file", F_IMAP_PASSWORD },
	{ "e-mail", 0, 0, "[policy]\nadmin = Root@Example.ORG\n", 0,
	  "root@example.org", F_ADMIN },
	{ "e-mail", 0, 0, "[policy]\nadmin = root@localhost\n", 15,
	  "admin: malformed e-mail address 'root@localhost'", F_ADMIN },
	{ "e-mail list", 1, 0, "guests = A@Example.org,\n  b@example.org\n", 0,
	  "a@example.org b@example.org", F_GUESTS },
	{ "e-mail list", 1, 0, "guests = a@example.org, b@\n", 21,
	  "guests: malformed e-mail address 'b@'", F_GUESTS },
	{ "int", 0, 0, "[policy]\nhorizon_days = 3660\n", 0, "3660",
	  F_HORIZON },
	{ "int", 0, 0, "[policy]\nhorizon_days = 3661\n", 15, "horizon_days "
	  "must be a whole number from 1 to 3660, not '3661'", F_HORIZON },
	{ "bool", 1, 10, "coordinator = TRUE\n", 0, "1", F_COORDINATOR },
	{ "bool", 1, 10, "coordinator = maybe\n", 10,
	  "coordinator must be yes or no, not 'maybe'", F_COORDINATOR },
	{ "enum", 1, 4, "kind = discussion\n", 0, "discussion", F_GROUP_KIND },
	{ "enum", 1, 4, "kind = round\n", 4, "kind must be one of thematic | "
	  "subregional | discussion, not 'round'", F_GROUP_KIND },
	{ "enum of two", 0, 13, "tls = required\n", 0, "1", F_IMAP_TLS },
	{ "enum of two", 0, 13, "tls = yes\n", 13,
	  "tls must be required or none, not 'yes'", F_IMAP_TLS },
	{ "language", 1, 6, "timezone = America/Montevideo\nlanguage = pt\n",
	  0, "pt", F_GROUP_LANGUAGE },
	{ "language", 1, 6, "timezone = America/Montevideo\nlanguage = PT\n",
	  7, "language must be es, en, pt or fr, not 'PT'", F_GROUP_LANGUAGE },
	{ "time zone", 1, 0, "timezone = Europe/Madrid\n", 0, "Europe/Madrid",
	  F_SERIES_TIMEZONE },
	{ "time zone", 1, 0, "timezone = Mars/Olympus\n", 21, "unknown time "
	  "zone 'Mars/Olympus' (an IANA name such as America/Santiago)",
	  F_SERIES_TIMEZONE },
	{ "id", 1, 2, "id = 0_south-south\n", 0, "0_south-south", F_GROUP_ID },
	{ "id", 1, 2, "id = -south\n", 2, "group id must be 1 to 64 lower-case "
	  "letters, digits, '-' or '_', not '-south'", F_GROUP_ID },
	{ "country", 1, 8, "name = Ana\ncountry = UY\n", 0, "UY", F_COUNTRY },
	{ "country", 1, 8, "name = Ana\ncountry = URY\n", 9, "country must be "
	  "a two-letter code such as UY, not 'URY'", F_COUNTRY },
	{ "date list", 0, 0, "[policy]\nquota_checks = 12-31,\n  01-01\n", 0,
	  "1231 101", F_QUOTA_CHECKS },
	{ "date list", 0, 0, "[policy]\nquota_checks = 03-31\n  02-29\n", 16,
	  "quota_checks: '02-29' is not a date MM-DD (29 February is refused: "
	  "it comes once in four years)", F_QUOTA_CHECKS },
	{ "date and time", 1, 18, "start = 2021-02-17 16:30\n", 0,
	  "2021-02-17 16:30", F_START },
	{ "date and time", 1, 18, "start = 2021-02-17\n", 18, "start must be a "
	  "local date and time YYYY-MM-DD HH:MM, not '2021-02-17'", F_START },
	{ "day list", 1, 0, "exdate = 2021-07-21, 2021-08-18 15:00\n", 0,
	  "2021-07-21 2021-08-18 15:00", F_EXDATE },
	{ "day list", 1, 0, "exdate = 2021-07-21\nexdate = 2021-13-01\n", 22,
	  "exdate '2021-13-01' is not YYYY-MM-DD or YYYY-MM-DD HH:MM",
	  F_EXDATE },
	{ "rrule", 1, 20, "rrule = RRULE:FREQ=WEEKLY\n", 0, "FREQ=WEEKLY",
	  F_RRULE },
	/* A series with a rule goes as one recurring event unless it says
	 * otherwise. */
	{ "enum", 1, 0, "", 0, "0 1", F_INVITATION },
	{ "enum", 1, 0, "invitation = occurrence\n", 0, "1 0", F_INVITATION },
	{ "enum", 1, 0, "invitation = series\n", 0, "0 1", F_INVITATION },
	{ "enum", 1, 0, "invitation = recurring\n", 21, "invitation must be "
	  "series or occurrence, not 'recurring'", F_INVITATION },
	{ "rrule", 1, 20, "rrule = FREQ=HOURLY\n", 20, "rrule 'FREQ=HOURLY': "
	  "RRULE more often than daily is not a meeting series", F_RRULE },
	{ "text list", 0, 0, "folders = Archive\nfolders = Junk,\n  Spam\n", 0,
	  "Archive Junk Spam", F_FOLDERS },
	{ "text list", 0, 0, "folders = Archive, Old*\n", 9, "[imap] folder "
	  "name 'Old*' holds a character IMAP would need quoted", F_FOLDERS },
};

/* s with "DIR" replaced by the test's directory. */
static char *
in_dir(const struct fx *fx, const char *s)
{
	const char *dir = strstr(s, "DIR");

	if (dir == NULL)
		return xstrdup(s);
	return xasprintf("%.*s%s%s", (int)(dir - s), s, fx->dir, dir + 3);
}

static void
run_type_case(struct fx *fx, const struct type_case *tc)
{
	char *global, *group, *gpath, *want, *got;
	size_t i;

	global = tc->in_group ? xstrdup(base_global) : text_with(base_global,
	    tc->at, tc->text);
	group = tc->in_group ? group_with(tc->at, tc->text) : xstrdup(good_group);
	write_file(fx->global, global, 0644);
	gpath = put_group(fx, "10-south-south.ini", group);
	config_free(fx->cfg);
	diag_free(&fx->d);
	load(fx);
	if (tc->line == 0) {
		if (fx->d.n != 0 || fx->cfg == NULL) {
			for (i = 0; i < fx->d.n; i++)
				print_message("  got: %s\n", fx->d.text[i]);
			fail_msg("%s: good value refused", tc->type);
		}
		want = in_dir(fx, tc->want);
		got = field_text(fx->cfg, tc->field);
		assert_string_equal(got, want);
		free(got);
	} else {
		got = in_dir(fx, tc->want);
		want = xasprintf("%s:%d: %s", tc->in_group ? gpath : fx->global,
		    tc->line, got);
		free(got);
		assert_null(fx->cfg);
		assert_true(has(fx, want));
		assert_int_equal(fx->d.nerrors, 1);
	}
	free(want);
	free(gpath);
	free(group);
	free(global);
}

static void
test_type_parsers(void **state)
{
	struct fx *fx = *state;
	size_t i;

	for (i = 0; i < sizeof type_cases / sizeof type_cases[0]; i++)
		run_type_case(fx, &type_cases[i]);
}

/* ---- password_file: a path with a '/', else a credential ---------------- */

static int
has_note(struct fx *fx, const char *expect)
{
	return in_list(fx->d.notes, fx->d.nnotes, expect);
}

/* `-c convened.ini`: ./imap.pass is the file beside it, read as a file
 * and checked as one, not a credential named "imap.pass". */
static void
test_password_file_beside_relative_config(void **state)
{
	struct fx *fx = *state;
	char cwd[4096], *pw = NULL, *err = NULL, *p;

	put_global(fx, "");
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(fx->dir), 0);
	fx->cfg = config_load("convened.ini", &fx->d);
	if (fx->cfg != NULL)
		pw = config_read_password(&fx->cfg->imap, &err);
	assert_int_equal(chdir(cwd), 0);
	assert_non_null(fx->cfg);
	assert_string_equal(fx->cfg->imap.password_file, "./imap.pass");
	assert_true(has_note(fx, "convened.ini:9: [imap] password_file: file "
	    "./imap.pass"));
	assert_true(has_note(fx, "convened.ini:6: [smtp] password_file: none, "
	    "no authentication"));
	/* The two [trust] notes (test_trust) and [organizer] verp's. */
	assert_int_equal(fx->d.nnotes, 5);
	assert_null(err);
	assert_string_equal(pw, "secret");
	free(pw);

	/* And its mode is checked, which a credential's is not. */
	config_free(fx->cfg);
	diag_free(&fx->d);
	p = xasprintf("%s/imap.pass", fx->dir);
	assert_int_equal(chmod(p, 0640), 0);
	free(p);
	assert_int_equal(chdir(fx->dir), 0);
	fx->cfg = config_load("convened.ini", &fx->d);
	assert_int_equal(chdir(cwd), 0);
	assert_null(fx->cfg);
	assert_int_equal(fx->d.nerrors, 1);
	assert_true(has(fx, "convened.ini:9: [imap] password file ./imap.pass "
	    "is readable by group or others (mode 0640): chmod 600 it"));
}

static void
test_password_file_beside_absolute_config(void **state)
{
	struct fx *fx = *state;
	char *want, *pw, *err = NULL;

	put_global(fx, "");
	load(fx);
	assert_non_null(fx->cfg);
	want = xasprintf("%s:9: [imap] password_file: file %s/imap.pass",
	    fx->global, fx->dir);
	assert_true(has_note(fx, want));
	free(want);
	pw = config_read_password(&fx->cfg->imap, &err);
	assert_null(err);
	assert_string_equal(pw, "secret");
	free(pw);
}

static void
test_password_credential(void **state)
{
	struct fx *fx = *state;
	char *text = text_with(base_global, 12, "password_file = imap.pass\n");
	char *want, *pw, *err = NULL;

	write_file(fx->global, text, 0644);
	free(text);
	load(fx);
	assert_non_null(fx->cfg);
	assert_string_equal(fx->cfg->imap.password_file, "imap.pass");
	want = xasprintf("%s:9: [imap] password_file: systemd credential "
	    "imap.pass (not checked: CREDENTIALS_DIRECTORY is not set)",
	    fx->global);
	assert_true(has_note(fx, want));
	free(want);
	assert_null(config_read_password(&fx->cfg->imap, &err));
	assert_string_equal(err, "password credential imap.pass: "
	    "CREDENTIALS_DIRECTORY is not set (LoadCredential= in the unit)");
	free(err);
	err = NULL;

	/* Under systemd the credential is found, and checked. */
	config_free(fx->cfg);
	diag_free(&fx->d);
	assert_int_equal(setenv("CREDENTIALS_DIRECTORY", fx->dir, 1), 0);
	load(fx);
	pw = fx->cfg ? config_read_password(&fx->cfg->imap, &err) : NULL;
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_non_null(fx->cfg);
	want = xasprintf("%s:9: [imap] password_file: systemd credential "
	    "imap.pass", fx->global);
	assert_true(has_note(fx, want));
	free(want);
	assert_null(err);
	assert_string_equal(pw, "secret");
	free(pw);
}

/* ---- [trust] ------------------------------------------------------------ */

/* Defaults: tokens on, the key beside the state database (created by the
 * daemon, so only said), nothing authenticated; `check` says what plus
 * addressing the mailbox needs. */
static void
test_trust_defaults(void **state)
{
	struct fx *fx = *state;
	char *want;

	{
		char *text = text_with(base_global, 1, "[daemon]\nstate = "
		    "db/state.db\n");

		write_file(fx->global, text, 0644);
		free(text);
	}
	load(fx);
	assert_non_null(fx->cfg);
	assert_int_equal(fx->cfg->trust_tokens, 1);
	assert_int_equal(fx->cfg->ntrust_authserv, 0);
	assert_false(fx->cfg->trust_key.set);
	want = xasprintf("%s/db/reply-token.key", fx->dir);
	assert_string_equal(fx->cfg->trust_key_file, want);
	free(want);
	want = xasprintf("%s:1: [trust] key_file: file %s/db/reply-token.key "
	    "(not there yet: the daemon creates it when it starts)",
	    fx->global, fx->dir);
	assert_true(has_note(fx, want));
	free(want);
	want = xasprintf("%s:1: [trust] tokens: the mailbox agenda@example.org "
	    "must accept agenda+anything@example.org (plus addressing)",
	    fx->global);
	assert_true(has_note(fx, want));
	free(want);
}

static void
test_trust_keys(void **state)
{
	struct fx *fx = *state;
	char *want, *p;

	p = xasprintf("%s/k.key", fx->dir);
	write_file(p, "00\n", 0600);
	put_global(fx, "[trust]\n"                     /* 14 */
	    "key_file = k.key\n"                       /* 15: a credential */
	    "tokens = no\n"
	    "authserv_id = MX.Gov.Example, mx2.gov.example\n");
	load(fx);
	assert_non_null(fx->cfg);
	assert_string_equal(fx->cfg->trust_key_file, "k.key");
	assert_int_equal(fx->cfg->trust_tokens, 0);
	assert_int_equal(fx->cfg->ntrust_authserv, 2);
	assert_string_equal(fx->cfg->trust_authserv[0], "mx.gov.example");
	assert_string_equal(fx->cfg->trust_authserv[1], "mx2.gov.example");
	want = xasprintf("%s:14: [trust] key_file: systemd credential k.key "
	    "(not checked: CREDENTIALS_DIRECTORY is not set)", fx->global);
	assert_true(has_note(fx, want));
	free(want);
	/* tokens = no: no reply-token plus address, nothing to say of the
	 * mailbox for them; [organizer] verp's note stays. */
	assert_int_equal(fx->d.nnotes, 4);
	config_free(fx->cfg);
	diag_free(&fx->d);

	/* A key file others can read is refused, as a password file. */
	chmod(p, 0644);
	put_global(fx, "[trust]\nkey_file = ./k.key\n");
	load(fx);
	assert_null(fx->cfg);
	want = xasprintf("%s:14: [trust] reply-token key file %s/k.key is "
	    "readable by group or others (mode 0644): chmod 600 it", fx->global,
	    fx->dir);
	assert_true(has(fx, want));
	free(want);
	free(p);
}

/* [daemon] site_url goes into List-Archive: <...> as it is, so nothing
 * that ends the brackets or the line; its final '/' dropped. */
static void
test_site_url(void **state)
{
	struct fx *fx = *state;
	char *text;

	text = text_with(base_global, 2, "timezone = America/Santiago\n"
	    "site_url = https://example.org/grupos/\n");
	write_file(fx->global, text, 0644);
	free(text);
	load(fx);
	assert_non_null(fx->cfg);
	assert_string_equal(fx->cfg->site_url, "https://example.org/grupos");
	config_free(fx->cfg);
	fx->cfg = NULL;
	diag_free(&fx->d);
	text = text_with(base_global, 2, "timezone = America/Santiago\n"
	    "site_url = https://example.org/a>b\n");
	write_file(fx->global, text, 0644);
	free(text);
	load(fx);
	assert_null(fx->cfg);
	assert_true(has_suffix(fx, ":3: site_url must be an http:// or "
	    "https:// address of printable ASCII without spaces, '<', '>' or "
	    "'\"', not 'https://example.org/a>b'"));
	diag_free(&fx->d);
	text = text_with(base_global, 2, "timezone = America/Santiago\n"
	    "site_url = ftp://example.org\n");
	write_file(fx->global, text, 0644);
	free(text);
	load(fx);
	assert_null(fx->cfg);
	assert_int_equal(fx->d.nerrors, 1);
	diag_free(&fx->d);
}

static void
test_trust_refused(void **state)
{
	struct fx *fx = *state;
	char *text;

	put_global(fx, "[trust]\nauthserv_id = mx.gov.example, mx;evil\n");
	load(fx);
	assert_null(fx->cfg);
	assert_int_equal(fx->d.nerrors, 1);
	assert_true(has_suffix(fx, ":15: authserv_id must be host names "
	    "(letters, digits, '-' and '.'), not 'mx;evil'"));
	diag_free(&fx->d);

	/* Tokens go after a '+': the organizer's address must have none,
	 * and room for one in its local part. */
	text = text_with(base_global, 5, "email = agenda+x@example.org\n");
	write_file(fx->global, text, 0644);
	free(text);
	load(fx);
	assert_null(fx->cfg);
	assert_true(has_suffix(fx, ":1: [trust] tokens = yes needs an "
	    "[organizer] email without '+': tokens are added after one"));
	diag_free(&fx->d);
	text = text_with(base_global, 5, "email = "
	    "abcdefghijklmnopqrstuvwxyzabcdefghijklmnopqrstuv@example.org\n");
	write_file(fx->global, text, 0644);
	free(text);
	load(fx);
	assert_null(fx->cfg);
	assert_true(has_suffix(fx, ":1: [trust] tokens = yes needs an "
	    "[organizer] email whose local part has at most 47 characters "
	    "(a token adds 17)"));
}

/* [organizer] verp: on by default, with what the mailbox must accept;
 * an address it cannot extend is a warning (mail goes from the plain
 * address), never an error. */
static void
test_verp(void **state)
{
	struct fx *fx = *state;
	char *text, *want;
	size_t i;

	put_global(fx, "");
	load(fx);
	assert_non_null(fx->cfg);
	assert_int_equal(fx->cfg->org_verp, 1);
	want = xasprintf("%s:3: [organizer] verp: mail goes out with the "
	    "envelope sender agenda+b-ROW-TOKEN@example.org, so the mailbox "
	    "agenda@example.org must accept plus addressing (deliver "
	    "agenda+anything@example.org to it: Postfix and Dovecot "
	    "recipient_delimiter = +; Gmail and Microsoft 365 do by "
	    "default); verp = no sends from agenda@example.org itself",
	    fx->global);
	assert_true(has_note(fx, want));
	free(want);
	config_free(fx->cfg);
	diag_free(&fx->d);

	text = text_with(base_global, 5, "email = agenda@example.org\n"
	    "verp = no\n");
	write_file(fx->global, text, 0644);
	free(text);
	load(fx);
	assert_non_null(fx->cfg);
	assert_int_equal(fx->cfg->org_verp, 0);
	for (i = 0; i < fx->d.nnotes; i++)
		assert_null(strstr(fx->d.notes[i], "[organizer] verp"));
	config_free(fx->cfg);
	diag_free(&fx->d);

	/* 38 characters: one more than VERP_LOCAL_MAX (tokens = no, which
	 * would refuse a '+' of its own). */
	text = text_with(base_global, 5, "email = "
	    "abcdefghijklmnopqrstuvwxyzabcdefghijkl@example.org\n[trust]\n"
	    "tokens = no\n");
	write_file(fx->global, text, 0644);
	free(text);
	load(fx);
	assert_non_null(fx->cfg);
	assert_int_equal(fx->d.nerrors, 0);
	assert_true(has_suffix(fx, ":3: warning: [organizer] verp = yes needs "
	    "an email whose local part has at most 37 characters: mail goes "
	    "out from abcdefghijklmnopqrstuvwxyzabcdefghijkl@example.org "
	    "itself, and bounces are read by their text alone"));
}

/* ---- URLs, as libcurl reads them --------------------------------------- */

struct url_case {
	const char *url;
	const char *tls;
	const char *errors[2];  /* at the [smtp] line, none when the URL passes */
};

static const struct url_case url_cases[] = {
	/* The loopback rule of tls = none, with libcurl deciding the host. */
	{ "smtp://127.0.0.1:2525", "none", { NULL, NULL } },
	{ "smtp://[::1]:25", "none", { NULL, NULL } },
	{ "smtp://localhost:25", "none", { NULL, NULL } },
	{ "smtp://LOCALHOST", "none", { NULL, NULL } },
	{ "smtp://127.1", "none", { NULL, NULL } },       /* is 127.0.0.1 */
	{ "smtp://localhost:x@smtp.attacker.example:25", "none", {
	  "[smtp] tls = none is allowed only for a loopback host",
	  "[smtp] url holds a user name or password: give them with username "
	  "and password_file" } },
	{ "smtp://127.0.0.1.attacker.example", "none", {
	  "[smtp] tls = none is allowed only for a loopback host", NULL } },
	{ "smtp://[::2]:25", "none", {
	  "[smtp] tls = none is allowed only for a loopback host", NULL } },
	{ "smtp://attacker.example#@127.0.0.1", "none", {
	  "[smtp] tls = none is allowed only for a loopback host", NULL } },
	/* A login in the URL, even with TLS. */
	{ "smtps://agenda@mail.example.org", "required", {
	  "[smtp] url holds a user name or password: give them with username "
	  "and password_file", NULL } },
	{ "smtp://@127.0.0.1", "none", {
	  "[smtp] url holds a user name or password: give them with username "
	  "and password_file", NULL } },
	/* The scheme fits the section; libcurl reads it in any case. */
	{ "smtps://mail.example.org:465", "required", { NULL, NULL } },
	{ "SMTP://127.0.0.1", "none", { NULL, NULL } },
	{ "imap://127.0.0.1:1143", "none", {
	  "[smtp] url must start with smtp:// or smtps://", NULL } },
	{ "http://mail.example.org", "required", {
	  "[smtp] url must start with smtp:// or smtps://", NULL } },
	/* Not a URL at all. */
	{ "mail.example.org", "required", {
	  "[smtp] url is not a URL (Bad scheme): it must be smtp://HOST[:PORT] "
	  "or smtps://HOST[:PORT]", NULL } },
	{ "smtp://127.0.0.1:99999", "none", {
	  "[smtp] url is not a URL (Port number was not a decimal number "
	  "between 0 and 65535): it must be smtp://HOST[:PORT] or "
	  "smtps://HOST[:PORT]", NULL } },
};

static void
test_urls(void **state)
{
	struct fx *fx = *state;
	const struct url_case *uc;
	char *text, *want;
	size_t i, j, n;

	for (i = 0; i < sizeof url_cases / sizeof url_cases[0]; i++) {
		uc = &url_cases[i];
		text = xasprintf("[organizer]\nname = x\nemail = a@example.org\n"
		    "[smtp]\nurl = %s\ntls = %s\n[imap]\nurl = imap://[::1]:1143\n"
		    "username = u\npassword_file = ./imap.pass\ntls = none\n",
		    uc->url, uc->tls);
		write_file(fx->global, text, 0644);
		free(text);
		config_free(fx->cfg);
		diag_free(&fx->d);
		load(fx);
		for (n = 0; n < 2 && uc->errors[n] != NULL; n++) {
			want = xasprintf("%s:4: %s", fx->global, uc->errors[n]);
			assert_true(has(fx, want));
			free(want);
		}
		if (fx->d.nerrors != n) {
			for (j = 0; j < fx->d.n; j++)
				print_message("  got: %s\n", fx->d.text[j]);
			fail_msg("%s: %zu errors, not %zu", uc->url,
			    fx->d.nerrors, n);
		}
	}
}

/* [guest ADDR]: a guest's name, language and zone; the series still
 * names who is invited.  A guest section nobody invites, or one for a
 * member, is a warning. */
static void
test_guest_sections(void **state)
{
	struct fx *fx = *state;
	const struct group *g;
	const struct guest *gu;
	char *text, *path;

	put_global(fx, "");
	text = group_with(0, "open = yes\nguests = Maria@minsal.example.cl, "
	    "jo@ilo.example.org\n"
	    "[guest maria@minsal.example.cl]\n"      /* 23 */
	    "name = María González\nlanguage = pt\n"
	    "timezone = America/Sao_Paulo\n"
	    "[guest nobody@example.net]\n"           /* 27 */
	    "name = Nobody\n"
	    "[guest ana@mides.example.uy]\n");       /* 29 */
	path = put_group(fx, "g.ini", text);
	load(fx);
	assert_non_null(fx->cfg);
	g = &fx->cfg->groups[0];
	gu = config_guest(g, "MARIA@minsal.example.cl");
	assert_non_null(gu);
	assert_string_equal(gu->name, "María González");
	assert_string_equal(gu->language, "pt");
	assert_string_equal(gu->timezone, "America/Sao_Paulo");
	assert_null(config_guest(g, "jo@ilo.example.org"));
	{
		char *w1 = xasprintf("%s:27: warning: guest nobody@example.net "
		    "is in no series' guests", path);
		char *w2 = xasprintf("%s:29: warning: guest ana@mides.example.uy "
		    "is a member: their [member] section is used", path);

		assert_true(has(fx, w1));
		assert_true(has(fx, w2));
		free(w1);
		free(w2);
	}
	free(text);
	free(path);
	config_free(fx->cfg);
	fx->cfg = NULL;
	diag_free(&fx->d);
	/* A bad language is the usual error, at its line. */
	text = group_with(0, "guests = jo@ilo.example.org\n"
	    "[guest jo@ilo.example.org]\nlanguage = de\n");
	path = put_group(fx, "g.ini", text);
	expect_one_error(fx, path, 23,
	    "language must be es, en, pt or fr, not 'de'");
	free(text);
	free(path);
}

/* ---- OAuth ---------------------------------------------------------------- */

/* base_global with both accounts on xoauth2 and [oauth] as given; the
 * [imap] section starts at line 9, [oauth] at line 16. */
static void
put_oauth(struct fx *fx, const char *oauth)
{
	/* [imap] is at line 9, [oauth] (when given) at 16. */
	char *text = xasprintf(
	    "[daemon]\ntimezone = America/Santiago\n"
	    "[organizer]\nname = S\nemail = agenda@example.org\n"
	    "[smtp]\nurl = smtp://127.0.0.1:2525\ntls = none\n"
	    "[imap]\nurl = imap://127.0.0.1:1143\n"
	    "username = agenda@example.org\nauth = xoauth2\n"
	    "tls = none\nfolders = INBOX\n"                     /* 13-14 */
	    "\n"                                                /* 15 */
	    "%s", oauth);
	write_file(fx->global, text, 0644);
	free(text);
}

static void
test_oauth_provider_defaults(void **state)
{
	struct fx *fx = *state;
	char *rt = xasprintf("%s/oauth.token", fx->dir), *want;

	put_oauth(fx, "[oauth]\nprovider = microsoft\ntenant = example.org\n"
	    "client_id = abc\nrefresh_token_file = ./oauth.token\n");
	load(fx);
	assert_non_null(fx->cfg);
	assert_int_equal(fx->cfg->imap.auth, AUTH_XOAUTH2);
	assert_int_equal(fx->cfg->smtp.auth, AUTH_PASSWORD);
	assert_string_equal(fx->cfg->oauth.token_url, "https://login."
	    "microsoftonline.com/example.org/oauth2/v2.0/token");
	assert_string_equal(fx->cfg->oauth.device_url, "https://login."
	    "microsoftonline.com/example.org/oauth2/v2.0/devicecode");
	assert_string_equal(fx->cfg->oauth.scope, "offline_access "
	    "https://outlook.office.com/IMAP.AccessAsUser.All "
	    "https://outlook.office.com/SMTP.Send");
	assert_string_equal(fx->cfg->oauth.refresh_token_file, rt);
	/* No refresh token yet: a warning that says what to do. */
	want = xasprintf("%s:16: warning: [oauth] refresh_token_file %s is not "
	    "there yet: run convened authorize", fx->global, rt);
	assert_true(has(fx, want));
	assert_true(config_uses_oauth(fx->cfg));
	free(want);
	config_free(fx->cfg);
	fx->cfg = NULL;
	diag_free(&fx->d);

	/* Google: PKCE, no device flow; its token file must be 0600. */
	write_file(rt, "rt-1\n", 0644);
	put_oauth(fx, "[oauth]\nprovider = google\nclient_id = abc\n"
	    "refresh_token_file = ./oauth.token\n");
	want = xasprintf("[oauth] refresh token file %s is readable by group "
	    "or others (mode 0644): chmod 600 it", rt);
	expect_one_error(fx, fx->global, 16, want);
	free(want);
	free(rt);
}

static void
test_oauth_errors(void **state)
{
	struct fx *fx = *state;

	put_oauth(fx, "");
	expect_one_error(fx, fx->global, 9, "auth = xoauth2 needs an [oauth] "
	    "section");
	diag_free(&fx->d);
	put_oauth(fx, "[oauth]\nclient_id = x\n");
	expect_one_error(fx, fx->global, 16, "[oauth] needs provider "
	    "(microsoft | google | custom) or token_command");
	diag_free(&fx->d);
	put_oauth(fx, "[oauth]\nprovider = custom\nclient_id = x\n"
	    "refresh_token_file = ./t\n");
	expect_one_error(fx, fx->global, 16, "[oauth] provider = custom needs "
	    "token_url");
	diag_free(&fx->d);
	put_oauth(fx, "[oauth]\nprovider = custom\nclient_id = x\n"
	    "token_url = http://idp.example.org/token\nrefresh_token_file = ./t\n");
	expect_one_error(fx, fx->global, 16, "[oauth] token_url must be an "
	    "https:// URL (http:// only for a loopback host)");
	diag_free(&fx->d);
	put_oauth(fx, "[oauth]\nprovider = microsoft\ntenant = a/b?c\n"
	    "client_id = x\nrefresh_token_file = ./t\n");
	expect_one_error(fx, fx->global, 16, "[oauth] tenant 'a/b?c' must be a "
	    "directory id or domain (letters, digits, '.', '-')");
	diag_free(&fx->d);
	put_oauth(fx, "[oauth]\ntoken_command = cat t\nprovider = google\n");
	expect_one_error(fx, fx->global, 16, "[oauth] token_command stands "
	    "alone: give it, or provider with client_id and refresh_token_file, "
	    "not both");
	diag_free(&fx->d);
	put_oauth(fx, "[oauth]\nprovider = google\nclient_id = x\n"
	    "client_secret = hunter2\nrefresh_token_file = ./t\n");
	expect_one_error(fx, fx->global, 19, "[oauth] client_secret written "
	    "inline: put it in a file of mode 0600 (or a systemd credential) and "
	    "name it with client_secret_file");
}

static void
test_auth_keys(void **state)
{
	struct fx *fx = *state;

	/* An IMAP mailbox always needs a login. */
	put_global(fx, "auth = none\n");
	expect_one_error(fx, fx->global, 14, "auth must be one of password | "
	    "xoauth2 | oauthbearer, not 'none'");
	diag_free(&fx->d);
	/* A local relay: no login at all. */
	write_file(fx->global, "[organizer]\nname = x\nemail = a@example.org\n"
	    "[smtp]\nurl = smtp://127.0.0.1:25\ntls = none\nauth = none\n"
	    "username = u\n[imap]\nurl = imap://127.0.0.1:1143\nusername = u\n"
	    "password_file = ./imap.pass\ntls = none\n", 0644);
	expect_one_error(fx, fx->global, 4, "[smtp] auth = none takes no "
	    "username or password_file");
	diag_free(&fx->d);
	/* A token needs to know whose mailbox. */
	write_file(fx->global, "[organizer]\nname = x\nemail = a@example.org\n"
	    "[smtp]\nurl = smtp://127.0.0.1:25\ntls = none\nauth = oauthbearer\n"
	    "[imap]\nurl = imap://127.0.0.1:1143\nusername = u\n"
	    "password_file = ./imap.pass\ntls = none\n"
	    "[oauth]\ntoken_command = printf x\n", 0644);
	expect_one_error(fx, fx->global, 4, "[smtp] auth = oauthbearer needs "
	    "username (the mailbox the token is for)");
}

/* ---- the cache of parsed groups ---- */

static const char rich_group[] =
	"[group]\nid = rich\nname = Rico\nkind = subregional\n"
	"language = pt\nlist_guests = yes\nposting = moderated\nquota = 4\n"
	"dissemination = public\n"
	"[member ana@mides.example.uy]\nname = Ana\nrole = ministry\n"
	"coordinator = yes\ncountry = UY\n"
	"aliases = ana@home.example, ana.p@gmail.example\n"
	"[member luis@cepal.example.org]\nname = Luis\nrole = secretariat\n"
	"coordinator = yes\ntimezone = America/Santiago\nlanguage = en\n"
	"[guest maria@minsal.example.cl]\nname = María\nlanguage = es\n"
	"[series monthly]\nsummary = Mensal\nstart = 2021-02-17 15:00\n"
	"duration = 90\nrrule = FREQ=MONTHLY;BYDAY=3WE\n"
	"exdate = 2021-07-21, 2021-12-15 15:00\npresentations = 3\n"
	"guests = maria@minsal.example.cl\n"
	/* a warning when read: the cache does not say it again */
	"[series seminar]\nsummary = Aberto\nstart = 2021-05-05 10:00\n"
	"duration = 60\nopen = yes\n"
	"[milestone report]\nsummary = Relatório\ndue = 2021-06-30\n"
	"owner = secretariat\nlead_days = 7\n"
	"[poll date]\nduration = 60\ncandidates = 2021-09-01 10:00, "
	"2021-09-02 10:00\ncloses = 2021-08-20\n";

#define SAME_STR(a, b) do {                                             \
	if ((a) == NULL || (b) == NULL)                                 \
		assert_ptr_equal((a), (b));                             \
	else                                                            \
		assert_string_equal((a), (b));                          \
} while (0)

static void
same_list(char **a, size_t na, char **b, size_t nb)
{
	size_t i;

	assert_int_equal(na, nb);
	for (i = 0; i < na; i++)
		assert_string_equal(a[i], b[i]);
}

static void
same_members(const struct group *a, const struct group *b)
{
	size_t i;

	assert_int_equal(a->nmembers, b->nmembers);
	for (i = 0; i < a->nmembers; i++) {
		const struct member *x = &a->members[i], *y = &b->members[i];

		SAME_STR(x->email, y->email);
		SAME_STR(x->name, y->name);
		SAME_STR(x->country, y->country);
		SAME_STR(x->language, y->language);
		SAME_STR(x->timezone, y->timezone);
		assert_int_equal(x->role, y->role);
		assert_int_equal(x->coordinator, y->coordinator);
		assert_int_equal(x->line, y->line);
		same_list(x->aliases, x->naliases, y->aliases, y->naliases);
	}
	assert_int_equal(a->nguests, b->nguests);
	for (i = 0; i < a->nguests; i++) {
		SAME_STR(a->guests[i].email, b->guests[i].email);
		SAME_STR(a->guests[i].name, b->guests[i].name);
		SAME_STR(a->guests[i].language, b->guests[i].language);
		SAME_STR(a->guests[i].timezone, b->guests[i].timezone);
		assert_int_equal(a->guests[i].line, b->guests[i].line);
	}
}

static void
same_series(const struct group *a, const struct group *b)
{
	size_t i;

	assert_int_equal(a->nseries, b->nseries);
	for (i = 0; i < a->nseries; i++) {
		const struct series *x = &a->series[i], *y = &b->series[i];

		SAME_STR(x->name, y->name);
		SAME_STR(x->summary, y->summary);
		SAME_STR(x->start, y->start);
		SAME_STR(x->rrule, y->rrule);
		SAME_STR(x->timezone, y->timezone);
		SAME_STR(x->location, y->location);
		SAME_STR(x->agenda, y->agenda);
		assert_int_equal(x->kind, y->kind);
		assert_int_equal(x->duration, y->duration);
		assert_int_equal(x->open, y->open);
		assert_int_equal(x->per_occurrence, y->per_occurrence);
		assert_int_equal(x->presentations, y->presentations);
		assert_int_equal(x->seats, y->seats);
		assert_int_equal(x->line, y->line);
		same_list(x->exdate, x->nexdate, y->exdate, y->nexdate);
		same_list(x->guests, x->nguests, y->guests, y->nguests);
		same_list(x->announce, x->nannounce, y->announce, y->nannounce);
	}
}

static void
same_plans(const struct group *a, const struct group *b)
{
	size_t i;

	assert_int_equal(a->nmilestones, b->nmilestones);
	for (i = 0; i < a->nmilestones; i++) {
		SAME_STR(a->milestones[i].name, b->milestones[i].name);
		SAME_STR(a->milestones[i].summary, b->milestones[i].summary);
		SAME_STR(a->milestones[i].due, b->milestones[i].due);
		assert_int_equal(a->milestones[i].owner, b->milestones[i].owner);
		assert_int_equal(a->milestones[i].lead_days,
		    b->milestones[i].lead_days);
	}
	assert_int_equal(a->npolls, b->npolls);
	for (i = 0; i < a->npolls; i++) {
		const struct poll *x = &a->polls[i], *y = &b->polls[i];

		SAME_STR(x->name, y->name);
		SAME_STR(x->summary, y->summary);
		SAME_STR(x->timezone, y->timezone);
		SAME_STR(x->location, y->location);
		SAME_STR(x->closes, y->closes);
		assert_int_equal(x->duration, y->duration);
		assert_int_equal(x->kind, y->kind);
		same_list(x->candidates, x->ncandidates, y->candidates,
		    y->ncandidates);
	}
}

static void
same_group(const struct group *a, const struct group *b)
{
	SAME_STR(a->id, b->id);
	SAME_STR(a->name, b->name);
	SAME_STR(a->parent, b->parent);
	SAME_STR(a->language, b->language);
	SAME_STR(a->timezone, b->timezone);
	SAME_STR(a->file, b->file);
	SAME_STR(a->list, b->list);
	assert_int_equal(a->kind, b->kind);
	assert_int_equal(a->axis, b->axis);
	assert_int_equal(a->public_minutes, b->public_minutes);
	assert_int_equal(a->quota, b->quota);
	assert_int_equal(a->line, b->line);
	assert_int_equal(a->list_guests, b->list_guests);
	assert_int_equal(a->reply_to_author, b->reply_to_author);
	assert_int_equal(a->from_rewrite, b->from_rewrite);
	assert_int_equal(a->posting, b->posting);
	assert_true(a->digest == b->digest);
	same_members(a, b);
	same_series(a, b);
	same_plans(a, b);
}

static struct config *
load_with(struct fx *fx, int cache, size_t *warnings)
{
	struct diag d;
	struct config *cfg;

	diag_init(&d);
	cfg = config_load_cached(fx->global, cache, &d);
	*warnings = d.nwarnings;
	if (cfg == NULL) {
		size_t i;

		for (i = 0; i < d.n; i++)
			print_message("%s\n", d.text[i]);
	}
	diag_free(&d);
	assert_non_null(cfg);
	return cfg;
}

/* What the cache gives is what reading the files gives, field by
 * field; an edited file is read again, a broken cache is passed over. */
static void
test_cache(void **state)
{
	struct fx *fx = *state;
	struct config *a, *b;
	char *text, *cache, *g;
	size_t wa, wb, i;
	struct stat st;

	text = xasprintf("[daemon]\nstate = %s/state.db\n%s", fx->dir,
	    base_global + strlen("[daemon]\n"));
	write_file(fx->global, text, 0644);
	free(text);
	free(put_group(fx, "10-ss.ini", good_group));
	g = put_group(fx, "20-rich.ini", rich_group);
	cache = xasprintf("%s/state.db.groups", fx->dir);

	a = load_with(fx, CONFIG_CACHE_READ | CONFIG_CACHE_WRITE, &wa);
	/* Written only when the caller says the state is sound. */
	assert_int_equal(stat(cache, &st), -1);
	config_cache_save(a);
	assert_int_equal(stat(cache, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	b = load_with(fx, CONFIG_CACHE_READ, &wb);
	assert_true(wa > 0);
	assert_int_equal(wb + 1, wa);   /* the open series' warning */
	assert_int_equal(a->ngroups, 2);
	assert_int_equal(b->ngroups, 2);
	for (i = 0; i < a->ngroups; i++)
		same_group(&a->groups[i], &b->groups[i]);
	assert_ptr_equal(config_group(b, "rich"), &b->groups[1]);
	config_free(b);

	/* An edit is read. */
	text = xasprintf("%s[member new@x.example]\nname = N\nrole = other\n",
	    rich_group);
	write_file(g, text, 0644);
	free(text);
	b = load_with(fx, CONFIG_CACHE_READ, &wb);
	assert_int_equal(b->groups[1].nmembers, a->groups[1].nmembers + 1);
	assert_int_equal(wb, wa);
	config_free(b);

	/* A cache cut short, or of another convened.ini: not used. */
	assert_int_equal(truncate(cache, st.st_size / 2), 0);
	b = load_with(fx, CONFIG_CACHE_READ, &wb);
	assert_int_equal(wb, wa);
	config_free(b);
	config_free(a);
	free(g);
	free(cache);
}

/* The global time zone a run that may use the cache takes unchecked is
 * checked all the same when no cache was written for the file, at its
 * line; with `check`'s loading too. */
static void
test_global_timezone_later(void **state)
{
	struct fx *fx = *state;
	char *text, *want;
	int cache;

	text = xasprintf("[daemon]\nstate = %s/state.db\n"
	    "timezone = America/Atlantis\n%s", fx->dir,
	    base_global + strlen("[daemon]\ntimezone = America/Santiago\n"));
	write_file(fx->global, text, 0644);
	free(text);
	free(put_group(fx, "10-ss.ini", good_group));
	want = xasprintf("%s:3: unknown time zone 'America/Atlantis' (an IANA "
	    "name such as America/Santiago)", fx->global);
	for (cache = 0; cache <= CONFIG_CACHE_READ; cache += CONFIG_CACHE_READ) {
		diag_free(&fx->d);
		diag_init(&fx->d);
		fx->cfg = config_load_cached(fx->global, cache, &fx->d);
		assert_null(fx->cfg);
		assert_true(has(fx, want));
		assert_int_equal(fx->d.nerrors, 1);
	}
	free(want);
}

/* With no group at all the cache is written still: it is what says the
 * global file was checked, so that the next run need not ask libical. */
static void
test_cache_no_group(void **state)
{
	struct fx *fx = *state;
	struct config *a;
	char *text, *cache;
	struct stat st;
	size_t w;

	text = xasprintf("[daemon]\nstate = %s/state.db\n%s", fx->dir,
	    base_global + strlen("[daemon]\n"));
	write_file(fx->global, text, 0644);
	free(text);
	cache = xasprintf("%s/state.db.groups", fx->dir);
	a = load_with(fx, CONFIG_CACHE_READ | CONFIG_CACHE_WRITE, &w);
	assert_int_equal(a->ngroups, 0);
	config_cache_save(a);
	config_free(a);
	assert_int_equal(stat(cache, &st), 0);
	/* Read back, it is the cache of this file: nothing to write. */
	a = load_with(fx, CONFIG_CACHE_READ | CONFIG_CACHE_WRITE, &w);
	assert_null(a->cache_path);
	config_free(a);
	free(cache);
}

/* A cache with bytes changed anywhere after its header, or cut short,
 * is passed over: the groups are what their files say (run under ASan
 * and valgrind by CI). */
static void
test_cache_hostile(void **state)
{
	struct fx *fx = *state;
	struct config *a, *b;
	char *text, *cache;
	unsigned char *good, *bad;
	size_t w, len, i, k;
	unsigned seed = 12345;
	FILE *fp;

	text = xasprintf("[daemon]\nstate = %s/state.db\n%s", fx->dir,
	    base_global + strlen("[daemon]\n"));
	write_file(fx->global, text, 0644);
	free(text);
	free(put_group(fx, "10-ss.ini", good_group));
	free(put_group(fx, "20-rich.ini", rich_group));
	cache = xasprintf("%s/state.db.groups", fx->dir);
	a = load_with(fx, CONFIG_CACHE_READ | CONFIG_CACHE_WRITE, &w);
	config_cache_save(a);
	assert_non_null(fp = fopen(cache, "rb"));
	good = xmalloc(1 << 20);
	len = fread(good, 1, 1 << 20, fp);
	fclose(fp);
	assert_true(len > 16);
	bad = xmalloc(len);
	for (i = 0; i < 300; i++) {
		memcpy(bad, good, len);
		for (k = 0; k < 1 + i % 4; k++) {
			seed = seed * 1103515245u + 12345u;
			bad[16 + (seed >> 8) % (len - 16)] ^= (unsigned char)
			    (1u << ((seed >> 4) % 8));
		}
		assert_non_null(fp = fopen(cache, "wb"));
		assert_int_equal(fwrite(bad, 1, i % 7 ? len : len - i % 50,
		    fp) > 0, 1);
		assert_int_equal(fclose(fp), 0);
		b = load_with(fx, CONFIG_CACHE_READ, &w);
		assert_int_equal(b->ngroups, 2);
		same_group(&a->groups[0], &b->groups[0]);
		same_group(&a->groups[1], &b->groups[1]);
		assert_int_equal(b->groups[1].borrowed, 0);
		config_free(b);
	}
	config_free(a);
	free(good);
	free(bad);
	free(cache);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_no_group, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_global_timezone_later,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_cache_hostile, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_quarantine_folder, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_guest_sections, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_oauth_provider_defaults,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_oauth_errors, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_auth_keys, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lists_continue_and_repeat,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_section, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_unknown_key, setup, teardown),
		cmocka_unit_test_setup_teardown(test_missing_required_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_missing_section, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malformed_email, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_malformed_guest_and_admin,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_aliases,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alias_of_another,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_alias_twice,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_aliases, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alias_of_another, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_alias_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_member_twice, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unknown_timezone, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_start, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_duration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_rrule, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_exdate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rrule_that_never_matches,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_language, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_bad_language_member, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_parent_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_parent_cycle, setup, teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_group_id, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_inline_password, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_password_file_mode, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_tls_none_remote, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_coordination_rule_is_a_warning,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_coordination_rule_roles,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_line_keeps_line_numbers,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(test_all_errors_reported, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_syntax_error_line, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_duplicate_key, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_groups_dir_missing, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_type_parsers, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(
		    test_password_file_beside_relative_config, setup, teardown),
		cmocka_unit_test_setup_teardown(
		    test_password_file_beside_absolute_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_password_credential, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_urls, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_defaults, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_verp, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_keys, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(test_site_url, setup, teardown),
		cmocka_unit_test_setup_teardown(test_trust_refused, setup,
		    teardown),
	};
	int rc = cmocka_run_group_tests_name("config", tests, NULL, NULL);

	ical_shutdown();
	return rc;
}
