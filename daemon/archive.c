#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <glib.h>

#include "archive.h"
#include "util.h"

#define NAME_MAX_BYTES 120
#define MAX_CLASH      1000

/* Whose fault a failed system call under the repository was, by errno:
 * the file system's (full, read-only, failing), the directory's where it
 * happened (a link, not a directory, permissions: `here`), or the item's
 * own (a name the file system will not take). */
static enum archive_result
blame(int e, enum archive_result here)
{
	switch (e) {
	case ENOSPC:
	case EDQUOT:
	case EROFS:
	case EIO:
	case ENOMEM:
	case EMFILE:
	case ENFILE:
	case ESTALE:
	case ENODEV:
	case ENXIO:
	case ENOENT:
		return ARCHIVE_REPOSITORY;
	case ELOOP:
	case ENOTDIR:
	case EACCES:
	case EPERM:
	case EMLINK:
	case EXDEV:
		return here;
	default:
		return ARCHIVE_ITEM;
	}
}

/* Code points a name never keeps: the bidirectional controls, which make
 * "exe.pdf" of "fdp.exe", and the invisible ones, which make two names
 * that look the same differ. */
static int
hidden_char(gunichar u)
{
	return (u >= 0x202a && u <= 0x202e) || (u >= 0x2066 && u <= 0x2069) ||
	    u == 0x200e || u == 0x200f || u == 0x061c ||
	    (u >= 0x200b && u <= 0x200d) || u == 0x2060 || u == 0xfeff;
}

/* s (valid UTF-8) without hidden characters, composed (NFC): a name
 * typed on a Mac and the same typed elsewhere are one name.  Frees s;
 * caller frees the result. */
static char *
plain_text(char *s)
{
	struct buf b = BUF_INIT(BUF_OWN);
	const char *p;
	gchar *nfc;
	char *out;

	for (p = s; *p != '\0'; p = g_utf8_next_char(p))
		if (!hidden_char(g_utf8_get_char(p)))
			buf_add(&b, p, (size_t)(g_utf8_next_char(p) - p));
	free(s);
	nfc = g_utf8_normalize(buf_str(&b), -1, G_NORMALIZE_NFC);
	buf_release(&b);
	out = xstrdup(nfc != NULL ? nfc : "");
	g_free(nfc);
	return out;
}

char *
archive_safe_name(const char *name, size_t len, const char *fallback)
{
	const unsigned char *p, *end;
	struct buf b = BUF_INIT(BUF_OWN);
	size_t i, n, cut, extlen = 0;
	char *s, *dot, *out;

	if (name == NULL)
		len = 0;
	/* Only the last component, whichever separator the sender used. */
	p = (const unsigned char *)name;
	end = p + len;
	for (i = 0; i < len; i++)
		if (name[i] == '/' || name[i] == '\\')
			p = (const unsigned char *)name + i + 1;
	while (p < end) {
		if (*p < 0x20 || *p == 0x7f) {
			p++;
			continue;
		}
		if ((n = str_utf8_len((const char *)p, (size_t)(end - p))) == 0) {
			buf_addc(&b, '_');
			p++;
			continue;
		}
		buf_add(&b, p, n);
		p += n;
	}
	s = plain_text(b.data ? b.data : xstrdup(""));
	/* No hidden files, no "." or "..", no trailing dots or blanks. */
	i = strspn(s, ". \t");
	memmove(s, s + i, strlen(s + i) + 1);
	n = strlen(s);
	while (n > 0 && (s[n - 1] == '.' || s[n - 1] == ' '))
		s[--n] = '\0';
	if (n > NAME_MAX_BYTES) {
		/* Keep a short extension; cut the stem on a character. */
		if ((dot = strrchr(s, '.')) != NULL && strlen(dot) <= 16)
			extlen = strlen(dot);
		cut = NAME_MAX_BYTES - extlen;
		while (cut > 0 && ((unsigned char)s[cut] & 0xc0) == 0x80)
			cut--;
		memmove(s + cut, s + n - extlen, extlen + 1);
		n = strlen(s);
	}
	if (n == 0 || strcmp(s, "metadata.json") == 0) {
		out = n == 0 ? xstrdup(fallback) : xasprintf("attachment-%s", s);
		free(s);
		return out;
	}
	return s;
}

/* "name (2).ext" for the k-th file of an item called "name.ext". */
static char *
clash_name(const char *name, int k)
{
	const char *dot = strrchr(name, '.');

	if (k == 1)
		return xstrdup(name);
	if (dot == NULL || dot == name)
		return xasprintf("%s (%d)", name, k);
	return xasprintf("%.*s (%d)%s", (int)(dot - name), name, k, dot);
}

/* Write data to dirfd under name, or "name (2)", "name (3)"... when name
 * is taken: never over a file already there, nor through a link (a link
 * is a name taken).  *final gets the name used.  0, or the blame. */
static enum archive_result
put_file(int dirfd, const char *name, const void *data, size_t len,
    char **final, char **err)
{
	char tmp[FILE_TMP_MAX];
	int k;

	if (file_write_temp(dirfd, data, len, tmp, err) == -1)
		return blame(errno, ARCHIVE_GROUP);
	for (k = 1; k <= MAX_CLASH; k++) {
		*final = clash_name(name, k);
		if (renameat2(dirfd, tmp, dirfd, *final, RENAME_NOREPLACE) == 0)
			return ARCHIVE_OK;
		free(*final);
		*final = NULL;
		if (errno != EEXIST)
			break;
	}
	k = errno;
	*err = xasprintf("cannot rename into %s: %s", name, strerror(k));
	unlinkat(dirfd, tmp, 0);
	return blame(k, ARCHIVE_GROUP);
}

/* Open (creating) directory name below dirfd, never through a link:
 * O_NOFOLLOW on the one component, which is the last.  A link or a file
 * where the directory should be is refused (ELOOP or ENOTDIR).  The fd,
 * or -1 with *err and errno set. */
static int
subdir(int dirfd, const char *name, char **err)
{
	int fd, e;

	if (file_mkdirat(dirfd, name) == -1) {
		e = errno;
		*err = xasprintf("cannot create directory %s: %s", name,
		    strerror(e));
		errno = e;
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1) {
		e = errno;
		*err = xasprintf("cannot open directory %s: %s%s", name,
		    strerror(e), e == ELOOP || e == ENOTDIR ?
		    " (a link or a file, not a directory: refused)" : "");
		errno = e;
	}
	return fd;
}

/* The repository's own directory, made when missing.  The path is the
 * administrator's and may go through links; nothing below it may. */
static int
open_root(const char *repository, char **err)
{
	int fd, e;

	if (file_mkdirat(AT_FDCWD, repository) == -1) {
		e = errno;
		*err = xasprintf("cannot create repository %s: %s", repository,
		    strerror(e));
		errno = e;
		return -1;
	}
	if ((fd = open(repository, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		e = errno;
		*err = xasprintf("cannot open repository %s: %s", repository,
		    strerror(e));
		errno = e;
	}
	return fd;
}

enum archive_result
archive_group_dir(const char *repository, const char *group, int *fd,
    char **err)
{
	int root;
	char *why = NULL;

	if ((root = open_root(repository, err)) == -1)
		return blame(errno, ARCHIVE_REPOSITORY);
	*fd = subdir(root, group, &why);
	close(root);
	if (*fd != -1)
		return ARCHIVE_OK;
	*err = xasprintf("%s/%s: %s", repository, group, why);
	free(why);
	return blame(errno, ARCHIVE_GROUP);
}

/* archive_write_file() into batch b, or now (b NULL). */
static enum archive_result
write_file(struct file_batch *b, int dirfd, const char *name,
    const void *data, size_t len, char **err)
{
	struct stat sb;

	/* Replacing a link would not follow it, but one there means someone
	 * meant it to be followed: say so rather than undo it quietly. */
	if (fstatat(dirfd, name, &sb, AT_SYMLINK_NOFOLLOW) == 0 &&
	    !S_ISREG(sb.st_mode)) {
		*err = xasprintf("cannot replace %s: it is %s, not a file; "
		    "refused", name, S_ISLNK(sb.st_mode) ? "a link" :
		    "something else");
		return ARCHIVE_GROUP;
	}
	if ((b != NULL ? file_batch_add(b, dirfd, name, data, len, err) :
	    file_write_atomic(dirfd, name, data, len, err)) == -1)
		return blame(errno, ARCHIVE_GROUP);
	return ARCHIVE_OK;
}

enum archive_result
archive_write_file(int dirfd, const char *name, const void *data, size_t len,
    char **err)
{
	return write_file(NULL, dirfd, name, data, len, err);
}

enum archive_result
archive_batch_file(struct file_batch *b, int dirfd, const char *name,
    const void *data, size_t len, char **err)
{
	return write_file(b, dirfd, name, data, len, err);
}

enum archive_result
archive_batch_commit(struct file_batch *b, char **err)
{
	return file_batch_commit(b, err) == -1 ? blame(errno, ARCHIVE_GROUP) :
	    ARCHIVE_OK;
}

int
archive_read_file(int dirfd, const char *name, size_t max, char **out)
{
	struct buf b = BUF_INIT(max);
	int fd, rc;

	*out = NULL;
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) == -1)
		return -1;
	rc = buf_read(&b, fd);
	close(fd);
	if (rc == -1) {
		buf_release(&b);
		return -1;
	}
	*out = buf_detach(&b);
	if (*out == NULL)
		*out = xstrdup("");
	return 0;
}

static void
add_stored(struct archive_stored *out, char *name, const void *data,
    size_t len)
{
	char hex[65];

	sha256_hex(data, len, hex);
	out->names = xreallocarray(out->names, out->n + 1, sizeof *out->names);
	out->sha256 = xreallocarray(out->sha256, out->n + 1,
	    sizeof *out->sha256);
	out->names[out->n] = name;
	out->sha256[out->n] = xstrdup(hex);
	out->n++;
}

static char *
metadata(const struct archive_item *it, const struct archive_stored *st,
    const size_t *sizes)
{
	struct buf b = BUF_INIT(BUF_OWN);
	char when[32];
	time_t t = (time_t)it->received;
	struct tm tm;
	size_t i;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
	buf_adds(&b, "{\n  \"group\": ");
	json_str(&b, it->group_id);
	buf_adds(&b, ",\n  \"kind\": ");
	json_str(&b, it->kind);
	buf_adds(&b, ",\n  \"date\": ");
	json_str(&b, it->date);
	buf_adds(&b, ",\n  \"meeting\": ");
	json_str_or_null(&b, it->meeting_uid);
	buf_adds(&b, ",\n  \"sender\": ");
	json_str_or_null(&b, it->sender);
	buf_adds(&b, ",\n  \"message_id\": ");
	json_str_or_null(&b, it->message_id);
	buf_addf(&b, ",\n  \"received\": \"%s\",\n  \"dissemination\": ", when);
	json_str(&b, it->dissemination ? it->dissemination : "members");
	buf_adds(&b, ",\n  \"files\": [");
	for (i = 0; i < st->n; i++) {
		buf_adds(&b, i ? ",\n    {\"name\": " : "\n    {\"name\": ");
		json_str(&b, st->names[i]);
		buf_addf(&b, ", \"size\": %zu, \"sha256\": \"%s\"}", sizes[i],
		    st->sha256[i]);
	}
	buf_adds(&b, st->n ? "\n  ]\n}\n" : "]\n}\n");
	return buf_detach(&b);
}

/* Write one file of the item as name (freed here), and record its
 * final name, size and digest. */
static enum archive_result
put_stored(int dfd, char *name, const void *data, size_t len,
    struct archive_stored *out, size_t *sizes, char **err)
{
	enum archive_result r;
	char *final;

	if ((r = put_file(dfd, name, data, len, &final, err)) == ARCHIVE_OK) {
		sizes[out->n] = len;
		add_stored(out, final, data, len);
	}
	free(name);
	return r;
}

/* A new directory for each item, <date>-<kind>, then -2, -3...: a
 * revised text never replaces the one archived before it.  Its name
 * (caller frees), or NULL with *err and errno set. */
static char *
item_dir(int yfd, const struct archive_item *it, const char *year,
    char **err)
{
	char *dir;
	int k, e, made;

	for (k = 1; k <= MAX_CLASH; k++) {
		dir = k == 1 ? xasprintf("%s-%s", it->date, it->kind) :
		    xasprintf("%s-%s-%d", it->date, it->kind, k);
		/* 0: taken, by an item or by anything else: the next name. */
		if ((made = file_mkdirat(yfd, dir)) == 1)
			return dir;
		free(dir);
		if (made == -1) {
			e = errno;
			*err = xasprintf("cannot create %s/%s/%s: %s",
			    it->group_id, year, it->date, strerror(e));
			errno = e;
			return NULL;
		}
	}
	*err = xasprintf("too many %s items on %s", it->kind, it->date);
	errno = EEXIST;
	return NULL;
}

/* Where an item is being written: each directory from the group's down. */
struct place {
	int   gfd, yfd, dfd;
	char *dir;              /* the item's, within the year's */
};

/* The group's, the year's and a new item directory, each opened below
 * the one before without following a link. */
static enum archive_result
make_place(const char *repository, const struct archive_item *it,
    struct place *pl, struct archive_stored *out, char **err)
{
	enum archive_result r;
	char year[8];

	snprintf(year, sizeof year, "%.4s", it->date);
	if ((r = archive_group_dir(repository, it->group_id, &pl->gfd,
	    err)) != ARCHIVE_OK)
		return r;
	if ((pl->yfd = subdir(pl->gfd, year, err)) == -1 ||
	    (pl->dir = item_dir(pl->yfd, it, year, err)) == NULL)
		return blame(errno, ARCHIVE_GROUP);
	if ((pl->dfd = subdir(pl->yfd, pl->dir, err)) == -1)
		return blame(errno, ARCHIVE_GROUP);
	out->dir = xasprintf("%s/%s/%s", it->group_id, year, pl->dir);
	return ARCHIVE_OK;
}

/* The text, the files and metadata.json into the item's directory. */
static enum archive_result
put_all(const struct archive_item *it, const struct place *pl,
    struct archive_stored *out, size_t *sizes, char **err)
{
	enum archive_result r = ARCHIVE_OK;
	char fallback[32], *meta, *final;
	size_t i;

	if (it->text != NULL && *it->text != '\0')
		r = put_stored(pl->dfd, xasprintf("%s.txt", it->kind), it->text,
		    strlen(it->text), out, sizes, err);
	for (i = 0; i < it->nfiles && r == ARCHIVE_OK; i++) {
		snprintf(fallback, sizeof fallback, "attachment-%zu", i + 1);
		r = put_stored(pl->dfd, archive_safe_name(it->files[i].name,
		    it->files[i].name ? strlen(it->files[i].name) : 0,
		    fallback), it->files[i].data, it->files[i].len, out, sizes,
		    err);
	}
	if (r != ARCHIVE_OK)
		return r;
	meta = metadata(it, out, sizes);
	r = put_file(pl->dfd, "metadata.json", meta, strlen(meta), &final, err);
	free(meta);
	if (r != ARCHIVE_OK)
		return r;
	free(final);
	if (fsync(pl->dfd) == -1 || fsync(pl->yfd) == -1 ||
	    fsync(pl->gfd) == -1) {
		r = blame(errno, ARCHIVE_GROUP);
		*err = xasprintf("cannot sync %s: %s", out->dir, strerror(errno));
	}
	return r;
}

enum archive_result
archive_store(const char *repository, const struct archive_item *it,
    struct archive_stored *out, char **err)
{
	struct place pl = { -1, -1, -1, NULL };
	enum archive_result r;
	size_t *sizes, i;

	memset(out, 0, sizeof out[0]);
	sizes = xcalloc(it->nfiles + 2, sizeof *sizes);
	if ((r = make_place(repository, it, &pl, out, err)) == ARCHIVE_OK)
		r = put_all(it, &pl, out, sizes, err);
	if (r != ARCHIVE_OK) {
		/* Leave no half item: what was renamed in goes, then the
		 * directory (rmdir fails harmlessly if something remains). */
		for (i = 0; pl.dfd != -1 && i < out->n; i++)
			unlinkat(pl.dfd, out->names[i], 0);
		if (pl.dir != NULL && pl.yfd != -1)
			unlinkat(pl.yfd, pl.dir, AT_REMOVEDIR);
		archive_stored_free(out);
	}
	free(pl.dir);
	free(sizes);
	if (pl.dfd != -1)
		close(pl.dfd);
	if (pl.yfd != -1)
		close(pl.yfd);
	if (pl.gfd != -1)
		close(pl.gfd);
	return r;
}

void
archive_unstore(const char *repository, const struct archive_stored *as)
{
	char *path, *p, *slash, *err = NULL;
	int fd, next;
	size_t i;

	if (as->dir == NULL || (fd = open_root(repository, &err)) == -1) {
		free(err);
		return;
	}
	/* group/year/item, one component at a time, no link followed. */
	path = xstrdup(as->dir);
	for (p = path; fd != -1 && (slash = strchr(p, '/')) != NULL;
	    p = slash + 1) {
		*slash = '\0';
		next = openat(fd, p, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
		    O_CLOEXEC);
		close(fd);
		fd = next;
	}
	if (fd != -1 && (next = openat(fd, p, O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC)) != -1) {
		for (i = 0; i < as->n; i++)
			unlinkat(next, as->names[i], 0);
		unlinkat(next, "metadata.json", 0);
		close(next);
		unlinkat(fd, p, AT_REMOVEDIR);
	}
	if (fd != -1)
		close(fd);
	free(path);
}

void
archive_stored_free(struct archive_stored *s)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		free(s->names[i]);
		free(s->sha256[i]);
	}
	free(s->names);
	free(s->sha256);
	free(s->dir);
	memset(s, 0, sizeof *s);
}
