#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "util.h"

static int log_debug_on;
static int log_prefix;

/* journald sets JOURNAL_STREAM to "dev:ino" of the stream it reads; only
 * then (or when asked) do priority prefixes help rather than clutter. */
static int
stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	struct stat st;
	unsigned long long dev, ino;

	if (getenv("CONVENED_LOG_PREFIX") != NULL)
		return 1;
	if (js == NULL || sscanf(js, "%llu:%llu", &dev, &ino) != 2)
		return 0;
	if (fstat(2, &st) == -1)
		return 0;
	return (unsigned long long)st.st_dev == dev &&
	    (unsigned long long)st.st_ino == ino;
}

void
log_init(int verbose)
{
	log_debug_on = verbose > 0;
	log_prefix = stderr_is_journal();
}

int
log_verbose(void)
{
	return log_debug_on;
}

static void log_emit(enum log_level, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
log_emit(enum log_level lvl, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(lvl, fmt, ap);
	va_end(ap);
}

void
log_vmsg(enum log_level lvl, const char *fmt, va_list ap)
{
	char line[4096];
	int saved = errno;
	size_t i;

	if (lvl == LOG_LVL_DEBUG && !log_debug_on)
		return;
	vsnprintf(line, sizeof line, fmt, ap);
	/* One event, one line, readable: a CR or LF from a peer must not
	 * forge a line, nor its other control bytes or broken UTF-8 reach a
	 * terminal or the journal. */
	for (i = 0; line[i] != '\0'; ) {
		size_t n = str_utf8_len(line + i, 4);

		if (line[i] == '\n' || line[i] == '\r' || line[i] == '\t')
			line[i++] = ' ';
		else if ((unsigned char)line[i] < 0x20 || line[i] == 0x7f ||
		    n == 0)
			line[i++] = '?';
		else
			i += n;
	}
	if (log_prefix)
		fprintf(stderr, "<%d>%s\n", (int)lvl, line);
	else
		fprintf(stderr, "convened: %s\n", line);
	errno = saved;
}

static void
log_vwarn_errno(enum log_level lvl, const char *fmt, va_list ap)
{
	char buf[4096];
	int saved = errno;

	vsnprintf(buf, sizeof buf, fmt, ap);
	log_emit(lvl, "%s: %s", buf, strerror(saved));
	errno = saved;
}

#define LOG_FN(name, lvl)                                  \
	void name(const char *fmt, ...)                     \
	{                                                   \
		va_list ap;                                 \
		va_start(ap, fmt);                          \
		log_vmsg(lvl, fmt, ap);                     \
		va_end(ap);                                 \
	}

LOG_FN(log_warnx, LOG_LVL_WARNING)
LOG_FN(log_info, LOG_LVL_INFO)
LOG_FN(log_debug, LOG_LVL_DEBUG)
LOG_FN(log_errx, LOG_LVL_ERR)

void
log_warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwarn_errno(LOG_LVL_WARNING, fmt, ap);
	va_end(ap);
}

void
fatal(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vwarn_errno(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(70);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(LOG_LVL_ERR, fmt, ap);
	va_end(ap);
	exit(70);
}
