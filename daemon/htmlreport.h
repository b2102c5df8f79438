/* htmlreport.h: the annual report as one self-contained HTML file
 * (report --format html): no script, no file beside it, the style inline.
 *
 * The same figures as the md report (quota.h): a summary table, then
 * three charts drawn by convened as inline SVG (html.h), each followed by
 * a table of its numbers:
 *  - meetings held against the quota, per group;
 *  - attendance per meeting held (accepted / invited);
 *  - experiences presented, per country, from issue 15's record
 *    <repository>/<group>/experiences.json (html.h), the year's by their
 *    date; "no experiences recorded" while there is none. */
#ifndef CONVENED_HTMLREPORT_H
#define CONVENED_HTMLREPORT_H

#include <stdio.h>

struct config;
struct store;

/* Write the report of `year` as seen at `now` to fp.  0, or -1 with *err
 * set (caller frees). */
int htmlreport_write(FILE *, const struct config *, struct store *,
        long long now, int year, char **err);

#endif
