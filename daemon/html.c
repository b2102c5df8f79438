/*
 * html.c: escaping, SVG bar charts and the experiences record (html.h).
 */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "html.h"
#include "util.h"

#define EXPERIENCES_MAX ((size_t)4 << 20)

/* Chart geometry, in SVG user units (pixels at 100%). */
#define CHART_W      640
#define LABEL_W      250
#define VALUE_W       80
#define BAR_H         18
#define ROW_H         26
#define TOP           8
#define LABEL_CHARS   30

void
html_esc(struct buf *b, const char *s)
{
	for (; s != NULL && *s != '\0'; s++) {
		switch (*s) {
		case '&':
			buf_adds(b, "&amp;");
			break;
		case '<':
			buf_adds(b, "&lt;");
			break;
		case '>':
			buf_adds(b, "&gt;");
			break;
		case '"':
			buf_adds(b, "&quot;");
			break;
		case '\'':
			buf_adds(b, "&#39;");
			break;
		default:
			if ((unsigned char)*s >= 0x20 && *s != 0x7f)
				buf_addc(b, *s);
			else if (*s == '\t' || *s == '\n')
				buf_addc(b, ' ');
		}
	}
}

/* label, cut to LABEL_CHARS characters (an ellipsis then), escaped. */
static void
short_label(struct buf *b, const char *s)
{
	struct buf cut = BUF_INIT(BUF_OWN);
	size_t chars = 0, n;

	while (s != NULL && *s != '\0' && chars < LABEL_CHARS) {
		n = str_utf8_len(s, strlen(s));
		if (n == 0)
			n = 1;
		buf_add(&cut, s, n);
		s += n;
		chars++;
	}
	if (s != NULL && *s != '\0')
		buf_adds(&cut, "…");
	html_esc(b, buf_str(&cut));
	buf_release(&cut);
}

/* A number as people write it: no decimals when it has none. */
static void
number(struct buf *b, double v, const char *unit)
{
	if (v == (double)(long long)v)
		buf_addf(b, "%lld%s", (long long)v, unit);
	else
		buf_addf(b, "%.1f%s", v, unit);
}

static void
bar_row(struct buf *b, const struct html_bar *x, size_t i, double max,
    const char *unit)
{
	double w = CHART_W - LABEL_W - VALUE_W;
	int y = TOP + (int)i * ROW_H, len, at;

	len = (int)(x->value > 0 ? x->value / max * w + 0.5 : 0);
	buf_addf(b, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">",
	    LABEL_W - 6, y + BAR_H - 4);
	short_label(b, x->label);
	buf_addf(b, "</text>\n<rect x=\"%d\" y=\"%d\" width=\"%d\" "
	    "height=\"%d\" fill=\"#777\" stroke=\"#000\"/>\n", LABEL_W, y,
	    len, BAR_H);
	if (x->target >= 0) {
		at = LABEL_W + (int)(x->target / max * w + 0.5);
		buf_addf(b, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" "
		    "stroke=\"#000\" stroke-width=\"4\"/>\n", at, y - 3, at,
		    y + BAR_H + 3);
	}
	buf_addf(b, "<text x=\"%d\" y=\"%d\">", LABEL_W + len + 6,
	    y + BAR_H - 4);
	number(b, x->value, unit);
	if (x->target >= 0) {
		buf_adds(b, " / ");
		number(b, x->target, unit);
	}
	buf_adds(b, "</text>\n");
}

void
html_bars(struct buf *b, const char *title, const struct html_bar *bars,
    size_t n, const char *unit)
{
	double max = 0;
	size_t i;
	int h = TOP * 2 + (int)(n ? n : 1) * ROW_H;

	for (i = 0; i < n; i++) {
		if (bars[i].value > max)
			max = bars[i].value;
		if (bars[i].target > max)
			max = bars[i].target;
	}
	if (max <= 0)
		max = 1;
	buf_addf(b, "<svg class=\"chart\" xmlns=\"http://www.w3.org/2000/svg\" "
	    "width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" "
	    "aria-label=\"", CHART_W, h, CHART_W, h);
	html_esc(b, title);
	buf_adds(b, "\">\n<title>");
	html_esc(b, title);
	buf_adds(b, "</title>\n");
	if (n == 0)
		buf_addf(b, "<text x=\"%d\" y=\"%d\">—</text>\n", LABEL_W,
		    TOP + BAR_H - 4);
	for (i = 0; i < n; i++)
		bar_row(b, &bars[i], i, max, unit);
	buf_addf(b, "<line x1=\"%d\" y1=\"0\" x2=\"%d\" y2=\"%d\" "
	    "stroke=\"#000\"/>\n</svg>\n", LABEL_W, LABEL_W, h);
}

/* ---- experiences (issue 15's record) ---- */

static char *
member_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);

	return json_is_string(v) ? xstrdup(json_string_value(v)) : NULL;
}

/* The strings of o's array key (others in it left out), NULL-terminated;
 * an empty array when key is none. */
static char **
member_strs(json_t *o, const char *key)
{
	json_t *a = json_object_get(o, key), *f;
	char **v = xcalloc(json_is_array(a) ? json_array_size(a) + 1 : 1,
	    sizeof *v);
	size_t i, k = 0;

	if (json_is_array(a))
		json_array_foreach(a, i, f)
			if (json_is_string(f))
				v[k++] = xstrdup(json_string_value(f));
	return v;
}

int
html_experiences(const char *repository, const char *group_id,
    struct html_experience **out, size_t *n, char **err)
{
	struct stat sb;
	json_error_t jerr;
	json_t *root, *list, *e;
	struct html_experience *v;
	char *path;
	size_t i, k = 0;

	*out = NULL;
	*n = 0;
	path = xasprintf("%s/%s/experiences.json", repository, group_id);
	if (lstat(path, &sb) == -1) {
		int saved = errno;

		if (saved != ENOENT)
			*err = xasprintf("cannot read %s: %s", path,
			    strerror(saved));
		free(path);
		return saved == ENOENT ? 0 : -1;
	}
	if (!S_ISREG(sb.st_mode) || (size_t)sb.st_size > EXPERIENCES_MAX) {
		*err = xasprintf("cannot read %s: not a plain file of at most "
		    "%zu bytes", path, EXPERIENCES_MAX);
		free(path);
		return -1;
	}
	root = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
	if (root == NULL) {
		*err = xasprintf("cannot read %s:%d: %s", path, jerr.line,
		    jerr.text);
		free(path);
		return -1;
	}
	list = json_is_array(root) ? root : json_object_get(root,
	    "experiences");
	if (!json_is_array(list)) {
		*err = xasprintf("cannot read %s: not an array of experiences",
		    path);
		json_decref(root);
		free(path);
		return -1;
	}
	v = xcalloc(json_array_size(list) + 1, sizeof *v);
	json_array_foreach(list, i, e) {
		if (!json_is_object(e))
			continue;
		v[k].date = member_str(e, "date");
		v[k].meeting = member_str(e, "meeting");
		v[k].country = member_str(e, "country");
		v[k].presenter = member_str(e, "presenter");
		v[k].title = member_str(e, "title");
		v[k].files = member_strs(e, "files");
		k++;
	}
	json_decref(root);
	free(path);
	*out = v;
	*n = k;
	return 0;
}

void
html_experiences_free(struct html_experience *v, size_t n)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		free(v[i].date);
		free(v[i].meeting);
		free(v[i].country);
		free(v[i].presenter);
		free(v[i].title);
		for (j = 0; v[i].files[j] != NULL; j++)
			free(v[i].files[j]);
		free(v[i].files);
	}
	free(v);
}
