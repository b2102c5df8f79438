/* archive.h: the groups' repository of minutes, agreements and documents.
 *
 * One directory per item: <repository>/<group>/<year>/<date>-<kind>/, a
 * second item of the same kind and date getting "-2", "-3"...  Inside: the
 * message text as <kind>.txt, the attachments under safe names, and
 * metadata.json (sender, Message-ID, time received, kind, dissemination,
 * meeting, and the size and SHA-256 of every file).
 *
 * Every file is written to a temporary name, synced, and renamed into place
 * without replacing anything (renameat2 RENAME_NOREPLACE); the directory
 * is synced after.  Nothing is ever overwritten in place.  Attachment names
 * come from strangers: archive_safe_name() makes them plain file names
 * that cannot leave the directory. */
#ifndef CONVENED_ARCHIVE_H
#define CONVENED_ARCHIVE_H

#include <stddef.h>

struct archive_file {
	const char *name;          /* as the sender wrote it; may be NULL */
	const void *data;
	size_t      len;
	const char *content_type;  /* as received ("type/subtype"), for
	                            * passing the file on; may be NULL */
};

struct archive_item {
	const char *group_id;      /* a configuration id: plain already */
	const char *kind;          /* minutes | agreement | document */
	const char *date;          /* YYYY-MM-DD: the meeting's, or received */
	const char *sender;
	const char *message_id;
	long long   received;
	const char *dissemination; /* members | public */
	const char *meeting_uid;   /* NULL when not tied to a meeting */
	const char *text;          /* the message's own words; NULL or "" for
	                            * none */
	const struct archive_file *files;
	size_t      nfiles;
};

struct archive_stored {
	char   *dir;               /* relative to the repository */
	char  **names;             /* file names written, text file first */
	char  **sha256;            /* hex, parallel to names */
	size_t  n;
};

/* Write item under repository.  0 and *out filled (free with
 * archive_stored_free), or -1 with *err set (caller frees); on failure
 * nothing stays behind but temporary files, which are removed. */
int  archive_store(const char *repository, const struct archive_item *,
         struct archive_stored *out, char **err);
void archive_stored_free(struct archive_stored *);

/* A file name safe to create in a directory: the last path component, no
 * control characters, NUL, '/', '\\' or leading dot, at most 120 bytes of
 * valid UTF-8 (the extension kept), never "" (fallback used instead).
 * Caller frees. */
char *archive_safe_name(const char *name, size_t len, const char *fallback);

#endif
