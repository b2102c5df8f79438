"""Crash safety: SIGKILL at random moments, then start again.

Send side: 2,000 invitations (ten groups of 200; more if the machine
sends them all before the 20th kill) to a real SMTP server on loopback; `convened once` is killed at a random moment at least 20 times
and restarted each time.  At the end every due invitation was accepted at
least once, none arrived twice but at most one per kill and connection
(the ones in flight), and PRAGMA integrity_check is ok.  Twice: with
[smtp] connections = 2 (the default) and with 4.

Receive side: 500 RSVPs waiting in a real Dovecot (answered again if all
are read before the 20th kill); `convened once` is
killed at random moments while it reads them; at the end every reply was
applied exactly once (one inbound record each, each moved to Processed
once, every attendee ACCEPTED) and the database is intact.

The kill moments come from a seeded generator (CRASH_SEED, default 1) so
a failure can be replayed."""

import email.utils
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, SmtpServer, check, reply_token, run  # noqa: E402

GROUPS, PER_GROUP, KILLS = 10, 200, 20
NOW = "2021-03-01T12:00:00Z"


def group_file(g, size=PER_GROUP):
    lines = ["[group]", "id = g%d" % g, "name = Grupo %d" % g, "kind = discussion",
             "timezone = America/Montevideo", ""]
    for i in range(size):
        role = "ministry" if i == 0 else "secretariat" if i == 1 else "other"
        lines += ["[member m%03d.g%d@example.org]" % (i, g), "name = Miembro %d" % i,
                  "role = " + role, "coordinator = %s" % ("yes" if i < 2 else "no"), ""]
    lines += ["[series monthly]", "summary = Reunión mensual", "start = 2021-02-17 15:00",
              "duration = 90", "rrule = FREQ=MONTHLY;BYDAY=3WE", ""]
    return "\n".join(lines)


def killed_run(ws, rng, now, log, longest):
    """Start `once`, kill it at a random moment; True if it was killed
    before it finished by itself."""
    p = subprocess.Popen([CONVENED, "-c", ws.config, "--now", now, "once"],
                         stdout=log, stderr=subprocess.STDOUT)
    time.sleep(rng.uniform(0.01, longest))
    if p.poll() is None:
        p.send_signal(signal.SIGKILL)
        p.wait()
        return True
    return False


def integrity(ws):
    db = sqlite3.connect(os.path.join(ws.dir, "state.db"))
    r = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    check(r == "ok", "integrity_check: %s" % r)


def marked(log):
    """How many sent logs the cycles logged so far marked."""
    log.flush()
    with open(log.name) as f:
        return f.read().count("marked sent from")


def send_side(ws, rng, log, connections):
    for f in os.listdir(ws.groups):
        os.unlink(os.path.join(ws.groups, f))
    for f in ("state.db", "state.db-wal", "state.db-shm"):
        if os.path.exists(os.path.join(ws.dir, f)):
            os.unlink(os.path.join(ws.dir, f))
    smtp = SmtpServer(os.path.join(ws.dir, "tx%d" % connections))
    ws.servers.append(smtp)
    ws.write_global(smtp.port, connections=connections)
    groups = GROUPS
    for g in range(groups):
        ws.write_group("%02d.ini" % g, group_file(g))
    # Each message waits 10 ms for its 250, so that the batch outlasts
    # the kills and they land in planning, in SMTP dialogues and between.
    # Should a faster machine finish it first, another group of 200 comes,
    # so that the 20 kills always happen.
    smtp.set_faults({"eod": {"stall": 0.01}})
    before = marked(log)
    kills = 0
    while kills < KILLS:
        if killed_run(ws, rng, NOW, log, 1.0):
            kills += 1
        else:
            ws.write_group("%02d.ini" % groups, group_file(groups))
            groups += 1
    smtp.set_faults({})
    ws.convened("once", now=NOW)
    ids = {}
    for rcpts, msg, _ in smtp.messages():
        ids.setdefault(str(msg["Message-ID"]), []).append(rcpts[0])
    want = {"m%03d.g%d@example.org" % (i, g) for g in range(groups) for i in range(PER_GROUP)}
    got = {r for v in ids.values() for r in v}
    check(want <= got, "%d invitations never accepted" % len(want - got))
    extra = sum(len(v) - 1 for v in ids.values())
    check(extra <= kills * connections, "%d messages arrived twice after %d kills "
          "with %d connections" % (extra, kills, connections))
    integrity(ws)
    # A kill while the cycle planned leaves the sent log of early sending
    # (outbox.h): the next cycle marked it and removed it.
    check(not os.path.exists(os.path.join(ws.dir, "state.db.sent")),
          "the sent log is still there")
    db = sqlite3.connect(os.path.join(ws.dir, "state.db"))
    unsent = db.execute("SELECT count(*) FROM outbox WHERE state <> 'sent'").fetchone()[0]
    db.close()
    check(unsent == 0, "%d rows not marked sent" % unsent)
    recovered = marked(log) - before
    print("send side, %d connections: %d kills, %d invitations, %d sent twice, "
          "%d sent logs marked after a kill" % (connections, kills, len(want), extra,
                                                recovered))
    smtp.stop()
    ws.servers.remove(smtp)


def rsvp(member, uid, n, dir):
    """A REPLY as a client sends it: to the ORGANIZER its invitation
    named, the plus address with the member's reply token."""
    org = "agenda+%s@conferencia.example.org" % reply_token(dir, "m", uid, member)
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REPLY\r\n"
           "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20210302T10%02d%02dZ\r\nSEQUENCE:0\r\n"
           "ORGANIZER:mailto:%s\r\n"
           "ATTENDEE;PARTSTAT=ACCEPTED:mailto:%s\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
           % (uid, n // 60 % 60, n % 60, org, member))
    return ("From: %s\r\nTo: %s\r\nSubject: Accepted\r\n"
            "Message-ID: <rsvp-%d@example.org>\r\nDate: %s\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/calendar; method=REPLY; charset=UTF-8\r\n\r\n%s"
            % (member, org, n, email.utils.formatdate(), ics)).encode()


def receive_side(ws, rng, log):
    if not os.path.exists("/usr/sbin/dovecot"):
        print("Dovecot missing: receive side skipped")
        return False
    from dovecot import Dovecot
    os.chmod(ws.dir, 0o711)
    smtp = SmtpServer(ws.dir + "/rx")
    ws.servers.append(smtp)
    dc = Dovecot(os.path.join(ws.dir, "dovecot"), users=["agenda"])
    dc.start()
    ws.servers.append(dc)
    ws.write_global(smtp.port, imap_port=dc.imap_port)
    text = open(ws.config).read().replace("state.db", "state-rx.db").replace(
        "folders = INBOX", "folders = INBOX\nprocessed_folder = Processed")
    open(ws.config, "w").write(text)
    for g in range(GROUPS):
        os.unlink(os.path.join(ws.groups, "%02d.ini" % g))
    # Two groups of 250: 500 invited attendees, 500 replies.
    ws.write_group("00.ini", group_file(0, 250))
    ws.write_group("01.ini", group_file(1, 250))
    ws.convened("once", now=NOW)
    uid0 = "g0-monthly-20210317@conferencia.example.org"
    uid1 = "g1-monthly-20210317@conferencia.example.org"
    n = 0
    for g, uid in ((0, uid0), (1, uid1)):
        for i in range(250):
            dc.deliver_file("agenda", "INBOX", rsvp("m%03d.g%d@example.org" % (i, g), uid, n, ws.dir))
            n += 1
    # Should the replies all be read before the 20th kill, the same
    # attendees answer again (new messages, later DTSTAMPs): each one is
    # a message to apply exactly once all the same.
    kills = 0
    while kills < KILLS:
        if not dc.messages("agenda", "INBOX"):
            for g, uid in ((0, uid0), (1, uid1)):
                for i in range(250):
                    dc.deliver_file("agenda", "INBOX",
                                    rsvp("m%03d.g%d@example.org" % (i, g), uid, n, ws.dir))
                    n += 1
        if killed_run(ws, rng, "2021-03-02T12:00:00Z", log, 0.25):
            kills += 1
    ws.convened("once", now="2021-03-02T12:00:00Z")
    db = sqlite3.connect(os.path.join(ws.dir, "state-rx.db"))
    rows = db.execute("SELECT count(*), count(DISTINCT message_id) FROM inbound"
                      " WHERE result = 'applied'").fetchone()
    acc = db.execute("SELECT count(*) FROM invitations WHERE partstat = 'ACCEPTED'").fetchone()[0]
    r = db.execute("PRAGMA integrity_check").fetchone()[0]
    db.close()
    check(rows == (n, n), "applied records %s for %d replies" % (rows, n))
    check(acc == 500, "%d of 500 attendees ACCEPTED" % acc)
    check(r == "ok", "integrity_check: %s" % r)
    check(dc.messages("agenda", "INBOX") == [], "replies left in INBOX")
    done = dc.messages("agenda", "Processed")
    check(len(done) == n, "Processed holds %d of %d" % (len(done), n))
    print("receive side: %d kills, %d replies applied once each" % (kills, n))
    return True


def test(ws):
    rng = random.Random(int(os.environ.get("CRASH_SEED", "1")))
    with open(os.path.join(ws.dir, "convened.log"), "w") as log:
        send_side(ws, rng, log, 2)
        send_side(ws, rng, log, 4)
        receive_side(ws, rng, log)


if __name__ == "__main__":
    sys.exit(run("crash", test))
