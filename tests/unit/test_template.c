/* Unit tests for template.c: the shipped templates in every language, the
 * lookup order (override directory, then member's, group's and daemon's
 * language), every problem `convened check` reports at its exact
 * FILE:LINE, safe substitution, and the localized dates.
 *
 * Run from the repository root: the shipped templates are "templates". */
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
#include "template.h"
#include "testlib.h"
#include "util.h"

static const char *const langs4[] = { "es", "en", "pt", "fr" };

struct fx {
	char  dir[64];          /* a fresh temporary directory */
	char *def;              /* dir/default: a templates directory */
	char *local;            /* dir/local: the administrator's */
	struct config *cfg;
	struct diag d;
};

static struct config *
make_config(const char *templates, const char *local, const char *lang)
{
	struct config *cfg = xcalloc(1, sizeof *cfg);

	cfg->templates = templates ? xstrdup(templates) : NULL;
	cfg->templates_local = local ? xstrdup(local) : NULL;
	cfg->language = xstrdup(lang);
	return cfg;
}

static int
setup(void **state)
{
	struct fx *f = xcalloc(1, sizeof *f);

	snprintf(f->dir, sizeof f->dir, "/tmp/convened-tmpl.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	f->def = xasprintf("%s/default", f->dir);
	f->local = xasprintf("%s/local", f->dir);
	f->cfg = make_config(f->def, f->local, "es");
	diag_init(&f->d);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fx *f = *state;

	tl_rmtree(f->dir);
	free(f->def);
	free(f->local);
	config_free(f->cfg);
	diag_free(&f->d);
	free(f);
	return 0;
}

static void
mkdirs(const char *path)
{
	char *p = xstrdup(path), *s;

	for (s = p + 1; *s; s++)
		if (*s == '/') {
			*s = '\0';
			mkdir(p, 0755);
			*s = '/';
		}
	mkdir(p, 0755);
	free(p);
}

/* Write base/lang/kind.txt with len bytes of text (len 0: strlen).
 * Returns the path, which the caller frees. */
static char *
put(const char *base, const char *lang, const char *kind, const char *text,
    size_t len)
{
	char *dir = xasprintf("%s/%s", base, lang);
	char *path = xasprintf("%s/%s.txt", dir, kind);
	FILE *fp;

	mkdirs(dir);
	fp = fopen(path, "wb");
	assert_non_null(fp);
	if (len == 0)
		len = strlen(text);
	assert_int_equal(fwrite(text, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	free(dir);
	return path;
}

/* Write a minimal valid base/lang/<kind>.txt for every kind convened
 * knows, but for the kinds in skip (NULL-terminated, or NULL) and those
 * that already have a file there: the check tests then see only the
 * problems they plant, whatever kinds are added later. */
static void
stub_kinds(const char *base, const char *lang, const char *const *skip)
{
	size_t k, i;
	char *path;

	for (k = 0; template_kinds[k] != NULL; k++) {
		for (i = 0; skip != NULL && skip[i] != NULL; i++)
			if (strcmp(skip[i], template_kinds[k]) == 0)
				break;
		if (skip != NULL && skip[i] != NULL)
			continue;
		path = xasprintf("%s/%s/%s.txt", base, lang,
		    template_kinds[k]);
		if (access(path, F_OK) != 0)
			free(put(base, lang, template_kinds[k],
			    "Subject: x\n\nx\n", 0));
		free(path);
	}
}

/* 1 when some diag text is exactly want. */
static int
has_diag(const struct diag *d, const char *want)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		if (strcmp(d->text[i], want) == 0)
			return 1;
	return 0;
}

static void
dump_diag(const struct diag *d)
{
	size_t i;

	for (i = 0; i < d->n; i++)
		print_message("  diag: %s\n", d->text[i]);
}

#define assert_diag(d, ...) do { \
	char *want_ = xasprintf(__VA_ARGS__); \
	if (!has_diag((d), want_)) { \
		print_message("missing diag: %s\n", want_); \
		dump_diag(d); \
	} \
	assert_true(has_diag((d), want_)); \
	free(want_); \
} while (0)

/* Every "PATH:" + lines[i] is a diag (lines NULL-terminated). */
static void
assert_diags(const struct diag *d, const char *path,
    const char *const *lines)
{
	for (; *lines != NULL; lines++)
		assert_diag(d, "%s:%s", path, *lines);
}

#define assert_contains(hay, needle) do { \
	if (strstr((hay), (needle)) == NULL) \
		print_message("'%s' not in:\n%s\n", (needle), (hay)); \
	assert_non_null(strstr((hay), (needle))); \
} while (0)

/* kind rendered for langs, which must succeed, as "SUBJECT|BODY".
 * Caller frees. */
static char *
rendered(const struct config *cfg, const char *const *langs, size_t nlangs,
    const char *kind, const struct tvar *vars, size_t nvars)
{
	char *subject = NULL, *body = NULL, *err = NULL, *r;

	if (template_render(cfg, langs, nlangs, kind, vars, nvars, &subject,
	    &body, &err) != 0)
		fail_msg("%s: %s", kind, err);
	assert_null(err);
	r = xasprintf("%s|%s", subject, body);
	free(subject);
	free(body);
	return r;
}

#define assert_renders(want, ...) do { \
	char *r_ = rendered(__VA_ARGS__); \
	assert_string_equal(r_, (want)); \
	free(r_); \
} while (0)

/* --- the shipped templates ---------------------------------------------- */

static void
shipped_templates_check_clean(void **state)
{
	struct config *cfg;
	struct diag d;
	size_t i;

	(void)state;
	for (i = 0; i < 4; i++) {
		cfg = make_config("templates", "/nonexistent/templates",
		    langs4[i]);
		diag_init(&d);
		assert_int_equal(template_check(cfg, &d), 0);
		dump_diag(&d);
		assert_int_equal(d.n, 0);
		diag_free(&d);
		config_free(cfg);
	}
}

/* The values the rendering tests give every kind: what a meeting message
 * takes, then what a notice adds.  SHOWN: a meeting message's body shows
 * it; SECTION: a section of the body, hidden on a second pass. */
enum { SHOWN = 1, SECTION = 2 };
static const struct {
	const char *name, *value;
	int         flags;
} values[] = {
	{ "member_name", "Ana Pérez", SHOWN },
	{ "member_email", "ana@mides.example.uy", SHOWN },
	{ "group_name", "Cooperación Sur-Sur", SHOWN },
	{ "group_id", "south-south", 0 },
	{ "summary", "Intercambio mensual de experiencias", SHOWN },
	{ "date", "17/02/2021", 0 },
	{ "when_member", "WHEN-MEMBER 15:00", SHOWN },
	{ "when_meeting", "WHEN-MEETING 18:00", SHOWN },
	{ "member_timezone", "America/Montevideo", 0 },
	{ "meeting_timezone", "America/Santiago", 0 },
	{ "duration", "90", SHOWN },
	{ "location", "https://meet.example.org/south-south", SHOWN },
	{ "organizer_name", "Secretaría técnica", SHOWN },
	{ "organizer_email", "agenda@example.org", SHOWN },
	{ "sequence", "2", 0 },
	{ "agenda", "1. Apertura\n2. Experiencias de Uruguay y Chile",
	  SHOWN | SECTION },
	{ "deadline", "10/02/2021", 0 },
	{ "tag", "[south-south]", 0 },
	{ "sender_name", "Carlos Gómez", 0 },
	{ "attendee_name", "Jo Smith", 0 },
	{ "attendee_email", "jo@ilo.example.org", 0 },
	{ "proposed_when", "PROPOSED 24/02/2021 16:00", 0 },
	{ "files", "acta-2021-02-17.pdf\nacuerdos.docx", SECTION },
	{ "comment", "Prefiero el miércoles\r\nsiguiente, por la tarde.",
	  SECTION },
	{ "reply_requested", "yes", 0 },
};
#define NVALUES (sizeof values / sizeof values[0])

/* values[] in vars (NVALUES + 2 of them), the sections empty unless full,
 * then the localized kind and openness words. */
static void
fill_vars(struct tvar *vars, const char *kind, const char *openness,
    int full)
{
	size_t i;

	for (i = 0; i < NVALUES; i++) {
		vars[i].name = values[i].name;
		vars[i].value = full || !(values[i].flags & SECTION) ?
		    values[i].value : "";
	}
	vars[i].name = "kind";
	vars[i].value = kind;
	vars[i + 1].name = "openness";
	vars[i + 1].value = openness;
}

/* Render kind in langs4[l] with vars: the subject is one line, nothing
 * is left unexpanded, and the subject names the meeting and its date. */
static void
render_sane(struct config *cfg, size_t l, const char *kind,
    const struct tvar *vars, char **subject, char **body)
{
	char *err = NULL;

	assert_int_equal(template_render(cfg, &langs4[l], 1, kind, vars,
	    NVALUES + 2, subject, body, &err), 0);
	assert_null(err);
	assert_null(strpbrk(*subject, "\r\n"));
	assert_null(strstr(*subject, "{{"));
	assert_null(strstr(*body, "{{"));
	assert_contains(*subject, "Intercambio mensual de experiencias");
	assert_contains(*subject, "17/02/2021");
}

static const char *const meeting_kinds[] = { "invite", "update", "cancel",
    NULL };

static void
render_every_kind_every_language(void **state)
{
	/* The Accept button, named for invite and update. */
	static const char *const accept[] = { "Aceptar", "Accept", "Aceitar",
	    "Accepter" };
	struct config *cfg = make_config("templates", NULL, "es");
	struct tvar vars[NVALUES + 2];
	size_t i, k, l;
	char *subject, *body;

	(void)state;
	for (l = 0; l < 4; l++) {
		const char *kw = template_kind_word(langs4[l], "seminar");
		const char *ow = template_openness_word(langs4[l], 1);

		fill_vars(vars, kw, ow, 1);
		for (k = 0; meeting_kinds[k] != NULL; k++) {
			render_sane(cfg, l, meeting_kinds[k], vars, &subject,
			    &body);
			assert_contains(subject, kw);
			assert_contains(subject, ow);
			for (i = 0; i < NVALUES; i++)
				if (values[i].flags & SHOWN)
					assert_contains(body, values[i].value);
			assert_contains(body, kw);
			assert_contains(body, ow);
			if (strcmp(meeting_kinds[k], "cancel") != 0)
				assert_contains(body, accept[l]);
			free(subject);
			free(body);
		}
	}
	config_free(cfg);
}

/* An update says what changed and what was there before, and asks for
 * an answer only when none stands. */
static void
render_update_changes(void **state)
{
	static const char *const accept[] = { "Aceptar", "Accept", "Aceitar",
	    "Accepter" };
	struct config *cfg = make_config("templates", NULL, "es");
	struct tvar vars[NVALUES + 2 + 7];
	size_t l, n;
	char *subject, *body, *err = NULL;

	(void)state;
	for (l = 0; l < 4; l++) {
		fill_vars(vars, template_kind_word(langs4[l], "meeting"), "", 1);
		n = NVALUES + 2;
		vars[n - 3].value = "";         /* reply_requested */
		vars[n++] = (struct tvar){ "changed_time", "yes" };
		vars[n++] = (struct tvar){ "previous_when", "PREVIOUS-WHEN" };
		vars[n++] = (struct tvar){ "changed_place", "yes" };
		vars[n++] = (struct tvar){ "previous_location", "PREVIOUS-PLACE" };
		vars[n++] = (struct tvar){ "changed_agenda", "yes" };
		vars[n++] = (struct tvar){ "changed_title", "yes" };
		vars[n++] = (struct tvar){ "answer", template_answer_word(
		    langs4[l], "ACCEPTED") };
		assert_int_equal(template_render(cfg, &langs4[l], 1, "update",
		    vars, n, &subject, &body, &err), 0);
		assert_contains(body, "PREVIOUS-WHEN");
		assert_contains(body, "PREVIOUS-PLACE");
		assert_contains(body, template_answer_word(langs4[l],
		    "ACCEPTED"));
		assert_null(strstr(body, accept[l]));
		/* no openness known: no double space where it was */
		assert_null(strstr(subject, "  "));
		free(subject);
		free(body);
	}
	config_free(cfg);
}

/* The notices about one meeting: to coordinators (agenda, minutes, a
 * proposed new time) and to members (minutes archived). */
static const char *const notice_kinds[] = { "agenda-request",
    "agenda-reminder", "minutes-request", "minutes-reminder",
    "minutes-notice", "counter-notice", NULL };

/* What a rendered notice must show, beyond the summary and date: for the
 * kinds that begin with kind, every string of shows, and the section when
 * the sections are full, else not even hidden, a part of it. */
static const struct {
	const char *kind, *shows[3], *section, *hidden;
} notice_shows[] = {
	{ "agenda-", { "WHEN-MEMBER 15:00", "WHEN-MEETING 18:00", "OK" },
	  "1. Apertura\n2. Experiencias de Uruguay y Chile\n", "Apertura" },
	/* the deadline, the place */
	{ "agenda-request", { "10/02/2021",
	  "https://meet.example.org/south-south" }, NULL, NULL },
	{ "minutes-request", { "[south-south] minutes",
	  "[south-south] agreement", "[south-south] document" }, NULL, NULL },
	{ "minutes-reminder", { "[south-south] minutes",
	  "[south-south] agreement", "[south-south] document" }, NULL, NULL },
	/* the date, sender_name */
	{ "minutes-notice", { "17/02/2021", "Carlos Gómez" },
	  "\nacta-2021-02-17.pdf\nacuerdos.docx\n", ".pdf" },
	{ "counter-notice", { "Jo Smith <jo@ilo.example.org>",
	  "WHEN-MEMBER 15:00", "PROPOSED 24/02/2021 16:00" },
	  "\nPrefiero el miércoles\nsiguiente, por la tarde.\n", "Prefiero" },
};

static void
assert_notice_shows(const char *kind, size_t l, const char *body,
    int full)
{
	/* The word a coordinator writes to confirm, in the language. */
	static const char *const confirm[] = { "CONFIRMAR", "CONFIRM",
	    "CONFIRMAR", "CONFIRMER" };
	size_t i, k;

	assert_contains(body, "Intercambio mensual de experiencias");
	assert_contains(body, "ana@mides.example.uy");      /* member_email */
	assert_contains(body, "Secretaría técnica");        /* organizer */
	if (strncmp(kind, "agenda-", 7) == 0)
		assert_contains(body, confirm[l]);
	for (i = 0; i < sizeof notice_shows / sizeof notice_shows[0]; i++) {
		if (strncmp(kind, notice_shows[i].kind,
		    strlen(notice_shows[i].kind)) != 0)
			continue;
		for (k = 0; k < 3 && notice_shows[i].shows[k] != NULL; k++)
			assert_contains(body, notice_shows[i].shows[k]);
		if (notice_shows[i].section == NULL)
			continue;
		if (full)
			assert_contains(body, notice_shows[i].section);
		else
			assert_null(strstr(body, notice_shows[i].hidden));
	}
}

static void
render_notice_kinds_every_language(void **state)
{
	struct config *cfg = make_config("templates", NULL, "es");
	struct tvar vars[NVALUES + 2];
	size_t k, l;
	int full;
	char *subject, *body;

	(void)state;
	for (l = 0; l < 4; l++)
	for (full = 1; full >= 0; full--) {
		fill_vars(vars, template_kind_word(langs4[l], "meeting"),
		    template_openness_word(langs4[l], 0), full);
		for (k = 0; notice_kinds[k] != NULL; k++) {
			render_sane(cfg, l, notice_kinds[k], vars, &subject,
			    &body);
			assert_notice_shows(notice_kinds[k], l, body, full);
			/* A hidden section leaves no gap behind. */
			assert_null(strstr(body, "\n\n\n"));
			if (l == 3) {
				/* French: no-break space before ':' and
				 * inside « ». */
				assert_null(strstr(subject, " :"));
				assert_null(strstr(body, " :"));
				assert_null(strstr(body, "« "));
				assert_null(strstr(body, " »"));
			}
			free(subject);
			free(body);
		}
	}
	config_free(cfg);
}

/* Every shipped body line fits a mail reader: under 78 characters
 * before substitution. */
static void
shipped_lines_are_short(void **state)
{
	size_t l, k, n;
	char *path, line[1024];
	const unsigned char *c;
	int lineno;
	FILE *fp;

	(void)state;
	for (l = 0; l < 4; l++)
		for (k = 0; template_kinds[k] != NULL; k++) {
			path = xasprintf("templates/%s/%s.txt", langs4[l],
			    template_kinds[k]);
			fp = fopen(path, "r");
			assert_non_null(fp);
			lineno = 0;
			while (fgets(line, sizeof line, fp) != NULL) {
				if (++lineno == 1)
					continue;           /* the subject */
				for (n = 0, c = (unsigned char *)line;
				    *c && *c != '\n'; c++)
					if ((*c & 0xc0) != 0x80)
						n++;
				if (n >= 78)
					print_message("%s:%d: %zu characters\n",
					    path, lineno, n);
				assert_true(n < 78);
			}
			fclose(fp);
			free(path);
		}
}

/* --- lookup order --------------------------------------------------------- */

static void
fallback_member_group_daemon(void **state)
{
	static const struct {
		const char *lang, *text, *want;
	} steps[] = {
		/* Member fr, group pt: neither has a file, the daemon's es
		 * wins. */
		{ "es", "Subject: ES {{summary}}\n\nes\n", "ES|es\n" },
		/* The group's language comes before the daemon's. */
		{ "pt", "Subject: PT\n\npt\n", "PT|pt\n" },
		/* And the member's before both. */
		{ "fr", "Subject: FR\n\nfr\n", "FR|fr\n" },
	};
	struct fx *f = *state;
	const char *langs[] = { "fr", NULL, "pt", "fr", "es" };
	char *subject, *body, *err = NULL;
	size_t i;

	for (i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		free(put(f->def, steps[i].lang, "invite", steps[i].text, 0));
		assert_renders(steps[i].want, f->cfg, langs, 5, "invite", NULL,
		    0);
	}

	/* No language has the kind: -1 and a reason naming what was tried. */
	assert_int_equal(template_render(f->cfg, langs, 5, "cancel", NULL, 0,
	    &subject, &body, &err), -1);
	assert_non_null(err);
	assert_contains(err, "no cancel template for languages fr, pt, es");
	free(err);
	err = NULL;

	/* Unknown kinds and path tricks in a language are refused. */
	assert_int_equal(template_render(f->cfg, langs, 5, "../x", NULL, 0,
	    &subject, &body, &err), -1);
	free(err);
	err = NULL;
	{
		const char *bad[] = { "../es", "es/../es", "" };

		assert_int_equal(template_render(f->cfg, bad, 3, "invite",
		    NULL, 0, &subject, &body, &err), -1);
		free(err);
	}
}

static void
override_single_file(void **state)
{
	struct fx *f = *state;
	struct config *cfg;
	const char *es[] = { "es" }, *es_en[] = { "es", "en" };
	struct tvar v[] = { { "summary", "S" } };
	size_t i;
	char *r;

	/* The shipped directory is the default; one file is overridden. */
	cfg = make_config("templates", f->local, "es");
	free(put(f->local, "es", "invite", "Subject: LOCAL {{summary}}\n\n"
	    "local\n", 0));
	free(put(f->local, "en", "update", "Subject: LOCAL EN\n\nlocal\n", 0));
	assert_renders("LOCAL S|local\n", cfg, es, 1, "invite", v, 1);

	/* The others still come from the shipped directory; and the
	 * language order comes first: the shipped es beats a local en. */
	for (i = 1; i <= 2; i++) {
		r = rendered(cfg, es_en, i, "update", NULL, 0);
		assert_contains(r, "Actualización");
		assert_true(strstr(r, "Actualización") < strchr(r, '|'));
		free(r);
	}

	/* check sees both directories, and is clean. */
	assert_int_equal(template_check(cfg, &f->d), 0);
	assert_int_equal(f->d.n, 0);
	config_free(cfg);
}

/* A template read once is kept while its file stays the same: an edit in
 * place, even of the same size, is seen by the next letter, and so is a
 * file removed. */
static void
cache_sees_edits(void **state)
{
	struct fx *f = *state;
	struct config *cfg;
	const char *es[] = { "es" };
	struct tvar v[] = { { "summary", "S" } };
	char *r, *path;

	cfg = make_config("templates", f->local, "es");
	path = put(f->local, "es", "invite", "Subject: ONE {{summary}}\n\n"
	    "one\n", 0);
	/* Older than the file system's clock tick can blur: kept. */
	sleep(2);
	assert_renders("ONE S|one\n", cfg, es, 1, "invite", v, 1);
	assert_renders("ONE S|one\n", cfg, es, 1, "invite", v, 1);
	free(put(f->local, "es", "invite", "Subject: TWO {{summary}}\n\n"
	    "two\n", 0));
	assert_renders("TWO S|two\n", cfg, es, 1, "invite", v, 1);
	assert_int_equal(unlink(path), 0);
	r = rendered(cfg, es, 1, "invite", v, 1);
	assert_null(strstr(r, "TWO"));
	free(r);
	free(path);
	config_free(cfg);
	template_cache_clear();
}

/* --- check ---------------------------------------------------------------- */

static void
check_unknown_variable(void **state)
{
	static const char *const want[] = {
		"1: unknown variable {{fecha}} in an update template",
		"5: unknown variable {{cuando}} in an update template",
		"6: unknown section {{#adjuntos}} in an update template",
		"7: unknown section {{/adjuntos}} in an update template",
		"8: invalid tag {{Summary}}", "8: invalid tag {{#}}", NULL
	};
	struct fx *f = *state;
	const char *es[] = { "es" };
	char *subject, *body, *err = NULL, *refused;
	char *p = put(f->local, "es", "update",
	    "Subject: {{summary}} {{fecha}}\n"          /* 1 */
	    "\n"                                        /* 2 */
	    "Hola {{member_name}}:\n"                   /* 3 */
	    "\n"                                        /* 4 */
	    "Su reunión es el {{ cuando }}.\n"          /* 5 */
	    "{{#adjuntos}}\n"                           /* 6 */
	    "{{/adjuntos}}\n"                           /* 7 */
	    "{{Summary}} {{#}}\n", 0);                  /* 8 */

	stub_kinds(f->def, "es", NULL);

	assert_int_equal(template_check(f->cfg, &f->d), 6);
	assert_diags(&f->d, p, want);

	/* At send time the same file is refused with the first problem. */
	assert_int_equal(template_render(f->cfg, es, 1, "update", NULL, 0,
	    &subject, &body, &err), -1);
	assert_non_null(err);
	refused = xasprintf("template refused: %s:1: unknown variable "
	    "{{fecha}} in an update template (and 5 more problems; run "
	    "convened check)", p);
	assert_string_equal(err, refused);
	free(refused);
	free(err);
	free(p);
}

static void
check_unbalanced_sections(void **state)
{
	static const char *const in_invite[] = {
		"1: section {{#agenda}} is never closed on the subject line",
		"4: section {{#agenda}} inside itself (opened at line 3)",
		"5: {{/summary}} does not close {{#agenda}} opened at line 3",
		"6: {{/location}} does not close {{#summary}} opened at line 6",
		"6: section {{#summary}} is never closed",
		"3: section {{#agenda}} is never closed", NULL
	};
	static const char *const in_cancel[] = {
		"3: {{/agenda}} closes no open section",
		"4: section {{#agenda}} is never closed", NULL
	};
	struct fx *f = *state;
	char *p = put(f->def, "es", "invite",
	    "Subject: {{#agenda}}x\n"                   /* 1 */
	    "\n"                                        /* 2 */
	    "{{#agenda}}\n"                             /* 3 */
	    "{{#location}} {{#agenda}} {{/location}}\n" /* 4 */
	    "{{/summary}}\n"                            /* 5 */
	    "{{#summary}} {{/location}}\n"              /* 6 */
	    "end\n", 0);                                /* 7 */
	char *q = put(f->def, "es", "cancel",
	    "Subject: x\n\n{{/agenda}}\n{{#agenda}}\n", 0);

	stub_kinds(f->def, "es", NULL);         /* all but invite, cancel */
	assert_int_equal(template_check(f->cfg, &f->d), 8);
	assert_diags(&f->d, p, in_invite);
	assert_diags(&f->d, q, in_cancel);
	free(p);
	free(q);
}

#define NUL_TEMPLATE "Subject: x\n\nline three \0 nul\n"

/* Template files that check and render refuse, and why ("PATH:" comes
 * before each of diags).  text NULL: a file larger than the limit. */
static const struct {
	const char *lang, *kind, *text;
	size_t      len;                    /* 0: strlen(text) */
	const char *diags[3];
} hostile[] = {
	{ "es", "invite", NUL_TEMPLATE, sizeof NUL_TEMPLATE - 1,
	  { "3: NUL byte" } },
	{ "es", "update",
	  "Subject: x\n\nok\nbad \xc3\x28 utf8\nover \xc0\xaf long\n", 0,
	  { "4: invalid UTF-8 (byte 5 of the line)",
	    "5: invalid UTF-8 (byte 6 of the line)" } },
	{ "es", "cancel",
	  "Subject: x\n\n\nhola {{member_name\nok {{summary}}\n", 0,
	  { "4: unterminated {{ (a tag ends with }} on the same line)" } },
	{ "en", "invite", "Hello\n\nbody\n", 0,
	  { "1: the first line must be \"Subject: ...\"" } },
	{ "en", "update", "Subject: x\nbody\n", 0,
	  { "2: the second line must be blank (it ends the header)" } },
	{ "en", "cancel", "", 0,
	  { "1: empty file (the first line must be \"Subject: ...\")" } },
	{ "pt", "invite", NULL, TEMPLATE_MAX_SIZE + 100, { NULL } },
	{ "pt", "update", "Subject: \x1b[2Jx\n\nx\n", 0,
	  { "1: control character U+001B" } },
	{ "pt", "cancel", "Subject:   \n\n", 0, { "1: empty subject" } },
};
#define NHOSTILE (sizeof hostile / sizeof hostile[0])

static void
check_hostile_files(void **state)
{
	struct fx *f = *state;
	char *subject, *body, *err, *p[NHOSTILE], *big;
	size_t i;

	big = xmalloc(TEMPLATE_MAX_SIZE + 100);
	memset(big, 'a', TEMPLATE_MAX_SIZE + 100);
	memcpy(big, "Subject: x\n\n", 12);
	for (i = 0; i < NHOSTILE; i++)
		p[i] = put(f->def, hostile[i].lang, hostile[i].kind,
		    hostile[i].text != NULL ? hostile[i].text : big,
		    hostile[i].len);
	free(big);
	stub_kinds(f->def, "es", NULL);

	template_check(f->cfg, &f->d);
	for (i = 0; i < NHOSTILE; i++)
		if (hostile[i].text != NULL)
			assert_diags(&f->d, p[i], hostile[i].diags);
		else
			assert_diag(&f->d, "%s:0: larger than %d bytes", p[i],
			    TEMPLATE_MAX_SIZE);
	assert_int_equal(f->d.nerrors, 10);

	/* Every one is refused at send time too, never half-rendered. */
	for (i = 0; i < NHOSTILE; i++) {
		err = NULL;
		subject = body = NULL;
		assert_int_equal(template_render(f->cfg, &hostile[i].lang, 1,
		    hostile[i].kind, NULL, 0, &subject, &body, &err), -1);
		assert_non_null(err);
		assert_non_null(strstr(err, p[i]));
		assert_null(subject);
		assert_null(body);
		free(err);
		free(p[i]);
	}
}

static void
check_missing_daemon_language(void **state)
{
	struct fx *f = *state;
	static const char *const missing[] = { "invite", "update", "cancel",
	    NULL };
	char *p;

	free(put(f->def, "en", "invite", "Subject: x\n\nx\n", 0));
	free(put(f->local, "es", "cancel", "Subject: x\n\nx\n", 0));
	stub_kinds(f->def, "es", missing);
	/* Unknown kinds and languages are only warnings. */
	free(put(f->def, "en", "invitation", "Subject: x\n\nx\n", 0));
	free(put(f->def, "de", "invite", "Subject: x\n\nx\n", 0));

	assert_int_equal(template_check(f->cfg, &f->d), 2);
	assert_int_equal(f->d.nwarnings, 2);
	assert_diag(&f->d, "%s/es/invite.txt:0: missing template: no invite "
	    "message for the daemon's language es here or in %s", f->def,
	    f->local);
	assert_diag(&f->d, "%s/es/update.txt:0: missing template: no update "
	    "message for the daemon's language es here or in %s", f->def,
	    f->local);
	p = xasprintf("%s/en/invitation.txt", f->def);
	assert_diag(&f->d, "%s:0: warning: 'invitation' is not a template "
	    "kind convened sends; ignored", p);
	free(p);
	assert_diag(&f->d, "%s/de:0: warning: 'de' is not a language convened "
	    "uses (es, en, pt, fr); ignored", f->def);
}

/* --- substitution ----------------------------------------------------- */

static void
subject_never_breaks(void **state)
{
	struct fx *f = *state;
	const char *es[] = { "es" };
	struct tvar v[] = {
		{ "summary", "Hola\r\nBcc: x@y" },
		{ "group_name", "G\xc2\x85N\xe2\x80\xa8Z\tT" },    /* NEL, LS, TAB */
		{ "agenda", "1. Uno\r\n2. Dos\r3. {{summary}}\x01" },
		{ "location", "bad \xff byte" },
	};
	char *subject, *body, *err = NULL;

	free(put(f->def, "es", "invite",
	    "Subject: Invitación «{{summary}}» {{group_name}} {{agenda}}\n"
	    "\n"
	    "{{summary}}\n"
	    "{{agenda}}\n"
	    "{{location}}\n", 0));
	assert_int_equal(template_render(f->cfg, es, 1, "invite", v, 4,
	    &subject, &body, &err), 0);
	assert_string_equal(subject, "Invitación «Hola  Bcc: x@y» G N Z T "
	    "1. Uno  2. Dos 3. {{summary}}");
	assert_null(strpbrk(subject, "\r\n"));
	/* The body keeps line breaks (as LF) but nothing else; "{{" in a
	 * value is text, never expanded. */
	assert_string_equal(body, "Hola\nBcc: x@y\n"
	    "1. Uno\n2. Dos\n3. {{summary}} \n"
	    "bad \xef\xbf\xbd byte\n");
	free(subject);
	free(body);
}

static void
sections_shown_and_hidden(void **state)
{
	struct fx *f = *state;
	const char *es[] = { "es" };
	struct tvar shown[] = {
		{ "agenda", "A1\nA2" }, { "location", "L" }, { "summary", "S" },
	};
	struct tvar hidden[] = {
		{ "agenda", "" }, { "location", NULL }, { "summary", "S" },
	};

	free(put(f->def, "es", "invite",
	    "Subject: {{summary}}{{#location}} en {{location}}{{/location}}\r\n"
	    "\r\n"
	    "Inicio\r\n"
	    "  {{#agenda}}  \r\n"
	    "Orden del día:\r\n"
	    "{{agenda}}\r\n"
	    "{{#location}}\r\n"
	    "Enlace: {{location}}\r\n"
	    "{{/location}}\r\n"
	    "{{/agenda}}\r\n"
	    "Fin{{#location}} ({{location}}){{/location}}.\r\n", 0));

	assert_renders("S en L|Inicio\nOrden del día:\nA1\nA2\nEnlace: L\n"
	    "Fin (L).\n", f->cfg, es, 1, "invite", shown, 3);
	assert_renders("S|Inicio\nFin.\n", f->cfg, es, 1, "invite", hidden, 3);
	/* Missing variables are empty too. */
	assert_renders("|Inicio\nFin.\n", f->cfg, es, 1, "invite", NULL, 0);
}

/* --- localized words -------------------------------------------------- */

static void
when_in_every_language(void **state)
{
	static const struct {
		long long utc;
		const char *tz, *lang, *want;
	} cases[] = {
		/* 2021-01-15 18:00Z: Santiago in summer time, UTC-3. */
		{ 1610733600, "America/Santiago", "es",
		  "viernes 15 de enero de 2021, 15:00 "
		  "(America/Santiago, UTC\xe2\x88\x92" "03:00)" },
		{ 1610733600, "America/Santiago", "en",
		  "Friday 15 January 2021, 15:00 "
		  "(America/Santiago, UTC\xe2\x88\x92" "03:00)" },
		{ 1610733600, "America/Santiago", "pt",
		  "sexta-feira, 15 de janeiro de 2021, 15:00 "
		  "(America/Santiago, UTC\xe2\x88\x92" "03:00)" },
		{ 1610733600, "America/Santiago", "fr",
		  "vendredi 15 janvier 2021, 15:00 "
		  "(America/Santiago, UTC\xe2\x88\x92" "03:00)" },
		/* 2021-07-15 19:00Z: Santiago in winter time, UTC-4. */
		{ 1626375600, "America/Santiago", "es",
		  "jueves 15 de julio de 2021, 15:00 "
		  "(America/Santiago, UTC\xe2\x88\x92" "04:00)" },
		{ 1626375600, "America/Santiago", "en",
		  "Thursday 15 July 2021, 15:00 "
		  "(America/Santiago, UTC\xe2\x88\x92" "04:00)" },
		{ 1626375600, "America/Santiago", "pt",
		  "quinta-feira, 15 de julho de 2021, 15:00 "
		  "(America/Santiago, UTC\xe2\x88\x92" "04:00)" },
		{ 1626375600, "America/Santiago", "fr",
		  "jeudi 15 juillet 2021, 15:00 "
		  "(America/Santiago, UTC\xe2\x88\x92" "04:00)" },
		/* 2021-02-17 09:30Z: Kolkata, UTC+5:30. */
		{ 1613554200, "Asia/Kolkata", "es",
		  "miércoles 17 de febrero de 2021, 15:00 "
		  "(Asia/Kolkata, UTC+05:30)" },
		{ 1613554200, "Asia/Kolkata", "en",
		  "Wednesday 17 February 2021, 15:00 "
		  "(Asia/Kolkata, UTC+05:30)" },
		{ 1613554200, "Asia/Kolkata", "pt",
		  "quarta-feira, 17 de fevereiro de 2021, 15:00 "
		  "(Asia/Kolkata, UTC+05:30)" },
		{ 1613554200, "Asia/Kolkata", "fr",
		  "mercredi 17 février 2021, 15:00 "
		  "(Asia/Kolkata, UTC+05:30)" },
		/* 2021-02-17 18:00Z in Montevideo, the header's example. */
		{ 1613584800, "America/Montevideo", "es",
		  "miércoles 17 de febrero de 2021, 15:00 "
		  "(America/Montevideo, UTC\xe2\x88\x92" "03:00)" },
		/* French writes the first of the month 1er. */
		{ 1614600000, "UTC", "fr", "lundi 1er mars 2021, 12:00 (UTC)" },
		{ 1614600000, NULL, "xx", "Monday 1 March 2021, 12:00 (UTC)" },
		{ 1614600000, "No/Such_Zone", "es",
		  "lunes 1 de marzo de 2021, 12:00 (UTC)" },
	};
	size_t i;
	char *s;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		s = template_when(cases[i].lang, cases[i].utc, cases[i].tz);
		assert_string_equal(s, cases[i].want);
		free(s);
	}
}

static void
short_dates_and_words(void **state)
{
	char *s;

	(void)state;
	/* 2021-01-15 18:00Z; in Kolkata it is already the 16th. */
	s = template_date("es", 1610733600, "America/Santiago");
	assert_string_equal(s, "15/01/2021");
	free(s);
	s = template_date("pt", 1610733600, "Asia/Kolkata");
	assert_string_equal(s, "15/01/2021");
	free(s);
	s = template_date("fr", 1610733600 + 6 * 3600, "Asia/Kolkata");
	assert_string_equal(s, "16/01/2021");
	free(s);
	s = template_date("en", 1613584800, "America/Montevideo");
	assert_string_equal(s, "17 Feb 2021");
	free(s);

	assert_string_equal(template_kind_word("es", "meeting"), "reunión");
	assert_string_equal(template_kind_word("en", "meeting"), "meeting");
	assert_string_equal(template_kind_word("pt", "meeting"), "reunião");
	assert_string_equal(template_kind_word("fr", "meeting"), "réunion");
	assert_string_equal(template_kind_word("es", "seminar"), "seminario");
	assert_string_equal(template_kind_word("es", "workshop"), "taller");
	assert_string_equal(template_kind_word("es", "virtual-visit"),
	    "visita virtual");
	assert_string_equal(template_kind_word("es", "intersectoral"),
	    "reunión intersectorial");
	assert_string_equal(template_kind_word("fr", "intersectoral"),
	    "réunion intersectorielle");
	assert_string_equal(template_kind_word(NULL, "workshop"), "workshop");
	assert_string_equal(template_kind_word("es", "other"), "other");
	assert_string_equal(template_kind_word("es", NULL), "");
	assert_string_equal(template_openness_word("es", 1),
	    "de carácter abierto");
	assert_string_equal(template_openness_word("es", 0),
	    "de carácter cerrado");
	assert_string_equal(template_openness_word("en", 1), "open");
	assert_string_equal(template_openness_word("pt", 0),
	    "de caráter fechado");
	assert_string_equal(template_openness_word("fr", 0), "à huis clos");
	assert_string_equal(template_openness_word("de", 0), "closed");
}

static int
group_teardown(void **state)
{
	(void)state;
	ical_shutdown();
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(shipped_templates_check_clean),
		cmocka_unit_test(render_every_kind_every_language),
		cmocka_unit_test(render_update_changes),
		cmocka_unit_test(render_notice_kinds_every_language),
		cmocka_unit_test(shipped_lines_are_short),
		cmocka_unit_test_setup_teardown(fallback_member_group_daemon,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(cache_sees_edits, setup,
		    teardown),
		cmocka_unit_test_setup_teardown(override_single_file,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(check_unknown_variable,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(check_unbalanced_sections,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(check_hostile_files,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(check_missing_daemon_language,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(subject_never_breaks,
		    setup, teardown),
		cmocka_unit_test_setup_teardown(sections_shown_and_hidden,
		    setup, teardown),
		cmocka_unit_test(when_in_every_language),
		cmocka_unit_test(short_dates_and_words),
	};

	return cmocka_run_group_tests(tests, NULL, group_teardown);
}
