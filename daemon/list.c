/*
 * list.c: every group a mailing list (see list.h).
 *
 * A post is a letter like any other (letter.h): one outbox row per
 * reader, whose Message-ID carries the reader's token for the group, so
 * that a reply to it proves its sender as every other reply does.  What
 * is relayed is rebuilt here from what mime.c read (the text and the
 * attachments that pass filetype.h), never the raw MIME of the post.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "addr.h"
#include "classify.h"
#include "compose.h"
#include "config.h"
#include "cycle.h"
#include "filetype.h"
#include "letter.h"
#include "log.h"
#include "list.h"
#include "listarchive.h"
#include "mime.h"
#include "msgid.h"
#include "store.h"
#include "template.h"
#include "token.h"
#include "util.h"

#define REQUEST_SUFFIX  "-request"
#define POST_KIND       "post"
#define ASK_KIND        "list-moderation"
#define ADDRS_PER_FIELD 3       /* To, Cc, Delivered-To */

/* ---- addresses ----------------------------------------------------------- */

/* The first n bytes of a, then b, c and d: a list address is made for
 * every group at every start, where a format string costs more than
 * the rest of reading the group. */
static char *
join3(const char *a, size_t n, const char *b, const char *c, const char *d)
{
	size_t nb = strlen(b), nc = strlen(c), nd = strlen(d);
	char *s = xmalloc(n + nb + nc + nd + 1);

	memcpy(s, a, n);
	memcpy(s + n, b, nb);
	memcpy(s + n + nb, c, nc);
	memcpy(s + n + nb + nc, d, nd + 1);
	return s;
}

char *
list_address(const struct config *cfg, const struct group *g)
{
	const char *at;

	if (g->list != NULL)
		return xstrdup(g->list);
	/* A configuration without [organizer] email is refused for that;
	 * check goes on reading it, and meets this. */
	if (cfg->org_email == NULL || (at = strchr(cfg->org_email, '@')) ==
	    NULL)
		return NULL;
	return join3(cfg->org_email, (size_t)(at - cfg->org_email), "+",
	    g->id, at);
}

char *
list_request_address(const struct config *cfg, const struct group *g)
{
	char *l = list_address(cfg, g), *r;
	const char *at;

	if (l == NULL || (at = strrchr(l, '@')) == NULL) {
		free(l);
		return NULL;
	}
	r = join3(l, (size_t)(at - l), "", REQUEST_SUFFIX, at);
	free(l);
	return r;
}

/* 1 when s[0..n) is all letters of RFC 4648's lower-case base32. */
static int
base32ish(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '2' &&
		    s[i] <= '7')))
			return 0;
	return n > 0;
}

/* What the plus detail of address (NULL: none) would be taken for in
 * the organizer's mailbox, or NULL when nothing. */
static const char *
detail_clash(const struct config *cfg, const char *address)
{
	const char *at = strchr(cfg->org_email, '@'), *plus, *dash, *end;
	size_t local = at ? (size_t)(at - cfg->org_email) : 0;

	if (at == NULL || strncasecmp(address, cfg->org_email, local) != 0 ||
	    address[local] != '+' || (end = strrchr(address, '@')) == NULL ||
	    strcasecmp(end, at) != 0)
		return NULL;
	plus = address + local + 1;
	/* A detail of a token's form ("universalization") is no clash: list
	 * addresses are compared whole with the groups' before any token is
	 * looked for, and a token is only what token_verify() says is one
	 * (an HMAC equal to a group id: one chance in 2^80). */
	if (end - plus > 3 && strncmp(plus, "b-", 2) == 0 &&
	    (dash = memchr(plus + 2, '-', (size_t)(end - plus - 2))) != NULL &&
	    base32ish(plus + 2, (size_t)(dash - plus - 2)) &&
	    (size_t)(end - dash - 1) == TOKEN_LEN)
		return "a VERP envelope sender (b-<row>-<16 letters>)";
	return NULL;
}

const char *
list_check(const struct config *cfg, const struct group *g, char *buf,
    size_t size)
{
	char *l, *r;
	const char *clash, *res = NULL;

	/* Nothing to compare with: the missing organizer is its own error. */
	if (cfg->org_email == NULL)
		return NULL;
	l = list_address(cfg, g);
	r = list_request_address(cfg, g);
	clash = l ? detail_clash(cfg, l) : NULL;
	if (l == NULL || r == NULL)
		goto out;
	if (clash != NULL) {
		snprintf(buf, size, "list address %s has the form of %s: set "
		    "list = to another address", l, clash);
		res = buf;
		goto out;
	}
	if (strcasecmp(l, cfg->org_email) == 0) {
		snprintf(buf, size, "list address %s is the organizer's own: "
		    "replies and posts could not be told apart", l);
		res = buf;
		goto out;
	}
out:
	free(l);
	free(r);
	return res;
}

/* One list or command address of the group at index i. */
struct owned {
	char   *addr;
	size_t  i;
};

static int
owned_cmp(const void *a, const void *b)
{
	const struct owned *x = a, *y = b;
	int c = strcasecmp(x->addr, y->addr);

	return c != 0 ? c : x->i < y->i ? -1 : x->i > y->i;
}

/* Sorted, so that a clash is a neighbour: `check` stays linear in the
 * groups (10,000 of them read in a second, not in minutes). */
void
list_clashes(const struct config *cfg, const struct group **taken)
{
	struct owned *o = xcalloc(2 * cfg->ngroups + 1, sizeof *o);
	const struct group *g, *h;
	size_t n = 0, i, j, k, m;

	for (i = 0; i < cfg->ngroups; i++) {
		taken[i] = NULL;
		if (cfg->groups[i].id == NULL)
			continue;
		if ((o[n].addr = list_address(cfg, &cfg->groups[i])) != NULL)
			o[n++].i = i;
		if ((o[n].addr = list_request_address(cfg, &cfg->groups[i])) !=
		    NULL)
			o[n++].i = i;
	}
	qsort(o, n, sizeof *o, owned_cmp);
	for (i = 0; i < n; i = j) {
		for (j = i + 1; j < n && strcasecmp(o[i].addr, o[j].addr) == 0;
		    j++)
			;
		/* In a run of one address, each group is told the first
		 * group before it in file order; a group of the same id is
		 * reported as such, not here. */
		for (k = i + 1; k < j; k++)
			for (m = i; m < k; m++) {
				g = &cfg->groups[o[k].i];
				h = &cfg->groups[o[m].i];
				if (o[m].i < o[k].i && strcmp(g->id, h->id) != 0 &&
				    (taken[o[k].i] == NULL || h < taken[o[k].i])) {
					taken[o[k].i] = h;
					break;
				}
			}
	}
	for (i = 0; i < n; i++)
		free(o[i].addr);
	free(o);
}

/* 1 when one of the n addresses in v is a (case-insensitively). */
static int
names(char *const *v, size_t n, const char *a)
{
	size_t i;

	for (i = 0; a != NULL && i < n; i++)
		if (v[i] != NULL && strcasecmp(v[i], a) == 0)
			return 1;
	return 0;
}

const struct group *
list_addressed(const struct config *cfg, const struct mime_msg *m,
    int *request)
{
	char *const *fields[ADDRS_PER_FIELD] = { m->to, m->cc, m->delivered_to };
	size_t counts[ADDRS_PER_FIELD] = { m->nto, m->ncc, m->ndelivered_to };
	const struct group *g;
	char *l, *r;
	size_t i, f;
	int found;

	for (i = 0; i < cfg->ngroups; i++) {
		g = &cfg->groups[i];
		if (g->id == NULL)
			continue;
		l = list_address(cfg, g);
		r = list_request_address(cfg, g);
		for (f = 0, found = 0; f < ADDRS_PER_FIELD && !found; f++)
			found = names(fields[f], counts[f], l) ? 1 :
			    names(fields[f], counts[f], r) ? 2 : 0;
		free(l);
		free(r);
		if (found) {
			if (request != NULL)
				*request = found == 2;
			return g;
		}
	}
	return NULL;
}

/* ---- what a relayed post carries ------------------------------------------ */

char *
list_subject(const char *id, const char *subject)
{
	char *tag = xasprintf("[%s]", id), *out;
	const char *s = subject ? subject : "";
	size_t n = strlen(tag), i;

	for (i = 0; s[i] != '\0'; i++)
		if (strncasecmp(s + i, tag, n) == 0) {
			free(tag);
			return xstrdup(s);
		}
	out = *s ? xasprintf("%s %s", tag, s) : xstrdup(tag);
	free(tag);
	return out;
}

char *
list_id(const struct config *cfg, const struct group *g)
{
	char *l = list_address(cfg, g), *id;

	id = xasprintf("%s <%s.list.%s>", g->name ? g->name : g->id, g->id,
	    l ? addr_domain(l) : "invalid");
	free(l);
	return id;
}

/* The <...> part of a List-Id value, or the value itself. */
static const char *
id_label(const char *v, size_t *n)
{
	const char *open = strrchr(v, '<'), *close;

	if (open != NULL && (close = strchr(open, '>')) != NULL) {
		*n = (size_t)(close - open - 1);
		return open + 1;
	}
	*n = strlen(v);
	return v;
}

int
list_looped(const struct config *cfg, const struct mime_msg *m)
{
	const char *xloop = mime_header(m, "X-Loop"), *lid = mime_header(m,
	    "List-Id"), *a, *b;
	char *l, *ours;
	size_t i, na, nb;
	int hit = 0;

	for (i = 0; !hit && i < cfg->ngroups; i++) {
		if (cfg->groups[i].id == NULL)
			continue;
		l = list_address(cfg, &cfg->groups[i]);
		ours = list_id(cfg, &cfg->groups[i]);
		if (xloop != NULL && l != NULL && strcasestr(xloop, l) != NULL)
			hit = 1;
		if (lid != NULL) {
			a = id_label(lid, &na);
			b = id_label(ours, &nb);
			hit |= na == nb && strncasecmp(a, b, na) == 0;
		}
		free(l);
		free(ours);
	}
	return hit;
}

char **
list_headers(const struct config *cfg, const struct group *g)
{
	char *l = list_address(cfg, g), *r = list_request_address(cfg, g);
	char **h = xcalloc(15, sizeof *h);

	h[0] = xstrdup("List-Id");
	h[1] = list_id(cfg, g);
	h[2] = xstrdup("List-Post");
	h[3] = xasprintf("<mailto:%s>", l ? l : "");
	h[4] = xstrdup("List-Help");
	h[5] = xasprintf("<mailto:%s?subject=help>", r ? r : "");
	h[6] = xstrdup("List-Unsubscribe");
	h[7] = xasprintf("<mailto:%s?subject=unsubscribe>", r ? r : "");
	h[8] = xstrdup("Precedence");
	h[9] = xstrdup("list");
	h[10] = xstrdup("X-Loop");
	h[11] = xstrdup(l ? l : "");
	if (cfg->site_url != NULL && g->public_minutes) {
		h[12] = xstrdup("List-Archive");
		h[13] = xasprintf("<%s/%s.html#list>", cfg->site_url, g->id);
	}
	free(l);
	free(r);
	return h;
}

void
list_headers_free(char **h)
{
	size_t i;

	for (i = 0; h != NULL && h[i] != NULL; i++)
		free(h[i]);
	free(h);
}

/* ---- commands --------------------------------------------------------------- */

static const struct {
	const char *word;
	enum list_command cmd;
} words[] = {
	{ "approve", LIST_CMD_APPROVE }, { "aprobar", LIST_CMD_APPROVE },
	{ "aprovar", LIST_CMD_APPROVE }, { "approuver", LIST_CMD_APPROVE },
	{ "reject", LIST_CMD_REJECT }, { "rechazar", LIST_CMD_REJECT },
	{ "rejeitar", LIST_CMD_REJECT }, { "rejeter", LIST_CMD_REJECT },
	{ "digest", LIST_CMD_DIGEST }, { "resumen", LIST_CMD_DIGEST },
	{ "resumo", LIST_CMD_DIGEST }, { "recueil", LIST_CMD_DIGEST },
	{ "nomail", LIST_CMD_NOMAIL }, { "pausa", LIST_CMD_NOMAIL },
	{ "pause", LIST_CMD_NOMAIL },
	{ "resume", LIST_CMD_RESUME }, { "reanudar", LIST_CMD_RESUME },
	{ "retomar", LIST_CMD_RESUME }, { "reprendre", LIST_CMD_RESUME },
};

/* The numbers in s[0..n) (spaces, commas, punctuation between them)
 * as bits, or -1 when anything else is there or one is out of range. */
static long
numbers(const char *s, size_t n)
{
	unsigned long bits = 0, v;
	size_t i = 0;

	while (i < n) {
		if (isdigit((unsigned char)s[i])) {
			for (v = 0; i < n && isdigit((unsigned char)s[i]) &&
			    v <= LIST_BATCH_MAX; i++)
				v = v * 10 + (unsigned long)(s[i] - '0');
			if (v < 1 || v > LIST_BATCH_MAX)
				return -1;
			bits |= 1UL << (v - 1);
		} else if (strchr(" \t,;.#", s[i]) != NULL)
			i++;
		else
			return -1;
	}
	return (long)bits;
}

enum list_command
list_command(const char *text, unsigned long *which)
{
	const char *p = text ? text : "", *end;
	size_t n, i, len;
	long bits;

	*which = 0;
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	len = strcspn(p, "\r\n");
	for (n = 0; n < len && isalpha((unsigned char)p[n]); n++)
		;
	end = p + n;
	while (end < p + len && strchr(":.!", *end) != NULL)
		end++;
	for (i = 0; i < sizeof words / sizeof words[0]; i++) {
		if (strlen(words[i].word) != n ||
		    strncasecmp(p, words[i].word, n) != 0)
			continue;
		if ((bits = numbers(end, len - (size_t)(end - p))) < 0)
			return LIST_CMD_NONE;
		*which = (unsigned long)bits;
		return words[i].cmd;
	}
	return LIST_CMD_NONE;
}

/* ---- relaying ---------------------------------------------------------------- */

/* What one post sends: the letter's post part and attachments, built
 * once for every reader. */
struct relay {
	struct letter_post lp;
	struct compose_attachment *att;
	size_t natt;
	char *list, *subject, *from_name, *text, **headers;
	struct msgid answered;
};

/* The attachments of m that pass the documents' rules (filetype.h by
 * content, [policy] attachment_max_kb each and attachments_total_max_kb
 * together); one line for each left out appended to *text. */
static void
relay_files(const struct config *cfg, const struct mime_msg *m,
    struct relay *r, struct buf *text)
{
	size_t i, total = 0, one = (size_t)cfg->attachment_max_kb * 1024,
	    all = (size_t)cfg->attachments_total_max_kb * 1024;
	const struct mime_attachment *a;
	const char *why = NULL;

	r->att = xcalloc(m->natt ? m->natt : 1, sizeof *r->att);
	for (i = 0; i < m->natt; i++) {
		a = &m->att[i];
		if (mime_attachment_is_calendar(a))
			continue;
		why = NULL;
		if (filetype_detect(a->data, a->size, a->charset, &why) ==
		    FILETYPE_OTHER && why == NULL)
			why = "not an allowed type";
		else if (a->size > one || a->size > all - total)
			why = "too big";
		if (why != NULL) {
			buf_addf(text, "\n[%s (%zu KB): %s]",
			    a->filename ? a->filename : "attachment",
			    (a->size + 1023) / 1024, why);
			continue;
		}
		total += a->size;
		r->att[r->natt++] = (struct compose_attachment){ a->filename,
		    a->content_type, a->data, a->size };
	}
}

/* The post part of v's letters for group g. */
static void
relay_init(const struct config *cfg, const struct group *g,
    const struct verdict *v, struct relay *r)
{
	const struct mime_msg *m = v->msg;
	const char *author = m->from_name && *m->from_name ? m->from_name :
	    v->from;
	struct buf t = BUF_INIT(BUF_OWN);

	memset(r, 0, sizeof *r);
	r->list = list_address(cfg, g);
	r->subject = list_subject(g->id, m->subject);
	r->headers = list_headers(cfg, g);
	buf_adds(&t, m->text ? m->text : "");
	relay_files(cfg, m, r, &t);
	r->text = buf_detach(&t);
	r->lp.subject = r->subject;
	r->lp.text = r->text;
	r->lp.headers = (const char *const *)r->headers;
	if (g->from_rewrite) {
		r->from_name = xasprintf("%s via %s", author, g->name);
		r->lp.from_name = r->from_name;
		r->lp.from_email = r->list;
		if (g->reply_to_author) {
			r->lp.reply_to = v->from;
			r->lp.reply_to_name = m->from_name;
		} else {
			r->lp.reply_to = r->list;
			r->lp.reply_to_name = g->name;
			r->lp.cc = v->from;
			r->lp.cc_name = m->from_name;
		}
	} else {
		r->lp.from_name = m->from_name;
		r->lp.from_email = v->from;
		r->lp.reply_to = g->reply_to_author ? NULL : r->list;
		r->lp.reply_to_name = g->reply_to_author ? NULL : g->name;
	}
	/* A reply to a post the list relayed names each reader's own copy. */
	if (msgid_parse(m->in_reply_to, addr_domain(cfg->org_email),
	    &r->answered) == 0 && strcmp(r->answered.kind, POST_KIND) == 0 &&
	    strcmp(r->answered.group, g->id) == 0 && r->answered.ref[0])
		r->lp.reply_ref = r->answered.ref;
	else
		r->lp.in_reply_to = m->in_reply_to;
}

static void
relay_free(struct relay *r)
{
	free(r->att);
	free(r->list);
	free(r->subject);
	free(r->from_name);
	free(r->text);
	list_headers_free(r->headers);
}

char *
list_clean_post(const struct config *cfg, const struct group *g,
    const struct verdict *v, const char *message_id, long long date,
    size_t *len, char **text)
{
	struct compose_msg cm;
	struct relay r;
	char *out;

	relay_init(cfg, g, v, &r);
	memset(&cm, 0, sizeof cm);
	cm.from_name = v->msg->from_name;
	cm.from_email = v->from;
	cm.to_name = g->name;
	cm.to_email = r.list;
	cm.subject = r.subject;
	cm.message_id = message_id;
	cm.in_reply_to = v->msg->in_reply_to;
	cm.date = date;
	cm.text = r.text;
	cm.att = r.att;
	cm.natt = r.natt;
	cm.extra_headers = (const char *const *)r.headers;
	out = compose_message(&cm, len);
	*text = r.text;
	r.text = NULL;
	relay_free(&r);
	return out;
}

/* Whether to reaches list mail of g now: not paused, delivery each. 1
 * yes, 0 no, -1 error. */
static int
reads_each(struct store *st, const struct group *g, const char *to,
    char **err)
{
	struct store_reader rd;

	if (store_reader_get(st, g->id, to, &rd, err) == -1)
		return -1;
	return !rd.paused && strcmp(rd.delivery, "each") == 0;
}

/* One letter of post r to to. 1 queued, 0 not (the author, a reader who
 * reads otherwise), -1 error. */
static int
relay_one(const struct config *cfg, struct store *st, long long now,
    const struct group *g, const struct relay *r, const char *post_id,
    const char *author, const char *to, char **err)
{
	const struct member *am = author ? config_member_of(g, author) : NULL;
	struct letter l;
	int rc;

	if (author != NULL && (strcasecmp(author, to) == 0 ||
	    (am != NULL && strcasecmp(am->email, to) == 0)))
		return 0;
	if ((rc = reads_each(st, g, to, err)) != 1)
		return rc;
	memset(&l, 0, sizeof l);
	l.kind = POST_KIND;
	l.group = g;
	l.to = to;
	l.ref = post_id;
	l.att = r->att;
	l.natt = r->natt;
	l.post = &r->lp;
	return letter_queue(cfg, st, &l, now, err) == -1 ? -1 : 1;
}

/* Post v (Message-ID post_id) to every reader of g.  How many letters,
 * or -1 with *err set. */
static int
relay(const struct config *cfg, struct store *st, long long now,
    const struct group *g, const struct verdict *v, const char *post_id,
    char **err)
{
	struct relay r;
	size_t i;
	int n = 0, rc = 0;

	relay_init(cfg, g, v, &r);
	for (i = 0; rc != -1 && i < g->nmembers; i++)
		if ((rc = relay_one(cfg, st, now, g, &r, post_id, v->from,
		    g->members[i].email, err)) == 1)
			n++;
	for (i = 0; rc != -1 && g->list_guests && i < g->nguests; i++)
		if ((rc = relay_one(cfg, st, now, g, &r, post_id, v->from,
		    g->guests[i].email, err)) == 1)
			n++;
	relay_free(&r);
	return rc == -1 ? -1 : n;
}

/* ---- the inbox's side --------------------------------------------------------- */

static void say(struct list_in *, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
say(struct list_in *in, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(in->why, sizeof in->why, fmt, ap);
	va_end(ap);
}

static enum inbox_result
refuse(struct list_in *in, enum trust_reason r, const char *what)
{
	say(in, "%s: %s", trust_reason_name(r), what);
	in->refused = 1;
	in->reason = r;
	return INBOX_REFUSED;
}

/* The token scope of moderation request batch of g. */
static void
batch_scope(char *buf, size_t size, const struct group *g, long long batch)
{
	snprintf(buf, size, "%s/%lld", g->id, batch);
}

/* One of our Message-IDs of kind in In-Reply-To or References, into
 * *id.  1 found, else 0. */
static int
answers(const struct config *cfg, const struct mime_msg *m,
    const char *kind, struct msgid *id)
{
	const char *dom = addr_domain(cfg->org_email), *ref;
	size_t i;

	for (i = 0; i <= m->nreferences; i++) {
		ref = i == 0 ? m->in_reply_to : m->references[i - 1];
		if (msgid_parse(ref, dom, id) == 0 && strcmp(id->kind, kind) == 0)
			return 1;
	}
	return 0;
}

/* The request batch of g whose token for co this message carries, with
 * *p what it proves: 1 with *batch, 0 none, -1 error. */
static int
asked_batch(struct list_in *in, const struct group *g,
    const struct member *co, long long *batch, struct trust_proof *p)
{
	struct store_post *ps;
	struct trust_scope sc;
	char scope[128];
	size_t n, i;
	long long last = 0;
	int found = 0;

	if (store_posts(in->st, g->id, NULL, -1, in->now - 2 * LIST_HOLD_DAYS *
	    DAY, (size_t)1 << 20, &ps, &n, in->err) == -1)
		return -1;
	for (i = 0; i < n && !found; i++) {
		if (ps[i].batch == 0 || ps[i].batch == last)
			continue;
		last = ps[i].batch;
		batch_scope(scope, sizeof scope, g, last);
		sc.kind = TOKEN_HELD;
		sc.id = scope;
		trust_gather_as(in->cfg, in->v, co->email, in->folder, &sc, 1, p);
		if (p->token) {
			*batch = last;
			found = 1;
		}
	}
	store_posts_free(ps, n);
	return found;
}

/* Held post id of g relayed (approve) or dropped.  1 done, 0 it was no
 * longer held, -1 error. */
static int
decide(struct list_in *in, const struct group *g, const char *id,
    int approve)
{
	struct verdict *v;
	char *raw;
	size_t len;
	int rc;

	if (!approve)
		return store_post_set(in->st, id, "rejected", in->now, in->err);
	if ((rc = store_post_raw(in->st, id, &raw, &len, in->err)) != 1)
		return rc;
	classify(raw, len, &v);
	rc = v->msg == NULL ? 0 : relay(in->cfg, in->st, in->now, g, v, id,
	    in->err);
	verdict_free(v);
	free(raw);
	if (rc == -1)
		return -1;
	return store_post_set(in->st, id, "relayed", in->now, in->err);
}

/* The posts of batch that which names (all when 0), decided. */
static enum inbox_result
moderate(struct list_in *in, const struct group *g, long long batch,
    enum list_command cmd, unsigned long which)
{
	struct store_post *ps;
	size_t n, i;
	int done = 0, rc = 0;

	if (store_posts(in->st, g->id, NULL, batch, 0, LIST_BATCH_MAX, &ps, &n,
	    in->err) == -1)
		return INBOX_FAILED;
	for (i = 0; rc != -1 && i < n; i++) {
		if ((which != 0 && !(which & (1UL << i))) ||
		    strcmp(ps[i].state, "held") != 0)
			continue;
		if ((rc = decide(in, g, ps[i].message_id,
		    cmd == LIST_CMD_APPROVE)) == 1)
			done++;
	}
	store_posts_free(ps, n);
	if (rc == -1)
		return INBOX_FAILED;
	say(in, "%d post%s to %s %s by %s", done, done == 1 ? "" : "s", g->id,
	    cmd == LIST_CMD_APPROVE ? "approved" : "rejected", in->v->from);
	return INBOX_APPLIED;
}

/* A reply to a moderation request of ours: 1 with *res, else 0. */
static int
moderation(struct list_in *in, enum inbox_result *res)
{
	const struct mime_msg *m = in->v->msg;
	const struct member *co;
	const struct group *g;
	struct trust_proof p;
	struct msgid id;
	enum list_command cmd;
	unsigned long which;
	long long batch = 0;
	char *text;
	int rc;

	if (!answers(in->cfg, m, ASK_KIND, &id))
		return 0;
	if ((g = config_group(in->cfg, id.group)) == NULL) {
		say(in, "reply to a moderation request of a group gone (%s)",
		    id.group);
		*res = INBOX_IGNORED;
		return 1;
	}
	if ((co = config_coordinator(g, in->v->from)) == NULL) {
		*res = refuse(in, TRUST_NOT_COORDINATOR, "reply to a moderation "
		    "request from someone who is not a coordinator");
		return 1;
	}
	if ((rc = asked_batch(in, g, co, &batch, &p)) == -1) {
		*res = INBOX_FAILED;
		return 1;
	}
	if (rc == 0 || (p.authserv && !p.authenticated)) {
		*res = refuse(in, TRUST_CONFIRM_UNPROVEN, rc == 0 ? "reply to a "
		    "moderation request without the coordinator's token for "
		    "it" : "reply to a moderation request not authenticated");
		return 1;
	}
	text = inbox_unquoted(m->text);
	cmd = list_command(text, &which);
	free(text);
	if (cmd != LIST_CMD_APPROVE && cmd != LIST_CMD_REJECT) {
		say(in, "reply to the moderation request of %s without APPROVE "
		    "or REJECT: the posts stay held", g->id);
		*res = INBOX_IGNORED;
		return 1;
	}
	*res = moderate(in, g, batch, cmd, which);
	return 1;
}

/* Whether the message proves itself as who's, for g (trust.h), at
 * stake: a command about the sender's own mail is an answer (their token
 * for the group, or authentication); a post reaches every member, so it
 * is a record (the token, and authentication where [trust] authserv_id
 * names a receiving MTA), as DESIGN.md's trust rule asks of what every
 * member receives.  1 yes, 0 no. */
static int
proven_as(struct list_in *in, const struct group *g, const char *who,
    enum trust_stake stake)
{
	struct trust_scope sc = { TOKEN_GROUP, g->id };
	struct trust_proof p;

	trust_gather_as(in->cfg, in->v, who, in->folder, &sc, 1, &p);
	return trust_decide(stake, &p) == TRUST_ALLOW;
}

/* ---- how a member reads the list (item 4) ---- */

static const char *const cmd_words[] = {
	[LIST_CMD_DIGEST] = "DIGEST", [LIST_CMD_NOMAIL] = "NOMAIL",
	[LIST_CMD_RESUME] = "RESUME",
};

/* The list-delivery letter to `to`: how they read g's list now (rd),
 * and that cmd was done, or must be confirmed (confirm), or how to
 * choose (cmd LIST_CMD_NONE).  Those not asked for by a proven message
 * go at most once an hour to one reader.  0 / -1. */
static int
tell_reader(struct list_in *in, const struct group *g, const char *to,
    const struct store_reader *rd, enum list_command cmd, int confirm)
{
	char *l = list_address(in->cfg, g), *r = list_request_address(in->cfg,
	    g);
	const char *word = cmd == LIST_CMD_NONE ? NULL : cmd_words[cmd];
	long long back;
	struct letter lt;
	int rc = 0;

	if ((cmd == LIST_CMD_NONE || confirm) && (rc = store_notice_allow(in->st,
	    "list-delivery", to, NULL, NULL, in->now, in->now - LIST_ASK_GAP,
	    &back, in->err)) != 1)
		goto out;
	{
		const struct tvar vars[] = {
			{ "delivery_each", strcmp(rd->delivery, "each") ? NULL :
			    "1" },
			{ "delivery_digest", strcmp(rd->delivery, "digest") ?
			    NULL : "1" },
			{ "delivery_nomail", strcmp(rd->delivery, "nomail") ?
			    NULL : "1" },
			{ "paused", rd->paused ? "1" : NULL },
			{ "command", word },
			{ "confirm", confirm ? word : NULL },
			{ "done", !confirm && word ? word : NULL },
			{ "list_address", l }, { "request_address", r },
		};

		memset(&lt, 0, sizeof lt);
		lt.kind = "list-delivery";
		lt.group = g;
		lt.to = to;
		lt.ref = in->msgid;
		lt.vars = vars;
		lt.nvars = sizeof vars / sizeof vars[0];
		rc = letter_queue(in->cfg, in->st, &lt, in->now, in->err);
	}
out:
	free(l);
	free(r);
	return rc == -1 ? -1 : 0;
}

/* A member's command: done when the message proves itself, else the
 * member asked to confirm it by reply; no command: how to choose. */
static enum inbox_result
command(struct list_in *in, const struct group *g, enum list_command cmd)
{
	const struct member *mb = config_member_of(g, in->v->from);
	struct store_reader rd;
	int confirm;

	if (mb == NULL) {
		say(in, "list command to %s from %s, not a member: ignored",
		    g->id, in->v->from ? in->v->from : "nobody");
		return INBOX_IGNORED;
	}
	if (store_reader_get(in->st, g->id, mb->email, &rd, in->err) == -1)
		return INBOX_FAILED;
	confirm = cmd != LIST_CMD_NONE && !proven_as(in, g, mb->email,
	    TRUST_ANSWER);
	if (cmd != LIST_CMD_NONE && !confirm) {
		snprintf(rd.delivery, sizeof rd.delivery, "%s",
		    cmd == LIST_CMD_DIGEST ? "digest" : cmd == LIST_CMD_NOMAIL ?
		    "nomail" : "each");
		if (cmd == LIST_CMD_DIGEST)
			rd.digest_at = in->now;
		if (cmd == LIST_CMD_RESUME) {
			rd.paused = rd.told = 0;
			rd.resumed_at = in->now;
		}
		if (store_reader_set(in->st, g->id, mb->email, &rd, in->err) ==
		    -1)
			return INBOX_FAILED;
	}
	if (tell_reader(in, g, mb->email, &rd, cmd, confirm) == -1)
		return INBOX_FAILED;
	if (cmd == LIST_CMD_NONE)
		say(in, "%s asked the list of %s for help", mb->email, g->id);
	else
		say(in, "%s %s %s for the list of %s", mb->email, confirm ?
		    "asked to confirm" : "set", cmd_words[cmd], g->id);
	return INBOX_APPLIED;
}

/* 1 when cmd sets how one reads the list. */
static int
delivery_command(enum list_command cmd)
{
	return cmd == LIST_CMD_DIGEST || cmd == LIST_CMD_NOMAIL ||
	    cmd == LIST_CMD_RESUME;
}

/* The command a message carries in its first line, or for the command
 * address, in its subject ("unsubscribe": NOMAIL); else none. */
static enum list_command
command_of(const struct mime_msg *m, int request)
{
	unsigned long which;
	enum list_command cmd;
	char *text = inbox_unquoted(m->text);

	cmd = list_command(text, &which);
	free(text);
	if (!delivery_command(cmd) && request)
		cmd = list_command(m->subject, &which);
	if (!delivery_command(cmd) && request && m->subject != NULL &&
	    strcasestr(m->subject, "unsubscribe") != NULL)
		cmd = LIST_CMD_NOMAIL;
	return delivery_command(cmd) ? cmd : LIST_CMD_NONE;
}

/* Whether a post's sender may post to g and proves it: 1 yes, 0 no (with
 * *why). */
static int
may_post(struct list_in *in, const struct group *g, const char **why)
{
	const struct member *mb = config_member_of(g, in->v->from);
	const struct guest *gu = g->list_guests ? config_guest(g,
	    in->v->from) : NULL;

	if (mb == NULL && gu == NULL) {
		*why = "not a member";
		return 0;
	}
	if (g->posting == LIST_POSTING_MODERATED) {
		*why = "the list is moderated";
		return 0;
	}
	if (!proven_as(in, g, mb ? mb->email : gu->email, TRUST_RECORD)) {
		*why = in->cfg->ntrust_authserv > 0 ? "not both the sender's "
		    "reply token and authenticated" : "no reply token of the "
		    "sender's";
		return 0;
	}
	return 1;
}

static enum inbox_result
post(struct list_in *in, const struct group *g)
{
	const struct mime_msg *m = in->v->msg;
	struct store_post sp;
	const char *why = NULL;
	int ok, n = 0, rc;

	if (in->v->from == NULL || in->msgid == NULL) {
		say(in, "post to %s without %s: not relayed", g->id,
		    in->v->from ? "a Message-ID" : "a sender");
		return INBOX_IGNORED;
	}
	if (m->text == NULL && m->natt == 0) {
		say(in, "post to %s without a text part%s: not relayed", g->id,
		    m->html_only ? " (HTML only)" : "");
		return INBOX_IGNORED;
	}
	if (config_member_of(g, in->v->from) != NULL &&
	    delivery_command(command_of(m, 0)))
		return command(in, g, command_of(m, 0));
	ok = may_post(in, g, &why);
	if (ok && (n = relay(in->cfg, in->st, in->now, g, in->v, in->msgid,
	    in->err)) == -1)
		return INBOX_FAILED;
	memset(&sp, 0, sizeof sp);
	sp.message_id = (char *)in->msgid;
	sp.group_id = g->id;
	sp.sender = in->v->from;
	sp.subject = m->subject;
	sp.state = ok ? "relayed" : "held";
	sp.received = in->now;
	if ((rc = store_post_add(in->st, &sp, in->data, in->len, in->err)) == -1)
		return INBOX_FAILED;
	if (ok)
		say(in, "post to %s from %s relayed to %d reader%s", g->id,
		    in->v->from, n, n == 1 ? "" : "s");
	else
		say(in, "post to %s from %s held for the coordinators: %s%s",
		    g->id, in->v->from, why, rc == 0 ? " (held before)" : "");
	return INBOX_APPLIED;
}

/* A reply to a list-delivery letter of ours: 1 with *res, else 0. */
static int
delivery_reply(struct list_in *in, enum inbox_result *res)
{
	const struct group *g;
	struct msgid id;

	if (!answers(in->cfg, in->v->msg, "list-delivery", &id) ||
	    (g = config_group(in->cfg, id.group)) == NULL)
		return 0;
	*res = command(in, g, command_of(in->v->msg, 1));
	return 1;
}

int
list_inbox(struct list_in *in, enum inbox_result *res)
{
	const struct mime_msg *m = in->v->msg;
	const struct group *g;
	int request = 0;

	if (m == NULL)
		return 0;
	if (moderation(in, res) || delivery_reply(in, res))
		return 1;
	if ((g = list_addressed(in->cfg, m, &request)) == NULL)
		return 0;
	if (in->looped || list_looped(in->cfg, m)) {
		*res = refuse(in, TRUST_LOOP, "mail of our own lists come back: "
		    "not relayed");
		return 1;
	}
	if (request) {
		*res = command(in, g, command_of(m, 1));
		return 1;
	}
	*res = post(in, g);
	return 1;
}

/* ---- status and report ---------------------------------------------------- */

char *
list_status_json(const struct config *cfg, struct store *st,
    const struct group *g, char **err)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct store_post_stats ps;
	long long paused;
	char *l;

	if (store_post_stats(st, g->id, &ps, err) == -1 ||
	    (paused = store_readers_paused(st, g->id, err)) == -1)
		return NULL;
	l = list_address(cfg, g);
	buf_adds(&b, "{\"address\": ");
	json_str_or_null(&b, l);
	buf_addf(&b, ", \"posting\": \"%s\", \"posts\": %lld, \"held\": %lld, "
	    "\"paused\": %lld}", g->posting == LIST_POSTING_MODERATED ?
	    "moderated" : "moderated-unproven", ps.relayed, ps.held, paused);
	free(l);
	return buf_detach(&b);
}

/* ---- the cycle's side ------------------------------------------------------- */

/* The listing of the posts of batch, for the request: a number, the
 * sender, the subject and the start of the text, quoted. */
static char *
listing(const struct cycle_ctx *c, const struct group *g, long long batch,
    size_t *count, char **err)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct store_post *ps;
	struct verdict *v;
	char *raw, *line, *nl;
	size_t n, i, len, cut;

	if (store_posts(c->st, g->id, "held", batch, 0, LIST_BATCH_MAX, &ps, &n,
	    err) == -1)
		return NULL;
	for (i = 0; i < n; i++) {
		buf_addf(&b, "[%zu] %s\n    %s\n", i + 1, ps[i].sender ?
		    ps[i].sender : "?", ps[i].subject ? ps[i].subject : "");
		if (store_post_raw(c->st, ps[i].message_id, &raw, &len, err) ==
		    -1) {
			store_posts_free(ps, n);
			buf_release(&b);
			return NULL;
		}
		classify(raw ? raw : "", len, &v);
		line = v->msg && v->msg->text ? v->msg->text : "";
		for (cut = 0; *line != '\0' && cut < LIST_QUOTE_MAX;
		    line = nl + 1) {
			nl = strchr(line, '\n');
			len = nl ? (size_t)(nl - line) : strlen(line);
			buf_adds(&b, "    > ");
			buf_add(&b, line, len);
			buf_addc(&b, '\n');
			cut += len + 1;
			if (nl == NULL)
				break;
		}
		buf_addc(&b, '\n');
		verdict_free(v);
		free(raw);
	}
	*count = n;
	store_posts_free(ps, n);
	return buf_detach(&b);
}

/* The moderation request for batch to every coordinator of g. */
static int
ask(const struct cycle_ctx *c, const struct group *g, long long batch,
    long long more, char **err)
{
	char scope[128], *posts, *count, *left, *until, *list;
	struct letter l;
	size_t i, n = 0;
	int rc = 0;

	if ((posts = listing(c, g, batch, &n, err)) == NULL)
		return -1;
	batch_scope(scope, sizeof scope, g, batch);
	count = xasprintf("%zu", n);
	left = more > 0 ? xasprintf("%lld", more) : NULL;
	until = template_date(g->language, c->now + LIST_HOLD_DAYS * DAY,
	    g->timezone);
	list = list_address(c->cfg, g);
	{
		const struct tvar vars[] = {
			{ "posts", posts }, { "count", count },
			{ "more", left }, { "until", until },
			{ "list_address", list },
		};

		for (i = 0; rc == 0 && i < g->nmembers; i++) {
			if (!g->members[i].coordinator)
				continue;
			memset(&l, 0, sizeof l);
			l.kind = ASK_KIND;
			l.group = g;
			l.to = g->members[i].email;
			l.ref = scope;
			l.held = scope;
			l.vars = vars;
			l.nvars = sizeof vars / sizeof vars[0];
			if ((rc = letter_queue(c->cfg, c->st, &l, c->now,
			    err)) == 1)
				c->cs->queued++;
			rc = rc == -1 ? -1 : 0;
		}
	}
	free(list);
	free(until);
	free(left);
	free(count);
	free(posts);
	return rc;
}

/* The text of post p for a digest: its sender, subject and date, then
 * its text, cut at LIST_DIGEST_TEXT bytes (on a character's start). */
static void
digest_entry(const struct cycle_ctx *c, const struct group *g,
    const struct store_post *p, size_t n, struct buf *b, char **err)
{
	struct verdict *v;
	char *raw = NULL, *when;
	const char *text;
	size_t len = 0, cut;

	if (store_post_raw(c->st, p->message_id, &raw, &len, err) == -1)
		log_warnx("%s", *err);
	classify(raw ? raw : "", len, &v);
	text = v->msg && v->msg->text ? v->msg->text : "";
	len = strlen(text);
	for (cut = len > LIST_DIGEST_TEXT ? LIST_DIGEST_TEXT : len; cut > 0 &&
	    cut < len && ((unsigned char)text[cut] & 0xc0) == 0x80; cut--)
		;
	when = template_date(g->language, p->received, g->timezone);
	buf_addf(b, "[%zu] %s\n    %s\n    %s\n\n", n, p->sender ? p->sender :
	    "?", p->subject ? p->subject : "", when);
	buf_add(b, text, cut);
	buf_adds(b, cut < len ? "\n[...]\n" : "\n");
	buf_adds(b, "\n------------------------------------------------------------"
	    "\n\n");
	free(when);
	verdict_free(v);
	free(raw);
}

/* Member to's daily digest, when they read so and it is due: the posts
 * relayed since the last one.  0 / -1. */
static int
digest_one(const struct cycle_ctx *c, const struct group *g, const char *to,
    struct store_reader *rd, char **err)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct store_post *ps;
	char *count, *list, ref[32];
	struct letter l;
	size_t n, i;
	int rc;

	if (strcmp(rd->delivery, "digest") != 0 || rd->paused ||
	    c->now - rd->digest_at < DAY)
		return 0;
	if (store_posts(c->st, g->id, "relayed", -1, rd->digest_at,
	    LIST_DIGEST_MAX, &ps, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++)
		digest_entry(c, g, &ps[i], i + 1, &b, err);
	store_posts_free(ps, n);
	if (n == 0) {
		buf_release(&b);
		return 0;
	}
	count = xasprintf("%zu", n);
	list = list_address(c->cfg, g);
	snprintf(ref, sizeof ref, "%lld", c->now);
	{
		const struct tvar vars[] = { { "posts", buf_str(&b) },
		    { "count", count }, { "list_address", list } };

		memset(&l, 0, sizeof l);
		l.kind = "list-digest";
		l.group = g;
		l.to = to;
		l.ref = ref;
		l.vars = vars;
		l.nvars = sizeof vars / sizeof vars[0];
		rc = letter_queue(c->cfg, c->st, &l, c->now, err);
	}
	free(list);
	free(count);
	buf_release(&b);
	if (rc == -1)
		return -1;
	c->cs->queued += rc;
	rd->digest_at = c->now;
	return store_reader_set(c->st, g->id, to, rd, err);
}

/* The coordinators of g told, once, that mb's list mail is paused. */
static int
tell_paused(const struct cycle_ctx *c, const struct group *g,
    const struct member *mb, char **err)
{
	char ref[64];
	struct letter l;
	size_t i;
	int rc;
	const struct tvar vars[] = { { "paused_email", mb->email },
	    { "paused_name", mb->name } };

	snprintf(ref, sizeof ref, "%s %lld", mb->email, c->now);
	for (i = 0; i < g->nmembers; i++) {
		if (!g->members[i].coordinator || &g->members[i] == mb)
			continue;
		memset(&l, 0, sizeof l);
		l.kind = "list-paused";
		l.group = g;
		l.to = g->members[i].email;
		l.ref = ref;
		l.vars = vars;
		l.nvars = sizeof vars / sizeof vars[0];
		if ((rc = letter_queue(c->cfg, c->st, &l, c->now, err)) == -1)
			return -1;
		c->cs->queued += rc;
	}
	return 0;
}

/* mb's list mail paused when their bounces score LIST_BOUNCE_SCORE (as
 * Mailman scores them: each failure recorded counts 1 when the last was
 * permanent, half when it was not) and the last is recent and after
 * their last RESUME.  0 / -1. */
static int
bounce_pause(const struct cycle_ctx *c, const struct group *g,
    const struct member *mb, struct store_reader *rd, char **err)
{
	struct store_bounce_score bs;
	int rc;

	if (rd->paused)
		return 0;
	if ((rc = store_bounce_score(c->st, mb->email, &bs, err)) != 1)
		return rc;
	if ((bs.permanent ? bs.count : bs.count / 2) < LIST_BOUNCE_SCORE ||
	    bs.last_at <= rd->resumed_at ||
	    bs.last_at < c->now - LIST_BOUNCE_FRESH)
		return 0;
	rd->paused = 1;
	if (!rd->told && tell_paused(c, g, mb, err) == -1)
		return -1;
	rd->told = 1;
	log_info("list mail of %s to %s paused: it bounces", g->id, mb->email);
	return store_reader_set(c->st, g->id, mb->email, rd, err);
}

/* Every member's bounces and digest.  0 / -1. */
static int
readers(const struct cycle_ctx *c, const struct group *g, char **err)
{
	struct store_reader rd;
	size_t i;

	for (i = 0; i < g->nmembers; i++)
		if (store_reader_get(c->st, g->id, g->members[i].email, &rd,
		    err) == -1 ||
		    bounce_pause(c, g, &g->members[i], &rd, err) == -1 ||
		    digest_one(c, g, g->members[i].email, &rd, err) == -1)
			return -1;
	return 0;
}

int
list_group(const struct cycle_ctx *c, const struct group *g, char **err)
{
	struct store_post_stats ps;
	long long batch;
	int n;

	/* Held posts expire, requests and digests wait their hours, posts
	 * wait for the archive: a busy list is looked at every cycle. */
	if ((n = store_list_busy(c->st, g->id, err)) == -1)
		return -1;
	cycle_due(c, n ? c->now : CYCLE_NEVER);
	if (store_posts_expire(c->st, g->id, c->now - LIST_HOLD_DAYS * DAY,
	    c->now, err) == -1 ||
	    store_post_stats(c->st, g->id, &ps, err) == -1 ||
	    readers(c, g, err) == -1 ||
	    listarchive_group(c->cfg, c->st, g, c->now, err) == -1)
		return -1;
	if (ps.unasked == 0 ||
	    (ps.last_batch != 0 && c->now - ps.last_batch < LIST_ASK_GAP) ||
	    (ps.open_batch != 0 && c->now - ps.open_batch < LIST_ASK_WAIT))
		return 0;
	batch = c->now > ps.last_batch ? c->now : ps.last_batch + 1;
	if ((n = store_posts_ask(c->st, g->id, batch, LIST_BATCH_MAX, err)) ==
	    -1)
		return -1;
	return ask(c, g, batch, ps.unasked - n, err);
}
