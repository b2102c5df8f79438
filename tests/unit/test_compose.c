/* Unit tests for compose.c: RFC 2047 words that decode back exactly, folding
 * limits, addresses, header injection, MIME structure of an iMIP message,
 * quoted-printable of long lines, 7-bit output and determinism.
 *
 * COMPOSE_DUMP=/path makes test_ical_structure write its message there, for
 * a look with another parser. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "compose.h"
#include "util.h"

/* ---- decoders the tests use to check round trips ------------------------- */

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int
b64val(char c)
{
	const char *a = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789+/";
	const char *p = c ? strchr(a, c) : NULL;

	return p ? (int)(p - a) : -1;
}

/* Base64 of s[0..n), white space skipped; 0 on a bad character. */
static int
b64_decode(struct buf *out, const char *s, size_t n)
{
	unsigned acc = 0;
	int bits = 0, v;
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '\r' || s[i] == '\n' || s[i] == ' ')
			continue;
		if (s[i] == '=')
			break;
		if ((v = b64val(s[i])) < 0)
			return 0;
		acc = (acc << 6) | (unsigned)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return 1;
}

/* One token as an encoded-word: 1 and the text appended when it is one. */
static int
decode_word(struct buf *out, const char *t, size_t n)
{
	const char *cs_end, *txt, *end;
	size_t i;
	int hi, lo;

	if (n < 8 || strncmp(t, "=?", 2) != 0 || strncmp(t + n - 2, "?=", 2) != 0)
		return 0;
	assert_true(n <= 75);
	cs_end = memchr(t + 2, '?', n - 2);
	assert_non_null(cs_end);
	assert_int_equal(strncasecmp(t + 2, "UTF-8", 5), 0);
	assert_true(cs_end[2] == '?');
	txt = cs_end + 3;
	end = t + n - 2;
	if (cs_end[1] == 'B' || cs_end[1] == 'b') {
		assert_true(b64_decode(out, txt, (size_t)(end - txt)));
		return 1;
	}
	assert_true(cs_end[1] == 'Q' || cs_end[1] == 'q');
	for (i = 0; txt + i < end; i++) {
		if (txt[i] == '_') {
			buf_addc(out, ' ');
		} else if (txt[i] == '=') {
			hi = hexval(txt[i + 1]);
			lo = hexval(txt[i + 2]);
			assert_true(hi >= 0 && lo >= 0);
			buf_addc(out, (char)(hi * 16 + lo));
			i += 2;
		} else {
			/* Phrase-safe Q only: nothing that could end the word. */
			assert_null(strchr("?= \t", txt[i]));
			buf_addc(out, txt[i]);
		}
	}
	return 1;
}

/* An unstructured value as a reader sees it (RFC 5322 unfolding, RFC 2047
 * 6.2: white space between adjacent encoded-words is dropped).  Caller
 * frees. */
static char *
decode_value(const char *v)
{
	struct buf u = BUF_INIT(BUF_OWN), out = BUF_INIT(BUF_OWN);
	const char *p, *q, *ws;
	int prev_enc = 0, enc;
	size_t mark;

	for (p = v; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			assert_true(p[2] == ' ' || p[2] == '\t');
			p++;
			continue;
		}
		assert_true(*p != '\r' && *p != '\n');
		buf_addc(&u, *p);
	}
	p = buf_str(&u);
	while (*p) {
		ws = p;
		while (*p == ' ' || *p == '\t')
			p++;
		for (q = p; *q && *q != ' ' && *q != '\t'; q++)
			;
		if (q == p) {
			buf_add(&out, ws, (size_t)(p - ws));
			break;
		}
		mark = out.len;
		enc = decode_word(&out, p, (size_t)(q - p));
		if (!enc) {
			buf_add(&out, ws, (size_t)(p - ws));
			buf_add(&out, p, (size_t)(q - p));
		} else if (!prev_enc && p > ws) {
			/* Put the white space in front of the decoded text. */
			char *dec = xstrndup(out.data + mark, out.len - mark);

			out.len = mark;
			buf_add(&out, ws, (size_t)(p - ws));
			buf_adds(&out, dec);
			free(dec);
		}
		prev_enc = enc;
		p = q;
	}
	buf_release(&u);
	return buf_detach(&out);
}

/* The text of v as Python's address parser reads a display name: white
 * space between encoded-words is kept (RFC 2047 6.2 says to drop it, and
 * so does decode_value()).  A phrase must read the same both ways.
 * Caller frees. */
static char *
decode_phrase_keeping_space(const char *v)
{
	struct buf out = BUF_INIT(BUF_OWN);
	const char *p = v, *q, *ws;

	while (*p) {
		ws = p;
		while (*p == ' ' || *p == '\r' || *p == '\n')
			p++;
		if (p > ws && out.len > 0)
			buf_addc(&out, ' ');
		for (q = p; *q && *q != ' ' && *q != '\r'; q++)
			;
		if (q == p)
			break;
		if (!decode_word(&out, p, (size_t)(q - p)))
			buf_add(&out, p, (size_t)(q - p));
		p = q;
	}
	return buf_detach(&out);
}

/* No encoded-word of v ends inside a word: one that is followed by
 * another ends with a space, so that no reader, whatever it makes of the
 * white space between them, shows "D esarrollo" for "Desarrollo".  Words
 * longer than an encoded-word are the exception, and v must have none. */
static void
assert_words_whole(const char *v)
{
	const char *p = v, *q, *next;
	struct buf dec = BUF_INIT(BUF_OWN);

	while (*p) {
		while (*p == ' ' || *p == '\r' || *p == '\n')
			p++;
		for (q = p; *q && *q != ' ' && *q != '\r'; q++)
			;
		buf_reset(&dec);
		if (q > p && decode_word(&dec, p, (size_t)(q - p))) {
			for (next = q; *next == ' ' || *next == '\r' ||
			    *next == '\n'; next++)
				;
			if (strncmp(next, "=?", 2) == 0 && (dec.len == 0 ||
			    dec.data[dec.len - 1] != ' '))
				fail_msg("encoded-word ends inside a word: "
				    "[%.*s] in [%s]", (int)(q - p), p, v);
		}
		p = q;
	}
	buf_release(&dec);
}

/* Every physical line of "Name: value" within 78 columns. */
static void
assert_folded(const char *name, const char *v)
{
	size_t col = strlen(name) + 2;
	const char *p;

	for (p = v; *p; p++) {
		if (p[0] == '\r' && p[1] == '\n') {
			assert_true(col <= 78);
			col = 0;
			p++;
			continue;
		}
		col++;
	}
	assert_true(col <= 78);
}

static void
assert_roundtrip_n(const char *in, size_t namelen, const char *name)
{
	char *enc = compose_encode_words(in, namelen);
	char *dec = decode_value(enc);
	const char *p;

	for (p = enc; *p; p++)
		assert_true((unsigned char)*p < 0x80);
	assert_folded(name, enc);
	if (strcmp(dec, in) != 0)
		fail_msg("round trip:\n in  [%s]\n enc [%s]\n dec [%s]", in, enc, dec);
	free(enc);
	free(dec);
}

static void
assert_roundtrip(const char *in)
{
	assert_roundtrip_n(in, 7, "Subject");
}

/* ---- whole-message checks ---------------------------------------------- */

/* 7-bit, NUL-free, CRLF only, no line over 998 octets. */
static void
assert_wire_clean(const char *msg, size_t len)
{
	size_t i, col = 0;

	assert_int_equal(strlen(msg), len);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)msg[i];

		assert_true(c != 0 && c < 0x80);
		if (c == '\r') {
			assert_true(i + 1 < len && msg[i + 1] == '\n');
		} else if (c == '\n') {
			assert_true(i > 0 && msg[i - 1] == '\r');
			assert_true(col <= 999);        /* 998 + the CR */
			col = 0;
			continue;
		}
		col++;
	}
	assert_true(len >= 2 && msg[len - 2] == '\r' && msg[len - 1] == '\n');
}

static const char *const top_headers[] = {
	"Date", "From", "To", "Reply-To", "Subject", "Message-ID",
	"In-Reply-To", "References", "MIME-Version", "Auto-Submitted",
	"X-Auto-Response-Suppress", "Content-Type", "Content-Transfer-Encoding",
	"X-Convened-Group", "X-Convened-Meeting", NULL
};

/* The header block: each line a known "Name:" or a continuation.  Returns
 * how many times `count` appears as a field name. */
static int
check_header_block(const char *msg, const char *count)
{
	const char *p = msg, *eol, *colon;
	int seen = 0, i, ok;

	for (;;) {
		eol = strstr(p, "\r\n");
		assert_non_null(eol);
		if (eol == p)
			return seen;
		if (*p == ' ' || *p == '\t') {
			p = eol + 2;
			continue;
		}
		colon = memchr(p, ':', (size_t)(eol - p));
		if (colon == NULL)
			fail_msg("header line without colon: %.*s", (int)(eol - p), p);
		ok = 0;
		for (i = 0; top_headers[i]; i++)
			if (strlen(top_headers[i]) == (size_t)(colon - p) &&
			    strncmp(p, top_headers[i], (size_t)(colon - p)) == 0)
				ok = 1;
		if (!ok)
			fail_msg("unexpected header line: %.*s", (int)(eol - p), p);
		if (count && strlen(count) == (size_t)(colon - p) &&
		    strncmp(p, count, (size_t)(colon - p)) == 0)
			seen++;
		p = eol + 2;
	}
}

/* The unfolded value of top-level header name, or NULL.  Caller frees. */
static char *
header_value(const char *msg, const char *name)
{
	const char *end = strstr(msg, "\r\n\r\n"), *p = msg, *q;
	size_t n = strlen(name);

	while (p < end) {
		if (strncmp(p, name, n) == 0 && p[n] == ':') {
			p += n + 1;
			if (*p == ' ')
				p++;
			for (q = p; !(q[0] == '\r' && q[1] == '\n' && q[2] != ' ' &&
			    q[2] != '\t'); q++)
				;
			return xstrndup(p, (size_t)(q - p));
		}
		p = strstr(p, "\r\n") + 2;
	}
	return NULL;
}

/* The body of the first part whose headers contain `marker`: from the
 * blank line to the CRLF before the next boundary.  Caller frees. */
static char *
part_body(const char *msg, const char *marker)
{
	const char *h = strstr(msg, marker), *s, *e;

	assert_non_null(h);
	s = strstr(h, "\r\n\r\n");
	assert_non_null(s);
	s += 4;
	e = strstr(s, "\r\n--=_");
	assert_non_null(e);
	return xstrndup(s, (size_t)(e - s));
}

static char *
qp_decode(const char *s)
{
	struct buf b = BUF_INIT(BUF_OWN);

	for (; *s; s++) {
		if (s[0] == '=' && s[1] == '\r' && s[2] == '\n') {
			s += 2;
		} else if (s[0] == '=') {
			assert_true(hexval(s[1]) >= 0 && hexval(s[2]) >= 0);
			buf_addc(&b, (char)(hexval(s[1]) * 16 + hexval(s[2])));
			s += 2;
		} else {
			buf_addc(&b, *s);
		}
	}
	return buf_detach(&b);
}

static const char ical_text[] =
	"BEGIN:VCALENDAR\r\n"
	"VERSION:2.0\r\n"
	"PRODID:-//convened//EN\r\n"
	"METHOD:REQUEST\r\n"
	"BEGIN:VEVENT\r\n"
	"UID:2021-02-17-monthly@south-south\r\n"
	"DTSTART:20210217T180000Z\r\n"
	"SUMMARY:Intercambio de experiencias: protección social\r\n"
	"DESCRIPTION:Reunión mensual del grupo de cooperación Sur-Sur con una d\r\n"
	" escripción plegada \r\n"
	"END:VEVENT\r\n"
	"END:VCALENDAR\r\n";

static void
base_msg(struct compose_msg *m)
{
	static const char *const extra[] = {
		"X-Convened-Group", "Cooperación Sur-Sur",
		"X-Convened-Meeting", "2021-02-17-monthly@south-south",
		NULL
	};

	memset(m, 0, sizeof *m);
	m->from_name = "Secretaría técnica";
	m->from_email = "agenda@example.org";
	m->to_name = "Pérez, Ana";
	m->to_email = "ana@mides.example.uy";
	m->subject = "Invitación: Intercambio de experiencias (17 feb 2021)";
	m->message_id = "20210217.monthly.ana@example.org";
	m->date = 1613584800;   /* 2021-02-17 18:00:00 UTC */
	m->text = "Hola Ana,\n\nQueda invitada a la reunión mensual.\n";
	m->ical = ical_text;
	m->ical_method = "REQUEST";
	m->extra_headers = extra;
}

/* ---- tests -------------------------------------------------------------- */

/* RFC 2369's <URL>s go as they are, however long (an encoded word would
 * hide the URL from every client); a value that is not ASCII is still
 * encoded. */
static void
test_extra_headers_urls(void **state)
{
	static const char *const extra[] = {
		"List-Archive", "<https://conferencia.example.org/grupos/"
		    "contributory-integration.html#list>",
		"List-Post", "<mailto:agenda+contributory-integration@"
		    "conferencia.example.org>",
		"List-Id", "Integración <ci.list.example.org>",
		NULL
	};
	struct compose_msg m;
	char *msg;

	(void)state;
	base_msg(&m);
	m.extra_headers = extra;
	msg = compose_message(&m, NULL);
	assert_non_null(strstr(msg, "\r\nList-Archive:\r\n <https://"
	    "conferencia.example.org/grupos/contributory-integration.html"
	    "#list>\r\n"));
	assert_non_null(strstr(msg, "\r\nList-Post: <mailto:agenda+"
	    "contributory-integration@conferencia.example.org>\r\n"));
	assert_non_null(strstr(msg, "\r\nList-Id: =?UTF-8?"));
	free(msg);
}

static void
test_encode_words_accents(void **state)
{
	char *enc;

	(void)state;
	assert_roundtrip("é ã ñ ç");
	assert_roundtrip("Reunión de coordinación: niños, educación y protección");
	assert_roundtrip("Ação é já");
	enc = compose_encode_words("Reunión mensual", 7);
	/* Only the word that needs it is encoded. */
	assert_string_equal(enc, "=?UTF-8?Q?Reuni=C3=B3n?= mensual");
	free(enc);
	enc = compose_encode_words("Monthly exchange of experiences", 7);
	assert_string_equal(enc, "Monthly exchange of experiences");
	free(enc);
}

static void
test_encode_words_long_spanish(void **state)
{
	const char *s = "Invitación a la reunión virtual del grupo temático sobre "
	    "protección social: intercambio de experiencias de los ministerios "
	    "de desarrollo social de América Latina y el Caribe, con participación "
	    "de la sociedad civil, la academia y organismos de las Naciones Unidas "
	    "— año 2021, sesión nº 3 (señal, acción, jóvenes, niñez, ñandú)";
	char *enc;
	const char *p, *line;
	int lines = 1, words = 0;

	(void)state;
	assert_true(strlen(s) > 200);
	assert_roundtrip(s);
	enc = compose_encode_words(s, 7);
	for (p = enc, line = enc; *p; p++) {
		if (p[0] == '\r') {
			assert_true(p[1] == '\n' && p[2] == ' ');
			lines++;
			line = p + 2;
		}
		if (p[0] == '=' && p[1] == '?') {
			/* "=?UTF-8?Q?" then text then "?=": the end is the
			 * first "?=" after the third '?'. */
			const char *e = strstr(strchr(strchr(p + 2, '?') + 1, '?') + 1, "?=");
			assert_non_null(e);
			assert_true((size_t)(e + 2 - p) <= 75);
			words++;
			p = e + 1;
		}
	}
	(void)line;
	assert_true(lines >= 4);
	assert_true(words >= 5);
	free(enc);
	/* Same with a long header name: the first line has less room. */
	assert_roundtrip_n(s, 40, "X-A-Rather-Long-Header-Name-For-Testing-");
}

static void
test_encode_words_edges(void **state)
{
	char long_word[201];
	char *enc;

	(void)state;
	memset(long_word, 'x', 200);
	long_word[200] = '\0';
	assert_roundtrip("");
	assert_roundtrip("   ");
	assert_roundtrip("  leading and trailing  ");
	assert_roundtrip("double  space and   triple");
	assert_roundtrip("looks =?UTF-8?Q?encoded?= but is not");
	assert_roundtrip("_underscores_ and ?question=marks?");
	assert_roundtrip(long_word);
	assert_roundtrip("日本語の件名とても長い件名日本語の件名とても長い件名日本語の件名とても長い件名");
	assert_roundtrip("emoji 😀 ok 𝄞 and ünïcödé mixed with ASCII words here and there");
	/* Invalid UTF-8 becomes U+FFFD, never raw 8-bit. */
	enc = compose_encode_words("bad \xff\xfe byte", 7);
	free(enc);
	assert_roundtrip("bad \xef\xbf\xbd\xef\xbf\xbd byte");
	/* Control characters become spaces. */
	enc = compose_encode_words("Hi\r\nBcc: evil@example.org\tx", 7);
	{
		char *dec = decode_value(enc);

		assert_string_equal(dec, "Hi  Bcc: evil@example.org x");
		free(dec);
	}
	assert_null(strstr(enc, "\r\nBcc"));
	free(enc);
}

static void
test_address(void **state)
{
	/* Names that need no encoded-word, and what becomes of them. */
	static const struct {
		const char *name, *email, *want;
	} plain[] = {
		{ "Perez, Ana", "ana@example.org",
		  "\"Perez, Ana\" <ana@example.org>" },
		{ "Ana Perez", "ana@example.org", "Ana Perez <ana@example.org>" },
		{ "Ana \"AP\" P\\erez", "ana@example.org",
		  "\"Ana \\\"AP\\\" P\\\\erez\" <ana@example.org>" },
		{ NULL, "ana@example.org", "<ana@example.org>" },
		{ "", "ana@example.org", "<ana@example.org>" },
		{ "Ana\r\nBcc: x@y", "ana@example.org",
		  "\"Ana  Bcc: x@y\" <ana@example.org>" },
		/* A bad address stays one harmless token. */
		{ "Ana", "ana@example.org>\r\nBcc: <x@y",
		  "Ana <ana@example.org___Bcc___x@y>" },
	};
	char *a, *dec, *lt;
	size_t i;

	(void)state;
	a = compose_address("Pérez, Ana", "ana@mides.example.uy");
	assert_true(strncmp(a, "=?UTF-8?", 8) == 0);
	lt = strstr(a, " <ana@mides.example.uy>");
	assert_non_null(lt);
	assert_string_equal(lt, " <ana@mides.example.uy>");
	*lt = '\0';
	assert_null(strchr(a, ','));    /* the comma is inside the word */
	dec = decode_value(a);
	assert_string_equal(dec, "Pérez, Ana");
	free(dec);
	free(a);

	for (i = 0; i < sizeof plain / sizeof plain[0]; i++) {
		a = compose_address(plain[i].name, plain[i].email);
		assert_string_equal(a, plain[i].want);
		free(a);
	}
}

/* Encoded-words split between words, never inside one ("D esarrollo"
 * in Python's parser): in a subject, and in a display name, where a
 * reader that keeps the space between two encoded-words must read the
 * same name as one that drops it. */
static void
test_words_whole(void **state)
{
	static const char *const subjects[] = {
		"Actualización: reunión intersectorial «Protección Económica "
		"Inclusión Participación Desarrollo Educación» — 17/02/2021",
		"Cancelación: reunión «Coordinación técnica — Desarrollo "
		"social» — 17/02/2021",
		"Invitación: reunión «Diálogo político sobre protección "
		"social, cuidados, niñez, adolescencia y juventud en América "
		"Latina» — 17/02/2021",
	};
	static const char *const names[] = {
		"Dirección de Desarrollo Social",
		"Dirección Nacional de Políticas Públicas Económicas "
		"Sociales Protección Niñez Educación",
		"María José de los Ángeles Fernández-Rodríguez y Santa Cruz, "
		"Directora de Cooperación Internacional",
		"Pérez, Ana (Secretaría)",
	};
	char *enc, *dec, *lt;
	size_t i, col;

	(void)state;
	for (i = 0; i < sizeof subjects / sizeof subjects[0]; i++) {
		for (col = 7; col < 40; col += 11) {
			enc = compose_encode_words(subjects[i], col);
			assert_words_whole(enc);
			free(enc);
		}
		assert_roundtrip(subjects[i]);
	}
	for (i = 0; i < sizeof names / sizeof names[0]; i++) {
		enc = compose_address(names[i], "a@example.org");
		lt = strstr(enc, " <a@example.org>");
		assert_non_null(lt);
		*lt = '\0';
		/* Room for "Reply-To: " before the first word. */
		assert_true(strcspn(enc, " ") + 10 <= 78);
		assert_words_whole(enc);
		dec = decode_value(enc);
		assert_string_equal(dec, names[i]);
		free(dec);
		dec = decode_phrase_keeping_space(enc);
		if (strcmp(dec, names[i]) != 0)
			fail_msg("phrase [%s] read as [%s]", enc, dec);
		free(dec);
		free(enc);
	}
}

static void
test_injection(void **state)
{
	static const char *const extra[] = {
		"X-Convened-Group", "g\r\nX-Evil: 1\r\n\r\nbody",
		"Bcc", "victim@example.org",            /* reserved: skipped */
		"X Bad", "x",                           /* bad name: skipped */
		"X-Evil\r\nX-More", "x",                /* bad name: skipped */
		NULL
	};
	struct compose_attachment att = {
		"acta\r\nX-Evil: 1\r\n.pdf", "application/pdf\r\nX-Evil: 1",
		"%PDF", 4
	};
	struct compose_msg m;
	size_t len;
	char *msg, *v;
	const char *p;

	(void)state;
	base_msg(&m);
	m.subject = "Hola\r\nBcc: victim@example.org\r\n\r\nfake body";
	m.from_name = "Secretaría\r\nX-Evil: 1";
	m.to_name = "Ana\nX-Evil: 1";
	m.to_email = "ana@example.org\r\nBcc: victim@example.org";
	m.reply_to = "coord@example.org\r\nX-Evil: 1";
	m.message_id = "id@example.org>\r\nX-Evil: <1";
	m.in_reply_to = "prev@example.org>\r\nX-Evil: <1";
	m.extra_headers = extra;
	m.att = &att;
	m.natt = 1;
	msg = compose_message(&m, &len);
	assert_wire_clean(msg, len);
	assert_int_equal(check_header_block(msg, "Subject"), 1);
	assert_int_equal(check_header_block(msg, "To"), 1);
	assert_int_equal(check_header_block(msg, "X-Convened-Group"), 1);
	/* Nowhere in the message does a line start an injected field. */
	for (p = msg; (p = strstr(p, "\r\n")) != NULL; p += 2) {
		assert_true(strncasecmp(p + 2, "X-Evil", 6) != 0);
		assert_true(strncasecmp(p + 2, "Bcc", 3) != 0);
		assert_true(strncasecmp(p + 2, "fake", 4) != 0);
	}
	v = header_value(msg, "Subject");
	{
		char *dec = decode_value(v);

		assert_string_equal(dec, "Hola  Bcc: victim@example.org    fake body");
		free(dec);
	}
	free(v);
	v = header_value(msg, "Message-ID");
	assert_string_equal(v, "<id@example.org___X-Evil___1>");
	free(v);
	/* The attachment's bad content type fell back to octet-stream. */
	assert_non_null(strstr(msg, "Content-Type: application/octet-stream;\r\n"
	    " name=\"acta  X-Evil: 1  .pdf\""));
	free(msg);
}

static void
test_deterministic(void **state)
{
	struct compose_msg m;
	size_t l1, l2, l3;
	char *a, *b, *c;

	(void)state;
	base_msg(&m);
	a = compose_message(&m, &l1);
	b = compose_message(&m, &l2);
	assert_int_equal(l1, l2);
	assert_memory_equal(a, b, l1);
	m.message_id = "another@example.org";
	c = compose_message(&m, &l3);
	assert_non_null(strstr(a, "boundary=\"=_convened_mix_"));
	/* Another Message-ID, other boundaries. */
	{
		char *ba = strstr(a, "boundary=\""), *bc = strstr(c, "boundary=\"");

		assert_true(strncmp(ba, bc, 40) != 0);
	}
	free(a);
	free(b);
	free(c);
}

/* The header block of base_msg() with a reply: loop protection, the
 * threading headers, the group, and no part header up there. */
static void
check_headers(const char *msg)
{
	static const struct {
		const char *name, *value;
	} headers[] = {
		{ "Message-ID", "<20210217.monthly.ana@example.org>" },
		{ "In-Reply-To", "<prev@example.org>" },
		{ "Reply-To", "<coordinacion@example.org>" },
	};
	char *v, *dec;
	size_t i;

	assert_int_equal(check_header_block(msg, "Auto-Submitted"), 1);
	assert_int_equal(check_header_block(msg, "X-Auto-Response-Suppress"), 1);
	assert_int_equal(check_header_block(msg, "References"), 1);
	assert_int_equal(check_header_block(msg, "Content-Transfer-Encoding"), 0);
	assert_non_null(strstr(msg, "\r\nAuto-Submitted: auto-generated\r\n"));
	assert_non_null(strstr(msg, "\r\nX-Auto-Response-Suppress: All\r\n"));
	assert_non_null(strstr(msg, "\r\nMIME-Version: 1.0\r\n"));
	assert_true(strncmp(msg, "Date: Wed, 17 Feb 2021 18:00:00 +0000\r\n", 39) == 0);
	for (i = 0; i < sizeof headers / sizeof headers[0]; i++) {
		v = header_value(msg, headers[i].name);
		assert_string_equal(v, headers[i].value);
		free(v);
	}
	v = header_value(msg, "X-Convened-Group");
	dec = decode_value(v);
	assert_string_equal(dec, "Cooperación Sur-Sur");
	free(dec);
	free(v);
}

/* The MIME tree of an invitation, in order, each part decoding back to
 * what went in, the delimiters closed inner before outer. */
static void
check_parts(const char *msg, size_t len)
{
	static const char *const order[] = {
		"Content-Type: multipart/mixed;",
		"Content-Type: multipart/alternative;",
		"Content-Type: text/plain; charset=UTF-8\r\n"
		    "Content-Transfer-Encoding: quoted-printable\r\n",
		"Content-Type: text/calendar; charset=UTF-8; method=REQUEST\r\n"
		    "Content-Transfer-Encoding: base64\r\n",
		"Content-Type: application/ics; name=\"invite.ics\"\r\n"
		    "Content-Disposition: attachment; filename=\"invite.ics\"\r\n"
		    "Content-Transfer-Encoding: base64\r\n",
		NULL
	};
	static const char *const calendars[] = { "Content-Type: text/calendar",
	    "Content-Type: application/ics" };
	struct buf cal = BUF_INIT(BUF_OWN);
	char *body, *text;
	const char *p;
	size_t i;

	for (i = 0, p = msg; order[i]; i++) {
		p = strstr(p, order[i]);
		if (p == NULL)
			fail_msg("missing or out of order: %s", order[i]);
		p++;
	}
	/* Exactly five Content-Type lines: no stray part. */
	for (i = 0, p = msg; (p = strstr(p, "Content-Type:")) != NULL; p++)
		i++;
	assert_int_equal(i, 5);
	for (i = 0; i < 2; i++) {
		body = part_body(msg, calendars[i]);
		buf_reset(&cal);
		assert_true(b64_decode(&cal, body, strlen(body)));
		assert_string_equal(buf_str(&cal), ical_text);
		free(body);
	}
	buf_release(&cal);
	body = part_body(msg, "Content-Type: text/plain");
	text = qp_decode(body);
	assert_string_equal(text,
	    "Hola Ana,\r\n\r\nQueda invitada a la reunión mensual.\r\n");
	free(text);
	free(body);
	p = strstr(msg, "--=_convened_alt_");
	assert_non_null(strstr(p, "--\r\n\r\n--=_convened_mix_"));
	assert_true(len > 30 && strncmp(msg + len - 2, "\r\n", 2) == 0);
	assert_non_null(strstr(msg + len - 40, "--=_convened_mix_"));
}

static void
test_ical_structure(void **state)
{
	struct compose_msg m;
	size_t len;
	char *msg;
	const char *dump = getenv("COMPOSE_DUMP");

	(void)state;
	base_msg(&m);
	m.in_reply_to = "prev@example.org";
	m.reply_to = "coordinacion@example.org";
	msg = compose_message(&m, &len);
	assert_wire_clean(msg, len);
	if (dump) {
		FILE *fp = fopen(dump, "wb");

		assert_non_null(fp);
		assert_int_equal(fwrite(msg, 1, len, fp), len);
		assert_int_equal(fclose(fp), 0);
	}
	check_headers(msg);
	check_parts(msg, len);
	free(msg);

	m.ical_method = "CANCEL";
	msg = compose_message(&m, &len);
	assert_wire_clean(msg, len);
	assert_non_null(strstr(msg, "Content-Type: text/calendar; charset=UTF-8; "
	    "method=CANCEL\r\n"));
	assert_null(strstr(msg, "method=REQUEST"));
	free(msg);

	m.ical_method = "cancel\r\nX-Evil: 1";   /* letters only survive */
	msg = compose_message(&m, &len);
	assert_non_null(strstr(msg, "method=CANCELXEVIL\r\n"));
	free(msg);
}

static void
test_long_body_line(void **state)
{
	struct buf in = BUF_INIT(BUF_OWN), want = BUF_INIT(BUF_OWN);
	struct compose_msg m;
	size_t len, i, col;
	char *msg, *body, *dec;
	const char *p;

	(void)state;
	for (i = 0; i < 300; i++)
		buf_adds(&in, "año=1 ");          /* 7 octets, 2100 in all */
	buf_adds(&in, "   \nFrom here on\n.dot line\ttab\r\nlast \t");
	buf_add(&want, in.data, in.len);
	base_msg(&m);
	m.ical = NULL;
	m.extra_headers = NULL;
	m.text = buf_str(&in);
	msg = compose_message(&m, &len);
	assert_wire_clean(msg, len);
	/* Single part: the top header carries the encoding. */
	assert_int_equal(check_header_block(msg, "Content-Transfer-Encoding"), 1);
	assert_null(strstr(msg, "multipart"));
	body = xstrdup(strstr(msg, "\r\n\r\n") + 4);
	for (p = body, col = 0; *p; p++) {
		if (*p == '\r') {
			assert_true(col <= 76);
			/* No white space before a hard or soft line end. */
			assert_true(p == body || (p[-1] != ' ' && p[-1] != '\t'));
			col = 0;
			p++;
			continue;
		}
		col++;
	}
	assert_null(strstr(body, "\r\nFrom "));
	assert_null(strstr(body, "\r\n."));
	assert_non_null(strstr(body, "=\r\n"));
	dec = qp_decode(body);
	/* LF and CRLF both become CRLF; a final CRLF is added. */
	buf_reset(&want);
	for (p = buf_str(&in); *p; p++) {
		if (*p == '\n' && (p == in.data || p[-1] != '\r'))
			buf_addc(&want, '\r');
		buf_addc(&want, *p);
	}
	buf_adds(&want, "\r\n");
	assert_string_equal(dec, buf_str(&want));
	free(dec);
	free(body);
	free(msg);
	buf_release(&in);
	buf_release(&want);
}

static void
test_attachments_no_ical(void **state)
{
	static const char pdf[] = "%PDF-1.4\n\x80\x81\xff binary";
	struct compose_attachment att[2] = {
		{ "Acta reunión 2021.pdf", "application/pdf", pdf, sizeof pdf - 1 },
		{ "dir/notes.txt", "text/plain; charset=UTF-8", "hola", 4 },
	};
	struct compose_msg m;
	struct buf dec = BUF_INIT(BUF_OWN);
	size_t len;
	char *msg, *body;
	const char *p;
	int parts = 0;

	(void)state;
	base_msg(&m);
	m.ical = NULL;
	m.att = att;
	m.natt = 2;
	msg = compose_message(&m, &len);
	assert_wire_clean(msg, len);
	assert_int_equal(check_header_block(msg, NULL), 0);
	assert_null(strstr(msg, "text/calendar"));
	assert_null(strstr(msg, "multipart/alternative"));
	assert_non_null(strstr(msg, "Content-Type: multipart/mixed;"));
	assert_non_null(strstr(msg, "Content-Type: application/pdf;\r\n"
	    " name=\"Acta reunion 2021.pdf\"\r\n"
	    "Content-Disposition: attachment;\r\n"
	    " filename*=UTF-8''Acta%20reuni%C3%B3n%202021.pdf\r\n"));
	assert_non_null(strstr(msg, " filename=\"dir_notes.txt\"\r\n"));
	assert_non_null(strstr(msg, "Content-Type: text/plain; charset=UTF-8;\r\n"
	    " name=\"dir_notes.txt\"\r\n"));
	body = part_body(msg, "Content-Type: application/pdf");
	assert_true(b64_decode(&dec, body, strlen(body)));
	assert_int_equal(dec.len, sizeof pdf - 1);
	assert_memory_equal(dec.data, pdf, sizeof pdf - 1);
	free(body);
	buf_release(&dec);
	for (p = msg; (p = strstr(p, "\r\n--=_convened_mix_")) != NULL; p++)
		parts++;
	assert_int_equal(parts, 4);     /* 3 delimiters + the close */
	free(msg);

	/* No attachments, no calendar: one text/plain part. */
	m.natt = 0;
	m.text = NULL;
	m.subject = NULL;
	m.message_id = NULL;
	msg = compose_message(&m, &len);
	assert_true(len > 0);
	assert_non_null(strstr(msg, "\r\nSubject:\r\n"));
	assert_non_null(strstr(msg,
	    "\r\nMessage-ID: <missing-message-id@convened.invalid>\r\n"));
	assert_non_null(strstr(msg, "Content-Type: text/plain; charset=UTF-8\r\n"
	    "Content-Transfer-Encoding: quoted-printable\r\n\r\n"));
	free(msg);
}

/* What a coordinator attached keeps its type, as far as it can travel
 * in base64 under a multipart/mixed; its ASCII name is readable. */
static void
test_attachment_types(void **state)
{
	static const struct {
		const char *name, *type, *data, *want_type, *want_name;
	} cases[] = {
		{ "Acta reunión.pdf", "application/pdf", "%PDF",
		  "application/pdf", "Acta reunion.pdf" },
		{ "Informe Ñandú — versión «final».docx",
		  "application/vnd.openxmlformats-officedocument."
		  "wordprocessingml.document", "PK",
		  "application/vnd.openxmlformats-officedocument."
		  "wordprocessingml.document", "Informe Nandu - version final.docx" },
		{ "Ação Çà Œuvre ß.txt", "text/plain", "ação",
		  "text/plain; charset=UTF-8", "Acao Ca OEuvre ss.txt" },
		{ "lista.csv", "text/csv", "a;b\xe1", "text/csv", "lista.csv" },
		/* message/ and multipart/ cannot be base64: bytes only */
		{ "fwd.eml", "message/rfc822", "From: x", "application/octet-stream",
		  "fwd.eml" },
		{ "x.bin", "multipart/mixed", "--", "application/octet-stream",
		  "x.bin" },
		{ "日本語.pdf", "application/pdf", "%PDF", "application/pdf",
		  "___.pdf" },
	};
	struct compose_attachment att;
	struct compose_msg m;
	size_t i, len;
	char *msg, *want;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		base_msg(&m);
		m.ical = NULL;
		att.filename = cases[i].name;
		att.content_type = cases[i].type;
		att.data = cases[i].data;
		att.len = strlen(cases[i].data);
		m.att = &att;
		m.natt = 1;
		msg = compose_message(&m, &len);
		assert_wire_clean(msg, len);
		/* a type too long for the line starts the next one */
		want = xasprintf("\r\nContent-Type:%s%s;\r\n name=\"%s\"\r\n",
		    strlen(cases[i].want_type) + 15 > 78 ? "\r\n " : " ",
		    cases[i].want_type, cases[i].want_name);
		if (strstr(msg, want) == NULL)
			fail_msg("no [%s] in\n%s", want, msg);
		free(want);
		free(msg);
	}
}

static void
test_long_filename(void **state)
{
	struct compose_attachment att = {
		"Acta de la reunión del grupo de cooperación Sur-Sur — "
		"versión final revisada por la coordinación.pdf",
		"application/pdf", "x", 1
	};
	struct compose_msg m;
	struct buf name = BUF_INIT(BUF_OWN);
	size_t len, sect;
	char *msg, key[32];
	const char *p, *e;

	(void)state;
	base_msg(&m);
	m.att = &att;
	m.natt = 1;
	msg = compose_message(&m, &len);
	assert_wire_clean(msg, len);
	/* Every line of the whole message within 78 columns here. */
	for (p = msg; (e = strstr(p, "\r\n")) != NULL; p = e + 2)
		assert_true(e - p <= 78);
	/* filename*0*=UTF-8''..., filename*1*=... put back together. */
	for (sect = 0;; sect++) {
		snprintf(key, sizeof key, " filename*%zu*=%s", sect,
		    sect == 0 ? "UTF-8''" : "");
		if ((p = strstr(msg, key)) == NULL)
			break;
		p += strlen(key);
		for (; *p != ';' && *p != '\r'; p++) {
			if (*p == '%') {
				buf_addc(&name, (char)(hexval(p[1]) * 16 + hexval(p[2])));
				p += 2;
			} else {
				buf_addc(&name, *p);
			}
		}
	}
	assert_true(sect >= 3);
	assert_string_equal(buf_str(&name), att.filename);
	buf_release(&name);
	free(msg);
}

static void
test_address_headers_fold(void **state)
{
	struct compose_msg m;
	size_t len;
	char *msg, *v, *dec, *lt;
	const char *p, *line;

	(void)state;
	base_msg(&m);
	m.to_name = "María José de los Ángeles Fernández-Rodríguez y Santa Cruz, "
	    "Directora de Cooperación Internacional";
	msg = compose_message(&m, &len);
	assert_wire_clean(msg, len);
	for (p = line = msg; p < strstr(msg, "\r\n\r\n") + 2; p++) {
		if (p[0] == '\r') {
			assert_true(p - line <= 78);
			line = p + 2;
		}
	}
	v = header_value(msg, "To");
	lt = strstr(v, " <ana@mides.example.uy>");
	assert_non_null(lt);
	/* folded before the address, or not */
	if (lt - v >= 2 && strncmp(lt - 2, "\r\n", 2) == 0)
		lt -= 2;
	*lt = '\0';
	dec = decode_value(v);
	assert_string_equal(dec, m.to_name);
	free(dec);
	free(v);
	free(msg);
}

/* Header lines fold at 78 wherever a fold can help: after the colon for
 * one long token (an address, an attachment's type), between parameters.
 * Checked over every header block of the message, the parts' included;
 * ids are left on their line (compose.h). */
static void
test_headers_fold_at_78(void **state)
{
	struct compose_attachment att = {
		"Informe.docx", "application/vnd.openxmlformats-officedocument."
		"wordprocessingml.document", "PK", 2
	};
	struct compose_msg m;
	size_t len;
	char *msg;
	const char *p, *e;
	int in_header = 1;

	(void)state;
	base_msg(&m);
	m.ical = NULL;
	m.to_name = "Ana";
	m.to_email = "ana.maria.fernandez.rodriguez.directora.cooperacion"
	    "@mides.example.uy";
	m.att = &att;
	m.natt = 1;
	msg = compose_message(&m, &len);
	assert_wire_clean(msg, len);
	for (p = msg; (e = strstr(p, "\r\n")) != NULL; p = e + 2) {
		if (e == p) {
			in_header = 0;
			continue;
		}
		if (strncmp(p, "--=_convened_", 13) == 0)
			in_header = 1;
		if (in_header && e - p > 78)
			fail_msg("header line of %d: %.*s", (int)(e - p),
			    (int)(e - p), p);
	}
	free(msg);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode_words_accents),
		cmocka_unit_test(test_extra_headers_urls),
		cmocka_unit_test(test_encode_words_long_spanish),
		cmocka_unit_test(test_encode_words_edges),
		cmocka_unit_test(test_address),
		cmocka_unit_test(test_words_whole),
		cmocka_unit_test(test_injection),
		cmocka_unit_test(test_deterministic),
		cmocka_unit_test(test_ical_structure),
		cmocka_unit_test(test_long_body_line),
		cmocka_unit_test(test_attachments_no_ical),
		cmocka_unit_test(test_attachment_types),
		cmocka_unit_test(test_long_filename),
		cmocka_unit_test(test_address_headers_fold),
		cmocka_unit_test(test_headers_fold_at_78),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
