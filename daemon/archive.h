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
 * that cannot leave the directory; two files of an item with the same
 * name are "a.pdf" and "a (2).pdf".
 *
 * Below the repository's own directory (whose configured path may go
 * through links: it is the administrator's), no link is ever followed:
 * each directory is opened from the one above it, one component at a
 * time, with O_NOFOLLOW (which covers a path of one component whole, so
 * openat2's RESOLVE_NO_SYMLINKS would add nothing), and files are created
 * with O_EXCL | O_NOFOLLOW.  A link, or a file, where a directory should
 * be is refused. */
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

/* What a write into the repository came to, and whose fault a failure
 * was: the caller decides what each means (inbox.h, outage.h). */
enum archive_result {
	ARCHIVE_OK = 0,
	ARCHIVE_REPOSITORY,     /* the repository: its file system is full,
	                         * read-only or failing, or it cannot be
	                         * made or opened */
	ARCHIVE_GROUP,          /* the group's directory, or one below it: a
	                         * link or a file where a directory should be
	                         * (refused), permissions */
	ARCHIVE_ITEM            /* this item only: a name the file system
	                         * will not take, a thousand items of its kind
	                         * that day */
};

/* Write item under repository.  ARCHIVE_OK and *out filled (free with
 * archive_stored_free), or the failure with *err set (caller frees); on
 * failure nothing stays behind but temporary files, which are removed. */
enum archive_result archive_store(const char *repository,
         const struct archive_item *, struct archive_stored *out,
         char **err);
void archive_stored_free(struct archive_stored *);

/* Take back an item archive_store() wrote, when what was to go with it
 * (its record in the state db) failed: its files, its metadata.json and
 * its directory go, nothing else, no link followed.  Best effort. */
void archive_unstore(const char *repository, const struct archive_stored *);

/* The directory <repository>/<group>, made (mode 0750, the repository
 * too) when missing, and opened without following a link: ARCHIVE_OK and
 * *fd (the caller closes it), or the failure with *err set. */
enum archive_result archive_group_dir(const char *repository,
         const char *group, int *fd, char **err);

/* Write data as name in dirfd (from archive_group_dir), whole or not at
 * all (util.h's file_write_atomic), replacing the file of that name: the
 * one file convened rewrites, the calendar feed.  A link, or anything but
 * a plain file, standing at name is refused (ARCHIVE_GROUP). */
enum archive_result archive_write_file(int dirfd, const char *name,
         const void *data, size_t len, char **err);
/* The same into a file_batch (util.h), and the batch committed: many
 * files, two syncs.  The caller commits the batch before it is full
 * (file_batch_add() would, without telling it which files went). */
struct file_batch;
enum archive_result archive_batch_file(struct file_batch *, int dirfd,
         const char *name, const void *data, size_t len, char **err);
enum archive_result archive_batch_commit(struct file_batch *, char **err);

/* The file name in dirfd, not through a link, at most max bytes: 0 and
 * *out (NUL-terminated, caller frees), or -1 (absent, a link, unreadable,
 * bigger than max) with *out NULL. */
int  archive_read_file(int dirfd, const char *name, size_t max, char **out);

/* A file name safe to create in a directory and to show to people: the
 * last path component, no control characters, NUL, '/', '\\' or leading
 * dot, no bidirectional controls (U+202A-202E, U+2066-2069, U+200E,
 * U+200F, U+061C) nor invisible characters (U+200B-200D, U+2060, U+FEFF),
 * composed (Unicode NFC), at most 120 bytes of valid UTF-8 (the extension
 * kept), never "" (fallback used instead).  Caller frees. */
char *archive_safe_name(const char *name, size_t len, const char *fallback);

#endif
