/* addr.h: e-mail addresses, checked one way everywhere.
 *
 * An address convened writes to or believes is an addr-spec as people write
 * it: a dot-atom local part of at most 64 octets, '@', a domain of at least
 * two LDH labels, 254 octets in all.  Quoted local parts, address literals,
 * comments and non-ASCII are legal somewhere in RFC 5321/5322 but never in
 * an address a ministry gives out; refusing them keeps one rule for the
 * configuration, for headers convened writes and for senders it reads. */
#ifndef CONVENED_ADDR_H
#define CONVENED_ADDR_H

/* 1 when s (may be NULL) is such an address, else 0.  Case is not
 * checked: callers lower-case what they keep. */
int addr_valid(const char *s);

/* The one mailbox a From field names (RFC 5322 3.4): an addr-spec, or a
 * display name and "<addr-spec>", with comments anywhere, as unfolded
 * text.  The address must pass addr_valid(): nothing is guessed from a
 * field that does not hold exactly one such mailbox
 * ("marie@gouv.example.ht@attacker.example" names nobody).  0 with *addr
 * the address in lower case (caller frees), or -1 with *why a static
 * reason. */
int addr_mailbox(const char *field, char **addr, const char **why);

/* The domain of an address: the text after its last '@', or the whole
 * string when there is none.  Points into s. */
const char *addr_domain(const char *s);

#endif
