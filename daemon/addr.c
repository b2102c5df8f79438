#include <ctype.h>
#include <string.h>

#include "addr.h"

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
