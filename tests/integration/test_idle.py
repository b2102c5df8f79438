"""Idle groups (convened(8), Idle groups): a cycle runs the steps of a
group only when its files changed, its next moment came, mail was read
or the cycle before sent something.  This checks that resting changes
nothing that goes out: the example configuration (config/groups.d: 15
groups, series, presentations, milestones, a poll, an open seminar) is
run every 4 hours from 1 February to 20 March 2021 in two states, one of
which has its rows of what is due forgotten before every cycle, so that
every group runs every time.  Both send to one real SMTP server; the
outboxes must hold the same letters (kind, group, meeting, recipient)
queued at the same moment, and the resting state must have run a
quarter fewer groups.  Then a group file is edited: only that group
runs."""

import datetime
import os
import re
import shutil
import sqlite3

from lib import ROOT, SmtpServer, check, run

START = datetime.datetime(2021, 2, 1, 12, 0)
END = datetime.datetime(2021, 3, 20, 12, 0)
STEP = datetime.timedelta(hours=4)


def workspace(ws, name, smtp_port):
    d = os.path.join(ws.dir, name)
    shutil.copytree(os.path.join(ROOT, "config", "groups.d"),
                    os.path.join(d, "groups.d"))
    text = open(os.path.join(ROOT, "config", "convened.ini"),
                encoding="utf-8").read()
    for key, value in (("state", os.path.join(d, "state.db")),
                       ("repository", os.path.join(d, "repository")),
                       ("groups", os.path.join(d, "groups.d")),
                       ("templates", os.path.join(ROOT, "templates"))):
        text = re.sub(r"^%s = .*$" % key, "%s = %s" % (key, value), text,
                      flags=re.M)
    text = re.sub(r"^\[smtp\].*?(?=^\[imap\])",
                  "[smtp]\nurl = smtp://127.0.0.1:%d\ntls = none\n\n" %
                  smtp_port, text, flags=re.M | re.S)
    text = re.sub(r"^\[imap\].*?(?=^\[policy\])",
                  "[imap]\nurl = imap://127.0.0.1:1\nusername = agenda\n"
                  "password_file = ./imap.pass\ntls = none\n\n", text,
                  flags=re.M | re.S)
    with open(os.path.join(d, "convened.ini"), "w", encoding="utf-8") as f:
        f.write(text)
    with open(os.path.join(d, "imap.pass"), "w") as f:
        f.write("secret\n")
    os.chmod(os.path.join(d, "imap.pass"), 0o600)
    return d


def once(ws, d, now):
    p = ws.convened("-v", "-c", os.path.join(d, "convened.ini"), "--now",
                    now, "once")
    m = re.search(r"cycle: (\d+) of (\d+) groups due", p.stderr)
    return int(m.group(1)) if m else 0


def outbox(d):
    db = sqlite3.connect(os.path.join(d, "state.db"))
    rows = sorted(db.execute(
        "SELECT kind, coalesce(group_id, ''), coalesce(meeting_uid, ''),"
        " recipient, created FROM outbox"))
    db.close()
    return rows


def forget(d):
    db = sqlite3.connect(os.path.join(d, "state.db"))
    db.execute("DELETE FROM group_due")
    db.commit()
    db.close()


def body(ws):
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    rest = workspace(ws, "rest", smtp.port)
    every = workspace(ws, "every", smtp.port)
    ws.config = os.path.join(rest, "convened.ini")
    t, cycles, ran, groups = START, 0, 0, 15
    while t < END:
        now = t.strftime("%Y-%m-%dT%H:%M:%SZ")
        ran += once(ws, rest, now)
        if cycles > 0:
            forget(every)
        once(ws, every, now)
        cycles += 1
        t += STEP
    a, b = outbox(rest), outbox(every)
    kinds = sorted(set(r[0] for r in b))
    check(len(b) > 300, "only %d letters in seven weeks" % len(b))
    for k in ("invite", "agenda-request", "agenda-reminder",
              "minutes-request", "presentations-call", "milestone-reminder"):
        check(k in kinds, "no %s in seven weeks: %s" % (k, kinds))
    check(a == b, "resting changed the outbox: %d letters only resting "
          "(the first: %s), %d only running every group (the first: %s)" % (
              len(set(a) - set(b)), sorted(set(a) - set(b))[:1],
              len(set(b) - set(a)), sorted(set(b) - set(a))[:1]))
    check(ran < cycles * groups * 3 // 4, "%d group runs of %d: groups do not "
          "rest" % (ran, cycles * groups))
    print("%d cycles, %d letters alike (%s); %d of %d group runs" % (
        cycles, len(a), ", ".join(kinds), ran, cycles * groups))

    # Nothing due an hour later; one file edited: that group alone.
    later = (END + datetime.timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    n = once(ws, rest, later)
    path = os.path.join(rest, "groups.d", "41-south-south.ini")
    with open(path, "a", encoding="utf-8") as f:
        f.write("\n; edited\n")
    check(once(ws, rest, later) == 1, "an edited file did not run its "
          "group alone (%d groups ran the cycle before)" % n)


if __name__ == "__main__":
    raise SystemExit(run("idle", body))
