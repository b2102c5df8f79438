/* inbox.h: what replies do.
 *
 * inbox_apply() takes one raw message, classifies it (classify.h), checks
 * that its sender may do what it asks, and applies the effect in one
 * transaction with the record that the message was processed:
 *
 *  - an RSVP (iTIP REPLY) from the attendee's own address sets that
 *    attendee's PARTSTAT, unless an answer with a later DTSTAMP is already
 *    recorded; a REPLY carrying another start, and a COUNTER, are passed to
 *    the group's coordinators;
 *  - a coordinator's reply to an agenda request confirms the draft (a first
 *    line CONFIRM, CONFIRMAR, CONFIRMER or OK) or replaces it (any other
 *    text); attendees then get the agenda in an updated invitation;
 *  - a coordinator's reply to a minutes request, or a message from a
 *    coordinator whose subject carries the group's tag ("[south-south]
 *    minutes", "agreement", "document"), is archived in the repository;
 *    members are told, with the files;
 *  - a permanent bounce (DSN) for an address convened wrote to marks it
 *    bouncing; when it quotes the returned message's Message-ID, that must
 *    be one convened sent;
 *  - everything else (auto-replies, delays, ordinary mail, malformed mail,
 *    anything from a sender without the right) is logged with its
 *    Message-ID and changes nothing.
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

enum inbox_result {
	INBOX_APPLIED,          /* state changed: flag and move it */
	INBOX_DUPLICATE,        /* applied before: flag and move it */
	INBOX_IGNORED,          /* nothing to do: leave it */
	INBOX_REFUSED,          /* sender may not: leave it */
	INBOX_ERROR             /* store or repository failed: try again */
};

/* Apply one message.  folder, uidvalidity and uid are recorded with it
 * (NULL and 0 for a message not from IMAP).  On INBOX_ERROR *err is set
 * (caller frees) and nothing was recorded. */
enum inbox_result inbox_apply(const struct config *, struct store *,
        long long now, const char *data, size_t len, const char *folder,
        unsigned long uidvalidity, unsigned long uid, char **err);

/* "applied", "duplicate", ... for logs and the inbound table. */
const char *inbox_result_name(enum inbox_result);

struct inbox_stats {
	int fetched;
	int applied;
	int ignored;            /* ignored, refused and duplicate together, and
	                         * messages too big or gone before the fetch */
	int failed;             /* would not apply (store, repository): tried
	                         * again next cycle */
	int server_error;       /* the IMAP server failed on some folder */
};

/* Read every configured folder once, in UID order.  A message that would
 * not apply stops its folder there until the next cycle (the last UID
 * cannot move past it); a server failure is logged once and ends that
 * folder's pass, a refused login every folder's.  stop (may be NULL) is
 * checked between messages: the pass ends there, what it applied filed
 * away.  Returns 0, or -1 when the store failed (*err set, caller
 * frees). */
int inbox_collect(const struct config *, struct store *, long long now,
        volatile sig_atomic_t *stop, struct inbox_stats *, char **err);

/* The unquoted words of a reply: lines quoted with '>' and everything from
 * an attribution line ("On ... wrote:", "El ... escribió:", "-----Original
 * Message-----", ...) or a signature separator on are dropped; blank lines
 * at either end are trimmed.  Caller frees. */
char *inbox_unquoted(const char *text);

/* 1 when the first line of the unquoted text, without punctuation, is
 * CONFIRM, CONFIRMAR, CONFIRMER or OK in any case. */
int inbox_is_confirmation(const char *unquoted);

#endif
