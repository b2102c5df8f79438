/* metrics.h: the daemon's figures for Prometheus, as a node_exporter
 * textfile ([daemon] metrics = PATH, the textfile collector's directory
 * and a name ending in .prom).
 *
 * Written after every cycle, whole or not at all (a temporary file in the
 * same directory, renamed), mode 0644 so that node_exporter, running as
 * another user, can read it; it holds no secret.  Gauges, with the
 * account's name and auth as labels where they apply:
 *   convened_account_up                               1 signed in, 0 not
 *   convened_account_last_success_timestamp_seconds   absent: never
 *   convened_account_token_expiry_timestamp_seconds   OAuth accounts
 *   convened_cycle_timestamp_seconds                  the cycle's now
 *   convened_cycle_messages_sent, _deferred, _failed
 *   convened_cycle_replies_applied, _refused
 *   convened_groups_short_of_quota                    this year
 *   convened_messages_waiting                         queued, not sent */
#ifndef CONVENED_METRICS_H
#define CONVENED_METRICS_H

struct config;
struct cycle_stats;
struct store;

/* The textfile's text for the cycle (caller frees), or NULL with *err
 * set (caller frees) when the store failed. */
char *metrics_text(const struct config *, struct store *, long long now,
        const struct cycle_stats *, char **err);

/* Write metrics_text() to cfg->metrics.  0, or -1 with *err set (caller
 * frees): the store, or the file (the caller logs it and goes on). */
int   metrics_write(const struct config *, struct store *, long long now,
          const struct cycle_stats *, char **err);

#endif
