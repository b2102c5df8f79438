/*
 * config.c: the global INI file and the groups directory.
 *
 * inih 55 as Debian builds it hands the handler no line number, cuts lines
 * longer than INI_MAX_LINE into pieces that parse as garbage, and stops
 * reporting after the first syntax error.  So inih reads through our own
 * reader: it counts real newlines, catches over-long and malformed lines
 * itself (reporting them at their real line and passing inih a blank line
 * instead), and notes section headers, which inih never reports for
 * sections without keys.  The handler then knows the file and line of each
 * key and can report every problem, not only the first.
 */
#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <ini.h>

#include "addr.h"
#include "config.h"
#include "ical.h"
#include "util.h"

#define MAX_LIST 10000          /* guests, folders, exdates: sanity bound */

/* Which keys a section takes.  Bits in seen[] record which were given. */
enum sec {
	SEC_NONE, SEC_DAEMON, SEC_ORGANIZER, SEC_SMTP, SEC_IMAP, SEC_POLICY,
	SEC_GROUP, SEC_MEMBER, SEC_SERIES, SEC_SKIP
};

struct keydef {
	const char *name;
	int         required;
	int         list;       /* may repeat or continue on indented lines */
};

static const struct keydef daemon_keys[] = {
	{ "state", 0, 0 }, { "repository", 0, 0 }, { "groups", 0, 0 },
	{ "templates", 0, 0 }, { "timezone", 0, 0 }, { "language", 0, 0 },
	{ "tick", 0, 0 }, { NULL, 0, 0 }
};
static const struct keydef organizer_keys[] = {
	{ "name", 1, 0 }, { "email", 1, 0 }, { NULL, 0, 0 }
};
static const struct keydef smtp_keys[] = {
	{ "url", 1, 0 }, { "username", 0, 0 }, { "password_file", 0, 0 },
	{ "tls", 0, 0 }, { "password", 0, 0 }, { "timeout", 0, 0 },
	{ "give_up_hours", 0, 0 }, { NULL, 0, 0 }
};
static const struct keydef imap_keys[] = {
	{ "url", 1, 0 }, { "username", 1, 0 }, { "password_file", 0, 0 },
	{ "tls", 0, 0 }, { "password", 0, 0 }, { "folders", 0, 1 },
	{ "processed_folder", 0, 0 }, { "poll", 0, 0 }, { "timeout", 0, 0 },
	{ NULL, 0, 0 }
};
static const struct keydef policy_keys[] = {
	{ "annual_quota", 0, 0 }, { "horizon_days", 0, 0 },
	{ "invite_lead_days", 0, 0 }, { "agenda_lead_days", 0, 0 },
	{ "minutes_grace_days", 0, 0 }, { "quota_checks", 0, 1 },
	{ "admin", 0, 0 }, { NULL, 0, 0 }
};
static const struct keydef group_keys[] = {
	{ "id", 1, 0 }, { "name", 1, 0 }, { "kind", 1, 0 }, { "axis", 0, 0 },
	{ "parent", 0, 0 }, { "language", 0, 0 }, { "timezone", 0, 0 },
	{ "dissemination", 0, 0 }, { "quota", 0, 0 }, { NULL, 0, 0 }
};
static const struct keydef member_keys[] = {
	{ "name", 1, 0 }, { "country", 0, 0 }, { "role", 1, 0 },
	{ "language", 0, 0 }, { "timezone", 0, 0 }, { "coordinator", 0, 0 },
	{ NULL, 0, 0 }
};
static const struct keydef series_keys[] = {
	{ "summary", 1, 0 }, { "kind", 0, 0 }, { "start", 1, 0 },
	{ "duration", 1, 0 }, { "rrule", 0, 0 }, { "exdate", 0, 1 },
	{ "timezone", 0, 0 }, { "location", 0, 0 }, { "open", 0, 0 },
	{ "guests", 0, 1 }, { "agenda", 0, 0 }, { NULL, 0, 0 }
};

static const struct keydef *const sec_keys[] = {
	[SEC_NONE] = NULL, [SEC_DAEMON] = daemon_keys,
	[SEC_ORGANIZER] = organizer_keys, [SEC_SMTP] = smtp_keys,
	[SEC_IMAP] = imap_keys, [SEC_POLICY] = policy_keys,
	[SEC_GROUP] = group_keys, [SEC_MEMBER] = member_keys,
	[SEC_SERIES] = series_keys, [SEC_SKIP] = NULL,
};

#define MAX_KEYS 16

struct ctx {
	struct config  *cfg;
	struct diag    *d;
	const char     *file;
	FILE           *fp;
	int             lineno;         /* line last handed to inih */
	int             continuation;   /* that line was an indented value */
	int             global;         /* the global file, not a group file */

	enum sec        sec;
	char           *secname;        /* "member ana@x", for messages */
	int             secline;
	int             seen[MAX_KEYS]; /* line where each key was set, or 0 */
	int             seen_sec[SEC_SKIP + 1];

	struct group   *group;          /* group file being read */
	struct member  *member;
	struct series  *series;
};

static const char *const languages[] = { "es", "en", "pt", "fr", NULL };
static const char *const role_names[] = {
	"ministry", "secretariat", "civil-society", "academia", "private",
	"un-agency", "financing", "subnational", "subregional", "other", NULL
};
static const char *const gkind_names[] = {
	"thematic", "subregional", "discussion", NULL
};
static const char *const axis_names[] = {
	"", "protection", "inclusion", "institutions", "cooperation", NULL
};
static const char *const mkind_names[] = {
	"meeting", "seminar", "workshop", "virtual-visit", "intersectoral", NULL
};

/* ---- diagnostics ------------------------------------------------------ */

void
diag_init(struct diag *d)
{
	memset(d, 0, sizeof *d);
}

void
diag_free(struct diag *d)
{
	strv_free(d->text, d->n);
	free(d->is_error);
	diag_init(d);
}

void
diag_add(struct diag *d, int is_error, const char *file, int line,
    const char *fmt, ...)
{
	struct buf b = BUF_INIT(BUF_OWN);
	va_list ap;
	char *msg;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	msg = xmalloc((size_t)(n < 0 ? 0 : n) + 1);
	va_start(ap, fmt);
	vsnprintf(msg, (size_t)(n < 0 ? 0 : n) + 1, fmt, ap);
	va_end(ap);

	buf_addf(&b, "%s:%d: %s%s", file, line, is_error ? "" : "warning: ",
	    msg);
	free(msg);
	d->text = xreallocarray(d->text, d->n + 1, sizeof *d->text);
	d->is_error = xreallocarray(d->is_error, d->n + 1, sizeof *d->is_error);
	d->text[d->n] = buf_detach(&b);
	d->is_error[d->n] = is_error;
	d->n++;
	if (is_error)
		d->nerrors++;
	else
		d->nwarnings++;
}

#define ERR(c, ...)  diag_add((c)->d, 1, (c)->file, (c)->lineno, __VA_ARGS__)

/* ---- value checks ----------------------------------------------------- */

static int
lookup(const char *const *names, const char *v)
{
	int i;

	for (i = 0; names[i] != NULL; i++)
		if (strcmp(names[i], v) == 0)
			return i;
	return -1;
}

static char *
join_names(const char *const *names)
{
	struct buf b = BUF_INIT(BUF_OWN);
	int i;

	for (i = 0; names[i] != NULL; i++) {
		if (*names[i] == '\0')
			continue;
		if (b.len)
			buf_adds(&b, " | ");
		buf_adds(&b, names[i]);
	}
	return buf_detach(&b);
}

static int
valid_id(const char *s, size_t max)
{
	size_t n = strlen(s), i;

	if (n == 0 || n > max || !isalnum((unsigned char)s[0]))
		return 0;
	for (i = 0; i < n; i++)
		if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]) ||
		    s[i] == '-' || s[i] == '_'))
			return 0;
	return 1;
}

static int
parse_int(struct ctx *c, const char *key, const char *v, int min, int max,
    int *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < min || n > max) {
		ERR(c, "%s must be a whole number from %d to %d, not '%s'",
		    key, min, max, v);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
parse_bool(struct ctx *c, const char *key, const char *v, int *out)
{
	if (str_caseeq(v, "yes") || str_caseeq(v, "true") || strcmp(v, "1") == 0)
		*out = 1;
	else if (str_caseeq(v, "no") || str_caseeq(v, "false") ||
	    strcmp(v, "0") == 0)
		*out = 0;
	else {
		ERR(c, "%s must be yes or no, not '%s'", key, v);
		return -1;
	}
	return 0;
}

static int
parse_enum(struct ctx *c, const char *key, const char *v,
    const char *const *names, int *out)
{
	int i = lookup(names, v);
	char *all;

	if (i < 0 || *v == '\0') {
		all = join_names(names);
		ERR(c, "%s must be one of %s, not '%s'", key, all, v);
		free(all);
		return -1;
	}
	*out = i;
	return 0;
}

static void
set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = xstrdup(v);
}

static void
set_email(struct ctx *c, const char *key, char **dst, const char *v)
{
	if (!addr_valid(v)) {
		ERR(c, "%s: malformed e-mail address '%s'", key, v);
		return;
	}
	set_str(dst, v);
	str_lower(*dst);
}

static void
set_language(struct ctx *c, char **dst, const char *v)
{
	if (lookup(languages, v) < 0) {
		ERR(c, "language must be es, en, pt or fr, not '%s'", v);
		return;
	}
	set_str(dst, v);
}

static void
set_timezone(struct ctx *c, char **dst, const char *v)
{
	if (!ical_tz_known(v)) {
		ERR(c, "unknown time zone '%s' (an IANA name such as "
		    "America/Santiago)", v);
		return;
	}
	set_str(dst, v);
}

/* A path in the configuration is taken relative to the file naming it. */
static char *
resolve_path(const char *file, const char *v)
{
	const char *slash;

	while (v[0] == '.' && v[1] == '/')
		v += 2;
	if (v[0] == '/' || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(v);
	return xasprintf("%.*s/%s", (int)(slash - file), file, v);
}

static void
add_emails(struct ctx *c, const char *key, const char *v, char ***list,
    size_t *n)
{
	char **items = NULL;
	size_t nitems = 0, i;

	str_split_list(v, &items, &nitems);
	for (i = 0; i < nitems; i++) {
		if (!addr_valid(items[i])) {
			ERR(c, "%s: malformed e-mail address '%s'", key, items[i]);
			continue;
		}
		if (*n >= MAX_LIST) {
			ERR(c, "%s: more than %d entries", key, MAX_LIST);
			break;
		}
		str_lower(items[i]);
		*list = xreallocarray(*list, *n + 1, sizeof **list);
		(*list)[(*n)++] = xstrdup(items[i]);
	}
	strv_free(items, nitems);
}

/* ---- sections ---------------------------------------------------------- */

static int
key_index(const struct keydef *keys, const char *name)
{
	int i;

	for (i = 0; keys != NULL && keys[i].name != NULL; i++)
		if (strcmp(keys[i].name, name) == 0)
			return i;
	return -1;
}

/* Called at every section header and at end of file: the section that
 * ends is checked for required keys before the next one starts. */
static void
section_end(struct ctx *c)
{
	const struct keydef *keys = sec_keys[c->sec];
	int i;

	for (i = 0; keys != NULL && keys[i].name != NULL; i++)
		if (keys[i].required && c->seen[i] == 0)
			diag_add(c->d, 1, c->file, c->secline,
			    "[%s]: missing required key '%s'", c->secname,
			    keys[i].name);
	free(c->secname);
	c->secname = NULL;
	c->sec = SEC_NONE;
	c->member = NULL;
	c->series = NULL;
	memset(c->seen, 0, sizeof c->seen);
}

static void
section_start(struct ctx *c, const char *name, int line)
{
	static const struct { const char *name; enum sec sec; int global; }
	    fixed[] = {
		{ "daemon", SEC_DAEMON, 1 }, { "organizer", SEC_ORGANIZER, 1 },
		{ "smtp", SEC_SMTP, 1 }, { "imap", SEC_IMAP, 1 },
		{ "policy", SEC_POLICY, 1 }, { "group", SEC_GROUP, 0 },
	};
	struct group *g = c->group;
	const char *arg;
	size_t i;

	section_end(c);
	c->secname = xstrdup(name);
	c->secline = line;
	c->sec = SEC_SKIP;

	for (i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		if (strcmp(name, fixed[i].name) != 0 || fixed[i].global != c->global)
			continue;
		if (c->seen_sec[fixed[i].sec]) {
			diag_add(c->d, 1, c->file, line,
			    "section [%s] given twice (first at line %d)", name,
			    c->seen_sec[fixed[i].sec]);
			return;
		}
		c->seen_sec[fixed[i].sec] = line;
		c->sec = fixed[i].sec;
		if (c->sec == SEC_GROUP)
			g->line = line;
		return;
	}

	if (!c->global && strncmp(name, "member ", 7) == 0) {
		arg = name + 7;
		while (*arg == ' ')
			arg++;
		if (!addr_valid(arg)) {
			diag_add(c->d, 1, c->file, line,
			    "[%s]: malformed e-mail address '%s'", name, arg);
			return;
		}
		for (i = 0; i < g->nmembers; i++)
			if (str_caseeq(g->members[i].email, arg)) {
				diag_add(c->d, 1, c->file, line,
				    "member %s given twice in the group "
				    "(first at line %d)", g->members[i].email,
				    g->members[i].line);
				return;
			}
		g->members = xreallocarray(g->members, g->nmembers + 1,
		    sizeof *g->members);
		c->member = &g->members[g->nmembers++];
		memset(c->member, 0, sizeof *c->member);
		c->member->email = xstrdup(arg);
		str_lower(c->member->email);
		c->member->line = line;
		c->member->role = ROLE_OTHER;
		c->sec = SEC_MEMBER;
		return;
	}

	if (!c->global && strncmp(name, "series ", 7) == 0) {
		arg = name + 7;
		while (*arg == ' ')
			arg++;
		/* The name goes into UIDs and Message-IDs: keep it plain. */
		if (!valid_id(arg, 64)) {
			diag_add(c->d, 1, c->file, line, "[%s]: series name must "
			    "be lower-case letters, digits, '-' or '_'", name);
			return;
		}
		for (i = 0; i < g->nseries; i++)
			if (strcmp(g->series[i].name, arg) == 0) {
				diag_add(c->d, 1, c->file, line,
				    "series %s given twice in the group "
				    "(first at line %d)", arg, g->series[i].line);
				return;
			}
		g->series = xreallocarray(g->series, g->nseries + 1,
		    sizeof *g->series);
		c->series = &g->series[g->nseries++];
		memset(c->series, 0, sizeof *c->series);
		c->series->name = xstrdup(arg);
		c->series->line = line;
		c->series->duration = 60;
		c->sec = SEC_SERIES;
		return;
	}

	diag_add(c->d, 1, c->file, line, "unknown section [%s]", name);
}

/* ---- keys -------------------------------------------------------------- */

static void
endpoint_key(struct ctx *c, struct endpoint *e, const char *sec,
    const char *name, const char *v)
{
	if (strcmp(name, "url") == 0)
		set_str(&e->url, v);
	else if (strcmp(name, "username") == 0)
		set_str(&e->username, v);
	else if (strcmp(name, "password_file") == 0) {
		/* With a slash it is a path (relative to this file), without
		 * one the name of a systemd credential. */
		free(e->password_file);
		e->password_file = strchr(v, '/') ? resolve_path(c->file, v) :
		    xstrdup(v);
	}
	else if (strcmp(name, "password") == 0)
		ERR(c, "[%s] password written inline: put it in a file of mode "
		    "0600 (or a systemd credential) and name it with "
		    "password_file", sec);
	else if (strcmp(name, "tls") == 0) {
		if (strcmp(v, "required") == 0)
			e->tls_required = 1;
		else if (strcmp(v, "none") == 0)
			e->tls_required = 0;
		else
			ERR(c, "tls must be required or none, not '%s'", v);
	}
}

static void
daemon_key(struct ctx *c, const char *name, const char *v)
{
	struct config *cfg = c->cfg;

	if (strcmp(name, "state") == 0) {
		free(cfg->state);
		cfg->state = resolve_path(c->file, v);
	} else if (strcmp(name, "repository") == 0) {
		free(cfg->repository);
		cfg->repository = resolve_path(c->file, v);
	}
	else if (strcmp(name, "groups") == 0) {
		free(cfg->groups_dir);
		cfg->groups_dir = resolve_path(c->file, v);
	} else if (strcmp(name, "templates") == 0) {
		free(cfg->templates);
		cfg->templates = resolve_path(c->file, v);
	}
	else if (strcmp(name, "timezone") == 0)
		set_timezone(c, &cfg->timezone, v);
	else if (strcmp(name, "language") == 0)
		set_language(c, &cfg->language, v);
	else if (strcmp(name, "tick") == 0)
		parse_int(c, name, v, 1, 86400, &cfg->tick);
}

static void
quota_checks_key(struct ctx *c, const char *v)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	struct config *cfg = c->cfg;
	char **items = NULL;
	size_t n = 0, i;
	int m, d;

	str_split_list(v, &items, &n);
	for (i = 0; i < n; i++) {
		if (strlen(items[i]) != 5 || items[i][2] != '-' ||
		    !isdigit((unsigned char)items[i][0]) ||
		    !isdigit((unsigned char)items[i][1]) ||
		    !isdigit((unsigned char)items[i][3]) ||
		    !isdigit((unsigned char)items[i][4]) ||
		    sscanf(items[i], "%2d-%2d", &m, &d) != 2 || m < 1 ||
		    m > 12 || d < 1 || d > mdays[m - 1] || (m == 2 && d == 29)) {
			ERR(c, "quota_checks: '%s' is not a date MM-DD (29 "
			    "February is refused: it comes once in four years)",
			    items[i]);
			continue;
		}
		if (cfg->nquota_checks >= sizeof cfg->quota_checks /
		    sizeof cfg->quota_checks[0]) {
			ERR(c, "quota_checks: more than %zu dates",
			    sizeof cfg->quota_checks / sizeof cfg->quota_checks[0]);
			break;
		}
		cfg->quota_checks[cfg->nquota_checks++] = m * 100 + d;
	}
	strv_free(items, n);
}

static void
policy_key(struct ctx *c, const char *name, const char *v)
{
	struct config *cfg = c->cfg;

	if (strcmp(name, "annual_quota") == 0)
		parse_int(c, name, v, 1, 366, &cfg->annual_quota);
	else if (strcmp(name, "horizon_days") == 0)
		parse_int(c, name, v, 1, 3660, &cfg->horizon_days);
	else if (strcmp(name, "invite_lead_days") == 0)
		parse_int(c, name, v, 0, 366, &cfg->invite_lead_days);
	else if (strcmp(name, "agenda_lead_days") == 0)
		parse_int(c, name, v, 0, 366, &cfg->agenda_lead_days);
	else if (strcmp(name, "minutes_grace_days") == 0)
		parse_int(c, name, v, 0, 366, &cfg->minutes_grace_days);
	else if (strcmp(name, "quota_checks") == 0) {
		/* The first line of the key replaces the default dates. */
		if (!c->continuation && c->seen[key_index(policy_keys, name)] ==
		    c->lineno)
			cfg->nquota_checks = 0;
		quota_checks_key(c, v);
	} else if (strcmp(name, "admin") == 0)
		set_email(c, name, &cfg->admin, v);
}

static void
group_key(struct ctx *c, const char *name, const char *v)
{
	struct group *g = c->group;
	int i;

	if (strcmp(name, "id") == 0) {
		if (!valid_id(v, 64))
			ERR(c, "group id must be 1 to 64 lower-case letters, "
			    "digits, '-' or '_', not '%s'", v);
		else
			set_str(&g->id, v);
	} else if (strcmp(name, "name") == 0)
		set_str(&g->name, v);
	else if (strcmp(name, "kind") == 0) {
		if (parse_enum(c, name, v, gkind_names, &i) == 0)
			g->kind = (enum group_kind)i;
	} else if (strcmp(name, "axis") == 0) {
		if (parse_enum(c, name, v, axis_names, &i) == 0)
			g->axis = (enum axis)i;
	} else if (strcmp(name, "parent") == 0)
		set_str(&g->parent, v);
	else if (strcmp(name, "language") == 0)
		set_language(c, &g->language, v);
	else if (strcmp(name, "timezone") == 0)
		set_timezone(c, &g->timezone, v);
	else if (strcmp(name, "dissemination") == 0) {
		if (strcmp(v, "members") == 0)
			g->public_minutes = 0;
		else if (strcmp(v, "public") == 0)
			g->public_minutes = 1;
		else
			ERR(c, "dissemination must be members or public, not "
			    "'%s'", v);
	} else if (strcmp(name, "quota") == 0)
		parse_int(c, name, v, 1, 366, &g->quota);
}

static void
member_key(struct ctx *c, const char *name, const char *v)
{
	struct member *m = c->member;
	int i;

	if (strcmp(name, "name") == 0)
		set_str(&m->name, v);
	else if (strcmp(name, "country") == 0) {
		if (strlen(v) != 2 || !isupper((unsigned char)v[0]) ||
		    !isupper((unsigned char)v[1]))
			ERR(c, "country must be a two-letter code such as UY, "
			    "not '%s'", v);
		else
			set_str(&m->country, v);
	} else if (strcmp(name, "role") == 0) {
		if (parse_enum(c, name, v, role_names, &i) == 0)
			m->role = (enum role)i;
	} else if (strcmp(name, "language") == 0)
		set_language(c, &m->language, v);
	else if (strcmp(name, "timezone") == 0)
		set_timezone(c, &m->timezone, v);
	else if (strcmp(name, "coordinator") == 0)
		parse_bool(c, name, v, &m->coordinator);
}

static void
series_key(struct ctx *c, const char *name, const char *v)
{
	struct series *s = c->series;
	struct ical_local lt;
	char **items = NULL, *err = NULL;
	size_t n = 0, i;
	int k;

	if (strcmp(name, "summary") == 0)
		set_str(&s->summary, v);
	else if (strcmp(name, "kind") == 0) {
		if (parse_enum(c, name, v, mkind_names, &k) == 0)
			s->kind = (enum meeting_kind)k;
	} else if (strcmp(name, "start") == 0) {
		if (ical_parse_local(v, 0, &lt) == -1)
			ERR(c, "start must be a local date and time "
			    "YYYY-MM-DD HH:MM, not '%s'", v);
		else
			set_str(&s->start, v);
	} else if (strcmp(name, "duration") == 0)
		parse_int(c, name, v, 1, 24 * 60, &s->duration);
	else if (strcmp(name, "rrule") == 0) {
		if (strncasecmp(v, "RRULE:", 6) == 0)
			v += 6;
		if (ical_rrule_check(v, &err) == -1) {
			ERR(c, "rrule '%s': %s", v, err);
			free(err);
		} else
			set_str(&s->rrule, v);
	} else if (strcmp(name, "exdate") == 0) {
		str_split_list(v, &items, &n);
		for (i = 0; i < n; i++) {
			if (ical_parse_local(items[i], 1, &lt) == -1) {
				ERR(c, "exdate '%s' is not YYYY-MM-DD or "
				    "YYYY-MM-DD HH:MM", items[i]);
				continue;
			}
			if (s->nexdate >= MAX_LIST)
				break;
			s->exdate = xreallocarray(s->exdate, s->nexdate + 1,
			    sizeof *s->exdate);
			s->exdate[s->nexdate++] = xstrdup(items[i]);
		}
		strv_free(items, n);
	} else if (strcmp(name, "timezone") == 0)
		set_timezone(c, &s->timezone, v);
	else if (strcmp(name, "location") == 0)
		set_str(&s->location, v);
	else if (strcmp(name, "open") == 0)
		parse_bool(c, name, v, &s->open);
	else if (strcmp(name, "guests") == 0)
		add_emails(c, name, v, &s->guests, &s->nguests);
	else if (strcmp(name, "agenda") == 0) {
		free(s->agenda);
		s->agenda = resolve_path(c->file, v);
		if (access(s->agenda, R_OK) == -1)
			ERR(c, "cannot read agenda file %s: %s", s->agenda,
			    strerror(errno));
	}
}

static int
handler(void *user, const char *section, const char *name, const char *v)
{
	struct ctx *c = user;
	const struct keydef *keys = sec_keys[c->sec];
	int k;

	(void)section;
	if (c->sec == SEC_SKIP)
		return 1;               /* the header was reported already */
	if (c->sec == SEC_NONE) {
		ERR(c, "key '%s' outside any section", name);
		return 1;
	}
	if ((k = key_index(keys, name)) < 0) {
		ERR(c, "unknown key '%s' in [%s]", name, c->secname);
		return 1;
	}
	if (c->continuation) {
		if (!keys[k].list) {
			ERR(c, "indented line continues '%s', which takes one "
			    "value", name);
			return 1;
		}
	} else if (c->seen[k] != 0 && !keys[k].list) {
		ERR(c, "key '%s' given twice in [%s] (first at line %d)", name,
		    c->secname, c->seen[k]);
		return 1;
	} else if (c->seen[k] == 0)
		c->seen[k] = c->lineno;
	if (str_has_ctl(v)) {
		ERR(c, "'%s' holds a control character", name);
		return 1;
	}
	if (!str_is_utf8(v)) {
		ERR(c, "'%s' is not valid UTF-8", name);
		return 1;
	}

	switch (c->sec) {
	case SEC_DAEMON:
		daemon_key(c, name, v);
		break;
	case SEC_ORGANIZER:
		if (strcmp(name, "name") == 0)
			set_str(&c->cfg->org_name, v);
		else
			set_email(c, name, &c->cfg->org_email, v);
		break;
	case SEC_SMTP:
		if (strcmp(name, "timeout") == 0)
			parse_int(c, name, v, 1, 3600, &c->cfg->smtp_timeout);
		else if (strcmp(name, "give_up_hours") == 0)
			parse_int(c, name, v, 1, 24 * 30,
			    &c->cfg->smtp_give_up_hours);
		else
			endpoint_key(c, &c->cfg->smtp, "smtp", name, v);
		break;
	case SEC_IMAP:
		if (strcmp(name, "folders") == 0) {
			if (!c->continuation && c->seen[k] == c->lineno) {
				strv_free(c->cfg->imap_folders,
				    c->cfg->nimap_folders);
				c->cfg->imap_folders = NULL;
				c->cfg->nimap_folders = 0;
			}
			str_split_list(v, &c->cfg->imap_folders,
			    &c->cfg->nimap_folders);
		} else if (strcmp(name, "processed_folder") == 0) {
			free(c->cfg->imap_processed);
			c->cfg->imap_processed = *v ? xstrdup(v) : NULL;
		} else if (strcmp(name, "poll") == 0)
			parse_int(c, name, v, 5, 86400, &c->cfg->imap_poll);
		else if (strcmp(name, "timeout") == 0)
			parse_int(c, name, v, 1, 3600, &c->cfg->imap_timeout);
		else
			endpoint_key(c, &c->cfg->imap, "imap", name, v);
		break;
	case SEC_POLICY:
		policy_key(c, name, v);
		break;
	case SEC_GROUP:
		group_key(c, name, v);
		break;
	case SEC_MEMBER:
		member_key(c, name, v);
		break;
	case SEC_SERIES:
		series_key(c, name, v);
		break;
	default:
		break;
	}
	return 1;
}

/* fgets-like reader for ini_parse_stream (see the comment at the top). */
static char *
reader(char *str, int num, void *stream)
{
	struct ctx *c = stream;
	char *line = NULL, *t, *close;
	size_t cap = 0;
	ssize_t len;

	if ((len = getline(&line, &cap, c->fp)) == -1) {
		free(line);
		return NULL;
	}
	c->lineno++;
	c->continuation = 0;
	if (len > 0 && line[len - 1] == '\n')
		line[--len] = '\0';
	if (len > 0 && line[len - 1] == '\r')
		line[--len] = '\0';
	str[0] = '\0';
	if (len > num - 2) {
		ERR(c, "line too long (%zd bytes, at most %d): continue a list "
		    "on indented lines", len, num - 2);
		goto out;
	}
	if (memchr(line, '\0', (size_t)len) != NULL) {
		ERR(c, "NUL byte in line");
		goto out;
	}
	t = line;
	/* The UTF-8 byte order mark that editors leave at the top. */
	if (c->lineno == 1 && strncmp(t, "\xEF\xBB\xBF", 3) == 0)
		t += 3;
	if (*t == ' ' || *t == '\t') {
		char *u = str_trim(t);

		if (*u != '\0' && *u != ';' && *u != '#')
			c->continuation = 1;
	} else if (*t == '[') {
		if ((close = strchr(t, ']')) == NULL) {
			ERR(c, "section header without ']'");
			c->sec = SEC_SKIP;
			goto out;
		}
		*close = '\0';
		section_start(c, str_trim(t + 1), c->lineno);
		*close = ']';
	} else if (*t != '\0' && *t != ';' && *t != '#' &&
	    strpbrk(t, "=:") == NULL) {
		ERR(c, "expected 'key = value' or [section], not '%s'", t);
		goto out;
	}
	snprintf(str, (size_t)num, "%s\n", line);
out:
	free(line);
	return str;
}

static int
parse_file(struct ctx *c, const char *path)
{
	int fd;

	c->file = path;
	c->lineno = 0;
	c->sec = SEC_NONE;
	memset(c->seen_sec, 0, sizeof c->seen_sec);
	/* O_NOFOLLOW is not wanted: /etc symlinks are normal.  A FIFO or a
	 * device would block or never end, so only regular files pass. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK)) == -1 ||
	    (c->fp = fdopen(fd, "r")) == NULL) {
		diag_add(c->d, 1, path, 0, "cannot open: %s", strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	{
		struct stat st;

		if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
			diag_add(c->d, 1, path, 0, "not a regular file");
			fclose(c->fp);
			return -1;
		}
	}
	ini_parse_stream(reader, c, handler, c);
	section_end(c);
	if (ferror(c->fp))
		diag_add(c->d, 1, path, c->lineno, "read error: %s",
		    strerror(errno));
	fclose(c->fp);
	c->fp = NULL;
	return 0;
}

/* ---- the whole configuration ------------------------------------------ */

static void
defaults(struct config *cfg)
{
	static const int checks[] = { 331, 630, 930, 1115 };
	size_t i;

	cfg->state = xstrdup("/var/lib/convened/state.db");
	cfg->repository = xstrdup("/var/lib/convened/repository");
	cfg->templates = xstrdup(CONVENED_DATADIR "/templates");
	cfg->timezone = xstrdup("UTC");
	cfg->language = xstrdup("es");
	cfg->tick = 60;
	cfg->org_name = NULL;
	cfg->smtp.tls_required = 1;
	cfg->smtp_timeout = 60;
	cfg->smtp_give_up_hours = 72;
	cfg->imap.tls_required = 1;
	str_split_list("INBOX, Junk", &cfg->imap_folders, &cfg->nimap_folders);
	cfg->imap_poll = 120;
	cfg->imap_timeout = 60;
	cfg->annual_quota = 3;
	cfg->horizon_days = 90;
	cfg->invite_lead_days = 21;
	cfg->agenda_lead_days = 7;
	cfg->minutes_grace_days = 14;
	for (i = 0; i < sizeof checks / sizeof checks[0]; i++)
		cfg->quota_checks[cfg->nquota_checks++] = checks[i];
}

static int
url_host_is_loopback(const char *url)
{
	const char *h = strstr(url, "://");
	size_t n;

	if (h == NULL)
		return 0;
	h += 3;
	if (strncmp(h, "[::1]", 5) == 0)
		return h[5] == '\0' || h[5] == ':' || h[5] == '/';
	n = strcspn(h, ":/");
	if (n == 9 && strncasecmp(h, "localhost", 9) == 0)
		return 1;
	return strncmp(h, "127.", 4) == 0 && n >= 7 &&
	    strspn(h, "0123456789.") >= n;
}

static void
check_endpoint(struct ctx *c, const char *sec, const struct endpoint *e,
    const char *plain, const char *tls)
{
	int line = c->seen_sec[strcmp(sec, "smtp") == 0 ? SEC_SMTP : SEC_IMAP];
	char *path, *err = NULL;
	struct stat st;

	if (e->url != NULL) {
		size_t pl = strlen(plain), tl = strlen(tls);

		if (strncmp(e->url, plain, pl) != 0 &&
		    strncmp(e->url, tls, tl) != 0)
			diag_add(c->d, 1, c->file, line, "[%s] url must start "
			    "with %s or %s", sec, plain, tls);
		else if (!e->tls_required && !url_host_is_loopback(e->url))
			diag_add(c->d, 1, c->file, line, "[%s] tls = none is "
			    "allowed only for a loopback host", sec);
	}
	if (e->username != NULL && e->password_file == NULL)
		diag_add(c->d, 1, c->file, line, "[%s] username given without "
		    "password_file", sec);
	if (e->password_file == NULL)
		return;
	if (strchr(e->password_file, '/') == NULL) {
		/* A systemd credential name: only checkable under systemd. */
		if (getenv("CREDENTIALS_DIRECTORY") == NULL)
			return;
		path = xasprintf("%s/%s", getenv("CREDENTIALS_DIRECTORY"),
		    e->password_file);
	} else
		path = xstrdup(e->password_file);
	if (stat(path, &st) == -1)
		err = xasprintf("cannot read password file %s: %s", path,
		    strerror(errno));
	else if (!S_ISREG(st.st_mode))
		err = xasprintf("password file %s is not a regular file", path);
	else if (st.st_mode & 077)
		err = xasprintf("password file %s is readable by group or others "
		    "(mode %04o): chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
	else if (access(path, R_OK) == -1)
		err = xasprintf("cannot read password file %s: %s", path,
		    strerror(errno));
	if (err != NULL) {
		diag_add(c->d, 1, c->file, line, "[%s] %s", sec, err);
		free(err);
	}
	free(path);
}

static void
check_global(struct ctx *c)
{
	struct config *cfg = c->cfg;
	static const struct { enum sec sec; const char *name; } req[] = {
		{ SEC_ORGANIZER, "organizer" }, { SEC_SMTP, "smtp" },
		{ SEC_IMAP, "imap" },
	};
	size_t i;

	c->file = cfg->file;
	for (i = 0; i < sizeof req / sizeof req[0]; i++)
		if (c->seen_sec[req[i].sec] == 0)
			diag_add(c->d, 1, cfg->file, c->lineno > 0 ? c->lineno : 1,
			    "missing section [%s]", req[i].name);
	check_endpoint(c, "smtp", &cfg->smtp, "smtp://", "smtps://");
	check_endpoint(c, "imap", &cfg->imap, "imap://", "imaps://");
	if (cfg->nimap_folders == 0)
		diag_add(c->d, 1, cfg->file, c->seen_sec[SEC_IMAP],
		    "[imap] folders is empty");
	/* Moving what was read into a folder that is read again would read
	 * it again, forever. */
	for (i = 0; cfg->imap_processed != NULL && i < cfg->nimap_folders; i++)
		if (strcmp(cfg->imap_folders[i], cfg->imap_processed) == 0)
			diag_add(c->d, 1, cfg->file, c->seen_sec[SEC_IMAP],
			    "[imap] processed_folder %s is also in folders",
			    cfg->imap_processed);
	for (i = 0; i < cfg->nimap_folders; i++)
		if (strpbrk(cfg->imap_folders[i], "\"\\*%") != NULL)
			diag_add(c->d, 1, cfg->file, c->seen_sec[SEC_IMAP],
			    "[imap] folder name '%s' holds a character IMAP "
			    "would need quoted", cfg->imap_folders[i]);
}

static int
ini_file(const struct dirent *e)
{
	size_t n = strlen(e->d_name);

	return e->d_name[0] != '.' && n > 4 &&
	    strcmp(e->d_name + n - 4, ".ini") == 0;
}

/* A rule that never matches (FREQ=DAILY;BYMONTH=2;BYMONTHDAY=31) is
 * valid RFC 5545 and an administrator's mistake; found here, once, it is
 * not paid for in every cycle. */
static void
check_series_dates(struct ctx *c, const struct group *g,
    const struct series *s)
{
	struct ical_occurrence *occ = NULL;
	struct ical_local lt;
	long long from;
	size_t n = 0;
	char *err = NULL;

	if (s->start == NULL || s->rrule == NULL || s->timezone == NULL ||
	    ical_parse_local(s->start, 0, &lt) == -1)
		return;
	from = ical_local_to_utc(&lt, s->timezone);
	if (ical_expand(s->start, s->timezone, s->duration, s->rrule, NULL, 0,
	    from, from + 5 * 366 * 86400LL, 1, &occ, &n, &err) == -1) {
		diag_add(c->d, 1, g->file, s->line, "series %s: %s", s->name,
		    err);
		free(err);
	} else if (n == 0)
		diag_add(c->d, 1, g->file, s->line, "series %s: rrule '%s' gives "
		    "no meeting in the five years from its start", s->name,
		    s->rrule);
	free(occ);
}

static void
load_group(struct ctx *c, const char *path)
{
	struct config *cfg = c->cfg;
	struct group *g;
	size_t i;

	cfg->groups = xreallocarray(cfg->groups, cfg->ngroups + 1,
	    sizeof *cfg->groups);
	g = &cfg->groups[cfg->ngroups++];
	memset(g, 0, sizeof *g);
	g->file = xstrdup(path);
	g->kind = GKIND_THEMATIC;
	c->group = g;
	c->global = 0;
	if (parse_file(c, g->file) == -1)
		return;
	if (c->seen_sec[SEC_GROUP] == 0) {
		diag_add(c->d, 1, g->file, 1, "missing section [group]");
		return;
	}
	if (g->kind == GKIND_THEMATIC && g->axis == AXIS_NONE && g->id != NULL)
		diag_add(c->d, 1, g->file, g->line, "thematic group '%s' needs "
		    "an axis: protection | inclusion | institutions | "
		    "cooperation", g->id);
	/* Inheritance: series and members take the group's zone and
	 * language, the group the daemon's. */
	if (g->timezone == NULL)
		g->timezone = xstrdup(cfg->timezone);
	if (g->language == NULL)
		g->language = xstrdup(cfg->language);
	if (g->quota == 0)
		g->quota = cfg->annual_quota;
	for (i = 0; i < g->nseries; i++) {
		struct series *s = &g->series[i];

		if (s->timezone == NULL)
			s->timezone = xstrdup(g->timezone);
		if (s->summary == NULL)
			s->summary = xstrdup(s->name);
		if (s->open && s->nguests == 0)
			diag_add(c->d, 0, g->file, s->line, "series %s is open "
			    "but names no guests", s->name);
		check_series_dates(c, g, s);
	}
}

static void
check_groups(struct ctx *c)
{
	struct config *cfg = c->cfg;
	const char *why;
	size_t i, j, steps;

	for (i = 0; i < cfg->ngroups; i++) {
		struct group *g = &cfg->groups[i];

		if (g->id == NULL)
			continue;
		for (j = 0; j < i; j++)
			if (cfg->groups[j].id != NULL &&
			    strcmp(cfg->groups[j].id, g->id) == 0) {
				diag_add(c->d, 1, g->file, g->line, "group id "
				    "'%s' already used by %s:%d", g->id,
				    cfg->groups[j].file, cfg->groups[j].line);
				break;
			}
		if (g->parent != NULL) {
			if (strcmp(g->parent, g->id) == 0)
				diag_add(c->d, 1, g->file, g->line, "group '%s' "
				    "is its own parent", g->id);
			else if (config_group(cfg, g->parent) == NULL)
				diag_add(c->d, 1, g->file, g->line, "parent "
				    "group '%s' does not exist", g->parent);
		}
		if (!config_coordination_ok(g, &why))
			diag_add(c->d, 0, g->file, g->line, "group '%s' breaks "
			    "the coordination rule: %s", g->id, why);
	}
	/* A cycle of parents: walking up from a group that is on a cycle
	 * comes back to it within ngroups steps.  Reported once per group on
	 * it, which names every file to fix. */
	for (i = 0; i < cfg->ngroups; i++) {
		const struct group *g = &cfg->groups[i], *p = g;

		if (g->id == NULL || g->parent == NULL ||
		    strcmp(g->parent, g->id) == 0)
			continue;
		for (steps = 0; steps <= cfg->ngroups && p != NULL &&
		    p->parent != NULL; steps++) {
			p = config_group(cfg, p->parent);
			if (p == g) {
				diag_add(c->d, 1, g->file, g->line, "group '%s' "
				    "is its own ancestor (a cycle of parents)",
				    g->id);
				break;
			}
		}
	}
}

struct config *
config_load(const char *file, struct diag *d)
{
	struct config *cfg = xcalloc(1, sizeof *cfg);
	struct dirent **ents = NULL;
	struct ctx c;
	char *path;
	int n, i;
	size_t before = d->nerrors;

	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.d = d;
	c.global = 1;
	cfg->file = xstrdup(file);
	defaults(cfg);
	if (parse_file(&c, cfg->file) == -1)
		goto done;
	if (cfg->groups_dir == NULL)
		cfg->groups_dir = resolve_path(cfg->file, "groups.d");
	cfg->templates_local = resolve_path(cfg->file, "templates");
	check_global(&c);

	if ((n = scandir(cfg->groups_dir, &ents, ini_file, alphasort)) == -1) {
		diag_add(d, 1, cfg->file, c.seen_sec[SEC_DAEMON] ?
		    c.seen_sec[SEC_DAEMON] : 1, "cannot read groups directory "
		    "%s: %s", cfg->groups_dir, strerror(errno));
		goto done;
	}
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", cfg->groups_dir, ents[i]->d_name);
		load_group(&c, path);
		free(path);
		free(ents[i]);
	}
	free(ents);
	check_groups(&c);
done:
	free(c.secname);
	if (d->nerrors > before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

static void
member_free(struct member *m)
{
	free(m->email);
	free(m->name);
	free(m->country);
	free(m->language);
	free(m->timezone);
}

static void
series_free(struct series *s)
{
	free(s->name);
	free(s->summary);
	free(s->start);
	free(s->rrule);
	strv_free(s->exdate, s->nexdate);
	free(s->timezone);
	free(s->location);
	strv_free(s->guests, s->nguests);
	free(s->agenda);
}

void
config_free(struct config *cfg)
{
	size_t i, j;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->ngroups; i++) {
		struct group *g = &cfg->groups[i];

		for (j = 0; j < g->nmembers; j++)
			member_free(&g->members[j]);
		for (j = 0; j < g->nseries; j++)
			series_free(&g->series[j]);
		free(g->members);
		free(g->series);
		free(g->id);
		free(g->name);
		free(g->parent);
		free(g->language);
		free(g->timezone);
		free(g->file);
	}
	free(cfg->groups);
	free(cfg->file);
	free(cfg->state);
	free(cfg->repository);
	free(cfg->groups_dir);
	free(cfg->templates);
	free(cfg->templates_local);
	free(cfg->timezone);
	free(cfg->language);
	free(cfg->org_name);
	free(cfg->org_email);
	free(cfg->smtp.url);
	free(cfg->smtp.username);
	free(cfg->smtp.password_file);
	free(cfg->imap.url);
	free(cfg->imap.username);
	free(cfg->imap.password_file);
	strv_free(cfg->imap_folders, cfg->nimap_folders);
	free(cfg->imap_processed);
	free(cfg->admin);
	free(cfg);
}

/* ---- queries ----------------------------------------------------------- */

int
config_coordination_ok(const struct group *g, const char **why)
{
	size_t i, n = 0, ministry = 0, secretariat = 0;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	for (i = 0; i < g->nmembers; i++) {
		if (!g->members[i].coordinator)
			continue;
		n++;
		if (g->members[i].role == ROLE_MINISTRY)
			ministry++;
		else if (g->members[i].role == ROLE_SECRETARIAT)
			secretariat++;
	}
	if (n < 2)
		*why = "fewer than two coordinators";
	else if (ministry == 0)
		*why = "no coordinator from a country's ministry (role ministry)";
	else if (secretariat == 0)
		*why = "no coordinator from the secretariat (role secretariat)";
	else
		return 1;
	return 0;
}

const struct group *
config_group(const struct config *cfg, const char *id)
{
	size_t i;

	for (i = 0; i < cfg->ngroups; i++)
		if (cfg->groups[i].id != NULL && strcmp(cfg->groups[i].id, id) == 0)
			return &cfg->groups[i];
	return NULL;
}

const struct member *
config_member(const struct group *g, const char *email)
{
	size_t i;

	for (i = 0; email != NULL && i < g->nmembers; i++)
		if (strcasecmp(g->members[i].email, email) == 0)
			return &g->members[i];
	return NULL;
}

const struct member *
config_coordinator(const struct group *g, const char *email)
{
	const struct member *m = config_member(g, email);

	return m != NULL && m->coordinator ? m : NULL;
}

const struct series *
config_series(const struct group *g, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < g->nseries; i++)
		if (strcmp(g->series[i].name, name) == 0)
			return &g->series[i];
	return NULL;
}

const char *
config_role_name(enum role r)
{
	return role_names[r];
}

const char *
config_group_kind_name(enum group_kind k)
{
	return gkind_names[k];
}

const char *
config_axis_name(enum axis a)
{
	return a == AXIS_NONE ? NULL : axis_names[a];
}

const char *
config_meeting_kind_name(enum meeting_kind k)
{
	return mkind_names[k];
}

const char *
config_member_language(const struct group *g, const struct member *m)
{
	return m->language ? m->language : g->language;
}

const char *
config_member_timezone(const struct group *g, const struct member *m)
{
	return m->timezone ? m->timezone : g->timezone;
}

char *
config_read_password(const struct endpoint *e, char **err)
{
	const char *cred = getenv("CREDENTIALS_DIRECTORY");
	char *path, *pw = NULL, *nl;
	size_t cap = 0;
	ssize_t len;
	FILE *fp;

	if (e->password_file == NULL) {
		*err = xstrdup("no password_file configured");
		return NULL;
	}
	if (strchr(e->password_file, '/') == NULL) {
		if (cred == NULL) {
			*err = xasprintf("password credential %s: "
			    "CREDENTIALS_DIRECTORY is not set (LoadCredential= "
			    "in the unit)", e->password_file);
			return NULL;
		}
		path = xasprintf("%s/%s", cred, e->password_file);
	} else
		path = xstrdup(e->password_file);
	if ((fp = fopen(path, "re")) == NULL) {
		*err = xasprintf("cannot read password file %s: %s", path,
		    strerror(errno));
		free(path);
		return NULL;
	}
	len = getline(&pw, &cap, fp);
	fclose(fp);
	if (len <= 0) {
		*err = xasprintf("password file %s is empty", path);
		free(pw);
		free(path);
		return NULL;
	}
	free(path);
	if ((nl = strpbrk(pw, "\r\n")) != NULL)
		*nl = '\0';
	return pw;
}
