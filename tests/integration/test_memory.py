"""A hostile message's memory: `convened inspect FILE` under
`/usr/bin/time -v` on generated messages just under the 25 MB limit, each
kept under 256 MB peak resident memory (issue 19: 24 MB of short header
lines took one cycle to 1.1 GB) and 20 s, with the verdict each should
get.  Then the daemon's own path, where Dovecot is installed: each message
in the organizer's INBOX, read by `convened once` under the same bound
(with [imap] max_message_kb at the parser's own cap, 25 MB); and eight
messages of 24 MB sent from the outbox by one `once`.  Prints the peak
of each, for the README's reliability table."""

import base64
import json
import os
import random
import re
import sqlite3
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, SmtpServer, check, run, skip  # noqa: E402
from dovecot import Dovecot  # noqa: E402



def sanitized(path):
    """Whether the binary is the ASan build: its shadow memory and freed-
    block quarantine multiply every peak (about threefold, as ASan's own
    documentation says), so there the bound is the plain build's times 3."""
    try:
        with open(path, "rb") as f:
            return b"__asan_init" in f.read()
    except OSError:
        return False


LIMIT_MB = 256 * (3 if sanitized(CONVENED) else 1)
LIMIT_KB = LIMIT_MB * 1024
SIZE = 24 << 20
TIME = "/usr/bin/time"
HEAD = (b"From: a@example.org\r\nTo: b@example.org\r\nSubject: x\r\n"
        b"Message-ID: <h@example.org>\r\nMIME-Version: 1.0\r\n")


def repeat(f, unit, size=SIZE):
    f.write(unit * (size // len(unit)))


def short_headers(f):
    f.write(HEAD)
    repeat(f, b"X-A: b\r\n")
    f.write(b"\r\nbody\r\n")


def one_header(f):
    f.write(HEAD + b"X-Long: ")
    repeat(f, b"a" * 1024)
    f.write(b"\r\n\r\nbody\r\n")


def folded_header(f):
    f.write(HEAD + b"X-Folded: a")
    repeat(f, b"\r\n a")
    f.write(b"\r\n\r\nbody\r\n")


def not_fields(f):
    # GMime reads on past a line that is no field (issue 19 follow-up)
    f.write(HEAD + b"this line has no colon\r\n")
    repeat(f, b"X-A: b\r\n")
    f.write(b"\r\nbody\r\n")


def digest_headers(f):
    # a digest part without Content-Type is an embedded message
    f.write(HEAD + b'Content-Type: multipart/digest; boundary="B"\r\n\r\n--B\r\n\r\n')
    repeat(f, b"X-A: b\r\n")
    f.write(b"\r\nx\r\n--B--\r\n")


def deep_nesting(f):
    f.write(HEAD)
    for i in range(10000):
        f.write(b'Content-Type: multipart/mixed; boundary="b%d"\r\n\r\n--b%d\r\n' % (i, i))
    f.write(b"Content-Type: text/plain\r\n\r\nx\r\n")
    for i in reversed(range(10000)):
        f.write(b"--b%d--\r\n" % i)


def tiny_parts(f):
    f.write(HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n')
    for _ in range(100000):
        f.write(b"--B\r\nContent-Type: text/plain\r\n\r\nx\r\n")
    f.write(b"--B--\r\n")


def base64_attachment(f):
    f.write(HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
            b"--B\r\nContent-Type: text/plain\r\n\r\nminutes\r\n"
            b'--B\r\nContent-Type: application/pdf; name="a.pdf"\r\n'
            b'Content-Disposition: attachment; filename="a.pdf"\r\n'
            b"Content-Transfer-Encoding: base64\r\n\r\n")
    rnd = random.Random(19)
    raw = bytes(rnd.getrandbits(8) for _ in range(1 << 16))
    f.write(base64.encodebytes(raw * ((SIZE * 3 // 4) >> 16)).replace(b"\n", b"\r\n"))
    f.write(b"--B--\r\n")


def cp1252_body(f):
    f.write(HEAD + b"Content-Type: text/plain; charset=windows-1252\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n")
    repeat(f, b"\x80" * 76 + b"\r\n")


def big_calendar(f):
    f.write(HEAD + b"Content-Type: text/calendar; method=REPLY\r\n\r\n"
            b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:u\r\n")
    repeat(f, b"ATTENDEE;PARTSTAT=ACCEPTED:mailto:a@b.c\r\n")
    f.write(b"END:VEVENT\r\nEND:VCALENDAR\r\n")


def calendar_errors(f):
    # the most unreadable lines allowed: libical's slow case
    f.write(b"BEGIN:VCALENDAR\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:u\r\n"
            b"DTSTAMP:20210101T000000Z\r\n" + b"X:\r\n" * 9990 +
            b"END:VEVENT\r\nEND:VCALENDAR\r\n")


def big_report(f):
    f.write(HEAD + b"Content-Type: multipart/report; report-type=delivery-status; "
            b'boundary="B"\r\n\r\n--B\r\nContent-Type: text/plain\r\n\r\nfailed\r\n'
            b"--B\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; x\r\n\r\n")
    repeat(f, b"Final-Recipient: rfc822; u@example.org\r\nAction: failed\r\n"
              b"Status: 5.1.1\r\n\r\n")
    f.write(b"--B--\r\n")


def forwarded(f):
    f.write(HEAD + b'Content-Type: multipart/mixed; boundary="B"\r\n\r\n'
            b"--B\r\nContent-Type: text/plain\r\n\r\nfwd\r\n"
            b"--B\r\nContent-Type: message/rfc822\r\n\r\n"
            b"From: c@example.org\r\nSubject: inner\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: application/pdf\r\nContent-Transfer-Encoding: base64\r\n\r\n")
    repeat(f, b"QUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFBQUFB\r\n",
           SIZE - 4096)
    f.write(b"--B--\r\n")


# name -> (writer, kind wanted, reason fragment or None)
CASES = [
    ("24 MB of short header lines", short_headers, "malformed", "header lines"),
    ("24 MB in one header line", one_header, "malformed", "bytes of headers"),
    ("24 MB of folded header lines", folded_header, "malformed", "bytes of headers"),
    ("24 MB of lines that are no field", not_fields, "malformed", "header lines"),
    ("24 MB of digest part headers", digest_headers, "malformed", "header lines"),
    ("10,000-deep nesting", deep_nesting, "malformed", "nesting or part bomb"),
    ("100,000 tiny parts", tiny_parts, "malformed", "part bomb"),
    ("24 MB base64 attachment", base64_attachment, "plain", None),
    ("24 MB windows-1252 body", cp1252_body, "plain", None),
    ("24 MB calendar", big_calendar, "malformed", "calendar objects of more than"),
    ("9,990 unreadable calendar lines", calendar_errors, "rsvp", None),
    ("24 MB delivery report", big_report, "bounce", None),
    ("24 MB forwarded message", forwarded, "plain", None),
]


GROUP = """[group]
id = g
name = G
kind = discussion
timezone = America/Montevideo

[member ana@mides.example.uy]
name = Ana
role = ministry
coordinator = yes

[member luis@cepal.example.org]
name = Luis
role = secretariat
coordinator = yes
"""


def timed(argv):
    """(peak resident KB, elapsed s, the completed process) of argv."""
    p = subprocess.run([TIME, "-v"] + argv, capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "%s exited %d: %s" % (argv, p.returncode, p.stderr[-500:]))
    kb = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    el = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (?:(\d+):)?(\d+):([\d.]+)",
                   p.stderr)
    check(kb and el, "no figures from time -v: %s" % p.stderr[-500:])
    secs = int(el.group(1) or 0) * 3600 + int(el.group(2)) * 60 + float(el.group(3))
    return int(kb.group(1)), secs, p


def peak(path):
    """(peak resident KB, elapsed s, the verdict) of inspect on path."""
    kb, secs, p = timed([CONVENED, "inspect", path])
    return kb, secs, json.loads(p.stdout)


def as_mail(raw, n):
    """raw as a message in a mailbox: a bare calendar wrapped, and a
    Message-ID of its own, so that each is read afresh."""
    if not raw.startswith(b"From:"):
        raw = (b"From: a@example.org\r\nContent-Type: text/calendar\r\n"
               b"Message-ID: <h@example.org>\r\n\r\n" + raw)
    return raw.replace(b"<h@example.org>", b"<hostile-%d@example.org>" % n, 1)


def daemon_path(ws):
    """Each case read from Dovecot by `convened once`: fetched, parsed,
    judged, filed away; the peak of the whole cycle."""
    os.chmod(ws.dir, 0o711)
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    dc = Dovecot(os.path.join(ws.dir, "dovecot"), users=["agenda"])
    dc.start()
    ws.servers.append(dc)
    ws.write_global(smtp.port, dc.imap_port)
    # The parser's own cap, not the default 10 MB at the door (a message
    # over it is not parsed at all: poison.sh): what the parser does
    # with 24 MB is what is measured.
    with open(ws.config) as f:
        text = f.read()
    with open(ws.config, "w") as f:
        f.write(text.replace("[imap]\n", "[imap]\nmax_message_kb = 25600\n", 1))
    ws.write_group("10-g.ini", GROUP)
    once = [CONVENED, "-c", ws.config, "--now", "2021-03-01T12:00:00Z", "once"]
    kb, _, _ = timed(once)
    print("once, nothing to read: peak %d MB" % (kb // 1024))
    worst = 0
    for n, (name, writer, _, _) in enumerate(CASES):
        path = os.path.join(ws.dir, "hostile.eml")
        with open(path, "wb") as f:
            writer(f)
        dc.deliver_file("agenda", "INBOX", as_mail(open(path, "rb").read(), n))
        os.unlink(path)
        kb, secs, p = timed(once)
        check("1 replies read" in p.stderr, "%s: not read: %s" % (name, p.stderr[-300:]))
        print("once reading %-34s peak %4d MB  %5.2f s" % (name, kb // 1024, secs))
        check(kb < LIMIT_KB, "%s: once peaked at %d MB, over %d MB" % (name, kb // 1024, LIMIT_MB))
        worst = max(worst, kb)
    print("largest peak of a cycle: %d MB (limit %d MB)" % (worst // 1024, LIMIT_MB))
    return smtp, once


def outbox_path(ws, smtp, once):
    """Eight messages of 24 MB waiting in the outbox (minutes with a big
    file, to eight members), sent by one `once`: the batch is read
    without its texts, each read as it is sent, so the peak is about one
    message, not eight (288 MB before)."""
    n, body = 8, base64.encodebytes(os.urandom(SIZE * 3 // 4 - 4096)).replace(b"\n", b"\r\n")
    db = sqlite3.connect(os.path.join(ws.dir, "state.db"))
    now = 1614600000
    for i in range(n):
        head = (b"From: organizer@example.org\r\nTo: m%d@example.org\r\n"
                b"Subject: big\r\nMessage-ID: <big-%d@example.org>\r\n"
                b"MIME-Version: 1.0\r\nContent-Type: application/pdf\r\n"
                b"Content-Transfer-Encoding: base64\r\n\r\n") % (i, i)
        cur = db.execute("INSERT INTO outbox (message_id, kind, recipient, state, next_try,"
                         " created) VALUES (?, 'minutes-notice', ?, 'pending', ?, ?)",
                         ("big-%d@example.org" % i, "m%d@example.org" % i, now, now))
        db.execute("INSERT INTO outbox_data (id, data) VALUES (?, ?)", (cur.lastrowid, head + body))
    db.commit()
    db.close()
    before = len(smtp.messages())
    kb, secs, p = timed(once)
    sent = [m for m in smtp.messages()[before:] if m[1]["Subject"] == "big"]
    print("once sending %d messages of %d MB: peak %d MB  %.2f s" % (
        n, len(body) >> 20, kb // 1024, secs))
    check(len(sent) == n, "%d of %d big messages sent" % (len(sent), n))
    check(kb < LIMIT_KB, "sending the outbox peaked at %d MB, over %d MB" % (kb // 1024, LIMIT_MB))


def test(ws):
    if not os.access(TIME, os.X_OK):
        skip("no %s (Debian package time)" % TIME)
    worst = 0
    for name, writer, kind, reason in CASES:
        path = os.path.join(ws.dir, "hostile.eml")
        with open(path, "wb") as f:
            writer(f)
        size = os.path.getsize(path)
        check(size < 25 << 20, "%s: %d bytes, over the size limit" % (name, size))
        kb, secs, v = peak(path)
        os.unlink(path)
        print("%-34s %6.1f MB  peak %4d MB  %5.2f s  %s%s" % (
            name, size / 1048576, kb // 1024, secs, v["kind"],
            ": " + v["reason"] if v["kind"] == "malformed" else ""))
        check(v["kind"] == kind, "%s: kind %s, not %s" % (name, v["kind"], kind))
        if reason:
            check(reason in (v["reason"] or ""), "%s: reason %s" % (name, v["reason"]))
        check(kb < LIMIT_KB, "%s: peak %d MB, over %d MB" % (name, kb // 1024, LIMIT_MB))
        check(secs < 20, "%s: %.1f s" % (name, secs))
        worst = max(worst, kb)
    print("largest peak of inspect: %d MB (limit %d MB)" % (worst // 1024, LIMIT_MB))
    if os.path.exists("/usr/sbin/dovecot"):
        smtp, once = daemon_path(ws)
    else:
        print("Dovecot not installed: the daemon's path not measured")
        smtp = SmtpServer(ws.dir)
        ws.servers.append(smtp)
        ws.write_global(smtp.port)
        ws.write_group("10-g.ini", GROUP)
        once = [CONVENED, "-c", ws.config, "--now", "2021-03-01T12:00:00Z", "once"]
        timed(once)
    outbox_path(ws, smtp, once)


if __name__ == "__main__":
    sys.exit(run("memory", test))
