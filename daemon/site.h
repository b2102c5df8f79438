/* site.h: the public site, <repository>/site/: static HTML and CSS, no
 * script, every link relative (it works from file:// and from any web
 * server, and the Observatory or the virtual community can link a group's
 * page).
 *
 *   site/index.html       the groups by kind (thematic ones by axis), in
 *                         [daemon] language
 *   site/style.css        one style sheet, print included
 *   site/<group>.html     per group, in the group's language (lang set):
 *                         coordinators' names, upcoming meetings and the
 *                         calendar.ics subscription link, the meetings
 *                         held with date, kind and attendance rate, the
 *                         quota picture (html.h chart and its numbers),
 *                         the experiences presented (html.h, present.h's
 *                         experiences.json), the milestones with due and
 *                         done days (milestone.h), and, but only for a
 *                         group whose dissemination is public, the
 *                         minutes, documents and agreements, the
 *                         presenters' materials, and the months of the
 *                         list archive (listarchive.h: the YYYY-MM.txt,
 *                         never the mbox), under the anchor "list" that
 *                         List-Archive names (list.h)
 *   site/files/<path>     copies of those public records (<path> as in
 *                         the repository); a text file with every e-mail
 *                         address in it replaced
 *
 * No member's e-mail address is ever written into a page; names of
 * coordinators and presenters are.  Pages carry no date of their own, so
 * they change only when what they show does.  Anything else found under
 * site/ (a group gone, a group whose records became members-only) is
 * removed. */
#ifndef CONVENED_SITE_H
#define CONVENED_SITE_H

struct config;
struct store;

/* Render the site as of now and write what changed, journaled first as
 * one change of kind "site" by convened (repo.h).  0; 1 when a file (or
 * site/ itself) could not be written (*werr set, caller frees: the
 * caller's outage, and the next cycle writes what is still different);
 * -1 when the store failed (*err set, caller frees). */
int site_write(const struct config *, struct store *, long long now,
        char **werr, char **err);

/* The same, rendering only the pages of the groups whose byte in only
 * is set (only NULL: all), and the index; the other groups' files stay
 * as they are.  0 at once when no byte is set. */
int site_write_some(const struct config *, struct store *, long long now,
        const unsigned char *only, char **werr, char **err);

#endif
