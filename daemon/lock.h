/* lock.h: one cycle at a time.
 *
 * Two processes working on one state db would each send what the other
 * sends (every row 'pending' to both).  `run` holds an exclusive lock for
 * its whole life and `once` for its cycle: flock(2) on <state>.lock,
 * beside the state, which the kernel releases when the holder exits or
 * crashes, so a lock can never be left stale.  The holder writes its pid
 * and the time it took the lock into the file for the next one to name.
 * The file is never removed: removing it would let a third process lock a
 * new file while the second still waits on the old one.  Read-only
 * commands (status, report, calendar, inspect, check, backup) take no
 * lock: SQLite keeps what they read consistent. */
#ifndef CONVENED_LOCK_H
#define CONVENED_LOCK_H

struct lock;

/* Why lock_take() failed. */
enum lock_fail {
	LOCK_BUSY,      /* another process holds it (still, after waiting) */
	LOCK_ERROR      /* the lock file cannot be opened or locked */
};

/* Take the lock of the state db at state_path: the file state_path with
 * ".lock" appended, created mode 0600 when absent, never through a
 * symbolic link.  wait_s 0 tries once; wait_s > 0 tries again every tenth
 * of a second for that many seconds (one line is logged when it starts
 * waiting).  Returns the lock, held until lock_release(); or NULL with
 * *why set and *err set (caller frees): for LOCK_BUSY the message names
 * the holder's pid, since when it holds it (UTC) and the lock file.
 * state_path is only read during the call. */
struct lock *lock_take(const char *state_path, int wait_s,
        enum lock_fail *why, char **err);

/* Unlock, close and free.  NULL is a no-op.  The file stays. */
void lock_release(struct lock *);

#endif
