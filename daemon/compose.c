/* compose.c: the outgoing message, RFC 5322 + MIME (RFC 2045-2047, 2231)
 * + iMIP (RFC 6047), written by hand into a struct buf.
 *
 * Shape with a calendar object (what Google Calendar itself sends, and what
 * Gmail, Outlook, Apple Mail and Thunderbird show with Accept/Decline):
 *
 *   multipart/mixed
 *     multipart/alternative
 *       text/plain; charset=UTF-8                      quoted-printable
 *       text/calendar; charset=UTF-8; method=REQUEST   base64
 *     application/ics; name="invite.ics"  (attachment)  base64
 *     extra attachments                                 base64
 *
 * Why base64 for text/calendar: the object must reach the client byte for
 * byte (CRLF line ends, the leading space of folded iCalendar lines, trailing
 * spaces in descriptions).  Gateways that rewrite line ends or strip trailing
 * white space cannot touch base64, and the part is then encoded exactly like
 * the invite.ics copy.  Readability of the raw source is the price; `convened
 * inspect` and the attachment cover debugging.
 *
 * The .ics attachment is called invite.ics for every method, as Google does:
 * clients act on the method= parameter and the METHOD property, not on the
 * file name.
 *
 * Boundaries are "=_convened_mix_<hash>" / "=_convened_alt_<hash>" with the
 * hash of the Message-ID: deterministic, and "=_" can occur neither in
 * base64 (no '_') nor in quoted-printable ('=' is followed by two hex digits
 * or CRLF there); headers we write never start a line with "--". */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "compose.h"
#include "log.h"
#include "util.h"

#define LINE_COLS       78      /* RFC 5322 2.1.1 SHOULD */
#define EW_MAX          75      /* RFC 2047 2: one encoded-word */
#define EW_OVERHEAD     12      /* "=?UTF-8?Q?" + "?=" */
#define EW_MIN_ROOM     (EW_OVERHEAD + 12)  /* less room than this: fold first */
/* In a display name, which is written unfolded: room for "Reply-To: "
 * before it on the first line. */
#define EW_PHRASE_MAX   (LINE_COLS - 11)
#define PLAIN_MAX       60      /* longer ASCII words are encoded to be foldable */
#define QP_COLS         76      /* RFC 2045 6.7 (5) */
#define B64_COLS        76
#define NAME_MAX_OCTETS 200     /* display names and file names */
#define ADDR_MAX        254     /* RFC 5321 path limit */
#define ID_MAX          900     /* keeps "Message-ID: <...>" under 998 */

/* ---- small helpers ----------------------------------------------------- */

/* Text for a header: control characters (CR, LF, TAB, DEL...) become spaces,
 * invalid UTF-8 becomes U+FFFD; cut at max octets on a character boundary
 * (0: only BUF_OWN's guard).  Caller frees. */
static char *
clean_text(const char *s, size_t max)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");
	struct buf b = BUF_INIT(max ? max : BUF_OWN);
	size_t n;
	int rc;

	/* What does not fit whole is left out, with all that follows. */
	for (rc = 0; *p && rc == 0; p += n) {
		if (*p < 0x20 || *p == 0x7f) {
			n = 1;
			rc = buf_addc(&b, ' ');
		} else if ((n = str_utf8_len((const char *)p, 4)) == 0) {
			n = 1;
			rc = buf_adds(&b, "\xef\xbf\xbd");
		} else {
			rc = buf_add(&b, p, n);
		}
	}
	return buf_detach(&b);
}

static int
is_ascii(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 0;
	return 1;
}

static int
is_alnum(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9');
}

/* RFC 5322 atext. */
static int
is_atext(unsigned char c)
{
	return is_alnum(c) || (c != 0 && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL);
}

/* Characters of an addr-spec or msg-id we write unchanged. */
static int
is_addr_char(unsigned char c)
{
	return c > 0x20 && c < 0x7f && strchr("()<>[]:;,\"\\", c) == NULL;
}

/* An address or id: every unsafe byte becomes '_', cut at max. */
static char *
clean_token(const char *s, size_t max)
{
	size_t i, n = s ? strlen(s) : 0;
	char *r;

	if (n > max)
		n = max;
	r = xmalloc(n + 1);
	for (i = 0; i < n; i++)
		r[i] = is_addr_char((unsigned char)s[i]) ? s[i] : '_';
	r[n] = '\0';
	return r;
}

static uint64_t
fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* ---- RFC 2047 encoded-words and folding -------------------------------- */

struct hline {
	struct buf *b;
	size_t      col;        /* columns used on the current line */
	int         content;    /* something other than the fold's space on it */
	int         nofold;     /* compose_address: words only, folding later */
	int         phrase;     /* a display name: plain words are atoms */
};

static void
hl_fold(struct hline *h)
{
	buf_adds(h->b, "\r\n ");
	h->col = 1;
	h->content = 0;
}

/* Q characters safe even in a phrase (RFC 2047 5 (3)): space is '_'. */
static int
q_literal(unsigned char c)
{
	return is_alnum(c) || c == '!' || c == '*' || c == '+' || c == '-' ||
	    c == '/';
}

static size_t
q_size(const unsigned char *p, size_t n)
{
	size_t i, r = 0;

	for (i = 0; i < n; i++)
		r += (p[i] == ' ' || q_literal(p[i])) ? 1 : 3;
	return r;
}

static size_t
b_size(size_t n)
{
	return (n + 2) / 3 * 4;
}

static const char b64chars[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Encoded into a local block, handed to the buffer a block at a time:
 * this runs over every calendar part, and a buf_add per four bytes was a
 * tenth of planning's time. */
static void
b64_chunk(struct buf *b, const unsigned char *p, size_t n)
{
	unsigned char in[3];
	char out[256], *o = out;
	size_t i, k;

	for (i = 0; i < n; i += 3) {
		k = n - i < 3 ? n - i : 3;
		memset(in, 0, sizeof in);
		memcpy(in, p + i, k);
		*o++ = b64chars[in[0] >> 2];
		*o++ = b64chars[((in[0] & 3) << 4) | (in[1] >> 4)];
		*o++ = k > 1 ? b64chars[((in[1] & 15) << 2) | (in[2] >> 6)] : '=';
		*o++ = k > 2 ? b64chars[in[2] & 63] : '=';
		if (o == out + sizeof out) {
			buf_add(b, out, sizeof out);
			o = out;
		}
	}
	buf_add(b, out, (size_t)(o - out));
}

/* The most whole characters of p[0..n) that fit one encoded-word in
 * room columns (at least one); *enc gets their encoded size. */
static size_t
ew_fit(const unsigned char *p, size_t n, size_t room, int use_b, size_t *enc)
{
	size_t take = 0, e, cl;

	*enc = 0;
	while (take < n) {
		cl = str_utf8_len((const char *)p + take, n - take);
		if (cl == 0)
			cl = 1;         /* cannot happen: input is clean */
		e = use_b ? b_size(take + cl) : *enc + q_size(p + take, cl);
		if (take > 0 && EW_OVERHEAD + e > room)
			break;
		take += cl;
		*enc = e;
	}
	return take;
}

/* An encoded-word that does not take the rest ends after a space: a
 * word split over two encoded-words reads as two words in parsers that
 * keep the white space between them (Python's, in a display name).  0
 * when p[0..take) has no space to end at. */
static size_t
ew_cut_at_space(const unsigned char *p, size_t take)
{
	while (take > 0 && p[take - 1] != ' ')
		take--;
	return take;
}

static void
ew_write(struct hline *h, const unsigned char *p, size_t n, int use_b)
{
	size_t j;

	buf_adds(h->b, use_b ? "=?UTF-8?B?" : "=?UTF-8?Q?");
	if (use_b) {
		b64_chunk(h->b, p, n);
	} else {
		for (j = 0; j < n; j++) {
			if (p[j] == ' ')
				buf_addc(h->b, '_');
			else if (q_literal(p[j]))
				buf_addc(h->b, (char)p[j]);
			else
				buf_addf(h->b, "=%02X", p[j]);
		}
	}
	buf_adds(h->b, "?=");
}

/* Text p[0..n) (valid UTF-8) as encoded-words, the first preceded by a
 * space unless first is set.  Each ends at a space unless a single word
 * is longer than an encoded-word can be. */
static void
emit_encoded(struct hline *h, const unsigned char *p, size_t n, int first)
{
	/* Q keeps Latin text readable; B only when a quarter shorter. */
	int use_b = b_size(n) * 4 < q_size(p, n) * 3;
	int sep = !first;
	size_t i = 0, take, cut, enc, room, rest;

	while (i < n) {
		if (h->nofold)
			room = EW_PHRASE_MAX;
		else if (h->col + (sep ? 1 : 0) >= LINE_COLS)
			room = 0;
		else
			room = LINE_COLS - h->col - (sep ? 1 : 0);
		/* Fold first when too little room is left, or when the rest
		 * would fit whole on a fresh line but not on this one. */
		rest = EW_OVERHEAD + (use_b ? b_size(n - i) : q_size(p + i, n - i));
		if (h->content && !h->nofold &&
		    (room < EW_MIN_ROOM || (rest > room && rest <= EW_MAX))) {
			hl_fold(h);
			sep = 0;
			room = LINE_COLS - h->col;
		}
		if (room > EW_MAX)
			room = EW_MAX;
		take = ew_fit(p + i, n - i, room, use_b, &enc);
		if (i + take < n) {
			if ((cut = ew_cut_at_space(p + i, take)) > 0) {
				take = ew_fit(p + i, cut, room, use_b, &enc);
			} else if (h->content && !h->nofold && room < EW_MAX) {
				/* The word may fit whole on a fresh line. */
				hl_fold(h);
				sep = 0;
				continue;
			}
		}
		if (sep) {
			buf_addc(h->b, ' ');
			h->col++;
		}
		ew_write(h, p + i, take, use_b);
		h->col += EW_OVERHEAD + enc;
		h->content = 1;
		sep = 1;
		i += take;
	}
}

static void
emit_plain(struct hline *h, const char *p, size_t n, int first)
{
	if (!first) {
		if (h->content && !h->nofold && h->col + 1 + n > LINE_COLS) {
			hl_fold(h);
		} else {
			buf_addc(h->b, ' ');
			h->col++;
		}
	}
	buf_add(h->b, p, n);
	h->col += n;
	h->content = 1;
}

/* In a phrase, a word that is not an atom ("Pérez,", "(UY)") is encoded
 * too: quoting it would put a quoted-string next to encoded-words. */
static int
word_needs_encoding(const char *p, size_t n, int phrase)
{
	size_t i;

	if (n > PLAIN_MAX)
		return 1;
	for (i = 0; i < n; i++) {
		if ((unsigned char)p[i] >= 0x80)
			return 1;
		if (p[i] == '=' && i + 1 < n && p[i + 1] == '?')
			return 1;
		if (phrase && !is_atext((unsigned char)p[i]))
			return 1;
	}
	return 0;
}

/* The cleaned value s as words: ASCII words alone, each run of words that
 * need encoding as encoded-words.  Every separator left outside encoded-
 * words is exactly one space, so folding (CRLF before that space) and
 * unfolding give the input back; odd spacing (leading, trailing, doubled)
 * is carried inside the encoded-words. */
static void
encode_value(struct hline *h, const char *s, size_t first_col)
{
	size_t len = strlen(s), na = 0, i, j, from, to;
	size_t *st = NULL, *en = NULL;
	unsigned char *enc = NULL;
	size_t pos = 0;

	h->col = first_col;
	h->content = 0;
	while (pos < len) {
		while (pos < len && s[pos] == ' ')
			pos++;
		if (pos == len)
			break;
		st = xreallocarray(st, na + 1, sizeof *st);
		en = xreallocarray(en, na + 1, sizeof *en);
		st[na] = pos;
		while (pos < len && s[pos] != ' ')
			pos++;
		en[na++] = pos;
	}
	if (na == 0) {
		if (len > 0)
			emit_encoded(h, (const unsigned char *)s, len, 1);
		return;
	}
	enc = xcalloc(na, 1);
	for (i = 0; i < na; i++) {
		size_t ws = st[i] - (i ? en[i - 1] : 0);

		enc[i] = word_needs_encoding(s + st[i], en[i] - st[i],
		    h->phrase) ||
		    (i == 0 ? ws != 0 : ws != 1) ||
		    (i == na - 1 && en[i] != len) ||
		    (i == 0 && first_col + en[i] - st[i] > LINE_COLS);
	}
	for (i = 0; i < na; i = j + 1) {
		if (!enc[i]) {
			emit_plain(h, s + st[i], en[i] - st[i], i == 0);
			j = i;
			continue;
		}
		for (j = i; j + 1 < na && enc[j + 1]; j++)
			;
		from = i == 0 ? 0 : en[i - 1] + 1;
		to = j == na - 1 ? len : en[j];
		emit_encoded(h, (const unsigned char *)s + from, to - from, i == 0);
	}
	free(enc);
	free(st);
	free(en);
}

char *
compose_encode_words(const char *utf8, size_t header_name_len)
{
	struct buf b = BUF_INIT(BUF_OWN);
	struct hline h = { &b, 0, 0, 0, 0 };
	char *s = clean_text(utf8, 0);

	encode_value(&h, s, header_name_len + 2);
	free(s);
	return buf_detach(&b);
}

/* ---- addresses ---------------------------------------------------------- */

/* ASCII words of atext separated by single spaces: no quoting needed. */
static int
is_plain_phrase(const char *s)
{
	const char *p;

	if (*s == ' ' || *s == '\0')
		return 0;
	for (p = s; *p; p++) {
		if (*p == ' ') {
			if (p[1] == ' ' || p[1] == '\0')
				return 0;
		} else if (!is_atext((unsigned char)*p)) {
			return 0;
		}
	}
	return 1;
}

char *
compose_address(const char *display_name, const char *email)
{
	char *addr = clean_token(email, ADDR_MAX), *name, *r;
	struct buf b = BUF_INIT(BUF_OWN);
	struct hline h = { &b, 0, 0, 1, 1 };
	const char *p;

	name = clean_text(display_name, NAME_MAX_OCTETS);
	for (p = name; *p == ' '; p++)
		;
	if (*p == '\0') {
		r = xasprintf("<%s>", addr);
	} else {
		/* Only the words that need it are encoded: two encoded-words
		 * side by side read differently in different parsers. */
		if (!is_ascii(name) || strstr(name, "=?") != NULL) {
			encode_value(&h, name, 0);
		} else if (is_plain_phrase(name)) {
			buf_adds(&b, name);
		} else {
			buf_addc(&b, '"');
			for (p = name; *p; p++) {
				if (*p == '"' || *p == '\\')
					buf_addc(&b, '\\');
				buf_addc(&b, *p);
			}
			buf_addc(&b, '"');
		}
		buf_addf(&b, " <%s>", addr);
		r = buf_detach(&b);
	}
	free(name);
	free(addr);
	return r;
}

/* "Name: value" for a structured value, without the line end: folded at
 * spaces outside quoted strings when a line would pass 78 columns, and
 * after the colon when the first word fits only on a line of its own (an
 * attachment's long type, an address). */
static void
add_folded(struct buf *b, const char *name, const char *value)
{
	size_t col, n;
	const char *p = value, *q;
	int quoted, first = 1;

	buf_addf(b, "%s:", name);
	col = strlen(name) + 1;
	while (*p) {
		quoted = 0;
		for (q = p; *q && (quoted || *q != ' '); q++) {
			if (*q == '\\' && quoted && q[1])
				q++;
			else if (*q == '"')
				quoted = !quoted;
		}
		n = (size_t)(q - p);
		if (col + 1 + n > LINE_COLS && (!first || 1 + n <= LINE_COLS)) {
			buf_adds(b, "\r\n ");
			col = 1;
		} else {
			buf_addc(b, ' ');
			col++;
		}
		buf_add(b, p, n);
		col += n;
		first = 0;
		p = *q ? q + 1 : q;
	}
}

static void
add_structured(struct buf *b, const char *name, const char *value)
{
	add_folded(b, name, value);
	buf_adds(b, "\r\n");
}

static void
add_unstructured(struct buf *b, const char *name, const char *value)
{
	char *v = compose_encode_words(value, strlen(name));

	if (*v)
		buf_addf(b, "%s: %s\r\n", name, v);
	else
		buf_addf(b, "%s:\r\n", name);
	free(v);
}

static void
add_mailbox(struct buf *b, const char *hname, const char *name,
    const char *email)
{
	char *a = compose_address(name, email);

	add_structured(b, hname, a);
	free(a);
}

/* ---- bodies ------------------------------------------------------------- */

/* s with every line ending (LF, CRLF, lone CR) as CRLF.  Caller frees. */
static char *
crlf_text(const char *s, size_t *lenp)
{
	struct buf b = BUF_INIT(BUF_OWN);
	size_t run;

	if (s == NULL)
		s = "";
	while (*s) {
		/* copy a line at a time, not a character */
		run = strcspn(s, "\r\n");
		buf_add(&b, s, run);
		s += run;
		if (*s == '\r') {
			buf_add(&b, "\r\n", 2);
			if (s[1] == '\n')
				s++;
			s++;
		} else if (*s == '\n') {
			buf_add(&b, "\r\n", 2);
			s++;
		}
	}
	*lenp = b.len;
	return buf_detach(&b);
}

/* "=XX" for c, as snprintf("=%02X") wrote it, without the cost of a
 * format per byte. */
static void
qp_hex(char tok[4], unsigned char c)
{
	static const char hex[] = "0123456789ABCDEF";

	tok[0] = '=';
	tok[1] = hex[c >> 4];
	tok[2] = hex[c & 15];
	tok[3] = '\0';
}

/* Quoted-printable (RFC 2045 6.7), hard CRLF breaks kept, soft breaks so no
 * line passes 76; "From " at a line start is encoded (mbox munging). */
static void
qp_encode(struct buf *b, const char *text)
{
	size_t len, i, col = 0, ll;
	char *t = crlf_text(text, &len);
	const unsigned char *p = (const unsigned char *)t;
	char tok[4];
	int eol;

	for (i = 0; i < len; i++) {
		if (p[i] == '\r' && i + 1 < len && p[i + 1] == '\n') {
			buf_adds(b, "\r\n");
			col = 0;
			i++;
			continue;
		}
		eol = i + 1 == len || p[i + 1] == '\r';
		if ((p[i] == ' ' || p[i] == '\t') && !eol)
			ll = 1;
		else if (p[i] >= 33 && p[i] <= 126 && p[i] != '=' &&
		    !(col == 0 && p[i] == 'F' && strncmp(t + i, "From ", 5) == 0) &&
		    !(col == 0 && p[i] == '.'))
			ll = 1;
		else
			ll = 3;
		if (ll == 1)
			tok[0] = (char)p[i];
		else
			qp_hex(tok, p[i]);
		/* Room for the token plus a soft break's '=' unless the line
		 * ends right after it. */
		if (col + ll + (eol ? 0 : 1) > QP_COLS) {
			buf_adds(b, "=\r\n");
			col = 0;
			if (p[i] == 'F' && strncmp(t + i, "From ", 5) == 0) {
				qp_hex(tok, p[i]);
				ll = 3;
			} else if (p[i] == '.') {
				qp_hex(tok, p[i]);
				ll = 3;
			}
		}
		buf_add(b, tok, ll);
		col += ll;
	}
	if (len > 0 && !(len >= 2 && t[len - 2] == '\r' && t[len - 1] == '\n'))
		buf_adds(b, "\r\n");
	free(t);
}

static void
b64_encode(struct buf *b, const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t i, n, per = B64_COLS / 4 * 3;

	for (i = 0; i < len; i += per) {
		n = len - i < per ? len - i : per;
		b64_chunk(b, p + i, n);
		buf_adds(b, "\r\n");
	}
}

/* ---- parameters and parts ----------------------------------------------- */

/* A MIME type we can write: token "/" token, then printable ASCII. */
static int
content_type_ok(const char *ct)
{
	static const char tspecials[] = "()<>@,;:\\\"/[]?=";
	const char *p = ct;
	int part;

	if (ct == NULL || strlen(ct) > NAME_MAX_OCTETS)
		return 0;
	for (part = 0; part < 2; part++) {
		const char *s = p;

		while (*p > 0x20 && *p < 0x7f && strchr(tspecials, *p) == NULL)
			p++;
		if (p == s)
			return 0;
		if (part == 0 && *p++ != '/')
			return 0;
	}
	for (; *p; p++)
		if (*p < 0x20 || *p >= 0x7f)
			return 0;
	return 1;
}

/* Latin letters with accents as their plain letters, for the ASCII
 * name: U+00C0..U+00FF, then U+0100..U+017F one letter each ('*': the
 * two-letter ligatures, spelt out in translit_static()). */
static const char *const latin1[64] = {
	"A", "A", "A", "A", "A", "A", "AE", "C", "E", "E", "E", "E",
	"I", "I", "I", "I", "D", "N", "O", "O", "O", "O", "O", "x",
	"O", "U", "U", "U", "U", "Y", "TH", "ss",
	"a", "a", "a", "a", "a", "a", "ae", "c", "e", "e", "e", "e",
	"i", "i", "i", "i", "d", "n", "o", "o", "o", "o", "o", NULL,
	"o", "u", "u", "u", "u", "y", "th", "y",
};
static const char latin_ext_a[] =
	"AaAaAaCcCcCcCcDdDdEeEeEeEeEeGgGgGgGgHhHhIiIiIiIiIi**JjKkkLlLlLl"
	"LlLlNnNnNnnNnOoOoOo**RrRrRrSsSsSsSsTtTtTtUuUuUuUuUuUuWwYyYZzZzZzs";

/* The ASCII for the UTF-8 character p[0..n), or NULL when it has none:
 * accents dropped, dashes and spaces kept as such, quotation marks left
 * out (they cannot stand in a quoted parameter). */
static const char *
translit_static(unsigned long c)
{
	if (c >= 0xc0 && c <= 0xff)
		return latin1[c - 0xc0];
	if (c == 0x132 || c == 0x133)
		return c == 0x132 ? "IJ" : "ij";
	if (c == 0x152 || c == 0x153)
		return c == 0x152 ? "OE" : "oe";
	if (c == 0xa0 || c == 0x2002 || c == 0x2003 || c == 0x2009)
		return " ";
	if (c >= 0x2010 && c <= 0x2015)
		return "-";
	if (c == 0x2018 || c == 0x2019)
		return "'";
	if (c == 0xab || c == 0xbb || (c >= 0x201c && c <= 0x201e))
		return "";
	return NULL;
}

/* The UTF-8 character p[0..n) in ASCII appended to b: 1, or 0 when it
 * has none. */
static int
translit(struct buf *b, const unsigned char *p, size_t n)
{
	unsigned long c;
	const char *t;

	if (n == 2)
		c = ((unsigned long)(p[0] & 0x1f) << 6) | (p[1] & 0x3f);
	else if (n == 3)
		c = ((unsigned long)(p[0] & 0x0f) << 12) |
		    ((unsigned long)(p[1] & 0x3f) << 6) | (p[2] & 0x3f);
	else
		return 0;
	if ((t = translit_static(c)) != NULL) {
		buf_adds(b, t);
		return 1;
	}
	if (c >= 0x100 && c <= 0x17f) {
		buf_addc(b, latin_ext_a[c - 0x100]);
		return 1;
	}
	return 0;
}

/* ";\r\n name=\"fallback\"": the file name in plain ASCII for clients
 * that know no RFC 2231: accented letters as plain ones ("Acta
 * reunión.pdf" is "Acta reunion.pdf"), anything else without ASCII (and
 * '"', '\\') as '_'.  Cut in the middle to keep the line within 78
 * columns and the extension. */
static void
add_plain_name(struct buf *b, const char *pname, const char *fname)
{
	const unsigned char *p;
	struct buf fb = BUF_INIT(BUF_OWN);
	size_t n, max = LINE_COLS - 5 - strlen(pname), ext = 0;
	const char *dot;

	for (p = (const unsigned char *)fname; *p; p += n) {
		n = str_utf8_len((const char *)p, 4);
		if (n == 0)
			n = 1;
		if (n == 1 || !translit(&fb, p, n))
			buf_addc(&fb, (n > 1 || *p == '"' || *p == '\\') ?
			    '_' : (char)*p);
	}
	if (fb.len == 0)
		buf_adds(&fb, "attachment");
	buf_addf(b, ";\r\n %s=\"", pname);
	if (fb.len <= max) {
		buf_add(b, buf_str(&fb), fb.len);
	} else {
		dot = strrchr(fb.data, '.');
		if (dot && fb.data + fb.len - dot <= 10)
			ext = (size_t)(fb.data + fb.len - dot);
		buf_add(b, fb.data, max - ext - 1);
		buf_addc(b, '_');
		buf_add(b, fb.data + fb.len - ext, ext);
	}
	buf_addc(b, '"');
	buf_release(&fb);
}

/* Content-Disposition's filename: plain when ASCII and short, else RFC 2231
 * filename*=UTF-8''pct-encoded, split into filename*0*, filename*1*...
 * (section 3) when a line would pass 78 columns, as Thunderbird does.  Only
 * the extended form is written then: with both, parsers such as Python's
 * take the plain one, and the exact name would be lost. */
static void
add_filename(struct buf *b, const char *fname)
{
	const unsigned char *p;
	struct buf pct = BUF_INIT(BUF_OWN);
	size_t i, n, room, sect = 0;
	int bad = 0;

	for (p = (const unsigned char *)fname; *p; p++) {
		if (is_alnum(*p) || strchr("!#$&+-.^_`|~", *p) != NULL)
			buf_addc(&pct, (char)*p);
		else
			buf_addf(&pct, "%%%02X", *p);
		if (*p >= 0x80 || *p == '"' || *p == '\\')
			bad = 1;
	}
	if (!bad && strlen(fname) + 14 <= LINE_COLS) {
		buf_addf(b, ";\r\n filename=\"%s\"", fname);
	} else if (pct.len + 19 <= LINE_COLS) {
		buf_addf(b, ";\r\n filename*=UTF-8''%s", buf_str(&pct));
	} else {
		for (i = 0; i < pct.len; i += n, sect++) {
			buf_addf(b, ";\r\n filename*%zu*=%s", sect,
			    sect == 0 ? "UTF-8''" : "");
			/* " filename*NN*=" + "UTF-8''" once + ";" */
			room = LINE_COLS - 16 - (sect == 0 ? 7 : 0) - 1;
			n = pct.len - i < room ? pct.len - i : room;
			/* Never split a %XX. */
			if (n < pct.len - i && n >= 1 && pct.data[i + n - 1] == '%')
				n -= 1;
			else if (n < pct.len - i && n >= 2 && pct.data[i + n - 2] == '%')
				n -= 2;
			buf_add(b, pct.data + i, n);
		}
	}
	buf_release(&pct);
}

static char *
clean_filename(const char *s)
{
	char *f = clean_text(s && *s ? s : "attachment", NAME_MAX_OCTETS), *p;

	for (p = f; *p; p++)
		if (*p == '/' || *p == '\\')
			*p = '_';
	return f;
}

/* Bytes that read as UTF-8 text: no NUL, no invalid sequence. */
static int
data_is_utf8(const unsigned char *p, size_t len)
{
	size_t i, n;

	for (i = 0; i < len; i += n)
		if (p[i] == 0 || (n = str_utf8_len((const char *)p + i,
		    len - i)) == 0)
			return 0;
	return 1;
}

/* An attachment's Content-Type: the one given when it can travel in
 * base64 (multipart/ and message/ cannot, RFC 2046 5.2.1), text/ with
 * charset=UTF-8 when it names no charset and the text is UTF-8 (a reader
 * would take US-ASCII); application/octet-stream for anything else.
 * Caller frees. */
static char *
attachment_type(const struct compose_attachment *a)
{
	const char *ct = a->content_type;

	if (!content_type_ok(ct) || strncasecmp(ct, "multipart/", 10) == 0 ||
	    strncasecmp(ct, "message/", 8) == 0)
		return xstrdup("application/octet-stream");
	if (strncasecmp(ct, "text/", 5) == 0 && strchr(ct, ';') == NULL &&
	    a->data != NULL && data_is_utf8(a->data, a->len))
		return xasprintf("%s; charset=UTF-8", ct);
	return xstrdup(ct);
}

static void
add_attachment(struct buf *b, const char *boundary,
    const struct compose_attachment *a)
{
	char *fname = clean_filename(a->filename);
	char *ct = attachment_type(a);

	buf_addf(b, "--%s\r\n", boundary);
	add_folded(b, "Content-Type", ct);
	free(ct);
	add_plain_name(b, "name", fname);
	buf_adds(b, "\r\nContent-Disposition: attachment");
	add_filename(b, fname);
	buf_adds(b, "\r\nContent-Transfer-Encoding: base64\r\n\r\n");
	b64_encode(b, a->data, a->data ? a->len : 0);
	free(fname);
}

static void
add_text_part(struct buf *b, const char *boundary, const char *text)
{
	buf_addf(b, "--%s\r\n", boundary);
	buf_adds(b, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
	qp_encode(b, text ? text : "");
}

static char *
clean_method(const char *m)
{
	struct buf b = BUF_INIT(20);
	int rc = 0;

	for (; m && *m && rc == 0; m++) {
		if (*m >= 'a' && *m <= 'z')
			rc = buf_addc(&b, (char)(*m - 'a' + 'A'));
		else if (*m >= 'A' && *m <= 'Z')
			rc = buf_addc(&b, *m);
	}
	if (b.len == 0)
		buf_adds(&b, "REQUEST");
	return buf_detach(&b);
}

/* ---- headers ------------------------------------------------------------ */

static int
reserved_header(const char *name)
{
	static const char *const names[] = {
		"From", "To", "Cc", "Bcc", "Subject", "Date", "Message-ID",
		"Reply-To", "In-Reply-To", "References", "Sender",
		"MIME-Version", "Auto-Submitted", "X-Auto-Response-Suppress",
		"Return-Path", NULL
	};
	size_t i;

	if (strncasecmp(name, "Content-", 8) == 0)
		return 1;
	for (i = 0; names[i]; i++)
		if (strcasecmp(name, names[i]) == 0)
			return 1;
	return 0;
}

static int
header_name_ok(const char *name)
{
	size_t n = strlen(name), i;

	if (n == 0 || n > 60)
		return 0;
	for (i = 0; i < n; i++)
		if (name[i] <= 0x20 || name[i] >= 0x7f || name[i] == ':')
			return 0;
	return 1;
}

static void
add_date(struct buf *b, long long t)
{
	static const char *const wday[] = { "Sun", "Mon", "Tue", "Wed", "Thu",
	    "Fri", "Sat" };
	static const char *const mon[] = { "Jan", "Feb", "Mar", "Apr", "May",
	    "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t tt = (time_t)t;
	struct tm tm;

	/* Years outside 1900..9999 are not RFC 5322 dates: the epoch then. */
	if ((long long)tt != t || t < -2208988800LL || t > 253402300799LL ||
	    gmtime_r(&tt, &tm) == NULL) {
		tt = 0;
		gmtime_r(&tt, &tm);
	}
	buf_addf(b, "Date: %s, %02d %s %04d %02d:%02d:%02d +0000\r\n",
	    wday[tm.tm_wday], tm.tm_mday, mon[tm.tm_mon], tm.tm_year + 1900,
	    tm.tm_hour, tm.tm_min, tm.tm_sec);
}

/* 1 when s is printable ASCII alone (spaces included). */
static int
plain_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return 0;
	return 1;
}

/* The extra headers a caller asked for, those it may add.  A value of
 * printable ASCII goes as it is, folded at its spaces only: RFC 2369's
 * <URL>s (List-Post, List-Archive) must stay whole, where an encoded
 * word would hide them from every client. */
static void
add_extra_headers(struct buf *b, const char *const *h, const char *mid)
{
	char *shown;

	for (; h && h[0] && h[1]; h += 2) {
		if (!header_name_ok(h[0]) || reserved_header(h[0])) {
			shown = clean_token(h[0], 60);
			log_warnx("compose %s: extra header \"%s\" skipped", mid,
			    shown);
			free(shown);
			continue;
		}
		if (plain_ascii(h[1]))
			add_structured(b, h[0], h[1]);
		else
			add_unstructured(b, h[0], h[1]);
	}
}

/* The text and the calendar as alternatives, then the calendar again as
 * invite.ics for clients that only look at attachments. */
static void
add_invitation(struct buf *b, const struct compose_msg *m, const char *mix,
    const char *alt)
{
	struct buf enc = BUF_INIT(BUF_OWN);
	char *method = clean_method(m->ical_method), *ical;
	size_t ical_len = 0;

	ical = crlf_text(m->ical, &ical_len);
	buf_addf(b, "--%s\r\nContent-Type: multipart/alternative;\r\n"
	    " boundary=\"%s\"\r\n\r\n", mix, alt);
	add_text_part(b, alt, m->text);
	buf_addf(b, "\r\n--%s\r\n"
	    "Content-Type: text/calendar; charset=UTF-8; method=%s\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", alt, method);
	/* the same bytes twice: encoded once */
	b64_encode(&enc, ical, ical_len);
	buf_add(b, enc.data, enc.len);
	buf_addf(b, "\r\n--%s--\r\n\r\n", alt);
	buf_addf(b, "--%s\r\n"
	    "Content-Type: application/ics; name=\"invite.ics\"\r\n"
	    "Content-Disposition: attachment; filename=\"invite.ics\"\r\n"
	    "Content-Transfer-Encoding: base64\r\n\r\n", mix);
	buf_add(b, enc.data, enc.len);
	buf_release(&enc);
	free(method);
	free(ical);
}

char *
compose_message(const struct compose_msg *m, size_t *len)
{
	struct buf b = BUF_INIT(BUF_OWN);
	char *mid, *irt = NULL, *mix, *alt;
	uint64_t hash;
	size_t i;
	int multipart = m->ical != NULL || m->natt > 0;

	mid = clean_token(m->message_id, ID_MAX);
	if (*mid == '\0') {
		free(mid);
		mid = xstrdup("missing-message-id@convened.invalid");
	}
	if (m->in_reply_to && *m->in_reply_to)
		irt = clean_token(m->in_reply_to, ID_MAX);
	hash = fnv1a(mid);
	mix = xasprintf("=_convened_mix_%016llx", (unsigned long long)hash);
	alt = xasprintf("=_convened_alt_%016llx", (unsigned long long)hash);

	add_date(&b, m->date);
	add_mailbox(&b, "From", m->from_name, m->from_email);
	add_mailbox(&b, "To", m->to_name, m->to_email);
	if (m->reply_to)
		add_mailbox(&b, "Reply-To", m->reply_to_name, m->reply_to);
	if (m->cc)
		add_mailbox(&b, "Cc", m->cc_name, m->cc);
	add_unstructured(&b, "Subject", m->subject);
	/* Ids stay on their header's line: tools that thread or match mail
	 * read "Message-ID: <" as one line. */
	buf_addf(&b, "Message-ID: <%s>\r\n", mid);
	if (irt) {
		buf_addf(&b, "In-Reply-To: <%s>\r\n", irt);
		buf_addf(&b, "References: <%s>\r\n", irt);
	}
	buf_adds(&b, "MIME-Version: 1.0\r\n"
	    "Auto-Submitted: auto-generated\r\n"
	    "X-Auto-Response-Suppress: All\r\n");
	add_extra_headers(&b, m->extra_headers, mid);

	if (!multipart) {
		buf_adds(&b, "Content-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n\r\n");
		qp_encode(&b, m->text ? m->text : "");
		goto done;
	}

	buf_addf(&b, "Content-Type: multipart/mixed;\r\n boundary=\"%s\"\r\n\r\n",
	    mix);
	buf_adds(&b, "This is a multi-part message in MIME format.\r\n\r\n");
	if (m->ical)
		add_invitation(&b, m, mix, alt);
	else
		add_text_part(&b, mix, m->text);
	for (i = 0; i < m->natt; i++) {
		buf_adds(&b, "\r\n");
		add_attachment(&b, mix, &m->att[i]);
	}
	buf_addf(&b, "\r\n--%s--\r\n", mix);

done:
	free(mid);
	free(irt);
	free(mix);
	free(alt);
	if (len)
		*len = b.len;
	return buf_detach(&b);
}
