/* inbox.h: what replies do.
 *
 * inbox_apply() takes one raw message, classifies it (classify.h), checks
 * that its sender may do what it asks and proves it (trust.h: a reply
 * token issued to the sender, authentication), and applies the effect in
 * one transaction with the record that the message was processed:
 *
 *  - an RSVP (iTIP REPLY) from the attendee's own address sets that
 *    attendee's PARTSTAT, unless an answer with a later DTSTAMP is already
 *    recorded (a DTSTAMP ahead of the clock counts as the time it is
 *    read); a REPLY carrying another start, and a COUNTER, are passed to
 *    the group's coordinators, once a cycle for one attendee and meeting
 *    (the next notice says how many were held back);
 *  - a coordinator's agenda, minutes or document without the proof the
 *    record needs is held, and the coordinator asked to confirm it
 *    (confirm-request); their CONFIRM, carrying their token for it,
 *    applies it;
 *  - a coordinator's reply to an agenda request confirms the draft (a first
 *    line CONFIRM, CONFIRMAR, CONFIRMER or OK) or replaces it (any other
 *    text); attendees then get the agenda in an updated invitation;
 *  - a coordinator's reply to a milestone's reminder (milestone.h) with
 *    a first line DONE, HECHO, FEITO or FAIT marks the milestone done,
 *    proven as the record is (else held as above); its attachments are
 *    archived as the group's document, its text is not;
 *  - a coordinator's reply to a minutes request, or a message from a
 *    coordinator whose subject carries the group's tag ("[south-south]
 *    minutes", "agreement", "document"), is archived in the repository;
 *    members are told, with the files;
 *  - a permanent bounce (DSN) marks an address bouncing when the
 *    returned message's Message-ID is one convened sent to that address
 *    (it carries the address's token);
 *  - everything else (auto-replies, delays, ordinary mail, malformed mail,
 *    anything from a sender without the right or the proof) is logged
 *    with its Message-ID and changes nothing; a refusal is logged with its
 *    reason and counted (store_refusal_add) for `status`.
 *
 * What one mail may bring is bounded ([imap] max_message_kb, [policy]
 * agenda_max_kb, attachment_max_kb, attachments_total_max_kb): an agenda
 * over its cap is refused with a reply to the coordinator (agenda-
 * refused); attachments over theirs, or not of a type allowed by their
 * content (filetype.h), are neither archived nor sent on, and the
 * coordinators are told which (files-refused); a message over its cap
 * is never parsed (inbox_too_big()).
 *
 * A message that will not apply is one of two things.  The environment
 * failed (outage.h): the state db (busy, full, read-only), the repository
 * or a group's directory in it (full, read-only, a link), the templates
 * (broken since the daemon started).  Then nothing is counted against the
 * message: it waits for the resource, which is told of once and tried
 * again with backoff, and what does not need it goes on.  Or the message
 * itself failed: its failures are counted in the store, cycle after
 * cycle, and the INBOX_QUARANTINE_AFTER-th time running it fails the same
 * way it goes to the quarantine ([imap] quarantine_folder), logged with
 * its Message-ID, the admin told once.  Either way the rest of the folder
 * goes on.
 *
 * A message already processed (same Message-ID, from any folder) is never
 * applied twice.  inbox_collect() runs the IMAP side (imap.h): new messages
 * by UID per folder, UIDVALIDITY remembered (a new one reads the folder
 * again, and Message-IDs keep anything from being applied twice).  \Seen
 * and the move to processed_folder come only after the effect is
 * committed, in batches; the folder's last UID moves only past messages
 * filed away, so a crash in between reads them again, finds them applied
 * and files them away then. */
#ifndef CONVENED_INBOX_H
#define CONVENED_INBOX_H

#include <signal.h>
#include <stddef.h>

struct config;
struct store;

#define INBOX_QUARANTINE_AFTER 3   /* cycles running a message fails */

enum inbox_result {
	INBOX_APPLIED,          /* state changed: flag and move it */
	INBOX_DUPLICATE,        /* applied before: flag and move it */
	INBOX_IGNORED,          /* nothing to do: leave it */
	INBOX_REFUSED,          /* sender may not: leave it */
	INBOX_FAILED,           /* it would not apply, its own fault: the
	                         * failure is counted; tried again next cycle */
	INBOX_QUARANTINE,       /* it failed so INBOX_QUARANTINE_AFTER cycles
	                         * running, or is too big: recorded, told;
	                         * move it to the quarantine */
	INBOX_WAITING,          /* the repository or the templates are down
	                         * (outage.h): nothing counted; tried again
	                         * when they are */
	INBOX_STORE_DOWN        /* the state db failed (store_failure() says
	                         * how): nothing more can be done */
};

/* Apply one message, and log what became of it, with its Message-ID.
 * folder, uidvalidity and uid are recorded with it (NULL and 0 for a
 * message not from IMAP).  Applied, duplicate, ignored and refused are
 * recorded (store_inbound_add); on the last four results nothing of the
 * message's effect is, and *err (caller frees) says why. */
enum inbox_result inbox_apply(const struct config *, struct store *,
        long long now, const char *data, size_t len, const char *folder,
        unsigned long uidvalidity, unsigned long uid, char **err);

/* A message of size bytes, over [imap] max_message_kb, of which only head
 * (its first hlen bytes: its header) was read.  It is not parsed: it is
 * recorded as quarantined and, once, the coordinators of the group it
 * seems to be about (by the group tag of its subject, or the Message-ID
 * of ours it answers) are told when its sender is one of the group's
 * members, else the admin.  INBOX_QUARANTINE; INBOX_DUPLICATE when its
 * Message-ID was applied before (the cap was raised, then lowered);
 * INBOX_STORE_DOWN with *err. */
enum inbox_result inbox_too_big(const struct config *, struct store *,
        long long now, const char *head, size_t hlen, unsigned long size,
        const char *folder, unsigned long uidvalidity, unsigned long uid,
        char **err);

/* "applied", "duplicate", ... for logs and the inbound table. */
const char *inbox_result_name(enum inbox_result);

struct inbox_stats {
	int fetched;
	int applied;
	int ignored;            /* ignored, refused and duplicate together, and
	                         * messages gone before the fetch */
	int failed;             /* would not apply, their own fault: tried
	                         * again next cycle */
	int waiting;            /* would not apply, the environment's fault */
	int quarantined;        /* sent to the quarantine */
	int server_error;       /* the IMAP server failed on some folder */
};

/* Read every configured folder once, in UID order.  A message that would
 * not apply (failed or waiting) is left where it is and the folder goes
 * on; its last UID stays before it, so it is read again next cycle, and
 * what came after it and was applied is recognised then by its
 * Message-ID.  A message for the quarantine is moved to [imap]
 * quarantine_folder (created when missing), or, without one, flagged
 * \Seen and left.  A server failure is logged once and ends that folder's
 * pass, a refused login every folder's.  stop (may be NULL) is checked
 * between messages: the pass ends there, what it applied filed away.
 * Returns 0, or -1 when the store failed (*err set, caller frees;
 * store_failure() says how). */
int inbox_collect(const struct config *, struct store *, long long now,
        volatile sig_atomic_t *stop, struct inbox_stats *, char **err);

/* Drop the messages held for a coordinator's confirmation (trust.h)
 * for TRUST_HOLD_DAYS without one: each logged with its Message-ID and
 * counted as refused (expired).  inbox_collect() does it first.  0, or -1
 * with *err set (caller frees) when the store failed. */
int inbox_expire_held(struct store *, long long now, char **err);

/* The unquoted words of a reply: lines quoted with '>' and everything from
 * an attribution line ("On ... wrote:", "El ... escribió:", "-----Original
 * Message-----", ...) or a signature separator on are dropped; blank lines
 * at either end are trimmed.  Caller frees. */
char *inbox_unquoted(const char *text);

/* 1 when the first line of the unquoted text, without punctuation, is
 * CONFIRM, CONFIRMAR, CONFIRMER or OK in any case. */
int inbox_is_confirmation(const char *unquoted);

#endif
