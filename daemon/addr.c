#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "util.h"

int
addr_valid(const char *s)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	const char *at, *p;
	size_t label = 0, labels = 0;

	if (s == NULL || (at = strchr(s, '@')) == NULL || at == s ||
	    strlen(s) > 254 || at - s > 64)
		return 0;
	for (p = s; p < at; p++) {
		if (*p == '.') {
			if (p == s || p[1] == '.' || p + 1 == at)
				return 0;
		} else if (!isalnum((unsigned char)*p) && strchr(atext, *p) == NULL)
			return 0;
	}
	/* A second '@' falls out here: it is no LDH character. */
	for (p = at + 1; ; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return 0;
			labels++;
			label = 0;
			if (*p == '\0')
				break;
		} else if (isalnum((unsigned char)*p) || (*p == '-' && label > 0))
			label++;
		else
			return 0;
	}
	return labels >= 2;
}

const char *
addr_domain(const char *s)
{
	const char *at = strrchr(s, '@');

	return at ? at + 1 : s;
}

#define FIELD_MAX 998           /* a header line: longer is no mailbox */

/* Where a character of a From field stands. */
struct scan {
	int depth;                  /* of comments */
	int quoted;                 /* in a quoted-string */
	int angle;                  /* 0 before '<', 1 inside, 2 after '>' */
	int seen_angle;
};

/* Step past c (and its quoted-pair), updating where we are.  Returns 1
 * when c is part of the mailbox's text (not a comment's), -1 with *why
 * for a character that makes the field something else than one
 * mailbox, 0 for a comment's or a delimiter. */
static int
step(struct scan *s, const char **pp, const char **why)
{
	const char *p = *pp;

	if ((*p == '\\') && (s->depth > 0 || s->quoted) && p[1] != '\0') {
		*pp = p + 1;
		return s->depth > 0 ? 0 : 1;
	}
	if (s->depth > 0) {
		s->depth += *p == '(' ? 1 : *p == ')' ? -1 : 0;
		return 0;
	}
	if (s->quoted) {
		s->quoted = *p != '"';
		return 1;
	}
	switch (*p) {
	case '(':
		s->depth = 1;
		return 0;
	case '"':
		s->quoted = 1;
		return 1;
	case ',':
		*why = "more than one mailbox";
		return -1;
	case ':':
	case ';':
		*why = s->angle == 1 ? "a source route" : "a group, no mailbox";
		return -1;
	case '<':
		if (s->seen_angle) {
			*why = "more than one '<'";
			return -1;
		}
		s->angle = s->seen_angle = 1;
		return 0;
	case '>':
		if (s->angle != 1) {
			*why = "'>' without '<'";
			return -1;
		}
		s->angle = 2;
		return 0;
	}
	return 1;
}

int
addr_mailbox(const char *field, char **addr, const char **why)
{
	struct scan s = { 0, 0, 0, 0 };
	char *a, *bare;
	size_t na = 0, nb = 0, i;
	const char *p;
	int r;

	*addr = NULL;
	if (field == NULL || strnlen(field, FIELD_MAX + 1) > FIELD_MAX) {
		*why = field ? "a field too long" : "no field";
		return -1;
	}
	/* The text inside <>, and the whole text outside comments. */
	a = xcalloc(1, strlen(field) + 1);
	bare = xcalloc(1, strlen(field) + 1);
	for (p = field; *p != '\0'; p++) {
		if ((r = step(&s, &p, why)) == -1)
			goto bad;
		if (s.angle == 2 && r == 1 && !isspace((unsigned char)*p)) {
			*why = "text after the address";
			goto bad;
		}
		if (r == 1 && s.angle == 1)
			a[na++] = *p;
		else if (r == 1 && !s.seen_angle)
			bare[nb++] = *p;
		else if (r == 0 && !s.seen_angle && nb > 0)
			bare[nb++] = ' ';       /* a comment separates */
	}
	if (s.depth > 0 || s.quoted || s.angle == 1) {
		*why = "an unclosed comment, quote or '<'";
		goto bad;
	}
	if (!s.seen_angle) {
		free(a);
		a = bare;
		na = nb;
		bare = NULL;
	}
	/* Blanks around the address go; one inside it is no address. */
	while (na > 0 && isspace((unsigned char)a[na - 1]))
		a[--na] = '\0';
	for (i = 0; isspace((unsigned char)a[i]); i++)
		;
	memmove(a, a + i, na - i + 1);
	if (!addr_valid(a)) {
		*why = "not a valid address";
		goto bad;
	}
	for (i = 0; a[i] != '\0'; i++)
		a[i] = (char)tolower((unsigned char)a[i]);
	free(bare);
	*addr = a;
	return 0;
bad:
	free(a);
	free(bare);
	return -1;
}
