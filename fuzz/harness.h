/* harness.h: what each libFuzzer target does with one input, in one place
 * for the targets (fuzz/fuzz_<name>.c) and for tests/unit/test_regress.c,
 * which replays every input they once found the same way.
 *
 * A target's one() takes an input as libFuzzer gives it (size bytes, no
 * NUL after them), feeds it to the daemon's code as the target's comment
 * below says, and returns NULL when every result was sane, else one line
 * saying what was not (static storage, good until the next call): the
 * fuzzer abort()s on it so that libFuzzer keeps the input, test_regress
 * fails.  What is not the input's fault (a temporary directory or file
 * that cannot be made) aborts at once: neither caller can go on. */
#ifndef CONVENED_HARNESS_H
#define CONVENED_HARNESS_H

#include <stddef.h>

struct verdict;

/* A target: init() makes what its inputs need (a temporary directory with
 * its files, under $FUZZ_TMPDIR, /dev/shm, $TMPDIR or /tmp) and returns it,
 * one() runs one input, done() removes and frees what init() made.
 * fuzz/entry.c turns one into a libFuzzer program: fuzz_<name>. */
struct harness_target {
	const char  *name;
	void        *(*init)(void);
	const char  *(*one)(void *state, const char *data, size_t size);
	void         (*done)(void *state);
};

/* classify: one raw message (or a bare .ics) through classify() and
 * verdict_json(), as `convened inspect` does.  The verdict must be one of
 * the kinds, its JSON one object on one line of valid UTF-8 without a raw
 * control character. */
extern const struct harness_target harness_classify;

/* The same for one input, the verdict kept in *out (verdict_free) when
 * out is not NULL. */
const char *harness_classify_one(const char *data, size_t size,
    struct verdict **out);

/* config: config_load() reads a path and the groups directory beside it,
 * so the input becomes files in the target's directory:
 *	DIR/convened.ini         the global file
 *	DIR/groups.d/g.ini       a group file, when the input has one
 * An input holding the line HARNESS_CONFIG_SEP is both: the global file
 * before it, the group file after.  Without it, an input with a [group]
 * line is a group file under a fixed valid global file (so that group
 * files read in place reach the group code), anything else a global file
 * with no group.  Every problem must be one "FILE:LINE: message" line, and
 * the configuration NULL exactly when there are errors.  A configuration
 * that loads is then used as the daemon uses it: coordination rule, member
 * inheritance, every series expanded over three years (an RRULE that spins
 * is a timeout, i.e. a bug). */
#define HARNESS_CONFIG_SEP "\n;----8<---- groups.d/g.ini\n"
extern const struct harness_target harness_config;

/* template: the input is the administrator's template of one kind, picked
 * by the input's length so that mutations visit them all:
 *	DIR/local/en/<kind>.txt      the input
 *	DIR/shipped/en/<KIND>.txt    a minimal valid template of every kind
 * Then, as `convened check` and the daemon do: template_check() on both
 * directories, and template_render() of the kind twice: every tag the input
 * names gets a hostile value (line breaks, "{{", invalid UTF-8, U+2028, C0
 * and C1 controls; which value goes where depends on the length too), then
 * no value at all (every section hidden).  A subject must be one line,
 * subject and body valid UTF-8, a refusal one line, and a template that
 * check accepts must render.  (One kind per input: rendering every kind
 * would spend most of the time parsing the same bytes again.) */
extern const struct harness_target harness_template;

/* Remove dir and everything under it, links not followed (the targets'
 * temporary directories; the tests' too, through testlib): 0, or -1 when
 * something could not be removed. */
int harness_rmtree(const char *dir);

#endif
