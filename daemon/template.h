/* template.h: the subject and body of each message kind, per language.
 *
 * A template is templates/<lang>/<kind>.txt, UTF-8:
 *
 *	Subject: Invitación: {{kind}} {{openness}} «{{summary}}» — {{date}}
 *	<one blank line>
 *	body ...
 *	{{#agenda}}
 *	Orden del día propuesto:
 *	{{agenda}}
 *	{{/agenda}}
 *
 * {{name}} inserts a variable; {{#name}}...{{/name}} keeps its content only
 * when the variable is non-empty (sections may hold variables and other
 * sections, never one of their own name, 16 deep at most).  Spaces inside the braces are
 * allowed: {{ name }}.  A tag never spans lines.  A section tag alone on
 * its line takes the whole line with it, so a hidden section leaves no
 * blank line behind.  There is no escape for a literal "{{".
 *
 * Values are inserted literally: a "{{" in a value is never expanded.  In
 * the subject every control character of a value (CR, LF, TAB, C1, U+2028,
 * U+2029) becomes a space, so no value can add a header line.  In the body
 * a value keeps its line breaks and tabs (CRLF and lone CR become LF;
 * U+2028 and U+2029 stay) and its other control characters become spaces.
 * Invalid UTF-8 in a value becomes U+FFFD, byte by byte, so the output is
 * always valid UTF-8.
 *
 * Files are looked up first in the administrator's directory
 * (cfg->templates_local, single files override) and then in the shipped
 * one (cfg->templates).  Template files are treated as untrusted: at most
 * TEMPLATE_MAX_SIZE bytes, no NUL byte, valid UTF-8, no control character
 * but TAB (CRLF line ends and a UTF-8 byte order mark are accepted),
 * every tag known for the kind.
 * `convened check` reports every problem through template_check(); at send
 * time template_render() refuses a template that check would refuse. */
#ifndef CONVENED_TEMPLATE_H
#define CONVENED_TEMPLATE_H

#include <stddef.h>

#include "config.h"

#define TEMPLATE_MAX_SIZE (64 * 1024)

/* A variable for template_render().  Both strings are borrowed for the
 * duration of the call; value NULL is the same as "" (a section on it is
 * hidden).  A name the kind does not know is ignored. */
struct tvar {
	const char *name;
	const char *value;
};

/* Kinds convened knows, NULL-terminated:
 *	invite update cancel       to participants: the meeting itself
 *	bounce-notice              to coordinators: an address that bounces
 *	agenda-request             to coordinators: confirm the draft agenda
 *	agenda-reminder            the same, when nobody confirmed in time
 *	minutes-request            to coordinators: send the minutes
 *	minutes-reminder           the same, minutes_grace_days later
 *	minutes-notice             to members (and guests when public): the
 *	                           minutes are archived, files attached
 *	counter-notice             to coordinators: a participant proposes
 *	                           another time (iTIP COUNTER)
 *	quota-warning              to coordinators and the admin: at a
 *	                           [policy] quota_checks date, the group is
 *	                           short of its quota for the year
 *	quota-year-end             the same in January, for the year ended
 *	rule-warning               the group breaks the coordination rule
 *	agenda-refused             to the coordinator: the agenda sent is
 *	                           over [policy] agenda_max_kb
 *	files-refused              to coordinators: attachments left out of
 *	                           an archived item, over the caps
 *	quarantine-notice          to the admin (or the coordinators of the
 *	                           group a message too big seems to be about):
 *	                           a message went to the quarantine
 *	outage-notice              to the admin: a part of the environment
 *	                           (repository, state db, templates) is down
 *	confirm-request            to a coordinator, at the configured
 *	                           address: a message from their address
 *	                           came without proof (trust.h); CONFIRM
 *	                           applies it
 *	presentations-call         to members: volunteer to present at a
 *	                           meeting (present.h)
 *	presentation-reply         to a volunteer: what became of their offer
 *	presentation-notice        to coordinators: the same, with the list
 *	materials-request          to a presenter: send the materials
 *	materials-notice           to members: a presenter's materials,
 *	                           files attached
 * The meeting kinds (invite, update, cancel) accept the variables
 *	member_name member_email group_name group_id summary kind openness
 *	date when_member when_meeting member_timezone meeting_timezone
 *	duration location organizer_name organizer_email agenda sequence
 * (openness is empty when not known: a series gone that had no guests),
 * for a series sent as one recurring event (recur.h) also
 *	series (non-empty in a message about the whole series)
 *	series_dates (then its planned meetings still to come, one
 *	"  - when" a line in the reader's zone; empty when none)
 *	series_until (its last day, when it has an end) occurrence
 *	(non-empty in a message about one meeting of it)
 * and update also
 *	changed_time changed_place changed_agenda changed_title (each
 *	non-empty when that changed) previous_when (the time before, in
 *	the reader's zone, when it moved) previous_location (the place
 *	before, when it changed) answer (the reader's answer that stands,
 *	in words: template_answer_word()) reply_requested (non-empty when
 *	their answer is asked for again: none stands) changed_dates (the
	series' dates changed: its end or its exceptions) series_ended (the
	series now ends at series_until)
 * The agenda-*, minutes-* and counter-notice kinds accept those and
 *	deadline (localized date) tag ("[group-id]") files (one file name a
 *	line) sender_name attendee_name attendee_email proposed_when
 *	(localized date and time) proposed_duration (minutes, non-empty
 *	only when the proposal changes the meeting's length) comment (free
 *	text, may be multi-line) more (counter-notice: how many proposals of
 *	the same attendee for the meeting were held back since the last
 *	notice, or empty)
 * bounce-notice accepts
 *	member_name member_email group_name group_id organizer_name
 *	organizer_email address address_name reason
 * quota-warning and quota-year-end accept
 *	member_name member_email group_name group_id organizer_name
 *	organizer_email year quota held scheduled short_by months_left
 *	checkpoint planned_dates
 * rule-warning accepts
 *	member_name member_email group_name group_id organizer_name
 *	organizer_email why coordinators
 * agenda-refused accepts the meeting kinds' variables and
 *	tag size limit (KiB)
 * files-refused accepts
 *	member_name member_email group_name group_id organizer_name
 *	organizer_email sender sender_name subject message_id refused
 *	(one "name (size)" a line) archived (likewise) limit total_limit
 * quarantine-notice accepts
 *	member_name member_email group_name group_id organizer_name
 *	organizer_email message_id sender subject folder quarantine_folder
 *	size limit (KiB, for one too big) error count (for one failing)
 * outage-notice accepts
 *	member_name member_email organizer_name organizer_email resource
 *	since until (localized dates and times; until only for an outage
 *	told of once it ended) error
 * confirm-request accepts
 *	member_name member_email group_name group_id organizer_name
 *	organizer_email sender subject message_id quoted (what it said, each
 *	line quoted, bounded) files (one "  name (size, type)" a line)
 *	until (the date it is dropped) no_token not_authenticated (why it
 *	was held: one is non-empty) kind_agenda kind_minutes kind_document
 *	kind_agreement (what it is: one is non-empty)
 * milestone-reminder (to a milestone's owners, lead_days before and on
 * its due date) and milestone-overdue (to the admin, once, the day after
 * it was due and not done) accept
 *	member_name member_email group_name group_id organizer_name
 *	organizer_email milestone (its name) summary due (localized date)
 *	due_today (non-empty once the due date has come) before_due (non-
 *	empty before it) lead_days tag
 *	("[group-id]") owner_secretariat (non-empty when the secretariat
 *	owns it)
 * presentations-call, presentation-reply, presentation-notice,
 * materials-request and materials-notice accept the meeting kinds'
 *	variables and tag slots title presenter_name presenter_email
 *	presenter_country position accepted waiting offered retitled
 *	withdrawn moved_up moved_down presenters line files sender_name
 * poll-ballot (to each member, while a poll is open) and poll-tally (to
 * the coordinators when it has closed; again as a reminder a week
 * later, reminder non-empty) accept
 *	member_name member_email group_name group_id organizer_name
 *	organizer_email poll (its name) summary meeting_kind (a word)
 *	duration (minutes) location closes (localized date) candidates
 *	(numbered lines, in the reader's zone; with the tally each one's
 *	yes count and countries) tag reminder leading (the leading
 *	candidate's number) leading_when no_yes (non-empty when nobody
 *	said yes) answered members
 * (the callers pass values already localized: see the helpers below). */
extern const char *const template_kinds[];

/* Render kind for the first language of langs[0..nlangs) that has a
 * template (member's, group's, daemon's; NULL, empty, duplicate and
 * malformed entries are skipped).  For each language the administrator's
 * directory is tried before the shipped one.  A file that exists but
 * cannot be read, or that template_check() would refuse, is an error: the
 * next language is not tried in its place.
 *
 * Returns 0 with *subject (one line, no line break) and *body set, both
 * the caller's to free; or -1 with *err set to a one-line reason the
 * caller frees (*subject and *body untouched). */
int   template_render(const struct config *cfg, const char *const *langs,
          size_t nlangs, const char *kind, const struct tvar *vars,
          size_t nvars, char **subject, char **body, char **err);
/* template_render() keeps each template it read parsed, for as long as
 * its file stays the same; this forgets them all (at exit). */
void  template_cache_clear(void);

/* For `convened check`: every <lang>/<kind>.txt present in either
 * directory is read and checked (size, NUL, UTF-8, "Subject: " first line,
 * blank second line, tags known for the kind, sections balanced); each
 * problem is a diag error "FILE:LINE: message" at its line (line 0 for a
 * file that cannot be read).  Every kind must exist for cfg->language in
 * one of the two directories, else an error names the missing file.
 * Unknown languages and kinds found in the directories are warnings.
 * Returns the number of errors added to d. */
int   template_check(const struct config *cfg, struct diag *d);

/* The languages convened speaks in its own words, in the order of every
 * table of localized words (template.c, quota.c).  template_lang: the one
 * lang names, en for anything else (NULL included). */
enum template_lang { TEMPLATE_ES, TEMPLATE_EN, TEMPLATE_PT, TEMPLATE_FR };

enum template_lang template_lang(const char *lang);

/* Localized helpers.  lang is one of es, en, pt, fr; anything else (NULL
 * included) is taken as en.  tzid NULL or unknown shows UTC.
 *
 * template_when: the full local time, e.g.
 *   es "miércoles 17 de febrero de 2021, 15:00 (America/Montevideo, UTC−03:00)"
 *   en "Wednesday 17 February 2021, 15:00 (America/Montevideo, UTC−03:00)"
 *   pt "quarta-feira, 17 de fevereiro de 2021, 15:00 (America/Montevideo, ...)"
 *   fr "mercredi 17 février 2021, 15:00 (America/Montevideo, UTC−03:00)"
 * (the offset uses U+2212 MINUS SIGN).  template_date: the short date,
 * es/pt/fr "17/02/2021", en "17 Feb 2021".  Both return a string the
 * caller frees. */
char *template_when(const char *lang, long long utc, const char *tzid);
char *template_date(const char *lang, long long utc, const char *tzid);

/* The meeting kind as a lower-case noun phrase: kind_code is a name from
 * config_meeting_kind_name() (meeting, seminar, workshop, virtual-visit,
 * intersectoral), e.g. es "reunión", "seminario", "taller", "visita
 * virtual", "reunión intersectorial".  An unknown code is returned as is,
 * NULL as "".  The string is static (or kind_code itself). */
const char *template_kind_word(const char *lang, const char *kind_code);

/* Openness as a phrase that follows (es, pt, fr) or precedes (en) the kind
 * word and needs no gender agreement with it:
 *   es "de carácter abierto" / "de carácter cerrado"
 *   en "open" / "closed"
 *   pt "de caráter aberto" / "de caráter fechado"
 *   fr "à participation ouverte" / "à huis clos"
 * Templates place it: "seminario de carácter abierto", "open seminar".
 * Static string. */
const char *template_openness_word(const char *lang, int open);

/* An attendee's answer as a word that qualifies "answer" (es "respuesta
 * aceptada", en "answer: accepted"): ACCEPTED, DECLINED, TENTATIVE; NULL
 * for anything else (NEEDS-ACTION: no answer stands).  Static string. */
const char *template_answer_word(const char *lang, const char *partstat);

#endif
