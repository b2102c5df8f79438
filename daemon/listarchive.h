/* listarchive.h: each group's list archive (issue 20, item 5).
 *
 * Every post a group's list relayed is kept in the group's repository,
 * one pair of files a month (UTC, the month it was relayed in):
 *
 *	<repository>/<group>/list/<YYYY-MM>.mbox   the posts as relayed
 *	                                          (list.h's list_clean_post:
 *	                                          checked and re-encoded,
 *	                                          From the author), mboxrd
 *	<repository>/<group>/list/<YYYY-MM>.txt    the same, readable: sender,
 *	                                          date, subject and text
 *
 * and list/metadata.json names the group's dissemination rule, as each
 * item of the repository does (archive.h): with dissemination = members
 * the list archive is for members only, and whatever publishes the
 * repository leaves it out.  A month's files are rebuilt whole from the
 * state db and replaced at once (archive.h's archive_write_file) when
 * posts of that month were relayed since: a crash leaves the old pair or
 * the new one, and the next cycle writes what is missing.  Each month's
 * write is journaled first for the git history (repo.h), kind "list",
 * its author the sender of the month's last post (the relay that made
 * the write; posts relayed in one cycle share one commit). */
#ifndef CONVENED_LISTARCHIVE_H
#define CONVENED_LISTARCHIVE_H

struct config;
struct group;
struct store;

/* Write the months of g whose posts the archive lacks, and mark them
 * archived, in the caller's transaction.  A repository that fails is
 * logged and tried again next cycle: 0.  -1 with *err set only when the
 * store fails. */
int listarchive_group(const struct config *, struct store *,
        const struct group *g, long long now, char **err);

#endif
