"""Server faults: `convened once --now` against misbehaving servers.

SMTP (tests/integration/smtpd.py with injected faults, [smtp] timeout = 2):
every stage (greeting, MAIL, RCPT, DATA, end of data) answering 421, 451,
452 or 550, with one invitation due; then, with two invitations due, a
refused connection (nothing on the port), a connection closed in the
middle of DATA, and a server stalling past the timeout at MAIL and at the
end of data.  Each run exits 0 and logs exactly one line naming the fault
(its code, "timeout" or "connect"); nothing the fault refused is accepted;
the row is pending (4xx, connection problems, stalls, and 5xx to the
greeting, an account problem) or failed (5xx to MAIL, RCPT, DATA, end of
data).  With the fault cleared, nothing is retried before the backoff
(60 s of --now time); after it the pending messages arrive exactly once
and the failed ones never.  A stalled server costs one timeout per cycle,
not one per message.

IMAP (a real Dovecot behind tests/integration/imapproxy.py, [imap]
timeout = 2): a connection dropped in the middle of a FETCH literal, a
server that goes silent after login or at the FETCH, a refused UID MOVE, a
configured folder that does not exist, a UIDVALIDITY change, and a server
without MOVE (COPY, \\Deleted, UID EXPUNGE of that UID only: a message
another session flagged \\Deleted stays).  Each run exits 0 and logs one
clear line; a reply is not applied while the fault lasts (or applied once
if it got through), then applied exactly once (the state db's inbound
table, `status --json`) and ends in Processed exactly once."""

import email.utils
import os
import re
import sqlite3
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (ROOT, Failure, SmtpServer, Workspace, check, free_port, reply_token,  # noqa: E402
                 read_jsonl, skip, start_helper, stop_process, write_json)

DOMAIN = "conferencia.example.org"
T0 = "2021-03-01T11:00:00Z"     # warm-up: the first invitations go
T = "2021-03-01T12:00:00Z"      # the fault
T_EARLY = "2021-03-01T12:00:30Z"  # before the first backoff (60 s)
T_LATER = "2021-03-01T12:01:01Z"  # past it
MEETING = "g1-one-20210310@" + DOMAIN
TIMEOUT = 2

GROUP = """\
[group]
id = g1
name = Grupo de prueba
kind = discussion
timezone = America/Montevideo

[member ana@example.org]
name = Ana
role = ministry
coordinator = yes

[member luis@example.org]
name = Luis
role = secretariat
coordinator = yes
{extra}
[series one]
summary = Reunión
start = 2021-03-10 15:00
duration = 90
"""
KIM = """
[member kim@example.org]
name = Kim
role = other
"""


def configure(ws, smtp_port, imap_port=1, folders="INBOX", processed=None):
    ws.write_global(smtp_port, imap_port, smtp_timeout=TIMEOUT, imap_timeout=TIMEOUT,
                    folders=folders, processed=processed)


def once(ws, now):
    t = time.time()
    p = ws.convened("once", now=now, expect=None)
    took = time.time() - t
    check(p.returncode == 0, "once --now %s exited %d:\n%s" % (now, p.returncode, p.stderr))
    return p.stderr.splitlines(), took


def db_rows(ws, sql, *a):
    db = sqlite3.connect(os.path.join(ws.dir, "state.db"))
    try:
        return db.execute(sql, a).fetchall()
    finally:
        db.close()


# ---- SMTP ---------------------------------------------------------------

STAGES = {"greeting": ("connect", "greeting"), "mail": ("mail", "MAIL FROM"),
          "rcpt": ("rcpt", "RCPT TO"), "data": ("data", "DATA"),
          "eod": ("eod", "end of data")}
CODES = {421: "421 4.3.2 service shutting down", 451: "451 4.3.0 try later",
         452: "452 4.3.1 insufficient storage", 550: "550 5.7.1 refused"}


def smtp_lines(lines):
    """The log lines about sending: the IMAP side is a closed port here."""
    return [l for l in lines if "cannot read mail from imap:" not in l]


def rows(ws, rcpt):
    return db_rows(ws, "SELECT message_id, state FROM outbox WHERE recipient = ? "
                   "AND kind = 'invite'", rcpt)


def arrived(smtp, start, rcpt):
    """Message-IDs accepted for rcpt since log index start."""
    return [str(m["Message-ID"]).strip("<>") for r, m, _ in smtp.messages()[start:]
            if r == [rcpt]]


def smtp_case(smtp, name, fault, rcpts, matches, want, warm=True, port=None,
              max_time=None, account=False):
    """One fault: `want` is "pending" or "failed" for every message in
    rcpts; `matches` a regex the one line naming the fault matches."""
    ws = Workspace("faults-smtp")
    ok = False
    try:
        configure(ws, port or smtp.port)
        start = len(smtp.messages())
        smtp.set_faults({})
        if warm:
            ws.write_group("g1.ini", GROUP.format(extra=""))
            once(ws, T0)
            ws.write_group("g1.ini", GROUP.format(extra=KIM))
        else:
            ws.write_group("g1.ini", GROUP.format(extra=""))
        start = len(smtp.messages())
        smtp.set_faults(fault)
        lines, took = once(ws, T)
        lines = smtp_lines(lines)
        named = [l for l in lines if re.search(matches, l)]
        check(len(named) == 1, "%s: %d lines name the fault, not 1:\n%s" % (
            name, len(named), "\n".join(lines)))
        for r in rcpts:
            check(arrived(smtp, start, r) == [], "%s: accepted for %s although "
                  "refused" % (name, r))
            st = rows(ws, r)
            check([s for _, s in st] == [want], "%s: %s's row %s, not %s" % (
                name, r, st, want))
        if max_time is not None:
            check(took < max_time, "%s: once took %.1fs, over %.1fs (one "
                  "timeout per message?)" % (name, took, max_time))
        smtp.set_faults({})
        if port is not None:
            configure(ws, smtp.port)
        if want == "pending" and not account:
            # an account problem blames no message: tried next cycle
            once(ws, T_EARLY)
            for r in rcpts:
                check(arrived(smtp, start, r) == [], "%s: retried for %s before "
                      "the backoff" % (name, r))
        once(ws, T_LATER)
        once(ws, "2021-03-01T18:00:00Z")     # long after: nothing more
        for r in rcpts:
            got = arrived(smtp, start, r)
            ids = [m for m, _ in rows(ws, r)]
            if want == "pending":
                check(got == ids, "%s: %s got %s, wanted %s once" % (name, r, got, ids))
                check([s for _, s in rows(ws, r)] == ["sent"], "%s: not sent" % name)
            else:
                check(got == [], "%s: failed message to %s sent later" % (name, r))
                check([s for _, s in rows(ws, r)] == ["failed"], "%s: row %s" % (
                    name, rows(ws, r)))
        ok = True
        return named[0].replace("convened: ", ""), took
    finally:
        ws.cleanup(ok)


def smtp_side(table):
    ws = Workspace("faults-smtpd")
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ok = False
    try:
        for stage, (key, shown) in STAGES.items():
            for code, reply in CODES.items():
                if key == "rcpt":
                    fault = {"rcpt": {"kim@example.org": reply}}
                else:
                    fault = {key: reply}
                account = stage == "greeting"
                want = "failed" if code >= 500 and not account else "pending"
                name = "%s %d" % (stage, code)
                line, took = smtp_case(smtp, name, fault, ["kim@example.org"],
                                       r"%s.*\b%d\b" % (re.escape(shown), code), want,
                                       account=account and code >= 500)
                table.append((name, want, line, took))
        both = ["ana@example.org", "luis@example.org"]
        # Two invitations due each time: a server that is down is one
        # fault, one line, one timeout.
        for name, fault, matches, port, max_time in (
                ("connection refused", {}, r"[Cc]onnect", free_port(), None),
                ("disconnect in DATA", {"disconnect_in_data": True},
                 r"(end of data|message upload).*(receiv|clos|reset|connection)",
                 None, None),
                ("stall at MAIL", {"mail": {"stall": 3 * TIMEOUT}}, r"[Tt]imeout",
                 None, 2 * TIMEOUT + 1.5),
                ("stall at end of data",
                 {"eod": {"stall": 3 * TIMEOUT, "reply": "451 4.3.0 too late"}},
                 r"[Tt]imeout", None, 2 * TIMEOUT + 1.5)):
            line, took = smtp_case(smtp, name, fault, both, matches, "pending",
                                   warm=False, port=port, max_time=max_time)
            table.append((name + " (2 due)", "pending", line, took))
        ok = True
    finally:
        ws.cleanup(ok)


# ---- IMAP ---------------------------------------------------------------

class Proxy:
    """tests/integration/imapproxy.py in front of upstream, its mode set
    through a JSON file."""

    def __init__(self, workdir, upstream):
        self.dir = os.path.join(workdir, "proxy-%d" % upstream)
        os.makedirs(self.dir)
        self.modes = os.path.join(self.dir, "modes.json")
        self.logf = os.path.join(self.dir, "log.jsonl")
        self.set({"mode": "pass"})
        pf = os.path.join(self.dir, "port")
        self.proc, self.port = start_helper(
            ["/usr/bin/python3", os.path.join(ROOT, "tests/integration/imapproxy.py"),
             "--upstream", str(upstream), "--port-file", pf, "--modes", self.modes,
             "--log", self.logf],
            pf, os.path.join(self.dir, "out"))

    def set(self, m):
        write_json(self.modes, m)

    def events(self):
        return read_jsonl(self.logf)

    def stop(self):
        stop_process(self.proc)


def rsvp(member, partstat, msgid, minute, ws):
    """A REPLY to the ORGANIZER the member's invitation named: the plus
    address with their reply token (the key in ws.dir)."""
    org = "agenda+%s@%s" % (reply_token(ws.dir, "m", MEETING, member), DOMAIN)
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REPLY\r\n"
           "BEGIN:VEVENT\r\nUID:%s\r\nDTSTAMP:20210302T10%02d00Z\r\nSEQUENCE:0\r\n"
           "ORGANIZER:mailto:%s\r\nATTENDEE;PARTSTAT=%s:mailto:%s\r\n"
           "END:VEVENT\r\nEND:VCALENDAR\r\n" % (MEETING, minute, org, partstat, member))
    return ("From: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s>\r\n"
            "Date: %s\r\nMIME-Version: 1.0\r\n"
            "Content-Type: text/calendar; method=REPLY; charset=UTF-8\r\n\r\n%s"
            % (member, org, partstat.title(), msgid, email.utils.formatdate(), ics)
            ).encode()


def plain(msgid):
    return ("From: someone@example.net\r\nTo: agenda@%s\r\nSubject: hello\r\n"
            "Message-ID: <%s>\r\nDate: %s\r\n\r\nJust saying hello.\r\n"
            % (DOMAIN, msgid, email.utils.formatdate())).encode()


def partstat(ws, now, who):
    g = ws.status(now, "g1")["groups"][0]
    for m in g["meetings"]:
        if m["uid"] == MEETING:
            return {a["email"]: a["partstat"] for a in m["attendees"]}[who]
    raise Failure("meeting %s not in status" % MEETING)


def inbound(ws, msgid):
    return [r[0] for r in db_rows(ws, "SELECT result FROM inbound WHERE message_id = ?",
                                  msgid)]


def holding(dc, folder, msgid):
    """How many messages in folder carry this Message-ID."""
    tag = ("<%s>" % msgid).encode()
    return sum(1 for m in dc.messages("agenda", folder) if tag in m["data"])


def imap_case(ws, dc, proxy, name, now, mode, msgs, expect_line, applied_during,
              folders="INBOX", warnings=1):
    """msgs: [(folder, member, partstat, msgid)] delivered first; each is
    checked not applied (or applied once, when applied_during) while the
    fault lasts and applied once, in Processed once, after it clears."""
    for folder, member, ps, msgid, minute in msgs:
        raw = rsvp(member, ps, msgid, minute, ws)
        if folder == "INBOX":
            dc.deliver("agenda", raw)
        elif folder is not None:
            dc.deliver_file("agenda", folder, raw)
    before = {m[1]: partstat(ws, now, m[1]) for m in msgs}
    configure(ws, ws.smtp_port, proxy.port, folders=folders, processed="Processed")
    proxy.set(mode)
    nev = len(proxy.events())
    lines, took = once(ws, now)
    named = [l for l in lines if re.search(expect_line, l)]
    check(len(named) == 1, "%s: %d lines name the fault, not 1:\n%s" % (
        name, len(named), "\n".join(lines)))
    warns = [l for l in lines if "cannot" in l or "UIDVALIDITY" in l]
    check(len(warns) == warnings, "%s: %d warnings:\n%s" % (name, len(warns), "\n".join(lines)))
    if mode.get("mode", "pass") != "pass":
        fired = [e for e in proxy.events()[nev:] if e["event"] == "fault"]
        check(fired, "%s: the proxy's fault never fired" % name)
    for folder, member, ps, msgid, _ in msgs:
        if folder is None:
            continue
        if msgid in applied_during:
            check(inbound(ws, msgid) == ["applied"], "%s: %s recorded %s" % (
                name, msgid, inbound(ws, msgid)))
            check(partstat(ws, now, member) == ps, "%s: %s not applied" % (name, msgid))
        else:
            check(inbound(ws, msgid) == [], "%s: %s recorded %s during the fault" % (
                name, msgid, inbound(ws, msgid)))
            check(partstat(ws, now, member) == before[member],
                  "%s: %s applied during the fault" % (name, msgid))
            check(holding(dc, folder, msgid) == 1, "%s: %s left %s" % (name, msgid, folder))
    proxy.set({"mode": "pass"})
    return named[0].replace("convened: ", ""), took


def imap_cleared(ws, dc, name, now, msgs):
    once(ws, now)
    once(ws, now)       # a second run changes nothing
    for folder, member, ps, msgid, _ in msgs:
        if folder is None:
            continue
        check(inbound(ws, msgid) == ["applied"], "%s: after the fault %s recorded %s"
              % (name, msgid, inbound(ws, msgid)))
        check(partstat(ws, now, member) == ps, "%s: %s not applied after the fault"
              % (name, msgid))
        check(holding(dc, folder, msgid) == 0, "%s: %s still in %s" % (name, msgid, folder))
        check(holding(dc, "Processed", msgid) == 1, "%s: %s in Processed %d times" % (
            name, msgid, holding(dc, "Processed", msgid)))


def imap_servers(ws, no_move=False):
    """The SMTP server, a Dovecot behind the proxy, convened configured for
    them and run once (the first invitations go): (smtp, dovecot, proxy)."""
    from dovecot import Dovecot
    os.chmod(ws.dir, 0o711)
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ws.smtp_port = smtp.port
    dc = Dovecot(os.path.join(ws.dir, "dovecot"), users=["agenda"], no_move=no_move)
    dc.start()
    ws.servers.append(dc)
    proxy = Proxy(ws.dir, dc.imap_port)
    ws.servers.append(proxy)
    configure(ws, smtp.port, proxy.port, processed="Processed")
    ws.write_group("g1.ini", GROUP.format(extra=""))
    once(ws, T0)
    return smtp, dc, proxy


def imap_side(table):
    ws = Workspace("faults-imap")
    ok = False
    try:
        smtp, dc, proxy = imap_servers(ws)
        now = "2021-03-02T12:00:00Z"

        cases = [
            ("FETCH dropped mid-literal", {"mode": "drop_mid_fetch", "bytes": 100},
             [("INBOX", "ana@example.org", "ACCEPTED", "r-drop@example.org", 1)],
             r"cannot read mail.*fetch message", ()),
            ("silent after login", {"mode": "stall", "at": "login", "seconds": 30},
             [("INBOX", "luis@example.org", "TENTATIVE", "r-stall1@example.org", 2)],
             r"cannot read mail.*[Tt]imeout", ()),
            ("silent at FETCH", {"mode": "stall", "at": "fetch", "seconds": 30},
             [("INBOX", "ana@example.org", "DECLINED", "r-stall2@example.org", 3)],
             r"cannot read mail.*fetch message.*[Tt]imeout", ()),
            ("UID MOVE refused", {"mode": "refuse", "verb": "MOVE"},
             [("INBOX", "luis@example.org", "ACCEPTED", "r-move@example.org", 4)],
             r"cannot read mail.*move message.*refused by imapproxy",
             ("r-move@example.org",)),
        ]
        for name, mode, msgs, line_re, during in cases:
            line, took = imap_case(ws, dc, proxy, name, now, mode, msgs, line_re, during)
            imap_cleared(ws, dc, name, now, msgs)
            table.append((name, "not applied" if not during else "applied once, left "
                          "in INBOX", line, took))

        # A configured folder that does not exist: skipped, INBOX read.
        name = "folder Archive missing"
        msgs = [("INBOX", "ana@example.org", "TENTATIVE", "r-arch1@example.org", 5)]
        line, took = imap_case(ws, dc, proxy, name, now, {"mode": "pass"}, msgs,
                               r"cannot read folder Archive", ("r-arch1@example.org",),
                               folders="INBOX, Archive")
        check(holding(dc, "Processed", "r-arch1@example.org") == 1,
              "%s: the INBOX reply was not filed away" % name)
        dc.deliver_file("agenda", "Archive", rsvp("luis@example.org", "DECLINED",
                                                  "r-arch2@example.org", 6, ws))
        lines, _ = once(ws, now)
        check(inbound(ws, "r-arch2@example.org") == ["applied"] and
              partstat(ws, now, "luis@example.org") == "DECLINED",
              "%s: the reply in Archive, once it exists, not applied:\n%s"
              % (name, "\n".join(lines)))
        check(holding(dc, "Processed", "r-arch2@example.org") == 1 and
              holding(dc, "Archive", "r-arch2@example.org") == 0,
              "%s: Archive's reply not in Processed" % name)
        table.append((name, "skipped, INBOX read", line, took))

        # UIDVALIDITY changes: INBOX is read again; the mail left there
        # stays left, nothing is applied twice.
        name = "UIDVALIDITY changed"
        configure(ws, smtp.port, proxy.port, processed="Processed")
        dc.deliver("agenda", plain("hello@example.net"))
        once(ws, now)
        count = db_rows(ws, "SELECT count(*) FROM inbound")[0][0]
        before = ws.status(now)
        dc.change_uidvalidity("agenda", "INBOX")
        lines, took = once(ws, now)
        named = [l for l in lines if "UIDVALIDITY" in l]
        check(len(named) == 1, "%s: %d lines:\n%s" % (name, len(named), "\n".join(lines)))
        check(db_rows(ws, "SELECT count(*) FROM inbound")[0][0] == count,
              "%s: new inbound records" % name)
        check(ws.status(now) == before, "%s: status changed" % name)
        check(holding(dc, "INBOX", "hello@example.net") == 1, "%s: plain mail moved" % name)
        table.append((name, "folder read again, nothing twice",
                      named[0].replace("convened: ", ""), took))
        ok = True
    finally:
        ws.cleanup(ok)


def no_move_side(table):
    """No MOVE: COPY, \\Deleted, UID EXPUNGE of that UID only."""
    ws = Workspace("faults-nomove")
    ok = False
    try:
        _, dc, proxy = imap_servers(ws, no_move=True)
        now = "2021-03-02T12:00:00Z"
        dc.deliver("agenda", plain("other@example.net"))        # UID 1
        dc.flag("agenda", "INBOX", 1, "\\Deleted")
        nev = len(proxy.events())
        msgs = [("INBOX", "ana@example.org", "ACCEPTED", "r-nomove@example.org", 7)]
        line, took = imap_case(ws, dc, proxy, "no MOVE", now, {"mode": "pass"}, msgs,
                               r"r-nomove@example.org: rsvp .*ACCEPTED",
                               ("r-nomove@example.org",), warnings=0)
        check(holding(dc, "INBOX", "r-nomove@example.org") == 0 and
              holding(dc, "Processed", "r-nomove@example.org") == 1,
              "no MOVE: the reply not moved to Processed")
        left = [m for m in dc.messages("agenda", "INBOX") if b"<other@example.net>" in m["data"]]
        check(len(left) == 1 and "T" in left[0]["flags"],
              "no MOVE: the message another session marked \\Deleted is %s" %
              [(m["name"], m["flags"]) for m in left])
        cmds = [e["line"].split(" ", 1)[1].upper() for e in proxy.events()[nev:]
                if e["event"] == "command"]
        check(any(c.startswith("UID COPY 2 ") for c in cmds) and
              "UID STORE 2 +FLAGS.SILENT (\\DELETED)" in cmds and
              [c for c in cmds if "EXPUNGE" in c or c in ("CLOSE",)] == ["UID EXPUNGE 2"] and
              not any(c.startswith("UID MOVE") for c in cmds),
              "no MOVE: commands %s" % cmds)
        imap_cleared(ws, dc, "no MOVE", now, msgs)
        table.append(("no MOVE (UIDPLUS)", "applied once; COPY, \\Deleted, UID EXPUNGE 2",
                      line, took))
        ok = True
    finally:
        ws.cleanup(ok)


def main():
    if not os.access(os.environ.get("CONVENED", os.path.join(ROOT, "convened")), os.X_OK):
        skip("no convened binary")
    # Servers stop through .stop(); the proxy is one of them.
    t0 = time.time()
    table = []
    ok = False
    try:
        smtp_side(table)
        if os.path.exists("/usr/sbin/dovecot"):
            imap_side(table)
            no_move_side(table)
        else:
            print("Dovecot missing: IMAP faults skipped")
        ok = True
    except Failure as e:
        print("FAIL: %s" % e)
    for name, outcome, line, took in table:
        print("%-28s %-12s %4.1fs  %s" % (name, outcome, took, line))
    print("%s: faults (%.0fs)" % ("PASS" if ok else "FAIL", time.time() - t0))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
