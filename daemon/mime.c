/* mime.c: GMime reads the message; we keep plain C facts (see mime.h).
 *
 * GMime does all MIME work: header unfolding, RFC 2047 words (also the
 * non-standard ones inside quoted parameters), RFC 2231 parameters,
 * transfer decodings and charset conversion.  What is ours: the limits on
 * untrusted input, and the choice of what to keep. */
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <gmime/gmime.h>

#include "addr.h"
#include "dynlib.h"
#include "mime.h"
#include "util.h"

/* GMime's functions, and the three of GObject that its macros call (GMime's
 * handle reaches GObject, which it brings).
 * Called through dynlib_gmime's table (dynlib.h), filled on first use:
 * the names below stand for the table's entries. */
#define GMIME_FNS(X) \
	X(g_mime_charset_iconv_name) \
	X(g_mime_content_type_get_mime_type) \
	X(g_mime_data_wrapper_write_to_stream) \
	X(g_mime_header_get_name) \
	X(g_mime_header_get_raw_value) \
	X(g_mime_header_list_get_count) \
	X(g_mime_header_list_get_header_at) \
	X(g_mime_init) \
	X(g_mime_message_get_mime_part) \
	X(g_mime_message_part_get_message) \
	X(g_mime_message_part_get_type) \
	X(g_mime_multipart_get_count) \
	X(g_mime_multipart_get_part) \
	X(g_mime_multipart_get_prologue) \
	X(g_mime_multipart_get_type) \
	X(g_mime_object_get_content_disposition_parameter) \
	X(g_mime_object_get_content_type) \
	X(g_mime_object_get_content_type_parameter) \
	X(g_mime_object_get_disposition) \
	X(g_mime_object_get_header_list) \
	X(g_mime_object_get_headers) \
	X(g_mime_object_get_type) \
	X(g_mime_object_register_type) \
	X(g_mime_object_to_string) \
	X(g_mime_parser_construct_message) \
	X(g_mime_parser_new_with_stream) \
	X(g_mime_parser_set_format) \
	X(g_mime_part_get_content) \
	X(g_mime_part_get_filename) \
	X(g_mime_part_get_type) \
	X(g_mime_references_free) \
	X(g_mime_references_get_message_id) \
	X(g_mime_references_length) \
	X(g_mime_references_parse) \
	X(g_mime_stream_mem_get_byte_array) \
	X(g_mime_stream_mem_get_type) \
	X(g_mime_stream_mem_new) \
	X(g_mime_stream_mem_new_with_buffer) \
	X(g_mime_utils_decode_message_id) \
	X(g_mime_utils_header_decode_date) \
	X(g_mime_utils_header_decode_text) \
	X(g_mime_utils_header_unfold) \
	X(g_object_unref) \
	X(g_type_check_instance_cast) \
	X(g_type_check_instance_is_a) \
	X(internet_address_get_name) \
	X(internet_address_group_get_members) \
	X(internet_address_group_get_type) \
	X(internet_address_list_get_address) \
	X(internet_address_list_length) \
	X(internet_address_list_parse) \
	X(internet_address_mailbox_get_addr) \
	X(internet_address_mailbox_get_type)
DYNLIB_TABLE(gm, dynlib_gmime, "libgmime-3.0.so.0", GMIME_FNS)

#define GM (gm_fns())
#define g_mime_charset_iconv_name (GM->g_mime_charset_iconv_name)
#define g_mime_content_type_get_mime_type (GM->g_mime_content_type_get_mime_type)
#define g_mime_data_wrapper_write_to_stream (GM->g_mime_data_wrapper_write_to_stream)
#define g_mime_header_get_name (GM->g_mime_header_get_name)
#define g_mime_header_get_raw_value (GM->g_mime_header_get_raw_value)
#define g_mime_header_list_get_count (GM->g_mime_header_list_get_count)
#define g_mime_header_list_get_header_at (GM->g_mime_header_list_get_header_at)
#define g_mime_init (GM->g_mime_init)
#define g_mime_message_get_mime_part (GM->g_mime_message_get_mime_part)
#define g_mime_message_part_get_message (GM->g_mime_message_part_get_message)
#define g_mime_message_part_get_type (GM->g_mime_message_part_get_type)
#define g_mime_multipart_get_count (GM->g_mime_multipart_get_count)
#define g_mime_multipart_get_part (GM->g_mime_multipart_get_part)
#define g_mime_multipart_get_prologue (GM->g_mime_multipart_get_prologue)
#define g_mime_multipart_get_type (GM->g_mime_multipart_get_type)
#define g_mime_object_get_content_disposition_parameter \
	(GM->g_mime_object_get_content_disposition_parameter)
#define g_mime_object_get_content_type (GM->g_mime_object_get_content_type)
#define g_mime_object_get_content_type_parameter (GM->g_mime_object_get_content_type_parameter)
#define g_mime_object_get_disposition (GM->g_mime_object_get_disposition)
#define g_mime_object_get_header_list (GM->g_mime_object_get_header_list)
#define g_mime_object_get_headers (GM->g_mime_object_get_headers)
#define g_mime_object_get_type (GM->g_mime_object_get_type)
#define g_mime_object_register_type (GM->g_mime_object_register_type)
#define g_mime_object_to_string (GM->g_mime_object_to_string)
#define g_mime_parser_construct_message (GM->g_mime_parser_construct_message)
#define g_mime_parser_new_with_stream (GM->g_mime_parser_new_with_stream)
#define g_mime_parser_set_format (GM->g_mime_parser_set_format)
#define g_mime_part_get_content (GM->g_mime_part_get_content)
#define g_mime_part_get_filename (GM->g_mime_part_get_filename)
#define g_mime_part_get_type (GM->g_mime_part_get_type)
#define g_mime_references_free (GM->g_mime_references_free)
#define g_mime_references_get_message_id (GM->g_mime_references_get_message_id)
#define g_mime_references_length (GM->g_mime_references_length)
#define g_mime_references_parse (GM->g_mime_references_parse)
#define g_mime_stream_mem_get_byte_array (GM->g_mime_stream_mem_get_byte_array)
#define g_mime_stream_mem_get_type (GM->g_mime_stream_mem_get_type)
#define g_mime_stream_mem_new (GM->g_mime_stream_mem_new)
#define g_mime_stream_mem_new_with_buffer (GM->g_mime_stream_mem_new_with_buffer)
#define g_mime_utils_decode_message_id (GM->g_mime_utils_decode_message_id)
#define g_mime_utils_header_decode_date (GM->g_mime_utils_header_decode_date)
#define g_mime_utils_header_decode_text (GM->g_mime_utils_header_decode_text)
#define g_mime_utils_header_unfold (GM->g_mime_utils_header_unfold)
#define g_object_unref (GM->g_object_unref)
#define g_type_check_instance_cast (GM->g_type_check_instance_cast)
#define g_type_check_instance_is_a (GM->g_type_check_instance_is_a)
#define internet_address_get_name (GM->internet_address_get_name)
#define internet_address_group_get_members (GM->internet_address_group_get_members)
#define internet_address_group_get_type (GM->internet_address_group_get_type)
#define internet_address_list_get_address (GM->internet_address_list_get_address)
#define internet_address_list_length (GM->internet_address_list_length)
#define internet_address_list_parse (GM->internet_address_list_parse)
#define internet_address_mailbox_get_addr (GM->internet_address_mailbox_get_addr)
#define internet_address_mailbox_get_type (GM->internet_address_mailbox_get_type)

/* Header fields kept for others to look at (mime_header()). */
static const char *const kept[] = {
	"Auto-Submitted", "X-Autoreply", "X-Autorespond", "X-Autogenerated",
	"X-Auto-Response-Suppress", "Precedence", "X-Precedence",
	"X-Failed-Recipients", "X-MS-Exchange-Inbox-Rules-Loop", "List-Id",
	"X-Loop", "Content-Class", "X-Mailer", "User-Agent",
	"X-Original-To",
};
#define NKEPT (sizeof kept / sizeof kept[0])

/* At most this many References are kept. */
#define MAX_REFS 100

static void
mime_init_once(void)
{
	static int done;

	if (!done) {
		g_mime_init();
		/* GMime reads every message/ part as an embedded message;
		 * these are field lists of a report, leaf parts. */
		g_mime_object_register_type("message", "delivery-status",
		    GMIME_TYPE_PART);
		g_mime_object_register_type("message",
		    "global-delivery-status", GMIME_TYPE_PART);
		g_mime_object_register_type("message", "rfc822-headers",
		    GMIME_TYPE_PART);
		g_mime_object_register_type("message", "global-headers",
		    GMIME_TYPE_PART);
		g_mime_object_register_type("message",
		    "disposition-notification", GMIME_TYPE_PART);
		g_mime_object_register_type("message",
		    "global-disposition-notification", GMIME_TYPE_PART);
		g_mime_object_register_type("message", "feedback-report",
		    GMIME_TYPE_PART);
		done = 1;
	}
}

/* A copy of the first len bytes of s as valid UTF-8: invalid sequences
 * become U+FFFD (a NUL ends the string).  Text already valid is copied
 * once, not twice: a body can be tens of megabytes. */
static char *
valid_utf8(const char *s, size_t len)
{
	char *v, *r;

	if (g_utf8_validate(s, (gssize)len, NULL))
		return xstrndup(s, len);
	v = g_utf8_make_valid(s, (gssize)len);
	r = xstrdup(v);
	g_free(v);
	return r;
}

static int
charset_is(const char *cs, const char *name)
{
	return cs != NULL && g_ascii_strcasecmp(cs, name) == 0;
}

/* NUL bytes would cut the text short: spaces instead. */
static void
nul_to_space(char *s, size_t len)
{
	char *p = s, *end = s + len;

	while ((p = memchr(p, '\0', (size_t)(end - p))) != NULL)
		*p++ = ' ';
}

/* A NUL-terminated copy of data with its NUL bytes made spaces. */
static char *
text_copy(const char *data, size_t len)
{
	char *t = xmalloc(len + 1);

	memcpy(t, data, len);
	t[len] = '\0';
	nul_to_space(t, len);
	return t;
}

/* len bytes in charset `from` (an iconv name) as UTF-8, NUL-terminated,
 * *outlen set; NULL when the charset is unknown or the bytes are not in
 * it (what g_convert refuses).  Into one buffer of ours, sized for three
 * bytes out for each byte in (windows-1252's worst) and grown only past
 * that: g_convert's own doubling and the copy out of it cost a hostile
 * 24 MB body some 150 MB more. */
static char *
iconv_utf8(const char *data, size_t len, const char *from, size_t *outlen)
{
	char *in = (char *)data, *out, *op;
	size_t cap = len * 3 + 8, inleft = len, outleft, used;
	GIConv cd;

	if ((cd = g_iconv_open("UTF-8", from)) == (GIConv)-1)
		return NULL;
	out = op = xmalloc(cap);
	outleft = cap - 1;
	while (g_iconv(cd, &in, &inleft, &op, &outleft) == (gsize)-1) {
		if (errno != E2BIG) {
			g_iconv_close(cd);
			free(out);
			return NULL;
		}
		used = (size_t)(op - out);
		out = xreallocarray(out, 2, cap);
		cap *= 2;
		op = out + used;
		outleft = cap - used - 1;
	}
	g_iconv(cd, NULL, NULL, &op, &outleft);     /* a stateful charset */
	g_iconv_close(cd);
	*op = '\0';
	*outlen = (size_t)(op - out);
	return xreallocarray(out, *outlen + 1, 1);
}

char *
mime_to_utf8(const char *data, size_t len, const char *charset)
{
	const char *from;
	char *t, *r;
	size_t n;

	if (charset != NULL && *charset != '\0') {
		from = g_mime_charset_iconv_name(charset);
		/* As browsers do: ISO-8859-1 labels are read as windows-1252,
		 * whose extra characters Outlook and Apple Mail send. */
		if (charset_is(from, "iso-8859-1") || charset_is(from, "latin1") ||
		    charset_is(charset, "iso-8859-1") ||
		    charset_is(charset, "latin1"))
			from = "WINDOWS-1252";
	} else
		from = NULL;

	if (from == NULL || charset_is(from, "utf-8") ||
	    charset_is(from, "us-ascii") || charset_is(from, "ascii") ||
	    charset_is(charset, "utf-8") || charset_is(charset, "us-ascii")) {
		t = text_copy(data, len);
		if (g_utf8_validate(t, (gssize)len, NULL))
			return t;
		if (charset_is(charset, "utf-8")) {
			r = valid_utf8(t, len);
			free(t);
			return r;
		}
		free(t);
		from = "WINDOWS-1252";
	}
	r = iconv_utf8(data, len, from, &n);
	if (r == NULL && g_ascii_strcasecmp(from, "WINDOWS-1252") != 0) {
		/* Unknown charset or bytes that are not in it. */
		t = text_copy(data, len);
		if (g_utf8_validate(t, (gssize)len, NULL))
			return t;
		free(t);
		r = iconv_utf8(data, len, "WINDOWS-1252", &n);
	}
	if (r == NULL) {
		/* windows-1252 leaves 5 bytes undefined; replace them. */
		t = text_copy(data, len);
		r = valid_utf8(t, len);
		free(t);
		return r;
	}
	nul_to_space(r, n);
	if (g_utf8_validate(r, (gssize)n, NULL))
		return r;
	t = valid_utf8(r, n);
	free(r);
	return t;
}

/* ---- limits before GMime sees the data ----
 *
 * GMime builds an object for every header field and every part, and
 * recurses once per nesting level: 24 MB of short header lines took one
 * `inspect` to 1.5 GB.  So one pass over the bytes first counts what GMime
 * would build, and a message over a limit never reaches it: the fields
 * (and their bytes) of every block GMime reads as a header (the message's
 * own, each part's after its boundary line, each embedded message's, and
 * each part of a multipart/digest without a Content-Type), the boundary
 * lines that open parts, and the multipart and message parts declared.
 * Where the pass has to guess it counts high.  A header block runs to its
 * blank line: GMime reads on past a line that is no field, ignoring it,
 * and past a boundary line (gmime-parser.c, parser_step_headers).  A line
 * "--x" outside a header opens a part when x is a boundary some
 * Content-Type declared, and any "--" line does once a boundary could not
 * be read plainly (RFC 2231 pieces, backslash escapes, RFC 2047 words,
 * over 200 bytes). */

#define SCAN_BOUNDARY_MAX 200   /* bytes of a boundary we match by value */
#define SCAN_FIELD_MAX    (64u << 10)   /* of one Content-Type field */

struct scan {
	const struct mime_limits *lim;
	GHashTable *bounds;     /* the boundaries declared, NUL-terminated */
	int     any_dash;       /* a boundary not read: every "--" line counts */
	int     digest;         /* a multipart/digest was declared */
	size_t  header_lines, header_bytes, parts, containers;
	int     in_header;      /* in a header block */
	int     in_part;        /* that block follows a boundary line */
	int     has_ct;         /* it has a Content-Type field */
	int     message_next;   /* the body after its blank line is a header
	                         * block too (message/..., or digest part) */
	int     in_field;       /* the last line began a field */
	int     in_ct;          /* reading a Content-Type field */
	struct buf ct;          /* that field, unfolded */
};

static int
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* A field's first line: a name (no white space, no colon, no control)
 * then optional white space and a colon (GMime wants none: counting it
 * errs high). */
static int
is_field_start(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && (unsigned char)p[i] > ' ' && p[i] != ':' &&
	    p[i] != 0x7f)
		i++;
	if (i == 0)
		return 0;
	while (i < n && is_wsp(p[i]))
		i++;
	return i < n && p[i] == ':';
}

/* The boundary parameters of an unfolded Content-Type value. */
static void
scan_boundaries(struct scan *sc, const char *v)
{
	const char *p = v, *q;
	size_t n;

	while ((p = strcasestr(p, "boundary")) != NULL) {
		p += 8;
		if (*p == '*') {
			sc->any_dash = 1;       /* RFC 2231: not undone here */
			continue;
		}
		while (is_wsp(*p))
			p++;
		/* never step past the terminating NUL: the search goes on */
		if (*p != '=')
			continue;
		p++;
		while (is_wsp(*p))
			p++;
		if (*p == '"') {
			q = ++p;
			while (*q != '\0' && *q != '"' && *q != '\\')
				q++;
			if (*q != '"')
				sc->any_dash = 1;
		} else {
			q = p;
			while (*q != '\0' && *q != ';' && !is_wsp(*q))
				q++;
		}
		n = (size_t)(q - p);
		/* GMime decodes an RFC 2047 word even there: not matched */
		if (n == 0 || n > SCAN_BOUNDARY_MAX ||
		    g_strstr_len(p, (gssize)n, "=?") != NULL ||
		    g_hash_table_size(sc->bounds) >= (guint)sc->lim->max_parts)
			sc->any_dash = 1;
		else
			g_hash_table_add(sc->bounds, g_strndup(p, n));
		p = q;
	}
}

/* The Content-Type field just read, if any: what it declares. */
static void
scan_field_end(struct scan *sc)
{
	const char *v;

	if (!sc->in_ct)
		return;
	sc->in_ct = 0;
	if (buf_full(&sc->ct)) {
		sc->any_dash = 1;
		buf_reset(&sc->ct);
		return;
	}
	v = buf_str(&sc->ct);
	while (is_wsp(*v))
		v++;
	sc->has_ct = 1;
	if (g_ascii_strncasecmp(v, "multipart/", 10) == 0) {
		sc->containers++;
		if (g_ascii_strncasecmp(v + 10, "digest", 6) == 0)
			sc->digest = 1;
		if (strcasestr(v, "boundary") == NULL)
			sc->any_dash = 1;
		scan_boundaries(sc, v);
	} else if (g_ascii_strncasecmp(v, "message/", 8) == 0) {
		sc->containers++;
		sc->message_next = 1;
	}
	buf_reset(&sc->ct);
}

/* Whether the line p[0..n) (no line end) opens a part. */
static int
is_delimiter(struct scan *sc, const char *p, size_t n)
{
	char key[SCAN_BOUNDARY_MAX + 1];

	if (n < 2 || p[0] != '-' || p[1] != '-')
		return 0;
	if (sc->any_dash)
		return 1;
	p += 2;
	n -= 2;
	while (n > 0 && is_wsp(p[n - 1]))
		n--;
	if (n == 0 || n > SCAN_BOUNDARY_MAX)
		return 0;
	memcpy(key, p, n);
	key[n] = '\0';
	return g_hash_table_contains(sc->bounds, key);
}

/* A header block begins: after a boundary line (in_part), or after the
 * blank line of a block whose body is a message. */
static void
scan_block(struct scan *sc, int in_part)
{
	sc->in_header = 1;
	sc->in_part = in_part;
	sc->has_ct = 0;
	sc->message_next = 0;
	sc->in_field = 0;
}

/* One line of a header block, p[0..n) without its line end, not blank. */
static void
scan_header_line(struct scan *sc, const char *p, size_t n)
{
	const char *colon;

	if (is_wsp(p[0])) {
		/* a folded line: part of the field before it, if any */
		if (sc->in_field)
			sc->header_bytes += n + 1;
		if (sc->in_ct)
			buf_add(&sc->ct, p, n);
		return;
	}
	scan_field_end(sc);
	if (!(sc->in_field = is_field_start(p, n)))
		return;                 /* GMime ignores it and reads on */
	sc->header_lines++;
	sc->header_bytes += n + 1;
	/* "Content-Type:", or "Content-Type :", which GMime ignores */
	if (n > 12 && g_ascii_strncasecmp(p, "content-type", 12) == 0 &&
	    (p[12] == ':' || is_wsp(p[12]))) {
		colon = memchr(p, ':', n);
		sc->in_ct = 1;
		buf_add(&sc->ct, colon + 1, n - (size_t)(colon + 1 - p));
	}
}

/* One line, p[0..n) without its line end. */
static void
scan_line(struct scan *sc, const char *p, size_t n)
{
	if (!sc->in_header) {
		if (is_delimiter(sc, p, n)) {
			sc->parts++;
			scan_block(sc, 1);
		}
		return;
	}
	if (is_delimiter(sc, p, n))
		sc->parts++;            /* a part GMime may not make: high */
	if (n > 0) {
		scan_header_line(sc, p, n);
		return;
	}
	/* the blank line: the block's body is a message, or not */
	scan_field_end(sc);
	if (sc->in_part && !sc->has_ct && sc->digest)
		sc->message_next = 1;
	if (sc->message_next)
		scan_block(sc, 0);
	else
		sc->in_header = 0;
}

/* The first limit the message passes, as a reason (caller frees), or
 * NULL: checked as the pass goes, so a bomb is stopped early. */
static char *
scan_over(const struct scan *sc)
{
	const struct mime_limits *l = sc->lim;

	if (sc->header_lines > l->max_header_lines)
		return xasprintf("message has more than %zu header lines "
		    "(header bomb)", l->max_header_lines);
	if (sc->header_bytes > l->max_header_bytes)
		return xasprintf("message has more than %zu bytes of headers "
		    "(header bomb)", l->max_header_bytes);
	if (sc->parts > (size_t)l->max_parts)
		return xasprintf("message has more than %d MIME parts (part "
		    "bomb)", l->max_parts);
	if (sc->containers > (size_t)l->max_parts)
		return xasprintf("message declares more than %d multipart or "
		    "message parts (nesting or part bomb)", l->max_parts);
	return NULL;
}

/* NULL when GMime may be given data, else why not (caller frees). */
static char *
prescan(const char *data, size_t len, const struct mime_limits *lim)
{
	struct scan sc;
	const char *p = data, *end = data + len, *nl;
	char *why = NULL;
	size_t n;

	memset(&sc, 0, sizeof sc);
	sc.lim = lim;
	sc.bounds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
	    NULL);
	buf_init(&sc.ct, SCAN_FIELD_MAX);
	scan_block(&sc, 0);
	while (p < end && why == NULL) {
		nl = memchr(p, '\n', (size_t)(end - p));
		n = (size_t)((nl != NULL ? nl : end) - p);
		scan_line(&sc, p, n > 0 && p[n - 1] == '\r' ? n - 1 : n);
		p += n + 1;
		why = scan_over(&sc);
	}
	scan_field_end(&sc);
	if (why == NULL)
		why = scan_over(&sc);
	buf_release(&sc.ct);
	g_hash_table_destroy(sc.bounds);
	return why;
}

/* ---- headers ---- */

static char *
unfold(const char *raw)
{
	char *u, *r;

	if (raw == NULL)
		return NULL;
	u = g_mime_utils_header_unfold(raw);
	r = xstrdup(u != NULL ? g_strstrip(u) : "");
	g_free(u);
	return r;
}

static char *
addr_lower(const char *a)
{
	char *r = valid_utf8(a, strlen(a));
	size_t i;

	for (i = 0; r[i]; i++)
		r[i] = (char)g_ascii_tolower(r[i]);
	return r;
}

/* The first mailbox of an address header: addr-spec and name. */
static void
first_mailbox(const char *raw, char **addr, char **name)
{
	InternetAddressList *l;
	InternetAddress *ia;
	int i, n;

	*addr = NULL;
	if (name)
		*name = NULL;
	if ((l = internet_address_list_parse(NULL, raw)) == NULL)
		return;
	n = internet_address_list_length(l);
	for (i = 0; i < n && *addr == NULL; i++) {
		ia = internet_address_list_get_address(l, i);
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			InternetAddressList *m =
			    internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia));
			if (m == NULL || internet_address_list_length(m) == 0)
				continue;
			ia = internet_address_list_get_address(m, 0);
		}
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			continue;
		const char *a = internet_address_mailbox_get_addr(
		    INTERNET_ADDRESS_MAILBOX(ia));
		if (a == NULL || *a == '\0')
			continue;
		*addr = addr_lower(a);
		if (name && internet_address_get_name(ia) != NULL &&
		    *internet_address_get_name(ia) != '\0')
			*name = valid_utf8(internet_address_get_name(ia),
			    strlen(internet_address_get_name(ia)));
	}
	g_object_unref(l);
}

static char *
msgid(const char *raw)
{
	char *id, *r;

	if ((id = g_mime_utils_decode_message_id(raw)) == NULL || *id == '\0') {
		g_free(id);
		return NULL;
	}
	r = valid_utf8(id, strlen(id));
	g_free(id);
	return r;
}

static void
set_once(char **slot, char *v)
{
	if (*slot == NULL)
		*slot = v;
	else
		free(v);
}

/* Return-Path's address, lower-case, or "" for the null path <> and for
 * one that does not parse. */
static char *
return_path(const char *raw)
{
	char *v = unfold(raw), *rp = NULL;

	if (strcmp(v, "<>") != 0 && strcmp(v, "< >") != 0)
		first_mailbox(v, &rp, NULL);
	free(v);
	return rp != NULL ? rp : xstrdup("");
}

/* Every mailbox of an address field (groups' members too) appended to
 * *v, lower case, while there are fewer than MIME_MAX_ADDRS. */
static void
all_mailboxes(const char *raw, char ***v, size_t *n)
{
	InternetAddressList *l, *members;
	InternetAddress *ia;
	const char *a;
	int i, j, nl, nm;

	if ((l = internet_address_list_parse(NULL, raw)) == NULL)
		return;
	nl = internet_address_list_length(l);
	for (i = 0; i < nl; i++) {
		ia = internet_address_list_get_address(l, i);
		members = NULL;
		nm = 1;
		if (INTERNET_ADDRESS_IS_GROUP(ia)) {
			members = internet_address_group_get_members(
			    INTERNET_ADDRESS_GROUP(ia));
			nm = members ? internet_address_list_length(members) : 0;
		}
		for (j = 0; j < nm && *n < MIME_MAX_ADDRS; j++) {
			if (members != NULL)
				ia = internet_address_list_get_address(members, j);
			if (!INTERNET_ADDRESS_IS_MAILBOX(ia) ||
			    (a = internet_address_mailbox_get_addr(
			    INTERNET_ADDRESS_MAILBOX(ia))) == NULL || *a == '\0')
				continue;
			*v = xreallocarray(*v, *n + 1, sizeof **v);
			(*v)[(*n)++] = addr_lower(a);
		}
	}
	g_object_unref(l);
}

/* From: one mailbox with a valid address, in one From field, or no
 * sender and the reason.  The name is GMime's reading. */
static void
read_from(struct mime_msg *m, const char *raw, int nth)
{
	const char *why;
	char *v, *ignored = NULL;

	if (nth > 1) {
		/* Which one would a client show?  Neither is believed. */
		free(m->from);
		m->from = NULL;
		free(m->from_refused);
		m->from_refused = xstrdup("more than one From field");
		return;
	}
	first_mailbox(raw, &ignored, &m->from_name);
	free(ignored);
	v = unfold(raw);
	if (addr_mailbox(v, &m->from, &why) == -1)
		m->from_refused = valid_utf8(why, strlen(why));
	free(v);
}

/* In-Reply-To (its first id) or References (the first MAX_REFS). */
static void
read_ids(struct mime_msg *m, const char *raw, int in_reply_to)
{
	GMimeReferences *r;
	const char *id;
	int j, nr;

	if ((r = g_mime_references_parse(NULL, raw)) == NULL)
		return;
	nr = g_mime_references_length(r);
	if (in_reply_to && nr > 0) {
		id = g_mime_references_get_message_id(r, 0);
		set_once(&m->in_reply_to, valid_utf8(id, strlen(id)));
	} else if (nr > 0) {
		if (nr > MAX_REFS)
			nr = MAX_REFS;
		m->references = xcalloc((size_t)nr, sizeof(char *));
		for (j = 0; j < nr; j++) {
			id = g_mime_references_get_message_id(r, j);
			m->references[m->nreferences++] = valid_utf8(id,
			    strlen(id));
		}
	}
	g_mime_references_free(r);
}

/* Kept whole or as "", never cut: a cut value could read as another. */
static void
read_authres(struct mime_msg *m, const char *raw)
{
	char *v;

	if (m->nauthres >= MIME_MAX_AUTHRES)
		return;
	v = unfold(raw);
	m->authres = xreallocarray(m->authres, m->nauthres + 1,
	    sizeof *m->authres);
	m->authres[m->nauthres++] = strlen(v) > MIME_MAX_AUTHRES_LEN ?
	    xstrdup("") : valid_utf8(v, strlen(v));
	free(v);
}

/* The fields the trust checks read, all of them: 1 when name is one. */
static int
read_trust_field(struct mime_msg *m, const char *name, const char *raw)
{
	if (g_ascii_strcasecmp(name, "To") == 0)
		all_mailboxes(raw, &m->to, &m->nto);
	else if (g_ascii_strcasecmp(name, "Cc") == 0)
		all_mailboxes(raw, &m->cc, &m->ncc);
	else if (g_ascii_strcasecmp(name, "Delivered-To") == 0)
		all_mailboxes(raw, &m->delivered_to, &m->ndelivered_to);
	else if (g_ascii_strcasecmp(name, "Authentication-Results") == 0)
		read_authres(m, raw);
	else
		return 0;
	return 1;
}

static void
read_headers(struct mime_msg *m, GMimeObject *msg)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(msg);
	int i, n = g_mime_header_list_get_count(hl);
	int seen_subject = 0, seen_from = 0, seen_sender = 0, seen_rp = 0;
	int seen_irt = 0, seen_refs = 0, seen_date = 0, seen_id = 0;
	size_t k;

	m->hdr = xcalloc(NKEPT, sizeof *m->hdr);
	for (i = 0; i < n; i++) {
		GMimeHeader *h = g_mime_header_list_get_header_at(hl, i);
		const char *name = g_mime_header_get_name(h);
		const char *raw = g_mime_header_get_raw_value(h);
		char *v;

		if (name == NULL || raw == NULL)
			continue;
		if (g_ascii_strcasecmp(name, "Subject") == 0) {
			if (seen_subject++)
				continue;
			v = unfold(raw);
			char *d = g_mime_utils_header_decode_text(NULL, v);
			free(v);
			m->subject = d ? valid_utf8(d, strlen(d)) : NULL;
			g_free(d);
		} else if (g_ascii_strcasecmp(name, "From") == 0) {
			read_from(m, raw, ++seen_from);
		} else if (read_trust_field(m, name, raw)) {
			continue;
		} else if (g_ascii_strcasecmp(name, "Sender") == 0) {
			if (seen_sender++)
				continue;
			first_mailbox(raw, &m->sender, NULL);
		} else if (g_ascii_strcasecmp(name, "Return-Path") == 0) {
			if (!seen_rp++)
				m->return_path = return_path(raw);
		} else if (g_ascii_strcasecmp(name, "Message-ID") == 0) {
			if (seen_id++)
				continue;
			m->message_id = msgid(raw);
		} else if (g_ascii_strcasecmp(name, "In-Reply-To") == 0) {
			if (!seen_irt++)
				read_ids(m, raw, 1);
		} else if (g_ascii_strcasecmp(name, "References") == 0) {
			if (!seen_refs++)
				read_ids(m, raw, 0);
		} else if (g_ascii_strcasecmp(name, "Date") == 0) {
			GDateTime *dt;

			if (seen_date++)
				continue;
			if ((dt = g_mime_utils_header_decode_date(raw)) != NULL) {
				m->date = (long long)g_date_time_to_unix(dt);
				g_date_time_unref(dt);
			}
		} else {
			for (k = 0; k < NKEPT; k++)
				if (g_ascii_strcasecmp(name, kept[k]) == 0)
					break;
			if (k == NKEPT || m->hdr[k].name != NULL)
				continue;
			v = unfold(raw);
			m->hdr[k].name = xstrdup(kept[k]);
			m->hdr[k].value = valid_utf8(v, strlen(v));
			free(v);
		}
	}
	/* Compact the kept headers to those present. */
	for (k = 0, m->nhdr = 0; k < NKEPT; k++)
		if (m->hdr[k].name != NULL)
			m->hdr[m->nhdr++] = m->hdr[k];
}

const char *
mime_header(const struct mime_msg *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nhdr; i++)
		if (g_ascii_strcasecmp(m->hdr[i].name, name) == 0)
			return m->hdr[i].value;
	return NULL;
}

/* ---- parts ---- */

struct walk {
	struct mime_msg    *m;
	const struct mime_limits *lim;
	int                 parts;
	int                 saw_html;
	size_t              cal_bytes, cal_lines;
	struct buf          ds;
	char               *err;
};

static char *
mime_type(GMimeObject *o)
{
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	char *t, *r;

	if (ct == NULL)
		return xstrdup("text/plain");
	t = g_mime_content_type_get_mime_type(ct);
	r = addr_lower(t != NULL ? t : "application/octet-stream");
	g_free(t);
	return r;
}

/* Transfer-decoded bytes of a leaf part; *len set; caller frees. */
static unsigned char *
part_bytes(GMimePart *p, size_t *len)
{
	GMimeDataWrapper *w = g_mime_part_get_content(p);
	GMimeStream *s;
	GByteArray *ba;
	unsigned char *r;

	*len = 0;
	if (w == NULL)
		return xcalloc(1, 1);
	s = g_mime_stream_mem_new();
	g_mime_data_wrapper_write_to_stream(w, s);
	ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
	r = xmalloc(ba->len + 1);
	/* An empty part leaves ba->data NULL: memcpy must not see it. */
	if (ba->len > 0)
		memcpy(r, ba->data, ba->len);
	r[ba->len] = '\0';
	*len = ba->len;
	g_object_unref(s);
	return r;
}

static int
ends_with_ci(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);

	return a >= b && g_ascii_strcasecmp(s + a - b, suffix) == 0;
}

static int
is_calendar(const char *type, const char *filename)
{
	if (strcmp(type, "text/calendar") == 0 ||
	    strcmp(type, "application/ics") == 0 ||
	    strcmp(type, "text/x-vcalendar") == 0 ||
	    strcmp(type, "application/x-ics") == 0 ||
	    strcmp(type, "text/ics") == 0)
		return 1;
	/* An .ics sent as octet-stream or text/plain by a careless client. */
	return filename != NULL && ends_with_ci(filename, ".ics") &&
	    (strcmp(type, "application/octet-stream") == 0 ||
	    strcmp(type, "text/plain") == 0);
}

static void
add_calendar(struct mime_msg *m, char *text, const char *method)
{
	size_t i;

	for (i = 0; i < m->ncal; i++)
		if (strcmp(m->cal[i].text, text) == 0) {
			if (m->cal[i].method == NULL && method != NULL)
				m->cal[i].method = addr_lower(method);
			free(text);
			return;
		}
	m->cal = xreallocarray(m->cal, m->ncal + 1, sizeof *m->cal);
	m->cal[m->ncal].text = text;
	m->cal[m->ncal].method = NULL;
	if (method != NULL && *method != '\0') {
		m->cal[m->ncal].method = xstrdup(method);
		g_strstrip(m->cal[m->ncal].method);
		for (i = 0; m->cal[m->ncal].method[i]; i++)
			m->cal[m->ncal].method[i] = (char)
			    g_ascii_toupper(m->cal[m->ncal].method[i]);
	}
	m->ncal++;
}

static void
add_attachment(struct mime_msg *m, const char *filename, char *type,
    const char *charset, unsigned char *data, size_t len)
{
	struct mime_attachment *a;

	m->att = xreallocarray(m->att, m->natt + 1, sizeof *m->att);
	a = &m->att[m->natt++];
	a->filename = filename ? valid_utf8(filename, strlen(filename)) : NULL;
	a->charset = charset && *charset ? addr_lower(charset) : NULL;
	a->content_type = type;
	a->data = data;
	a->size = len;
}

/* The header block of an embedded message, as text. */
static char *
embedded_headers(GMimeMessage *inner)
{
	char *h, *r;

	if (inner == NULL)
		return NULL;
	h = g_mime_object_get_headers(GMIME_OBJECT(inner), NULL);
	if (h == NULL)
		return NULL;
	r = mime_to_utf8(h, strlen(h), NULL);
	g_free(h);
	return r;
}

static int walk(struct walk *, GMimeObject *, int depth, int embedded,
    int in_report);

static int
walk_leaf(struct walk *w, GMimePart *p, int embedded)
{
	struct mime_msg *m = w->m;
	char *type = mime_type(GMIME_OBJECT(p));
	const char *fn = g_mime_part_get_filename(p);
	const char *disp = g_mime_object_get_disposition(GMIME_OBJECT(p));
	const char *charset = g_mime_object_get_content_type_parameter(
	    GMIME_OBJECT(p), "charset");
	int attached = disp != NULL && g_ascii_strcasecmp(disp, "attachment") == 0;
	unsigned char *data;
	size_t len;

	if (embedded) {
		/* Inside a returned or forwarded message: counted, not read. */
		free(type);
		return 0;
	}
	data = part_bytes(p, &len);
	if (is_calendar(type, fn) && (w->err = mime_calendar_budget(
	    (char *)data, len, &w->cal_bytes, &w->cal_lines)) != NULL) {
		free(data);
		free(type);
		return -1;
	}
	if (is_calendar(type, fn)) {
		add_calendar(m, mime_to_utf8((char *)data, len, charset),
		    g_mime_object_get_content_type_parameter(GMIME_OBJECT(p),
		    "method"));
		free(data);
		free(type);
	} else if (strcmp(type, "message/delivery-status") == 0 ||
	    strcmp(type, "message/global-delivery-status") == 0) {
		char *t = mime_to_utf8((char *)data, len, charset);
		int rc;

		rc = w->ds.len > 0 ? buf_adds(&w->ds, "\n") : 0;
		if (rc == 0)
			rc = buf_adds(&w->ds, t);
		free(t);
		free(data);
		free(type);
		if (rc == -1) {
			w->err = xasprintf("delivery status parts over %zu bytes",
			    w->ds.max);
			return -1;
		}
	} else if (strcmp(type, "text/rfc822-headers") == 0 ||
	    strcmp(type, "message/rfc822-headers") == 0 ||
	    strcmp(type, "message/global-headers") == 0) {
		set_once(&m->original_headers,
		    mime_to_utf8((char *)data, len, charset));
		free(data);
		free(type);
	} else if (strcmp(type, "text/plain") == 0 && m->text == NULL &&
	    !attached && fn == NULL) {
		m->text = mime_to_utf8((char *)data, len, charset);
		free(data);
		free(type);
	} else if (strcmp(type, "text/html") == 0 && !attached && fn == NULL) {
		w->saw_html = 1;
		free(data);
		free(type);
	} else if (strncmp(type, "text/", 5) == 0 && !attached && fn == NULL) {
		/* Another inline text part (a list footer, enriched text):
		 * the first text/plain is the body. */
		free(data);
		free(type);
	} else {
		if (strcmp(type, "application/ms-tnef") == 0 ||
		    strcmp(type, "application/vnd.ms-tnef") == 0 ||
		    (fn != NULL && g_ascii_strcasecmp(fn, "winmail.dat") == 0))
			m->tnef = 1;
		add_attachment(m, fn, type, charset, data, len);
	}
	return 0;
}

static int
walk(struct walk *w, GMimeObject *o, int depth, int embedded, int in_report)
{
	if (o == NULL)
		return 0;
	if (++w->parts > w->lim->max_parts) {
		w->err = xasprintf("message has more than %d MIME parts",
		    w->lim->max_parts);
		return -1;
	}
	if (depth > w->lim->max_depth) {
		w->err = xasprintf("MIME parts nested deeper than %d levels",
		    w->lim->max_depth);
		return -1;
	}
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		int i, n = g_mime_multipart_get_count(mp);
		char *type = mime_type(o);
		int report = strcmp(type, "multipart/report") == 0;

		if (report && !embedded && w->m->report_type == NULL) {
			const char *rt = g_mime_object_get_content_type_parameter(
			    o, "report-type");
			if (rt != NULL)
				w->m->report_type = addr_lower(rt);
		}
		free(type);
		/* No part at all: the boundary was lost (Apache James writes
		 * its parameter on an unindented line), and GMime leaves the
		 * whole body in the prologue.  Read it as the text. */
		if (n == 0 && !embedded && w->m->text == NULL &&
		    g_mime_multipart_get_prologue(mp) != NULL) {
			const char *pro = g_mime_multipart_get_prologue(mp);

			w->m->text = mime_to_utf8(pro, strlen(pro), NULL);
		}
		for (i = 0; i < n; i++)
			if (walk(w, g_mime_multipart_get_part(mp, i), depth + 1,
			    embedded, in_report || report) == -1)
				return -1;
		return 0;
	}
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *inner = g_mime_message_part_get_message(
		    GMIME_MESSAGE_PART(o));

		if (!embedded) {
			set_once(&w->m->original_headers, embedded_headers(inner));
			if (!in_report && inner != NULL) {
				/* A forwarded message is an attachment too. */
				char *s = g_mime_object_to_string(
				    GMIME_OBJECT(inner), NULL);
				size_t len = s ? strlen(s) : 0;
				unsigned char *d = xmalloc(len + 1);

				memcpy(d, s ? s : "", len + 1);
				g_free(s);
				add_attachment(w->m,
				    g_mime_object_get_content_disposition_parameter(
				    o, "filename"), mime_type(o), NULL, d, len);
			}
		}
		if (inner == NULL)
			return 0;
		return walk(w, g_mime_message_get_mime_part(inner), depth + 1, 1,
		    in_report);
	}
	if (GMIME_IS_PART(o))
		return walk_leaf(w, GMIME_PART(o), embedded);
	return 0;   /* message/partial and the like: ignored */
}

/* ---- entry points ---- */

char *
mime_calendar_budget(const char *data, size_t len, size_t *bytes,
    size_t *lines)
{
	const char *p = data, *end = data + len;

	*bytes += len;
	if (*bytes > MIME_MAX_CALENDAR)
		return xasprintf("calendar objects of more than %zu bytes",
		    MIME_MAX_CALENDAR);
	while (p < end && (p = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		p++;
		if (++*lines > MIME_MAX_CALENDAR_LINES)
			return xasprintf("calendar objects of more than %d "
			    "lines", MIME_MAX_CALENDAR_LINES);
	}
	return NULL;
}

int
mime_parse(const char *data, size_t len, const struct mime_limits *lim,
    struct mime_msg **out, char **err)
{
	static const struct mime_limits def = MIME_LIMITS_DEFAULT;
	struct walk w;
	struct mime_msg *m;
	GMimeStream *stream;
	GMimeParser *parser;
	GMimeMessage *msg;
	char *ct;

	*out = NULL;
	*err = NULL;
	if (lim == NULL)
		lim = &def;
	if (len > lim->max_size) {
		*err = xasprintf("message of %zu bytes is over the limit of %zu",
		    len, lim->max_size);
		return -1;
	}
	/* An mbox separator line ("From sender date") is not a header. */
	if (len >= 5 && memcmp(data, "From ", 5) == 0) {
		const char *nl = memchr(data, '\n', len);
		size_t skip = nl ? (size_t)(nl - data) + 1 : len;

		data += skip;
		len -= skip;
	}
	if ((*err = prescan(data, len, lim)) != NULL)
		return -1;
	if (len == 0) {
		*err = xstrdup("empty message");
		return -1;
	}

	mime_init_once();
	stream = g_mime_stream_mem_new_with_buffer(data, len);
	parser = g_mime_parser_new_with_stream(stream);
	g_mime_parser_set_format(parser, GMIME_FORMAT_MESSAGE);
	msg = g_mime_parser_construct_message(parser, NULL);
	g_object_unref(parser);
	g_object_unref(stream);
	if (msg == NULL) {
		*err = xstrdup("not an Internet message: no header could be read");
		return -1;
	}

	m = xcalloc(1, sizeof *m);
	read_headers(m, GMIME_OBJECT(msg));
	memset(&w, 0, sizeof w);
	w.m = m;
	w.lim = lim;
	buf_init(&w.ds, lim->max_size);
	if (g_mime_message_get_mime_part(msg) != NULL) {
		ct = mime_type(g_mime_message_get_mime_part(msg));
		m->content_type = ct;
	} else
		m->content_type = xstrdup("text/plain");
	if (walk(&w, g_mime_message_get_mime_part(msg), 1, 0, 0) == -1) {
		*err = w.err;
		buf_release(&w.ds);
		mime_free(m);
		g_object_unref(msg);
		return -1;
	}
	if (w.ds.len > 0)
		m->delivery_status = buf_detach(&w.ds);
	buf_release(&w.ds);
	m->html_only = m->text == NULL && w.saw_html;
	g_object_unref(msg);
	*out = m;
	return 0;
}

void
mime_free(struct mime_msg *m)
{
	size_t i;

	if (m == NULL)
		return;
	free(m->message_id);
	free(m->from);
	free(m->from_refused);
	free(m->from_name);
	strv_free(m->to, m->nto);
	strv_free(m->cc, m->ncc);
	strv_free(m->delivered_to, m->ndelivered_to);
	strv_free(m->authres, m->nauthres);
	free(m->sender);
	free(m->return_path);
	free(m->subject);
	free(m->in_reply_to);
	for (i = 0; i < m->nreferences; i++)
		free(m->references[i]);
	free(m->references);
	for (i = 0; i < m->nhdr; i++) {
		free(m->hdr[i].name);
		free(m->hdr[i].value);
	}
	free(m->hdr);
	free(m->content_type);
	free(m->report_type);
	free(m->text);
	for (i = 0; i < m->ncal; i++) {
		free(m->cal[i].text);
		free(m->cal[i].method);
	}
	free(m->cal);
	for (i = 0; i < m->natt; i++) {
		free(m->att[i].filename);
		free(m->att[i].charset);
		free(m->att[i].content_type);
		free(m->att[i].data);
	}
	free(m->att);
	free(m->delivery_status);
	free(m->original_headers);
	free(m);
}

int
mime_attachment_is_calendar(const struct mime_attachment *a)
{
	return a->content_type != NULL &&
	    (strcmp(a->content_type, "text/calendar") == 0 ||
	    strcmp(a->content_type, "application/ics") == 0);
}
