#include <string.h>

#include "agenda.h"
#include "cycle.h"
#include "inbox.h"
#include "log.h"
#include "notice.h"
#include "outbox.h"
#include "plan.h"
#include "quota.h"
#include "report.h"
#include "store.h"

int
cycle_run(const struct config *cfg, struct store *st, long long now,
    int collect, volatile sig_atomic_t *stop, struct cycle_stats *out,
    char **err)
{
	struct cycle_stats cs;
	struct inbox_stats is;
	struct plan_stats ps;
	struct outbox_stats os, os2;
	int queued = 0, notices = 0, warned = 0;

	memset(&cs, 0, sizeof cs);
	memset(&os2, 0, sizeof os2);
	memset(&is, 0, sizeof is);
	if ((collect && inbox_collect(cfg, st, now, stop, &is, err) == -1) ||
	    plan_run(cfg, st, now, &ps, err) == -1 ||
	    agenda_run(cfg, st, now, &queued, err) == -1 ||
	    quota_run(cfg, st, now, &warned, err) == -1 ||
	    outbox_flush(cfg, st, now, stop, &os, err) == -1 ||
	    notice_bounces(cfg, st, now, &notices, err) == -1 ||
	    (notices > 0 && outbox_flush(cfg, st, now, stop, &os2, err) == -1))
		return -1;
	/* The feeds show what planning decided; a repository that cannot be
	 * written is logged and does not stop the mail. */
	if (report_calendar_write(cfg, st, now, NULL, err) == -1)
		return -1;
	cs.replies_read = is.fetched;
	cs.replies_applied = is.applied;
	cs.mail_server_down = is.server_error;
	cs.meetings_new = ps.meetings_new;
	cs.meetings_changed = ps.meetings_changed;
	cs.meetings_cancelled = ps.meetings_cancelled;
	cs.queued = ps.queued + queued + warned + notices;
	cs.sent = os.sent + os2.sent;
	cs.deferred = os.deferred + os2.deferred;
	cs.failed = os.failed + os2.failed;
	cs.smtp_refused = os.account_error || os2.account_error;
	cs.pending = store_outbox_count(st, "pending") +
	    store_outbox_count(st, "sending");
	log_info("cycle done: %d replies read, %d applied%s; %d meetings new, "
	    "%d changed, %d cancelled; %d messages queued, %d sent, "
	    "%d deferred, %d failed, %lld waiting%s", cs.replies_read,
	    cs.replies_applied, cs.mail_server_down ?
	    " (mail server unavailable)" : "", cs.meetings_new,
	    cs.meetings_changed, cs.meetings_cancelled, cs.queued, cs.sent,
	    cs.deferred, cs.failed, cs.pending, cs.smtp_refused ?
	    "; the mail server refused us" : "");
	if (out != NULL)
		*out = cs;
	return 0;
}
