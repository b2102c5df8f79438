/* poll.h: scheduling polls (issue 16, item 1): [poll NAME] sections of a
 * group file (config.h), whose members choose among candidate times by
 * mail, and whose chosen time becomes a meeting of the group.
 *
 * A poll is open until 00:00 of the day after `closes`, in the poll's
 * zone (closes is the last day to answer).  For each poll (poll_group(),
 * cycle.h's per-group step):
 *
 *   ballot    while it is open, once to each member (one who joins later
 *             gets theirs at the next cycle): the candidates numbered,
 *             each in the member's zone and language.  Recorded in the
 *             store's warnings (kind "poll-ballot", key "<name> <email>")
 *             in the transaction that queues it;
 *   tally     once it has closed, once, to the coordinators: per
 *             candidate the yes count and the countries (ISO codes of
 *             the members who said yes), and the leading candidate (most
 *             yes; the earliest of those tied).  Kind "poll-tally", key
 *             "<name>";
 *   reminder  POLL_REMINDER_DAYS after it closed and still no candidate
 *             confirmed, once, the same letter again (kind "poll-tally",
 *             the template's `reminder` set; warning key "<name>" of kind
 *             "poll-reminder").
 * None of the three goes once every candidate has started: a poll left
 * in the file after its meeting, or written in after its time, is quiet.
 *
 * A member answers their ballot (its Message-ID, msgid.h: kind
 * poll-ballot, ref the hash of the poll's name) with a first line
 * listing the numbers that suit them ("1, 3", "1 3", "1;3"), or a word
 * for none (none, ninguna, ninguno, nenhuma, nenhum, aucune, aucun);
 * proven as any answer is (trust.h: their reply token for the group, or
 * authentication).  A later answer replaces an earlier one.  An answer
 * that is not one of these (a number out of range, more numbers than
 * candidates, a first line over POLL_LINE_MAX bytes, words) changes
 * nothing and is logged with its Message-ID.  Answers are kept as the
 * candidates' local times, so an edited list of candidates does not
 * shift them onto others.
 *
 * A coordinator answers the tally (or its reminder) with a first line
 * CONFIRM N (CONFIRMAR N, CONFIRMER N), proven as the record is (token
 * and, with authserv_id, authentication; held for confirmation
 * otherwise).  The first candidate confirmed stands: it is kept in the
 * store as its local time, and from then on the group plans it as a
 * meeting (poll_with_chosen(), plan.h): a single-meeting series named as
 * the poll, with the poll's summary, kind, duration, zone and location,
 * invited, updated and cancelled like any other, counted for the quota.
 *
 * The configuration stays the source of what the meeting is: an edited
 * summary, location, duration, kind or zone is an update to everyone
 * invited (the chosen local time read in the new zone); a poll removed
 * from the file takes its meeting with it (a CANCEL, as for a series
 * removed).  An edited list of candidates does not change a choice made. */
#ifndef CONVENED_POLL_H
#define CONVENED_POLL_H

#include <stddef.h>

#include "config.h"

struct buf;
struct cycle_ctx;
struct group;
struct poll;
struct store;

#define POLL_BALLOT         "poll-ballot"
#define POLL_TALLY          "poll-tally"
#define POLL_REMINDER       "poll-reminder"
#define POLL_REMINDER_DAYS  7
#define POLL_LINE_MAX       200 /* bytes of an answer's first line read */

/* The instant poll p closes (00:00 of the day after closes, its zone)
 * into *out: 0, or -1 for a date the configuration would refuse. */
int  poll_closes_at(const struct poll *p, long long *out);

/* The UTC instant of candidate i of p, or -1 when it is not a time. */
long long poll_candidate_utc(const struct poll *p, size_t i);

/* A member's answer: the first line of unquoted (inbox_unquoted()).
 * yes[0..n) is set to 1 for each candidate it names (1-based numbers),
 * 0 for the others.  The number of candidates named (0 for a word of
 * none), or -1 with *why (static) when the line is no answer: empty,
 * longer than POLL_LINE_MAX, a number out of 1..n, more numbers than
 * 2 * n, anything but numbers and separators. */
int  poll_parse_answer(const char *unquoted, size_t n, unsigned char *yes,
         const char **why);

/* A coordinator's CONFIRM N (CONFIRMAR, CONFIRMER; any case) on the
 * first line of unquoted: N when it is one of 1..n, 0 when the line is
 * not a CONFIRM with one number, -1 for a number out of range. */
int  poll_parse_confirm(const char *unquoted, size_t n);

/* The poll of g one of whose letters has ref (msgid.h's ref field), or
 * NULL. */
const struct poll *poll_of_ref(const struct group *g, const char *ref);

/* cycle.h's per-group step: the ballots, the tally and the reminder owed
 * at c->now.  0, or -1 with *err set (caller frees). */
int  poll_group(const struct cycle_ctx *c, const struct group *g,
         char **err);

/* Record the answer of member email to p of g (yes as
 * poll_parse_answer() set it), replacing theirs before.  0, or -1 with
 * *err.  The caller holds the transaction. */
int  poll_answer(struct store *st, const struct group *g,
         const struct poll *p, const char *email, const unsigned char *yes,
         long long now, const char *message_id, char **err);

/* Record candidate number (1-based) of p chosen.  1 recorded, 0 a
 * candidate was chosen before (it stands), -1 error (*err). */
int  poll_choose(struct store *st, const struct group *g,
         const struct poll *p, int number, long long now,
         const char *message_id, const char *sender, char **err);

/* The group as the planner sees it (plan.h): *out NULL when no poll of
 * g has a chosen candidate, else a copy of g whose series are g's and,
 * after them, one single-meeting series per chosen poll.  The copy
 * borrows everything else from g (and the chosen times from itself):
 * free it with poll_group_free() before g.  0, or -1 with *err. */
int  poll_with_chosen(struct store *st, const struct group *g,
         struct group **out, char **err);
void poll_group_free(struct group *);

/* What `status` shows of a poll: the yes count per candidate, the
 * chosen local time (owned, or NULL), whether it is open at now. */
struct poll_view {
	const struct poll *p;           /* borrowed from the configuration */
	int   yes[CONFIG_POLL_CANDIDATES_MAX];
	int   answered;                 /* members who answered */
	char *chosen;
	int   open;
};

/* The views of g's polls in file order (NULL when none; free with
 * poll_views_free()).  0, or -1 with *err. */
int  poll_views(struct store *st, const struct group *g, long long now,
         struct poll_view **out, size_t *n, char **err);
void poll_views_free(struct poll_view *, size_t);

/* groups[].polls of `status --json`: [{"name", "closes", "candidates":
 * [{"start" (UTC, ISO 8601), "yes"}], "chosen" (a start or null)}]. */
void poll_json(struct buf *b, const struct poll_view *v, size_t n);

#endif
