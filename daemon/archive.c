#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "util.h"

#define NAME_MAX_BYTES 120
#define MAX_CLASH      1000

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
	s = b.data ? b.data : xstrdup("");
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

/* "name-2.ext" for the k-th clash of "name.ext". */
static char *
clash_name(const char *name, int k)
{
	const char *dot = strrchr(name, '.');

	if (k == 1)
		return xstrdup(name);
	if (dot == NULL || dot == name)
		return xasprintf("%s-%d", name, k);
	return xasprintf("%.*s-%d%s", (int)(dot - name), name, k, dot);
}

/* Write data to dirfd under name, or name-2, name-3... when name is
 * taken: never over a file already there.  *final gets the name used. */
static int
put_file(int dirfd, const char *name, const void *data, size_t len,
    char **final, char **err)
{
	char tmp[FILE_TMP_MAX];
	int k;

	if (file_write_temp(dirfd, data, len, tmp, err) == -1)
		return -1;
	for (k = 1; k <= MAX_CLASH; k++) {
		*final = clash_name(name, k);
		if (renameat2(dirfd, tmp, dirfd, *final, RENAME_NOREPLACE) == 0)
			return 0;
		free(*final);
		*final = NULL;
		if (errno != EEXIST)
			break;
	}
	*err = xasprintf("cannot rename into %s: %s", name, strerror(errno));
	unlinkat(dirfd, tmp, 0);
	return -1;
}

/* Open (creating) directory name below dirfd, never through a link. */
static int
subdir(int dirfd, const char *name, char **err)
{
	int fd;

	if (mkdirat(dirfd, name, 0750) == -1 && errno != EEXIST) {
		*err = xasprintf("cannot create directory %s: %s", name,
		    strerror(errno));
		return -1;
	}
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd == -1)
		*err = xasprintf("cannot open directory %s: %s", name,
		    strerror(errno));
	return fd;
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
static int
put_stored(int dfd, char *name, const void *data, size_t len,
    struct archive_stored *out, size_t *sizes, char **err)
{
	char *final;
	int rc;

	if ((rc = put_file(dfd, name, data, len, &final, err)) == 0) {
		sizes[out->n] = len;
		add_stored(out, final, data, len);
	}
	free(name);
	return rc;
}

/* A new directory for each item, <date>-<kind>, then -2, -3...: a
 * revised text never replaces the one archived before it.  Its name
 * (caller frees), or NULL with *err set. */
static char *
item_dir(int yfd, const struct archive_item *it, const char *year,
    char **err)
{
	char *dir;
	int k;

	for (k = 1; k <= MAX_CLASH; k++) {
		dir = k == 1 ? xasprintf("%s-%s", it->date, it->kind) :
		    xasprintf("%s-%s-%d", it->date, it->kind, k);
		if (mkdirat(yfd, dir, 0750) == 0)
			return dir;
		free(dir);
		if (errno != EEXIST) {
			*err = xasprintf("cannot create %s/%s/%s: %s",
			    it->group_id, year, it->date, strerror(errno));
			return NULL;
		}
	}
	*err = xasprintf("too many %s items on %s", it->kind, it->date);
	return NULL;
}

int
archive_store(const char *repository, const struct archive_item *it,
    struct archive_stored *out, char **err)
{
	int root = -1, gfd = -1, yfd = -1, dfd = -1, rc = -1;
	char year[8], fallback[32], *dir = NULL, *meta = NULL, *final;
	size_t *sizes, i;

	memset(out, 0, sizeof out[0]);
	sizes = xcalloc(it->nfiles + 2, sizeof *sizes);
	if (mkdir(repository, 0750) == -1 && errno != EEXIST) {
		*err = xasprintf("cannot create repository %s: %s", repository,
		    strerror(errno));
		goto out;
	}
	if ((root = open(repository, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*err = xasprintf("cannot open repository %s: %s", repository,
		    strerror(errno));
		goto out;
	}
	snprintf(year, sizeof year, "%.4s", it->date);
	if ((gfd = subdir(root, it->group_id, err)) == -1 ||
	    (yfd = subdir(gfd, year, err)) == -1 ||
	    (dir = item_dir(yfd, it, year, err)) == NULL)
		goto out;
	if ((dfd = openat(yfd, dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		*err = xasprintf("cannot open %s: %s", dir, strerror(errno));
		goto out;
	}
	out->dir = xasprintf("%s/%s/%s", it->group_id, year, dir);
	if (it->text != NULL && *it->text != '\0' && put_stored(dfd,
	    xasprintf("%s.txt", it->kind), it->text, strlen(it->text), out,
	    sizes, err) == -1)
		goto out;
	for (i = 0; i < it->nfiles; i++) {
		snprintf(fallback, sizeof fallback, "attachment-%zu", i + 1);
		if (put_stored(dfd, archive_safe_name(it->files[i].name,
		    it->files[i].name ? strlen(it->files[i].name) : 0, fallback),
		    it->files[i].data, it->files[i].len, out, sizes, err) == -1)
			goto out;
	}
	meta = metadata(it, out, sizes);
	if (put_file(dfd, "metadata.json", meta, strlen(meta), &final, err) == -1)
		goto out;
	free(final);
	if (fsync(dfd) == -1 || fsync(yfd) == -1 || fsync(gfd) == -1) {
		*err = xasprintf("cannot sync %s: %s", out->dir, strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (rc == -1) {
		/* Leave no half item: what was renamed in goes, then the
		 * directory (rmdir fails harmlessly if something remains). */
		for (i = 0; dfd != -1 && i < out->n; i++)
			unlinkat(dfd, out->names[i], 0);
		if (dir != NULL && yfd != -1)
			unlinkat(yfd, dir, AT_REMOVEDIR);
		archive_stored_free(out);
	}
	free(meta);
	free(dir);
	free(sizes);
	if (dfd != -1)
		close(dfd);
	if (yfd != -1)
		close(yfd);
	if (gfd != -1)
		close(gfd);
	if (root != -1)
		close(root);
	return rc;
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
