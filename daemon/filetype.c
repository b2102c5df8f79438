/*
 * filetype.c: a file's kind by its bytes (see filetype.h).
 *
 * The ZIP structures (PKWARE's APPNOTE.TXT, 4.3): the end of central
 * directory record, 22 bytes and a comment of up to 65535, last in the
 * file; the central directory it points to, one 46-byte header and a
 * name, an extra field and a comment per entry; a local header of 30
 * bytes, a name and an extra field before each entry's data.  Little
 * endian throughout.
 */
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "filetype.h"
#include "util.h"

#define EOCD_SIG        0x06054b50u
#define EOCD_LEN        22
#define EOCD_SCAN       (EOCD_LEN + 0xffff)
#define CDH_SIG         0x02014b50u
#define CDH_LEN         46
#define LFH_SIG         0x04034b50u
#define LFH_LEN         30
#define STORED          0
#define MIMETYPE_MAX    100         /* "application/vnd.oasis..." */
#define SCAN_MAX        (1u << 20)  /* of a stored [Content_Types].xml */

static const char odf_type[] = "application/vnd.oasis.opendocument.";

static const char *const names[] = {
	[FILETYPE_OTHER] = "other", [FILETYPE_PDF] = "pdf",
	[FILETYPE_ODF] = "odf", [FILETYPE_OOXML] = "ooxml",
	[FILETYPE_TEXT] = "text", [FILETYPE_PNG] = "png",
	[FILETYPE_JPEG] = "jpeg", [FILETYPE_GIF] = "gif",
	[FILETYPE_WEBP] = "webp",
};

const char *
filetype_name(enum filetype t)
{
	return (unsigned)t < sizeof names / sizeof names[0] ? names[t] :
	    "other";
}

static unsigned
le16(const unsigned char *p)
{
	return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t
le32(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static int
starts(const unsigned char *p, size_t len, const char *magic, size_t n)
{
	return len >= n && memcmp(p, magic, n) == 0;
}

/* ---- ZIP ---------------------------------------------------------------- */

struct zip {
	const unsigned char *p;
	size_t        len;
	size_t        cd, cd_end;       /* the central directory */
	unsigned      entries;
	const char   *why;
};

/* One central directory entry, checked to lie inside the directory. */
struct entry {
	const unsigned char *name;
	size_t        nlen;
	unsigned      method;
	uint32_t      csize, usize, offset;
};

static int
find_eocd(struct zip *z)
{
	size_t i, lo = z->len > EOCD_SCAN ? z->len - EOCD_SCAN : 0;
	const unsigned char *e;

	if (z->len < EOCD_LEN)
		return -1;
	for (i = z->len - EOCD_LEN + 1; i-- > lo; ) {
		e = z->p + i;
		if (le32(e) != EOCD_SIG ||
		    i + EOCD_LEN + le16(e + 20) != z->len)
			continue;
		if (le16(e + 4) != 0 || le16(e + 6) != 0 ||
		    le16(e + 8) != le16(e + 10)) {
			z->why = "a ZIP archive split over disks";
			return -1;
		}
		if (le16(e + 10) == 0xffff || le32(e + 12) == 0xffffffffu ||
		    le32(e + 16) == 0xffffffffu) {
			z->why = "a ZIP64 archive";
			return -1;
		}
		z->entries = le16(e + 10);
		z->cd = le32(e + 16);
		z->cd_end = z->cd + le32(e + 12);
		if (z->cd_end < z->cd || z->cd_end > i) {
			z->why = "a ZIP archive whose directory lies outside it";
			return -1;
		}
		return 0;
	}
	return -1;
}

/* The entry at *at in the central directory; *at moves past it. */
static int
read_entry(struct zip *z, size_t *at, struct entry *e)
{
	const unsigned char *h = z->p + *at;
	size_t n;

	if (z->cd_end - *at < CDH_LEN || le32(h) != CDH_SIG)
		return -1;
	n = CDH_LEN + (size_t)le16(h + 28) + le16(h + 30) + le16(h + 32);
	if (z->cd_end - *at < n)
		return -1;
	e->method = le16(h + 10);
	e->csize = le32(h + 20);
	e->usize = le32(h + 24);
	e->nlen = le16(h + 28);
	e->offset = le32(h + 42);
	e->name = h + CDH_LEN;
	*at += n;
	return 0;
}

/* The stored data of e: NULL when it is not stored or lies outside. */
static const unsigned char *
stored_data(const struct zip *z, const struct entry *e)
{
	const unsigned char *h;
	size_t start;

	if (e->method != STORED || e->csize != e->usize ||
	    e->offset > z->cd || z->cd - e->offset < LFH_LEN)
		return NULL;
	h = z->p + e->offset;
	if (le32(h) != LFH_SIG)
		return NULL;
	start = (size_t)e->offset + LFH_LEN + le16(h + 26) + le16(h + 28);
	if (start > z->cd || z->cd - start < e->csize)
		return NULL;
	return z->p + start;
}

static int
name_is(const struct entry *e, const char *s)
{
	return e->nlen == strlen(s) && memcmp(e->name, s, e->nlen) == 0;
}

/* s (lower case) anywhere in the entry's name, case aside. */
static int
name_has(const struct entry *e, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; n <= e->nlen && i <= e->nlen - n; i++)
		if (strncasecmp((const char *)e->name + i, s, n) == 0)
			return 1;
	return 0;
}

static int
mem_has(const unsigned char *p, size_t len, const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; n <= len && i <= len - n; i++)
		if (strncasecmp((const char *)p + i, s, n) == 0)
			return 1;
	return 0;
}

/* An ODF package: "mimetype" first, at the start, stored. */
static enum filetype
odf(const struct zip *z, const struct entry *first, const char **why)
{
	const unsigned char *d;
	size_t i, n = sizeof odf_type - 1;

	if (first->offset != 0 || first->usize > MIMETYPE_MAX ||
	    (d = stored_data(z, first)) == NULL || first->usize <= n ||
	    memcmp(d, odf_type, n) != 0) {
		*why = "a ZIP archive whose mimetype is not an OpenDocument one";
		return FILETYPE_OTHER;
	}
	for (i = n; i < first->usize; i++)
		if (d[i] <= 0x20 || d[i] >= 0x7f) {
			*why = "a ZIP archive whose mimetype is not an "
			    "OpenDocument one";
			return FILETYPE_OTHER;
		}
	return FILETYPE_ODF;
}

static const char *const macro_parts[] = {
	"vbaproject.bin", "vbadata.xml", "macrosheets/", "activex/", NULL
};
static const char *const macro_types[] = {
	"macroenabled", "vbaproject", "macrosheet", NULL
};

static enum filetype
zip_kind(const unsigned char *p, size_t len, const char **why)
{
	struct zip z = { p, len, 0, 0, 0, NULL };
	struct entry e, first, types;
	size_t at, k;
	unsigned i;
	int have_types = 0, scripts = 0;

	if (find_eocd(&z) == -1) {
		*why = z.why ? z.why : "a damaged ZIP archive";
		return FILETYPE_OTHER;
	}
	memset(&first, 0, sizeof first);
	memset(&types, 0, sizeof types);
	for (i = 0, at = z.cd; i < z.entries; i++) {
		if (read_entry(&z, &at, &e) == -1) {
			*why = "a ZIP archive with a damaged directory";
			return FILETYPE_OTHER;
		}
		if (i == 0)
			first = e;
		for (k = 0; macro_parts[k] != NULL; k++)
			if (name_has(&e, macro_parts[k])) {
				*why = "an Office document with macros or "
				    "controls";
				return FILETYPE_OTHER;
			}
		if (name_is(&e, "[Content_Types].xml")) {
			types = e;
			have_types = 1;
		}
		scripts |= e.nlen >= 6 && (strncasecmp((const char *)e.name,
		    "Basic/", 6) == 0 || (e.nlen >= 8 && strncasecmp(
		    (const char *)e.name, "Scripts/", 8) == 0));
	}
	if (z.entries > 0 && name_is(&first, "mimetype")) {
		if (scripts) {
			*why = "an OpenDocument file with macros";
			return FILETYPE_OTHER;
		}
		return odf(&z, &first, why);
	}
	if (!have_types) {
		*why = "a ZIP archive, neither OpenDocument nor Office Open XML";
		return FILETYPE_OTHER;
	}
	if (types.usize <= SCAN_MAX && (p = stored_data(&z, &types)) != NULL)
		for (k = 0; macro_types[k] != NULL; k++)
			if (mem_has(p, types.usize, macro_types[k])) {
				*why = "an Office document with macros";
				return FILETYPE_OTHER;
			}
	return FILETYPE_OOXML;
}

/* ---- text --------------------------------------------------------------- */

/* Charsets of one byte a character, where every byte is text. */
static int
eight_bit(const char *cs)
{
	static const char *const prefixes[] = { "iso-8859-", "iso8859-",
	    "windows-125", "cp125", "latin", "koi8-", "macintosh", NULL };
	size_t i;

	for (i = 0; cs != NULL && prefixes[i] != NULL; i++)
		if (strncasecmp(cs, prefixes[i], strlen(prefixes[i])) == 0)
			return 1;
	return 0;
}

static enum filetype
text_kind(const unsigned char *p, size_t len, const char *charset,
    const char **why)
{
	size_t i, n;
	int utf8 = 1;

	for (i = 0; i < len; i++)
		if ((p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' &&
		    p[i] != '\f' && p[i] != '\r') || p[i] == 0x7f) {
			*why = "binary: control characters or NUL bytes";
			return FILETYPE_OTHER;
		}
	for (i = 0; i < len && utf8; i += n)
		if (p[i] < 0x80)
			n = 1;
		else if ((n = str_utf8_len((const char *)p + i, len - i)) == 0)
			utf8 = 0;
	if (utf8 || eight_bit(charset))
		return FILETYPE_TEXT;
	*why = "neither UTF-8 nor a declared 8-bit charset";
	return FILETYPE_OTHER;
}

enum filetype
filetype_detect(const void *data, size_t len, const char *charset,
    const char **why)
{
	const unsigned char *p = data;
	const char *dummy;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	if (p == NULL || len == 0) {
		*why = "an empty file";
		return FILETYPE_OTHER;
	}
	if (starts(p, len, "%PDF-", 5) && len > 5 && p[5] >= '0' && p[5] <= '9')
		return FILETYPE_PDF;
	if (starts(p, len, "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR", 16))
		return FILETYPE_PNG;
	if (starts(p, len, "\xff\xd8\xff", 3))
		return FILETYPE_JPEG;
	if (starts(p, len, "GIF87a", 6) || starts(p, len, "GIF89a", 6))
		return FILETYPE_GIF;
	if (starts(p, len, "RIFF", 4) && len >= 16 &&
	    memcmp(p + 8, "WEBPVP8", 7) == 0 &&
	    (p[15] == ' ' || p[15] == 'L' || p[15] == 'X'))
		return FILETYPE_WEBP;
	if (starts(p, len, "PK\3\4", 4))
		return zip_kind(p, len, why);
	return text_kind(p, len, charset, why);
}
