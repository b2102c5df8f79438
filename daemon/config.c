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
 *
 * Every key is one row of keys[]: its name, section and type, whether it
 * is required, where its value goes in the object its section fills, its
 * default, and the bounds or names a value must keep to.  Each type has
 * one parser (types[]) that checks a value and converts it, so a value is
 * judged the same way in every section that takes it.  A key that takes a
 * list splits its value at commas and parses each item on its own.
 */
#include <sys/mman.h>
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
#include "list.h"
#include "ical.h"
#include "net.h"
#include "present.h"
#include "smtp.h"
#include "token.h"
#include "util.h"
#include "verp.h"

#define MAX_LIST 10000          /* guests, folders, exdates: sanity bound */

enum sec {
	S_NONE, S_DAEMON, S_ORGANIZER, S_SMTP, S_IMAP, S_POLICY, S_TRUST,
	S_OAUTH, S_GROUP, S_MEMBER, S_SERIES, S_GUEST, S_MILESTONE, S_POLL,
	S_SKIP
};

/* What a value may be.  Each type has exactly one parser in types[]. */
enum type {
	T_TEXT,         /* anything (control characters and bad UTF-8 never
	                 * reach a parser) */
	T_OPTIONAL,     /* anything; empty means absent (NULL) */
	T_PATH,         /* relative to the file naming it */
	T_READABLE,     /* a path to a file readable now */
	T_CREDENTIAL,   /* a path when it holds a '/', else a credential */
	T_SECRET,       /* a secret written inline: always refused */
	T_EMAIL,        /* an addr-spec, kept in lower case */
	T_INT,          /* a whole number from min to max */
	T_BOOL,         /* yes, true, 1 or no, false, 0: 1 or 0 */
	T_ENUM,         /* one of names[]: its value */
	T_LANGUAGE,     /* one of languages[] */
	T_TIMEZONE,     /* an IANA name libical knows */
	T_ID,           /* 1 to max lower-case letters, digits, '-', '_' */
	T_COUNTRY,      /* ISO 3166 alpha-2, in capitals */
	T_MONTHDAY,     /* MM-DD, kept as month * 100 + day */
	T_DATETIME,     /* local YYYY-MM-DD HH:MM */
	T_DAY,          /* local YYYY-MM-DD or YYYY-MM-DD HH:MM */
	T_RRULE,        /* an RFC 5545 rule; a leading "RRULE:" is dropped */
	T_HOSTNAME,     /* letters, digits, '-', '.', kept in lower case */
	T_DATE,         /* a day YYYY-MM-DD that the calendar has */
	T_URL,          /* http:// or https://, printable, no space, '<',
	                 * '>' nor '"'; a final '/' dropped */
};

struct name_value {
	const char *name;
	int         value;
};

/* One configuration key.  The value goes at offset off of the object of
 * its section (struct config for the global sections, struct group,
 * member or series for those of a group file): a char * or an int as its
 * type says.  A list (cap > 0) is a char ** or an int array at off with
 * its count, a size_t, at off_n. */
struct key {
	const char *name;
	enum sec    sec;
	enum type   type;
	int         required;
	size_t      off;
	size_t      off_n;
	size_t      cap;            /* most items of a list; 0: one value */
	const char *def;            /* default, parsed like a value written
	                             * in the file; NULL: zero */
	long        min, max;       /* T_INT: bounds (within int); T_ID:
	                             * most characters */
	const struct name_value *names;         /* T_ENUM */
};

/* The rows of keys[]: a key of section sec; where its value goes (AT, LIST
 * or ARRAY below); its default or NULL; the bounds of a number, the most
 * characters of an id, the names of an enum. */
#define KEY(sec, name, type, req, where, def) \
	{ name, sec, type, req, where, def, 0, 0, NULL }
#define INT(sec, name, req, where, def, lo, hi) \
	{ name, sec, T_INT, req, where, def, lo, hi, NULL }
#define ID(sec, name, req, where, most) \
	{ name, sec, T_ID, req, where, NULL, 0, most, NULL }
#define ENUM(sec, name, req, where, def, names) \
	{ name, sec, T_ENUM, req, where, def, 0, 0, names }
#define REQ 1
#define AT(st, f)       offsetof(struct st, f), 0, 0
#define LIST(st, f, n)  offsetof(struct st, f), offsetof(struct st, n), \
	MAX_LIST
#define ARRAY(st, f, n) offsetof(struct st, f), offsetof(struct st, n), \
	sizeof ((struct st *)0)->f / sizeof ((struct st *)0)->f[0]
#define NOWHERE         0, 0, 0

/* T_ENUM stores its value through an int *. */
_Static_assert(sizeof(enum role) == sizeof(int) &&
    sizeof(enum group_kind) == sizeof(int) && sizeof(enum axis) ==
    sizeof(int) && sizeof(enum meeting_kind) == sizeof(int) &&
    sizeof(enum auth) == sizeof(int) && sizeof(enum provider) == sizeof(int),
    "enum fields of the configuration are ints");
_Static_assert(sizeof(enum milestone_owner) == sizeof(int),
    "a milestone's owner is an int");

/* A language is kept as its name: the values are not used. */
static const struct name_value languages[] = {
	{ "es", 0 }, { "en", 0 }, { "pt", 0 }, { "fr", 0 }, { NULL, 0 }
};
static const struct name_value roles[] = {
	{ "ministry", ROLE_MINISTRY }, { "secretariat", ROLE_SECRETARIAT },
	{ "civil-society", ROLE_CIVIL_SOCIETY }, { "academia", ROLE_ACADEMIA },
	{ "private", ROLE_PRIVATE }, { "un-agency", ROLE_UN_AGENCY },
	{ "financing", ROLE_FINANCING }, { "subnational", ROLE_SUBNATIONAL },
	{ "subregional", ROLE_SUBREGIONAL }, { "other", ROLE_OTHER },
	{ NULL, 0 }
};
static const struct name_value group_kinds[] = {
	{ "thematic", GKIND_THEMATIC }, { "subregional", GKIND_SUBREGIONAL },
	{ "discussion", GKIND_DISCUSSION }, { NULL, 0 }
};
static const struct name_value axes[] = {
	{ "protection", AXIS_PROTECTION }, { "inclusion", AXIS_INCLUSION },
	{ "institutions", AXIS_INSTITUTIONS },
	{ "cooperation", AXIS_COOPERATION }, { NULL, 0 }
};
static const struct name_value meeting_kinds[] = {
	{ "meeting", MKIND_MEETING }, { "seminar", MKIND_SEMINAR },
	{ "workshop", MKIND_WORKSHOP }, { "virtual-visit", MKIND_VIRTUAL_VISIT },
	{ "intersectoral", MKIND_INTERSECTORAL }, { NULL, 0 }
};
static const struct name_value tls_modes[] = {
	{ "required", 1 }, { "none", 0 }, { NULL, 0 }
};
static const struct name_value imap_auths[] = {
	{ "password", AUTH_PASSWORD }, { "xoauth2", AUTH_XOAUTH2 },
	{ "oauthbearer", AUTH_OAUTHBEARER }, { NULL, 0 }
};
/* A local relay takes mail without a login. */
static const struct name_value smtp_auths[] = {
	{ "password", AUTH_PASSWORD }, { "xoauth2", AUTH_XOAUTH2 },
	{ "oauthbearer", AUTH_OAUTHBEARER }, { "none", AUTH_NONE }, { NULL, 0 }
};
static const struct name_value providers[] = {
	{ "microsoft", PROVIDER_MICROSOFT }, { "google", PROVIDER_GOOGLE },
	{ "custom", PROVIDER_CUSTOM }, { NULL, 0 }
};
/* How a series with a rule reaches its attendees (plan.h). */
static const struct name_value invitations[] = {
	{ "series", 0 }, { "occurrence", 1 }, { NULL, 0 }
};
static const struct name_value milestone_owners[] = {
	{ "coordinators", MOWNER_COORDINATORS },
	{ "secretariat", MOWNER_SECRETARIAT }, { NULL, 0 }
};
static const struct name_value disseminations[] = {
	{ "members", 0 }, { "public", 1 }, { NULL, 0 }
};
/* A group's mailing list (list.h): the values are list.h's. */
static const struct name_value list_reply_tos[] = {
	{ "list", 0 }, { "author", 1 }, { NULL, 0 }
};
static const struct name_value list_rewrites[] = {
	{ "always", 1 }, { "never", 0 }, { NULL, 0 }
};
static const struct name_value list_postings[] = {
	{ "moderated-unproven", 0 }, { "moderated", 1 }, { NULL, 0 }
};

/* What a section header opens: the object its keys fill, or NULL (after
 * a diagnostic) when the header itself is wrong. */
struct ctx;
typedef void *opener(struct ctx *, const char *header, const char *arg,
    int line);
static opener open_config, open_group, open_member, open_series, open_guest;
static opener open_milestone, open_poll;

/* Every section.  One without an argument may come once in a file; one
 * with (many, "[member ADDR]") once per argument.  The keys of a global
 * section fill struct config and take their defaults when it is made; a
 * section of a group file that makes its own object (a member, a series)
 * makes it in its opener, sets its defaults there, and has config_free()
 * release it with forget_all(). */
static const struct section {
	const char *name;
	int         global;     /* in the global file, else in group files */
	int         required;   /* a file of its kind needs it */
	int         many;       /* takes an argument */
	opener     *open;
} sections[] = {
	[S_DAEMON] =    { "daemon",    1, 0, 0, open_config },
	[S_ORGANIZER] = { "organizer", 1, 1, 0, open_config },
	[S_SMTP] =      { "smtp",      1, 1, 0, open_config },
	[S_IMAP] =      { "imap",      1, 1, 0, open_config },
	[S_POLICY] =    { "policy",    1, 0, 0, open_config },
	[S_TRUST] =     { "trust",     1, 0, 0, open_config },
	[S_OAUTH] =     { "oauth",     1, 0, 0, open_config },
	[S_GROUP] =     { "group",     0, 1, 0, open_group },
	[S_MEMBER] =    { "member",    0, 0, 1, open_member },
	[S_SERIES] =    { "series",    0, 0, 1, open_series },
	[S_GUEST] =     { "guest",     0, 0, 1, open_guest },
	[S_MILESTONE] = { "milestone", 0, 0, 1, open_milestone },
	[S_POLL] =      { "poll",      0, 0, 1, open_poll },
};

/* Every key, in the order its section reports missing ones.  convened.ini(5)
 * describes each (tests/integration/manpages.sh checks that it does). */
static const struct key keys[] = {
	KEY(S_DAEMON, "state", T_PATH, 0, AT(config, state),
	    "/var/lib/convened/state.db"),
	KEY(S_DAEMON, "repository", T_PATH, 0, AT(config, repository),
	    "/var/lib/convened/repository"),
	KEY(S_DAEMON, "groups", T_PATH, 0, AT(config, groups_dir), "groups.d"),
	KEY(S_DAEMON, "templates", T_PATH, 0, AT(config, templates),
	    CONVENED_DATADIR "/templates"),
	KEY(S_DAEMON, "timezone", T_TIMEZONE, 0, AT(config, timezone), "UTC"),
	KEY(S_DAEMON, "language", T_LANGUAGE, 0, AT(config, language), "es"),
	INT(S_DAEMON, "tick", 0, AT(config, tick), "60", 1, 86400),
	KEY(S_DAEMON, "metrics", T_PATH, 0, AT(config, metrics), NULL),
	KEY(S_DAEMON, "publish", T_TEXT, 0, AT(config, publish), NULL),
	KEY(S_DAEMON, "site_url", T_URL, 0, AT(config, site_url), NULL),

	KEY(S_ORGANIZER, "name", T_TEXT, REQ, AT(config, org_name), NULL),
	KEY(S_ORGANIZER, "email", T_EMAIL, REQ, AT(config, org_email), NULL),
	KEY(S_ORGANIZER, "verp", T_BOOL, 0, AT(config, org_verp), "yes"),

	KEY(S_SMTP, "url", T_TEXT, REQ, AT(config, smtp.url), NULL),
	KEY(S_SMTP, "username", T_TEXT, 0, AT(config, smtp.username), NULL),
	KEY(S_SMTP, "password_file", T_CREDENTIAL, 0,
	    AT(config, smtp.password_file), NULL),
	ENUM(S_SMTP, "tls", 0, AT(config, smtp.tls_required), "required",
	    tls_modes),
	KEY(S_SMTP, "password", T_SECRET, 0, NOWHERE, NULL),
	INT(S_SMTP, "timeout", 0, AT(config, smtp_timeout), "60", 1, 3600),
	INT(S_SMTP, "give_up_hours", 0, AT(config, smtp_give_up_hours), "72",
	    1, 720),
	INT(S_SMTP, "connections", 0, AT(config, smtp_connections), "2", 1,
	    SMTP_SESSIONS_MAX),
	ENUM(S_SMTP, "auth", 0, AT(config, smtp.auth), "password", smtp_auths),

	KEY(S_IMAP, "url", T_TEXT, REQ, AT(config, imap.url), NULL),
	KEY(S_IMAP, "username", T_TEXT, REQ, AT(config, imap.username), NULL),
	KEY(S_IMAP, "password_file", T_CREDENTIAL, 0,
	    AT(config, imap.password_file), NULL),
	ENUM(S_IMAP, "tls", 0, AT(config, imap.tls_required), "required",
	    tls_modes),
	KEY(S_IMAP, "password", T_SECRET, 0, NOWHERE, NULL),
	KEY(S_IMAP, "folders", T_TEXT, 0,
	    LIST(config, imap_folders, nimap_folders), "INBOX, Junk"),
	KEY(S_IMAP, "processed_folder", T_OPTIONAL, 0,
	    AT(config, imap_processed), NULL),
	KEY(S_IMAP, "quarantine_folder", T_OPTIONAL, 0,
	    AT(config, imap_quarantine), "Quarantine"),
	INT(S_IMAP, "poll", 0, AT(config, imap_poll), "120", 5, 86400),
	INT(S_IMAP, "timeout", 0, AT(config, imap_timeout), "60", 1, 3600),
	/* The parser's own cap (mime.h's MIME_MAX_SIZE) is the most. */
	INT(S_IMAP, "max_message_kb", 0, AT(config, imap_max_message_kb),
	    "10240", 64, 25600),
	ENUM(S_IMAP, "auth", 0, AT(config, imap.auth), "password", imap_auths),

	INT(S_POLICY, "annual_quota", 0, AT(config, annual_quota), "3", 1, 366),
	INT(S_POLICY, "horizon_days", 0, AT(config, horizon_days), "90", 1, 3660),
	INT(S_POLICY, "invite_lead_days", 0, AT(config, invite_lead_days), "21",
	    0, 366),
	INT(S_POLICY, "agenda_lead_days", 0, AT(config, agenda_lead_days), "7",
	    0, 366),
	INT(S_POLICY, "minutes_grace_days", 0, AT(config, minutes_grace_days),
	    "14", 0, 366),
	KEY(S_POLICY, "quota_checks", T_MONTHDAY, 0,
	    ARRAY(config, quota_checks, nquota_checks),
	    "03-31, 06-30, 09-30, 11-15"),
	KEY(S_POLICY, "admin", T_EMAIL, 0, AT(config, admin), NULL),
	INT(S_POLICY, "agenda_max_kb", 0, AT(config, agenda_max_kb), "32", 1,
	    1024),
	INT(S_POLICY, "attachment_max_kb", 0, AT(config, attachment_max_kb),
	    "5120", 1, 25600),
	INT(S_POLICY, "attachments_total_max_kb", 0,
	    AT(config, attachments_total_max_kb), "10240", 1, 25600),
	INT(S_POLICY, "presentations_lead_days", 0,
	    AT(config, presentations_lead_days), "14", 1, 366),

	/* key_file's default, beside [daemon] state, is set by check_trust(). */
	KEY(S_TRUST, "key_file", T_CREDENTIAL, 0, AT(config, trust_key_file),
	    NULL),
	KEY(S_TRUST, "tokens", T_BOOL, 0, AT(config, trust_tokens), "yes"),
	KEY(S_TRUST, "authserv_id", T_HOSTNAME, 0,
	    LIST(config, trust_authserv, ntrust_authserv), NULL),
	ENUM(S_OAUTH, "provider", 0, AT(config, oauth.provider), NULL,
	    providers),
	KEY(S_OAUTH, "tenant", T_TEXT, 0, AT(config, oauth.tenant),
	    "organizations"),
	KEY(S_OAUTH, "token_url", T_TEXT, 0, AT(config, oauth.token_url), NULL),
	KEY(S_OAUTH, "device_url", T_TEXT, 0, AT(config, oauth.device_url),
	    NULL),
	KEY(S_OAUTH, "authorize_url", T_TEXT, 0, AT(config, oauth.authorize_url),
	    NULL),
	KEY(S_OAUTH, "client_id", T_TEXT, 0, AT(config, oauth.client_id), NULL),
	KEY(S_OAUTH, "client_secret_file", T_CREDENTIAL, 0,
	    AT(config, oauth.client_secret_file), NULL),
	KEY(S_OAUTH, "client_secret", T_SECRET, 0, NOWHERE, NULL),
	KEY(S_OAUTH, "refresh_token_file", T_PATH, 0,
	    AT(config, oauth.refresh_token_file), NULL),
	KEY(S_OAUTH, "refresh_token", T_SECRET, 0, NOWHERE, NULL),
	KEY(S_OAUTH, "scope", T_TEXT, 0, AT(config, oauth.scope), NULL),
	KEY(S_OAUTH, "token_command", T_TEXT, 0, AT(config, oauth.token_command),
	    NULL),
	INT(S_OAUTH, "timeout", 0, AT(config, oauth.timeout), "60", 1, 3600),

	ID(S_GROUP, "id", REQ, AT(group, id), 64),
	KEY(S_GROUP, "name", T_TEXT, REQ, AT(group, name), NULL),
	ENUM(S_GROUP, "kind", REQ, AT(group, kind), "thematic", group_kinds),
	ENUM(S_GROUP, "axis", 0, AT(group, axis), NULL, axes),
	KEY(S_GROUP, "parent", T_TEXT, 0, AT(group, parent), NULL),
	KEY(S_GROUP, "language", T_LANGUAGE, 0, AT(group, language), NULL),
	KEY(S_GROUP, "timezone", T_TIMEZONE, 0, AT(group, timezone), NULL),
	ENUM(S_GROUP, "dissemination", 0, AT(group, public_minutes), "members",
	    disseminations),
	INT(S_GROUP, "quota", 0, AT(group, quota), NULL, 1, 366),
	KEY(S_GROUP, "list", T_EMAIL, 0, AT(group, list), NULL),
	KEY(S_GROUP, "list_guests", T_BOOL, 0, AT(group, list_guests), "no"),
	ENUM(S_GROUP, "reply_to", 0, AT(group, reply_to_author), "list",
	    list_reply_tos),
	ENUM(S_GROUP, "from_rewrite", 0, AT(group, from_rewrite), "always",
	    list_rewrites),
	ENUM(S_GROUP, "posting", 0, AT(group, posting), "moderated-unproven",
	    list_postings),

	KEY(S_MEMBER, "name", T_TEXT, REQ, AT(member, name), NULL),
	KEY(S_MEMBER, "country", T_COUNTRY, 0, AT(member, country), NULL),
	ENUM(S_MEMBER, "role", REQ, AT(member, role), "other", roles),
	KEY(S_MEMBER, "language", T_LANGUAGE, 0, AT(member, language), NULL),
	KEY(S_MEMBER, "timezone", T_TIMEZONE, 0, AT(member, timezone), NULL),
	KEY(S_MEMBER, "coordinator", T_BOOL, 0, AT(member, coordinator), "no"),
	KEY(S_MEMBER, "aliases", T_EMAIL, 0, LIST(member, aliases, naliases),
	    NULL),

	KEY(S_SERIES, "summary", T_TEXT, REQ, AT(series, summary), NULL),
	ENUM(S_SERIES, "kind", 0, AT(series, kind), "meeting", meeting_kinds),
	KEY(S_SERIES, "start", T_DATETIME, REQ, AT(series, start), NULL),
	INT(S_SERIES, "duration", REQ, AT(series, duration), "60", 1, 1440),
	KEY(S_SERIES, "rrule", T_RRULE, 0, AT(series, rrule), NULL),
	KEY(S_SERIES, "exdate", T_DAY, 0, LIST(series, exdate, nexdate), NULL),
	KEY(S_SERIES, "timezone", T_TIMEZONE, 0, AT(series, timezone), NULL),
	KEY(S_SERIES, "location", T_TEXT, 0, AT(series, location), NULL),
	KEY(S_SERIES, "open", T_BOOL, 0, AT(series, open), "no"),
	KEY(S_SERIES, "guests", T_EMAIL, 0, LIST(series, guests, nguests), NULL),
	KEY(S_SERIES, "agenda", T_READABLE, 0, AT(series, agenda), NULL),
	ENUM(S_SERIES, "invitation", 0, AT(series, per_occurrence), "series",
	    invitations),
	INT(S_SERIES, "presentations", 0, AT(series, presentations), "0", 0,
	    PRESENT_SLOTS_MAX),
	INT(S_SERIES, "seats", 0, AT(series, seats), "0", 0, 10000),
	KEY(S_SERIES, "announce", T_EMAIL, 0, LIST(series, announce, nannounce),
	    NULL),

	KEY(S_GUEST, "name", T_TEXT, 0, AT(guest, name), NULL),
	KEY(S_GUEST, "language", T_LANGUAGE, 0, AT(guest, language), NULL),
	KEY(S_GUEST, "timezone", T_TIMEZONE, 0, AT(guest, timezone), NULL),

	KEY(S_MILESTONE, "summary", T_TEXT, 0, AT(milestone, summary), NULL),
	KEY(S_MILESTONE, "due", T_DATE, REQ, AT(milestone, due), NULL),
	ENUM(S_MILESTONE, "owner", 0, AT(milestone, owner), "coordinators",
	    milestone_owners),
	INT(S_MILESTONE, "lead_days", 0, AT(milestone, lead_days), "14", 0,
	    366),

	KEY(S_POLL, "summary", T_TEXT, 0, AT(poll, summary), NULL),
	ENUM(S_POLL, "kind", 0, AT(poll, kind), "meeting", meeting_kinds),
	INT(S_POLL, "duration", REQ, AT(poll, duration), "60", 1, 1440),
	KEY(S_POLL, "timezone", T_TIMEZONE, 0, AT(poll, timezone), NULL),
	KEY(S_POLL, "location", T_TEXT, 0, AT(poll, location), NULL),
	KEY(S_POLL, "candidates", T_DATETIME, REQ, LIST(poll, candidates,
	    ncandidates), NULL),
	KEY(S_POLL, "closes", T_DATE, REQ, AT(poll, closes), NULL),
};

#define NKEYS (sizeof keys / sizeof keys[0])

struct ctx {
	struct config  *cfg;
	struct diag    *d;
	const char     *file;
	FILE           *fp;
	int             lineno;         /* line last handed to inih */
	int             continuation;   /* that line was an indented value */
	int             global;         /* the global file, not a group file */
	unsigned long long digest;      /* of the lines read so far */
	struct stat     st;             /* of the file, before reading */
	size_t          groups_cap;     /* slots of cfg->groups */

	enum sec        sec;
	char           *secname;        /* "member ana@x", for messages */
	int             secline;
	void           *obj;            /* what the section's keys fill */
	int             seen[NKEYS];    /* line where each key was set, or 0 */
	int             seen_sec[S_SKIP + 1];

	struct group   *group;          /* group file being read */
	/* [daemon] timezone, taken unchecked while tz_later: asking libical
	 * loads it, which an idle `once` otherwise never does.  A groups'
	 * cache written for these very bytes of the global file says they
	 * were checked then; without one it is checked (tz_check()). */
	int             tz_later;
	int             tz_line;        /* where it was taken, or 0 */
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
	strv_free(d->notes, d->nnotes);
	diag_init(d);
}

static char *
diag_vformat(const char *file, int line, const char *what, const char *fmt,
    va_list ap)
{
	char *msg, *text;

	msg = xvasprintf(fmt, ap);
	text = xasprintf("%s:%d: %s%s", file, line, what, msg);
	free(msg);
	return text;
}

void
diag_add(struct diag *d, int is_error, const char *file, int line,
    const char *fmt, ...)
{
	va_list ap;

	d->text = xreallocarray(d->text, d->n + 1, sizeof *d->text);
	d->is_error = xreallocarray(d->is_error, d->n + 1, sizeof *d->is_error);
	va_start(ap, fmt);
	d->text[d->n] = diag_vformat(file, line, is_error ? "" : "warning: ",
	    fmt, ap);
	va_end(ap);
	d->is_error[d->n] = is_error;
	d->n++;
	if (is_error)
		d->nerrors++;
	else
		d->nwarnings++;
}

void
diag_note(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	if (d->no_notes)
		return;
	d->notes = xreallocarray(d->notes, d->nnotes + 1, sizeof *d->notes);
	va_start(ap, fmt);
	d->notes[d->nnotes++] = diag_vformat(file, line, "", fmt, ap);
	va_end(ap);
}

#define ERR(c, ...)  diag_add((c)->d, 1, (c)->file, (c)->lineno, __VA_ARGS__)

/* ---- types: one parser each --------------------------------------------- */

/* A parsed value: text (allocated) or a number, as the type keeps it. */
struct value {
	char       *s;
	int         i;
};

typedef int parser(struct ctx *, const struct key *, const char *,
    struct value *);

static const struct name_value *
lookup(const struct name_value *names, const char *v)
{
	for (; names->name != NULL; names++)
		if (strcmp(names->name, v) == 0)
			return names;
	return NULL;
}

/* "a, b or c"; with one_of and more than two names "one of a | b | c",
 * as the messages have always read. */
static char *
join_names(const struct name_value *names, int one_of)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t n = 0, i;

	while (names[n].name != NULL)
		n++;
	one_of = one_of && n > 2;
	if (one_of)
		buf_adds(&b, "one of ");
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_adds(&b, one_of ? " | " : i + 1 < n ? ", " : " or ");
		buf_adds(&b, names[i].name);
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

/* A path in the configuration is taken relative to the directory of the
 * file naming it.  A file named without a directory ("-c convened.ini")
 * is in the current one, where v as written already points. */
static char *
resolve_path(const char *file, const char *v)
{
	const char *slash;

	if (v[0] == '/' || (slash = strrchr(file, '/')) == NULL)
		return xstrdup(v);
	while (v[0] == '.' && v[1] == '/')
		v += 2;
	return xasprintf("%.*s/%s", (int)(slash - file), file, v);
}

/* password_file names a systemd credential when it has no '/', a file
 * when it has one; resolve_path() keeps the '/' of a path. */
static int
is_credential(const char *password_file)
{
	return strchr(password_file, '/') == NULL;
}

static int
parse_text(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	(void)c;
	(void)k;
	out->s = xstrdup(v);
	return 0;
}

static int
parse_optional(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	(void)c;
	(void)k;
	out->s = *v != '\0' ? xstrdup(v) : NULL;
	return 0;
}

static int
parse_path(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	(void)k;
	out->s = resolve_path(c->file, v);
	return 0;
}

static int
parse_readable(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	char *path = resolve_path(c->file, v);

	if (access(path, R_OK) == -1) {
		ERR(c, "cannot read %s file %s: %s", k->name, path,
		    strerror(errno));
		free(path);
		return -1;
	}
	out->s = path;
	return 0;
}

static int
parse_credential(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	(void)k;
	out->s = is_credential(v) ? xstrdup(v) : resolve_path(c->file, v);
	return 0;
}

static int
parse_secret(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	(void)v;
	(void)out;
	ERR(c, "[%s] %s written inline: put it in a file of mode 0600 (or a "
	    "systemd credential) and name it with %s_file",
	    sections[k->sec].name, k->name, k->name);
	return -1;
}

static int
parse_email(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	if (!addr_valid(v)) {
		ERR(c, "%s: malformed e-mail address '%s'", k->name, v);
		return -1;
	}
	out->s = xstrdup(v);
	str_lower(out->s);
	return 0;
}

static int
parse_int(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(v, &end, 10);
	if (*v == '\0' || *end != '\0' || errno != 0 || n < k->min ||
	    n > k->max) {
		ERR(c, "%s must be a whole number from %ld to %ld, not '%s'",
		    k->name, k->min, k->max, v);
		return -1;
	}
	out->i = (int)n;
	return 0;
}

static int
parse_bool(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	if (str_caseeq(v, "yes") || str_caseeq(v, "true") || strcmp(v, "1") == 0)
		out->i = 1;
	else if (str_caseeq(v, "no") || str_caseeq(v, "false") ||
	    strcmp(v, "0") == 0)
		out->i = 0;
	else {
		ERR(c, "%s must be yes or no, not '%s'", k->name, v);
		return -1;
	}
	return 0;
}

static int
parse_enum(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	const struct name_value *e = lookup(k->names, v);
	char *all;

	if (e == NULL) {
		all = join_names(k->names, 1);
		ERR(c, "%s must be %s, not '%s'", k->name, all, v);
		free(all);
		return -1;
	}
	out->i = e->value;
	return 0;
}

static int
parse_language(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	char *all;

	if (lookup(languages, v) == NULL) {
		all = join_names(languages, 0);
		ERR(c, "%s must be %s, not '%s'", k->name, all, v);
		free(all);
		return -1;
	}
	out->s = xstrdup(v);
	return 0;
}

static void
tz_unknown(struct ctx *c, int line, const char *v)
{
	diag_add(c->d, 1, c->file, line, "unknown time zone '%s' (an IANA "
	    "name such as America/Santiago)", v);
}

static int
parse_timezone(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	(void)k;
	if (c->tz_later && c->sec == S_DAEMON)
		c->tz_line = c->lineno;
	else if (!ical_tz_known(v)) {
		tz_unknown(c, c->lineno, v);
		return -1;
	}
	out->s = xstrdup(v);
	return 0;
}

/* The time zone taken unchecked, checked now. */
static void
tz_check(struct ctx *c)
{
	if (c->tz_line != 0 && !ical_tz_known(c->cfg->timezone))
		tz_unknown(c, c->tz_line, c->cfg->timezone);
	c->tz_line = 0;
}

static int
parse_id(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	if (!valid_id(v, (size_t)k->max)) {
		ERR(c, "%s %s must be 1 to %ld lower-case letters, digits, '-' "
		    "or '_', not '%s'", sections[k->sec].name, k->name, k->max, v);
		return -1;
	}
	out->s = xstrdup(v);
	return 0;
}

static int
parse_country(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	if (strlen(v) != 2 || !isupper((unsigned char)v[0]) ||
	    !isupper((unsigned char)v[1])) {
		ERR(c, "%s must be a two-letter code such as UY, not '%s'",
		    k->name, v);
		return -1;
	}
	out->s = xstrdup(v);
	return 0;
}

static int
parse_monthday(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	int m, d;

	if (strlen(v) != 5 || v[2] != '-' || !isdigit((unsigned char)v[0]) ||
	    !isdigit((unsigned char)v[1]) || !isdigit((unsigned char)v[3]) ||
	    !isdigit((unsigned char)v[4]) ||
	    sscanf(v, "%2d-%2d", &m, &d) != 2 || m < 1 || m > 12 || d < 1 ||
	    d > mdays[m - 1] || (m == 2 && d == 29)) {
		ERR(c, "%s: '%s' is not a date MM-DD (29 February is refused: "
		    "it comes once in four years)", k->name, v);
		return -1;
	}
	out->i = m * 100 + d;
	return 0;
}

static int
parse_datetime(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	struct ical_local lt;

	if (ical_parse_local(v, 0, &lt) == -1) {
		ERR(c, "%s must be a local date and time YYYY-MM-DD HH:MM, "
		    "not '%s'", k->name, v);
		return -1;
	}
	out->s = xstrdup(v);
	return 0;
}

static int
parse_day(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	struct ical_local lt;

	if (ical_parse_local(v, 1, &lt) == -1) {
		ERR(c, "%s '%s' is not YYYY-MM-DD or YYYY-MM-DD HH:MM", k->name,
		    v);
		return -1;
	}
	out->s = xstrdup(v);
	return 0;
}

static int
parse_rrule(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	char *err = NULL;

	if (strncasecmp(v, "RRULE:", 6) == 0)
		v += 6;
	if (ical_rrule_check(v, &err) == -1) {
		ERR(c, "%s '%s': %s", k->name, v, err);
		free(err);
		return -1;
	}
	out->s = xstrdup(v);
	return 0;
}

/* An authserv-id as MTAs write theirs (RFC 8601 allows any token; a
 * host name is what Gmail, Postfix's milters and Exim put there). */
static int
parse_hostname(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	size_t n = strlen(v);

	if (n == 0 || n > 253 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-.") != n) {
		ERR(c, "%s must be host names (letters, digits, '-' and '.'), "
		    "not '%s'", k->name, v);
		return -1;
	}
	out->s = xstrdup(v);
	str_lower(out->s);
	return 0;
}

/* A web address that goes into mail headers (List-Archive: <...>) as it
 * is: nothing in it may end the header's angle brackets or the line. */
static int
parse_url(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	size_t n = strlen(v), i, scheme = strncmp(v, "https://", 8) == 0 ? 8 :
	    strncmp(v, "http://", 7) == 0 ? 7 : 0;

	for (i = 0; scheme != 0 && i < n; i++)
		if ((unsigned char)v[i] <= ' ' || (unsigned char)v[i] >= 0x7f ||
		    strchr("<>\"\\", v[i]) != NULL)
			break;
	if (scheme == 0 || n <= scheme || i < n || n > 1000) {
		ERR(c, "%s must be an http:// or https:// address of printable "
		    "ASCII without spaces, '<', '>' or '\"', not '%s'", k->name,
		    v);
		return -1;
	}
	out->s = xstrdup(v);
	if (out->s[n - 1] == '/')
		out->s[n - 1] = '\0';
	return 0;
}

/* A day alone: a milestone is due on a date, not at a time.  Years
 * before 1970 or past 9999 are an administrator's slip. */
static int
parse_date(struct ctx *c, const struct key *k, const char *v,
    struct value *out)
{
	struct ical_local lt;

	if (strlen(v) != 10 || ical_parse_local(v, 1, &lt) == -1 ||
	    !lt.is_date || lt.year < 1970) {
		ERR(c, "%s must be a date YYYY-MM-DD, not '%s'", k->name, v);
		return -1;
	}
	out->s = xstrdup(v);
	return 0;
}

enum keeps { V_NONE, V_INT, V_TEXT };

static const struct {
	parser     *parse;
	enum keeps  store;      /* what it keeps: an int, a char * */
	const char *items;      /* what a list of it holds too many of */
} types[] = {
	[T_TEXT] =       { parse_text,       V_TEXT, "entries" },
	[T_OPTIONAL] =   { parse_optional,   V_TEXT, "entries" },
	[T_PATH] =       { parse_path,       V_TEXT, "entries" },
	[T_READABLE] =   { parse_readable,   V_TEXT, "entries" },
	[T_CREDENTIAL] = { parse_credential, V_TEXT, "entries" },
	[T_SECRET] =     { parse_secret,     V_NONE, "entries" },
	[T_EMAIL] =      { parse_email,      V_TEXT, "entries" },
	[T_INT] =        { parse_int,        V_INT,  "entries" },
	[T_BOOL] =       { parse_bool,       V_INT,  "entries" },
	[T_ENUM] =       { parse_enum,       V_INT,  "entries" },
	[T_LANGUAGE] =   { parse_language,   V_TEXT, "entries" },
	[T_TIMEZONE] =   { parse_timezone,   V_TEXT, "entries" },
	[T_ID] =         { parse_id,         V_TEXT, "entries" },
	[T_COUNTRY] =    { parse_country,    V_TEXT, "entries" },
	[T_MONTHDAY] =   { parse_monthday,   V_INT,  "dates" },
	[T_DATETIME] =   { parse_datetime,   V_TEXT, "entries" },
	[T_DAY] =        { parse_day,        V_TEXT, "entries" },
	[T_RRULE] =      { parse_rrule,      V_TEXT, "entries" },
	[T_HOSTNAME] =   { parse_hostname,   V_TEXT, "entries" },
	[T_DATE] =       { parse_date,       V_TEXT, "entries" },
	[T_URL] =        { parse_url,        V_TEXT, "entries" },
};

/* ---- values into their objects ----------------------------------------- */

static void *
field(void *obj, size_t off)
{
	return (char *)obj + off;
}

/* Each item of a comma-separated value parsed and appended; a bad item
 * is reported and skipped, the rest still count. */
static void
store_list(struct ctx *c, const struct key *k, void *obj, const char *v)
{
	size_t *n = field(obj, k->off_n), nitems = 0, i;
	char **items = NULL;
	struct value val;

	str_split_list(v, &items, &nitems);
	for (i = 0; i < nitems; i++) {
		memset(&val, 0, sizeof val);
		if (types[k->type].parse(c, k, items[i], &val) == -1)
			continue;
		if (*n >= k->cap) {
			ERR(c, "%s: more than %zu %s", k->name, k->cap,
			    types[k->type].items);
			free(val.s);
			break;
		}
		if (types[k->type].store == V_INT)
			((int *)field(obj, k->off))[(*n)++] = val.i;
		else {
			char ***list = field(obj, k->off);

			*list = xreallocarray(*list, *n + 1, sizeof **list);
			(*list)[(*n)++] = val.s;
		}
	}
	strv_free(items, nitems);
}

static void
store(struct ctx *c, const struct key *k, void *obj, const char *v)
{
	struct value val = { NULL, 0 };

	if (k->cap > 0)
		store_list(c, k, obj, v);
	else if (types[k->type].parse(c, k, v, &val) == -1)
		return;
	else if (types[k->type].store == V_INT)
		*(int *)field(obj, k->off) = val.i;
	else if (types[k->type].store == V_TEXT) {
		free(*(char **)field(obj, k->off));
		*(char **)field(obj, k->off) = val.s;
	}
}

/* Free what a key holds in obj and make it empty. */
static void
forget(const struct key *k, void *obj)
{
	char ***list;

	if (k->cap > 0) {
		if (types[k->type].store == V_TEXT) {
			list = field(obj, k->off);
			strv_free(*list, *(size_t *)field(obj, k->off_n));
			*list = NULL;
		}
		*(size_t *)field(obj, k->off_n) = 0;
	} else if (types[k->type].store == V_TEXT) {
		free(*(char **)field(obj, k->off));
		*(char **)field(obj, k->off) = NULL;
	}
}

/* Defaults go in when the object of a section is made, so that they hold
 * whether or not the section is written. */
static void
set_defaults(struct ctx *c, enum sec sec, void *obj)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].sec == sec && keys[i].def != NULL)
			store(c, &keys[i], obj, keys[i].def);
}

static void kept_find(void);
static const struct key *kept_keys[S_SKIP + 1][NKEYS];
static size_t nkept_keys[S_SKIP + 1];

static void
forget_all(enum sec sec, void *obj)
{
	size_t i;

	kept_find();
	for (i = 0; i < nkept_keys[sec]; i++)
		forget(kept_keys[sec][i], obj);
}

/* ---- sections ---------------------------------------------------------- */

static void *
open_config(struct ctx *c, const char *header, const char *arg, int line)
{
	(void)header;
	(void)arg;
	(void)line;
	return c->cfg;
}

static void *
open_group(struct ctx *c, const char *header, const char *arg, int line)
{
	(void)header;
	(void)arg;
	c->group->line = line;
	return c->group;
}

/* The header of a [member ADDR] or [guest ADDR] section: a valid address
 * not given before in the group (old_email, first at old_line, when it
 * was).  1, or 0 when reported. */
static int
person_header_ok(struct ctx *c, const char *header, const char *arg,
    int line, const char *what, const char *old_email, int old_line)
{
	if (!addr_valid(arg)) {
		diag_add(c->d, 1, c->file, line,
		    "[%s]: malformed e-mail address '%s'", header, arg);
		return 0;
	}
	if (old_email != NULL) {
		diag_add(c->d, 1, c->file, line, "%s %s given twice in the "
		    "group (first at line %d)", what, old_email, old_line);
		return 0;
	}
	return 1;
}

static void *
open_member(struct ctx *c, const char *header, const char *arg, int line)
{
	struct group *g = c->group;
	const struct member *old = config_member(g, arg);
	struct member *m;

	if (!person_header_ok(c, header, arg, line, "member",
	    old ? old->email : NULL, old ? old->line : 0))
		return NULL;
	g->members = xreallocarray(g->members, g->nmembers + 1,
	    sizeof *g->members);
	m = &g->members[g->nmembers++];
	memset(m, 0, sizeof *m);
	m->email = xstrdup(arg);
	str_lower(m->email);
	m->line = line;
	set_defaults(c, S_MEMBER, m);
	return m;
}

static void *
open_series(struct ctx *c, const char *header, const char *arg, int line)
{
	struct group *g = c->group;
	const struct series *old;
	struct series *s;

	/* The name goes into UIDs and Message-IDs: keep it plain. */
	if (!valid_id(arg, 64)) {
		diag_add(c->d, 1, c->file, line, "[%s]: series name must be "
		    "lower-case letters, digits, '-' or '_'", header);
		return NULL;
	}
	if ((old = config_series(g, arg)) != NULL) {
		diag_add(c->d, 1, c->file, line, "series %s given twice in the "
		    "group (first at line %d)", arg, old->line);
		return NULL;
	}
	g->series = xreallocarray(g->series, g->nseries + 1,
	    sizeof *g->series);
	s = &g->series[g->nseries++];
	memset(s, 0, sizeof *s);
	s->name = xstrdup(arg);
	s->line = line;
	set_defaults(c, S_SERIES, s);
	return s;
}

static void *
open_guest(struct ctx *c, const char *header, const char *arg, int line)
{
	struct group *g = c->group;
	const struct guest *old = config_guest(g, arg);
	struct guest *gu;

	if (!person_header_ok(c, header, arg, line, "guest",
	    old ? old->email : NULL, old ? old->line : 0))
		return NULL;
	g->guests = xreallocarray(g->guests, g->nguests + 1,
	    sizeof *g->guests);
	gu = &g->guests[g->nguests++];
	memset(gu, 0, sizeof *gu);
	gu->email = xstrdup(arg);
	str_lower(gu->email);
	gu->line = line;
	set_defaults(c, S_GUEST, gu);
	return gu;
}

/* [milestone NAME]: the name goes into notice keys and the report, so it
 * is kept plain like a series' name. */
static void *
open_milestone(struct ctx *c, const char *header, const char *arg, int line)
{
	struct group *g = c->group;
	const struct milestone *old;
	struct milestone *ms;

	if (!valid_id(arg, 64)) {
		diag_add(c->d, 1, c->file, line, "[%s]: milestone name must be "
		    "1 to 64 lower-case letters, digits, '-' or '_'", header);
		return NULL;
	}
	if ((old = config_milestone(g, arg)) != NULL) {
		diag_add(c->d, 1, c->file, line, "milestone %s given twice in "
		    "the group (first at line %d)", arg, old->line);
		return NULL;
	}
	g->milestones = xreallocarray(g->milestones, g->nmilestones + 1,
	    sizeof *g->milestones);
	ms = &g->milestones[g->nmilestones++];
	memset(ms, 0, sizeof *ms);
	ms->name = xstrdup(arg);
	ms->line = line;
	set_defaults(c, S_MILESTONE, ms);
	return ms;
}

/* [poll NAME]: the name becomes the chosen meeting's series name
 * (poll.h), so it is kept as plain as one. */
static void *
open_poll(struct ctx *c, const char *header, const char *arg, int line)
{
	struct group *g = c->group;
	const struct poll *old;
	struct poll *p;

	if (!valid_id(arg, 64)) {
		diag_add(c->d, 1, c->file, line, "[%s]: poll name must be 1 to "
		    "64 lower-case letters, digits, '-' or '_'", header);
		return NULL;
	}
	if ((old = config_poll(g, arg)) != NULL) {
		diag_add(c->d, 1, c->file, line, "poll %s given twice in the "
		    "group (first at line %d)", arg, old->line);
		return NULL;
	}
	g->polls = xreallocarray(g->polls, g->npolls + 1, sizeof *g->polls);
	p = &g->polls[g->npolls++];
	memset(p, 0, sizeof *p);
	p->name = xstrdup(arg);
	p->line = line;
	set_defaults(c, S_POLL, p);
	return p;
}

/* Called at every section header and at end of file: the section that
 * ends is checked for required keys before the next one starts. */
static void
section_end(struct ctx *c)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].sec == c->sec && keys[i].required && c->seen[i] == 0)
			diag_add(c->d, 1, c->file, c->secline,
			    "[%s]: missing required key '%s'", c->secname,
			    keys[i].name);
	free(c->secname);
	c->secname = NULL;
	c->sec = S_NONE;
	c->obj = NULL;
	memset(c->seen, 0, sizeof c->seen);
}

static void
section_start(struct ctx *c, const char *name, int line)
{
	const struct section *s;
	size_t len;
	int i;

	section_end(c);
	c->secname = xstrdup(name);
	c->secline = line;
	c->sec = S_SKIP;
	for (i = S_NONE + 1; i < S_SKIP; i++) {
		s = &sections[i];
		len = strlen(s->name);
		if (s->global != c->global || strncmp(name, s->name, len) != 0 ||
		    name[len] != (s->many ? ' ' : '\0'))
			continue;
		if (!s->many && c->seen_sec[i]) {
			diag_add(c->d, 1, c->file, line,
			    "section [%s] given twice (first at line %d)", name,
			    c->seen_sec[i]);
			return;
		}
		if (!s->many)
			c->seen_sec[i] = line;
		if ((c->obj = s->open(c, name, name + len + strspn(name + len,
		    " "), line)) != NULL)
			c->sec = (enum sec)i;
		return;
	}
	diag_add(c->d, 1, c->file, line, "unknown section [%s]", name);
}

/* The required sections of this kind of file that it lacks, reported at
 * line; returns how many. */
static int
missing_sections(struct ctx *c, int line)
{
	int i, n = 0;

	for (i = S_NONE + 1; i < S_SKIP; i++)
		if (sections[i].global == c->global && sections[i].required &&
		    c->seen_sec[i] == 0) {
			diag_add(c->d, 1, c->file, line, "missing section [%s]",
			    sections[i].name);
			n++;
		}
	return n;
}

/* ---- keys -------------------------------------------------------------- */

static const struct key *
key_find(enum sec sec, const char *name)
{
	size_t i;

	for (i = 0; i < NKEYS; i++)
		if (keys[i].sec == sec && strcmp(keys[i].name, name) == 0)
			return &keys[i];
	return NULL;
}

/* May this line set k?  Once per section, or as often as wanted and on
 * continued lines for a list; text only, in UTF-8. */
static int
key_admit(struct ctx *c, const struct key *k, const char *v)
{
	int *seen = &c->seen[k - keys];

	if (c->continuation) {
		if (k->cap == 0) {
			ERR(c, "indented line continues '%s', which takes one "
			    "value", k->name);
			return -1;
		}
	} else if (*seen != 0 && k->cap == 0) {
		ERR(c, "key '%s' given twice in [%s] (first at line %d)", k->name,
		    c->secname, *seen);
		return -1;
	} else if (*seen == 0)
		*seen = c->lineno;
	if (str_has_ctl(v)) {
		ERR(c, "'%s' holds a control character", k->name);
		return -1;
	}
	if (!str_is_utf8(v)) {
		ERR(c, "'%s' is not valid UTF-8", k->name);
		return -1;
	}
	return 0;
}

static int
handler(void *user, const char *section, const char *name, const char *v)
{
	struct ctx *c = user;
	const struct key *k;

	(void)section;
	if (c->sec == S_SKIP)
		return 1;               /* the header was reported already */
	if (c->sec == S_NONE) {
		ERR(c, "key '%s' outside any section", name);
		return 1;
	}
	if ((k = key_find(c->sec, name)) == NULL) {
		ERR(c, "unknown key '%s' in [%s]", name, c->secname);
		return 1;
	}
	if (key_admit(c, k, v) == -1)
		return 1;
	/* The first line of a list replaces its default; later ones add. */
	if (k->cap > 0 && !c->continuation && c->seen[k - keys] == c->lineno)
		forget(k, c->obj);
	store(c, k, c->obj, v);
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
	c->digest = util_fnv64(c->digest, line, (size_t)len);
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
			c->sec = S_SKIP;
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
	c->digest = UTIL_FNV64;
	c->sec = S_NONE;
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
		c->st = st;
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

/* The file a secret is read from: file itself when it is a path, else
 * the credential of that name under $CREDENTIALS_DIRECTORY.  what is
 * the kind of secret, for *err.  Returns a path the caller frees, or
 * NULL with *err set (caller frees) when there is no file or the
 * credential cannot be found without systemd. */
static char *
secret_path(const char *file, const char *what, char **err)
{
	const char *cred = getenv("CREDENTIALS_DIRECTORY");

	if (file == NULL) {
		*err = xasprintf("no %s file configured", what);
		return NULL;
	}
	if (!is_credential(file))
		return xstrdup(file);
	if (cred == NULL) {
		*err = xasprintf("%s credential %s: CREDENTIALS_DIRECTORY "
		    "is not set (LoadCredential= in the unit)", what, file);
		return NULL;
	}
	return xasprintf("%s/%s", cred, file);
}

/* The URL as libcurl will read it: a scheme of the section, with
 * tls = none a loopback host only, and no login in it (username and
 * password_file say that, and a '@' can hide the real host:
 * smtp://localhost:x@attacker.example). */
static void
check_url(struct ctx *c, enum sec sec, const struct endpoint *e,
    const char *plain, const char *tls)
{
	const char *name = sections[sec].name;
	int line = c->seen_sec[sec];
	struct net_url u;
	char *err = NULL;

	if (e->url == NULL)
		return;
	if (net_url_parse(e->url, &u, &err) == -1) {
		diag_add(c->d, 1, c->file, line, "[%s] url is not a URL (%s): "
		    "it must be %s://HOST[:PORT] or %s://HOST[:PORT]", name, err,
		    plain, tls);
		free(err);
		return;
	}
	if (strcmp(u.scheme, plain) != 0 && strcmp(u.scheme, tls) != 0)
		diag_add(c->d, 1, c->file, line, "[%s] url must start with "
		    "%s:// or %s://", name, plain, tls);
	else if (!e->tls_required && !u.loopback)
		diag_add(c->d, 1, c->file, line, "[%s] tls = none is allowed "
		    "only for a loopback host", name);
	if (u.login)
		diag_add(c->d, 1, c->file, line, "[%s] url holds a user name or "
		    "password: give them with username and password_file", name);
	net_url_free(&u);
}

/* A file fit to hold a secret: a regular file only we can read.  NULL,
 * or why not (caller frees). */
static char *
secret_file_unfit(const char *path, const char *what)
{
	struct stat st;

	if (stat(path, &st) == -1)
		return xasprintf("cannot read %s file %s: %s", what, path,
		    strerror(errno));
	if (!S_ISREG(st.st_mode))
		return xasprintf("%s file %s is not a regular file", what, path);
	if (st.st_mode & 077)
		return xasprintf("%s file %s is readable by group or others "
		    "(mode %04o): chmod 600 it", what, path,
		    (unsigned)(st.st_mode & 07777));
	if (access(path, R_OK) == -1)
		return xasprintf("cannot read %s file %s: %s", what, path,
		    strerror(errno));
	return NULL;
}

/* Where a secret is read, said once for `check` ("[sec] key: ..."), and
 * a file fit to hold one (secret_file_unfit).  what names the secret
 * ("password").  A path that does not exist is an error, or with
 * made_later only said: the daemon makes it (the reply-token key, which
 * lives with the state database, where `status` may run as a user who
 * cannot read it: that is said too, not refused). */
static void
check_secret(struct ctx *c, enum sec sec, const char *key, const char *file,
    const char *what, int made_later)
{
	const char *name = sections[sec].name;
	int line = c->seen_sec[sec] ? c->seen_sec[sec] : 1;
	char *path, *err = NULL;
	struct stat st;

	/* A systemd credential is only checkable under systemd. */
	if ((path = secret_path(file, what, &err)) == NULL) {
		diag_note(c->d, c->file, line, "[%s] %s: systemd credential %s "
		    "(not checked: CREDENTIALS_DIRECTORY is not set)", name, key,
		    file);
		free(err);
		return;
	}
	if (made_later && !is_credential(file) && (lstat(path, &st) == -1 ?
	    errno == ENOENT || errno == EACCES : access(path, R_OK) == -1 &&
	    errno == EACCES && !(st.st_mode & 077))) {
		diag_note(c->d, c->file, line, "[%s] %s: file %s (%s)", name, key,
		    path, errno == ENOENT ? "not there yet: the daemon creates "
		    "it when it starts" : "not checked: this user cannot read "
		    "it, the daemon's must");
		free(path);
		return;
	}
	diag_note(c->d, c->file, line, "[%s] %s: %s %s", name, key,
	    is_credential(file) ? "systemd credential" : "file",
	    is_credential(file) ? file : path);
	if ((err = secret_file_unfit(path, what)) != NULL) {
		diag_add(c->d, 1, c->file, line, "[%s] %s", name, err);
		free(err);
	}
	free(path);
}

/* How an account signs in, said once for `check`, and what that needs:
 * a password file for a password with a user name, a user name and no
 * password for a token, nothing at all for none. */
static void
check_login(struct ctx *c, enum sec sec, const struct endpoint *e)
{
	const char *name = sections[sec].name;
	int line = c->seen_sec[sec];

	if (e->auth == AUTH_NONE) {
		if (e->username != NULL || e->password_file != NULL)
			diag_add(c->d, 1, c->file, line, "[%s] auth = none takes "
			    "no username or password_file", name);
		diag_note(c->d, c->file, line, "[%s] auth: none, no "
		    "authentication", name);
		return;
	}
	if (CONFIG_AUTH_OAUTH(e->auth)) {
		if (e->username == NULL)
			diag_add(c->d, 1, c->file, line, "[%s] auth = %s needs "
			    "username (the mailbox the token is for)", name,
			    config_auth_name(e->auth));
		if (e->password_file != NULL)
			diag_add(c->d, 0, c->file, line, "[%s] password_file is "
			    "not used with auth = %s", name,
			    config_auth_name(e->auth));
		diag_note(c->d, c->file, line, "[%s] auth: %s, access token "
		    "from [oauth]", name, config_auth_name(e->auth));
		return;
	}
	if (e->password_file == NULL) {
		if (e->username != NULL)
			diag_add(c->d, 1, c->file, line, "[%s] username given "
			    "without password_file", name);
		diag_note(c->d, c->file, line, "[%s] password_file: none, no "
		    "authentication", name);
		return;
	}
	check_secret(c, sec, "password_file", e->password_file, "password", 0);
}

/* [trust]: the key beside the state database unless named, and what
 * tokens ask of the mailbox. */
static void
check_trust(struct ctx *c)
{
	struct config *cfg = c->cfg;
	const char *slash, *at;
	int line = c->seen_sec[S_TRUST] ? c->seen_sec[S_TRUST] : 1;

	/* Always a path: a state database named without a directory is in
	 * the current one. */
	if (cfg->trust_key_file == NULL) {
		slash = strrchr(cfg->state, '/');
		cfg->trust_key_file = slash == NULL ?
		    xstrdup("./" TOKEN_KEY_FILE) :
		    xasprintf("%.*s/" TOKEN_KEY_FILE,
		    (int)(slash - cfg->state), cfg->state);
	}
	check_secret(c, S_TRUST, "key_file", cfg->trust_key_file,
	    "reply-token key", 1);
	if (!cfg->trust_tokens || cfg->org_email == NULL ||
	    (at = strrchr(cfg->org_email, '@')) == NULL)
		return;
	if (memchr(cfg->org_email, '+', (size_t)(at - cfg->org_email)) != NULL)
		diag_add(c->d, 1, c->file, line, "[trust] tokens = yes needs an "
		    "[organizer] email without '+': tokens are added after one");
	else if (at - cfg->org_email + 1 + TOKEN_LEN > 64)
		diag_add(c->d, 1, c->file, line, "[trust] tokens = yes needs an "
		    "[organizer] email whose local part has at most %d "
		    "characters (a token adds %d)", 64 - 1 - TOKEN_LEN,
		    1 + TOKEN_LEN);
	else
		diag_note(c->d, c->file, line, "[trust] tokens: the mailbox "
		    "%s must accept %.*s+anything@%s (plus addressing)",
		    cfg->org_email, (int)(at - cfg->org_email), cfg->org_email,
		    at + 1);
}

/* [organizer] verp: what the envelope sender asks of the mailbox, and
 * when it cannot be made (then mail goes from the plain address). */
static void
check_verp(struct ctx *c)
{
	struct config *cfg = c->cfg;
	const char *at;
	int line = c->seen_sec[S_ORGANIZER] ? c->seen_sec[S_ORGANIZER] : 1;

	if (!cfg->org_verp || cfg->org_email == NULL ||
	    (at = strrchr(cfg->org_email, '@')) == NULL)
		return;
	if (memchr(cfg->org_email, '+', (size_t)(at - cfg->org_email)) != NULL)
		diag_add(c->d, 0, c->file, line, "[organizer] verp = yes needs "
		    "an email without '+': mail goes out from %s itself, and "
		    "bounces are read by their text alone", cfg->org_email);
	else if (at - cfg->org_email > VERP_LOCAL_MAX)
		diag_add(c->d, 0, c->file, line, "[organizer] verp = yes needs "
		    "an email whose local part has at most %d characters: mail "
		    "goes out from %s itself, and bounces are read by their "
		    "text alone", VERP_LOCAL_MAX, cfg->org_email);
	else
		diag_note(c->d, c->file, line, "[organizer] verp: mail goes out "
		    "with the envelope sender %.*s+b-ROW-TOKEN@%s, so the "
		    "mailbox %s must accept plus addressing (deliver "
		    "%.*s+anything@%s to it: Postfix and Dovecot "
		    "recipient_delimiter = +; Gmail and Microsoft 365 do by "
		    "default); verp = no sends from %s itself",
		    (int)(at - cfg->org_email), cfg->org_email, at + 1,
		    cfg->org_email, (int)(at - cfg->org_email), cfg->org_email,
		    at + 1, cfg->org_email);
}

/* What provider = microsoft | google fill in.  Microsoft's endpoints
 * carry the tenant between base and path; Google's have none.  Google
 * offers no device grant for mail scopes: authorize uses PKCE there. */
static const struct provider_urls {
	enum provider provider;
	const char *base;          /* before the tenant */
	int         tenant;        /* the tenant follows base */
	const char *token, *device, *authorize;    /* after it; NULL: none */
	const char *scope;
} provider_urls[] = {
	{ PROVIDER_MICROSOFT, "https://login.microsoftonline.com/", 1,
	  "/oauth2/v2.0/token", "/oauth2/v2.0/devicecode",
	  "/oauth2/v2.0/authorize",
	  "offline_access https://outlook.office.com/IMAP.AccessAsUser.All "
	  "https://outlook.office.com/SMTP.Send" },
	{ PROVIDER_GOOGLE, "https://", 0, "oauth2.googleapis.com/token", NULL,
	  "accounts.google.com/o/oauth2/v2/auth", "https://mail.google.com/" },
};

/* An endpoint the file did not name, from the provider's base. */
static void
provider_url(char **url, const struct provider_urls *p, const char *tenant,
    const char *path)
{
	if (*url == NULL && path != NULL)
		*url = xasprintf("%s%s%s", p->base, p->tenant ? tenant : "",
		    path);
}

static void
provider_fill(struct oauth_config *o)
{
	size_t i;

	for (i = 0; i < sizeof provider_urls / sizeof provider_urls[0]; i++) {
		const struct provider_urls *p = &provider_urls[i];

		if (p->provider != o->provider)
			continue;
		provider_url(&o->token_url, p, o->tenant, p->token);
		provider_url(&o->device_url, p, o->tenant, p->device);
		provider_url(&o->authorize_url, p, o->tenant, p->authorize);
		if (o->scope == NULL)
			o->scope = xstrdup(p->scope);
	}
}

/* An OAuth endpoint: https, or http on loopback only (tests, a local
 * proxy), and no login in it. */
static void
check_oauth_url(struct ctx *c, const char *key, const char *url)
{
	int line = c->seen_sec[S_OAUTH];
	struct net_url u;
	char *err = NULL;

	if (url == NULL)
		return;
	if (net_url_parse(url, &u, &err) == -1) {
		diag_add(c->d, 1, c->file, line, "[oauth] %s is not a URL (%s)",
		    key, err);
		free(err);
		return;
	}
	if (strcmp(u.scheme, "https") != 0 &&
	    !(strcmp(u.scheme, "http") == 0 && u.loopback))
		diag_add(c->d, 1, c->file, line, "[oauth] %s must be an https:// "
		    "URL (http:// only for a loopback host)", key);
	if (u.login)
		diag_add(c->d, 1, c->file, line, "[oauth] %s holds a user name or "
		    "password", key);
	net_url_free(&u);
}

/* The refresh token is the daemon's own state: absent until `convened
 * authorize` writes it, then a file only we can read. */
static void
check_refresh_file(struct ctx *c, const char *path)
{
	int line = c->seen_sec[S_OAUTH];
	char *err;

	if (access(path, F_OK) == -1 && errno == ENOENT) {
		diag_add(c->d, 0, c->file, line, "[oauth] refresh_token_file %s "
		    "is not there yet: run convened authorize", path);
		return;
	}
	diag_note(c->d, c->file, line, "[oauth] refresh_token_file: file %s",
	    path);
	if ((err = secret_file_unfit(path, "refresh token")) != NULL) {
		diag_add(c->d, 1, c->file, line, "[oauth] %s", err);
		free(err);
	}
}

/* A tenant goes into the endpoints' path: a name or an id, nothing that
 * could change the URL. */
static int
valid_tenant(const char *t)
{
	size_t i;

	for (i = 0; t[i] != '\0'; i++)
		if (!isalnum((unsigned char)t[i]) && t[i] != '.' && t[i] != '-')
			return 0;
	return i > 0;
}

/* The provider's settings, or token_command alone. */
static void
check_provider(struct ctx *c)
{
	struct oauth_config *o = &c->cfg->oauth;
	int line = c->seen_sec[S_OAUTH];

	if (o->provider == PROVIDER_NONE) {
		diag_add(c->d, 1, c->file, line, "[oauth] needs provider "
		    "(microsoft | google | custom) or token_command");
		return;
	}
	if (o->provider == PROVIDER_MICROSOFT && !valid_tenant(o->tenant)) {
		diag_add(c->d, 1, c->file, line, "[oauth] tenant '%s' must be "
		    "a directory id or domain (letters, digits, '.', '-')",
		    o->tenant);
		return;
	}
	provider_fill(o);
	if (o->token_url == NULL)
		diag_add(c->d, 1, c->file, line, "[oauth] provider = custom "
		    "needs token_url");
	check_oauth_url(c, "token_url", o->token_url);
	check_oauth_url(c, "device_url", o->device_url);
	check_oauth_url(c, "authorize_url", o->authorize_url);
	if (o->client_id == NULL)
		diag_add(c->d, 1, c->file, line, "[oauth] needs client_id (the "
		    "application's id at the provider)");
	if (o->refresh_token_file == NULL)
		diag_add(c->d, 1, c->file, line, "[oauth] needs "
		    "refresh_token_file (where convened authorize keeps it)");
	else
		check_refresh_file(c, o->refresh_token_file);
	if (o->client_secret_file != NULL)
		check_secret(c, S_OAUTH, "client_secret_file",
		    o->client_secret_file, "client secret", 0);
}

static void
check_oauth(struct ctx *c)
{
	struct config *cfg = c->cfg;
	const struct oauth_config *o = &cfg->oauth;
	int line = c->seen_sec[S_OAUTH];

	cfg->oauth_given = line != 0;
	if (!config_uses_oauth(cfg)) {
		if (line != 0)
			diag_add(c->d, 0, c->file, line, "[oauth] is not used: "
			    "neither [imap] nor [smtp] has auth = xoauth2 or "
			    "oauthbearer");
		return;
	}
	if (line == 0) {
		diag_add(c->d, 1, c->file, CONFIG_AUTH_OAUTH(cfg->imap.auth) ?
		    c->seen_sec[S_IMAP] : c->seen_sec[S_SMTP], "auth = %s needs "
		    "an [oauth] section", config_auth_name(CONFIG_AUTH_OAUTH(
		    cfg->imap.auth) ? cfg->imap.auth : cfg->smtp.auth));
		return;
	}
	if (o->token_command == NULL) {
		check_provider(c);
		return;
	}
	if (o->provider != PROVIDER_NONE || o->client_id != NULL ||
	    o->refresh_token_file != NULL || o->token_url != NULL)
		diag_add(c->d, 1, c->file, line, "[oauth] token_command stands "
		    "alone: give it, or provider with client_id and "
		    "refresh_token_file, not both");
	diag_note(c->d, c->file, line, "[oauth] access tokens from "
	    "token_command");
}

static void
check_global(struct ctx *c)
{
	struct config *cfg = c->cfg;
	size_t i;

	c->file = cfg->file;
	missing_sections(c, c->lineno > 0 ? c->lineno : 1);
	check_verp(c);
	check_url(c, S_SMTP, &cfg->smtp, "smtp", "smtps");
	check_login(c, S_SMTP, &cfg->smtp);
	check_url(c, S_IMAP, &cfg->imap, "imap", "imaps");
	check_login(c, S_IMAP, &cfg->imap);
	check_trust(c);
	check_oauth(c);
	if (cfg->nimap_folders == 0)
		diag_add(c->d, 1, cfg->file, c->seen_sec[S_IMAP],
		    "[imap] folders is empty");
	/* Moving what was read into a folder that is read again would read
	 * it again, forever. */
	for (i = 0; i < cfg->nimap_folders; i++) {
		if (cfg->imap_processed != NULL &&
		    strcmp(cfg->imap_folders[i], cfg->imap_processed) == 0)
			diag_add(c->d, 1, cfg->file, c->seen_sec[S_IMAP],
			    "[imap] processed_folder %s is also in folders",
			    cfg->imap_processed);
		if (cfg->imap_quarantine != NULL &&
		    strcmp(cfg->imap_folders[i], cfg->imap_quarantine) == 0)
			diag_add(c->d, 1, cfg->file, c->seen_sec[S_IMAP],
			    "[imap] quarantine_folder %s is also in folders",
			    cfg->imap_quarantine);
	}
	/* What failed must not hide among what was done. */
	if (cfg->imap_processed != NULL && cfg->imap_quarantine != NULL &&
	    strcmp(cfg->imap_processed, cfg->imap_quarantine) == 0)
		diag_add(c->d, 1, cfg->file, c->seen_sec[S_IMAP],
		    "[imap] quarantine_folder %s is also processed_folder",
		    cfg->imap_quarantine);
	for (i = 0; i < cfg->nimap_folders; i++)
		if (strpbrk(cfg->imap_folders[i], "\"\\*%") != NULL)
			diag_add(c->d, 1, cfg->file, c->seen_sec[S_IMAP],
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

/* An alias is one more address of the member who lists it: never
 * another member's, nor one listed twice, nor the organizer's (whose
 * mail is convened's own). */
static void
check_aliases(struct ctx *c, const struct group *g)
{
	const struct member *m, *o;
	const char *a;
	size_t i, j, k, l;

	for (i = 0; i < g->nmembers; i++) {
		m = &g->members[i];
		for (j = 0; j < m->naliases; j++) {
			a = m->aliases[j];
			if ((o = config_member(g, a)) != NULL) {
				diag_add(c->d, 1, g->file, m->line, "member %s: "
				    "alias %s is %s", m->email, a, o == m ?
				    "their own address" : "another member's "
				    "address");
				continue;
			}
			if (c->cfg->org_email != NULL &&
			    strcasecmp(a, c->cfg->org_email) == 0)
				diag_add(c->d, 1, g->file, m->line, "member %s: "
				    "alias %s is the organizer's address",
				    m->email, a);
			for (k = 0; k < i; k++)
				for (l = 0; l < g->members[k].naliases; l++)
					if (strcmp(g->members[k].aliases[l], a) == 0)
						diag_add(c->d, 1, g->file, m->line,
						    "member %s: alias %s is also "
						    "%s's", m->email, a,
						    g->members[k].email);
		}
	}
}

/* A [guest] section is for someone a series invites, and not for a
 * member, whose own section wins. */
static void
check_guests(struct ctx *c, const struct group *g)
{
	const struct guest *gu;
	size_t i, j, k;
	int invited;

	for (i = 0; i < g->nguests; i++) {
		gu = &g->guests[i];
		if (config_member(g, gu->email) != NULL) {
			diag_add(c->d, 0, g->file, gu->line, "guest %s is a "
			    "member: their [member] section is used", gu->email);
			continue;
		}
		invited = 0;
		for (j = 0; j < g->nseries && !invited; j++)
			for (k = 0; k < g->series[j].nguests && !invited; k++)
				invited = strcmp(g->series[j].guests[k],
				    gu->email) == 0;
		if (!invited)
			diag_add(c->d, 0, g->file, gu->line, "guest %s is in no "
			    "series' guests", gu->email);
	}
}

/* A milestone of the secretariat's in a group without a coordinator
 * from it goes to every coordinator: said, not refused, as the
 * coordination rule itself is only warned of. */
static void
check_milestones(struct ctx *c, struct group *g)
{
	struct milestone *ms;
	size_t i, j;
	int secretariat = 0;

	for (j = 0; j < g->nmembers; j++)
		secretariat |= g->members[j].coordinator &&
		    g->members[j].role == ROLE_SECRETARIAT;
	for (i = 0; i < g->nmilestones; i++) {
		ms = &g->milestones[i];
		if (ms->summary == NULL)
			ms->summary = xstrdup(ms->name);
		if (ms->owner == MOWNER_SECRETARIAT && !secretariat)
			diag_add(c->d, 0, g->file, ms->line, "milestone %s: no "
			    "coordinator has role secretariat: every "
			    "coordinator is reminded", ms->name);
	}
}

/* A poll's candidates: a few distinct times the calendar has, and none
 * on or before the day it closes (a warning: it may be meant). */
static void
check_poll(struct ctx *c, struct group *g, struct poll *p)
{
	size_t i, j;

	if (p->summary == NULL)
		p->summary = xstrdup(p->name);
	if (p->timezone == NULL)
		p->timezone = xstrdup(g->timezone);
	if (config_series(g, p->name) != NULL)
		diag_add(c->d, 1, g->file, p->line, "poll %s has the name of a "
		    "series of the group: the meeting it chooses would be "
		    "taken for one of the series", p->name);
	if (p->ncandidates > CONFIG_POLL_CANDIDATES_MAX)
		diag_add(c->d, 1, g->file, p->line, "poll %s has %zu "
		    "candidates: at most %d", p->name, p->ncandidates,
		    CONFIG_POLL_CANDIDATES_MAX);
	for (i = 0; i < p->ncandidates; i++) {
		for (j = 0; j < i; j++)
			if (strcmp(p->candidates[i], p->candidates[j]) == 0)
				diag_add(c->d, 1, g->file, p->line, "poll %s: "
				    "candidate %s given twice", p->name,
				    p->candidates[i]);
		if (p->closes != NULL &&
		    strncmp(p->candidates[i], p->closes, 10) <= 0)
			diag_add(c->d, 0, g->file, p->line, "poll %s: "
			    "candidate %s is not after the day it closes (%s)",
			    p->name, p->candidates[i], p->closes);
	}
}

/* The next group's slot, zeroed (cfg->ngroups is the caller's to
 * raise): room grows by doubling, not by one. */
static struct group *
group_slot(struct ctx *c)
{
	struct config *cfg = c->cfg;

	if (cfg->ngroups == c->groups_cap) {
		c->groups_cap = c->groups_cap ? 2 * c->groups_cap : 64;
		cfg->groups = xreallocarray(cfg->groups, c->groups_cap,
		    sizeof *cfg->groups);
	}
	memset(&cfg->groups[cfg->ngroups], 0, sizeof *cfg->groups);
	return &cfg->groups[cfg->ngroups];
}

static void
load_group(struct ctx *c, const char *path)
{
	struct config *cfg = c->cfg;
	struct group *g;
	size_t i;

	g = group_slot(c);
	cfg->ngroups++;
	g->file = xstrdup(path);
	c->group = g;
	c->global = 0;
	c->file = g->file;
	set_defaults(c, S_GROUP, g);
	if (parse_file(c, g->file) == -1)
		return;
	g->digest = c->digest;
	if (missing_sections(c, 1) > 0)
		return;
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
		if (s->open && s->nguests == 0 && s->seats == 0)
			diag_add(c->d, 0, g->file, s->line, "series %s is open "
			    "but names no guests", s->name);
		if (!s->open && (s->seats > 0 || s->nannounce > 0))
			diag_add(c->d, 0, g->file, s->line, "series %s has seats "
			    "or announce but is not open: nobody may register",
			    s->name);
		if (s->seats > 0 && config_series_recurring(s))
			diag_add(c->d, 0, g->file, s->line, "series %s has seats "
			    "but goes as one event: nobody may register (set "
			    "invitation = occurrence)", s->name);
		if (s->open && s->nannounce > 0 && s->seats == 0)
			diag_add(c->d, 0, g->file, s->line, "series %s is "
			    "announced but has no seats: nobody may register",
			    s->name);
		check_series_dates(c, g, s);
	}
	check_guests(c, g);
	check_aliases(c, g);
	check_milestones(c, g);
	for (i = 0; i < g->npolls; i++)
		check_poll(c, g, &g->polls[i]);
}

/* The group's mailing list (list.h): an address no other one is, and
 * what the mailbox must accept for it. */
static void
check_list(struct ctx *c, const struct group *g, const struct group *taken)
{
	char buf[512], *l, *r;
	const char *bad = list_check(c->cfg, g, buf, sizeof buf);

	if (bad == NULL && taken != NULL) {
		l = list_address(c->cfg, g);
		snprintf(buf, sizeof buf, "list address %s is already group "
		    "'%s''s", l ? l : "", taken->id);
		free(l);
		bad = buf;
	}
	if (bad != NULL) {
		diag_add(c->d, 1, g->file, g->line, "group '%s': %s", g->id, bad);
		return;
	}
	l = list_address(c->cfg, g);
	r = list_request_address(c->cfg, g);
	if (l != NULL && r != NULL)
		diag_note(c->d, g->file, g->line, "[group] list: the mailbox "
		    "%s must accept mail to %s and %s (group '%s')",
		    c->cfg->org_email, l, r, g->id);
	free(l);
	free(r);
}

static int
by_id_cmp(const void *a, const void *b)
{
	const struct group *x = *(struct group *const *)a,
	    *y = *(struct group *const *)b;
	int c = strcmp(x->id, y->id);

	return c != 0 ? c : x < y ? -1 : x > y;
}

/* The index config_group() searches: lookups and the duplicate ids
 * cost a sort, not a pass over every group for each group. */
static void
index_groups(struct config *cfg)
{
	size_t i;

	cfg->by_id = xcalloc(cfg->ngroups + 1, sizeof *cfg->by_id);
	for (i = 0; i < cfg->ngroups; i++)
		if (cfg->groups[i].id != NULL)
			cfg->by_id[cfg->nby_id++] = &cfg->groups[i];
	qsort(cfg->by_id, cfg->nby_id, sizeof *cfg->by_id, by_id_cmp);
}

static void
check_groups(struct ctx *c)
{
	struct config *cfg = c->cfg;
	const struct group **taken;
	const struct group *first;
	const char *why;
	size_t i, steps;

	index_groups(cfg);
	taken = xcalloc(cfg->ngroups + 1, sizeof *taken);
	list_clashes(cfg, taken);
	for (i = 0; i < cfg->ngroups; i++) {
		struct group *g = &cfg->groups[i];

		if (g->id == NULL)
			continue;
		if ((first = config_group(cfg, g->id)) != g)
			diag_add(c->d, 1, g->file, g->line, "group id "
			    "'%s' already used by %s:%d", g->id,
			    first->file, first->line);
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
		check_list(c, g, taken[i]);
	}
	free(taken);
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

/* A group taken from the cache owns only its file's name: its strings
 * lie in the mapped cache, its arrays in the config's arena. */
static void
group_free_borrowed(struct group *g)
{
	free(g->file);
}

/* Everything a group owns. */
static void
group_free(struct group *g)
{
	size_t j;

	if (g->borrowed) {
		group_free_borrowed(g);
		return;
	}

	for (j = 0; j < g->nmembers; j++) {
		forget_all(S_MEMBER, &g->members[j]);
		free(g->members[j].email);
	}
	for (j = 0; j < g->nseries; j++) {
		forget_all(S_SERIES, &g->series[j]);
		free(g->series[j].name);
	}
	for (j = 0; j < g->nguests; j++) {
		forget_all(S_GUEST, &g->guests[j]);
		free(g->guests[j].email);
	}
	free(g->guests);
	for (j = 0; j < g->nmilestones; j++) {
		forget_all(S_MILESTONE, &g->milestones[j]);
		free(g->milestones[j].name);
	}
	free(g->milestones);
	for (j = 0; j < g->npolls; j++) {
		forget_all(S_POLL, &g->polls[j]);
		free(g->polls[j].name);
	}
	free(g->polls);
	forget_all(S_GROUP, g);
	free(g->members);
	free(g->series);
	free(g->file);
}

/* ---- the parsed groups kept between runs -------------------------------- */

/* `once` runs every minute or so and reads every group file each time:
 * at a thousand groups, reading them was nine tenths of an idle run.
 * What a group file gave is kept beside the state db, with the file's
 * identity (device, inode, size, modification and change times), and
 * taken again while the file and convened.ini are as they were.  The
 * cache is convened's own file, but still read as hostile: anything out
 * of bounds or of the wrong shape drops the whole cache, and the files
 * are read instead.  `check` never uses it. */
#define CACHE_MAGIC     "CNVDGC04"
#define CACHE_MAX       (256u << 20)

struct cache_in {
	const unsigned char *p, *end;
	int bad;
	struct arena **arena;   /* where the arrays go */
};

static void
put_u64(struct buf *b, unsigned long long v)
{
	buf_add(b, &v, sizeof v);
}

static void
put_u32(struct buf *b, unsigned v)
{
	buf_add(b, &v, sizeof v);
}

/* Its length, then its bytes and NUL: read back, it is used in place. */
static void
put_str(struct buf *b, const char *s)
{
	put_u32(b, s == NULL ? 0xffffffffu : (unsigned)strlen(s));
	if (s != NULL)
		buf_add(b, s, strlen(s) + 1);
}

/* n bytes into out (zeros when there are not n left: in->bad). */
static void
get_bytes(struct cache_in *in, void *out, size_t n)
{
	memset(out, 0, n);
	if (in->bad || (size_t)(in->end - in->p) < n) {
		in->bad = 1;
		return;
	}
	memcpy(out, in->p, n);
	in->p += n;
}

static unsigned long long
get_u64(struct cache_in *in)
{
	unsigned long long v;

	get_bytes(in, &v, sizeof v);
	return v;
}

static unsigned
get_u32(struct cache_in *in)
{
	unsigned v;

	get_bytes(in, &v, sizeof v);
	return v;
}

/* A count of at most most items. */
static size_t
get_count(struct cache_in *in, size_t most)
{
	unsigned n = get_u32(in);

	if (n > most)
		in->bad = 1;
	return in->bad ? 0 : n;
}

/* A string as the loader leaves them: no NUL, CR nor LF inside, NUL
 * after.  It points into the mapped cache (struct config's cache_map):
 * borrowed, never to be freed. */
static char *
get_str(struct cache_in *in)
{
	unsigned n = get_u32(in);
	const unsigned char *q;

	if (in->bad || n == 0xffffffffu)
		return NULL;
	/* NUL at n and nowhere before, no CR nor LF: strcspn() stops at the
	 * first of the three, a vector at a time. */
	q = in->p;
	if ((size_t)(in->end - q) <= n || q[n] != '\0' ||
	    strcspn((const char *)q, "\r\n") != n) {
		in->bad = 1;
		return NULL;
	}
	in->p += n + 1;
	return (char *)q;
}

/* The keys of each section that hold something, each field once (two
 * keys may fill one field), found once. */

static void
kept_find(void)
{
	static int done;
	const struct key *k, *o;
	int dup;

	if (done)
		return;
	for (k = keys; k < keys + NKEYS; k++) {
		if (types[k->type].store == V_NONE)
			continue;
		for (dup = 0, o = keys; o < k && !dup; o++)
			dup = o->sec == k->sec && o->off == k->off &&
			    types[o->type].store != V_NONE;
		if (!dup)
			kept_keys[k->sec][nkept_keys[k->sec]++] = k;
	}
	done = 1;
}

static void
put_obj(struct buf *b, enum sec sec, void *obj)
{
	size_t i, j, n;

	kept_find();
	for (i = 0; i < nkept_keys[sec]; i++) {
		const struct key *k = kept_keys[sec][i];

		if (k->cap == 0 && types[k->type].store == V_TEXT)
			put_str(b, *(char **)field(obj, k->off));
		else if (k->cap == 0)
			put_u32(b, (unsigned)*(int *)field(obj, k->off));
		else {
			n = *(size_t *)field(obj, k->off_n);
			put_u32(b, (unsigned)n);
			for (j = 0; j < n; j++)
				if (types[k->type].store == V_TEXT)
					put_str(b, (*(char ***)field(obj,
					    k->off))[j]);
				else
					put_u32(b, (unsigned)((int *)field(obj,
					    k->off))[j]);
		}
	}
}

/* Whether v is a value key k can hold (0: not set, for a number). */
static int
int_ok(const struct key *k, int v)
{
	const struct name_value *e;

	switch (k->type) {
	case T_BOOL:
		return v == 0 || v == 1;
	case T_ENUM:
		if (v == 0 && k->def == NULL)
			return 1;       /* not set: the zero of its enum */
		for (e = k->names; e->name != NULL; e++)
			if (e->value == v)
				return 1;
		return 0;
	case T_INT:
		return v == 0 || (v >= k->min && v <= k->max);
	default:
		return 1;
	}
}

static int
get_int(struct cache_in *in, const struct key *k)
{
	int v = (int)get_u32(in);

	if (!int_ok(k, v))
		in->bad = 1;
	return in->bad ? 0 : v;
}

static void
get_obj(struct cache_in *in, enum sec sec, void *obj)
{
	size_t i, j, n;

	kept_find();
	for (i = 0; i < nkept_keys[sec] && !in->bad; i++) {
		const struct key *k = kept_keys[sec][i];

		if (k->cap == 0 && types[k->type].store == V_TEXT)
			*(char **)field(obj, k->off) = get_str(in);
		else if (k->cap == 0)
			*(int *)field(obj, k->off) = get_int(in, k);
		else {
			n = get_count(in, k->cap);
			if (n > 0 && types[k->type].store == V_TEXT)
				*(char ***)field(obj, k->off) = arena_calloc(
				    in->arena, n, sizeof(char *));
			for (j = 0; j < n && !in->bad; j++) {
				if (types[k->type].store == V_TEXT)
					(*(char ***)field(obj, k->off))[j] =
					    get_str(in);
				else
					((int *)field(obj, k->off))[j] =
					    get_int(in, k);
				*(size_t *)field(obj, k->off_n) = j + 1;
			}
		}
	}
}

/* The objects of one kind of section: their header's argument (an
 * address or a name), their line, their keys. */
#define PUT_OBJS(b, sec, v, n, arg) do {                                \
	size_t i_;                                                      \
	put_u32((b), (unsigned)(n));                                    \
	for (i_ = 0; i_ < (n); i_++) {                                  \
		put_str((b), (v)[i_].arg);                              \
		put_u32((b), (unsigned)(v)[i_].line);                   \
		put_obj((b), (sec), &(v)[i_]);                          \
	}                                                               \
} while (0)

#define GET_OBJS(in, sec, v, n, arg) do {                               \
	size_t i_, n_ = get_count((in), 100000);                        \
	(v) = arena_calloc((in)->arena, n_ + 1, sizeof *(v));           \
	for (i_ = 0; i_ < n_ && !(in)->bad; i_++) {                     \
		(n) = i_ + 1;                                           \
		(v)[i_].arg = get_str(in);                              \
		(v)[i_].line = (int)get_u32(in);                        \
		get_obj((in), (sec), &(v)[i_]);                         \
		if ((v)[i_].arg == NULL)                                \
			(in)->bad = 1;                                  \
	}                                                               \
} while (0)

static void
put_group(struct buf *b, const struct group *g)
{
	put_obj(b, S_GROUP, (void *)g);
	put_u64(b, g->digest);
	put_u32(b, (unsigned)g->line);
	PUT_OBJS(b, S_MEMBER, g->members, g->nmembers, email);
	PUT_OBJS(b, S_SERIES, g->series, g->nseries, name);
	PUT_OBJS(b, S_GUEST, g->guests, g->nguests, email);
	PUT_OBJS(b, S_MILESTONE, g->milestones, g->nmilestones, name);
	PUT_OBJS(b, S_POLL, g->polls, g->npolls, name);
}

/* 0, or -1 with g half made (group_free() it). */
static int
get_group(struct cache_in *in, struct group *g)
{
	get_obj(in, S_GROUP, g);
	g->digest = get_u64(in);
	g->line = (int)get_u32(in);
	GET_OBJS(in, S_MEMBER, g->members, g->nmembers, email);
	GET_OBJS(in, S_SERIES, g->series, g->nseries, name);
	GET_OBJS(in, S_GUEST, g->guests, g->nguests, email);
	GET_OBJS(in, S_MILESTONE, g->milestones, g->nmilestones, name);
	GET_OBJS(in, S_POLL, g->polls, g->npolls, name);
	/* What the loader promises of every group. */
	if (g->id == NULL || g->name == NULL || g->language == NULL ||
	    g->timezone == NULL)
		in->bad = 1;
	return in->bad ? -1 : 0;
}

/* A sum of the bytes after the header, thirty-two at a time in four
 * lanes that do not wait on one another: a cache a disk or a hand
 * damaged is read as no cache at all. */
static unsigned long long
cache_sum(const unsigned char *p, size_t n)
{
	unsigned long long h[4] = { UTIL_FNV64, UTIL_FNV64 ^ 1,
	    UTIL_FNV64 ^ 2, UTIL_FNV64 ^ 3 }, w, r = UTIL_FNV64;
	size_t i;

	for (; n >= 32; p += 32, n -= 32)
		for (i = 0; i < 4; i++) {
			memcpy(&w, p + 8 * i, 8);
			h[i] = (h[i] ^ w) * 0x100000001b3ULL;
			h[i] ^= h[i] >> 29;
		}
	for (i = 0; i < 4; i++)
		r = util_fnv64(r, &h[i], sizeof h[i]);
	return util_fnv64(r, p, n);
}

/* What a cache was written for: this build's layout of the keys and
 * structures, and convened.ini's bytes (groups inherit from it). */
static unsigned long long
cache_tag(const struct config *cfg)
{
	size_t sizes[] = { sizeof(struct group), sizeof(struct member),
	    sizeof(struct series), sizeof(struct guest),
	    sizeof(struct milestone), sizeof(struct poll), NKEYS };
	unsigned long long h = util_fnv64(UTIL_FNV64, CACHE_MAGIC, 8);
	size_t i;

	h = util_fnv64(h, sizes, sizeof sizes);
	for (i = 0; i < NKEYS; i++) {
		h = util_fnv64(h, keys[i].name, strlen(keys[i].name));
		h = util_fnv64(h, &keys[i].sec, sizeof keys[i].sec);
		h = util_fnv64(h, &keys[i].type, sizeof keys[i].type);
		h = util_fnv64(h, &keys[i].off, sizeof keys[i].off);
		h = util_fnv64(h, &keys[i].cap, sizeof keys[i].cap);
	}
	return util_fnv64(h, &cfg->digest, sizeof cfg->digest);
}

/* A file's identity, unchanged while every field is: as the cache
 * keeps it, seven native 64-bit words. */
#define STAT_BYTES (7 * 8)

static void
stat_bytes(const struct stat *st, unsigned char out[STAT_BYTES])
{
	unsigned long long v[7] = {
		(unsigned long long)st->st_dev,
		(unsigned long long)st->st_ino,
		(unsigned long long)st->st_size,
		(unsigned long long)st->st_mtim.tv_sec,
		(unsigned long long)st->st_mtim.tv_nsec,
		(unsigned long long)st->st_ctim.tv_sec,
		(unsigned long long)st->st_ctim.tv_nsec,
	};

	memcpy(out, v, STAT_BYTES);
}

/* One entry of the cache read, all of it in the mapping: a file's
 * name and identity, and its group's bytes. */
struct cache_entry {
	const char *path;
	const unsigned char *stat;      /* STAT_BYTES of stat_bytes() */
	const unsigned char *data;
	size_t      len;
};

struct cache {
	char       *path;       /* the file, beside the state db */
	unsigned char *raw;     /* mapped, or NULL */
	size_t      len;
	struct cache_entry *e;
	size_t      n;
	size_t      next;       /* where the next file likely is */
	int         valid;      /* written for this build and global file */
	int         used;       /* entries taken */
	int         missed;     /* files read instead */
};

static int
entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct cache_entry *)a)->path,
	    ((const struct cache_entry *)b)->path);
}

static void
cache_drop_entries(struct cache *k)
{
	free(k->e);
	k->e = NULL;
	k->n = 0;
}

/* The cache's entries, when its file is there and of this build and
 * convened.ini; none otherwise.  Mapped, not read: its pages are the
 * page cache's, already there, where a copy would touch as many new
 * ones; the groups taken use its strings where they lie. */
static void
cache_read(struct cache *k, const struct config *cfg)
{
	struct cache_in in;
	struct stat st;
	void *map;
	size_t n, i, len;
	int fd, sorted = 1;

	if ((fd = open(k->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size <
	    8 + 8 + 8 + 4 || (unsigned long long)st.st_size > CACHE_MAX ||
	    (map = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE |
	    MAP_POPULATE, fd, 0)) == MAP_FAILED) {
		close(fd);
		return;
	}
	close(fd);
	k->raw = map;
	k->len = (size_t)st.st_size;
	if (memcmp(k->raw, CACHE_MAGIC, 8) != 0)
		return;
	in.p = k->raw + 8;
	in.end = k->raw + k->len;
	in.bad = 0;
	in.arena = NULL;
	if (get_u64(&in) != cache_tag(cfg) || get_u64(&in) !=
	    cache_sum(k->raw + 24, k->len - 24))
		return;
	k->valid = 1;
	n = get_count(&in, 1000000);
	k->e = xcalloc(n + 1, sizeof *k->e);
	for (i = 0; i < n && !in.bad; i++) {
		struct cache_entry *e = &k->e[k->n];

		if ((e->path = get_str(&in)) == NULL || in.bad ||
		    (size_t)(in.end - in.p) < STAT_BYTES + 4) {
			in.bad = 1;
			break;
		}
		e->stat = in.p;
		in.p += STAT_BYTES;
		len = get_u32(&in);
		if ((size_t)(in.end - in.p) < len) {
			in.bad = 1;
			break;
		}
		e->data = in.p;
		e->len = len;
		in.p += len;
		if (k->n > 0 && strcmp(k->e[k->n - 1].path, e->path) >= 0)
			sorted = 0;
		k->n++;
	}
	if (in.bad)
		cache_drop_entries(k);
	else if (!sorted)
		qsort(k->e, k->n, sizeof *k->e, entry_cmp);
}

/* The entry of path: the files come in the order they were written, so
 * the next entry is tried before a search. */
static struct cache_entry *
cache_find(struct cache *k, const char *path)
{
	struct cache_entry key, *e;

	if (k->n == 0)
		return NULL;
	if (k->next < k->n && strcmp(k->e[k->next].path, path) == 0)
		e = &k->e[k->next];
	else {
		key.path = path;
		if ((e = bsearch(&key, k->e, k->n, sizeof *k->e,
		    entry_cmp)) == NULL)
			return NULL;
	}
	k->next = (size_t)(e - k->e) + 1;
	return e;
}

/* The group of path taken from the cache into a new slot of cfg, the
 * file's identity in *stp: 1, or 0 when the cache has nothing (still)
 * true of it. */
static int
cache_take(struct cache *k, struct ctx *c, const char *path,
    struct stat *stp)
{
	struct config *cfg = c->cfg;
	struct cache_entry *e;
	struct cache_in in;
	struct stat st;
	unsigned char now[STAT_BYTES];
	struct group *g;

	if ((e = cache_find(k, path)) == NULL || stat(path, &st) == -1 ||
	    !S_ISREG(st.st_mode))
		return 0;
	stat_bytes(&st, now);
	if (memcmp(now, e->stat, STAT_BYTES) != 0)
		return 0;
	g = group_slot(c);
	in.p = e->data;
	in.end = e->data + e->len;
	in.bad = 0;
	in.arena = &cfg->arena;
	g->borrowed = 1;
	if (get_group(&in, g) == -1 || in.p != in.end) {
		group_free(g);
		return 0;
	}
	g->file = xstrdup(path);
	cfg->ngroups++;
	k->used++;
	*stp = st;
	return 1;
}

/* Every group written again, with the identities its files had when
 * they were read (an edit since then makes the next run read it).
 * Nothing is said when it cannot be: the cache only saves time. */
static void
cache_write(const char *path, const struct config *cfg,
    const struct stat *sts)
{
	struct buf b = BUF_INIT(CACHE_MAX), one = BUF_INIT(CACHE_MAX);
	char *dir, *slash;
	size_t i;
	int dfd;

	buf_add(&b, CACHE_MAGIC, 8);
	put_u64(&b, cache_tag(cfg));
	put_u64(&b, 0);         /* the sum, once the rest is written */
	put_u32(&b, (unsigned)cfg->ngroups);
	for (i = 0; i < cfg->ngroups; i++) {
		unsigned char id[STAT_BYTES];

		buf_reset(&one);
		put_group(&one, &cfg->groups[i]);
		put_str(&b, cfg->groups[i].file);
		stat_bytes(&sts[i], id);
		buf_add(&b, id, sizeof id);
		put_u32(&b, (unsigned)one.len);
		buf_add(&b, one.data, one.len);
	}
	if (!buf_full(&b)) {
		unsigned long long sum = cache_sum((unsigned char *)b.data + 24,
		    b.len - 24);

		memcpy(b.data + 16, &sum, sizeof sum);
	}
	dir = xstrdup(path);
	slash = strrchr(dir, '/');
	if (slash != NULL)
		*slash = '\0';
	if (!buf_full(&b) && !buf_full(&one) && (dfd = open(slash ? dir : ".",
	    O_DIRECTORY | O_RDONLY | O_CLOEXEC)) != -1) {
		char *werr = NULL;

		if (file_write_atomic_mode(dfd, slash ? slash + 1 : path,
		    b.data, b.len, 0600, &werr) == -1)
			free(werr);
		close(dfd);
	}
	free(dir);
	buf_release(&b);
	buf_release(&one);
}

void
config_cache_save(struct config *cfg)
{
	if (cfg->cache_path != NULL && cfg->cache_stats != NULL)
		cache_write(cfg->cache_path, cfg, cfg->cache_stats);
	free(cfg->cache_path);
	free(cfg->cache_stats);
	cfg->cache_path = NULL;
	cfg->cache_stats = NULL;
}

struct config *
config_load(const char *file, struct diag *d)
{
	return config_load_cached(file, 0, d);
}

struct config *
config_load_cached(const char *file, int cache, struct diag *d)
{
	struct config *cfg = xcalloc(1, sizeof *cfg);
	struct dirent **ents = NULL;
	struct ctx c;
	char *path;
	int n, i;
	size_t before = d->nerrors;

	struct cache k;
	struct stat *sts = NULL;

	memset(&k, 0, sizeof k);
	memset(&c, 0, sizeof c);
	c.cfg = cfg;
	c.d = d;
	c.global = 1;
	c.tz_later = (cache & CONFIG_CACHE_READ) != 0;
	cfg->file = xstrdup(file);
	c.file = cfg->file;
	for (i = S_NONE + 1; i < S_SKIP; i++)
		if (sections[i].global)
			set_defaults(&c, (enum sec)i, cfg);
	if (parse_file(&c, cfg->file) == -1)
		goto done;
	cfg->digest = c.digest;
	cfg->templates_local = resolve_path(cfg->file, "templates");
	check_global(&c);

	if ((n = scandir(cfg->groups_dir, &ents, ini_file, alphasort)) == -1) {
		tz_check(&c);
		diag_add(d, 1, cfg->file, c.seen_sec[S_DAEMON] ?
		    c.seen_sec[S_DAEMON] : 1, "cannot read groups directory "
		    "%s: %s", cfg->groups_dir, strerror(errno));
		goto done;
	}
	if (cache && cfg->state != NULL) {
		k.path = xasprintf("%s.groups", cfg->state);
		if (cache & CONFIG_CACHE_READ)
			cache_read(&k, cfg);
		/* The groups' arrays take less than their encoding: room
		 * for all of them at once. */
		if (k.n > 0)
			arena_reserve(&cfg->arena, k.len);
	}
	if (!k.valid)
		tz_check(&c);
	c.tz_later = c.tz_line = 0;
	sts = xcalloc((size_t)n + 1, sizeof *sts);
	/* Room for every file at once: doubling would copy the groups. */
	c.groups_cap = (size_t)n;
	cfg->groups = xreallocarray(NULL, c.groups_cap, sizeof *cfg->groups);
	for (i = 0; i < n; i++) {
		path = xasprintf("%s/%s", cfg->groups_dir, ents[i]->d_name);
		if (!cache_take(&k, &c, path, &sts[cfg->ngroups])) {
			memset(&c.st, 0, sizeof c.st);
			load_group(&c, path);
			sts[cfg->ngroups - 1] = c.st;
			k.missed++;
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
	check_groups(&c);
	/* Written once the caller knows the state is sound (a damaged
	 * state changes no file): config_cache_save(). */
	/* Also when no file missed it but it was not for this global file
	 * (no group at all): it says that file was checked (tz_check()). */
	if ((cache & CONFIG_CACHE_WRITE) && k.path != NULL && (k.missed > 0 ||
	    !k.valid) && d->nerrors == before) {
		cfg->cache_path = k.path;
		cfg->cache_stats = sts;
		k.path = NULL;
		sts = NULL;
	}
done:
	free(sts);
	cache_drop_entries(&k);
	/* The groups taken keep their strings in the mapping. */
	if (k.used > 0) {
		cfg->cache_map = k.raw;
		cfg->cache_len = k.len;
	} else if (k.raw != NULL)
		munmap(k.raw, k.len);
	free(k.path);
	free(c.secname);
	if (d->nerrors > before) {
		config_free(cfg);
		return NULL;
	}
	return cfg;
}

void
config_free(struct config *cfg)
{
	size_t i;
	int s;

	if (cfg == NULL)
		return;
	for (i = 0; i < cfg->ngroups; i++)
		group_free(&cfg->groups[i]);
	for (s = S_NONE + 1; s < S_SKIP; s++)
		if (sections[s].global)
			forget_all((enum sec)s, cfg);
	free(cfg->groups);
	free(cfg->by_id);
	free(cfg->cache_path);
	free(cfg->cache_stats);
	if (cfg->cache_map != NULL)
		munmap(cfg->cache_map, cfg->cache_len);
	arena_free(cfg->arena);
	free(cfg->file);
	free(cfg->templates_local);
	token_key_wipe(&cfg->trust_key);
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
	size_t lo = 0, hi = cfg->nby_id, mid;

	/* The first of its id: the lowest bound of equals. */
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (strcmp(cfg->by_id[mid]->id, id) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < cfg->nby_id && strcmp(cfg->by_id[lo]->id, id) == 0 ?
	    cfg->by_id[lo] : NULL;
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
config_member_of(const struct group *g, const char *addr)
{
	const struct member *m = config_member(g, addr);
	size_t i, j;

	for (i = 0; m == NULL && addr != NULL && i < g->nmembers; i++)
		for (j = 0; j < g->members[i].naliases; j++)
			if (strcasecmp(g->members[i].aliases[j], addr) == 0)
				return &g->members[i];
	return m;
}

const struct member *
config_coordinator(const struct group *g, const char *email)
{
	const struct member *m = config_member(g, email);

	return m != NULL && m->coordinator ? m : NULL;
}

int
config_series_recurring(const struct series *s)
{
	return s != NULL && s->rrule != NULL && !s->per_occurrence;
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

const struct guest *
config_guest(const struct group *g, const char *email)
{
	size_t i;

	for (i = 0; email != NULL && i < g->nguests; i++)
		if (strcasecmp(g->guests[i].email, email) == 0)
			return &g->guests[i];
	return NULL;
}

/* The name of value in names, or NULL when it has none (AXIS_NONE). */
static const char *
name_of(const struct name_value *names, int value)
{
	for (; names->name != NULL; names++)
		if (names->value == value)
			return names->name;
	return NULL;
}

const struct milestone *
config_milestone(const struct group *g, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < g->nmilestones; i++)
		if (strcmp(g->milestones[i].name, name) == 0)
			return &g->milestones[i];
	return NULL;
}

const struct poll *
config_poll(const struct group *g, const char *name)
{
	size_t i;

	for (i = 0; name != NULL && i < g->npolls; i++)
		if (strcmp(g->polls[i].name, name) == 0)
			return &g->polls[i];
	return NULL;
}

const char *
config_milestone_owner_name(enum milestone_owner o)
{
	return name_of(milestone_owners, (int)o);
}

const char *
config_role_name(enum role r)
{
	return name_of(roles, (int)r);
}

const char *
config_group_kind_name(enum group_kind k)
{
	return name_of(group_kinds, (int)k);
}

const char *
config_axis_name(enum axis a)
{
	return name_of(axes, (int)a);
}

const char *
config_meeting_kind_name(enum meeting_kind k)
{
	return name_of(meeting_kinds, (int)k);
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
config_read_secret(const char *file, const char *what, char **err)
{
	char *path, *pw = NULL, *nl;
	size_t cap = 0;
	ssize_t len;
	FILE *fp;

	if ((path = secret_path(file, what, err)) == NULL)
		return NULL;
	if ((fp = fopen(path, "re")) == NULL) {
		*err = xasprintf("cannot read %s file %s: %s", what, path,
		    strerror(errno));
		free(path);
		return NULL;
	}
	/* Unbuffered: stdio's buffer would keep a copy that fclose frees
	 * unwiped; getline's is the caller's, to wipe. */
	setvbuf(fp, NULL, _IONBF, 0);
	len = getline(&pw, &cap, fp);
	fclose(fp);
	if (len <= 0) {
		*err = xasprintf("%s file %s is empty", what, path);
		free(pw);
		free(path);
		return NULL;
	}
	free(path);
	if ((nl = strpbrk(pw, "\r\n")) != NULL)
		*nl = '\0';
	return pw;
}

char *
config_read_password(const struct endpoint *e, char **err)
{
	return config_read_secret(e->password_file, "password", err);
}

int
config_uses_oauth(const struct config *cfg)
{
	return CONFIG_AUTH_OAUTH(cfg->imap.auth) ||
	    CONFIG_AUTH_OAUTH(cfg->smtp.auth);
}

const char *
config_auth_name(enum auth a)
{
	return name_of(smtp_auths, (int)a);
}
