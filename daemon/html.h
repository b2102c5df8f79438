/* html.h: what the public site (site.h) and the HTML annual report
 * (report --format html) share: escaping, bar charts drawn as inline SVG,
 * and the experiences record of a group.
 *
 * Charts are text convened writes itself (no script, no external file):
 * horizontal bars, each with its number written beside it, and a target
 * (a quota) drawn as a thick black mark with a dashed guide, so that a
 * chart printed in black and white reads the same.  Every chart has a
 * <title> and a <desc> for screen readers; the numbers are in a table
 * beside it too (the caller's).  The page's style sheet sets the chart's
 * font ("svg.chart { font: ... }"): tidy takes presentation attributes on
 * <svg> for proprietary ones. */
#ifndef CONVENED_HTML_H
#define CONVENED_HTML_H

#include <stddef.h>

#include "util.h"

/* Text into HTML content or a quoted attribute: & < > " ' escaped,
 * control characters (but tab and newline) dropped.  NULL adds nothing. */
void html_esc(struct buf *, const char *);

/* One bar: label (text), value, and target (< 0: none). */
struct html_bar {
	const char *label;
	double      value;
	double      target;
};

/* A chart of n bars (n may be 0: a chart saying "no data" is drawn).
 * title names it (in <title> and aria-label); unit follows each value
 * ("%" for rates, "" for counts).  Appended to b. */
void html_bars(struct buf *b, const char *title, const struct html_bar *bars,
        size_t n, const char *unit);

/* The experiences presented in a group's meetings, as issue 15's record
 * <repository>/<group>/experiences.json holds them: a JSON array (or an
 * object with an "experiences" array) of {"date", "meeting", "country",
 * "presenter", "title", "files"}.  The strings are copies; a value that
 * is absent or not a string is NULL; files is not read. */
struct html_experience {
	char *date, *meeting, *country, *presenter, *title;
	char **files;       /* paths relative to the repository, as
	                     * present.h writes them; NULL-terminated */
};
/* 0 with *out (NULL when none, caller frees with html_experiences_free())
 * and *n; a file that is absent is no experiences (0, n 0); -1 with *err
 * (caller frees) for one that cannot be read or is not that JSON. */
int  html_experiences(const char *repository, const char *group_id,
         struct html_experience **out, size_t *n, char **err);
void html_experiences_free(struct html_experience *, size_t);

#endif
