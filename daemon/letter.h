/* letter.h: the one way convened writes to a person.
 *
 * Every message convened sends is queued by letter_queue(): invitations,
 * updates and cancellations, agenda and minutes requests and reminders,
 * notices, counter-notices, minutes notices.  What every message to a
 * person carries is decided here, once:
 *
 *  - who reads it, from the address and the group:
 *      a member: their name, language and time zone (the group's where
 *        they have none);
 *      a guest: the name, language and zone of their [guest] section,
 *        the group's language and zone where it gives none (a guest of
 *        the meeting's series without a section: no name);
 *      the [policy] admin: no name, the daemon's language and zone;
 *      a member who left the group: their name, language and zone as the
 *        store keeps them (the group's where they had none);
 *      anyone else: no name, the group's language, the zone of the
 *        meeting's series (or the meeting's own, or the group's);
 *  - the templates tried: the reader's language, the group's, the
 *    daemon's (template_render());
 *  - the variables every letter has: member_name (the address when there
 *    is no name), member_email, group_name, group_id, organizer_name,
 *    organizer_email; about a meeting also summary, kind and openness
 *    (words in the reader's language; openness is the series' unless
 *    guests were invited, then open, and empty when the series is gone
 *    and had none), date, when_member and
 *    member_timezone (in the reader's zone), when_meeting and
 *    meeting_timezone (in the meeting's), duration, location, agenda (once
 *    confirmed) and sequence.  Then the letter's own vars, then those its
 *    vars_for adds for this reader;
 *  - the reader's reply token (token.h): for the held message a letter
 *    asks them to confirm (held), else for the meeting when there is
 *    one, else for the group; for a letter with a calendar about a
 *    meeting of a series event (store.h's series_uid), for the event,
 *    whose UID the calendar carries: every message about the event then
 *    names the same ORGANIZER;
 *  - its Message-ID (msgid.h), from kind, group, meeting (the event, as
 *    for the token), ref and that token: queueing the same letter twice
 *    queues it once;
 *  - the address the reader answers: with [trust] tokens = yes the
 *    organizer's "<local>+<token>@<domain>", as Reply-To (with the
 *    organizer's name) and as the calendar's ORGANIZER; else, and for a
 *    meeting whose invitations named the organizer's plain address
 *    (store.h's plain_organizer), no Reply-To and the plain address as
 *    ORGANIZER.  Queueing a calendar with the plain address marks its
 *    meeting (or series event) so, for good: clients take a changed
 *    ORGANIZER for another event;
 *  - the text (template.h), the MIME message (compose.h) and the outbox
 *    row (store.h), in the caller's transaction. */
#ifndef CONVENED_LETTER_H
#define CONVENED_LETTER_H

#include <stddef.h>

struct compose_attachment;
struct config;
struct group;
struct store;
struct store_plan_meeting;
struct tvar;

/* The variables of one letter for one reader (opaque). */
struct letter_vars;

/* Add a variable: name and value are borrowed until the letter is queued
 * (letter_vars_add), or value is the letter's to free (letter_vars_take). */
void letter_vars_add(struct letter_vars *, const char *name,
         const char *value);
void letter_vars_take(struct letter_vars *, const char *name, char *value);

/* A relayed post (list.h): a letter whose text, subject and header are
 * the post's, re-encoded, and not a template's.  Every pointer is
 * borrowed for the call. */
struct letter_post {
	const char *from_name, *from_email;     /* From */
	const char *reply_to, *reply_to_name;   /* NULL: none */
	const char *cc, *cc_name;               /* NULL: none */
	const char *subject;
	const char *text;
	/* The ref (msgid.h) of the post this one answers when that was
	 * relayed by the list: the reader's own copy of it is named in
	 * In-Reply-To, so that every reader's client threads it; else
	 * in_reply_to, the Message-ID it answers (or NULL). */
	const char *reply_ref;
	const char *in_reply_to;
	const char *const *headers;     /* compose.h's extra_headers */
};

/* One letter.  Every pointer is borrowed for the call. */
struct letter {
	const char *kind;       /* template kind, also the outbox row's */
	const struct group *group;                 /* NULL: none */
	const struct store_plan_meeting *meeting;  /* NULL: none */
	const char *to;         /* the recipient's address */
	/* Beside kind, meeting and recipient, what makes the letter one of
	 * its kind: a notice's key, the Message-ID it answers; NULL when
	 * nothing does.  A letter with a calendar is told apart by the
	 * meeting's SEQUENCE instead, unless it is about a series event
	 * (its occurrences share the event's SEQUENCE): then ref says which
	 * occurrence, or all of them, under which SEQUENCE. */
	const char *ref;
	/* The Message-ID of a message held for the reader's confirmation
	 * (trust.h): the reader's token is then for it (TOKEN_HELD), not
	 * for the meeting or group.  NULL for every other letter. */
	const char *held;
	const struct tvar *vars;        /* the same for every reader */
	size_t      nvars;
	/* Variables that depend on the reader: lang is the first of their
	 * languages (never NULL), tz their zone.  May be NULL. */
	void      (*vars_for)(void *arg, struct letter_vars *,
	                      const char *lang, const char *tz);
	/* A calendar object for this reader, built once the body is
	 * rendered (DESCRIPTION is the body in their language), naming
	 * organizer (the address above) as ORGANIZER; the caller frees what
	 * it returns.  May be NULL; then method is unused. */
	char     *(*calendar)(void *arg, const char *body,
	                      const char *organizer);
	const char *method;             /* REQUEST | CANCEL */
	void       *arg;                /* for vars_for and calendar */
	const struct compose_attachment *att;
	size_t      natt;
	/* A relayed post: no template is rendered, kind is "post", the
	 * reader's token is for the group (the Message-ID carries it; no
	 * Reply-To of the organizer's).  NULL for every other letter. */
	const struct letter_post *post;
};

/* Render, compose and queue l.  Returns 1 queued, 0 queued before (the
 * same Message-ID: nothing done), -1 error (*err set, caller frees): a
 * template that will not render, a Message-ID that cannot be made, no
 * reply-token key loaded (config.h's trust_key), the store.  The caller
 * holds the transaction. */
int letter_queue(const struct config *, struct store *,
        const struct letter *l, long long now, char **err);

#endif
