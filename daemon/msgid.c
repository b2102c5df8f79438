/*
 * msgid.c: convened's Message-IDs, built and read back (see msgid.h).
 *
 * Reading is strict: an id read back decides which meeting a reply is
 * about, and anyone can put any id in In-Reply-To.  Each field is checked
 * against its character set and length before anything is copied.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "msgid.h"
#include "util.h"

#define TAG         "cv1"       /* this form, version 1 */
#define NONE        "-"
#define LOCAL_MAX   200         /* of a UID's local part */
#define NFIELDS     6           /* in this form; older ones had 3 to 5 */
#define HASH_LEN    8

/* A field of an id being read: not NUL-terminated. */
struct span {
	const char *p;
	size_t      n;
};

/* n bytes of s are a field: 1 to max of lower-case letters, digits and
 * the bytes in also, starting with a letter or digit. */
static int
field_ok(const char *s, size_t n, size_t max, const char *also)
{
	size_t i;

	if (n == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++) {
		if ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9'))
			continue;
		if (i == 0 || s[i] == '\0' || strchr(also, s[i]) == NULL)
			return 0;
	}
	return 1;
}

static int
kind_ok(const char *s, size_t n)
{
	return field_ok(s, n, MSGID_KIND_MAX, "-");
}

static int
name_ok(const char *s, size_t n, size_t max)
{
	return field_ok(s, n, max, "-_");
}

static int
tag_ok(const char *s, size_t n, size_t max)
{
	return field_ok(s, n, max, "");
}

static int
hash_ok(const struct span *f)
{
	size_t i;

	if (f->n != HASH_LEN)
		return 0;
	for (i = 0; i < f->n; i++)
		if (!((f->p[i] >= '0' && f->p[i] <= '9') ||
		    (f->p[i] >= 'a' && f->p[i] <= 'f')))
			return 0;
	return 1;
}

static int
is(const struct span *f, const char *word)
{
	return f->n == strlen(word) && memcmp(f->p, word, f->n) == 0;
}

/* Copy a checked field; 0, or -1 when it does not fit. */
static int
put(char *dst, size_t cap, const struct span *f)
{
	if (f->n >= cap)
		return -1;
	memcpy(dst, f->p, f->n);
	dst[f->n] = '\0';
	return 0;
}

/* The meeting's UID from its local part. */
static int
put_uid(struct msgid *out, const struct span *local, const char *domain)
{
	int n;

	if (!name_ok(local->p, local->n, LOCAL_MAX))
		return -1;
	n = snprintf(out->uid, sizeof out->uid, "%.*s@%s", (int)local->n,
	    local->p, domain);
	return n < 0 || (size_t)n >= sizeof out->uid ? -1 : 0;
}

int
msgid_init(struct msgid *id, const char *kind, const char *group,
    const char *uid)
{
	memset(id, 0, sizeof *id);
	id->version = 1;
	if (strlen(kind) >= sizeof id->kind ||
	    (group != NULL && strlen(group) >= sizeof id->group) ||
	    (uid != NULL && strlen(uid) >= sizeof id->uid))
		return -1;
	memcpy(id->kind, kind, strlen(kind) + 1);
	if (group != NULL)
		memcpy(id->group, group, strlen(group) + 1);
	if (uid != NULL)
		memcpy(id->uid, uid, strlen(uid) + 1);
	return 0;
}

void
msgid_set_sequence(struct msgid *id, int sequence)
{
	snprintf(id->ref, sizeof id->ref, "%d", sequence);
}

void
msgid_set_ref(struct msgid *id, const char *text)
{
	snprintf(id->ref, sizeof id->ref, "%08x", str_hash32(text));
}

int
msgid_ref_is(const char *ref, const char *text)
{
	struct msgid id;

	msgid_set_ref(&id, text);
	return ref != NULL && strcmp(id.ref, ref) == 0;
}

void
msgid_set_token(struct msgid *id, const char *token)
{
	size_t n = strlen(token);

	/* One too long is left out, never cut: msgid_build() refuses. */
	if (n >= sizeof id->token)
		n = 0;
	memcpy(id->token, token, n);
	id->token[n] = '\0';
}

char *
msgid_build(const struct msgid *id, const char *domain)
{
	const char *at = strrchr(id->uid, '@');
	const char *group = *id->group ? id->group : NONE;
	const char *ref = *id->ref ? id->ref : NONE;
	const char *local = NONE;
	size_t nlocal = 1;

	if (*id->uid != '\0') {
		if (at == NULL)
			return NULL;
		local = id->uid;
		nlocal = (size_t)(at - id->uid);
	}
	if (!kind_ok(id->kind, strlen(id->kind)) ||
	    (*id->group && !name_ok(id->group, strlen(id->group),
	    MSGID_GROUP_MAX)) ||
	    (*id->uid && !name_ok(local, nlocal, LOCAL_MAX)) ||
	    (*id->ref && !tag_ok(id->ref, strlen(id->ref), MSGID_REF_MAX)) ||
	    !tag_ok(id->token, strlen(id->token), MSGID_TOKEN_MAX) ||
	    domain == NULL || *domain == '\0' || strchr(domain, '@') != NULL)
		return NULL;
	return xasprintf(TAG ".%s.%s.%.*s.%s.%s@%s", id->kind, group,
	    (int)nlocal, local, ref, id->token, domain);
}

/* The local part split at dots: the number of fields, or -1 for an empty
 * field (a leading, trailing or doubled dot) or more than max. */
static int
split(const char *s, size_t len, struct span *f, int max)
{
	const char *end = s + len, *dot;
	int n = 0;

	while (n < max) {
		dot = memchr(s, '.', (size_t)(end - s));
		f[n].p = s;
		f[n].n = (size_t)((dot ? dot : end) - s);
		if (f[n++].n == 0)
			return -1;
		if (dot == NULL)
			return n;
		s = dot + 1;
	}
	return -1;
}

/* cv1.<kind>.<group>.<meeting>.<ref>.<token> */
static int
read_current(const struct span *f, const char *domain, struct msgid *out)
{
	out->version = 1;
	if (!kind_ok(f[1].p, f[1].n) || put(out->kind, sizeof out->kind,
	    &f[1]) == -1)
		return -1;
	if (!is(&f[2], NONE) && (!name_ok(f[2].p, f[2].n, MSGID_GROUP_MAX) ||
	    put(out->group, sizeof out->group, &f[2]) == -1))
		return -1;
	if (!is(&f[3], NONE) && put_uid(out, &f[3], domain) == -1)
		return -1;
	if (!is(&f[4], NONE) && (!tag_ok(f[4].p, f[4].n, MSGID_REF_MAX) ||
	    put(out->ref, sizeof out->ref, &f[4]) == -1))
		return -1;
	if (!tag_ok(f[5].p, f[5].n, MSGID_TOKEN_MAX))
		return -1;
	return put(out->token, sizeof out->token, &f[5]);
}

/* What the release before this one sent (msgid.h). */
static int
read_legacy(const struct span *f, int n, const char *domain,
    struct msgid *out)
{
	static const char *const requests[] = { "agenda-request",
	    "agenda-reminder", "minutes-request", "minutes-reminder", NULL };
	struct span kind = f[0];
	size_t i;

	out->version = 0;
	if (n == 3) {
		for (i = 0; requests[i] != NULL && !is(&f[0], requests[i]); i++)
			;
		if (requests[i] == NULL || !hash_ok(&f[2]) ||
		    put_uid(out, &f[1], domain) == -1)
			return -1;
		return put(out->kind, sizeof out->kind, &kind) == -1 ? -1 :
		    put(out->token, sizeof out->token, &f[2]);
	}
	if (n == 4 && (is(&f[2], "request") || is(&f[2], "cancel"))) {
		kind.p = is(&f[2], "cancel") ? "cancel" : "invite";
		kind.n = strlen(kind.p);
		if (f[1].n > 9 || strspn(f[1].p, "0123456789") < f[1].n ||
		    !hash_ok(&f[3]) || put_uid(out, &f[0], domain) == -1 ||
		    put(out->ref, sizeof out->ref, &f[1]) == -1)
			return -1;
		return put(out->kind, sizeof out->kind, &kind) == -1 ? -1 :
		    put(out->token, sizeof out->token, &f[3]);
	}
	if (n == 4 && (is(&f[0], "counter") || is(&f[0], "minutes-notice"))) {
		kind.p = is(&f[0], "counter") ? "counter-notice" : "minutes-notice";
		kind.n = strlen(kind.p);
		if (!hash_ok(&f[2]) || !hash_ok(&f[3]) ||
		    put_uid(out, &f[1], domain) == -1 ||
		    put(out->ref, sizeof out->ref, &f[2]) == -1)
			return -1;
		return put(out->kind, sizeof out->kind, &kind) == -1 ? -1 :
		    put(out->token, sizeof out->token, &f[3]);
	}
	if (n == 5 && is(&f[0], "notice")) {
		if (!kind_ok(f[1].p, f[1].n) ||
		    !name_ok(f[2].p, f[2].n, MSGID_GROUP_MAX) ||
		    !hash_ok(&f[3]) || !hash_ok(&f[4]) ||
		    put(out->kind, sizeof out->kind, &f[1]) == -1 ||
		    put(out->group, sizeof out->group, &f[2]) == -1 ||
		    put(out->ref, sizeof out->ref, &f[3]) == -1)
			return -1;
		return put(out->token, sizeof out->token, &f[4]);
	}
	return -1;
}

int
msgid_parse(const char *id, const char *domain, struct msgid *out)
{
	struct span f[NFIELDS];
	const char *at;
	int n, rc = -1;

	memset(out, 0, sizeof *out);
	if (id == NULL || domain == NULL || strnlen(id, MSGID_MAX + 1) >
	    MSGID_MAX || (at = strrchr(id, '@')) == NULL ||
	    strcasecmp(at + 1, domain) != 0)
		return -1;
	n = split(id, (size_t)(at - id), f, NFIELDS);
	if (n == NFIELDS && is(&f[0], TAG))
		rc = read_current(f, domain, out);
	else if (n > 0)
		rc = read_legacy(f, n, domain, out);
	if (rc == -1)
		memset(out, 0, sizeof *out);
	return rc;
}
