/*
 * listarchive.c: each group's list archive (see listarchive.h).
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "archive.h"
#include "classify.h"
#include "config.h"
#include "list.h"
#include "listarchive.h"
#include "log.h"
#include "repo.h"
#include "store.h"
#include "util.h"

#define LIST_DIR "list"

/* One post in mboxrd form: a "From " line, the message with LF line
 * ends, every line that is ">*From " quoted once more, a blank line. */
static void
mbox_add(struct buf *b, const struct store_post *p, const char *msg,
    size_t len)
{
	const char *line = msg, *end = msg + len, *nl;
	char when[32];
	time_t t = (time_t)p->received;
	struct tm tm;
	size_t n, q;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%a %b %e %H:%M:%S %Y", &tm);
	buf_addf(b, "From %s %s\n", p->sender ? p->sender : "MAILER-DAEMON",
	    when);
	for (; line < end; line = nl + 1) {
		nl = memchr(line, '\n', (size_t)(end - line));
		n = (nl ? (size_t)(nl - line) : (size_t)(end - line));
		if (n > 0 && line[n - 1] == '\r')
			n--;
		for (q = 0; q < n && line[q] == '>'; q++)
			;
		if (n - q >= 5 && strncmp(line + q, "From ", 5) == 0)
			buf_addc(b, '>');
		buf_add(b, line, n);
		buf_addc(b, '\n');
		if (nl == NULL)
			break;
	}
	buf_addc(b, '\n');
}

/* One post, readable; a member's name before their address, so that the
 * public site's copy (addresses removed, site.h) still says who wrote. */
static void
text_add(struct buf *b, const struct group *g, const struct store_post *p,
    const char *text)
{
	const struct member *m = p->sender ? config_member(g, p->sender) :
	    NULL;
	char when[32];
	time_t t = (time_t)p->received;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
	buf_addf(b, "From:    %s%s%s%s\nDate:    %s\nSubject: %s\n\n%s\n\n"
	    "------------------------------------------------------------"
	    "\n\n", m && m->name ? m->name : "", m && m->name ? " <" : "",
	    p->sender ? p->sender : "?", m && m->name ? ">" : "", when,
	    p->subject ? p->subject : "", text);
}

/* The month's two files, built from the store into *mbox and *txt; the
 * last post of the month (the one whose relay made this write) into
 * *last (its sender and Message-ID, caller frees; zeroed when none). */
static int
build_month(const struct config *cfg, struct store *st,
    const struct group *g, const char *month, struct buf *mbox,
    struct buf *txt, struct store_post *last, char **err)
{
	struct store_post *ps;
	struct verdict *v;
	char *raw, *msg, *text;
	size_t n, i, len, mlen;

	if (store_posts_in_month(st, g->id, month, &ps, &n, err) == -1)
		return -1;
	for (i = 0; i < n; i++) {
		if (store_post_raw(st, ps[i].message_id, &raw, &len, err) == -1) {
			store_posts_free(ps, n);
			return -1;
		}
		classify(raw ? raw : "", len, &v);
		if (v->msg != NULL) {
			msg = list_clean_post(cfg, g, v, ps[i].message_id,
			    ps[i].received, &mlen, &text);
			mbox_add(mbox, &ps[i], msg, mlen);
			text_add(txt, g, &ps[i], text);
			free(msg);
			free(text);
		}
		verdict_free(v);
		free(raw);
	}
	if (n > 0) {
		last->sender = ps[n - 1].sender;
		last->message_id = ps[n - 1].message_id;
		ps[n - 1].sender = ps[n - 1].message_id = NULL;
	}
	store_posts_free(ps, n);
	return 0;
}

/* The month's files and the metadata journaled for the git history
 * (repo.h) before they are replaced: the author is the sender of the
 * month's last post.  0 / -1 (store). */
static int
journal_month(struct store *st, const struct group *g, const char *month,
    const struct store_post *last, long long now, char **err)
{
	const struct member *m = last->sender ? config_member(g,
	    last->sender) : NULL;
	char *mbox = xasprintf("%s/" LIST_DIR "/%s.mbox", g->id, month);
	char *txt = xasprintf("%s/" LIST_DIR "/%s.txt", g->id, month);
	char *meta = xasprintf("%s/" LIST_DIR "/metadata.json", g->id);
	const char *paths[] = { mbox, txt, meta };
	struct repo_change c;
	int rc;

	memset(&c, 0, sizeof c);
	c.author_name = m != NULL ? m->name : NULL;
	c.author_email = last->sender;
	c.group_id = g->id;
	c.kind = "list";
	c.message_id = last->message_id;
	c.paths = paths;
	c.npaths = 3;
	c.at = now;
	rc = repo_commit(st, &c, err);
	free(mbox);
	free(txt);
	free(meta);
	return rc;
}

/* The group's list directory, made when missing, not through a link:
 * its descriptor, or -1 with *why set. */
static int
list_dir(const struct config *cfg, const struct group *g, char **why)
{
	int gfd, fd;

	if (archive_group_dir(cfg->repository, g->id, &gfd, why) != ARCHIVE_OK)
		return -1;
	if (file_mkdirat(gfd, LIST_DIR) == -1 ||
	    (fd = openat(gfd, LIST_DIR, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC)) == -1) {
		*why = xasprintf("%s/%s/" LIST_DIR ": not a directory of its own",
		    cfg->repository, g->id);
		close(gfd);
		return -1;
	}
	close(gfd);
	return fd;
}

/* Write one month's pair and the metadata, journaled first: 1 written,
 * 0 the repository failed (logged), -1 the store failed. */
static int
write_month(const struct config *cfg, struct store *st,
    const struct group *g, int dfd, const char *month, long long now,
    char **err)
{
	struct buf mbox = BUF_INIT(BUF_OWN), txt = BUF_INIT(BUF_OWN);
	struct store_post last;
	const char *dis = g->public_minutes ? "public" : "members";
	char name[32], *why = NULL, *meta = NULL;
	int rc = 1;

	memset(&last, 0, sizeof last);
	if (build_month(cfg, st, g, month, &mbox, &txt, &last, err) == -1 ||
	    journal_month(st, g, month, &last, now, err) == -1) {
		rc = -1;
		goto out;
	}
	meta = xasprintf("{\"group\": \"%s\", \"kind\": \"list\", "
	    "\"dissemination\": \"%s\"}\n", g->id, dis);
	if (archive_write_file(dfd, "metadata.json", meta, strlen(meta),
	    &why) != ARCHIVE_OK)
		rc = 0;
	snprintf(name, sizeof name, "%s.mbox", month);
	if (rc == 1 && archive_write_file(dfd, name, mbox.len ? mbox.data :
	    "", mbox.len, &why) != ARCHIVE_OK)
		rc = 0;
	snprintf(name, sizeof name, "%s.txt", month);
	if (rc == 1 && archive_write_file(dfd, name, txt.len ? txt.data : "",
	    txt.len, &why) != ARCHIVE_OK)
		rc = 0;
	if (rc == 0) {
		log_warnx("cannot archive the list of %s for %s: %s; trying again "
		    "next cycle", g->id, month, why ? why : "unknown error");
		free(why);
	}
out:
	free(meta);
	free(last.sender);
	free(last.message_id);
	buf_release(&mbox);
	buf_release(&txt);
	return rc;
}

int
listarchive_group(const struct config *cfg, struct store *st,
    const struct group *g, long long now, char **err)
{
	struct store_post_month *mo;
	char *why = NULL;
	size_t n, i;
	int dfd, rc = 0;

	if (store_posts_unarchived(st, g->id, &mo, &n, err) == -1)
		return -1;
	if (n == 0)
		return 0;
	if ((dfd = list_dir(cfg, g, &why)) == -1) {
		log_warnx("cannot archive the list of %s: %s; trying again next "
		    "cycle", g->id, why);
		free(why);
		free(mo);
		return 0;
	}
	for (i = 0; rc != -1 && i < n; i++)
		if ((rc = write_month(cfg, st, g, dfd, mo[i].month, now,
		    err)) == 1)
			rc = store_posts_archived(st, g->id, mo[i].month, err);
	free(mo);
	close(dfd);
	return rc == -1 ? -1 : 0;
}
