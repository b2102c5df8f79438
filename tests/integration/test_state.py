"""Never a silent fresh start, against a real SMTP server (issue 19: a
state.db truncated to 0 bytes sent every invitation again).

- A state file that is empty, cut in half, random bytes, or another
  program's SQLite database stops `once`, `run` and `status` with exit 78
  (EX_CONFIG) and one line saying what is wrong and what to do; nothing on
  disk changes and nothing is sent.
- No state beside a repository that already holds an archived item: the
  same, until `--init once` says a fresh start is meant.
- `convened backup FILE` taken while a cycle is sending: mode 0600, never
  over an existing file; after the state is lost and the backup restored
  as convened(8) says, the next `once` sends what was left and nothing
  twice (counted per Message-ID at the SMTP sink).
- Modes under a permissive umask (022 here): state, its lock and backups
  0600, the repository's directories 0750 and files 0640."""

import hashlib
import os
import shutil
import sqlite3
import stat
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, SmtpServer, big_group, check, repository_modes, run  # noqa: E402
from test_lock import per_message_id  # noqa: E402

EX_CONFIG = 78
EX_CANTCREAT = 73
NOW = "2021-03-01T12:00:00Z"


def snapshot(dir):
    """Every file under dir: its mode, size, modification time and
    digest.  What "changes nothing on disk" compares."""
    out = {}
    for d, _, files in os.walk(dir):
        for f in files:
            p = os.path.join(d, f)
            st = os.lstat(p)
            digest = hashlib.sha256(open(p, "rb").read()).hexdigest() \
                if stat.S_ISREG(st.st_mode) else None
            out[os.path.relpath(p, dir)] = (st.st_mode, st.st_size, st.st_mtime_ns, digest)
    return out


def state_files(ws):
    return {k: v for k, v in snapshot(ws.dir).items()
            if k.startswith("state.db") or k == "repository"}


def refused(ws, smtp, args, want, what):
    """convened ARGS exits 78 with a line holding want, changing nothing
    under the workspace (the SMTP server's own files aside) and sending
    nothing."""
    before = {k: v for k, v in snapshot(ws.dir).items() if not k.startswith("smtp/")}
    sent = len(smtp.messages())
    p = ws.convened(*args, now=NOW, expect=None)
    check(p.returncode == EX_CONFIG, "%s: %s exited %d, not 78: %s" % (
        what, " ".join(args), p.returncode, p.stderr))
    check(want in p.stderr, "%s: no '%s' in: %s" % (what, want, p.stderr))
    after = {k: v for k, v in snapshot(ws.dir).items() if not k.startswith("smtp/")}
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    check(not changed, "%s: %s changed %s" % (what, args[-1], changed))
    check(len(smtp.messages()) == sent, "%s: something was sent" % what)
    return [l for l in p.stderr.splitlines() if want in l][0]


def damaged_states(ws, smtp, state):
    good = open(state, "rb").read()
    foreign = os.path.join(ws.dir, "other.db")
    db = sqlite3.connect(foreign)
    db.execute("PRAGMA application_id = 1234")
    db.execute("CREATE TABLE contacts (name TEXT)")
    db.execute("INSERT INTO contacts VALUES ('x')")
    db.commit()
    db.close()
    cases = [
        ("truncated to 0 bytes", b"", "is empty (0 bytes)"),
        ("cut in half", good[:len(good) // 2], "is truncated"),
        ("random bytes", os.urandom(64 << 10), "is not an SQLite database"),
        ("another program's SQLite db", open(foreign, "rb").read(),
         "belongs to another application"),
    ]
    os.unlink(foreign)
    for what, data, want in cases:
        with open(state, "wb") as f:
            f.write(data)
        line = refused(ws, smtp, ["once"], want, what)
        check("restore the state db from its backup" in line,
              "%s: the line says not what to do: %s" % (what, line))
        refused(ws, smtp, ["status"], want, what + " (status)")
        print("%s: once and status exit 78, nothing changed: %s" % (what, line[:110]))
    # the daemon too, for one of them
    with open(state, "wb") as f:
        f.write(b"")
    refused(ws, smtp, ["run"], "is empty", "run on an empty state")
    with open(state, "wb") as f:
        f.write(good)


def fresh_start_beside_records(ws, smtp, state, members):
    shutil.move(state, state + ".aside")
    item = os.path.join(ws.dir, "repository", "big", "2021", "2021-02-17-minutes")
    os.makedirs(item)
    with open(os.path.join(item, "minutes.txt"), "w") as f:
        f.write("actas\n")
    line = refused(ws, smtp, ["once"], "already holds records", "no state beside records")
    check("--init" in line and "big/2021/2021-02-17-minutes" in line,
          "the line names neither --init nor the record: %s" % line)
    print("no state beside records: exit 78: %s" % line[:110])
    # On purpose: --init starts afresh (and so invites everyone again).
    sent = len(smtp.messages())
    ws.convened("--init", "once", now=NOW)
    check(len(smtp.messages()) - sent == members + 2,
          "--init once sent %d" % (len(smtp.messages()) - sent))
    print("--init once: a new state, %d invitations sent afresh" % (members + 2))
    # back to the real state for what follows
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(state + suffix):
            os.unlink(state + suffix)
    shutil.move(state + ".aside", state)
    smtp_reset(smtp)


def smtp_reset(smtp):
    """Forget what the sink holds: the duplicates --init made on purpose."""
    for f in os.listdir(os.path.join(smtp.maildir, "new")):
        os.unlink(os.path.join(smtp.maildir, "new", f))
    open(os.path.join(smtp.maildir, "log.jsonl"), "w").close()


def backup_and_restore(ws, smtp, state, members, more):
    """A backup taken while a cycle sends; the state lost; the backup
    restored; nothing sent twice."""
    ws.write_group("10-big.ini", big_group(members + more))
    smtp.set_faults({"eod": {"stall": 0.02}})
    p = subprocess.Popen([CONVENED, "-c", ws.config, "--now", NOW, "once"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60
        while len(smtp.messages()) < 40 and time.time() < deadline:
            time.sleep(0.05)
        # From now on the server holds each message 4 s and then closes:
        # nothing more is accepted while the backup is taken.
        smtp.set_faults({"eod": {"stall": 4, "reply": "421 4.3.0 closing"}})
        time.sleep(1)
        accepted = len(smtp.messages())
        check(p.poll() is None, "the cycle ended before the backup")
        backup = os.path.join(ws.dir, "backup.db")
        b = ws.convened("backup", backup, expect=0)
        check(p.poll() is None, "the cycle ended during the backup")
        check("backed up" in b.stdout, "backup said: %s" % b.stdout)
        check(stat.S_IMODE(os.stat(backup).st_mode) == 0o600, "backup mode %o" %
              stat.S_IMODE(os.stat(backup).st_mode))
        print("backup while the cycle sends (%d of %d accepted): %s" % (
            accepted, more, b.stdout.strip()))
        rc = p.wait(60)
        check(rc == 0, "the cycle exited %d: %s" % (rc, p.stderr.read()))
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        p.stderr.close()
    again = ws.convened("backup", backup, expect=None)
    check(again.returncode == EX_CANTCREAT and "already exists" in again.stderr,
          "a second backup over the first: %d %s" % (again.returncode, again.stderr))
    check(len(smtp.messages()) == accepted, "accepted %d after the backup" % (
        len(smtp.messages()) - accepted))

    # Lost: the state emptied.  Restored as convened(8) says.
    with open(state, "wb") as f:
        f.write(b"")
    ws.convened("once", now=NOW, expect=EX_CONFIG)
    os.makedirs(os.path.join(ws.dir, "damaged"))
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(state + suffix):
            shutil.move(state + suffix, os.path.join(ws.dir, "damaged"))
    subprocess.run(["install", "-m", "0600", backup, state], check=True)
    smtp.set_faults({})
    ws.convened("once", now=NOW)
    counts = per_message_id(smtp)
    twice = [m for m, n in counts.items() if n > 1]
    check(not twice, "after the restore %d messages went twice: %s" % (len(twice), twice[:3]))
    check(len(counts) == more, "after the restore %d of %d invitations" % (len(counts), more))
    print("restored: the next once sent the other %d, none twice" % (more - accepted))


def modes(ws, state):
    def mode(rel):
        return stat.S_IMODE(os.stat(os.path.join(ws.dir, rel)).st_mode)
    for rel, want in (("state.db", 0o600), ("state.db.lock", 0o600)):
        check(mode(rel) == want, "%s is %o, not %o" % (rel, mode(rel), want))
    check(repository_modes(os.path.join(ws.dir, "repository")) == (2, 1),
          "the repository holds more than the group's feed")
    print("modes under umask 022: state and lock 0600, repository 0750, feed 0640")


def test(ws):
    os.umask(0o022)
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ws.write_global(smtp.port)
    members = 20
    ws.write_group("10-big.ini", big_group(members))
    state = os.path.join(ws.dir, "state.db")
    ws.convened("once", now=NOW)
    check(len(per_message_id(smtp)) == members + 2, "first once sent %d" % len(smtp.messages()))
    modes(ws, state)
    damaged_states(ws, smtp, state)
    ws.convened("once", now=NOW)
    check(len(smtp.messages()) == members + 2, "the good state sent again")
    fresh_start_beside_records(ws, smtp, state, members)
    smtp_reset(smtp)
    backup_and_restore(ws, smtp, state, members, 200)


if __name__ == "__main__":
    sys.exit(run("state", test))
