/* report.h: what administrators read: `status` now, the annual report
 * later.  Both are views of the configuration and the store; nothing here
 * changes state. */
#ifndef CONVENED_REPORT_H
#define CONVENED_REPORT_H

#include <stdio.h>

struct config;
struct store;

/* Per group (or only `group` when not NULL): the calendar year that `now`
 * falls in, in the group's time zone; quota, held, scheduled, shortfall,
 * coordination rule, bouncing addresses and that year's meetings.  json
 * selects the documented JSON contract, else a table for a terminal.
 * 0, or -1 with *err set (caller frees). */
int report_status(FILE *, const struct config *, struct store *,
        long long now, const char *group, int json, char **err);

#endif
