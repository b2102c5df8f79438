"""No poison message, no outage told twice, no mail too big: through a real
Dovecot and a real SMTP server on loopback, `convened once --now` (and
`convened run` for a template broken while it runs).

The environment fails, one cause at a time: a read-only repository (a
read-only bind mount), a group directory that is a link, a full disk (a
full tmpfs over the repository), a read-only state database (a read-only
bind mount of the file), a full one (its directory on a tmpfs with no
room left, copied back after), a state database busy (another process
holding it), a template broken while the daemon runs.  The mounts are made in a
user and mount namespace of their own (unshare), so nothing needs root;
where unshare cannot make one those cases are skipped, said so.  After
each: the message that needed the resource waits in INBOX and is applied
once the resource is back, exactly once; what did not need it was applied
meanwhile (no folder stalled); the log says it in one line, and the admin
gets one letter.

A message that fails on its own (a trigger in the state database refuses
its document) is tried three cycles running and then moved to the
Quarantine folder, the admin told once, the messages after it applied;
moved back, it is tried afresh.  A message over max_message_kb goes to the
quarantine unread, the coordinators told (without a quarantine folder,
flagged seen in place and not read again).  An agenda over agenda_max_kb is
answered with agenda-refused; attachments over the caps are neither
archived nor sent on, the coordinators told.  With the default caps, the
mail of the issue (a 24.5 MB message, a 9 MB agenda, a large attachment)
adds less than a MiB to the state."""

import base64
import email.utils
import os
import signal
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, Failure, check, msgid_kind, of_kind, reply_token, run  # noqa: E402
import test_invitations as ti  # noqa: E402
from test_replies import (reply_to, rfc822, rsvp_from_invitation,  # noqa: E402
                          start_servers)

DOMAIN = ti.DOMAIN
ADMIN = "admin@" + DOMAIN
ANA = "ana@mides.example.uy"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def unshare_works():
    try:
        return subprocess.run(["unshare", "--user", "--map-root-user", "--mount",
                               "true"], capture_output=True, timeout=10).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def read_only(path):
    return "mount --bind '{0}' '{0}' && mount -o remount,bind,ro '{0}'".format(path)


def full(path):
    # No free block and no free inode: every write and mkdir is ENOSPC.
    return ("mount -t tmpfs -o size=4k,nr_inodes=2 tmpfs '{0}' && "
            "(dd if=/dev/zero of='{0}/fill' bs=4k count=4 2>/dev/null; true)"
            .format(path))


def full_state(state, spare):
    """The state's directory on a tmpfs with room for `spare` bytes more
    than what it holds (the shared-memory file SQLite makes takes 32
    KiB); what convened wrote there is copied back after.  tmpfs gives
    each file whole pages: the lock file and the reply-token key beside
    the database take one each."""
    used = sum((os.path.getsize(os.path.join(state, f)) + 4095) // 4096 * 4096
               for f in os.listdir(state))
    size = (used + (32 << 10) + spare + 4095) // 4096 * 4096
    mnt = state + ".full"
    os.makedirs(mnt, exist_ok=True)
    return ("mount -t tmpfs -o size={size} tmpfs '{mnt}' && cp -a '{st}/.' '{mnt}/' && "
            "mount --bind '{mnt}' '{st}' && \"$@\"; rc=$?; umount '{st}' && "
            "cp -a '{mnt}/.' '{st}/' && exit $rc").format(size=size, mnt=mnt, st=state)


KEYDIR = [None]     # where the reply-token key is: beside the state db


def pdf(size):
    """size bytes that are a PDF by their first ones (daemon/filetype.h)."""
    return b"%PDF-1.4\n" + os.urandom(size - 9)


def document(msgid, files, subject="[south-south] document", sender=ANA):
    """A document from a coordinator: text and (name, bytes) files, sent
    to the Reply-To of a letter of the group: the plus address with the
    sender's token."""
    to = "agenda+%s@%s" % (reply_token(KEYDIR[0], "g", "south-south",
                                       email.utils.parseaddr(sender)[1]), DOMAIN)
    parts = ["--m\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nInforme.\r\n"]
    for name, data in files:
        parts.append("--m\r\nContent-Type: application/pdf\r\n"
                     "Content-Disposition: attachment; filename=\"%s\"\r\n"
                     "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n"
                     % (name, base64.encodebytes(data).decode().replace("\n", "\r\n")))
    return rfc822([("From", sender), ("To", to),
                   ("Subject", subject), ("Message-ID", "<%s>" % msgid),
                   ("Date", email.utils.formatdate()), ("MIME-Version", "1.0"),
                   ("Content-Type", 'multipart/mixed; boundary="m"')],
                  "".join(parts) + "--m--\r\n")


class Run:
    """The test's state: servers, messages seen, and the log of each run."""

    def __init__(self, ws, smtp, dc):
        self.ws, self.smtp, self.dc = ws, smtp, dc
        self.seen = [0]

    def once(self, now, wrap=None, expect=0):
        argv = [CONVENED, "-c", self.ws.config, "--now", now, "once"]
        if wrap is not None:
            argv = ["unshare", "--user", "--map-root-user", "--mount", "sh", "-c",
                    wrap if '"$@"' in wrap else wrap + ' && exec "$@"', "sh"] + argv
        p = subprocess.run(argv, capture_output=True, text=True, timeout=120)
        if p.returncode != expect:
            raise Failure("%s exited %d, not %d\n%s" % (" ".join(argv), p.returncode,
                                                       expect, p.stderr))
        return p.stderr

    def new(self, kind=None):
        msgs = ti.new_messages(self.smtp, self.seen, everything=True)
        return of_kind(msgs, kind) if kind else msgs

    def folder(self, name):
        return [m["data"] for m in self.dc.messages("agenda", name)]

    def in_folder(self, name, msgid):
        return any(("<%s>" % msgid).encode() in d for d in self.folder(name))

    def documents(self, msgid):
        db = sqlite3.connect(os.path.join(self.ws.dir, "state", "state.db"))
        try:
            return db.execute("SELECT count(*) FROM documents WHERE message_id = ?",
                              (msgid,)).fetchone()[0]
        finally:
            db.close()

    def items(self):
        d = os.path.join(self.ws.dir, "repository", "south-south", "2021")
        return sorted(os.listdir(d)) if os.path.isdir(d) else []


def one_line(log, what, cause):
    lines = [l for l in log.splitlines() if what in l]
    check(len(lines) == 1, "%r said %d times, not once:\n%s" % (what, len(lines), log))
    check(cause in lines[0], "%r does not say %r: %s" % (what, cause, lines[0]))
    print("  " + lines[0].split("convened: ", 1)[-1])


def waited_then_applied(r, msgid, logs, when, what):
    """msgid waited in INBOX through the outage, then applied once."""
    check(r.in_folder("INBOX", msgid), "%s: %s not left in INBOX" % (what, msgid))
    log = r.once(when)
    check("works again" in log, "%s: the end of the outage is not logged:\n%s" % (what, log))
    check(r.in_folder("Processed", msgid) and not r.in_folder("INBOX", msgid),
          "%s: %s not filed away after the outage" % (what, msgid))
    check(r.documents(msgid) == 2, "%s: %s recorded %d times" % (what, msgid,
                                                                  r.documents(msgid)))
    told = r.new("outage-notice")
    check(len(told) <= 1 and all(m[0] == [ADMIN] for m in told),
          "%s: outage notices %s" % (what, [m[0] for m in told]))
    return logs + log


def repository_outages(r, ns):
    """Read-only, a linked group directory, full: each waited out."""
    repo = os.path.join(r.ws.dir, "repository")
    os.makedirs(repo, exist_ok=True)
    cases = [("read-only repository", read_only(repo), "Read-only file system",
              "cannot use the repository"),
             ("full disk", full(repo), "No space left on device",
              "cannot use the repository")]
    for i, (what, wrap, cause, line) in enumerate(cases):
        if not ns:
            print("SKIP: %s: unshare cannot make a mount namespace here" % what)
            continue
        msgid, rsvp = "doc-%d@uy" % i, "rsvp-%d@bb" % i
        r.dc.deliver("agenda", document(msgid, [("informe.pdf", PDF)]))
        r.dc.deliver("agenda", rsvp_from_invitation(r.inv["kim@gov.example.bb"][0],
                     "kim@gov.example.bb", "ACCEPTED" if i % 2 else "DECLINED", rsvp))
        day = "2021-03-0%d" % (2 + i)
        log = r.once(day + "T10:00:00Z", wrap)
        log += r.once(day + "T10:01:00Z", wrap)
        one_line(log, line, cause)
        check(r.in_folder("Processed", rsvp), "%s: the RSVP after it waited too" % what)
        told = r.new("outage-notice")
        check([m[0] for m in told] == [[ADMIN]], "%s: admin told %s" % (what, told))
        waited_then_applied(r, msgid, log, day + "T10:05:00Z", what)

    # The group's directory is a link to elsewhere: refused, nothing
    # written there.
    group = os.path.join(repo, "south-south")
    elsewhere = os.path.join(r.ws.dir, "elsewhere")
    os.rename(group, elsewhere)
    os.symlink(elsewhere, group)
    before = sorted(os.listdir(os.path.join(elsewhere, "2021")))
    r.dc.deliver("agenda", document("doc-link@uy", [("informe.pdf", PDF)]))
    log = r.once("2021-03-05T10:00:00Z") + r.once("2021-03-05T10:01:00Z")
    one_line(log, "cannot use the group directory", "refused")
    check(sorted(os.listdir(os.path.join(elsewhere, "2021"))) == before,
          "something was written through the link")
    check(len(r.new("outage-notice")) == 1, "admin not told of the link once")
    os.unlink(group)
    os.rename(elsewhere, group)
    waited_then_applied(r, "doc-link@uy", log, "2021-03-05T10:05:00Z", "linked directory")


def store_outages(r, ns):
    """The state db read-only, then busy: each cycle stops (exit 75), said
    once; the reply is applied after."""
    db = os.path.join(r.ws.dir, "state", "state.db")
    if ns:
        r.dc.deliver("agenda", rsvp_from_invitation(r.inv["joao@mds.example.br"][0],
                     "joao@mds.example.br", "ACCEPTED", "rsvp-ro@br"))
        log = r.once("2021-03-06T10:00:00Z", read_only(db), expect=75)
        one_line(log, "cannot use the state db", "readonly")
        check(r.in_folder("INBOX", "rsvp-ro@br"), "read-only db: the RSVP did not wait")
        r.once("2021-03-06T10:05:00Z")
        check(r.in_folder("Processed", "rsvp-ro@br"), "read-only db: RSVP not applied after")
    else:
        print("SKIP: read-only state db: unshare cannot make a mount namespace here")
    if ns:
        r.dc.deliver("agenda", document("doc-full@uy", [("informe.pdf", PDF)]))
        state = os.path.dirname(db)
        log = r.once("2021-03-06T10:10:00Z", full_state(state, 0), expect=75)
        one_line(log, "cannot use the state db", "full")
        check(r.in_folder("INBOX", "doc-full@uy"), "full db: the document did not wait")
        items = r.items()
        r.once("2021-03-06T10:15:00Z")
        check(r.documents("doc-full@uy") == 2 and len(r.items()) == len(items) + 1,
              "full db: the document not archived once after")
    else:
        print("SKIP: full state db: unshare cannot make a mount namespace here")
    r.dc.deliver("agenda", rsvp_from_invitation(r.inv["marie@gouv.example.ht"][0],
                 "marie@gouv.example.ht", "TENTATIVE", "rsvp-busy@ht"))
    other = sqlite3.connect(db, isolation_level=None, timeout=1)
    try:
        other.execute("BEGIN EXCLUSIVE")
        log = r.once("2021-03-06T11:00:00Z", expect=75)
    finally:
        other.execute("ROLLBACK")
        other.close()
    one_line(log, "cannot use the state db", "database is locked")
    check(r.in_folder("INBOX", "rsvp-busy@ht"), "busy db: the RSVP did not wait")
    r.once("2021-03-06T11:05:00Z")
    check(r.in_folder("Processed", "rsvp-busy@ht"), "busy db: RSVP not applied after")
    ps = {a["email"]: a["partstat"] for a in
          r.ws.status("2021-03-06T11:05:00Z", "south-south")["groups"][0]["meetings"][0]
          ["attendees"]}
    check(ps["marie@gouv.example.ht"] == "TENTATIVE", "busy db: partstats %s" % ps)
    if ns:
        check(ps["joao@mds.example.br"] == "ACCEPTED", "read-only db: partstats %s" % ps)


def poison(r):
    """Fails on its own three cycles running: quarantined, admin told
    once, the rest of the folder applied; moved back, tried afresh."""
    db = sqlite3.connect(os.path.join(r.ws.dir, "state", "state.db"))
    db.execute("CREATE TRIGGER poison BEFORE INSERT ON documents"
               " WHEN NEW.message_id = 'poison@uy'"
               " BEGIN SELECT RAISE(ABORT, 'refused by a test trigger'); END")
    db.commit()
    db.close()
    raw = document("poison@uy", [("veneno.pdf", PDF)])
    r.dc.deliver("agenda", raw)
    r.dc.deliver("agenda", document("after@uy", [("despues.pdf", PDF)]))
    log = ""
    for i in range(3):
        log += r.once("2021-03-07T10:0%d:00Z" % i)
        if i == 0:
            check(r.in_folder("Processed", "after@uy"), "the message after it waited")
    check(log.count("poison@uy: cannot apply") == 3, "three failures not logged:\n" + log)
    check(log.count("put in quarantine (Quarantine)") == 1, "quarantine not logged once")
    check(r.in_folder("Quarantine", "poison@uy") and not r.in_folder("INBOX", "poison@uy"),
          "not moved to Quarantine")
    told = r.new("quarantine-notice")
    check([m[0] for m in told] == [[ADMIN]], "quarantine told to %s" % [m[0] for m in told])
    check(r.documents("poison@uy") == 0, "the poison message left records")
    check(r.once("2021-03-07T10:10:00Z").count("poison@uy") == 0, "tried again from Quarantine")
    # The trigger goes; the admin moves it back: applied.
    db = sqlite3.connect(os.path.join(r.ws.dir, "state", "state.db"))
    db.execute("DROP TRIGGER poison")
    db.commit()
    db.close()
    r.dc.deliver("agenda", raw)
    r.once("2021-03-07T10:20:00Z")
    check(r.documents("poison@uy") == 2, "moved back, not applied")
    check(r.new("quarantine-notice") == [], "told again")


def too_much(r):
    """Too big, an agenda too long, attachments over the caps."""
    big = document("big@uy", [("enorme.pdf", pdf(300 << 10))],
                   subject="[south-south] acta")
    r.dc.deliver("agenda", big)
    log = r.once("2021-03-08T10:00:00Z")
    check("big@uy: message from ana@mides.example.uy in INBOX is" in log and
          "not read, put in quarantine Quarantine; 2 told" in log, "too big not logged:\n" + log)
    check(r.in_folder("Quarantine", "big@uy"), "too big: not in Quarantine")
    told = sorted(m[0][0] for m in r.new("quarantine-notice"))
    check(told == [ANA, "luis@cepal.example.org"], "too big told to %s" % told)

    files = [("a.pdf", pdf(50 << 10)), ("grande.pdf", pdf(80 << 10)),
             ("b.pdf", pdf(40 << 10)), ("c.pdf", pdf(10 << 10))]
    r.dc.deliver("agenda", document("caps@uy", files))
    r.once("2021-03-08T10:05:00Z")
    item = os.path.join(r.ws.dir, "repository", "south-south", "2021", "2021-03-08-document")
    check(sorted(os.listdir(item)) == ["a.pdf", "b.pdf", "document.txt", "metadata.json"],
          "archived %s" % sorted(os.listdir(item)))
    told = {m[0][0]: m[1] for m in r.new("files-refused")}
    check(sorted(told) == [ANA, "luis@cepal.example.org"], "files-refused to %s" % sorted(told))
    text = ti.body(told[ANA])
    check("grande.pdf (80 KB)" in text and "c.pdf (10 KB)" in text, "refused list:\n" + text)

    r.once("2021-03-10T19:00:00Z")
    req = {m[0][0]: m[1] for m in r.new("agenda-request")}
    long_agenda = "\r\n".join("%d. Un punto largo del orden del día propuesto" % i
                              for i in range(80))
    r.dc.deliver("agenda", reply_to(req["luis@cepal.example.org"], "luis@cepal.example.org",
                                    "long@cl", long_agenda))
    r.once("2021-03-10T20:00:00Z")
    refused = r.new()
    check([(m[0], msgid_kind(m[1])) for m in refused] ==
          [(["luis@cepal.example.org"], ("agenda-refused", "south-south"))],
          "an agenda too long sent %s" % [(m[0], msgid_kind(m[1])) for m in refused])
    g = r.ws.status("2021-03-10T20:00:00Z", "south-south")["groups"][0]
    check(g["meetings"][0]["agenda"] == "pending", "the long agenda was taken")


def template_broken(r):
    """The minutes notice's template broken while `run` runs: the minutes
    wait, said once, the admin told; mended, applied once."""
    r.once("2021-03-18T12:00:00Z")
    r.new()
    log_path = os.path.join(r.ws.dir, "run.log")
    text = open(r.ws.config).read().replace("[daemon]\n", "[daemon]\ntick = 1\n")
    text = text.replace("[imap]\n", "[imap]\npoll = 5\n")
    open(r.ws.config, "w").write(text)
    with open(log_path, "w") as log:
        p = subprocess.Popen([CONVENED, "-c", r.ws.config, "--now", "2021-03-18T13:00:00Z",
                              "run"], stdout=log, stderr=subprocess.STDOUT)
        try:
            time.sleep(1.5)
            for lang in ("es", "en", "pt", "fr"):
                d = os.path.join(r.ws.dir, "templates", lang)
                os.makedirs(d, exist_ok=True)
                open(os.path.join(d, "minutes-notice.txt"), "w").write(
                    "Subject: {{summary}}\n\n{{#files}}\n")
            r.dc.deliver("agenda", document("minutes@uy", [("acta.pdf", PDF)],
                                            subject="[south-south] acta"))
            deadline = time.time() + 30
            while time.time() < deadline and not r.new("outage-notice"):
                time.sleep(0.5)
            time.sleep(6)      # another poll: said no more
        finally:
            p.send_signal(signal.SIGTERM)
            check(p.wait(30) == 0, "run did not stop cleanly")
    log = open(log_path).read()
    one_line(log, "cannot use the templates", "minutes-notice.txt:3: section {{#files}}")
    check(r.in_folder("INBOX", "minutes@uy"), "the minutes did not wait")
    for lang in ("es", "en", "pt", "fr"):
        os.unlink(os.path.join(r.ws.dir, "templates", lang, "minutes-notice.txt"))
    r.once("2021-03-18T13:30:00Z")
    check(r.in_folder("Processed", "minutes@uy"), "the minutes not applied after")
    check(len(r.new("minutes-notice")) == 5, "minutes not sent to the five members once")
    check(r.documents("minutes@uy") == 2, "minutes recorded %d times" % r.documents("minutes@uy"))


def auth_notice_broken(r):
    """The IMAP password refused, which only a person can mend, while the
    admin's auth-notice template is broken: the cycle goes on (it ended
    the daemon), the templates' outage told once; mended, the notice goes
    to the admin once."""
    pw = os.path.join(r.ws.dir, "imap.pass")
    with open(pw, "w") as f:
        f.write("wrong\n")
    for lang in ("es", "en", "pt", "fr"):
        d = os.path.join(r.ws.dir, "templates", lang)
        os.makedirs(d, exist_ok=True)
        open(os.path.join(d, "auth-notice.txt"), "w").write(
            "Subject: {{account}}\n\n{{#nothing}}\n")
    r.new()
    log = r.once("2021-03-19T10:00:00Z")
    one_line(log, "cannot use the templates", "auth-notice.txt:3: unknown section {{#nothing}}")
    sent = r.new()
    check(of_kind(sent, "auth-notice") == [], "a notice from a broken template")
    told = of_kind(sent, "outage-notice")
    check(len(told) == 1 and told[0][0] == [ADMIN], "the admin not told of the templates once")
    for lang in ("es", "en", "pt", "fr"):
        os.unlink(os.path.join(r.ws.dir, "templates", lang, "auth-notice.txt"))
    log = r.once("2021-03-19T10:30:00Z")
    check("works again" in log, "the end of the templates' outage not logged:\n" + log)
    told = r.new("auth-notice")
    check(len(told) == 1 and told[0][0] == [ADMIN], "the admin's notice: %s" %
          [m[0] for m in told])
    with open(pw, "w") as f:
        f.write("secret\n")
    r.once("2021-03-19T11:00:00Z")
    check(r.new("auth-notice") == [], "told twice")
    print("  a refused login with its notice's template broken: the cycle went on, "
          "the notice went once mended")


def hostile_volume(r):
    """What one mail could do to the state before (issue 19: 24.5 MB grew
    it by 508 MB): with the default caps, a 9 MB agenda, a 24.5 MB message
    and an 8 MB one holding a 6 MB file add less than a MiB."""
    text = open(r.ws.config).read()
    for line in ("agenda_max_kb = 2\n", "attachment_max_kb = 64\n",
                 "attachments_total_max_kb = 96\n", "max_message_kb = 256\n"):
        text = text.replace(line, "")
    open(r.ws.config, "w").write(text)
    db = os.path.join(r.ws.dir, "state", "state.db")
    r.once("2021-04-14T19:00:00Z")
    req = {m[0][0]: m[1] for m in r.new("agenda-request")}
    before = os.path.getsize(db)
    line = "1. Un punto del orden del día, escrito una y otra vez, sin fin....\r\n"
    r.dc.deliver("agenda", reply_to(req["luis@cepal.example.org"], "luis@cepal.example.org",
                                    "huge-agenda@cl", line * ((9 << 20) // len(line))))
    r.dc.deliver("agenda", document("huge@uy", [("acta.pdf", pdf(18 << 20))],
                                    subject="[south-south] acta"))
    r.dc.deliver("agenda", document("six@uy", [("anexo.pdf", pdf(6 << 20))]))
    t0 = time.time()
    r.once("2021-04-14T20:00:00Z")
    took = time.time() - t0
    grew = os.path.getsize(db) - before
    check(r.in_folder("Quarantine", "huge@uy"), "24.5 MB: not in Quarantine")
    sent = sorted((m[0][0], msgid_kind(m[1])[0]) for m in r.new())
    check(sent == sorted([("luis@cepal.example.org", "agenda-refused"),
                          (ANA, "quarantine-notice"), ("luis@cepal.example.org",
                                                       "quarantine-notice"),
                          (ANA, "files-refused"), ("luis@cepal.example.org", "files-refused")]),
          "hostile mail answered with %s" % sent)
    check(grew < 1 << 20, "state.db grew by %d bytes" % grew)
    print("  state.db %d KiB -> %d KiB for a 9 MB agenda, a 24.5 MB message and an 8 MB one "
          "with a 6 MB file (one cycle, %.1f s)" % (before >> 10, (before + grew) >> 10, took))


def no_quarantine_folder(r):
    """quarantine_folder empty: the message too big is flagged seen where
    it is, told once, and not read again."""
    text = open(r.ws.config).read().replace("[imap]\n", "[imap]\nquarantine_folder =\n")
    open(r.ws.config, "w").write(text)
    r.dc.deliver("agenda", document("big2@uy", [("acta.pdf", pdf(8 << 20))],
                                    subject="[south-south] acta"))
    log = r.once("2021-04-15T10:00:00Z")
    check("big2@uy" in log and "put in quarantine;" in log, "not logged:\n" + log)
    inbox = [m for m in r.dc.messages("agenda", "INBOX") if b"<big2@uy>" in m["data"]]
    check(len(inbox) == 1 and "S" in inbox[0]["flags"], "not left in INBOX, seen: %s" %
          [m["flags"] for m in inbox])
    check(len(r.new("quarantine-notice")) == 2, "coordinators not told once")
    log = r.once("2021-04-15T10:10:00Z")
    check("big2@uy" not in log and r.new("quarantine-notice") == [], "read again:\n" + log)


def test(ws):
    smtp, dc = start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port, processed="Processed")
    os.makedirs(os.path.join(ws.dir, "state"))
    KEYDIR[0] = os.path.join(ws.dir, "state")
    text = open(ws.config).read().replace("/state.db\n", "/state/state.db\n").replace(
        "[policy]\n", "[policy]\nagenda_max_kb = 2\nattachment_max_kb = 64\n"
        "attachments_total_max_kb = 96\n").replace("[imap]\n", "[imap]\nmax_message_kb = 256\n")
    open(ws.config, "w").write(text)
    ws.write_group("10-south-south.ini", ti.group())
    ws.convened("check")
    r = Run(ws, smtp, dc)
    r.once("2021-03-01T12:00:00Z")
    r.inv = ti.by_rcpt(ti.new_messages(smtp, r.seen))
    check(len(r.inv) == 5, "invitations: %s" % sorted(r.inv))
    ns = unshare_works()
    repository_outages(r, ns)
    store_outages(r, ns)
    poison(r)
    too_much(r)
    template_broken(r)
    auth_notice_broken(r)
    hostile_volume(r)
    no_quarantine_folder(r)


if __name__ == "__main__":
    sys.exit(run("poison", test))
