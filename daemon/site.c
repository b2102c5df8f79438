/*
 * site.c: the public site in <repository>/site (see site.h).
 *
 * The whole site is rendered in memory each time, compared with what is
 * on disk, and only then journaled and written: a cycle where nothing
 * changed writes nothing and makes no commit.
 */
#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "archive.h"
#include "config.h"
#include "html.h"
#include "ical.h"
#include "log.h"
#include "milestone.h"
#include "quota.h"
#include "repo.h"
#include "site.h"
#include "store.h"
#include "util.h"

#define SITE_DIR   "site"
#define PAGE_MAX   ((size_t)16 << 20)   /* a page or a feed read back */
#define COPY_MAX   ((size_t)64 << 20)   /* a record copied */
#define UPCOMING   6                    /* meetings listed ahead */

/* The words of the pages, in each of the groups' languages. */
static const struct words {
	const char *lang;
	const char *groups, *all, *coordination, *upcoming, *subscribe;
	const char *held, *date, *kind, *summary, *attendance, *records;
	const char *members_only, *experiences, *country, *presenter, *title;
	const char *quota, *quota_chart, *scheduled, *short_by, *none;
	const char *subregional, *discussion, *thematic;
	const char *milestones, *due, *done, *list_archive;
	const char *axes[5];
} words[] = {
	{ "es", "Grupos de trabajo", "Todos los grupos", "Coordinación",
	  "Próximas reuniones", "Suscribirse al calendario (iCalendar)",
	  "Reuniones realizadas", "Fecha", "Tipo", "Asunto", "Asistencia",
	  "Actas, documentos y acuerdos",
	  "Los registros de este grupo son solo para sus miembros.",
	  "Experiencias presentadas", "País", "Presenta", "Título",
	  "Cuota anual", "Reuniones realizadas frente a la cuota",
	  "Programadas", "Faltan", "Ninguna.", "Grupos subregionales",
	  "Grupos de discusión", "Grupos temáticos",
	  "Hitos", "Vence", "Cumplido", "Archivo de la lista",
	  { "otros temas", "sistemas de protección social universales e "
	    "integrales", "políticas de inclusión social y laboral",
	    "institucionalidad social", "cooperación e integración "
	    "regional" } },
	{ "en", "Working groups", "All groups", "Coordination",
	  "Upcoming meetings", "Subscribe to the calendar (iCalendar)",
	  "Meetings held", "Date", "Kind", "Subject", "Attendance",
	  "Minutes, documents and agreements",
	  "This group's records are for its members only.",
	  "Experiences presented", "Country", "Presenter", "Title",
	  "Annual quota", "Meetings held against the quota", "Scheduled",
	  "Short by", "None.", "Subregional groups", "Discussion groups",
	  "Thematic groups", "Milestones", "Due", "Done", "List archive",
	  { "other themes", "universal and comprehensive social protection "
	    "systems", "social and labour inclusion policies", "social "
	    "institutional framework", "regional cooperation and "
	    "integration" } },
	{ "pt", "Grupos de trabalho", "Todos os grupos", "Coordenação",
	  "Próximas reuniões", "Assinar o calendário (iCalendar)",
	  "Reuniões realizadas", "Data", "Tipo", "Assunto", "Presença",
	  "Atas, documentos e acordos",
	  "Os registros deste grupo são apenas para os seus membros.",
	  "Experiências apresentadas", "País", "Apresenta", "Título",
	  "Cota anual", "Reuniões realizadas frente à cota", "Agendadas",
	  "Faltam", "Nenhuma.", "Grupos sub-regionais",
	  "Grupos de discussão", "Grupos temáticos",
	  "Marcos", "Prazo", "Concluído", "Arquivo da lista",
	  { "outros temas", "sistemas de proteção social universais e "
	    "integrais", "políticas de inclusão social e laboral",
	    "institucionalidade social", "cooperação e integração "
	    "regional" } },
	{ "fr", "Groupes de travail", "Tous les groupes", "Coordination",
	  "Prochaines réunions", "S'abonner au calendrier (iCalendar)",
	  "Réunions tenues", "Date", "Type", "Objet", "Participation",
	  "Procès-verbaux, documents et accords",
	  "Les documents de ce groupe sont réservés à ses membres.",
	  "Expériences présentées", "Pays", "Présentée par", "Titre",
	  "Quota annuel", "Réunions tenues par rapport au quota",
	  "Programmées", "Manquent", "Aucune.", "Groupes sous-régionaux",
	  "Groupes de discussion", "Groupes thématiques",
	  "Jalons", "Échéance", "Accompli", "Archives de la liste",
	  { "autres thèmes", "systèmes de protection sociale universels et "
	    "complets", "politiques d'inclusion sociale et professionnelle",
	    "institutionnalité sociale", "coopération et intégration "
	    "régionales" } },
};

static const char style_css[] =
	"body { font-family: sans-serif; max-width: 60em; margin: 1em auto;"
	" padding: 0 1em; color: #000; background: #fff; line-height: 1.4; }\n"
	"table { border-collapse: collapse; margin: 0.5em 0 1em; }\n"
	"th, td { border: 1px solid #444; padding: 0.2em 0.6em;"
	" text-align: left; }\n"
	"td.n { text-align: right; }\n"
	"svg.chart { max-width: 100%; height: auto; font: 12px sans-serif; }\n"
	".nav { font-size: 0.9em; }\n"
	"@media print { .nav { display: none; } a { color: #000; } }\n";

static const struct words *
words_for(const char *lang)
{
	size_t i;

	for (i = 0; i < sizeof words / sizeof words[0]; i++)
		if (lang != NULL && strcmp(words[i].lang, lang) == 0)
			return &words[i];
	return &words[0];
}

/* ---- what the site is made of ---- */

/* One file of the site: its bytes, or (src set) a copy of a record of
 * the repository made only when missing. */
struct page {
	char   *path;           /* below site/ */
	char   *data;
	size_t  len;
	char   *src;            /* relative to the repository */
};

struct site {
	const struct config *cfg;
	struct store *st;
	long long now;
	const unsigned char *only;      /* groups rendered; NULL: all */
	struct page *v;
	size_t n, cap;
};

/* Whether the file or directory at path (below site/) is a group's that
 * was not rendered this time, and so stays as it is. */
static int
not_rendered(const struct site *s, const char *path, int dir)
{
	const struct group *g;
	const char *id = path;
	char *own;
	size_t n;
	int keep;

	if (s->only == NULL)
		return 0;
	if (dir && strncmp(path, "files/", 6) == 0 && strchr(path + 6, '/') ==
	    NULL)
		id = path + 6;
	else if (dir || strchr(path, '/') != NULL || (n = strlen(path)) < 6 ||
	    strcmp(path + n - 5, ".html") != 0)
		return 0;
	own = dir ? xstrdup(id) : xasprintf("%.*s", (int)(strlen(id) - 5), id);
	g = config_group(s->cfg, own);
	keep = g != NULL && !s->only[g - s->cfg->groups];
	free(own);
	return keep;
}

static void
add_page(struct site *s, char *path, char *data, size_t len, char *src)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 16;
		s->v = xreallocarray(s->v, s->cap, sizeof *s->v);
	}
	s->v[s->n].path = path;
	s->v[s->n].data = data;
	s->v[s->n].len = len;
	s->v[s->n].src = src;
	s->n++;
}

static void
site_free(struct site *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->v[i].path);
		free(s->v[i].data);
		free(s->v[i].src);
	}
	free(s->v);
}

/* The length of an address-like run around s[at] == '@': [from, to). */
static int
address_at(const char *s, size_t at, size_t *from, size_t *to)
{
	size_t a = at, z = at + 1;

	while (a > 0 && (strchr("._%+-", s[a - 1]) != NULL ||
	    (s[a - 1] >= '0' && s[a - 1] <= '9') ||
	    ((s[a - 1] | 0x20) >= 'a' && (s[a - 1] | 0x20) <= 'z')))
		a--;
	while (s[z] != '\0' && (strchr(".-", s[z]) != NULL ||
	    (s[z] >= '0' && s[z] <= '9') ||
	    ((s[z] | 0x20) >= 'a' && (s[z] | 0x20) <= 'z')))
		z++;
	/* A sentence's full stop after an address is not the address's. */
	while (z > at + 1 && s[z - 1] == '.')
		z--;
	if (a == at || z == at + 1)
		return 0;
	*from = a;
	*to = z;
	return 1;
}

/* s with every e-mail address replaced by "[…]" (caller frees): what
 * people wrote may name addresses, and the site shows none. */
static char *
no_addresses(const char *s, size_t len)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i = 0, done = 0, from, to;

	for (i = 0; i < len; i++) {
		if (s[i] != '@' || !address_at(s, i, &from, &to) || from < done)
			continue;
		buf_add(&b, s + done, from - done);
		buf_adds(&b, "[…]");
		done = to;
		i = to - 1;
	}
	buf_add(&b, s + done, len - done);
	return buf_detach(&b);
}

/* Text people or the configuration wrote, into a page. */
static void
text(struct buf *b, const char *s)
{
	char *clean;

	if (s == NULL)
		return;
	clean = no_addresses(s, strlen(s));
	html_esc(b, clean);
	free(clean);
}

static void
page_head(struct buf *b, const char *lang, const char *title)
{
	buf_addf(b, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\">\n<meta name=\"viewport\" "
	    "content=\"width=device-width, initial-scale=1\">\n<title>", lang);
	text(b, title);
	buf_adds(b, "</title>\n<link rel=\"stylesheet\" href=\"style.css\">\n"
	    "</head>\n<body>\n");
}

static void
local_when(const struct group *g, long long t, char out[24])
{
	struct ical_tm tm;

	ical_localtime(t, g->timezone, &tm);
	snprintf(out, 24, "%04d-%02d-%02d %02d:%02d", tm.year % 10000,
	    tm.month % 100, tm.day % 100, tm.hour % 100, tm.minute % 100);
}

static int
invited(const struct store_meeting *m)
{
	return m->accepted + m->declined + m->tentative + m->needs_action;
}

/* ---- a group's page ---- */

static void
coordinators(struct buf *b, const struct group *g, const struct words *w)
{
	size_t i, k = 0;

	for (i = 0; i < g->nmembers; i++) {
		if (!g->members[i].coordinator || g->members[i].name == NULL)
			continue;
		buf_adds(b, k++ ? ", " : "<p>");
		if (k == 1) {
			html_esc(b, w->coordination);
			buf_adds(b, ": ");
		}
		text(b, g->members[i].name);
	}
	if (k > 0)
		buf_adds(b, ".</p>\n");
}

/* The meetings of q still to come (the series' too), one row each, at
 * most max of them. */
static int
upcoming_rows(struct buf *b, const struct group *g,
    const struct quota_year *q, long long now, int max)
{
	char when[24];
	size_t i;
	int k = 0;

	for (i = 0; i < q->nm && k < max; i++) {
		const struct store_meeting *m = &q->m[i];

		if (m->cancelled || m->start < now)
			continue;
		local_when(g, m->start, when);
		buf_addf(b, "<tr><td>%s</td><td>", when);
		text(b, m->kind ? m->kind : "meeting");
		buf_adds(b, "</td><td>");
		text(b, m->summary);
		buf_adds(b, "</td></tr>\n");
		k++;
	}
	return k;
}

/* The meetings to come, and the feed's link when there is one. */
static void
upcoming(struct buf *b, const struct group *g, const struct quota_year *q,
    const struct quota_year *next, long long now, int feed,
    const struct words *w)
{
	size_t mark;
	int k;

	buf_adds(b, "<h2>");
	html_esc(b, w->upcoming);
	buf_adds(b, "</h2>\n");
	if (feed) {
		buf_addf(b, "<p><a href=\"files/%s/calendar.ics\">", g->id);
		html_esc(b, w->subscribe);
		buf_adds(b, "</a></p>\n");
	}
	mark = b->len;
	buf_addf(b, "<table>\n<tr><th>%s</th><th>%s</th><th>", w->date,
	    w->kind);
	html_esc(b, w->summary);
	buf_adds(b, "</th></tr>\n");
	k = upcoming_rows(b, g, q, now, UPCOMING);
	k += upcoming_rows(b, g, next, now, UPCOMING - k);
	if (k == 0) {
		b->len = mark;
		buf_adds(b, "<p>");
		html_esc(b, w->none);
		buf_adds(b, "</p>\n");
	} else
		buf_adds(b, "</table>\n");
}

static void
held(struct buf *b, const struct group *g, const struct quota_year *q,
    long long now, const struct words *w)
{
	char when[24];
	size_t i;
	int k = 0, inv;

	buf_addf(b, "<h2>%s</h2>\n", w->held);
	for (i = 0; i < q->nm; i++) {
		const struct store_meeting *m = &q->m[i];

		if (strcmp(quota_meeting_state(m, now), "held") != 0)
			continue;
		if (k++ == 0) {
			buf_addf(b, "<table>\n<tr><th>%s</th><th>%s</th>"
			    "<th>", w->date, w->kind);
			html_esc(b, w->attendance);
			buf_adds(b, "</th></tr>\n");
		}
		local_when(g, m->start, when);
		buf_addf(b, "<tr><td>%s</td><td>", when);
		text(b, m->kind ? m->kind : "meeting");
		inv = invited(m);
		if (inv > 0)
			buf_addf(b, "</td><td class=\"n\">%d%% (%d/%d)</td></tr>\n",
			    (m->accepted * 100 + inv / 2) / inv, m->accepted,
			    inv);
		else
			buf_adds(b, "</td><td class=\"n\">—</td></tr>\n");
	}
	if (k > 0)
		buf_adds(b, "</table>\n");
	else
		buf_addf(b, "<p>%s</p>\n", w->none);
}

static void
quota_picture(struct buf *b, const struct group *g,
    const struct quota_year *q, const struct words *w)
{
	struct html_bar bar;
	char *title;

	buf_addf(b, "<h2>%s %d</h2>\n", w->quota, q->year);
	bar.label = g->name;
	bar.value = q->held;
	bar.target = q->quota;
	title = xasprintf("%s %d", w->quota_chart, q->year);
	html_bars(b, title, &bar, 1, "");
	free(title);
	buf_adds(b, "<table>\n<tr>");
	buf_addf(b, "<th>%s</th><th>%s</th><th>%s</th><th>%s</th></tr>\n",
	    w->quota, w->held, w->scheduled, w->short_by);
	buf_addf(b, "<tr><td class=\"n\">%d</td><td class=\"n\">%d</td>"
	    "<td class=\"n\">%d</td><td class=\"n\">%d</td></tr>\n</table>\n",
	    q->quota, q->held, q->scheduled, q->short_by);
}

/* 1 when path (relative to the repository) is a plain file there. */
static int
on_disk(const struct config *cfg, const char *path)
{
	char *full = xasprintf("%s/%s", cfg->repository, path);
	struct stat sb;
	int is = lstat(full, &sb) == 0 && S_ISREG(sb.st_mode);

	free(full);
	return is;
}

/* The files of an experience, linked (and copied into the site) when
 * the group's records are public; never one whose path names an
 * address or leaves the repository (the record is a file on disk), nor
 * one gone from disk. */
static void
experience_files(struct site *s, struct buf *b, const struct group *g,
    char *const *files)
{
	const char *base;
	size_t i;

	for (i = 0; g->public_minutes && files[i] != NULL; i++) {
		if (strchr(files[i], '@') != NULL || !repo_path_ok(files[i]) ||
		    !on_disk(s->cfg, files[i]))
			continue;
		base = strrchr(files[i], '/') ? strrchr(files[i], '/') + 1 :
		    files[i];
		buf_adds(b, " <a href=\"files/");
		html_esc(b, files[i]);
		buf_adds(b, "\">");
		text(b, base);
		buf_adds(b, "</a>");
		add_page(s, xasprintf("files/%s", files[i]), NULL, 0,
		    xstrdup(files[i]));
	}
}

/* Issue 15's record of the experiences presented (present.h's
 * experiences.json), when there is one. */
static void
experiences(struct site *s, struct buf *b, const struct group *g,
    const struct words *w)
{
	struct html_experience *e;
	char *err = NULL;
	size_t i, n;

	if (html_experiences(s->cfg->repository, g->id, &e, &n, &err) == -1) {
		log_warnx("%s: the site leaves out the experiences: %s", g->id,
		    err);
		free(err);
		return;
	}
	if (n == 0)
		return;
	buf_addf(b, "<h2>%s</h2>\n<table>\n<tr><th>%s</th><th>%s</th>"
	    "<th>%s</th><th>%s</th></tr>\n", w->experiences, w->date,
	    w->country, w->presenter, w->title);
	for (i = 0; i < n; i++) {
		buf_adds(b, "<tr><td>");
		text(b, e[i].date);
		buf_adds(b, "</td><td>");
		text(b, e[i].country);
		buf_adds(b, "</td><td>");
		text(b, e[i].presenter);
		buf_adds(b, "</td><td>");
		text(b, e[i].title);
		experience_files(s, b, g, e[i].files);
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</table>\n");
	html_experiences_free(e, n);
}

/* The group's milestones (milestone.h), due and done days.  0 / -1
 * (store, *err). */
static int
milestones(struct buf *b, const struct site *s, const struct group *g,
    const struct words *w, char **err)
{
	struct milestone_view *v;
	size_t i, n;

	if (milestone_views(s->st, g, s->now, &v, &n, err) == -1)
		return -1;
	if (n == 0)
		return 0;
	buf_adds(b, "<h2>");
	html_esc(b, w->milestones);
	buf_addf(b, "</h2>\n<table>\n<tr><th>%s</th><th>%s</th><th>%s</th>"
	    "</tr>\n", w->summary, w->due, w->done);
	for (i = 0; i < n; i++) {
		buf_adds(b, "<tr><td>");
		text(b, v[i].ms->summary);
		buf_adds(b, "</td><td>");
		text(b, v[i].ms->due);
		buf_adds(b, "</td><td>");
		text(b, v[i].done ? v[i].done : "");
		buf_adds(b, "</td></tr>\n");
	}
	buf_adds(b, "</table>\n");
	milestone_views_free(v, n);
	return 0;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The months of g's list archive (listarchive.h) on disk, "YYYY-MM"
 * sorted, into *out (caller frees each and the array); *n 0 when none. */
static void
list_months(const struct config *cfg, const struct group *g, char ***out,
    size_t *n)
{
	char *path = xasprintf("%s/%s/list", cfg->repository, g->id);
	DIR *d = opendir(path);
	struct dirent *e;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	free(path);
	if (d == NULL)
		return;
	while ((e = readdir(d)) != NULL) {
		if (strlen(e->d_name) != 11 || strcmp(e->d_name + 7, ".txt") != 0 ||
		    strspn(e->d_name, "0123456789") != 4 || e->d_name[4] != '-' ||
		    strspn(e->d_name + 5, "0123456789") != 2)
			continue;
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*out = xreallocarray(*out, cap, sizeof **out);
		}
		(*out)[(*n)++] = xstrndup(e->d_name, 7);
	}
	closedir(d);
	if (*n > 0)
		qsort(*out, *n, sizeof **out, cmp_str);
}

/* The list archive's months of a public group, each month's readable
 * text copied without addresses (never the mbox: it has the headers as
 * relayed).  A month's text grows as posts come, so the copy is made
 * here, compared with the site's as a page is. */
static void
list_archive(struct site *s, struct buf *b, const struct group *g,
    const struct words *w)
{
	char **m, *rel, *data, *clean;
	size_t i, n, k = 0;
	int fd;

	if (!g->public_minutes)
		return;
	list_months(s->cfg, g, &m, &n);
	fd = n > 0 ? open(s->cfg->repository, O_DIRECTORY | O_RDONLY |
	    O_CLOEXEC) : -1;
	for (i = 0; i < n; i++) {
		rel = xasprintf("%s/list/%s.txt", g->id, m[i]);
		if (fd != -1 && archive_read_file(fd, rel, PAGE_MAX, &data) ==
		    0) {
			if (k++ == 0) {
				buf_adds(b, "<h2 id=\"list\">");
				html_esc(b, w->list_archive);
				buf_adds(b, "</h2>\n<ul>\n");
			}
			buf_adds(b, "<li><a href=\"files/");
			html_esc(b, rel);
			buf_addf(b, "\">%s</a></li>\n", m[i]);
			clean = no_addresses(data, strlen(data));
			add_page(s, xasprintf("files/%s", rel), clean,
			    strlen(clean), NULL);
			free(data);
		}
		free(rel);
		free(m[i]);
	}
	buf_adds(b, k > 0 ? "</ul>\n" : "");
	if (fd != -1)
		close(fd);
	free(m);
}

/* The group's records of the year, copied into the site, when its
 * dissemination is public.  0 / -1 (store, *err). */
static int
records(struct site *s, struct buf *b, const struct group *g, int year,
    const struct words *w, char **err)
{
	struct store_doc *d;
	size_t i, n, k = 0;
	char day[24];

	buf_adds(b, "<h2>");
	html_esc(b, w->records);
	buf_adds(b, "</h2>\n");
	if (!g->public_minutes) {
		buf_addf(b, "<p>%s</p>\n", w->members_only);
		return 0;
	}
	if (store_group_documents(s->st, g->id, ical_year_start(year,
	    g->timezone), ical_year_start(year + 1, g->timezone), &d, &n,
	    err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		/* An address may not even stand in a file name; a record
		 * no longer on disk is not linked (nor does it stop the
		 * site). */
		if (strchr(d[i].path, '@') != NULL || strcmp(d[i].kind,
		    "agenda") == 0 || !on_disk(s->cfg, d[i].path))
			continue;
		buf_adds(b, k++ ? "" : "<ul>\n");
		local_when(g, d[i].received, day);
		day[10] = '\0';
		buf_addf(b, "<li>%s, ", day);
		text(b, d[i].kind);
		buf_adds(b, ": <a href=\"files/");
		html_esc(b, d[i].path);
		buf_adds(b, "\">");
		text(b, strrchr(d[i].path, '/') ? strrchr(d[i].path, '/') + 1 :
		    d[i].path);
		buf_adds(b, "</a></li>\n");
		add_page(s, xasprintf("files/%s", d[i].path), NULL, 0,
		    xstrdup(d[i].path));
	}
	buf_addf(b, "%s", k ? "</ul>\n" : "");
	if (k == 0)
		buf_addf(b, "<p>%s</p>\n", w->none);
	store_docs_free(d, n);
	return 0;
}

/* The group's feed, copied as it is into files/<group>/calendar.ics:
 * 1, or 0 when there is none (yet). */
static int
feed_copy(struct site *s, const struct group *g)
{
	char *path = xasprintf("%s/calendar.ics", g->id), *data = NULL;
	int fd = open(s->cfg->repository, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	int have = 0;

	if (fd != -1 && archive_read_file(fd, path, PAGE_MAX, &data) == 0) {
		add_page(s, xasprintf("files/%s", path), data, strlen(data),
		    NULL);
		have = 1;
	}
	if (fd != -1)
		close(fd);
	free(path);
	return have;
}

static int
group_page(struct site *s, const struct group *g, char **err)
{
	const struct words *w = words_for(g->language);
	struct quota_year q, next;
	struct buf b = BUF_INIT(BUF_OWN);
	struct ical_tm tm;
	int rc = -1;

	ical_localtime(s->now, g->timezone, &tm);
	if (quota_year(s->cfg, g, s->st, tm.year, s->now, &q, err) == -1)
		return -1;
	if (quota_year(s->cfg, g, s->st, tm.year + 1, s->now, &next,
	    err) == -1) {
		quota_year_free(&q);
		return -1;
	}
	page_head(&b, w->lang, g->name);
	buf_adds(&b, "<p class=\"nav\"><a href=\"index.html\">");
	html_esc(&b, w->all);
	buf_adds(&b, "</a></p>\n<h1>");
	text(&b, g->name);
	buf_adds(&b, "</h1>\n");
	coordinators(&b, g, w);
	upcoming(&b, g, &q, &next, s->now, feed_copy(s, g), w);
	held(&b, g, &q, s->now, w);
	quota_picture(&b, g, &q, w);
	experiences(s, &b, g, w);
	if (milestones(&b, s, g, w, err) == 0 &&
	    records(s, &b, g, tm.year, w, err) == 0) {
		list_archive(s, &b, g, w);
		buf_adds(&b, "</body>\n</html>\n");
		add_page(s, xasprintf("%s.html", g->id), xstrdup(buf_str(&b)),
		    b.len, NULL);
		rc = 0;
	}
	buf_release(&b);
	quota_year_free(&q);
	quota_year_free(&next);
	return rc;
}

/* ---- the index ---- */

static void
index_section(struct buf *b, const struct config *cfg, const char *title,
    enum group_kind kind, int axis)
{
	const struct group *g;
	size_t i, k = 0;

	for (i = 0; i < cfg->ngroups; i++) {
		g = &cfg->groups[i];
		if (g->kind != kind || (axis >= 0 && (int)g->axis != axis))
			continue;
		if (k++ == 0) {
			buf_adds(b, "<h2>");
			html_esc(b, title);
			buf_adds(b, "</h2>\n<ul>\n");
		}
		buf_addf(b, "<li><a href=\"%s.html\" hreflang=\"%s\" "
		    "lang=\"%s\">", g->id, g->language, g->language);
		text(b, g->name);
		buf_adds(b, "</a></li>\n");
	}
	if (k > 0)
		buf_adds(b, "</ul>\n");
}

static void
index_page(struct site *s)
{
	const struct words *w = words_for(s->cfg->language);
	struct buf b = BUF_INIT(BUF_OWN);
	char *title;
	int a;

	page_head(&b, w->lang, w->groups);
	buf_adds(&b, "<h1>");
	html_esc(&b, w->groups);
	buf_adds(&b, "</h1>\n<p>");
	text(&b, s->cfg->org_name);
	buf_adds(&b, "</p>\n");
	for (a = AXIS_PROTECTION; a <= AXIS_COOPERATION; a++) {
		title = xasprintf("%s: %s", w->thematic, w->axes[a]);
		index_section(&b, s->cfg, title, GKIND_THEMATIC, a);
		free(title);
	}
	title = xasprintf("%s: %s", w->thematic, w->axes[AXIS_NONE]);
	index_section(&b, s->cfg, title, GKIND_THEMATIC, AXIS_NONE);
	free(title);
	index_section(&b, s->cfg, w->subregional, GKIND_SUBREGIONAL, -1);
	index_section(&b, s->cfg, w->discussion, GKIND_DISCUSSION, -1);
	buf_adds(&b, "</body>\n</html>\n");
	add_page(s, xstrdup("index.html"), xstrdup(buf_str(&b)), b.len, NULL);
	buf_release(&b);
}

/* ---- on disk ---- */

/* The directory of path (below site/, made when missing) opened, no link
 * followed; *base is path's last component.  -1 with errno. */
static int
open_parent(int root, const char *path, const char **base)
{
	const char *p = path, *slash;
	char *one;
	int fd = dup(root), next;

	while (fd != -1 && (slash = strchr(p, '/')) != NULL) {
		one = xstrndup(p, (size_t)(slash - p));
		next = file_mkdirat(fd, one) == -1 ? -1 : openat(fd, one,
		    O_DIRECTORY | O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
		free(one);
		close(fd);
		fd = next;
		p = slash + 1;
	}
	*base = p;
	return fd;
}

/* 1 when the file of page p is what it should be. */
static int
page_same(int root, const struct page *p)
{
	const char *base;
	char *have = NULL;
	struct stat sb;
	int fd, same = 0;

	if ((fd = open_parent(root, p->path, &base)) == -1)
		return 0;
	if (p->src != NULL)
		same = fstatat(fd, base, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
		    S_ISREG(sb.st_mode);
	else if (archive_read_file(fd, base, PAGE_MAX, &have) == 0)
		same = strlen(have) == p->len && memcmp(have, p->data,
		    p->len) == 0;
	free(have);
	close(fd);
	return same;
}

/* The record a copy is made of (at most COPY_MAX bytes, no link
 * followed at its end), a text file without addresses.  0 / -1. */
static int
copy_bytes(const struct config *cfg, const struct page *p, char **data,
    size_t *len)
{
	struct buf b = BUF_INIT(COPY_MAX);
	size_t n = strlen(p->src);
	int dir, fd = -1, rc;

	dir = open(cfg->repository, O_DIRECTORY | O_RDONLY | O_CLOEXEC);
	if (dir != -1)
		fd = openat(dir, p->src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	rc = fd == -1 ? -1 : buf_read(&b, fd);
	if (fd != -1)
		close(fd);
	if (dir != -1)
		close(dir);
	if (rc == -1 || buf_full(&b)) {
		buf_release(&b);
		return -1;
	}
	if (n > 4 && strcmp(p->src + n - 4, ".txt") == 0) {
		*data = no_addresses(buf_str(&b), b.len);
		*len = strlen(*data);
		buf_release(&b);
	} else {
		*len = b.len;
		*data = b.len ? buf_detach(&b) : xstrdup("");
		buf_release(&b);
	}
	return 0;
}

/* Page p into batch b: 0, or -1 with *werr (caller frees). */
static int
put_page(const struct config *cfg, int root, const struct page *p,
    struct file_batch *b, char **werr)
{
	const char *base;
	char *data = p->data, *err = NULL;
	size_t len = p->len;
	int fd = -1;

	if (p->src != NULL && copy_bytes(cfg, p, &data, &len) == -1)
		err = xasprintf("cannot copy %s into the site", p->src);
	else if ((fd = open_parent(root, p->path, &base)) == -1)
		err = xasprintf("cannot open the directory of %s: %s",
		    p->path, strerror(errno));
	else if (file_batch_add(b, fd, base, data, len, &err) == 0)
		log_debug("site: %s written", p->path);
	if (err != NULL)
		*werr = xasprintf("cannot write %s/%s/%s: %s", cfg->repository,
		    SITE_DIR, p->path, err);
	free(err);
	if (fd != -1)
		close(fd);
	if (data != p->data)
		free(data);
	return *werr != NULL ? -1 : 0;
}

static int
cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct page *)a)->path,
	    ((const struct page *)b)->path);
}

/* Files below dirfd (prefix: its path below site/) that are no page of
 * s: counted, and removed unless dry.  Links are removed, not followed. */
static int
prune(const struct site *s, int dirfd, const char *prefix, int dry)
{
	struct page key;
	struct dirent *e;
	DIR *d;
	char *path;
	int fd, n = 0;

	if ((fd = dup(dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			close(fd);
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] == '.')
			continue;
		path = xasprintf("%s%s", prefix, e->d_name);
		if (not_rendered(s, path, e->d_type == DT_DIR)) {
			free(path);
			continue;
		}
		if (e->d_type == DT_DIR) {
			int sub = openat(dirfd, e->d_name, O_DIRECTORY |
			    O_NOFOLLOW | O_RDONLY | O_CLOEXEC);
			char *pre = xasprintf("%s/", path);

			n += sub == -1 ? 0 : prune(s, sub, pre, dry);
			if (sub != -1)
				close(sub);
			if (!dry)
				unlinkat(dirfd, e->d_name, AT_REMOVEDIR);
			free(pre);
		} else {
			key.path = path;
			if (bsearch(&key, s->v, s->n, sizeof *s->v,
			    cmp_path) == NULL && ++n && !dry)
				unlinkat(dirfd, e->d_name, 0);
		}
		free(path);
	}
	closedir(d);
	return n;
}

/* What differs from disk, journaled, then written.  0; 1 when a file
 * could not be written (*werr); -1 (store, *err). */
static int
apply(struct site *s, int root, char **werr, char **err)
{
	const char *paths[] = { SITE_DIR "/" };
	unsigned char *stale;
	size_t i, n = 0;
	int gone, rc = 0;

	qsort(s->v, s->n, sizeof *s->v, cmp_path);
	stale = xcalloc(s->n + 1, 1);
	/* A file may be linked twice (a record that is an experience's
	 * too): written once. */
	for (i = 0; i < s->n; i++)
		n += stale[i] = !(i > 0 && strcmp(s->v[i].path,
		    s->v[i - 1].path) == 0) && !page_same(root, &s->v[i]);
	gone = prune(s, root, "", 1);
	if (n > 0 || gone > 0) {
		if ((rc = repo_commit_convened(s->st, NULL, "site", paths, 1,
		    s->now, err)) == 0) {
			struct file_batch *b = xcalloc(1, sizeof *b);
			char *why = NULL;

			for (i = 0; i < s->n && *werr == NULL; i++)
				if (stale[i])
					put_page(s->cfg, root, &s->v[i], b,
					    werr);
			/* What was written goes in, even after a failure. */
			if (file_batch_commit(b, &why) == -1) {
				if (*werr == NULL)
					*werr = xasprintf("cannot write %s/%s: "
					    "%s", s->cfg->repository, SITE_DIR,
					    why);
				free(why);
			}
			free(b);
			prune(s, root, "", 0);
			log_debug("site: %zu file%s written, %d removed", n,
			    n == 1 ? "" : "s", gone);
		}
	}
	free(stale);
	return rc == 0 && *werr != NULL ? 1 : rc;
}

int
site_write(const struct config *cfg, struct store *st, long long now,
    char **werr, char **err)
{
	return site_write_some(cfg, st, now, NULL, werr, err);
}

int
site_write_some(const struct config *cfg, struct store *st, long long now,
    const unsigned char *only, char **werr, char **err)
{
	struct site s;
	size_t i;
	int root, rc = -1;

	for (i = 0; only != NULL && i < cfg->ngroups && !only[i]; i++)
		;
	if (only != NULL && i == cfg->ngroups)
		return 0;
	memset(&s, 0, sizeof s);
	s.cfg = cfg;
	s.st = st;
	s.now = now;
	s.only = only;
	if (archive_group_dir(cfg->repository, SITE_DIR, &root, werr) !=
	    ARCHIVE_OK)
		return 1;
	add_page(&s, xstrdup("style.css"), xstrdup(style_css),
	    strlen(style_css), NULL);
	index_page(&s);
	for (i = 0; i < cfg->ngroups; i++)
		if ((only == NULL || only[i]) && group_page(&s, &cfg->groups[i],
		    err) == -1)
			goto out;
	rc = apply(&s, root, werr, err);
out:
	close(root);
	site_free(&s);
	return rc;
}
