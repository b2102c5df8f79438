/* util.h: allocation that dies on OOM, a growable buffer with a maximum,
 * SHA-256, files written whole or not at all, JSON output, small string
 * helpers.
 *
 * Ownership: x*alloc/xstrdup/xasprintf return memory the caller frees.
 * struct buf owns its data until buf_detach() hands it to the caller. */
#ifndef CONVENED_UTIL_H
#define CONVENED_UTIL_H

#include <pthread.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DAY 86400LL             /* seconds; civil days are ical.h's */

/* A thread running fn(arg) with every signal blocked, so that signals
 * reach the main thread, whose handlers only set flags.  Aborts when it
 * cannot be started, as an allocation that fails does. */
void  xthread(pthread_t *, void *(*fn)(void *), void *arg);

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);

/* Memory handed out in order and given back all at once: for the many
 * small arrays of data that live and die together (the groups taken
 * from the cache), where malloc's bookkeeping and a page fault per
 * page were most of the cost. */
struct arena;
void  arena_reserve(struct arena **, size_t);
void *arena_calloc(struct arena **, size_t, size_t);
void  arena_free(struct arena *);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));
char *xvasprintf(const char *, va_list) __attribute__((format(printf, 1, 0)));

/* A growable buffer with a maximum (curl's dynbuf): the cap belongs to
 * the buffer, set when it is initialised, not to each place that adds.
 *
 * An add that would take len past max adds nothing and returns -1: the
 * buffer keeps what it held, and every later add fails too until
 * buf_reset() or buf_release(), so what it holds is always a prefix of
 * what was added.  A caller checks each add, or builds a whole text and
 * checks buf_full() once.  Adds return 0 otherwise; running out of memory
 * aborts (xmalloc).
 *
 * A buffer fed from outside (a peer, a file) gets the size of what it may
 * hold.  One that holds text convened writes itself from parts already
 * bounded (a composed message, a report, JSON) gets BUF_OWN: passing it is
 * a bug, not an input, and aborts like running out of memory, so those
 * builders need no checks.  data is NUL-terminated once anything was
 * added; buf_str() gives "" before that. */
struct buf {
	char   *data;
	size_t  len;
	size_t  cap;    /* bytes allocated */
	size_t  max;    /* len never passes it */
	int     full;   /* an add failed: the next ones fail too */
};
#define BUF_OWN ((size_t)1 << 30)
#define BUF_INIT(max) { NULL, 0, 0, (max), 0 }

void  buf_init(struct buf *, size_t max);
int   buf_add(struct buf *, const void *, size_t);
int   buf_adds(struct buf *, const char *);
int   buf_addc(struct buf *, char);
int   buf_addf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
int   buf_full(const struct buf *);     /* an add has failed since reset */
void  buf_reset(struct buf *);          /* empty, adds work again; keeps
                                         * storage and max */
char *buf_detach(struct buf *);         /* caller frees; buf is empty after */
void  buf_release(struct buf *);        /* free; buf is empty, max kept */
const char *buf_str(const struct buf *); /* "" when empty */

/* Append what fd holds, to its end (EINTR retried).  0, or -1 with errno
 * set: EFBIG when there is more than the buffer's max allows (it then
 * holds exactly max bytes, the file's first ones when it was empty),
 * else the read's error. */
int   buf_read(struct buf *, int fd);

/* Lower-case hex SHA-256 of data (64 digits and a NUL). */
void  sha256_hex(const void *data, size_t len, char out[65]);

/* Files that are there whole or not at all (isync, OpenSMTPD's queue):
 * the bytes go to a temporary file in the same directory, created with
 * O_EXCL, never through a link, mode 0640 whatever the umask, and
 * synced; only then does the file get its name.  *err (caller frees)
 * names what failed, and errno is the failing call's; a failure leaves no
 * temporary file behind. */
#define FILE_TMP_MAX 48
/* Write data to a temporary file in dirfd: 0 with its name in tmp, -1. */
int   file_write_temp(int dirfd, const void *data, size_t len,
          char tmp[FILE_TMP_MAX], char **err);
/* Write data as dirfd/name, replacing any file of that name, and sync
 * the directory: 0 or -1. */
int   file_write_atomic(int dirfd, const char *name, const void *data,
          size_t len, char **err);
/* The same with the file's mode set to mode whatever the umask: 0600 for
 * a secret, 0644 for what another user's program reads. */
int   file_write_atomic_mode(int dirfd, const char *name, const void *data,
          size_t len, int mode, char **err);
/* The same for a path, in the directory it names. */
int   file_write_path(const char *path, const void *data, size_t len,
          int mode, char **err);

/* Many files replaced together with the same promise, for two waits on
 * the disk instead of two per file: each written to its temporary file
 * unsynced (file_batch_add), then one syncfs(2) of their file system,
 * the renames, and another syncfs for the directories
 * (file_batch_commit).  A batch holds a descriptor per file: it commits
 * by itself every FILE_BATCH_MAX files.  Both return 0, or -1 with *err;
 * a failure leaves no temporary file behind, and the files of the batch
 * not yet renamed keep what they had. */
#define FILE_BATCH_MAX 256
struct file_batch {
	struct file_batch_one {
		int   dirfd;            /* a dup() of the caller's */
		char *name;
		char  tmp[FILE_TMP_MAX];
	} v[FILE_BATCH_MAX];
	size_t n;
};
int   file_batch_add(struct file_batch *, int dirfd, const char *name,
          const void *data, size_t len, char **err);
int   file_batch_commit(struct file_batch *, char **err);

/* The repository is for the convened group to read: its files 0640
 * (file_write_temp) and its directories 0750, whatever the umask
 * (convened runs with 077 so that the state db is its own alone).
 * Make directory name below dirfd (AT_FDCWD: name is a path), 0750, its
 * mode set explicitly after the umask; one already there is left as it
 * is.  1 made, 0 already there (of any kind: the caller's openat with
 * O_DIRECTORY | O_NOFOLLOW tells), -1 with errno set. */
int   file_mkdirat(int dirfd, const char *name);

/* JSON: a string value with quotes, every control character and non-ASCII
 * byte sequence that is not valid UTF-8 escaped or replaced. */
void json_str(struct buf *, const char *);
void json_str_or_null(struct buf *, const char *);
/* s (NULL: nothing) as a Markdown table cell: '|' escaped, line ends
 * spaces, so that no text breaks its row. */
void md_cell(struct buf *, const char *s);

/* Small string helpers.  str_trim cuts trailing white space in place and
 * returns a pointer into its argument past the leading white space. */
char *str_trim(char *);
int   str_caseeq(const char *, const char *);
int   str_has_ctl(const char *);        /* any byte < 0x20 or 0x7f */
int   str_is_utf8(const char *);
/* Length of the UTF-8 sequence at s, reading at most avail bytes (a NUL
 * ends it too), or 0 when it is not valid UTF-8: overlong forms,
 * surrogates and values past U+10FFFF included. */
size_t str_utf8_len(const char *s, size_t avail);
void  str_lower(char *);

/* FNV-1a: a short stable tag of a string for Message-IDs (never for
 * anything an attacker could profit from colliding). */
uint32_t str_hash32(const char *);
/* FNV-1a, 64 bits, of n bytes on from h (start with UTIL_FNV64): tells
 * a file that changed from one that did not (config.h's digests). */
#define UTIL_FNV64 0xcbf29ce484222325ULL
unsigned long long util_fnv64(unsigned long long h, const void *, size_t n);

/* A comma-separated list: each item trimmed, empty ones dropped.
 * Appends to *v (count *n); items are the caller's to free. */
void  str_split_list(const char *, char ***v, size_t *n);
void  strv_free(char **, size_t);

#endif
