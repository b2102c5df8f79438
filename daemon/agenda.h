/* agenda.h: the mail coordinators get around each meeting.
 *
 *  - agenda_lead_days before it: an agenda request with the draft (the
 *    series' agenda file, or what was sent before); they answer by reply
 *    (inbox.c);
 *  - two days before it, still unconfirmed: one reminder;
 *  - once it has ended: a request for the minutes;
 *  - minutes_grace_days later, still no minutes: one reminder.
 *
 * Each goes once per meeting (the warnings table), in each coordinator's
 * language and time zone (letter.h), under a Message-ID the inbox
 * recognises in In-Reply-To and References (msgid.h). */
#ifndef CONVENED_AGENDA_H
#define CONVENED_AGENDA_H

struct cycle_ctx;
struct group;

/* The mail of g's meetings that is due at c->now (cycle.h's per-group
 * step), each piece once (notice.h).  Adds to c->cs->queued.  0, or -1
 * with *err set (caller frees): a template that will not render, the
 * store. */
int agenda_group(const struct cycle_ctx *c, const struct group *g,
        char **err);

#endif
