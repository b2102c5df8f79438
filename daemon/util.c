#include <sys/mman.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <glib.h>

#include "log.h"
#include "util.h"

void
xthread(pthread_t *t, void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int e;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	e = pthread_create(t, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (e != 0)
		fatalx("cannot start a thread: %s", strerror(e));
}

void *
xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);

	if (p == NULL)
		fatalx("out of memory allocating %zu bytes", n);
	return p;
}

void *
xcalloc(size_t n, size_t sz)
{
	void *p = calloc(n ? n : 1, sz ? sz : 1);

	if (p == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", n, sz);
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t sz)
{
	if (sz != 0 && n > SIZE_MAX / sz)
		fatalx("allocation overflow: %zu x %zu", n, sz);
	p = realloc(p, (n != 0 && sz != 0) ? n * sz : 1);
	if (p == NULL)
		fatalx("out of memory allocating %zu x %zu bytes", n, sz);
	return p;
}

/* One mapping of an arena.  On a virtual machine the first touch of a
 * page costs microseconds in the page tables, even for a page the
 * kernel already mapped (MADV_POPULATE_WRITE, MAP_POPULATE): at a
 * thousand groups, thousands of pages.  So a large arena asks for
 * transparent huge pages, 2 MiB a fault, and a small one has its pages
 * mapped a stretch ahead of use, which saves the guest's own faults.  A
 * kernel without one or the other says EINVAL and the pages fault in as
 * they are touched: slower, never wrong. */
struct arena {
	struct arena *next;
	size_t      len;            /* of the mapping */
	size_t      used;           /* bytes handed out, header included */
	size_t      ready;          /* bytes populated */
};

#define ARENA_CHUNK  ((size_t)1 << 20)
#define ARENA_HUGE   ((size_t)2 << 20)
#define ARENA_AHEAD  ((size_t)128 << 10)
#define ARENA_ALIGN  16
_Static_assert(sizeof(struct arena) % ARENA_ALIGN == 0,
    "what follows the header is aligned");

static size_t
round_up(size_t n, size_t to)
{
	if (n > SIZE_MAX - to)
		fatalx("allocation overflow: %zu bytes", n);
	return (n + to - 1) & ~(to - 1);
}

/* A new first chunk of at least n bytes after its header. */
static void
arena_chunk(struct arena **ap, size_t n)
{
	size_t page = (size_t)sysconf(_SC_PAGESIZE), map, lead;
	struct arena *a;
	char *p;
	int huge;

	n = round_up(n, page);
	huge = n >= ARENA_HUGE;
	if (huge) {
		/* Aligned to a huge page, the slack on either side given
		 * back. */
		map = round_up(n + sizeof *a, ARENA_HUGE);
		p = mmap(NULL, map + ARENA_HUGE, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			fatalx("out of memory mapping %zu bytes", map);
		lead = round_up((size_t)(uintptr_t)p, ARENA_HUGE) -
		    (size_t)(uintptr_t)p;
		if (lead > 0)
			munmap(p, lead);
		munmap(p + lead + map, ARENA_HUGE - lead);
		p += lead;
		(void)madvise(p, map, MADV_HUGEPAGE);
		(void)madvise(p, map, MADV_POPULATE_WRITE);
	} else {
		map = n + sizeof *a > ARENA_CHUNK ? round_up(n + sizeof *a,
		    page) : ARENA_CHUNK;
		p = mmap(NULL, map, PROT_READ | PROT_WRITE, MAP_PRIVATE |
		    MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
		if (p == MAP_FAILED)
			fatalx("out of memory mapping %zu bytes", map);
	}
	/* Anonymous pages come zeroed: calloc's promise, kept. */
	a = (struct arena *)p;
	a->next = *ap;
	a->len = map;
	a->used = sizeof *a;
	a->ready = huge ? map : page;
	*ap = a;
}

void
arena_reserve(struct arena **ap, size_t n)
{
	if (*ap == NULL || (*ap)->len - (*ap)->used < n)
		arena_chunk(ap, n);
}

void *
arena_calloc(struct arena **ap, size_t n, size_t sz)
{
	struct arena *a;
	size_t len, page, to;
	void *p;

	if (sz != 0 && n > (SIZE_MAX / 2) / sz)
		fatalx("allocation overflow: %zu x %zu", n, sz);
	len = round_up(n * sz != 0 ? n * sz : 1, ARENA_ALIGN);
	arena_reserve(ap, len);
	a = *ap;
	p = (char *)a + a->used;
	a->used += len;
	if (a->used > a->ready) {
		page = (size_t)sysconf(_SC_PAGESIZE);
		to = round_up(a->used + ARENA_AHEAD, page);
		if (to > a->len)
			to = a->len;
		(void)madvise((char *)a + a->ready, to - a->ready,
		    MADV_POPULATE_WRITE);
		a->ready = to;
	}
	return p;
}

void
arena_free(struct arena *a)
{
	struct arena *next;

	for (; a != NULL; a = next) {
		next = a->next;
		munmap(a, a->len);
	}
}

char *
xstrdup(const char *s)
{
	return xstrndup(s, strlen(s));
}

char *
xstrndup(const char *s, size_t n)
{
	char *p = xmalloc(n + 1);

	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int buf_vaddf(struct buf *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));


void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->full = 0;
}

/* Room for extra more bytes and the NUL, or -1 when that passes max. */
static int
buf_grow(struct buf *b, size_t extra)
{
	size_t want;

	if (b->full || extra > b->max - b->len) {
		if (b->max == BUF_OWN)
			fatalx("buffer of convened's own text over %zu bytes",
			    b->max);
		b->full = 1;
		return -1;
	}
	want = b->len + extra + 1;
	if (want <= b->cap)
		return 0;
	if (b->cap == 0)
		b->cap = 64;
	while (b->cap < want)
		b->cap = b->cap > SIZE_MAX / 2 ? want : b->cap * 2;
	b->data = xreallocarray(b->data, b->cap, 1);
	/* A string from its first allocation on: buf_read() of an empty
	 * file allocates and adds nothing. */
	b->data[b->len] = '\0';
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_grow(b, n) == -1)
		return -1;
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

static int
buf_vaddf(struct buf *b, const char *fmt, va_list ap)
{
	va_list again;
	int n;

	va_copy(again, ap);
	n = vsnprintf(NULL, 0, fmt, ap);
	if (n < 0)
		fatalx("buf_addf: bad format");
	if (buf_grow(b, (size_t)n) == -1) {
		va_end(again);
		return -1;
	}
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, again);
	va_end(again);
	b->len += (size_t)n;
	return 0;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	struct buf b = BUF_INIT(BUF_OWN);

	buf_vaddf(&b, fmt, ap);
	return buf_detach(&b);
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *r;

	va_start(ap, fmt);
	r = xvasprintf(fmt, ap);
	va_end(ap);
	return r;
}

int
buf_addf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

int
buf_full(const struct buf *b)
{
	return b->full;
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	b->full = 0;
	if (b->data)
		b->data[0] = '\0';
}

char *
buf_detach(struct buf *b)
{
	char *p = b->data ? b->data : xstrdup("");

	buf_init(b, b->max);
	return p;
}

void
buf_release(struct buf *b)
{
	free(b->data);
	buf_init(b, b->max);
}

const char *
buf_str(const struct buf *b)
{
	return b->data ? b->data : "";
}

int
buf_read(struct buf *b, int fd)
{
	char probe;
	size_t room;
	ssize_t got;

	for (;;) {
		/* Read straight into the buffer, never past max; one byte
		 * more tells a file that fills it from one that is longer. */
		room = b->max - b->len < 65536 ? b->max - b->len : 65536;
		if (room == 0) {
			while ((got = read(fd, &probe, 1)) == -1 && errno == EINTR)
				;
			if (got == 0)
				return 0;
			if (got > 0) {
				b->full = 1;
				errno = EFBIG;
			}
			return -1;
		}
		if (buf_grow(b, room) == -1)
			return -1;
		if ((got = read(fd, b->data + b->len, room)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (got == 0)
			return 0;
		b->len += (size_t)got;
		b->data[b->len] = '\0';
	}
}

void
sha256_hex(const void *data, size_t len, char out[65])
{
	GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);

	g_checksum_update(c, data, (gssize)len);
	snprintf(out, 65, "%s", g_checksum_get_string(c));
	g_checksum_free(c);
}

static int
write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	ssize_t w;

	while (len > 0) {
		if ((w = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

/* The temporary file of mode mode (fchmod: the umask does not narrow
 * it, nor widen a secret's). */
static int
write_temp_sync(int dirfd, const void *data, size_t len, int mode, int sync,
    char tmp[FILE_TMP_MAX], char **err)
{
	static unsigned long seq;
	int fd, e;

	snprintf(tmp, FILE_TMP_MAX, ".tmp.%ld.%lu", (long)getpid(), ++seq);
	fd = openat(dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode == 0640 ? 0640 : 0600);
	if (fd == -1) {
		e = errno;
		*err = xasprintf("cannot create %s: %s", tmp, strerror(e));
		goto fail;
	}
	/* The umask (077) took the group's bits away: give the mode back. */
	if (fchmod(fd, (mode_t)mode) == -1) {
		e = errno;
		*err = xasprintf("cannot set the mode of %s: %s", tmp,
		    strerror(e));
		close(fd);
		goto unlink;
	}
	if (write_all(fd, data, len) == -1 || (sync && fsync(fd) == -1)) {
		e = errno;
		*err = xasprintf("cannot write %s: %s", tmp, strerror(e));
		close(fd);
		goto unlink;
	}
	if (close(fd) == -1) {
		e = errno;
		*err = xasprintf("cannot write %s: %s", tmp, strerror(e));
		goto unlink;
	}
	return 0;
unlink:
	unlinkat(dirfd, tmp, 0);
fail:
	errno = e;
	return -1;
}

static int
write_temp_mode(int dirfd, const void *data, size_t len, int mode,
    char tmp[FILE_TMP_MAX], char **err)
{
	return write_temp_sync(dirfd, data, len, mode, 1, tmp, err);
}

int
file_write_temp(int dirfd, const void *data, size_t len,
    char tmp[FILE_TMP_MAX], char **err)
{
	return write_temp_mode(dirfd, data, len, 0640, tmp, err);
}

int
file_write_atomic_mode(int dirfd, const char *name, const void *data,
    size_t len, int mode, char **err)
{
	char tmp[FILE_TMP_MAX];
	int e;

	if (write_temp_mode(dirfd, data, len, mode, tmp, err) == -1)
		return -1;
	if (renameat(dirfd, tmp, dirfd, name) == -1) {
		e = errno;
		*err = xasprintf("cannot rename %s to %s: %s", tmp, name,
		    strerror(e));
		unlinkat(dirfd, tmp, 0);
		errno = e;
		return -1;
	}
	/* The rename itself is durable only once the directory is. */
	if (fsync(dirfd) == -1) {
		e = errno;
		*err = xasprintf("cannot sync the directory of %s: %s", name,
		    strerror(e));
		errno = e;
		return -1;
	}
	return 0;
}

int
file_write_path(const char *path, const void *data, size_t len, int mode,
    char **err)
{
	const char *slash = strrchr(path, '/');
	char *dir, *werr = NULL;
	int dfd, rc;

	dir = slash == NULL ? xstrdup(".") : slash == path ? xstrdup("/") :
	    xstrndup(path, (size_t)(slash - path));
	if ((dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		free(dir);
		return -1;
	}
	rc = file_write_atomic_mode(dfd, slash ? slash + 1 : path, data, len,
	    mode, &werr);
	if (rc == -1) {
		*err = xasprintf("cannot write %s: %s", path, werr);
		free(werr);
	}
	close(dfd);
	free(dir);
	return rc;
}

/* The temporary files of b from the i-th on removed, and b emptied. */
static void
batch_drop(struct file_batch *b, size_t i)
{
	for (; i < b->n; i++)
		unlinkat(b->v[i].dirfd, b->v[i].tmp, 0);
	for (i = 0; i < b->n; i++) {
		close(b->v[i].dirfd);
		free(b->v[i].name);
	}
	b->n = 0;
}

int
file_batch_add(struct file_batch *b, int dirfd, const char *name,
    const void *data, size_t len, char **err)
{
	struct file_batch_one *o;
	int e;

	if (b->n == FILE_BATCH_MAX && file_batch_commit(b, err) == -1)
		return -1;
	o = &b->v[b->n];
	if ((o->dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0)) == -1) {
		e = errno;
		*err = xasprintf("cannot write %s: %s", name, strerror(e));
		errno = e;
		return -1;
	}
	if (write_temp_sync(dirfd, data, len, 0640, 0, o->tmp, err) == -1) {
		e = errno;
		close(o->dirfd);
		errno = e;
		return -1;
	}
	o->name = xstrdup(name);
	b->n++;
	return 0;
}

/* Each file system the files of b are on synced: -1 with the index of
 * the file whose failed in *at. */
static int
batch_sync(const struct file_batch *b, size_t *at)
{
	struct stat sb;
	dev_t seen[4];
	size_t i, j, nseen = 0;

	for (i = 0; i < b->n; i++) {
		if (fstat(b->v[i].dirfd, &sb) == -1)
			goto fail;
		for (j = 0; j < nseen && seen[j] != sb.st_dev; j++)
			;
		if (j < nseen)
			continue;
		if (syncfs(b->v[i].dirfd) == -1)
			goto fail;
		if (nseen < sizeof seen / sizeof seen[0])
			seen[nseen++] = sb.st_dev;
	}
	return 0;
fail:
	*at = i;
	return -1;
}

int
file_batch_commit(struct file_batch *b, char **err)
{
	size_t i;
	int e;

	if (b->n == 0)
		return 0;
	/* The bytes on the disk before any name points to them. */
	if (batch_sync(b, &i) == -1) {
		e = errno;
		*err = xasprintf("cannot sync %s: %s", b->v[i].name,
		    strerror(e));
		batch_drop(b, 0);
		errno = e;
		return -1;
	}
	for (i = 0; i < b->n; i++)
		if (renameat(b->v[i].dirfd, b->v[i].tmp, b->v[i].dirfd,
		    b->v[i].name) == -1) {
			e = errno;
			*err = xasprintf("cannot rename %s to %s: %s",
			    b->v[i].tmp, b->v[i].name, strerror(e));
			batch_drop(b, i);
			errno = e;
			return -1;
		}
	/* The renames, as file_write_atomic's fsync of the directory. */
	if (batch_sync(b, &i) == -1) {
		e = errno;
		*err = xasprintf("cannot sync the directory of %s: %s",
		    b->v[i].name, strerror(e));
		batch_drop(b, b->n);
		errno = e;
		return -1;
	}
	batch_drop(b, b->n);
	return 0;
}

int
file_write_atomic(int dirfd, const char *name, const void *data, size_t len,
    char **err)
{
	return file_write_atomic_mode(dirfd, name, data, len, 0640, err);
}

int
file_mkdirat(int dirfd, const char *name)
{
	int fd, saved;

	if (mkdirat(dirfd, name, 0750) == -1)
		return errno == EEXIST ? 0 : -1;
	/* Through a descriptor, never a link: the mode of what we made. */
	fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);
	if (fd == -1)
		return -1;
	if (fchmod(fd, 0750) == -1) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	close(fd);
	return 1;
}

size_t
str_utf8_len(const char *str, size_t avail)
{
	const unsigned char *s = (const unsigned char *)str;
	uint32_t cp;
	size_t n, i;

	if (avail == 0)
		return 0;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		n = 2, cp = s[0] & 0x1f;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		n = 3, cp = s[0] & 0x0f;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		n = 4, cp = s[0] & 0x07;
	else
		return 0;
	if (n > avail)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

int
str_is_utf8(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	while (*p) {
		if ((n = str_utf8_len((const char *)p, 4)) == 0)
			return 0;
		p += n;
	}
	return 1;
}

void
json_str(struct buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n;

	buf_addc(b, '"');
	while (*p) {
		if (*p == '"' || *p == '\\') {
			buf_addc(b, '\\');
			buf_addc(b, (char)*p++);
		} else if (*p == '\n') {
			buf_adds(b, "\\n"), p++;
		} else if (*p == '\t') {
			buf_adds(b, "\\t"), p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			buf_addf(b, "\\u%04x", *p++);
		} else if ((n = str_utf8_len((const char *)p, 4)) == 0) {
			buf_adds(b, "\\ufffd");
			p++;
		} else {
			buf_add(b, p, n);
			p += n;
		}
	}
	buf_addc(b, '"');
}

void
json_str_or_null(struct buf *b, const char *s)
{
	if (s == NULL)
		buf_adds(b, "null");
	else
		json_str(b, s);
}

void
md_cell(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		if (*s == '|')
			buf_adds(b, "\\|");
		else
			buf_addc(b, *s == '\n' || *s == '\r' ? ' ' : *s);
	}
}

char *
str_trim(char *s)
{
	char *e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

int
str_caseeq(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

int
str_has_ctl(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 1;
	return 0;
}

void
str_lower(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

uint32_t
str_hash32(const char *s)
{
	uint32_t h = 2166136261u;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 16777619u;
	}
	return h;
}

unsigned long long
util_fnv64(unsigned long long h, const void *p, size_t n)
{
	const unsigned char *b = p;

	while (n-- > 0)
		h = (h ^ *b++) * 0x100000001b3ULL;
	return h;
}

void
str_split_list(const char *s, char ***v, size_t *n)
{
	const char *p = s, *comma;
	char *item;

	while (*p) {
		comma = strchr(p, ',');
		item = comma ? xstrndup(p, (size_t)(comma - p)) : xstrdup(p);
		{
			char *t = str_trim(item);

			if (*t != '\0') {
				*v = xreallocarray(*v, *n + 1, sizeof **v);
				(*v)[(*n)++] = xstrdup(t);
			}
		}
		free(item);
		if (comma == NULL)
			break;
		p = comma + 1;
	}
}

void
strv_free(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}
