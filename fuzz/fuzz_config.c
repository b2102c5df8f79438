/* fuzz_config.c: libFuzzer target for the configuration parser.
 *
 * config_load() reads a path and the groups directory beside it, so the
 * input is written to one temporary directory (under $FUZZ_TMPDIR,
 * /dev/shm, $TMPDIR or /tmp; the same paths for every input, removed at
 * exit):
 *
 *	DIR/convened.ini         the global file
 *	DIR/groups.d/g.ini       a group file, when the input has one
 *
 * An input holding the line SEP below is both files: the global file
 * before it, the group file after.  Without it, an input with a [group]
 * section is a group file under a fixed valid global file (so the seeds,
 * the files of config/groups.d read in place, reach the group code), anything
 * else a global file with no group.  A configuration that loads is then
 * used as the daemon uses it: coordination rule, member inheritance, and
 * every series expanded over three years (an RRULE that spins is a
 * timeout, i.e. a bug). */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "ical.h"
#include "util.h"

#define SEP "\n;----8<---- groups.d/g.ini\n"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char global_fixed[] =
    "[daemon]\n"
    "timezone = America/Santiago\n"
    "language = es\n"
    "[organizer]\n"
    "name = Secretaria\n"
    "email = agenda@conferencia.example.org\n"
    "[smtp]\n"
    "url = smtp://127.0.0.1:25\n"
    "tls = none\n"
    "[imap]\n"
    "url = imaps://imap.example.org\n"
    "username = agenda@conferencia.example.org\n"
    "password_file = imap.pass\n"
    "folders = INBOX\n"
    "[policy]\n"
    "annual_quota = 3\n";

static char *dir, *global_path, *group_path, *groups_dir;

static void
cleanup(void)
{
	unlink(group_path);
	rmdir(groups_dir);
	unlink(global_path);
	rmdir(dir);
}

static void
put(const char *path, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		fprintf(stderr, "fuzz_config: %s: %s\n", path, strerror(errno));
		abort();
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0) {
			fprintf(stderr, "fuzz_config: write %s: %s\n", path,
			    strerror(errno));
			abort();
		}
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *base = getenv("FUZZ_TMPDIR");

	(void)argc;
	(void)argv;
	if (base == NULL && access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	if (base == NULL && (base = getenv("TMPDIR")) == NULL)
		base = "/tmp";
	dir = xasprintf("%s/convened-fuzz-config.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "fuzz_config: mkdtemp %s: %s\n", dir,
		    strerror(errno));
		abort();
	}
	global_path = xasprintf("%s/convened.ini", dir);
	groups_dir = xasprintf("%s/groups.d", dir);
	group_path = xasprintf("%s/g.ini", groups_dir);
	if (mkdir(groups_dir, 0700) == -1)
		abort();
	/* A credential name in password_file is checked only under
	 * systemd; keep the run the same wherever it happens. */
	unsetenv("CREDENTIALS_DIRECTORY");
	atexit(cleanup);
	return 0;
}

static int
has_group_section(const char *s, size_t n)
{
	const char *p = s, *end = s + n;

	while (p < end) {
		if ((size_t)(end - p) >= 7 && memcmp(p, "[group]", 7) == 0)
			return 1;
		if ((p = memchr(p, '\n', (size_t)(end - p))) == NULL)
			return 0;
		p++;
	}
	return 0;
}

/* What the daemon does with a loaded configuration, minus the network. */
static void
use(const struct config *cfg)
{
	const long long from = 1577836800LL;    /* 2020-01-01 */
	const long long to = from + 3 * 366 * 86400LL;
	const char *why;
	size_t i, j;

	for (i = 0; i < cfg->ngroups; i++) {
		const struct group *g = &cfg->groups[i];

		(void)config_coordination_ok(g, &why);
		(void)config_group(cfg, g->id);
		for (j = 0; j < g->nmembers; j++) {
			(void)config_member_language(g, &g->members[j]);
			(void)config_member_timezone(g, &g->members[j]);
		}
		for (j = 0; j < g->nseries; j++) {
			const struct series *s = &g->series[j];
			struct ical_occurrence *occ = NULL;
			size_t nocc = 0;
			char *err = NULL;

			if (ical_expand(s->start, s->timezone, s->duration,
			    s->rrule, s->exdate, s->nexdate, from, to, 1000,
			    &occ, &nocc, &err) == -1)
				free(err);
			free(occ);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data, *sep;
	struct config *cfg;
	struct diag d;
	size_t i;

	sep = memmem(s, size, SEP, sizeof SEP - 1);
	if (sep != NULL) {
		put(global_path, s, (size_t)(sep - s) + 1);
		sep += sizeof SEP - 1;
		put(group_path, sep, size - (size_t)(sep - s));
	} else if (has_group_section(s, size)) {
		put(global_path, global_fixed, sizeof global_fixed - 1);
		put(group_path, s, size);
	} else {
		put(global_path, s, size);
		unlink(group_path);
	}

	diag_init(&d);
	cfg = config_load(global_path, &d);
	/* Every problem is one printable "FILE:LINE: message" line. */
	for (i = 0; i < d.n; i++)
		if (d.text[i] == NULL || strchr(d.text[i], '\n') != NULL) {
			fprintf(stderr, "fuzz_config: bad diag %zu\n", i);
			abort();
		}
	if ((cfg == NULL) != (d.nerrors > 0)) {
		fprintf(stderr, "fuzz_config: %zu errors but config %p\n",
		    d.nerrors, (void *)cfg);
		abort();
	}
	if (cfg != NULL) {
		use(cfg);
		config_free(cfg);
	}
	diag_free(&d);
	return 0;
}
