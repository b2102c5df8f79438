/*
 * repo.c: the repository's git history and its publishing (see repo.h).
 * The one file that includes libgit2.
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <git2.h>

#include "config.h"
#include "dynlib.h"
#include "log.h"
#include "outage.h"
#include "repo.h"
#include "site.h"
#include "store.h"
#include "util.h"

/* libgit2's functions.
 * Called through dynlib_git2's table (dynlib.h), filled on first use:
 * the names below stand for the table's entries. */
#define GIT2_FNS(X) \
	X(git_commit_create) \
	X(git_commit_free) \
	X(git_commit_lookup) \
	X(git_commit_message) \
	X(git_commit_tree_id) \
	X(git_error_last) \
	X(git_index_add_all) \
	X(git_index_add_bypath) \
	X(git_index_entrycount) \
	X(git_index_free) \
	X(git_index_read) \
	X(git_index_remove_bypath) \
	X(git_index_update_all) \
	X(git_index_write) \
	X(git_index_write_tree) \
	X(git_libgit2_init) \
	X(git_libgit2_opts) \
	X(git_oid_equal) \
	X(git_oid_tostr) \
	X(git_push_options_init) \
	X(git_reference_free) \
	X(git_reference_name) \
	X(git_reference_name_to_id) \
	X(git_remote_create_options_init) \
	X(git_remote_create_with_opts) \
	X(git_remote_free) \
	X(git_remote_push) \
	X(git_repository_free) \
	X(git_repository_head) \
	X(git_repository_index) \
	X(git_repository_init_ext) \
	X(git_repository_init_options_init) \
	X(git_repository_open_ext) \
	X(git_repository_path) \
	X(git_repository_workdir) \
	X(git_signature_free) \
	X(git_signature_new) \
	X(git_status_list_entrycount) \
	X(git_status_list_free) \
	X(git_status_list_new) \
	X(git_status_options_init) \
	X(git_tree_free) \
	X(git_tree_lookup)
DYNLIB_TABLE(gt, dynlib_git2, "libgit2.so." LIBGIT2_SOVERSION, GIT2_FNS)

#define GIT (gt_fns())
#define git_commit_create (GIT->git_commit_create)
#define git_commit_free (GIT->git_commit_free)
#define git_commit_lookup (GIT->git_commit_lookup)
#define git_commit_message (GIT->git_commit_message)
#define git_commit_tree_id (GIT->git_commit_tree_id)
#define git_error_last (GIT->git_error_last)
#define git_index_add_all (GIT->git_index_add_all)
#define git_index_add_bypath (GIT->git_index_add_bypath)
#define git_index_entrycount (GIT->git_index_entrycount)
#define git_index_free (GIT->git_index_free)
#define git_index_read (GIT->git_index_read)
#define git_index_remove_bypath (GIT->git_index_remove_bypath)
#define git_index_update_all (GIT->git_index_update_all)
#define git_index_write (GIT->git_index_write)
#define git_index_write_tree (GIT->git_index_write_tree)
#define git_libgit2_init (GIT->git_libgit2_init)
#define git_libgit2_opts (GIT->git_libgit2_opts)
#define git_oid_equal (GIT->git_oid_equal)
#define git_oid_tostr (GIT->git_oid_tostr)
#define git_push_options_init (GIT->git_push_options_init)
#define git_reference_free (GIT->git_reference_free)
#define git_reference_name (GIT->git_reference_name)
#define git_reference_name_to_id (GIT->git_reference_name_to_id)
#define git_remote_create_options_init (GIT->git_remote_create_options_init)
#define git_remote_create_with_opts (GIT->git_remote_create_with_opts)
#define git_remote_free (GIT->git_remote_free)
#define git_remote_push (GIT->git_remote_push)
#define git_repository_free (GIT->git_repository_free)
#define git_repository_head (GIT->git_repository_head)
#define git_repository_index (GIT->git_repository_index)
#define git_repository_init_ext (GIT->git_repository_init_ext)
#define git_repository_init_options_init (GIT->git_repository_init_options_init)
#define git_repository_open_ext (GIT->git_repository_open_ext)
#define git_repository_path (GIT->git_repository_path)
#define git_repository_workdir (GIT->git_repository_workdir)
#define git_signature_free (GIT->git_signature_free)
#define git_signature_new (GIT->git_signature_new)
#define git_status_list_entrycount (GIT->git_status_list_entrycount)
#define git_status_list_free (GIT->git_status_list_free)
#define git_status_list_new (GIT->git_status_list_new)
#define git_status_options_init (GIT->git_status_options_init)
#define git_tree_free (GIT->git_tree_free)
#define git_tree_lookup (GIT->git_tree_lookup)

#define PUBLISHED   "convened-published"   /* in the git directory */
#define TRAILER     "Convened-Journal: "
#define EXCLUDE     "# convened: temporary files are never committed\n" \
                    ".tmp.*\n"

/* ---- journal ---- */

int
repo_path_ok(const char *p)
{
	const char *c = p;
	size_t n;

	if (*p == '\0' || *p == '/' || str_has_ctl(p))
		return 0;
	while (*c != '\0') {
		n = strcspn(c, "/");
		if ((n == 1 && c[0] == '.') || (n == 2 && c[0] == '.' &&
		    c[1] == '.') || (n == 0 && c[0] == '/' && c[1] != '\0'))
			return 0;
		c += n;
		if (*c == '/')
			c++;
	}
	return 1;
}

int
repo_commit(struct store *st, const struct repo_change *c, char **err)
{
	struct store_repo_change r;
	struct buf paths = BUF_INIT(BUF_OWN);
	size_t i;
	int rc;

	for (i = 0; i < c->npaths; i++) {
		if (!repo_path_ok(c->paths[i])) {
			buf_release(&paths);
			*err = xasprintf("cannot journal a change of kind %s: "
			    "path '%s' is not one within the repository",
			    c->kind, c->paths[i]);
			return -1;
		}
		buf_addf(&paths, "%s%s", i ? "\n" : "", c->paths[i]);
	}
	memset(&r, 0, sizeof r);
	r.author_name = (char *)c->author_name;
	r.author_email = (char *)c->author_email;
	r.group_id = (char *)c->group_id;
	r.meeting_uid = (char *)c->meeting_uid;
	r.kind = (char *)c->kind;
	r.message_id = (char *)c->message_id;
	r.paths = (char *)buf_str(&paths);
	r.at = c->at;
	rc = store_repo_add(st, &r, err);
	buf_release(&paths);
	return rc;
}

int
repo_commit_convened(struct store *st, const char *group_id,
    const char *kind, const char *const *paths, size_t npaths, long long at,
    char **err)
{
	struct repo_change c;

	memset(&c, 0, sizeof c);
	c.group_id = group_id;
	c.kind = kind;
	c.paths = paths;
	c.npaths = npaths;
	c.at = at;
	return repo_commit(st, &c, err);
}

/* A kill -9 at a named moment, for the tests of recovery
 * (tests/integration/test_repo.py): CONVENED_TEST_CRASH names it,
 * "repo-before-commit" (files and journal row there, no commit) or
 * "repo-after-commit" (the commit made, the row not dropped). */
static void
crash_point(const char *where)
{
	const char *at = getenv("CONVENED_TEST_CRASH");

	if (at != NULL && strcmp(at, where) == 0)
		raise(SIGKILL);
}

/* ---- libgit2 ---- */

static void
git_setup(void)
{
	static int done;

	if (done)
		return;
	git_libgit2_init();
	/* A commit made must survive a crash: its objects, the index and
	 * HEAD are synced before the journal row goes.  libgit2 syncs each
	 * object file and its directory as it writes them (1,200 syncs for
	 * the 600 objects of a first cycle at 200 groups, most of its
	 * time); so objects are written unsynced and the file system synced
	 * once before the commit (commit_index()), whose own writes are
	 * synced as they go. */
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	/* The repository is the configured one, owned by convened's user
	 * or by whoever installed it: no ownership check to fail on. */
	git_libgit2_opts(GIT_OPT_SET_OWNER_VALIDATION, 0);
	/* Every tree and commit is built from objects just written or read
	 * here: looking each one up again (a file open per entry of every
	 * tree) was two thirds of a commit's time. */
	git_libgit2_opts(GIT_OPT_ENABLE_STRICT_OBJECT_CREATION, 0);
	done = 1;
}

/* What failed, with libgit2's last error (caller frees). */
static char *
git_why(const char *what, const char *path)
{
	const git_error *e = git_error_last();

	return xasprintf("cannot %s in %s: %s", what, path, e != NULL &&
	    e->message != NULL ? e->message : "unknown error");
}

/* The repository's git directory, made (branch "main", the temporary
 * files excluded) when missing; the repository itself too. */
static git_repository *
repo_open(const struct config *cfg, char **err)
{
	git_repository_init_options o;
	git_repository *r = NULL;
	char *ex;
	int rc;

	git_setup();
	if (file_mkdirat(AT_FDCWD, cfg->repository) == -1) {
		*err = xasprintf("cannot make the repository %s: %s",
		    cfg->repository, strerror(errno));
		return NULL;
	}
	rc = git_repository_open_ext(&r, cfg->repository,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL);
	if (rc == 0)
		return r;
	if (rc != GIT_ENOTFOUND) {
		*err = git_why("open the git history", cfg->repository);
		return NULL;
	}
	/* The _init functions, not the macros: they fill every field. */
	git_repository_init_options_init(&o,
	    GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_NO_REINIT;
	o.initial_head = "main";
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	rc = git_repository_init_ext(&r, cfg->repository, &o);
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
	if (rc != 0) {
		*err = git_why("make the git history", cfg->repository);
		return NULL;
	}
	ex = xasprintf("%sinfo/exclude", git_repository_path(r));
	if (file_write_path(ex, EXCLUDE, strlen(EXCLUDE), 0644, err) == -1) {
		free(ex);
		git_repository_free(r);
		return NULL;
	}
	free(ex);
	log_info("git history made in %s", cfg->repository);
	return r;
}

/* HEAD's commit, or NULL when the branch is unborn (0) or HEAD cannot be
 * read (-1). */
static int
head_commit(git_repository *r, git_commit **out)
{
	git_oid id;
	int rc;

	*out = NULL;
	rc = git_reference_name_to_id(&id, r, "HEAD");
	if (rc == GIT_ENOTFOUND || rc == GIT_EUNBORNBRANCH)
		return 0;
	if (rc != 0 || git_commit_lookup(out, r, &id) != 0)
		return -1;
	return 0;
}

/* Whether HEAD is the commit of journal row id (a crash came between
 * the commit and the row's removal).  1 / 0, -1. */
static int
head_is(git_repository *r, long long id)
{
	git_commit *h;
	char want[48];
	const char *msg, *at;
	int is = 0;

	if (head_commit(r, &h) == -1)
		return -1;
	if (h == NULL)
		return 0;
	snprintf(want, sizeof want, "\n" TRAILER "%lld\n", id);
	msg = git_commit_message(h);
	at = msg != NULL ? strstr(msg, want) : NULL;
	is = at != NULL;
	git_commit_free(h);
	return is;
}

/* The objects written unsynced (git_setup()) on the disk: 0, or -1 with
 * *err. */
static int
objects_sync(git_repository *r, char **err)
{
	const char *dir = git_repository_path(r);
	int fd, e;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    syncfs(fd) == -1) {
		e = errno;
		*err = xasprintf("cannot sync %s: %s", dir, strerror(e));
		if (fd != -1)
			close(fd);
		return -1;
	}
	close(fd);
	return 0;
}

/* The index's tree committed on HEAD by author, unless it is HEAD's tree
 * already (*made 0).  0, or -1 with *err. */
static int
commit_index(git_repository *r, git_index *ix, const git_signature *author,
    const git_signature *committer, const char *msg, int *made, char **err)
{
	git_commit *parent = NULL;
	git_tree *tree = NULL;
	git_oid tid, cid;
	int rc = -1;

	*made = 0;
	if (git_index_write_tree(&tid, ix) != 0 || head_commit(r, &parent) ==
	    -1) {
		*err = git_why("write the tree", git_repository_workdir(r));
		return -1;
	}
	if (parent != NULL ? git_oid_equal(git_commit_tree_id(parent), &tid) :
	    git_index_entrycount(ix) == 0) {
		rc = 0;
		goto out;
	}
	if (git_tree_lookup(&tree, r, &tid) != 0) {
		*err = git_why("commit", git_repository_workdir(r));
		goto out;
	}
	if (objects_sync(r, err) == -1)
		goto out;
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 1);
	if (git_index_write(ix) != 0 || git_commit_create(&cid, r, "HEAD",
	    author, committer, NULL, msg, tree, parent != NULL ? 1 : 0,
	    (const git_commit **)&parent) != 0)
		*err = git_why("commit", git_repository_workdir(r));
	else {
		*made = 1;
		rc = 0;
	}
	git_libgit2_opts(GIT_OPT_ENABLE_FSYNC_GITDIR, 0);
out:
	git_tree_free(tree);
	git_commit_free(parent);
	return rc;
}

/* One path of a change into the index: a file as it is on disk (gone:
 * out of the index), a directory ("dir/") with all below it. */
static int
stage(git_repository *r, git_index *ix, const char *path)
{
	size_t n = strlen(path);
	struct stat sb;
	char *full, *dir;
	int rc;

	if (n > 0 && path[n - 1] == '/') {
		dir = xstrndup(path, n - 1);
		{
			char *specs[] = { dir };
			git_strarray sa = { specs, 1 };

			rc = git_index_add_all(ix, &sa, GIT_INDEX_ADD_DEFAULT,
			    NULL, NULL) || git_index_update_all(ix, &sa, NULL,
			    NULL);
		}
		free(dir);
		return rc ? -1 : 0;
	}
	full = xasprintf("%s%s", git_repository_workdir(r), path);
	rc = lstat(full, &sb);
	free(full);
	if (rc == 0)
		return git_index_add_bypath(ix, path) ? -1 : 0;
	rc = git_index_remove_bypath(ix, path);
	return rc == 0 || rc == GIT_ENOTFOUND ? 0 : -1;
}

/* A value for the message: one line, no control characters. */
static void
msg_value(struct buf *b, const char *key, const char *v)
{
	if (v == NULL)
		return;
	buf_addf(b, "%s: ", key);
	for (; *v != '\0'; v++)
		buf_addc(b, (unsigned char)*v < 0x20 || *v == 0x7f ? '?' : *v);
	buf_addc(b, '\n');
}

static char *
change_message(const struct store_repo_change *c)
{
	struct buf b = BUF_INIT(BUF_OWN);

	buf_adds(&b, c->kind);
	if (c->group_id != NULL)
		buf_addf(&b, " of %s", c->group_id);
	if (c->meeting_uid != NULL)
		buf_adds(&b, ", for a meeting");
	if (c->message_id != NULL)
		buf_adds(&b, ", by mail");
	buf_adds(&b, "\n\n");
	msg_value(&b, "Group", c->group_id);
	msg_value(&b, "Meeting", c->meeting_uid);
	msg_value(&b, "Kind", c->kind);
	if (c->message_id != NULL && c->message_id[0] != '<') {
		char *id = xasprintf("<%s>", c->message_id);

		msg_value(&b, "Message-ID", id);
		free(id);
	} else
		msg_value(&b, "Message-ID", c->message_id);
	buf_addf(&b, TRAILER "%lld\n", c->id);
	return buf_detach(&b);
}

/* convened's signature at t: the organizer's address. */
static int
sig_convened(const struct config *cfg, long long t, git_signature **out)
{
	return git_signature_new(out, "convened", cfg->org_email,
	    (git_time_t)t, 0);
}

/* Changes of convened's own that may share one commit: a calendar feed
 * is rewritten for every group a cycle planned, and a commit apiece
 * (an index and a root tree written each time) made the first cycle of
 * a thousand groups take minutes. */
#define BATCH_KIND      "calendar"
#define BATCH_MAX       1000

static int
batchable(const struct store_repo_change *c)
{
	return c->kind != NULL && strcmp(c->kind, BATCH_KIND) == 0 &&
	    c->author_email == NULL && c->message_id == NULL &&
	    c->meeting_uid == NULL;
}

/* Each line of paths staged.  0, or -1 with *err. */
static int
stage_paths(git_repository *r, git_index *ix, const char *paths,
    char **err)
{
	const char *p, *nl;

	for (p = paths; *p != '\0'; p = nl + (*nl != '\0')) {
		char *one;

		nl = p + strcspn(p, "\n");
		one = xstrndup(p, (size_t)(nl - p));
		if (stage(r, ix, one)) {
			*err = git_why("add a file", one);
			free(one);
			return -1;
		}
		free(one);
	}
	return 0;
}

/* The changes after c that go in its commit (batchable() ones, in a
 * row) staged, their groups and journal trailers added to msg, their
 * ids in *ids (caller frees).  How many; -1 when the store failed, -2
 * when git did (*err). */
static int
batch_more(struct store *st, git_repository *r, git_index *ix,
    const struct store_repo_change *c, struct buf *msg, long long **ids,
    char **err)
{
	struct store_repo_change n;
	long long last = c->id;
	int k = 0, rc;

	while (batchable(c) && k < BATCH_MAX) {
		if ((rc = store_repo_after(st, last, &n, err)) <= 0)
			return rc == 0 ? k : -1;
		if (!batchable(&n)) {
			store_repo_change_clear(&n);
			break;
		}
		if (stage_paths(r, ix, n.paths, err) == -1) {
			store_repo_change_clear(&n);
			return -2;
		}
		*ids = xreallocarray(*ids, (size_t)k + 1, sizeof **ids);
		(*ids)[k++] = last = n.id;
		msg_value(msg, "Group", n.group_id);
		buf_addf(msg, TRAILER "%lld\n", n.id);
		store_repo_change_clear(&n);
	}
	return k;
}

/* The journal's oldest change committed (or found committed): 1 done, 0
 * journal empty, -1 store (*err), -2 git (*err). */
static int
commit_next(const struct config *cfg, struct store *st, git_repository *r,
    git_index *ix, long long now, int *commits, char **err)
{
	struct store_repo_change c;
	git_signature *author = NULL, *committer = NULL;
	struct buf more = BUF_INIT(BUF_OWN);
	long long *ids = NULL;
	char *msg = NULL;
	int rc, made = 0, nids = 0, i;

	if ((rc = store_repo_next(st, &c, err)) <= 0)
		return rc;
	/* A crash came between the commit and the rows' removal: the rows
	 * of a batch are each found in HEAD's trailers, one by one. */
	if ((rc = head_is(r, c.id)) == 1)
		goto drop;
	rc = -2;
	if (stage_paths(r, ix, c.paths, err) == -1)
		goto out;
	if ((nids = batch_more(st, r, ix, &c, &more, &ids, err)) < 0) {
		rc = nids;
		nids = 0;
		goto out;
	}
	/* An author the configuration cannot sign as is convened. */
	if ((c.author_email == NULL || git_signature_new(&author,
	    c.author_name != NULL && *c.author_name ? c.author_name :
	    c.author_email, c.author_email, (git_time_t)c.at, 0) != 0) &&
	    sig_convened(cfg, c.at, &author) != 0) {
		*err = git_why("sign a commit", cfg->repository);
		goto out;
	}
	if (sig_convened(cfg, now, &committer) != 0) {
		*err = git_why("sign a commit", cfg->repository);
		goto out;
	}
	msg = change_message(&c);
	if (nids > 0) {
		char *all = xasprintf("%s of %d groups\n\n%s%s", c.kind,
		    nids + 1, strchr(msg, '\n') + 2, buf_str(&more));

		free(msg);
		msg = all;
	}
	crash_point("repo-before-commit");
	if (commit_index(r, ix, author, committer, msg, &made, err) == -1)
		goto out;
	crash_point("repo-after-commit");
	*commits += made;
drop:
	rc = store_repo_drop(st, c.id, err) == -1 ? -1 : 1;
	for (i = 0; rc == 1 && i < nids; i++)
		if (store_repo_drop(st, ids[i], err) == -1)
			rc = -1;
out:
	free(ids);
	buf_release(&more);
	free(msg);
	git_signature_free(author);
	git_signature_free(committer);
	store_repo_change_clear(&c);
	return rc;
}

/* Whatever else is changed on disk, committed as convened: kind
 * "converted" for the first commit of a plain directory, else
 * "recovered".  0 / -1 with *err. */
static int
sweep(const struct config *cfg, git_repository *r, git_index *ix,
    long long now, int *commits, char **err)
{
	git_status_options so;
	git_status_list *list = NULL;
	git_signature *sig = NULL;
	git_commit *h = NULL;
	char *msg;
	size_t n;
	int made = 0, rc = -1;

	git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION);
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED |
	    GIT_STATUS_OPT_RECURSE_UNTRACKED_DIRS;
	if (git_status_list_new(&list, r, &so) != 0) {
		*err = git_why("read the status", cfg->repository);
		return -1;
	}
	n = git_status_list_entrycount(list);
	git_status_list_free(list);
	if (n == 0)
		return 0;
	if (head_commit(r, &h) == -1 || git_index_add_all(ix, NULL,
	    GIT_INDEX_ADD_DEFAULT, NULL, NULL) != 0 || git_index_update_all(ix,
	    NULL, NULL, NULL) != 0 || sig_convened(cfg, now, &sig) != 0) {
		*err = git_why("add the files found", cfg->repository);
		goto out;
	}
	msg = xasprintf("%s\n\nKind: %s\n", h == NULL ? "the repository "
	    "converted to a git history" : "files found on disk without a "
	    "commit", h == NULL ? "converted" : "recovered");
	rc = commit_index(r, ix, sig, sig, msg, &made, err);
	free(msg);
	if (made) {
		log_info("%s: %zu file%s committed as %s", cfg->repository, n,
		    n == 1 ? "" : "s", h == NULL ? "the conversion to a git "
		    "history" : "recovered, without a journaled change");
		(*commits)++;
	}
out:
	git_commit_free(h);
	git_signature_free(sig);
	return rc;
}

/* Files nobody journaled (an admin's, a plain directory's) are looked
 * for this often: the look is a stat of every file of the history, the
 * most a cycle with nothing to do would otherwise cost, and every
 * writer of convened journals its own. */
#define SWEEP_EVERY     DAY
#define SWEEP_MARK      "repository-sweep"

/* repo_flush(), sweeping or not. */
static int
flush(const struct config *cfg, struct store *st, long long now,
    int *commits, int sweep_too, char **err)
{
	struct store_repo_change c;
	git_repository *r;
	git_index *ix = NULL;
	int n = 0, rc;

	/* Nothing journaled and no sweep: the history is not opened (an
	 * idle cycle's most costly step otherwise). */
	if (!sweep_too) {
		if ((rc = store_repo_next(st, &c, err)) == -1)
			return -1;
		store_repo_change_clear(&c);
		if (rc == 0) {
			if (commits != NULL)
				*commits = 0;
			return 0;
		}
	}
	if ((r = repo_open(cfg, err)) == NULL)
		return 1;
	if (git_repository_index(&ix, r) != 0 || git_index_read(ix, 0) != 0) {
		*err = git_why("read the index", cfg->repository);
		rc = 1;
		goto out;
	}
	while ((rc = commit_next(cfg, st, r, ix, now, &n, err)) == 1)
		;
	if (rc == 0)
		rc = sweep_too && sweep(cfg, r, ix, now, &n, err) == -1 ? 1 : 0;
	else
		rc = rc == -2 ? 1 : -1;
	if (n > 0)
		log_debug("%s: %d commit%s", cfg->repository, n, n == 1 ? "" :
		    "s");
out:
	if (commits != NULL)
		*commits = n;
	git_index_free(ix);
	git_repository_free(r);
	return rc;
}

int
repo_flush(const struct config *cfg, struct store *st, long long now,
    int *commits, char **err)
{
	return flush(cfg, st, now, commits, 1, err);
}

/* Whether the sweep is due: 1, 0, or -1 with *err. */
static int
sweep_due(struct store *st, long long now, char **err)
{
	long long at = 0;
	int rc;

	if ((rc = store_mark_get(st, SWEEP_MARK, &at, err)) != 1)
		return rc == 0 ? 1 : -1;
	return now < at || now - at >= SWEEP_EVERY;
}

/* ---- publishing ---- */

/* A reference the remote refused: its message kept (the first). */
static int
push_status(const char *ref, const char *status, void *arg)
{
	char **why = arg;

	if (status != NULL && *why == NULL)
		*why = xasprintf("the remote refused %s: %s", ref, status);
	return 0;
}

/* HEAD's branch to url.  0, or -1 with *why. */
static int
push(git_repository *r, const char *url, char **why)
{
	git_remote_create_options ro;
	git_push_options po;
	git_reference *head = NULL;
	git_remote *remote = NULL;
	char *spec = NULL;
	int rc = -1;

	if (git_repository_head(&head, r) != 0) {
		*why = git_why("read HEAD", git_repository_path(r));
		return -1;
	}
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	spec = xasprintf("%s:%s", git_reference_name(head),
	    git_reference_name(head));
	po.callbacks.push_update_reference = push_status;
	po.callbacks.payload = why;
	/* The URL as configured: no url.*.insteadOf of the repository's
	 * (whose lookup, in libgit2 1.5, also leaks a regex match). */
	git_remote_create_options_init(&ro, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	ro.repository = r;
	ro.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF |
	    GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(&remote, url, &ro) != 0) {
		*why = git_why("use the remote", url);
		goto out;
	}
	{
		char *specs[] = { spec };
		git_strarray sa = { specs, 1 };

		if (git_remote_push(remote, &sa, &po) != 0) {
			free(*why);
			*why = git_why("push", url);
			goto out;
		}
	}
	rc = *why == NULL ? 0 : -1;
out:
	git_remote_free(remote);
	git_reference_free(head);
	free(spec);
	return rc;
}

/* HEAD as hex into out; "" when unborn or unreadable. */
static void
head_hex(git_repository *r, char out[GIT_OID_HEXSZ + 1])
{
	git_oid id;

	out[0] = '\0';
	if (git_reference_name_to_id(&id, r, "HEAD") == 0)
		git_oid_tostr(out, GIT_OID_HEXSZ + 1, &id);
}

/* 1 when what .git/convened-published says is hex. */
static int
published(git_repository *r, const char *hex)
{
	char *path = xasprintf("%s" PUBLISHED, git_repository_path(r));
	char have[GIT_OID_HEXSZ + 2];
	FILE *fp = fopen(path, "re");
	int same = 0;

	free(path);
	if (fp == NULL)
		return 0;
	if (fgets(have, sizeof have, fp) != NULL)
		same = strncmp(have, hex, GIT_OID_HEXSZ) == 0;
	fclose(fp);
	return same;
}

int
repo_publish(const struct config *cfg, struct store *st, long long now,
    char **err)
{
	char hex[GIT_OID_HEXSZ + 1], *why = NULL, *path;
	git_repository *r = NULL;
	int due, rc = 0;

	if (cfg->publish == NULL)
		return 0;
	if ((due = outage_due(st, OUTAGE_PUBLISH, now, err)) == -1)
		return -1;
	if (due == OUTAGE_WAIT)
		return 0;
	git_setup();
	if (git_repository_open_ext(&r, cfg->repository,
	    GIT_REPOSITORY_OPEN_NO_SEARCH, NULL) != 0)
		return 0;       /* no history yet: nothing to push */
	head_hex(r, hex);
	if (*hex == '\0' || published(r, hex))
		goto out;
	if (push(r, cfg->publish, &why) == -1) {
		rc = outage_failed(cfg, st, OUTAGE_PUBLISH, why, now, err);
		goto out;
	}
	path = xasprintf("%s" PUBLISHED, git_repository_path(r));
	if (file_write_path(path, hex, strlen(hex), 0600, &why) == -1)
		log_warnx("%s", why);
	free(path);
	log_debug("%s: pushed %s to %s", cfg->repository, hex, cfg->publish);
	rc = outage_ok(cfg, st, OUTAGE_PUBLISH, now, err);
out:
	free(why);
	git_repository_free(r);
	return rc;
}

int
repo_cycle(const struct config *cfg, struct store *st, long long now,
    const unsigned char *only, char **err)
{
	char *why = NULL;
	int due, rc, sweep_too;

	/* The repository itself down is told by what writes the records
	 * (outage.h); its history waits for it, and is not told twice. */
	if ((due = outage_due(st, OUTAGE_REPOSITORY, now, err)) == -1)
		return -1;
	if (due != OUTAGE_UP)
		return 0;
	if ((due = outage_due(st, OUTAGE_HISTORY, now, err)) == -1)
		return -1;
	if (due == OUTAGE_WAIT)
		return 0;
	if ((rc = site_write_some(cfg, st, now, only, &why, err)) == -1)
		return -1;
	if (rc == 0 && (sweep_too = sweep_due(st, now, err)) == -1)
		return -1;
	if (rc == 0 && (rc = flush(cfg, st, now, NULL, sweep_too, &why)) ==
	    -1) {
		*err = why;
		return -1;
	}
	if (rc == 0 && sweep_too && store_mark_set(st, SWEEP_MARK, now,
	    err) == -1)
		return -1;
	if (rc == 1) {
		rc = outage_failed(cfg, st, OUTAGE_HISTORY, why, now, err);
		free(why);
		return rc;
	}
	if (outage_ok(cfg, st, OUTAGE_HISTORY, now, err) == -1)
		return -1;
	return repo_publish(cfg, st, now, err);
}
