/* imap.c: the collect side's IMAP client, on libcurl.
 *
 * What libcurl 7.88 does with a CURLOPT_CUSTOMREQUEST on a URL without a
 * mailbox (all we use):
 *   - the connection phase (greeting, CAPABILITY, STARTTLS, AUTHENTICATE or
 *     LOGIN) runs on the first perform and whenever the cached connection
 *     is gone; commands go out as "<tag> <custom request>";
 *   - every response line, tagged and untagged, and every line of a literal
 *     reaches the header callback (CLIENTWRITE_HEADER), one line per call;
 *     untagged lines ("* ...") also reach the write callback, but a literal
 *     does not, so the write callback sees "* 1 FETCH (... BODY[] {N}" and
 *     loses the message;
 *   - libcurl itself never counts literal bytes: a literal line that begins
 *     with the command's tag ends the command early.  We count them (the
 *     header stream is parsed here, literal-aware) and drop the connection
 *     when the two views disagree;
 *   - a line longer than half of CURLOPT_BUFFERSIZE is cut ("Excessive
 *     server response line length"), and all header bytes of one perform
 *     are capped at 300 KiB ("Too large response headers": CURLE_RECV_ERROR).
 *     So a message is fetched with BODY.PEEK[]<offset.length> in chunks of
 *     IMAP_CHUNK, and UIDs are searched with ESEARCH when offered;
 *   - a tagged NO or BAD fails the perform with CURLE_QUOTE_ERROR, and
 *     libcurl then sends LOGOUT and closes the connection: the next call
 *     logs in again and nothing is selected any more;
 *   - a connection found dead when reused is replaced silently (new login,
 *     nothing selected); CURLINFO_NUM_CONNECTS tells us afterwards, and a
 *     command that needs a folder is retried once after selecting it again.
 * libcurl's URL fetch (";UID=n") asks for BODY[], which sets \Seen, and its
 * own SELECT (a mailbox in the URL) hides UIDNEXT and would disagree with
 * ours about what is selected: neither is used.
 *
 * Timeouts as in smtp.c: CURLOPT_CONNECTTIMEOUT for TCP, TLS, greeting and
 * login; CURLOPT_SERVER_RESPONSE_TIMEOUT for each reply; 1 byte/s over
 * `timeout` (LOW_SPEED) for a stalled transfer; 10 x timeout in total for
 * one command (a chunk of a message is one command). */

#include <ctype.h>
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "imap.h"
#include "log.h"
#include "net.h"
#include "util.h"

#define IMAP_LINE_MAX   (8u << 20)      /* one response line, literals apart */
#define IMAP_CHUNK      (128u << 10)    /* BODY.PEEK[]<off.IMAP_CHUNK> */
#define IMAP_BUFFERSIZE (1L << 20)      /* lines up to 512 KiB stay whole */
#define IMAP_UIDS_MAX   (1u << 22)      /* UIDs one search may return */
#define IMAP_TEXT_MAX   300             /* server text kept for *err */
#define IMAP_SHOWN_MAX  200             /* server text in a debug line */
#define IMAP_FOLDER_MAX 512
#define UID_MAX         4294967295UL    /* UIDs are nz-number (RFC 3501) */

enum expect { EXP_NONE, EXP_CAPABILITY, EXP_SELECT, EXP_SEARCH, EXP_FETCH };

#define LOGOUT_GRACE_MS  1000
#define IMAP_SET_MAX     2000   /* characters of UID set in one command */
#define IMAP_SET_COUNT   100    /* messages in one command */
/* libcurl 7.88 (Debian's, with the fix for CVE-2023-38039) counts
 * against its 300 KiB cap, for every response line, the bytes of the
 * read that brought it still unprocessed: a response that arrives in one
 * read costs about lines x bytes / 2.  Measured against Dovecot on
 * loopback: 120 size lines pass and 150 do not; 30 bodies of 530 bytes
 * (661 lines) pass and 40 do not.  So commands ask for little, and a
 * batch refused for it is halved (see imap_fetch_batch()). */
#define IMAP_SIZES_COUNT 80     /* sizes asked in one command */
#define IMAP_BATCH_COUNT 16     /* bodies fetched in one command ... */
#define IMAP_BATCH_BYTES (32u << 10)   /* ... of this many bytes at most */

struct imap {
	CURL       *curl;
	struct net_socks socks; /* the sockets of this handle */
	char       *url;
	char       *user;       /* for messages only */
	long        timeout;
	char        errbuf[CURL_ERROR_SIZE];
	int         fresh;      /* next perform on a new connection */
	int         login_refused;  /* the last failure was the login's */

	/* session */
	int         caps_known;
	int         cap_move, cap_uidplus, cap_esearch;
	int         warned_uidplus;
	char       *folder;     /* the folder imap_select() chose, or NULL */
	int         selected;   /* ... and this connection has it selected */
	unsigned long uidvalidity;

	/* one command */
	const char *cmd;
	enum expect expect;
	unsigned long want_uid; /* EXP_FETCH */
	int         sent;       /* our command went out */
	int         done;       /* its tagged reply came back */
	char        status;     /* 'O', 'N', 'B' */
	int         trycreate;  /* NO [TRYCREATE] */
	int         transient;  /* NO [UNAVAILABLE] and the like */
	struct buf  text;       /* tagged reply, sanitised, capped */
	struct buf  last_no;    /* last tagged NO/BAD of any command (login) */
	char        tag[32];
	int         overflow;   /* a response over our caps or libcurl's */
	int         stripped;   /* libcurl cut a long line */
	int         bogus;      /* a response we cannot make sense of */
	struct buf  line;       /* the response so far, literals left out */
	size_t      lit_left;   /* literal bytes still to come */
	int         lit_keep;   /* that literal is the body we asked for */
	int         lit_seen;   /* a body literal in the current response */
	struct buf  lit;

	/* results */
	int         have_uv;
	unsigned long r_uidvalidity, r_uidnext;
	unsigned long *uids;
	size_t      nuids, cuids;
	int         found;      /* a FETCH response for want_uid */
	int         have_size;
	unsigned long size;
	int         have_body;
	struct buf  body;
	int         too_big;    /* the last imap_fetch refused it for size */
	int         too_large;  /* libcurl's header cap ended the command */
	size_t      batch_max;  /* bodies in one command: halved each time
	                         * libcurl's cap refuses a batch */
	struct imap_msg *batch; /* imap_sizes(), imap_fetch_batch(): the
	                         * messages asked for, UIDs ascending */
	size_t      nbatch;
};

/* ---- small parsing helpers ------------------------------------------- */

/* An unsigned decimal number at *pp (advanced past it); -1 when there are
 * no digits or it exceeds max. */
static int
parse_num(const char **pp, unsigned long max, unsigned long *v)
{
	const char *p = *pp;
	unsigned long n = 0;

	if (!isdigit((unsigned char)*p))
		return -1;
	for (; isdigit((unsigned char)*p); p++) {
		unsigned d = (unsigned)(*p - '0');

		if (n > (max - d) / 10)
			return -1;
		n = n * 10 + d;
	}
	*pp = p;
	*v = n;
	return 0;
}

/* Does p start with word w, case-insensitively, followed by a non-atom
 * byte? */
static int
word_is(const char *p, const char *w)
{
	size_t n = strlen(w);

	if (strncasecmp(p, w, n) != 0)
		return 0;
	return p[n] == '\0' || p[n] == ' ' || p[n] == ')' || p[n] == ']' ||
	    p[n] == '(' || p[n] == '\r' || p[n] == '\n';
}

/* Server text safe for a log line or *err: control bytes become '?'; as
 * much as b's maximum holds. */
static void
add_text(struct buf *b, const char *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (buf_addc(b, (c < 0x20 || c == 0x7f) ? '?' : (char)c) == -1)
			return;
	}
}

/* A folder name as an IMAP quoted string: printable ASCII without '"' and
 * '\', '&' written as "&-" (modified UTF-7).  NULL when the name cannot be
 * sent that way. */
static char *
folder_arg(const char *name)
{
	const unsigned char *p;
	struct buf b = BUF_INIT(BUF_OWN);

	if (name == NULL || *name == '\0' || strlen(name) > IMAP_FOLDER_MAX)
		return NULL;
	buf_addc(&b, '"');
	for (p = (const unsigned char *)name; *p != '\0'; p++) {
		if (*p < 0x20 || *p > 0x7e || *p == '"' || *p == '\\') {
			buf_release(&b);
			return NULL;
		}
		if (*p == '&')
			buf_adds(&b, "&-");
		else
			buf_addc(&b, (char)*p);
	}
	buf_addc(&b, '"');
	return buf_detach(&b);
}

/* For *err: the name as given, control bytes and quotes made visible. */
static char *
folder_shown(const char *name)
{
	struct buf b = BUF_INIT(IMAP_SHOWN_MAX);

	add_text(&b, name, strlen(name));
	return buf_detach(&b);
}

static void
add_uid(struct imap *s, unsigned long uid)
{
	if (s->nuids >= IMAP_UIDS_MAX) {
		s->overflow = 1;
		return;
	}
	if (s->nuids == s->cuids) {
		s->cuids = s->cuids ? s->cuids * 2 : 64;
		s->uids = xreallocarray(s->uids, s->cuids, sizeof(*s->uids));
	}
	s->uids[s->nuids++] = uid;
}

/* "* SEARCH 1 2 3" (p after "SEARCH"). */
static void
parse_search(struct imap *s, const char *p)
{
	unsigned long v;

	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == '(')    /* (MODSEQ n) of CONDSTORE */
			return;
		if (parse_num(&p, UID_MAX, &v) < 0) {
			s->bogus = 1;
			return;
		}
		add_uid(s, v);
		if (s->overflow)
			return;
	}
}

/* "* ESEARCH (TAG "A5") UID ALL 1:3,7" (p after "ESEARCH"). */
static void
parse_esearch(struct imap *s, const char *p)
{
	unsigned long a, b, u;

	if (*p == ' ')
		p++;
	if (*p == '(') {                /* (TAG "...") */
		const char *q = strchr(p, ')');

		if (q == NULL) {
			s->bogus = 1;
			return;
		}
		p = q + 1;
	}
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0')
			return;
		if (word_is(p, "ALL"))
			break;
		while (*p != '\0' && *p != ' ')   /* UID, or MIN n, COUNT n */
			p++;
	}
	p += 3;
	while (*p == ' ')
		p++;
	for (;;) {
		if (parse_num(&p, UID_MAX, &a) < 0) {
			s->bogus = 1;
			return;
		}
		b = a;
		if (*p == ':') {
			p++;
			if (parse_num(&p, UID_MAX, &b) < 0) {
				s->bogus = 1;
				return;
			}
		}
		if (a > b) {
			u = a;
			a = b;
			b = u;
		}
		if (b - a >= IMAP_UIDS_MAX - s->nuids) {
			s->overflow = 1;
			return;
		}
		for (u = a; u <= b; u++)
			add_uid(s, u);
		if (*p != ',')
			return;
		p++;
	}
}

/* A FETCH response for a message of the batch: its size, its body (the
 * first one, should a reconnection bring it twice).  Other UIDs are
 * someone else's flag changes. */
static void
batch_item(struct imap *s, unsigned long uid, int have_size,
    unsigned long size)
{
	size_t lo = 0, hi = s->nbatch, mid;
	struct imap_msg *m;

	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (s->batch[mid].uid < uid)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == s->nbatch || s->batch[lo].uid != uid)
		return;
	m = &s->batch[lo];
	m->found = 1;
	if (have_size)
		m->size = size;
	if (s->lit_seen && m->data == NULL) {
		m->len = s->lit.len;
		m->data = xmalloc(m->len + 1);
		memcpy(m->data, buf_str(&s->lit), m->len);
		m->data[m->len] = '\0';
	}
}

/* "* 12 FETCH (UID 7 RFC822.SIZE 300 BODY[]<0> {300})" (p after "FETCH"):
 * only our items are read, at nesting depth one, outside quoted strings. */
static void
parse_fetch(struct imap *s, const char *p)
{
	unsigned long uid = 0, size = 0, v;
	int depth = 0, have_uid = 0, have_size = 0;

	while (*p == ' ')
		p++;
	if (*p != '(') {
		s->bogus = 1;
		return;
	}
	for (; *p != '\0'; p++) {
		if (*p == '"') {
			for (p++; *p != '\0' && *p != '"'; p++)
				if (*p == '\\' && p[1] != '\0')
					p++;
			if (*p == '\0')
				break;
			continue;
		}
		if (*p == '(' || *p == '[') {
			depth++;
			continue;
		}
		if (*p == ')' || *p == ']') {
			depth--;
			continue;
		}
		if (depth != 1 || (p[-1] != '(' && p[-1] != ' '))
			continue;
		if (word_is(p, "UID")) {
			const char *q = p + 4;

			if (parse_num(&q, UID_MAX, &v) == 0) {
				uid = v;
				have_uid = 1;
				p = q - 1;
			}
		} else if (word_is(p, "RFC822.SIZE")) {
			const char *q = p + 12;

			if (parse_num(&q, ULONG_MAX, &v) == 0) {
				size = v;
				have_size = 1;
				p = q - 1;
			}
		}
	}
	if (have_uid && s->batch != NULL) {
		batch_item(s, uid, have_size, size);
		return;
	}
	if (!have_uid || uid != s->want_uid)
		return;         /* someone else's flag change, say */
	s->found = 1;
	if (have_size) {
		s->have_size = 1;
		s->size = size;
	}
	if (s->lit_seen) {
		buf_reset(&s->body);
		buf_add(&s->body, s->lit.data != NULL ? s->lit.data : "",
		    s->lit.len);
		s->have_body = 1;
	}
}

static void
parse_capability(struct imap *s, const char *p)
{
	s->caps_known = 1;
	s->cap_move = s->cap_uidplus = s->cap_esearch = 0;
	for (;;) {
		while (*p == ' ')
			p++;
		if (*p == '\0' || *p == ']')
			return;
		if (word_is(p, "MOVE"))
			s->cap_move = 1;
		else if (word_is(p, "UIDPLUS"))
			s->cap_uidplus = 1;
		else if (word_is(p, "ESEARCH"))
			s->cap_esearch = 1;
		while (*p != '\0' && *p != ' ' && *p != ']')
			p++;
	}
}

/* ---- the response stream --------------------------------------------- */

/* An untagged response of our command, p after "* ". */
static void
untagged(struct imap *s, const char *p)
{
	unsigned long v;

	switch (s->expect) {
	case EXP_CAPABILITY:
		if (word_is(p, "CAPABILITY"))
			parse_capability(s, p + 10);
		break;
	case EXP_SELECT:
		if (!word_is(p, "OK"))
			break;
		p += 2;
		while (*p == ' ')
			p++;
		if (strncasecmp(p, "[UIDVALIDITY ", 13) == 0) {
			p += 13;
			if (parse_num(&p, UID_MAX, &v) == 0 && v > 0) {
				s->r_uidvalidity = v;
				s->have_uv = 1;
			}
		} else if (strncasecmp(p, "[UIDNEXT ", 9) == 0) {
			p += 9;
			if (parse_num(&p, ULONG_MAX, &v) == 0)
				s->r_uidnext = v;
		}
		break;
	case EXP_SEARCH:
		if (word_is(p, "SEARCH"))
			parse_search(s, p + 6);
		else if (word_is(p, "ESEARCH"))
			parse_esearch(s, p + 7);
		break;
	case EXP_FETCH:
		if (parse_num(&p, ULONG_MAX, &v) == 0 && *p == ' ' &&
		    word_is(p + 1, "FETCH"))
			parse_fetch(s, p + 6);
		break;
	case EXP_NONE:
		break;
	}
}

/* A tagged response "<tag> OK|NO|BAD text": the last NO or BAD of any
 * command is kept (a refused login shows in no command of ours), and
 * our command's own ends it. */
static void
tagged(struct imap *s, const char *line, size_t n)
{
	size_t tl = strcspn(line, " ");
	const char *p = line + tl;
	char st;

	if (*p != ' ')
		return;
	p++;
	if (word_is(p, "OK"))
		st = 'O';
	else if (word_is(p, "NO"))
		st = 'N';
	else if (word_is(p, "BAD"))
		st = 'B';
	else
		return;
	if (st != 'O') {
		buf_reset(&s->last_no);
		add_text(&s->last_no, p, n - (size_t)(p - line));
	}
	if (!s->sent || s->done || tl != strlen(s->tag) ||
	    strncmp(line, s->tag, tl) != 0)
		return;
	s->done = 1;
	s->status = st;
	buf_reset(&s->text);
	add_text(&s->text, p, n - (size_t)(p - line));
	if (st == 'N') {
		p += 2;
		while (*p == ' ')
			p++;
		s->trycreate = strncasecmp(p, "[TRYCREATE]", 11) == 0;
		s->transient = strncasecmp(p, "[UNAVAILABLE]", 13) == 0 ||
		    strncasecmp(p, "[INUSE]", 7) == 0 ||
		    strncasecmp(p, "[SERVERBUG]", 11) == 0 ||
		    strncasecmp(p, "[LIMIT]", 7) == 0;
	}
}

/* One complete response (literals left out, CRLF stripped). */
static void
response(struct imap *s, const char *line, size_t n)
{
	struct buf shown = BUF_INIT(IMAP_SHOWN_MAX);

	add_text(&shown, line, n);
	log_debug("imap < %s%s", buf_str(&shown), buf_full(&shown) ? "..." : "");
	buf_release(&shown);
	if (memchr(line, '\0', n) != NULL)
		return;                 /* nothing of ours has a NUL */
	if (n >= 2 && line[0] == '*' && line[1] == ' ') {
		if (s->sent)            /* else the login: libcurl's business */
			untagged(s, line + 2);
		return;
	}
	if (n >= 1 && line[0] == '+')
		return;
	tagged(s, line, n);
}

/* s->line holds a complete line: a response, or the part of one before a
 * literal.  Returns -1 to abort the transfer. */
static int
line_end(struct imap *s)
{
	char *l = s->line.data;
	size_t n = s->line.len, i;
	unsigned long lit;

	if (n > 0 && l[n - 1] == '\n')
		n--;
	if (n > 0 && l[n - 1] == '\r')
		n--;
	s->line.len = n;
	l[n] = '\0';

	/* "{N}" (or "{N+}") at the end: N literal bytes follow */
	if (n >= 3 && l[n - 1] == '}') {
		for (i = n - 1; i > 0 && l[i - 1] != '{'; i--)
			;
		if (i > 0) {
			const char *p = l + i, *tok;

			if (parse_num(&p, SIZE_MAX, &lit) < 0 ||
			    (*p != '}' && !(*p == '+' && p[1] == '}'))) {
				s->bogus = 1;
				return -1;
			}
			/* the item before it: "BODY[]<0> {N}" is ours */
			l[i - 1] = '\0';
			tok = strrchr(l, ' ');
			tok = tok != NULL && tok[1] == '\0' ? tok : NULL;
			if (tok != NULL) {
				const char *t = tok;

				while (t > l && t[-1] != ' ' && t[-1] != '(')
					t--;
				s->lit_keep = s->sent && s->expect == EXP_FETCH &&
				    strncasecmp(t, "BODY[]", 6) == 0;
			} else {
				s->lit_keep = 0;
			}
			l[i - 1] = '{';
			if (s->lit_keep) {
				s->lit_seen = 1;
				buf_reset(&s->lit);
			}
			s->lit_left = lit;
			return 0;
		}
	}
	response(s, l, n);
	buf_reset(&s->line);
	s->lit_seen = 0;
	return 0;
}

static size_t
header_cb(char *p, size_t size, size_t nitems, void *arg)
{
	struct imap *s = arg;
	size_t n = size * nitems, total = n, k;
	const char *nl;

	while (n > 0) {
		if (s->lit_left > 0) {
			k = n < s->lit_left ? n : s->lit_left;
			if (s->lit_keep && buf_add(&s->lit, p, k) == -1) {
				s->overflow = 1;    /* more than we asked for */
				return 0;
			}
			s->lit_left -= k;
			p += k;
			n -= k;
			continue;
		}
		nl = memchr(p, '\n', n);
		k = nl != NULL ? (size_t)(nl - p) + 1 : n;
		if (buf_add(&s->line, p, k) == -1) {
			s->overflow = 1;
			return 0;
		}
		p += k;
		n -= k;
		if (nl != NULL && line_end(s) < 0)
			return 0;
	}
	return total;
}

/* Untagged responses, again: we read them all from the header stream. */
static size_t
write_cb(char *p, size_t size, size_t nitems, void *arg)
{
	(void)p;
	(void)arg;
	return size * nitems;
}

/* The verb of a command line we send, for the log: the credentials of
 * LOGIN and AUTHENTICATE, and SASL continuations, never show. */
static void
note_command(struct imap *s, const char *p, size_t n)
{
	size_t tl, rest;
	const char *v;

	while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
		n--;
	tl = 0;
	while (tl < n && p[tl] != ' ')
		tl++;
	if (tl == n || tl == 0 || tl >= sizeof(s->tag)) {
		log_debug("imap > (authentication data)");
		return;
	}
	v = p + tl + 1;
	rest = n - tl - 1;
	if ((rest >= 5 && strncasecmp(v, "LOGIN", 5) == 0 &&
	    (rest == 5 || v[5] == ' ')) ||
	    (rest >= 12 && strncasecmp(v, "AUTHENTICATE", 12) == 0)) {
		size_t m = strcspn(v, " ");

		if (m < rest && strncasecmp(v, "AUTHENTICATE", 12) == 0) {
			size_t mech = 0;

			while (m + 1 + mech < rest && v[m + 1 + mech] != ' ')
				mech++;
			log_debug("imap > %.*s AUTHENTICATE %.*s", (int)tl, p,
			    (int)mech, v + m + 1);
		} else {
			log_debug("imap > %.*s LOGIN (credentials)", (int)tl, p);
		}
		return;
	}
	log_debug("imap > %.*s", (int)n, p);
	if (rest == 6 && strncasecmp(v, "LOGOUT", 6) == 0) {
		/* A stalled server would cost a second timeout. */
		net_socks_grace(&s->socks, LOGOUT_GRACE_MS);
		return;
	}
	if (s->cmd != NULL && rest == strlen(s->cmd) &&
	    memcmp(v, s->cmd, rest) == 0) {
		memcpy(s->tag, p, tl);
		s->tag[tl] = '\0';
		s->sent = 1;
		s->done = 0;
	}
}

static int
debug_cb(CURL *c, curl_infotype type, char *p, size_t n, void *arg)
{
	struct imap *s = arg;

	(void)c;
	if (type == CURLINFO_HEADER_OUT) {
		note_command(s, p, n);
	} else if (type == CURLINFO_TEXT) {
		if (n >= 9 && memcmp(p, "Excessive", 9) == 0)
			s->stripped = 1;
		else if (n >= 9 && memcmp(p, "Too large", 9) == 0)
			s->overflow = s->too_large = 1;
		while (n > 0 && (p[n - 1] == '\n' || p[n - 1] == '\r'))
			n--;
		log_debug("imap: %.*s", (int)(n < 200 ? n : 200), p);
	}
	return 0;
}

/* ---- commands -------------------------------------------------------- */

struct imap *
imap_new(const struct endpoint *ep, const char *password, long timeout)
{
	struct imap *s = xcalloc(1, sizeof(*s));
	CURLU *u;
	char *url = NULL;
	CURL *c;

	if (timeout < 1)
		timeout = 1;
	s->timeout = timeout;
	/* The mailbox part of a URL would make libcurl SELECT on its own. */
	if ((u = curl_url()) == NULL)
		fatalx("out of memory");
	if (curl_url_set(u, CURLUPART_URL, ep->url, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_PATH, "/", 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_QUERY, NULL, 0) == CURLUE_OK &&
	    curl_url_set(u, CURLUPART_FRAGMENT, NULL, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_URL, &url, 0) == CURLUE_OK) {
		s->url = xstrdup(url);
		curl_free(url);
	} else {
		s->url = xstrdup(ep->url);      /* perform reports it */
	}
	curl_url_cleanup(u);
	s->user = xstrdup(ep->username != NULL ? ep->username : "");
	s->batch_max = IMAP_BATCH_COUNT;
	buf_init(&s->text, IMAP_TEXT_MAX);
	buf_init(&s->last_no, IMAP_TEXT_MAX);
	buf_init(&s->line, IMAP_LINE_MAX);
	buf_init(&s->lit, IMAP_CHUNK);
	buf_init(&s->body, IMAP_CHUNK);

	if ((c = curl_easy_init()) == NULL)
		fatalx("cannot initialise libcurl");
	s->curl = c;
	net_client_setup(c, &(struct net_client){ .name = "imap",
	    .protocols = "imap,imaps", .url = s->url, .ep = ep,
	    .password = ep->username != NULL ? password : NULL,
	    .timeout = timeout, .errbuf = s->errbuf,
	    .socks = &s->socks });
	curl_easy_setopt(c, CURLOPT_VERBOSE, 1L);
	curl_easy_setopt(c, CURLOPT_DEBUGFUNCTION, debug_cb);
	curl_easy_setopt(c, CURLOPT_DEBUGDATA, s);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, s);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, s);
	curl_easy_setopt(c, CURLOPT_BUFFERSIZE, IMAP_BUFFERSIZE);
	/* One cached connection: a fresh one pushes a doubtful one out. */
	curl_easy_setopt(c, CURLOPT_MAXCONNECTS, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 10 * timeout);
	return s;
}

void
imap_free(struct imap *s)
{
	if (s == NULL)
		return;
	s->cmd = NULL;
	/* LOGOUT on a live connection, bounded by the response timeout. */
	curl_easy_cleanup(s->curl);
	free(s->url);
	free(s->user);
	free(s->folder);
	free(s->uids);
	buf_release(&s->text);
	buf_release(&s->last_no);
	buf_release(&s->line);
	buf_release(&s->lit);
	buf_release(&s->body);
	free(s);
}

int
imap_login_refused(const struct imap *s)
{
	return s->login_refused;
}

static enum dmn
classify(CURLcode rc)
{
	return net_curl_dmn((int)rc);
}

/* Forget everything the last command left. */
static void
start_command(struct imap *s, const char *cmd, enum expect ex)
{
	s->cmd = cmd;
	s->expect = ex;
	s->sent = s->done = 0;
	s->status = 0;
	s->trycreate = s->transient = 0;
	s->tag[0] = '\0';
	s->overflow = s->stripped = s->bogus = s->too_large = 0;
	buf_reset(&s->text);
	buf_reset(&s->last_no);
	buf_reset(&s->line);
	buf_reset(&s->lit);
	s->lit_left = 0;
	s->lit_keep = s->lit_seen = 0;
	s->errbuf[0] = '\0';
	s->have_uv = 0;
	s->r_uidvalidity = s->r_uidnext = 0;
	s->nuids = 0;
	s->found = s->have_size = s->have_body = 0;
	s->size = 0;
	buf_reset(&s->body);
}

/* Run one command (no folder needed).  `what` completes "cannot ...".  A
 * tagged NO is DMN_BAD_MSG (DMN_TEMP for [UNAVAILABLE] and the like), a
 * BAD DMN_TEMP.  *reconnected (may be NULL) tells whether libcurl had to
 * log in again for it. */
static enum dmn
command(struct imap *s, const char *cmd, enum expect ex, const char *what,
    char **err, int *reconnected)
{
	long conns = 0;
	CURLcode rc;
	enum dmn r;

	start_command(s, cmd, ex);
	curl_easy_setopt(s->curl, CURLOPT_CUSTOMREQUEST, cmd);
	if (s->fresh)
		curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, 1L);
	rc = curl_easy_perform(s->curl);
	if (s->fresh) {
		curl_easy_setopt(s->curl, CURLOPT_FRESH_CONNECT, 0L);
		s->fresh = 0;
	}
	s->cmd = NULL;
	if (curl_easy_getinfo(s->curl, CURLINFO_NUM_CONNECTS, &conns) !=
	    CURLE_OK)
		conns = 1;
	if (reconnected != NULL)
		*reconnected = conns > 0;
	if (conns > 0 || rc != CURLE_OK)
		s->selected = 0;        /* a new session, or libcurl closed it */

	/* Our count of the stream and libcurl's must agree, else what comes
	 * next on this connection belongs to a literal: never reuse it. */
	if (rc == CURLE_OK && (!s->done || s->lit_left > 0 || s->line.len > 0 ||
	    s->stripped)) {
		s->fresh = 1;
		s->selected = 0;
		*err = xasprintf("cannot %s: the server's response does not "
		    "parse%s", what, s->stripped ?
		    " (a line too long for libcurl)" : "");
		return DMN_TEMP;
	}
	if (s->overflow || s->bogus) {
		s->fresh = 1;
		s->selected = 0;
		*err = xasprintf("cannot %s: the server's response is %s", what,
		    s->overflow ? "over the size we accept" : "malformed");
		return DMN_TEMP;
	}
	if (rc == CURLE_OK)
		return s->status == 'O' ? DMN_OK : DMN_TEMP;

	if (rc == CURLE_QUOTE_ERROR && s->done) {
		r = s->status == 'N' && !s->transient ? DMN_BAD_MSG : DMN_TEMP;
		*err = xasprintf("cannot %s: %s", what, buf_str(&s->text));
		return r;
	}
	r = classify(rc);
	s->login_refused = rc == CURLE_LOGIN_DENIED || rc == CURLE_AUTH_ERROR;
	if (s->login_refused) {
		*err = xasprintf("cannot log in to the imap server as %s: %s%s%s",
		    s->user, curl_easy_strerror(rc),
		    s->last_no.len > 0 ? ": " : "", buf_str(&s->last_no));
		return r;
	}
	*err = xasprintf("cannot %s: %s%s%s%s", what, curl_easy_strerror(rc),
	    s->errbuf[0] != '\0' ? " (" : "", s->errbuf,
	    s->errbuf[0] != '\0' ? ")" : "");
	return r;
}

/* The calls after imap_select() need it to have succeeded: calling them
 * without is a bug in convened, not anything a server did. */
static void
need_folder(const struct imap *s, const char *call)
{
	if (s->folder == NULL)
		fatalx("imap: %s called with no folder selected", call);
}

/* SELECT s->folder (imap_select() chose it) on this connection; its
 * UIDVALIDITY must not have changed since. */
static enum dmn
reselect(struct imap *s, char **err)
{
	char *q, *cmd, *what, *shown;
	enum dmn r;

	q = folder_arg(s->folder);      /* checked by imap_select() */
	cmd = xasprintf("SELECT %s", q);
	shown = folder_shown(s->folder);
	what = xasprintf("select folder %s again", shown);
	r = command(s, cmd, EXP_SELECT, what, err, NULL);
	if (r == DMN_OK && s->have_uv && s->r_uidvalidity != s->uidvalidity) {
		*err = xasprintf("UIDVALIDITY of folder %s changed from %lu "
		    "to %lu", shown, s->uidvalidity, s->r_uidvalidity);
		r = DMN_TEMP;
	} else if (r == DMN_OK) {
		s->selected = 1;
	} else if (r == DMN_BAD_MSG) {
		r = DMN_TEMP;   /* it was there a moment ago */
	}
	free(q);
	free(cmd);
	free(what);
	free(shown);
	return r;
}

/* A command that needs the folder selected; retried once when libcurl
 * had to reconnect under it. */
static enum dmn
in_folder(struct imap *s, const char *cmd, enum expect ex, const char *what,
    char **err)
{
	enum dmn r;
	int attempt, reconnected;

	for (attempt = 0;; attempt++) {
		if (!s->selected && (r = reselect(s, err)) != DMN_OK)
			return r;
		r = command(s, cmd, ex, what, err, &reconnected);
		if (r == DMN_OK || !reconnected || attempt > 0)
			return r;
		free(*err);
		*err = NULL;
	}
}

static enum dmn
need_caps(struct imap *s, char **err)
{
	enum dmn r;

	if (s->caps_known)
		return DMN_OK;
	r = command(s, "CAPABILITY", EXP_CAPABILITY,
	    "ask the imap server for its capabilities", err, NULL);
	if (r == DMN_OK && !s->caps_known) {
		*err = xstrdup("cannot ask the imap server for its "
		    "capabilities: no CAPABILITY response");
		return DMN_TEMP;
	}
	return r;
}

enum dmn
imap_select(struct imap *s, const char *folder, unsigned long *uidvalidity,
    unsigned long *uidnext, char **err)
{
	char *q, *cmd, *what, *shown;
	enum dmn r;

	free(s->folder);
	s->folder = NULL;
	s->selected = 0;
	shown = folder_shown(folder);
	if ((q = folder_arg(folder)) == NULL) {
		*err = xasprintf("cannot select folder %s: only printable ASCII "
		    "without quotes or backslashes is supported", shown);
		free(shown);
		return DMN_BAD_MSG;
	}
	cmd = xasprintf("SELECT %s", q);
	what = xasprintf("select folder %s", shown);
	r = command(s, cmd, EXP_SELECT, what, err, NULL);
	if (r == DMN_OK && !s->have_uv) {
		*err = xasprintf("cannot select folder %s: the server sent no "
		    "UIDVALIDITY", shown);
		r = DMN_TEMP;
	}
	if (r == DMN_OK) {
		s->folder = xstrdup(folder);
		s->selected = 1;
		s->uidvalidity = s->r_uidvalidity;
		*uidvalidity = s->r_uidvalidity;
		*uidnext = s->r_uidnext;
	}
	free(q);
	free(cmd);
	free(what);
	free(shown);
	return r;
}

static int
cmp_ulong(const void *a, const void *b)
{
	unsigned long x = *(const unsigned long *)a;
	unsigned long y = *(const unsigned long *)b;

	return x < y ? -1 : x > y;
}

enum dmn
imap_uids(struct imap *s, unsigned long after, unsigned long **uids,
    size_t *n, char **err)
{
	char *cmd, *what;
	size_t i, j;
	enum dmn r;

	need_folder(s, "imap_uids");
	if (after >= UID_MAX) {
		*uids = NULL;
		*n = 0;
		return DMN_OK;
	}
	if ((r = need_caps(s, err)) != DMN_OK)
		return r;
	/* ESEARCH answers with ranges ("1:100000"): a plain SEARCH line of
	 * many UIDs would run into libcurl's 300 KiB header cap. */
	cmd = xasprintf("UID SEARCH %sUID %lu:*",
	    s->cap_esearch ? "RETURN (ALL) " : "", after + 1);
	what = xasprintf("list the messages of folder %s", s->folder);
	r = in_folder(s, cmd, EXP_SEARCH, what, err);
	free(cmd);
	free(what);
	if (r != DMN_OK)
		return r;
	/* "n:*" is "*:n" when n is past the highest UID: that message comes
	 * back although its UID is not above `after`. */
	if (s->nuids > 1)       /* qsort(NULL, 0, ...) is undefined */
		qsort(s->uids, s->nuids, sizeof(*s->uids), cmp_ulong);
	for (i = j = 0; i < s->nuids; i++) {
		if (s->uids[i] <= after || (j > 0 && s->uids[j - 1] == s->uids[i]))
			continue;
		s->uids[j++] = s->uids[i];
	}
	*n = j;
	if (j == 0) {
		*uids = NULL;
	} else {
		*uids = xreallocarray(NULL, j, sizeof(**uids));
		memcpy(*uids, s->uids, j * sizeof(**uids));
	}
	if (s->cuids > 4096) {          /* do not keep a huge array around */
		free(s->uids);
		s->uids = NULL;
		s->cuids = 0;
	}
	s->nuids = 0;
	return DMN_OK;
}

/* One UID FETCH for uid (cmd is freed here): DMN_BAD_MSG when the
 * message is no longer there. */
static enum dmn
fetch_one(struct imap *s, unsigned long uid, char *cmd, const char *what,
    char **err)
{
	enum dmn r;

	s->want_uid = uid;
	r = in_folder(s, cmd, EXP_FETCH, what, err);
	free(cmd);
	if (r == DMN_OK && !s->found) {
		*err = xasprintf("cannot %s: it no longer exists", what);
		r = DMN_BAD_MSG;
	}
	return r;
}

enum dmn
imap_fetch(struct imap *s, unsigned long uid, size_t max, char **data,
    size_t *len, char **err)
{
	struct buf msg = BUF_INIT(max);
	char *what;
	size_t off;
	enum dmn r;

	need_folder(s, "imap_fetch");
	s->too_big = 0;
	what = xasprintf("fetch message %lu from folder %s", uid, s->folder);
	r = fetch_one(s, uid, xasprintf("UID FETCH %lu (UID RFC822.SIZE)", uid),
	    what, err);
	if (r != DMN_OK)
		goto out;
	if (s->have_size && s->size > max) {
		*err = xasprintf("message %lu is %lu bytes, over the limit of "
		    "%zu", uid, s->size, max);
		s->too_big = 1;
		r = DMN_BAD_MSG;
		goto out;
	}
	/* In chunks: see the top of the file for libcurl's header cap. */
	for (off = 0;;) {
		size_t got;

		r = fetch_one(s, uid, xasprintf("UID FETCH %lu "
		    "(UID BODY.PEEK[]<%zu.%u>)", uid, off, IMAP_CHUNK), what, err);
		if (r != DMN_OK)
			goto out;
		/* Past the end a server may answer "" or NIL, not a literal. */
		got = s->have_body ? s->body.len : 0;
		if (buf_add(&msg, buf_str(&s->body), got) == -1) {
			*err = xasprintf("message %lu is over %zu bytes, over the "
			    "limit", uid, max);
			s->too_big = 1;
			r = DMN_BAD_MSG;
			goto out;
		}
		off += got;
		if (got < IMAP_CHUNK)
			break;
	}
	if (off == 0 && s->have_size && s->size > 0) {
		*err = xasprintf("cannot %s: the server sent no body", what);
		r = DMN_TEMP;
		goto out;
	}
	*len = msg.len;
	*data = buf_detach(&msg);
	r = DMN_OK;
out:
	buf_release(&msg);
	buf_reset(&s->body);
	buf_reset(&s->lit);
	free(what);
	return r;
}

int
imap_fetch_too_big(const struct imap *s)
{
	return s->too_big;
}

enum dmn
imap_fetch_head(struct imap *s, unsigned long uid, size_t max, char **data,
    size_t *len, unsigned long *size, char **err)
{
	char *what;
	enum dmn r;

	need_folder(s, "imap_fetch_head");
	if (max > IMAP_CHUNK)
		max = IMAP_CHUNK;
	what = xasprintf("fetch the start of message %lu from folder %s", uid,
	    s->folder);
	r = fetch_one(s, uid, xasprintf("UID FETCH %lu (UID RFC822.SIZE "
	    "BODY.PEEK[]<0.%zu>)", uid, max), what, err);
	if (r == DMN_OK) {
		*len = s->have_body ? s->body.len : 0;
		*data = xmalloc(*len + 1);
		memcpy(*data, buf_str(&s->body), *len);
		(*data)[*len] = '\0';
		*size = s->have_size ? s->size : 0;
	}
	buf_reset(&s->body);
	buf_reset(&s->lit);
	free(what);
	return r;
}

/* A command on the selected folder that answers nothing we keep; cmd and
 * what are freed here. */
static enum dmn
in_folder_free(struct imap *s, char *cmd, char *what, char **err)
{
	enum dmn r = in_folder(s, cmd, EXP_NONE, what, err);

	free(cmd);
	free(what);
	return r;
}

/* \Seen on a UID set ("5", "1:9,12"). */
static enum dmn
seen_set(struct imap *s, const char *set, char **err)
{
	return in_folder_free(s,
	    xasprintf("UID STORE %s +FLAGS.SILENT (\\Seen)", set),
	    xasprintf("mark messages %s in folder %s as seen", set, s->folder),
	    err);
}

enum dmn
imap_set_seen(struct imap *s, unsigned long uid, char **err)
{
	char set[24];

	need_folder(s, "imap_set_seen");
	snprintf(set, sizeof set, "%lu", uid);
	return seen_set(s, set, err);
}

/* UID MOVE or UID COPY of a UID set to the folder, creating it once when
 * missing. */
static enum dmn
to_folder(struct imap *s, const char *verb, const char *set,
    const char *q, const char *shown, char **err)
{
	char *cmd, *what, *create, *cwhat, *cerr = NULL;
	enum dmn r, cr;
	int trycreate;

	cmd = xasprintf("UID %s %s %s", verb, set, q);
	what = xasprintf("%s messages %s from folder %s to %s",
	    strcmp(verb, "MOVE") == 0 ? "move" : "copy", set, s->folder, shown);
	r = in_folder(s, cmd, EXP_NONE, what, err);
	if (r == DMN_BAD_MSG) {
		/* [TRYCREATE] says so; servers that do not say it get one
		 * CREATE too, and its failure leaves the first error. */
		trycreate = s->trycreate;
		create = xasprintf("CREATE %s", q);
		cwhat = xasprintf("create folder %s", shown);
		cr = command(s, create, EXP_NONE, cwhat, &cerr, NULL);
		if (cr == DMN_OK) {
			log_info("imap: created folder %s", shown);
			free(*err);
			*err = NULL;
			r = in_folder(s, cmd, EXP_NONE, what, err);
		} else if (trycreate || cr != DMN_BAD_MSG) {
			free(*err);
			*err = cerr;
			cerr = NULL;
			r = cr;
		}
		free(cerr);
		free(create);
		free(cwhat);
	}
	free(cmd);
	free(what);
	return r;
}

static enum dmn
move_set(struct imap *s, const char *set, const char *folder, char **err)
{
	char *q, *shown;
	enum dmn r;

	shown = folder_shown(folder);
	if ((q = folder_arg(folder)) == NULL) {
		*err = xasprintf("cannot move messages %s to folder %s: only "
		    "printable ASCII without quotes or backslashes is supported",
		    set, shown);
		free(shown);
		return DMN_BAD_MSG;
	}
	if ((r = need_caps(s, err)) != DMN_OK)
		goto out;
	if (s->cap_move) {
		r = to_folder(s, "MOVE", set, q, shown, err);
		goto out;
	}
	if ((r = to_folder(s, "COPY", set, q, shown, err)) != DMN_OK)
		goto out;
	if (!s->cap_uidplus) {
		/* A plain EXPUNGE would also remove what others marked
		 * \Deleted: the original stays, seen. */
		if (!s->warned_uidplus)
			log_warnx("imap server offers neither MOVE nor UIDPLUS: "
			    "messages are copied to %s and left in %s, marked "
			    "seen", shown, s->folder);
		s->warned_uidplus = 1;
		r = seen_set(s, set, err);
		goto out;
	}
	r = in_folder_free(s,
	    xasprintf("UID STORE %s +FLAGS.SILENT (\\Deleted)", set),
	    xasprintf("mark messages %s in folder %s deleted after copying "
	    "them to %s", set, s->folder, shown), err);
	/* Those UIDs only: never what others marked \Deleted. */
	if (r == DMN_OK)
		r = in_folder_free(s, xasprintf("UID EXPUNGE %s", set),
		    xasprintf("expunge messages %s from folder %s after copying "
		    "them to %s", set, s->folder, shown), err);
out:
	free(q);
	free(shown);
	return r;
}

enum dmn
imap_move(struct imap *s, unsigned long uid, const char *folder, char **err)
{
	char set[24];

	need_folder(s, "imap_move");
	snprintf(set, sizeof set, "%lu", uid);
	return move_set(s, set, folder, err);
}

/* UIDs (ascending) as an IMAP set of ranges, from uids[*i] on, at most
 * IMAP_SET_MAX characters and count messages: the command stays short,
 * and so does the answer (a MOVE answers an EXPUNGE line for each message,
 * and libcurl refuses an answer over 300 KiB). */
static char *
uid_set(const unsigned long *uids, size_t n, size_t *i, size_t count)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t j, first = *i;

	while (*i < n && b.len < IMAP_SET_MAX && *i - first < count) {
		for (j = *i; j + 1 < n && uids[j + 1] == uids[j] + 1 &&
		    j + 1 - first < count; j++)
			;
		if (b.len)
			buf_addc(&b, ',');
		if (j == *i)
			buf_addf(&b, "%lu", uids[*i]);
		else
			buf_addf(&b, "%lu:%lu", uids[*i], uids[j]);
		*i = j + 1;
	}
	return buf_detach(&b);
}

enum dmn
imap_file_away(struct imap *s, const unsigned long *uids, size_t n,
    const char *folder, char **err)
{
	enum dmn r = DMN_OK;
	size_t i = 0;
	char *set;

	need_folder(s, "imap_file_away");
	while (i < n && r == DMN_OK) {
		set = uid_set(uids, n, &i, IMAP_SET_COUNT);
		r = seen_set(s, set, err);
		if (r == DMN_OK && folder != NULL)
			r = move_set(s, set, folder, err);
		free(set);
	}
	return r;
}

/* UID FETCH of items for the messages uids[0..nuids), by UID sets of at
 * most count messages; the answers land in msgs[0..n), where all of them
 * are (batch_item()). */
static enum dmn
batch_fetch(struct imap *s, struct imap_msg *msgs, size_t n,
    const unsigned long *uids, size_t nuids, size_t count, const char *items,
    const char *what, char **err)
{
	enum dmn r = DMN_OK;
	size_t i;
	char *set, *cmd, *w;

	s->batch = msgs;
	s->nbatch = n;
	for (i = 0; i < nuids && r == DMN_OK;) {
		set = uid_set(uids, nuids, &i, count);
		cmd = xasprintf("UID FETCH %s (UID %s)", set, items);
		w = xasprintf("fetch messages %s from folder %s (%s)", set,
		    s->folder, what);
		r = in_folder(s, cmd, EXP_FETCH, w, err);
		free(cmd);
		free(w);
		free(set);
	}
	s->batch = NULL;
	s->nbatch = 0;
	buf_reset(&s->lit);
	return r;
}

enum dmn
imap_sizes(struct imap *s, struct imap_msg *msgs, size_t n, char **err)
{
	unsigned long *uids;
	size_t i;
	enum dmn r;

	need_folder(s, "imap_sizes");
	if (n == 0)
		return DMN_OK;
	uids = xreallocarray(NULL, n, sizeof(*uids));
	for (i = 0; i < n; i++) {
		msgs[i].found = 0;
		msgs[i].size = 0;
		uids[i] = msgs[i].uid;
	}
	r = batch_fetch(s, msgs, n, uids, n, IMAP_SIZES_COUNT, "RFC822.SIZE",
	    "their sizes", err);
	free(uids);
	if (r != DMN_OK && s->too_large) {
		/* Each message is then read alone, as it always could be. */
		log_debug("imap: sizes of %zu messages refused by libcurl's "
		    "header cap: %s", n, *err);
		free(*err);
		*err = NULL;
		for (i = 0; i < n; i++)
			msgs[i].found = 0;
		r = DMN_OK;
	}
	return r;
}

/* Fetched with the others: found, announced, within max and the batch's
 * bytes. */
static int
batchable(const struct imap_msg *m, size_t max)
{
	return m->found && m->size > 0 && m->size <= max &&
	    m->size <= IMAP_BATCH_BYTES;
}

enum dmn
imap_fetch_batch(struct imap *s, struct imap_msg *msgs, size_t n, size_t max,
    size_t *upto, char **err)
{
	unsigned long uids[IMAP_BATCH_COUNT];
	size_t i, bytes = 0, count = 0;
	enum dmn r;

	need_folder(s, "imap_fetch_batch");
	if (s->batch_max == 0) {
		*upto = n;
		return DMN_OK;
	}
	for (i = 0; i < n; i++) {
		if (!batchable(&msgs[i], max))
			continue;
		if (count == s->batch_max ||
		    bytes + msgs[i].size > IMAP_BATCH_BYTES)
			break;
		bytes += msgs[i].size;
		uids[count++] = msgs[i].uid;
	}
	*upto = i;
	if (count == 0)
		return DMN_OK;
	r = batch_fetch(s, msgs, i, uids, count, IMAP_BATCH_COUNT,
	    "BODY.PEEK[]", "their bodies", err);
	if (r != DMN_OK && s->too_large) {
		/* Smaller batches from now on, none at all past one message;
		 * these are read alone. */
		s->batch_max /= 2;
		log_debug("imap: %zu bodies refused by libcurl's header cap, "
		    "%zu a command from now on: %s", count, s->batch_max, *err);
		free(*err);
		*err = NULL;
		r = DMN_OK;
		for (i = 0; i < *upto; i++) {
			free(msgs[i].data);
			msgs[i].data = NULL;
		}
	}
	for (i = 0; i < *upto; i++) {
		/* Only what was asked for, within max: the rest is read
		 * alone (imap_fetch()), which says what is wrong with it. */
		if (r == DMN_OK && batchable(&msgs[i], max) &&
		    msgs[i].len <= max)
			continue;
		free(msgs[i].data);
		msgs[i].data = NULL;
		msgs[i].len = 0;
	}
	return r;
}
