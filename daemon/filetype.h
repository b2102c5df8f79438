/* filetype.h: what a file is, by its bytes (issue 12, item 4).
 *
 * What is sent on to every member is allowed by what it is, never by its
 * name: "acta.pdf.exe" that is a Windows program is other, a PDF named
 * ".exe" is a PDF.  The kinds:
 *
 *   pdf    "%PDF-" and a digit at the first byte
 *   odf    a ZIP whose first entry is "mimetype", stored, naming
 *          application/vnd.oasis.opendocument.*, without Basic/ or
 *          Scripts/ (macros)
 *   ooxml  a ZIP holding [Content_Types].xml and nothing of macros:
 *          no vbaProject.bin, vbaData.xml, macro sheets (xl/macrosheets/)
 *          or ActiveX controls (activeX/), and, when [Content_Types].xml
 *          is stored rather than compressed, no macro content type in it
 *   text   no NUL and no control character but TAB, LF, FF and CR; valid
 *          UTF-8, or a declared 8-bit charset (ISO-8859-*, windows-125*,
 *          ...)
 *   png, jpeg, gif, webp   their signatures
 *   other  everything else, an empty file too
 *
 * A ZIP is read from its end-of-central-directory record and central
 * directory, every offset and length checked against the bytes there,
 * nothing decompressed: a hostile archive costs at most a look at its
 * last 64 KiB and one pass over its directory.  It must start with a
 * local file header ("PK\3\4"): a program with an archive appended is
 * other.  ZIP64 and archives split over disks are other too: no
 * document of a working group needs them. */
#ifndef CONVENED_FILETYPE_H
#define CONVENED_FILETYPE_H

#include <stddef.h>

enum filetype {
	FILETYPE_OTHER,
	FILETYPE_PDF,
	FILETYPE_ODF,
	FILETYPE_OOXML,
	FILETYPE_TEXT,
	FILETYPE_PNG,
	FILETYPE_JPEG,
	FILETYPE_GIF,
	FILETYPE_WEBP
};

/* The kind of len bytes of data (NULL when len is 0).  charset is the
 * one its part declared (mime.h's attachment charset), or NULL.  *why
 * (why may be NULL) is a static one-line reason when the kind is other,
 * else NULL. */
enum filetype filetype_detect(const void *data, size_t len,
                  const char *charset, const char **why);

/* "pdf", "odf", "ooxml", "text", "png", "jpeg", "gif", "webp", "other". */
const char *filetype_name(enum filetype);

#endif
