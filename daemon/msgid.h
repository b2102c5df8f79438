/* msgid.h: the Message-IDs convened writes, and reading them back.
 *
 * Every message convened sends carries an id of one form:
 *
 *	cv1.<kind>.<group>.<meeting>.<ref>.<token>@<domain>
 *
 *   kind     the template kind: invite, agenda-request, bounce-notice, ...
 *   group    the group id; "-" for a letter about no group
 *   meeting  the local part of the meeting's UID; "-" for none
 *   ref      what else tells the letter apart: an invitation's SEQUENCE,
 *            a notice key's or an answered Message-ID's hash; "-" for none
 *   token    the recipient's reply token (token.h) for the meeting, or
 *            else the group (msgid_set_token)
 *   domain   the organizer's (addr_domain() of [organizer] email)
 *
 * No field holds a dot, so reading back is splitting at dots: kinds are
 * words and hyphens, group ids and series names lower-case letters,
 * digits, '-' and '_' (config.c), a UID's local part "<group>-<series>-
 * <YYYYMMDD>" (plan.h), refs and tokens lower-case letters and digits.
 * "-" is never a group id nor a UID (both start with a letter or digit).
 * A meeting's UID is taken to be in the organizer's domain, as plan_uid()
 * makes it; the id carries its local part only.
 *
 * msgid_parse() also reads what the release before this one sent, so that
 * a reply to mail sent before an upgrade still finds its meeting:
 *
 *	<kind>.<uid local>.<hash>                  agenda-request,
 *	                      agenda-reminder, minutes-request, minutes-reminder
 *	<uid local>.<seq>.<request|cancel>.<hash>  invitations ("request"
 *	                      is read as kind invite: it was also an update)
 *	notice.<kind>.<group>.<keyhash>.<hash>     notices
 *	<tag>.<uid local>.<idhash>.<hash>          counter (counter-notice),
 *	                      minutes-notice
 *
 * where each hash is 8 lower-case hex digits; the last is the recipient's
 * and is read as the token. */
#ifndef CONVENED_MSGID_H
#define CONVENED_MSGID_H

#define MSGID_MAX        998    /* the longest id read (a header line) */
#define MSGID_KIND_MAX   32
#define MSGID_GROUP_MAX  64
#define MSGID_UID_MAX    400    /* local part 200, '@', domain */
#define MSGID_REF_MAX    16
#define MSGID_TOKEN_MAX  64

/* One of our Message-IDs, taken apart.  Every field is a NUL-terminated
 * string; "" is none (kind and token are never none in a valid id). */
struct msgid {
	int  version;                       /* 1: this form; 0: an older one */
	char kind[MSGID_KIND_MAX + 1];
	char group[MSGID_GROUP_MAX + 1];    /* "" also when an older form
	                                     * did not carry it */
	char uid[MSGID_UID_MAX + 1];        /* the meeting's whole UID */
	char ref[MSGID_REF_MAX + 1];
	char token[MSGID_TOKEN_MAX + 1];
};

/* Start an id for a letter of kind about group and meeting uid (either
 * may be NULL): version 1, ref and token empty.  Returns 0, or -1 when a
 * value is too long for its field (the id is then unusable). */
int   msgid_init(struct msgid *, const char *kind, const char *group,
          const char *uid);

/* ref: the decimal SEQUENCE, or 8 hex digits of a hash of text (a notice
 * key, the Message-ID a letter answers). */
void  msgid_set_sequence(struct msgid *, int sequence);
void  msgid_set_ref(struct msgid *, const char *text);
/* 1 when ref (a parsed id's ref field, may be NULL) is the one
 * msgid_set_ref() makes of text, else 0. */
int   msgid_ref_is(const char *ref, const char *text);

/* The recipient's part: their reply token (token_build()), a secret only
 * they receive, which a reply's In-Reply-To and References quote back.
 * Copied as given; msgid_build() refuses one that is not 1 to
 * MSGID_TOKEN_MAX lower-case letters and digits. */
void  msgid_set_token(struct msgid *, const char *token);

/* The id in the form above, without <>, for the organizer's domain; the
 * caller frees.  NULL when a field is not what the form allows (empty kind
 * or token, a character outside its set, a UID without '@'). */
char *msgid_build(const struct msgid *, const char *domain);

/* Take apart id (without <>; any bytes, any length, NULL too).  Returns 0
 * with *out filled when id is in one of the forms above and its domain is
 * domain (compared without case); -1 otherwise, with *out cleared. */
int   msgid_parse(const char *id, const char *domain, struct msgid *out);

#endif
