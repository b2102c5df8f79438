/* log.h: the daemon's one way to speak.
 *
 * Messages go to stderr.  When stderr is the journal (JOURNAL_STREAM matches
 * it) or CONVENED_LOG_PREFIX is set, each line carries a <N> priority prefix
 * that journald understands.  Wording: lowercase, failure first, no period.
 * Every function keeps errno as it found it. */
#ifndef CONVENED_LOG_H
#define CONVENED_LOG_H

#include <stdarg.h>

enum log_level { LOG_LVL_ERR = 3, LOG_LVL_WARNING = 4, LOG_LVL_NOTICE = 5,
                 LOG_LVL_INFO = 6, LOG_LVL_DEBUG = 7 };

/* verbose: 0 info and up, 1 adds debug.  Safe to call again (reload). */
void log_init(int verbose);
int  log_verbose(void);

void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));   /* + strerror */
void log_warnx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_errx(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
void fatalx(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));

void log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
    __attribute__((format(printf, 2, 0)));

#endif
