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
 * language and time zone, under a Message-ID the inbox recognises in
 * In-Reply-To and References. */
#ifndef CONVENED_AGENDA_H
#define CONVENED_AGENDA_H

struct config;
struct store;

/* One transaction per group.  *queued counts messages put in the outbox.
 * Returns 0, or -1 when the store failed (*err set, caller frees); a
 * group whose templates fail is rolled back, logged, and skipped. */
int agenda_run(const struct config *, struct store *, long long now,
        int *queued, char **err);

#endif
