/* present.h: volunteer presentations at a group's meetings (issue 15,
 * items 1-3): the call, the offers and the slots, the agenda's
 * Presentations section, the presenters' materials and the group's
 * record of experiences.
 *
 * A series with `presentations = N` (N > 0) has N slots at each of its
 * meetings.  [policy] presentations_lead_days before a meeting, every
 * member of the group gets a call of its own (presentations-call).  A
 * member volunteers by answering it (or any letter about the
 * presentations of that meeting) with a first line
 *
 *	PRESENT: title     (PRESENTAR:, APRESENTAR:, PRESENTER:/PRÉSENTER:)
 *
 * and takes it back with a first line WITHDRAW (RETIRAR, RETIRER); case
 * and accents are free.  The offers standing, in the order they came,
 * take the slots: the first N are accepted, the rest wait in line, and a
 * withdrawal moves the first in line up.  Every change is a letter to
 * the member concerned (presentation-reply: accepted, waiting, moved up,
 * withdrawn, new title) and to the coordinators (presentation-notice,
 * with the list as it stands).  inbox.c decides who may (a member of
 * the group, config_member_of()) and what proves it (an answer's proof,
 * trust.h); present_apply() does the rest.
 *
 * Bounds (a flood is bounded, a title is hostile):
 *  - one offer standing per member and meeting: a second PRESENT changes
 *    its title and keeps its place;
 *  - PRESENT_CHANGES_MAX offers, withdrawals and new titles per member
 *    and meeting: later ones are refused, logged, nothing sent;
 *  - at most PRESENT_WAITING_MAX offers waiting: a later one is refused;
 *  - a title is the rest of the first line: tabs become spaces, other
 *    control characters (C0, DEL, C1), bidirectional controls and
 *    invisible characters are stripped, runs of spaces folded; one that
 *    is then empty, not UTF-8, or over PRESENT_TITLE_MAX bytes is
 *    refused (nothing recorded, nothing sent);
 *  - only meetings still to come, not cancelled, take offers.
 *
 * After a meeting ends, each offer accepted is an experience presented:
 * it is marked so, and its presenter is asked for their materials
 * (materials-request).  A reply to that request with files, from the
 * presenter and proven as the record must be (trust.h; without the proof
 * it is refused, not held), is archived with the meeting
 * (<repository>/<group>/<year>/<date>-meeting/, "-2", "-3" for the next
 * presenters' of the same meeting) and sent to the members as minutes
 * are (materials-notice, the group's dissemination rule).  The record of
 * experiences, <repository>/<group>/experiences.json and experiences.md,
 * is rewritten (whole, atomically: archive_write_file()) whenever what
 * the store holds differs from what the files say, journaled first for
 * the git history (repo.h) as convened's own change of kind
 * "experiences": the record is rebuilt from the store, not any one
 * presenter's words (their materials are committed with them as
 * author, kind "meeting"). */
#ifndef CONVENED_PRESENT_H
#define CONVENED_PRESENT_H

#include <stddef.h>

#define PRESENT_SLOTS_MAX     10    /* presentations = N, at most */
#define PRESENT_TITLE_MAX     200   /* bytes of a title, once cleaned */
#define PRESENT_CHANGES_MAX   6     /* per member and meeting */
#define PRESENT_WAITING_MAX   10    /* offers waiting for a slot */

struct buf;
struct config;
struct cycle_ctx;
struct group;
struct letter;
struct member;
struct store;
struct store_plan_meeting;
struct store_presentation;

enum present_verb {
	PRESENT_NONE,           /* not an offer nor a withdrawal */
	PRESENT_OFFER,
	PRESENT_WITHDRAW,
	PRESENT_BAD_TITLE       /* an offer whose title is refused */
};

/* What the first line of unquoted (inbox_unquoted()'s text) asks.  For
 * PRESENT_OFFER *title is the cleaned title (caller frees); for
 * PRESENT_BAD_TITLE *why says why (static).  *title is NULL otherwise. */
enum present_verb present_parse(const char *unquoted, char **title,
        const char **why);

enum present_status { PRESENT_ACCEPTED, PRESENT_WAITING, PRESENT_WITHDRAWN };

/* "accepted", "waiting", "withdrawn"; present_status_of() reads them
 * back (anything else is waiting). */
const char *present_status_name(enum present_status);
enum present_status present_status_of(const char *name);

/* The slot logic: offers 0..n in order of arrival, withdrawn[i] nonzero
 * for those taken back.  out[i]: the first slots standing are accepted,
 * the other standing ones wait, the withdrawn are withdrawn. */
void present_rank(const int *withdrawn, size_t n, int slots,
        enum present_status *out);

/* The letters present_apply() writes go through send (inbox.c's, which
 * answers the message being applied). */
struct present_mail {
	int   (*send)(void *arg, struct letter *l);     /* 0, or -1 */
	void   *arg;
};

enum present_result {
	PRESENT_APPLIED,        /* recorded, letters queued */
	PRESENT_NOTHING,        /* nothing to do (why says) */
	PRESENT_REFUSED,        /* over a bound (why says) */
	PRESENT_FAILED          /* *err set */
};

/* Member m's verb (PRESENT_OFFER with title, or PRESENT_WITHDRAW) for
 * meeting r of group g, at now.  why (whylen bytes) gets one line for
 * the log.  The caller holds the transaction. */
enum present_result present_apply(const struct config *, struct store *,
        const struct group *g, const struct store_plan_meeting *r,
        const struct member *m, enum present_verb verb, const char *title,
        long long now, const struct present_mail *mail, char *why,
        size_t whylen, char **err);

/* The number of slots at meeting r (its series' presentations), 0 when
 * the series is gone or has none. */
int present_slots(const struct group *g, const struct store_plan_meeting *r);

/* The draft agenda to show and confirm for meeting r: the Presentations
 * section (in g's language: country, name and title of each accepted
 * offer, in slot order) above r->agenda.  0 with *out (caller frees), or
 * *out NULL when no offer is accepted (r->agenda stands as it is); -1
 * with *err. */
int present_draft(struct store *, const struct group *g,
        const struct store_plan_meeting *r, char **out, char **err);

/* The cycle's step for g (cycle.h): the calls that are due, the slots
 * ranked again for meetings to come (a changed `presentations`), the
 * experiences of meetings ended and their materials requests, and the
 * record of experiences rewritten when it changed.  0, or -1 with *err. */
int present_group(const struct cycle_ctx *c, const struct group *g,
        char **err);

/* The accepted offer of who (a member's own address) at meeting uid that
 * was presented: 1 with *out (release with store_presentations_free(out,
 * 1)), 0 none, -1 with *err. */
int present_presenter(struct store *, const char *uid, const char *who,
        struct store_presentation **out, char **err);

/* Add the files archived in dir (names[0..n), relative to it) to the
 * experience p.  0, or -1 with *err. */
int present_add_files(struct store *, struct store_presentation *p,
        const char *dir, char *const *names, size_t n, char **err);

/* status --json: ", \"presentations\": [...]" for meeting uid, from
 * rows[0..n) (a group's, any order of meetings). */
void present_json_meeting(struct buf *, const struct store_presentation *rows,
        size_t n, const char *uid);
/* How many offers of rows[0..n) are for meeting uid and not withdrawn. */
size_t present_count(const struct store_presentation *rows, size_t n,
        const char *uid);

/* The annual report's part (report.h): the experiences presented in
 * year, by country, per group (md and json) and for the Conference (md:
 * every group's rows), with the member countries that have not presented
 * yet.  rows[0..n) are the group's offers for the year. */
void present_report_md_group(struct buf *, const struct group *g,
        const struct store_presentation *rows, size_t n);
void present_report_json_group(struct buf *, const struct group *g,
        const struct store_presentation *rows, size_t n);
void present_report_md_conference(struct buf *,
        const struct group *const *groups,
        const struct store_presentation *const *rows, const size_t *n,
        size_t ngroups);
/* 1 when a series of g has presentation slots. */
int present_group_has(const struct group *g);

/* experiences.json and experiences.md for g from its experiences
 * rows[0..n) (those presented are kept), as written.  Caller frees. */
char *present_experiences_json(const struct group *g,
        const struct store_presentation *rows, size_t n);
char *present_experiences_md(const struct group *g,
        const struct store_presentation *rows, size_t n);

#endif
