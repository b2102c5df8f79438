/* util.h: allocation that dies on OOM, a growable buffer, JSON output.
 *
 * Ownership: x*alloc/xstrdup/xasprintf return memory the caller frees.
 * struct buf owns its data until buf_detach() hands it to the caller. */
#ifndef CONVENED_UTIL_H
#define CONVENED_UTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define DAY 86400LL             /* seconds; civil days are ical.h's */

void *xmalloc(size_t);
void *xcalloc(size_t, size_t);
void *xreallocarray(void *, size_t, size_t);
char *xstrdup(const char *);
char *xstrndup(const char *, size_t);
char *xasprintf(const char *, ...) __attribute__((format(printf, 1, 2)));

struct buf {
	char   *data;   /* always NUL-terminated once anything was added */
	size_t  len;
	size_t  cap;
};
#define BUF_INIT { NULL, 0, 0 }

void  buf_init(struct buf *);
void  buf_add(struct buf *, const void *, size_t);
void  buf_adds(struct buf *, const char *);
void  buf_addc(struct buf *, char);
void  buf_addf(struct buf *, const char *, ...) __attribute__((format(printf, 2, 3)));
void  buf_reset(struct buf *);          /* empty, keep storage */
char *buf_detach(struct buf *);         /* caller frees; buf is empty after */
void  buf_release(struct buf *);
const char *buf_str(const struct buf *); /* "" when empty */

/* JSON: a string value with quotes, every control character and non-ASCII
 * byte sequence that is not valid UTF-8 escaped or replaced. */
void json_str(struct buf *, const char *);
void json_str_or_null(struct buf *, const char *);

/* Small string helpers.  str_trim works in place and returns its argument. */
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

/* A comma-separated list: each item trimmed, empty ones dropped.
 * Appends to *v (count *n); items are the caller's to free. */
void  str_split_list(const char *, char ***v, size_t *n);
void  strv_free(char **, size_t);

#endif
