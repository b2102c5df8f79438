/* fuzz_classify.c: libFuzzer target for the inbound path.
 *
 * One input is one raw message (or a bare .ics), fed to classify() and
 * verdict_json() exactly as `convened inspect` does.  The input is not
 * NUL-terminated: classify() is given len bytes and must not read past
 * them.  The JSON must be one line of valid UTF-8 with no raw control
 * character, as inspect promises; anything else aborts, so libFuzzer
 * keeps the input. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify.h"
#include "util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char msg[] = "From: a@example.org\r\n"
	    "Subject: x\r\n\r\nbody\r\n";
	struct verdict *v;

	(void)argc;
	(void)argv;
	/* GMime and libical keep global state: the first message sets it
	 * up, once, outside any input. */
	classify(msg, sizeof msg - 1, &v);
	verdict_free(v);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct verdict *v = NULL;
	char *json;
	const unsigned char *p;

	if (classify((const char *)data, size, &v) != 0 || v == NULL) {
		fprintf(stderr, "classify: no verdict\n");
		abort();
	}
	if ((unsigned)v->kind > VERDICT_MALFORMED) {
		fprintf(stderr, "classify: kind %d out of range\n", v->kind);
		abort();
	}
	json = verdict_json(v);
	if (json == NULL || json[0] != '{' || json[strlen(json) - 1] != '}' ||
	    !str_is_utf8(json)) {
		fprintf(stderr, "verdict_json: not an object: %s\n",
		    json ? json : "(null)");
		abort();
	}
	for (p = (const unsigned char *)json; *p != '\0'; p++)
		if (*p < 0x20 || *p == 0x7f) {
			fprintf(stderr, "verdict_json: control byte 0x%02x\n",
			    *p);
			abort();
		}
	free(json);
	verdict_free(v);
	return 0;
}
