/*
 * token.c: reply tokens, their key, and finding them in a reply (see
 * token.h).
 *
 * The key is made once and kept: every token convened ever issued hangs on
 * it.  So it is made the way a crash cannot spoil: random bytes into a
 * temporary file of its own (O_EXCL, 0600), synced, then link(2)ed to its
 * name, which fails rather than replace a key another process made first.
 */
#include <sys/random.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <glib.h>

#include "addr.h"
#include "config.h"
#include "log.h"
#include "mime.h"
#include "msgid.h"
#include "token.h"
#include "util.h"

#define TAG          "convened-token"
#define VERSION      1
#define KEY_HEX      (2 * TOKEN_KEY_LEN)
#define TOKEN_BITS   (5 * TOKEN_LEN)

static const char b32[] = "abcdefghijklmnopqrstuvwxyz234567";

/* ---- the key ------------------------------------------------------------ */

void
token_key_wipe(struct token_key *k)
{
	explicit_bzero(k, sizeof *k);
}

void
token_key_set(struct token_key *k, const void *bytes, size_t len)
{
	if (len != TOKEN_KEY_LEN)
		abort();
	memcpy(k->b, bytes, TOKEN_KEY_LEN);
	k->set = 1;
}

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* 64 hex digits, nothing else (the reader has cut the line end). */
static int
parse_key(const char *text, struct token_key *out)
{
	size_t i;
	int hi, lo;

	if (strlen(text) != KEY_HEX)
		return -1;
	for (i = 0; i < TOKEN_KEY_LEN; i++) {
		if ((hi = hexval(text[2 * i])) < 0 ||
		    (lo = hexval(text[2 * i + 1])) < 0)
			return -1;
		out->b[i] = (unsigned char)(hi << 4 | lo);
	}
	out->set = 1;
	return 0;
}

static int
fill_random(unsigned char *p, size_t len)
{
	ssize_t n;

	while (len > 0) {
		if ((n = getrandom(p, len, 0)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* A new key's text in a temporary file beside path: 0 with its name in
 * *tmp (caller frees), or -1 with *err. */
static int
write_temp_key(const char *path, char **tmp, char **err)
{
	unsigned char raw[TOKEN_KEY_LEN];
	char text[KEY_HEX + 2];
	size_t i;
	int fd, rc = -1;

	*tmp = xasprintf("%s.XXXXXX", path);
	if (fill_random(raw, sizeof raw) == -1) {
		*err = xasprintf("cannot make a reply-token key: getrandom: %s",
		    strerror(errno));
		goto out;
	}
	for (i = 0; i < TOKEN_KEY_LEN; i++) {
		text[2 * i] = "0123456789abcdef"[raw[i] >> 4];
		text[2 * i + 1] = "0123456789abcdef"[raw[i] & 15];
	}
	text[KEY_HEX] = '\n';
	/* mkostemp opens with O_EXCL, mode 0600. */
	if ((fd = mkostemp(*tmp, O_CLOEXEC)) == -1) {
		*err = xasprintf("cannot create reply-token key file %s: %s",
		    *tmp, strerror(errno));
		goto out;
	}
	errno = 0;
	if (write(fd, text, KEY_HEX + 1) != KEY_HEX + 1 || fsync(fd) == -1) {
		*err = xasprintf("cannot write reply-token key file %s: %s",
		    *tmp, strerror(errno ? errno : EIO));
		close(fd);
		unlink(*tmp);
		goto out;
	}
	close(fd);
	rc = 0;
out:
	explicit_bzero(raw, sizeof raw);
	explicit_bzero(text, sizeof text);
	if (rc == -1) {
		free(*tmp);
		*tmp = NULL;
	}
	return rc;
}

static void
sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir = slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) != -1) {
		fsync(fd);
		close(fd);
	}
	free(dir);
}

/* The key file at path, made when there is none.  0 or -1 with *err. */
static int
create_key(const char *path, char **err)
{
	struct stat st;
	char *tmp;
	int rc = 0;

	if (lstat(path, &st) == 0)
		return 0;
	if (errno != ENOENT) {
		*err = xasprintf("cannot look at reply-token key file %s: %s",
		    path, strerror(errno));
		return -1;
	}
	if (write_temp_key(path, &tmp, err) == -1)
		return -1;
	if (link(tmp, path) == 0) {
		sync_dir_of(path);
		log_info("reply-token key %s created", path);
	} else if (errno != EEXIST) {
		*err = xasprintf("cannot create reply-token key file %s: %s",
		    path, strerror(errno));
		rc = -1;
	}
	unlink(tmp);
	free(tmp);
	return rc;
}

/* A key file only we may read, as a password file. */
static int
check_mode(const char *path, char **err)
{
	struct stat st;

	if (stat(path, &st) == -1) {
		*err = xasprintf("cannot read reply-token key file %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (st.st_mode & 077) {
		*err = xasprintf("reply-token key file %s is readable by group "
		    "or others (mode %04o): chmod 600 it", path,
		    (unsigned)(st.st_mode & 07777));
		return -1;
	}
	return 0;
}

int
token_key_load(const char *key_file, int create, struct token_key *out,
    char **err)
{
	char *text;
	int path = key_file != NULL && strchr(key_file, '/') != NULL;

	token_key_wipe(out);
	if (key_file == NULL) {
		*err = xstrdup("no [trust] key_file");
		return -1;
	}
	if (path && ((create && create_key(key_file, err) == -1) ||
	    check_mode(key_file, err) == -1))
		return -1;
	if ((text = config_read_secret(key_file, "reply-token key", err)) ==
	    NULL)
		return -1;
	if (parse_key(text, out) == -1) {
		token_key_wipe(out);
		*err = xasprintf("reply-token key %s is not 64 hexadecimal "
		    "digits on one line", key_file);
	}
	explicit_bzero(text, strlen(text));
	free(text);
	return out->set ? 0 : -1;
}

/* ---- tokens ------------------------------------------------------------- */

static void
put_len(GHmac *h, size_t n)
{
	guchar b[4];

	b[0] = (guchar)(n >> 24);
	b[1] = (guchar)(n >> 16);
	b[2] = (guchar)(n >> 8);
	b[3] = (guchar)n;
	g_hmac_update(h, b, sizeof b);
}

void
token_build(const struct token_key *k, enum token_scope kind,
    const char *scope, const char *recipient, char out[TOKEN_LEN + 1])
{
	static const guchar head[] = TAG "\0\1";
	guchar mac[32], kc = kind == TOKEN_MEETING ? 'm' :
	    kind == TOKEN_BOUNCE ? 'b' : kind == TOKEN_HELD ? 'h' : 'g';
	gsize maclen = sizeof mac;
	char *addr = xstrdup(recipient ? recipient : "");
	uint64_t bits;
	GHmac *h;
	size_t i;

	if (!k->set)
		abort();
	_Static_assert(VERSION == 1, "the encoding's version is in head[]");
	if (scope == NULL)
		scope = "";
	str_lower(addr);
	h = g_hmac_new(G_CHECKSUM_SHA256, k->b, TOKEN_KEY_LEN);
	g_hmac_update(h, head, sizeof head - 1);
	g_hmac_update(h, &kc, 1);
	put_len(h, strlen(scope));
	g_hmac_update(h, (const guchar *)scope, strlen(scope));
	put_len(h, strlen(addr));
	g_hmac_update(h, (const guchar *)addr, strlen(addr));
	g_hmac_get_digest(h, mac, &maclen);
	g_hmac_unref(h);
	free(addr);
	/* The first 80 bits, five at a time from the most significant. */
	bits = 0;
	for (i = 0; i < 8; i++)
		bits = bits << 8 | mac[i];
	for (i = 0; i < 12; i++)
		out[i] = b32[(bits >> (59 - 5 * i)) & 31];
	bits = (uint64_t)(bits & 0xf) << 16 | (uint64_t)mac[8] << 8 | mac[9];
	for (i = 12; i < TOKEN_LEN; i++)
		out[i] = b32[(bits >> (5 * (TOKEN_LEN - 1 - i))) & 31];
	out[TOKEN_LEN] = '\0';
	explicit_bzero(mac, sizeof mac);
	_Static_assert(TOKEN_BITS == 80, "12 letters from 60 bits, 4 from 20");
}

int
token_verify(const struct token_key *k, enum token_scope kind,
    const char *scope, const char *recipient, const char *token)
{
	char want[TOKEN_LEN + 1];
	unsigned diff = 0;
	size_t i;
	char c;

	if (token == NULL || strnlen(token, TOKEN_LEN + 1) != TOKEN_LEN)
		return 0;
	token_build(k, kind, scope, recipient, want);
	for (i = 0; i < TOKEN_LEN; i++) {
		c = token[i];
		/* Upper case to lower, branch-free: only letters differ. */
		c = (char)(c | (((unsigned)(c - 'A') < 26) << 5));
		diff |= (unsigned)(unsigned char)(c ^ want[i]);
	}
	explicit_bzero(want, sizeof want);
	return diff == 0;
}

char *
token_address(const char *org_email, const char *token)
{
	const char *at = org_email ? strrchr(org_email, '@') : NULL;

	if (at == NULL || at == org_email ||
	    memchr(org_email, '+', (size_t)(at - org_email)) != NULL)
		return NULL;
	return xasprintf("%.*s+%s@%s", (int)(at - org_email), org_email, token,
	    at + 1);
}

/* ---- finding them ------------------------------------------------------- */

const char *
token_where_name(enum token_where w)
{
	static const char *const names[] = { "to", "cc", "delivered-to",
	    "organizer", "in-reply-to", "references" };

	return (unsigned)w < sizeof names / sizeof names[0] ? names[w] : "?";
}

/* n bytes of s are a token: TOKEN_LEN base32 letters, either case. */
static int
is_token(const char *s, size_t n)
{
	size_t i;

	if (n != TOKEN_LEN)
		return 0;
	for (i = 0; i < n; i++)
		if (strchr(b32, s[i] | 0x20) == NULL || s[i] == '\0')
			return 0;
	return 1;
}

struct finder {
	struct token_found *out;
	size_t n, max;
};

static void
add(struct finder *f, const char *tok, enum token_where where,
    const char *in)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strncasecmp(f->out[i].token, tok, TOKEN_LEN) == 0)
			return;
	if (f->n >= f->max)
		return;
	for (i = 0; i < TOKEN_LEN; i++)
		f->out[f->n].token[i] = (char)(tok[i] | 0x20);
	f->out[f->n].token[TOKEN_LEN] = '\0';
	f->out[f->n].where = where;
	f->out[f->n].in = in;
	f->n++;
}

/* "<local>+<token>@<domain>", with org's local part and domain when org
 * is set. */
static void
from_address(struct finder *f, const char *a, const char *org,
    enum token_where where)
{
	const char *at, *plus, *oat;

	if (a == NULL || (at = strrchr(a, '@')) == NULL ||
	    (plus = memchr(a, '+', (size_t)(at - a))) == NULL ||
	    !is_token(plus + 1, (size_t)(at - plus - 1)))
		return;
	if (org != NULL && ((oat = strrchr(org, '@')) == NULL ||
	    (size_t)(oat - org) != (size_t)(plus - a) ||
	    strncasecmp(a, org, (size_t)(plus - a)) != 0 ||
	    strcasecmp(at + 1, oat + 1) != 0))
		return;
	add(f, plus + 1, where, a);
}

static void
from_addresses(struct finder *f, char *const *v, size_t n, const char *org,
    enum token_where where)
{
	size_t i;

	for (i = 0; i < n; i++)
		from_address(f, v[i], org, where);
}

/* Our Message-ID's token field; in the organizer's domain when org is
 * set, else in the id's own. */
static void
from_msgid(struct finder *f, const char *id, const char *org,
    enum token_where where)
{
	struct msgid m;

	if (id == NULL || strrchr(id, '@') == NULL)
		return;
	if (msgid_parse(id, addr_domain(org ? org : id), &m) == 0 &&
	    m.version == 1 && is_token(m.token, strlen(m.token)))
		add(f, m.token, where, id);
}

size_t
token_find(const struct mime_msg *m, const char *organizer,
    const char *org_email, struct token_found *out, size_t max)
{
	struct finder f = { out, 0, max };
	size_t i;

	if (m != NULL) {
		from_addresses(&f, m->to, m->nto, org_email, TOKEN_IN_TO);
		from_addresses(&f, m->cc, m->ncc, org_email, TOKEN_IN_CC);
		from_addresses(&f, m->delivered_to, m->ndelivered_to, org_email,
		    TOKEN_IN_DELIVERED_TO);
	}
	from_address(&f, organizer, org_email, TOKEN_IN_ORGANIZER);
	if (m != NULL) {
		from_msgid(&f, m->in_reply_to, org_email, TOKEN_IN_REPLY_TO);
		for (i = 0; i < m->nreferences; i++)
			from_msgid(&f, m->references[i], org_email,
			    TOKEN_IN_REFERENCES);
	}
	return f.n;
}
