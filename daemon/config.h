/* config.h: the global INI file and the groups directory (DESIGN.md).
 *
 * config_load() parses everything, keeps going after errors, and reports
 * every problem as "FILE:LINE: message" (warnings as "FILE:LINE: warning:
 * message") through struct diag.  A configuration with errors is never
 * handed to the daemon; config_load() returns NULL for it.
 *
 * Ownership: a struct config owns every string and array below it;
 * config_free() releases all of it.  Strings are UTF-8, never contain CR or
 * LF (the loader refuses them), so they are safe to put in headers once
 * encoded. */
#ifndef CONVENED_CONFIG_H
#define CONVENED_CONFIG_H

#include <stddef.h>
#include <sys/stat.h>

#include "token.h"

#define CONFIG_DEFAULT_FILE CONVENED_SYSCONFDIR "/convened.ini"

enum role {
	ROLE_MINISTRY, ROLE_SECRETARIAT, ROLE_CIVIL_SOCIETY, ROLE_ACADEMIA,
	ROLE_PRIVATE, ROLE_UN_AGENCY, ROLE_FINANCING, ROLE_SUBNATIONAL,
	ROLE_SUBREGIONAL, ROLE_OTHER
};

enum group_kind { GKIND_THEMATIC, GKIND_SUBREGIONAL, GKIND_DISCUSSION };
enum axis { AXIS_NONE, AXIS_PROTECTION, AXIS_INCLUSION, AXIS_INSTITUTIONS,
            AXIS_COOPERATION };
enum meeting_kind { MKIND_MEETING, MKIND_SEMINAR, MKIND_WORKSHOP,
                    MKIND_VIRTUAL_VISIT, MKIND_INTERSECTORAL };

struct member {
	char       *email;        /* lower-case addr-spec */
	char       *name;
	char       *country;      /* ISO 3166 alpha-2, may be NULL */
	enum role   role;
	char       *language;     /* NULL: the group's */
	char       *timezone;     /* NULL: the group's */
	int         coordinator;
	char      **aliases;      /* other addresses that are the member's,
	                           * lower-case: an answer from one counts
	                           * for the member (config_member_of()) */
	size_t      naliases;
	int         line;         /* of the [member ...] header */
};

/* [guest ADDR]: how to write to a guest of the group's series (who is
 * invited is still each series' guests list). */
struct guest {
	char       *email;        /* lower-case addr-spec */
	char       *name;         /* NULL: none */
	char       *language;     /* NULL: the group's */
	char       *timezone;     /* NULL: the group's */
	int         line;         /* of the [guest ...] header */
};

struct series {
	char       *name;
	char       *summary;
	enum meeting_kind kind;
	char       *start;        /* "YYYY-MM-DD HH:MM", local to timezone */
	int         duration;     /* minutes */
	char       *rrule;        /* NULL: a single meeting */
	char      **exdate;       /* "YYYY-MM-DD" or "YYYY-MM-DD HH:MM" */
	size_t      nexdate;
	char       *timezone;     /* never NULL after load: inherits */
	char       *location;
	int         open;
	char      **guests;       /* lower-case addresses */
	size_t      nguests;
	char       *agenda;       /* absolute path, or NULL */
	int         per_occurrence;  /* invitation = occurrence: each meeting
	                              * its own event even with a rule */
	int         line;
	int         presentations;   /* slots for volunteers (present.h) */
	/* An open seminar's registration by mail (seminar.h): 0 seats is
	 * no registration; announce, where the announcement goes. */
	int         seats;
	char      **announce;     /* lower-case addresses */
	size_t      nannounce;
};

/* [milestone NAME]: a step of the plan of work (milestone.h): due on a
 * day, its owners reminded lead_days before and on that day. */
enum milestone_owner { MOWNER_COORDINATORS, MOWNER_SECRETARIAT };

struct milestone {
	char       *name;         /* lower-case letters, digits, '-', '_' */
	char       *summary;      /* never NULL after load: the name */
	char       *due;          /* "YYYY-MM-DD", a day in the group's zone */
	enum milestone_owner owner;
	int         lead_days;    /* 0: only the reminder on the due date */
	int         line;         /* of the [milestone ...] header */
};

/* [poll NAME]: a scheduling poll (poll.h): the members choose among
 * candidate times; the one a coordinator confirms becomes a meeting of
 * the group, as if a single-meeting series of this name gave it. */
#define CONFIG_POLL_CANDIDATES_MAX 20

struct poll {
	char       *name;         /* as a series' name; no series has it */
	char       *summary;      /* never NULL after load: the name */
	enum meeting_kind kind;
	int         duration;     /* minutes */
	char       *timezone;     /* never NULL after load: the group's */
	char       *location;     /* may be NULL */
	char      **candidates;   /* "YYYY-MM-DD HH:MM" local to timezone,
	                           * distinct, 1 to CONFIG_POLL_CANDIDATES_MAX */
	size_t      ncandidates;
	char       *closes;       /* "YYYY-MM-DD": the last day to answer */
	int         line;         /* of the [poll ...] header */
};

struct group {
	char       *id;
	char       *name;
	enum group_kind kind;
	enum axis   axis;
	char       *parent;       /* NULL for a top-level group */
	char       *language;     /* never NULL after load: inherits */
	char       *timezone;     /* never NULL after load: inherits */
	int         public_minutes;  /* dissemination = public */
	int         quota;        /* never 0 after load: inherits */
	struct member *members;
	size_t      nmembers;
	struct series *series;
	size_t      nseries;
	struct guest *guests;     /* [guest ADDR] sections */
	size_t      nguests;
	struct milestone *milestones;   /* [milestone NAME], in file order */
	size_t      nmilestones;
	struct poll *polls;       /* [poll NAME], in file order */
	size_t      npolls;
	char       *file;
	unsigned long long digest;  /* of the file's bytes, as read */
	int         borrowed;     /* taken from the cache: its strings lie in
	                           * the config's cache_map, its arrays in its
	                           * arena; none may be freed, replaced or
	                           * written */
	int         line;         /* of [group] */
	/* The group's mailing list (list.h, issue 20). */
	char       *list;         /* list = ADDRESS; NULL: the organizer's
	                           * "<local>+<id>@<domain>" */
	int         list_guests;  /* list_guests = yes: [guest] sections get
	                           * the list's mail and may post */
	int         reply_to_author;  /* reply_to = author (else list) */
	int         from_rewrite; /* from_rewrite = always (else never) */
	int         posting;      /* posting: enum list_posting (list.h) */
};

/* How an account signs in: with a password (AUTH PLAIN/LOGIN as the
 * server offers, or IMAP LOGIN), with an OAuth 2.0 access token in SASL
 * XOAUTH2 or OAUTHBEARER (RFC 7628), or not at all (SMTP only: a local
 * relay). */
enum auth { AUTH_PASSWORD, AUTH_XOAUTH2, AUTH_OAUTHBEARER, AUTH_NONE };

struct endpoint {
	char       *url;
	char       *username;     /* NULL: no authentication */
	char       *password_file;/* a path (it holds a '/': resolved from
	                           * the configuration file's directory), or
	                           * a systemd credential name */
	int         tls_required;
	enum auth   auth;
};

/* 1 when the account signs in with an OAuth 2.0 access token. */
#define CONFIG_AUTH_OAUTH(a) ((a) == AUTH_XOAUTH2 || (a) == AUTH_OAUTHBEARER)

enum provider { PROVIDER_NONE, PROVIDER_MICROSOFT, PROVIDER_GOOGLE,
                PROVIDER_CUSTOM };

/* [oauth]: where access tokens come from.  After load, a provider's
 * endpoints and scope are filled in where the file left them out, so
 * token_url is set whenever token_command is not. */
struct oauth_config {
	enum provider provider;     /* PROVIDER_NONE: token_command */
	char       *tenant;         /* microsoft */
	char       *token_url;
	char       *device_url;     /* NULL: no device authorization grant */
	char       *authorize_url;  /* NULL: no authorization-code grant */
	char       *client_id;
	char       *client_secret_file;   /* as password_file; NULL: none */
	char       *refresh_token_file;   /* a path, state convened writes */
	char       *scope;          /* NULL: the provider's default, if any */
	char       *token_command;  /* run by /bin/sh; NULL: none */
	int         timeout;        /* seconds for the endpoint, the command */
};

struct config {
	char       *file;
	unsigned long long digest;  /* of the file's bytes, as read */
	/* [daemon] */
	char       *state;
	char       *repository;
	char       *groups_dir;
	char       *templates;
	char       *templates_local;  /* "templates" beside the global file:
	                              * single files here override */
	char       *timezone;
	char       *language;
	int         tick;
	char       *metrics;          /* node_exporter textfile, or NULL */
	char       *publish;          /* git remote URL (repo.h), or NULL */
	char       *site_url;         /* where site/ is served (no final
	                              * '/'), or NULL: no List-Archive */
	/* [organizer] */
	char       *org_name;
	char       *org_email;
	int         org_verp;        /* envelope sender <local>+b-...@ (verp.h) */
	/* [smtp], [imap] */
	struct endpoint smtp;
	int         smtp_timeout;      /* seconds a server may stall */
	int         smtp_give_up_hours;/* a 4xx is retried this long */
	int         smtp_connections;  /* messages in flight at once, 1..8 */
	struct endpoint imap;
	char      **imap_folders;
	size_t      nimap_folders;
	char       *imap_processed;  /* NULL: flag only */
	char       *imap_quarantine; /* NULL: flag and leave in place */
	int         imap_poll;
	int         imap_timeout;      /* seconds a server may stall */
	int         imap_max_message_kb;  /* bigger is not parsed */
	/* [policy] */
	int         annual_quota;
	int         horizon_days;
	int         invite_lead_days;
	int         agenda_lead_days;
	int         minutes_grace_days;
	int         quota_checks[16];  /* month * 100 + day */
	size_t      nquota_checks;
	char       *admin;           /* NULL: nobody copied */
	int         agenda_max_kb;      /* a longer agenda is refused */
	int         attachment_max_kb;  /* a bigger file is not archived */
	int         attachments_total_max_kb;  /* nor files past this sum */
	int         presentations_lead_days;   /* the call for volunteers */
	/* [trust] (token.h) */
	char       *trust_key_file;  /* a path (it holds a '/') or a systemd
	                              * credential name; never NULL after
	                              * load: reply-token.key beside state */
	int         trust_tokens;    /* Reply-To and ORGANIZER carry tokens */
	char      **trust_authserv;  /* authserv-ids believed, lower case */
	size_t      ntrust_authserv;
	/* Not read from the file: the key trust_key_file names, loaded by
	 * the commands that send (loop_open_key()), unset before.
	 * config_free() overwrites it. */
	struct token_key trust_key;
	/* [oauth] */
	struct oauth_config oauth;
	int         oauth_given;     /* the file has an [oauth] section */
	/* groups, in file name order */
	struct group *groups;
	size_t      ngroups;
	/* the groups with an id, sorted by it (config_group() looks there);
	 * of groups sharing an id, the first in file order comes first */
	struct group **by_id;
	size_t      nby_id;
	void       *cache_map;    /* the groups' cache, mapped, or NULL */
	size_t      cache_len;
	struct arena *arena;      /* the arrays of the groups taken from it */
	char       *cache_path;   /* a cache to write: config_cache_save() */
	struct stat *cache_stats; /* ... with the files' identities */
};

/* The collected problems: text[i] is "FILE:LINE: message" or
 * "FILE:LINE: warning: message", ready to print.  notes are what `check`
 * says of a configuration besides its problems (where each endpoint's
 * password and the reply-token key are read, what plus addressing the
 * mailbox needs), "FILE:LINE: text" each.  diag_free() frees all. */
struct diag {
	char      **text;
	int        *is_error;
	size_t      n;
	size_t      nerrors;
	size_t      nwarnings;
	char      **notes;
	size_t      nnotes;
	int         no_notes;   /* set: notes are not kept (not `check`) */
};

void  diag_init(struct diag *);
void  diag_free(struct diag *);
void  diag_add(struct diag *, int is_error, const char *file, int line,
          const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void  diag_note(struct diag *, const char *file, int line,
          const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Parse file and the groups directory it names.  Returns the config when
 * there was no error (warnings allowed), else NULL; every problem is in d. */
struct config *config_load(const char *file, struct diag *d);
/* The same, taking the groups whose files are as they were from the
 * cache beside the state db (cache & CONFIG_CACHE_READ), and, when a
 * file had to be read, keeping what config_cache_save() writes again
 * (cache & CONFIG_CACHE_WRITE: only the commands that hold the state's
 * lock, once they found the state sound).  A group taken from the cache
 * says none of the warnings its file gave when it was read. */
#define CONFIG_CACHE_READ       1
#define CONFIG_CACHE_WRITE      2
struct config *config_load_cached(const char *file, int cache,
        struct diag *d);
/* The cache written when config_load_cached() read files for it;
 * nothing is said when it cannot be (it only saves time). */
void config_cache_save(struct config *);
void  config_free(struct config *);

/* Coordination rule of the plan of work: at least two coordinators, one of
 * them from a ministry, one from the secretariat.  Returns 1 when kept; on
 * a break, *why (may be NULL) points to a static English reason. */
int   config_coordination_ok(const struct group *, const char **why);

const struct group *config_group(const struct config *, const char *id);
/* The member with this address (any case), a coordinator only, the series
 * of this name: borrowed from the group, or NULL (also for a NULL key). */
const struct member *config_member(const struct group *, const char *email);
/* The member whose address, or one of whose aliases, is addr; or NULL.
 * An alias never names another member (`check` refuses it). */
const struct member *config_member_of(const struct group *,
        const char *addr);
const struct member *config_coordinator(const struct group *,
          const char *email);
const struct series *config_series(const struct group *, const char *name);
/* 1 when s goes to its attendees as one recurring event (plan.h): it has
 * a rule and invitation = series; 0 for NULL. */
int   config_series_recurring(const struct series *s);
/* The [guest ADDR] section of this address (any case), or NULL. */
const struct guest *config_guest(const struct group *, const char *email);
/* The [milestone NAME] section of this name, or NULL (also for NULL). */
const struct milestone *config_milestone(const struct group *,
          const char *name);
/* The [poll NAME] section of this name, or NULL (also for NULL). */
const struct poll *config_poll(const struct group *, const char *name);
/* "coordinators" or "secretariat". */
const char *config_milestone_owner_name(enum milestone_owner);
const char *config_role_name(enum role);
const char *config_group_kind_name(enum group_kind);
const char *config_axis_name(enum axis);
const char *config_meeting_kind_name(enum meeting_kind);

/* Member language and time zone after inheritance. */
const char *config_member_language(const struct group *, const struct member *);
const char *config_member_timezone(const struct group *, const struct member *);

/* Read the first line of a secret named in the configuration: a path (it
 * holds a '/'), or a credential name looked up in $CREDENTIALS_DIRECTORY;
 * what ("password", "reply-token key") names it in *err.  The line end is
 * cut.  Returns a string the caller wipes and frees, or NULL with *err set
 * (caller frees). */
char *config_read_secret(const char *name, const char *what, char **err);

/* config_read_secret() of an endpoint's password_file. */
char *config_read_password(const struct endpoint *, char **err);

/* The same for any secret named so (client_secret_file): its first line,
 * without the line end.  what ("client secret") goes into *err. */
char *config_read_secret(const char *file, const char *what, char **err);

/* 1 when either account signs in with OAuth 2.0. */
int   config_uses_oauth(const struct config *);

/* "password", "xoauth2", "oauthbearer" or "none". */
const char *config_auth_name(enum auth);

#endif
