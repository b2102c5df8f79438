/* list.h: every group a mailing list (issue 20).
 *
 * Addresses.  A group's list address is [group] list, or by default the
 * organizer's address with the group id as plus detail,
 * "<local>+<id>@<domain>" (one IMAP mailbox serves every group); its
 * command address is the list's local part with "-request" added,
 * "<local>+<id>-request@<domain>".  A message naming one of them in To,
 * Cc or Delivered-To is a post to that group (or a command).  The
 * organizer's mailbox also receives reply-token addresses
 * "<local>+<token>@<domain>" (token.h: exactly TOKEN_LEN letters a-z and
 * 2-7) and VERP envelope senders "<local>+b-<row>-<mac>@<domain>"
 * (verp.h).  A list address is recognised by comparing it whole with
 * the configured groups' addresses, never by its form, before any
 * token is looked for; a token counts only when token_verify() says it
 * was issued (an HMAC: a group id such as "universalization", of a
 * token's form, is one with one chance in 2^80), and a command address
 * holds a '-', which no token does.  `check` refuses a list detail of a
 * VERP address's form (VERP is read before anything else), the
 * organizer's own address, and an address another group's list or
 * command address already is (list_check()).
 *
 * Posts.  A post from a member (or, with list_guests = yes, a [guest]
 * of the group) that proves itself as an answer does (trust.h: a reply
 * token of the sender's for the group in In-Reply-To or References, as
 * every relayed post carries in its Message-ID, or authentication) is
 * relayed at once, unless posting = moderated.  Everything else is held
 * for the coordinators: a non-member's post, a member's post without
 * proof, every post under posting = moderated.  A relayed post goes to
 * every member but its author (and the list's guests), one letter each
 * through the outbox (letter.h's letter_post): the text part and the
 * attachments that pass the documents' type and size rules, re-encoded;
 * List-Id, List-Post, List-Help, List-Unsubscribe, Precedence: list and
 * X-Loop; the subject tagged "[<id>]" unless it carries the tag; From
 * rewritten "<author> via <group>" <list> with from_rewrite = always
 * (the author in Cc, or in Reply-To with reply_to = author), Reply-To
 * the list with reply_to = list.
 *
 * Loop safety: only mail classify() calls plain reaches a list (never
 * auto-replies, bounces, delays, calendars); mail from the organizer's
 * addresses, with one of our Message-IDs, with X-Loop naming one of our
 * lists or with List-Id naming one of our lists is never relayed.
 *
 * Moderation.  Held posts are listed, at most LIST_BATCH_MAX a request,
 * in one moderation request (list-moderation) to every coordinator; a
 * new request goes out only LIST_ASK_GAP after the last, and while the
 * last still has posts undecided, only LIST_ASK_WAIT after it, however
 * many posts arrive (a flood costs a bounded number of letters).  A
 * coordinator's reply carrying their token for that request (and
 * authenticated when [trust] authserv_id is set) with a first line
 * APPROVE or REJECT (list_command()), optionally followed by the numbers
 * of the posts it decides (all of them when none), relays or drops them.
 * Held posts expire after LIST_HOLD_DAYS.
 *
 * Readers.  A member's DIGEST, NOMAIL or RESUME (list_command(), four
 * languages) on the first line of mail to the command address, of a
 * post, or of a reply to a list-delivery letter sets how they read the
 * list (store.h's list_readers) when the message proves itself as an
 * answer does; else they are asked to confirm it (list-delivery, at most
 * once an hour).  Digests are plain text, one a day (list-digest).  A
 * member whose bounces score LIST_BOUNCE_SCORE is paused, the
 * coordinators told once (list-paused); RESUME lifts it.  Only posts and
 * digests follow these choices.  Relayed posts are archived per month
 * (listarchive.h). */
#ifndef CONVENED_LIST_H
#define CONVENED_LIST_H

#include <stddef.h>

#include "inbox.h"
#include "trust.h"

struct config;
struct cycle_ctx;
struct group;
struct mime_msg;
struct store;
struct verdict;

#define LIST_HOLD_DAYS  7               /* a held post waits this long */
#define LIST_BATCH_MAX  20              /* posts one request lists */
#define LIST_ASK_GAP    (60 * 60)       /* seconds between requests */
#define LIST_ASK_WAIT   (24 * 60 * 60)  /* ... while one is undecided */
#define LIST_QUOTE_MAX  600             /* bytes of a held post quoted */
#define LIST_DIGEST_MAX 200             /* posts in one digest */
#define LIST_DIGEST_TEXT 8000           /* bytes of one post in a digest */
#define LIST_BOUNCE_SCORE 5             /* pauses a member's list mail:
                                         * failures recorded, halved
                                         * when the last was not
                                         * permanent */
#define LIST_BOUNCE_FRESH (7 * 24 * 60 * 60)    /* ... when the last
                                         * bounce is this recent */

/* [group] posting. */
enum list_posting {
	LIST_POSTING_MODERATED_UNPROVEN,    /* proven members' posts go out */
	LIST_POSTING_MODERATED              /* every post is held */
};

/* The group's list address; caller frees.  NULL only when the
 * organizer's address is missing or has no '@'. */
char *list_address(const struct config *, const struct group *);
/* The group's command address (the list's local part + "-request");
 * caller frees, NULL as above. */
char *list_request_address(const struct config *, const struct group *);

/* What is wrong with g's list address, in buf (one line), or NULL when
 * nothing is: a VERP address's form in its plus detail, or the
 * organizer's address.  Used by `check`. */
const char *list_check(const struct config *, const struct group *g,
         char *buf, size_t size);

/* For each group (taken has cfg->ngroups slots), the first group
 * before it in file order whose list or command address is one of its
 * own (compared without case), or NULL.  Groups of the same id are not
 * compared: that is a clash of its own. */
void list_clashes(const struct config *, const struct group **taken);

/* The group whose list (or command address: *request set to 1) m names
 * in To, Cc or Delivered-To; NULL when none.  request may be NULL. */
const struct group *list_addressed(const struct config *,
         const struct mime_msg *m, int *request);

/* The subject of a relayed post: "[id] " in front of subject (NULL is
 * ""), unless it carries "[id]" already (in any case, after any "Re:",
 * "RE:", "Res:", "AW:", "Fwd:"...).  Caller frees. */
char *list_subject(const char *id, const char *subject);

/* 1 when m is our lists' own mail come back: X-Loop names one of our
 * list addresses, or List-Id one of our lists' ids.  Else 0. */
int  list_looped(const struct config *, const struct mime_msg *m);

/* The List-Id value of g: "<name> <id.list.<domain of the list>>".
 * Caller frees. */
char *list_id(const struct config *, const struct group *g);

/* The header pairs of a post relayed by g (compose.h's extra_headers,
 * NULL-terminated); free with list_headers_free().  List-Archive names
 * the group's page of the public site (site.h), and only when there is
 * one to name: the group's dissemination is public and [daemon]
 * site_url says where the site is served. */
char **list_headers(const struct config *, const struct group *g);
void   list_headers_free(char **);

/* A command in the first line of unquoted text. */
enum list_command {
	LIST_CMD_NONE,
	LIST_CMD_APPROVE,       /* APPROVE, APROBAR, APROVAR, APPROUVER */
	LIST_CMD_REJECT,        /* REJECT, RECHAZAR, REJEITAR, REJETER */
	LIST_CMD_DIGEST,        /* DIGEST, RESUMEN, RESUMO, RECUEIL */
	LIST_CMD_NOMAIL,        /* NOMAIL, PAUSA (es, pt), PAUSE */
	LIST_CMD_RESUME         /* RESUME, REANUDAR, RETOMAR, REPRENDRE */
};
/* The command of the first non-blank line of text (NULL: none), in any
 * case, punctuation after it ignored; the numbers that follow it on the
 * line (1 to LIST_BATCH_MAX) are set in *which as bits 1 << (n - 1)
 * (0: none named).  Anything else on the line makes it no command. */
enum list_command list_command(const char *text, unsigned long *which);

/* Post v (Message-ID message_id, relayed at date) as the archive keeps
 * it: rebuilt as it was relayed (its text and the attachments allowed,
 * the subject tagged, the List-* fields) but From its author; *len its
 * length, *text the text relayed.  Both caller-freed; v->msg is not
 * NULL. */
char *list_clean_post(const struct config *, const struct group *g,
          const struct verdict *v, const char *message_id, long long date,
          size_t *len, char **text);

/* ---- the inbox's side (inbox.c calls it for plain mail) ---- */

struct list_in {
	const struct config *cfg;
	struct store *st;
	long long now;
	const struct verdict *v;
	const char *msgid;
	const char *data;       /* the raw message, kept while held */
	size_t len;
	const char *folder;
	int looped;             /* from our own addresses or Message-IDs */
	char why[256];          /* the log line's reason, once handled */
	int refused;            /* a refusal of reason, to count */
	enum trust_reason reason;
	char **err;
};

/* 1 when the message is the lists' (a post, a command, a moderator's
 * reply) with *res and in->why set; 0 when it is not.  Writes to the
 * store and the outbox in the caller's transaction. */
int list_inbox(struct list_in *in, enum inbox_result *res);

/* ---- status and report ---- */

/* The "list" object of g in `status --json` (README.md):
 * {"address", "posting", "posts" (relayed, ever), "held" (now),
 * "paused" (members whose list mail is paused)}.  NULL with *err set
 * when the store fails; caller frees. */
char *list_status_json(const struct config *, struct store *,
          const struct group *g, char **err);

/* ---- the cycle's side ---- */

/* For group g: expire held posts, pause the list mail of members whose
 * bounces score LIST_BOUNCE_SCORE (the coordinators told once), send
 * each digest due (daily), send a moderation request when one is due.
 * 0, or -1 with *err set. */
int list_group(const struct cycle_ctx *, const struct group *g, char **err);

#endif
