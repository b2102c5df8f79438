/* Unit tests for filetype.c: minimal files of each kind, made here, told
 * by their bytes whatever their names; ZIPs made to mislead or to cost
 * work. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "filetype.h"
#include "util.h"

/* ---- a ZIP writer, stored entries (CRCs left 0: never read) ---- */

struct zent {
	const char *name;
	const char *data;
	unsigned    method;         /* 0 stored; 8 claims deflate */
};

static void
le16(struct buf *b, unsigned v)
{
	buf_addc(b, (char)(v & 0xff));
	buf_addc(b, (char)(v >> 8 & 0xff));
}

static void
le32(struct buf *b, uint32_t v)
{
	le16(b, v & 0xffff);
	le16(b, v >> 16);
}

/* What a local header and a directory entry both say of e, from its
 * method to the length of its name and extra field. */
static void
common(struct buf *b, const struct zent *e)
{
	size_t len = strlen(e->data);

	le16(b, e->method);
	le32(b, 0);                     /* time and date */
	le32(b, 0);                     /* CRC */
	le32(b, (uint32_t)len);
	le32(b, (uint32_t)len);
	le16(b, (unsigned)strlen(e->name));
	le16(b, 0);
}

/* Entries, then their directory and its end; n_claimed entries said in
 * the end record (0: the real count). */
static void
zip(struct buf *b, const struct zent *e, size_t n, unsigned n_claimed)
{
	uint32_t *off = xcalloc(n + 1, sizeof *off), cd, cdsize;
	size_t i;

	for (i = 0; i < n; i++) {
		off[i] = (uint32_t)b->len;
		buf_adds(b, "PK\3\4");
		le16(b, 20);                    /* version needed */
		le16(b, 0);                     /* flags */
		common(b, &e[i]);
		buf_adds(b, e[i].name);
		buf_adds(b, e[i].data);
	}
	cd = (uint32_t)b->len;
	for (i = 0; i < n; i++) {
		buf_adds(b, "PK\1\2");
		le16(b, 20);                    /* made by */
		le16(b, 20);                    /* version needed */
		le16(b, 0);                     /* flags */
		common(b, &e[i]);
		le16(b, 0);                     /* comment */
		le16(b, 0);                     /* disk */
		le16(b, 0);                     /* internal attributes */
		le32(b, 0);                     /* external attributes */
		le32(b, off[i]);
		buf_adds(b, e[i].name);
	}
	cdsize = (uint32_t)b->len - cd;
	buf_adds(b, "PK\5\6");
	le16(b, 0);
	le16(b, 0);
	le16(b, n_claimed ? n_claimed : (unsigned)n);
	le16(b, n_claimed ? n_claimed : (unsigned)n);
	le32(b, cdsize);
	le32(b, cd);
	le16(b, 0);
	free(off);
}

static enum filetype
kind(const struct buf *b, const char **why)
{
	return filetype_detect(b->data, b->len, NULL, why);
}

#define ODT "application/vnd.oasis.opendocument.text"
#define CT_DOCX "<?xml version=\"1.0\"?><Types xmlns=\"http://schemas." \
	"openxmlformats.org/package/2006/content-types\"><Override " \
	"PartName=\"/word/document.xml\" ContentType=\"application/vnd." \
	"openxmlformats-officedocument.wordprocessingml.document.main+xml\"/>" \
	"</Types>"
#define CT_DOCM "<Types><Override PartName=\"/word/document.xml\" " \
	"ContentType=\"application/vnd.ms-word.document.macroEnabled." \
	"main+xml\"/></Types>"

static const struct {
	const char   *name;
	struct zent   e[3];
	enum filetype want;
} zips[] = {
	{ "odt", { { "mimetype", ODT, 0 }, { "content.xml", "<x/>", 0 } },
	  FILETYPE_ODF },
	{ "odt with Basic macros", { { "mimetype", ODT, 0 },
	  { "content.xml", "<x/>", 0 },
	  { "Basic/Standard/Module1.xml", "Sub Main", 0 } }, FILETYPE_OTHER },
	{ "mimetype not first", { { "content.xml", "<x/>", 0 },
	  { "mimetype", ODT, 0 } }, FILETYPE_OTHER },
	{ "another mimetype", { { "mimetype", "application/x-msdownload", 0 } },
	  FILETYPE_OTHER },
	{ "mimetype compressed", { { "mimetype", ODT, 8 } }, FILETYPE_OTHER },
	{ "docx", { { "[Content_Types].xml", CT_DOCX, 0 },
	  { "word/document.xml", "<w/>", 8 } }, FILETYPE_OOXML },
	/* Compressed [Content_Types].xml: the names decide. */
	{ "docx, types deflated", { { "[Content_Types].xml", "\x01\x02", 8 },
	  { "word/document.xml", "<w/>", 8 } }, FILETYPE_OOXML },
	{ "docm", { { "[Content_Types].xml", CT_DOCX, 0 },
	  { "word/vbaProject.bin", "\xd0\xcf", 0 } }, FILETYPE_OTHER },
	{ "docm by its content type", { { "[Content_Types].xml", CT_DOCM, 0 },
	  { "word/document.xml", "<w/>", 0 } }, FILETYPE_OTHER },
	{ "xlsx with Excel 4 macros", { { "[Content_Types].xml", "\x01", 8 },
	  { "xl/macrosheets/sheet1.xml", "<m/>", 8 } }, FILETYPE_OTHER },
	{ "activex", { { "[Content_Types].xml", "\x01", 8 },
	  { "word/activeX/activeX1.bin", "x", 8 } }, FILETYPE_OTHER },
	{ "plain zip", { { "acta.pdf", "%PDF-1.4", 0 } }, FILETYPE_OTHER },
};

static void
test_zips(void **state)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *why;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof zips / sizeof zips[0]; i++) {
		for (n = 0; n < 3 && zips[i].e[n].name != NULL; n++)
			;
		buf_reset(&b);
		zip(&b, zips[i].e, n, 0);
		if (kind(&b, &why) != zips[i].want)
			fail_msg("%s: %s (%s)", zips[i].name,
			    filetype_name(kind(&b, &why)), why ? why : "-");
		if (zips[i].want == FILETYPE_OTHER)
			assert_non_null(why);
		else
			assert_null(why);
	}
	buf_release(&b);
}

/* ZIPs made to mislead or to cost: each is other, quickly. */
static void
test_hostile_zips(void **state)
{
	static const struct zent odt[] = { { "mimetype", ODT, 0 },
	    { "content.xml", "<x/>", 0 } };
	struct buf b = BUF_INIT(BUF_OWN), c = BUF_INIT(BUF_OWN);
	const char *why;
	size_t i, cdoff;

	(void)state;
	zip(&b, odt, 2, 0);
	cdoff = b.len - 22 - 2 * (46 + 0) - strlen("mimetype") -
	    strlen("content.xml");
	assert_int_equal(kind(&b, NULL), FILETYPE_ODF);

	/* Cut short: no end record. */
	buf_add(&c, b.data, b.len - 5);
	assert_int_equal(kind(&c, &why), FILETYPE_OTHER);
	assert_string_equal(why, "a damaged ZIP archive");
	/* More entries claimed than there are. */
	buf_reset(&c);
	zip(&c, odt, 2, 500);
	assert_int_equal(kind(&c, &why), FILETYPE_OTHER);
	assert_string_equal(why, "a ZIP archive with a damaged directory");
	/* The directory said to be past the end. */
	buf_reset(&c);
	buf_add(&c, b.data, b.len);
	c.data[c.len - 6] = (char)0xff;
	c.data[c.len - 5] = (char)0x7f;
	assert_int_equal(kind(&c, &why), FILETYPE_OTHER);
	assert_string_equal(why, "a ZIP archive whose directory lies "
	    "outside it");
	/* A name running past the directory. */
	buf_reset(&c);
	buf_add(&c, b.data, b.len);
	c.data[cdoff + 28] = (char)0xff;
	c.data[cdoff + 29] = (char)0xff;
	assert_int_equal(kind(&c, NULL), FILETYPE_OTHER);
	/* mimetype's data said to lie beyond the directory. */
	buf_reset(&c);
	buf_add(&c, b.data, b.len);
	c.data[cdoff + 20] = (char)0xff;
	c.data[cdoff + 24] = (char)0xff;
	assert_int_equal(kind(&c, NULL), FILETYPE_OTHER);
	/* ZIP64, and split over disks. */
	buf_reset(&c);
	buf_add(&c, b.data, b.len);
	memset(c.data + c.len - 6, 0xff, 4);
	assert_int_equal(kind(&c, &why), FILETYPE_OTHER);
	assert_string_equal(why, "a ZIP64 archive");
	buf_reset(&c);
	buf_add(&c, b.data, b.len);
	c.data[c.len - 18] = 1;
	assert_int_equal(kind(&c, &why), FILETYPE_OTHER);
	assert_string_equal(why, "a ZIP archive split over disks");
	/* A program with the archive after it. */
	buf_reset(&c);
	buf_adds(&c, "MZ\x90");
	buf_add(&c, "\0\3\0\0\0", 5);
	buf_add(&c, b.data, b.len);
	assert_int_equal(kind(&c, NULL), FILETYPE_OTHER);
	/* 65535 entries claimed, and a 64 KiB comment of end-record
	 * signatures: a bounded look either way. */
	buf_reset(&c);
	zip(&c, odt, 2, 65535);
	assert_int_equal(kind(&c, NULL), FILETYPE_OTHER);
	buf_reset(&c);
	buf_add(&c, b.data, b.len - 2);
	le16(&c, 0xfff0);
	for (i = 0; i < 0xfff0 / 4; i++)
		buf_adds(&c, "PK\5\6");
	assert_int_equal(kind(&c, NULL), FILETYPE_ODF);
	/* Only the header of a ZIP. */
	buf_reset(&c);
	buf_adds(&c, "PK\3\4");
	assert_int_equal(kind(&c, NULL), FILETYPE_OTHER);
	buf_release(&b);
	buf_release(&c);
}

static void
test_signatures(void **state)
{
	static const struct {
		const char   *bytes;
		size_t        len;
		enum filetype want;
	} t[] = {
		{ "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", 15, FILETYPE_PDF },
		{ "%PDF-x", 6, FILETYPE_TEXT },     /* text, harmless */
		{ "\x89PNG\r\n\x1a\n\0\0\0\x0dIHDR\0\0\0\1", 20, FILETYPE_PNG },
		{ "\x89PNG\r\n\x1a\n", 8, FILETYPE_OTHER },
		{ "\xff\xd8\xff\xe0\0\x10JFIF", 10, FILETYPE_JPEG },
		{ "GIF89a\1\0\1\0", 10, FILETYPE_GIF },
		{ "GIF87a\1\0\1\0", 10, FILETYPE_GIF },
		{ "RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0", 20, FILETYPE_WEBP },
		{ "RIFF\x1a\0\0\0WAVEfmt ", 16, FILETYPE_OTHER },
		/* A Windows program, whatever its name says. */
		{ "MZ\x90\0\3\0\0\0\4\0\0\0\xff\xff", 14, FILETYPE_OTHER },
		{ "\x7f" "ELF\2\1\1", 7, FILETYPE_OTHER },
		{ "\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", 8, FILETYPE_OTHER },
		{ "", 0, FILETYPE_OTHER },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof t / sizeof t[0]; i++)
		if (filetype_detect(t[i].bytes, t[i].len, NULL, NULL) !=
		    t[i].want)
			fail_msg("case %zu: %s", i, filetype_name(
			    filetype_detect(t[i].bytes, t[i].len, NULL, NULL)));
	assert_int_equal(filetype_detect(NULL, 0, NULL, NULL), FILETYPE_OTHER);
}

static void
test_text(void **state)
{
	static const char utf8[] = "\xef\xbb\xbf" "Acta de la reuni\xc3\xb3n\r\n"
	    "\t1. Apertura\f\n";
	static const char latin1[] = "Acta de la reuni\xf3n\n";
	const char *why;

	(void)state;
	assert_int_equal(filetype_detect(utf8, strlen(utf8), NULL, NULL),
	    FILETYPE_TEXT);
	assert_int_equal(filetype_detect(latin1, strlen(latin1), NULL, &why),
	    FILETYPE_OTHER);
	assert_string_equal(why, "neither UTF-8 nor a declared 8-bit charset");
	assert_int_equal(filetype_detect(latin1, strlen(latin1), "ISO-8859-1",
	    NULL), FILETYPE_TEXT);
	assert_int_equal(filetype_detect(latin1, strlen(latin1),
	    "windows-1252", NULL), FILETYPE_TEXT);
	assert_int_equal(filetype_detect(latin1, strlen(latin1), "utf-8",
	    NULL), FILETYPE_OTHER);
	assert_int_equal(filetype_detect("a\0b", 3, "iso-8859-1", &why),
	    FILETYPE_OTHER);
	assert_string_equal(why, "binary: control characters or NUL bytes");
	assert_int_equal(filetype_detect("a\x1b[2Jb", 6, NULL, NULL),
	    FILETYPE_OTHER);
	assert_int_equal(filetype_detect("a\x7f", 2, NULL, NULL),
	    FILETYPE_OTHER);
	/* Overlong and surrogate UTF-8 are no UTF-8. */
	assert_int_equal(filetype_detect("\xc0\xaf", 2, NULL, NULL),
	    FILETYPE_OTHER);
	assert_int_equal(filetype_detect("\xed\xa0\x80", 3, NULL, NULL),
	    FILETYPE_OTHER);
}

static void
test_names(void **state)
{
	(void)state;
	assert_string_equal(filetype_name(FILETYPE_PDF), "pdf");
	assert_string_equal(filetype_name(FILETYPE_OOXML), "ooxml");
	assert_string_equal(filetype_name(FILETYPE_WEBP), "webp");
	assert_string_equal(filetype_name((enum filetype)99), "other");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zips),
		cmocka_unit_test(test_hostile_zips),
		cmocka_unit_test(test_signatures),
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
