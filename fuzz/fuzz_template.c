/* fuzz_template.c: libFuzzer target for the template renderer.
 *
 * The input is a template file for one kind, picked by the input's
 * length so that mutations visit them all.  A temporary directory (under
 * $FUZZ_TMPDIR, /dev/shm, $TMPDIR or /tmp; removed at exit) holds
 *
 *	local/en/<kind>.txt      the input: the administrator's template
 *	shipped/en/KIND.txt      a minimal valid template of every kind
 *
 * Then, as `convened check` and the daemon do: template_check() on both
 * directories, and template_render() of the kind twice: with hostile
 * values (line breaks, "{{", invalid UTF-8, U+2028, C0 and C1 controls)
 * and with no values at all (every section hidden).  A subject must be one
 * line, subject and body valid UTF-8, and a template that check accepts
 * must render.  (Rendering every kind from one input spends most of the
 * time parsing the same bytes again: ten times fewer executions.) */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "template.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *dir, *local, *langdir, *shipped, *shipdir, *input;
static size_t cur;              /* kind of the file in local/en */
static struct config *cfg;

static const char *const names[] = {
	"member_name", "member_email", "group_name", "group_id", "summary",
	"kind", "openness", "date", "when_member", "when_meeting",
	"member_timezone", "meeting_timezone", "duration", "location",
	"organizer_name", "organizer_email", "agenda", "sequence",
	"deadline", "tag", "files", "sender_name", "attendee_name",
	"attendee_email", "proposed_when", "comment", "address",
	"address_name", "reason"
};
#define NNAMES (sizeof names / sizeof names[0])

static const char *const values[] = {
	"Ana Pérez", "line one\r\nline two\rthree\nfour",
	"{{summary}} {{#agenda}}x{{/agenda}}", "\xff\xfe invalid \xc3",
	"sep\xe2\x80\xa8par\xe2\x80\xa9", "tab\there\x01\x1f\x7f",
	"c1 \xc2\x85\xc2\x9b", "", "   ", "\xed\xa0\x80 surrogate",
	"\xf4\x90\x80\x80 too high", "\xe0\x80\xaf overlong",
};
#define NVALUES (sizeof values / sizeof values[0])

static size_t nkinds;

static void put(const char *, const void *, size_t);

static char *
kind_path(const char *d, size_t k)
{
	return xasprintf("%s/%s.txt", d, template_kinds[k]);
}

static void
cleanup(void)
{
	char *p;
	size_t k;

	for (k = 0; k < nkinds; k++) {
		p = kind_path(shipdir, k);
		unlink(p);
		free(p);
	}
	unlink(input);
	rmdir(langdir);
	rmdir(local);
	rmdir(shipdir);
	rmdir(shipped);
	rmdir(dir);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char minimal[] = "Subject: {{group_id}}\n\nx\n";
	const char *base = getenv("FUZZ_TMPDIR");
	char *p;
	size_t k;

	(void)argc;
	(void)argv;
	if (base == NULL && access("/dev/shm", W_OK) == 0)
		base = "/dev/shm";
	if (base == NULL && (base = getenv("TMPDIR")) == NULL)
		base = "/tmp";
	dir = xasprintf("%s/convened-fuzz-template.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		fprintf(stderr, "fuzz_template: mkdtemp %s: %s\n", dir,
		    strerror(errno));
		abort();
	}
	local = xasprintf("%s/local", dir);
	langdir = xasprintf("%s/en", local);
	shipped = xasprintf("%s/shipped", dir);
	shipdir = xasprintf("%s/en", shipped);
	if (mkdir(local, 0700) == -1 || mkdir(langdir, 0700) == -1 ||
	    mkdir(shipped, 0700) == -1 || mkdir(shipdir, 0700) == -1)
		abort();
	for (nkinds = 0; template_kinds[nkinds] != NULL; nkinds++) {
		p = kind_path(shipdir, nkinds);
		put(p, minimal, sizeof minimal - 1);
		free(p);
	}
	k = cur = 0;
	input = kind_path(langdir, k);
	atexit(cleanup);

	/* Built by hand, as the daemon's loader would leave it. */
	cfg = xcalloc(1, sizeof *cfg);
	cfg->templates = xstrdup(shipped);
	cfg->templates_local = xstrdup(local);
	cfg->language = xstrdup("en");
	return 0;
}

static void
put(const char *path, const void *data, size_t len)
{
	const char *p = data;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC,
	    0600)) == -1) {
		fprintf(stderr, "fuzz_template: %s: %s\n", path,
		    strerror(errno));
		abort();
	}
	while (len > 0) {
		if ((n = write(fd, p, len)) <= 0)
			abort();
		p += n;
		len -= (size_t)n;
	}
	close(fd);
}

static int
render(const char *kind, const struct tvar *vars, size_t nvars)
{
	static const char *const langs[] = { "fr", "en" };
	char *subject = NULL, *body = NULL, *err = NULL;

	if (template_render(cfg, langs, 2, kind, vars, nvars, &subject,
	    &body, &err) == -1) {
		if (err == NULL || strchr(err, '\n') != NULL) {
			fprintf(stderr, "template_render: bad error\n");
			abort();
		}
		free(err);
		return -1;
	}
	if (subject == NULL || body == NULL ||
	    strpbrk(subject, "\r\n") != NULL || !str_is_utf8(subject) ||
	    !str_is_utf8(body)) {
		fprintf(stderr, "template_render %s: subject '%s' body '%s'\n",
		    kind, subject ? subject : "(null)", body ? body : "(null)");
		abort();
	}
	free(subject);
	free(body);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tvar vars[NNAMES];
	struct diag d;
	size_t i, k = size % nkinds;
	int ok;

	if (k != cur) {
		unlink(input);
		free(input);
		input = kind_path(langdir, k);
		cur = k;
	}
	put(input, data, size);
	for (i = 0; i < NNAMES; i++) {
		vars[i].name = names[i];
		/* Which value goes where depends on the input, so that
		 * every value meets every tag over a run. */
		vars[i].value = values[(i + size / nkinds) % NVALUES];
	}

	diag_init(&d);
	template_check(cfg, &d);
	ok = d.nerrors == 0;
	diag_free(&d);
	if (render(template_kinds[k], vars, NNAMES) == -1 && ok) {
		fprintf(stderr, "template_check accepts what template_render "
		    "refuses (%s)\n", template_kinds[k]);
		abort();
	}
	(void)render(template_kinds[k], NULL, 0);
	return 0;
}
