"""Replies end to end: convened sends through a real SMTP server, replies
come back through a real Dovecot (LMTP into the organizer's mailbox, or a
file dropped in Junk), and `convened once --now` applies them.

Covers: RSVPs built from the invitation received (sent, as clients send
them, to its ORGANIZER: the plus address with the attendee's token, which
Dovecot delivers to the organizer's mailbox), one from Junk, one in
the shape a real Thunderbird sends (../shared fixture, rewritten in
memory); a spoofed RSVP and an out-of-office left alone; a DSN marking an
address bouncing; an agenda replaced then confirmed by coordinators, and
the updated invitation carrying it; minutes with a PDF archived and sent
to members; a crash between commit and flag applying nothing twice; a
UIDVALIDITY change; a second run changing nothing."""

import base64
import datetime
import email.utils
import os
import sys

import icalendar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (Failure, SmtpServer, calendar_part, check, of_kind, repository_modes, run,  # noqa: E402
                 skip)
from dovecot import Dovecot  # noqa: E402
import test_invitations as ti  # noqa: E402

DOMAIN = ti.DOMAIN
MARCH = "south-south-monthly-20210317@" + DOMAIN
SHARED = os.environ.get("SHARED") or os.path.join(
    os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared")
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def rfc822(headers, body):
    lines = ["%s: %s" % h for h in headers]
    return ("\r\n".join(lines) + "\r\n\r\n" + body).encode()


def organizer(msg):
    """The invitation's ORGANIZER address, without mailto:."""
    _, text = calendar_part(msg)
    cal = icalendar.Calendar.from_ical(text)
    return str(cal.walk("VEVENT")[0]["ORGANIZER"])[len("mailto:"):]


def rsvp_from_invitation(msg, member, partstat, msgid, sender=None):
    """The REPLY a calendar client would send: the invitation's event with
    METHOD:REPLY and only the member's ATTENDEE, to its ORGANIZER."""
    _, text = calendar_part(msg)
    cal = icalendar.Calendar.from_ical(text)
    out = icalendar.Calendar()
    out.add("prodid", "-//convened tests//EN")
    out.add("version", "2.0")
    out.add("method", "REPLY")
    for ev in cal.walk("VEVENT"):
        e = icalendar.Event()
        for k in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "ORGANIZER"):
            if k in ev:
                e[k] = ev[k]
        e.add("DTSTAMP", datetime.datetime.now(datetime.timezone.utc))
        a = icalendar.vCalAddress("mailto:" + member)
        a.params["PARTSTAT"] = icalendar.vText(partstat)
        e.add("ATTENDEE", a)
        out.add_component(e)
    ics = out.to_ical().decode()
    return rfc822([
        ("From", sender or member), ("To", organizer(msg)),
        ("Subject", "%s: invitation" % partstat.title()),
        ("Message-ID", "<%s>" % msgid), ("Date", email.utils.formatdate()),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/calendar; method=REPLY; charset=UTF-8"),
    ], ics)


def thunderbird_reply(member, org):
    """The Thunderbird/Lightning fixture, made to answer our meeting: its
    bytes as they are, with UID, attendee, sender and times replaced, and
    the organizer (To and ORGANIZER) the one the member's invitation named:
    org, the plus address with their token."""
    path = os.path.join(SHARED, "fixtures", "imip-reply", "thunderbird-lightning-accept.eml")
    if not os.path.exists(path):
        return None
    raw = open(path, "rb").read()
    raw = raw.replace(b"4f0162146d61cb2c06cbe2abf94636f4526abe16", MARCH.encode())
    raw = raw.replace(b"tine20admin@caldav.net", member.encode())
    raw = raw.replace(b"l.kneschke@caldav.org", org.encode())
    raw = raw.replace(b"DTSTART;TZID=Europe/Berlin:20111121T130000",
                      b"DTSTART;TZID=America/Montevideo:20210317T150000")
    raw = raw.replace(b"DTEND;TZID=Europe/Berlin:20111121T140000",
                      b"DTEND;TZID=America/Montevideo:20210317T163000")
    raw = raw.replace(b"20111121120910.8405A7D32@laptoplk", b"tb-reply-1@laptoplk")
    return raw


def dsn(rcpt, original_id):
    body = ("--b\r\nContent-Type: text/plain\r\n\r\nDelivery failed.\r\n"
            "--b\r\nContent-Type: message/delivery-status\r\n\r\n"
            "Reporting-MTA: dns; mx.gouv.example.ht\r\n\r\n"
            "Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n"
            "Diagnostic-Code: smtp; 550 5.1.1 user unknown\r\n\r\n"
            "--b\r\nContent-Type: text/rfc822-headers\r\n\r\n"
            "Message-ID: <%s>\r\nFrom: agenda@%s\r\nTo: %s\r\n\r\n--b--\r\n"
            % (rcpt, original_id, DOMAIN, rcpt))
    return rfc822([
        ("From", "Mail Delivery System <MAILER-DAEMON@mx.gouv.example.ht>"),
        ("To", "agenda@" + DOMAIN), ("Subject", "Undelivered Mail Returned to Sender"),
        ("Message-ID", "<dsn-1@mx.gouv.example.ht>"), ("Auto-Submitted", "auto-replied"),
        ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"'),
    ], body)


def to_coordinators(smtp, seen, kind):
    """The messages of kind sent since the last look, by recipient: one to
    each coordinator of the group and to nobody else."""
    got = {x[0][0]: x[1] for x in of_kind(ti.new_messages(smtp, seen, everything=True),
                                              kind)}
    check(sorted(got) == ["ana@mides.example.uy", "luis@cepal.example.org"],
          "%s to %s" % (kind, sorted(got)))
    return got


def reply_to(msg, sender, msgid, text, attachment=None):
    headers = [("From", sender), ("To", "agenda@" + DOMAIN),
               ("Subject", "Re: " + str(msg["Subject"]).replace("\n", " ")),
               ("Message-ID", "<%s>" % msgid), ("In-Reply-To", msg["Message-ID"]),
               ("References", msg["Message-ID"]), ("Date", email.utils.formatdate()),
               ("MIME-Version", "1.0")]
    quoted = "".join("> " + l + "\r\n" for l in ti.body(msg).splitlines()[:5])
    text = text + "\r\n\r\nOn Mon, 1 Mar 2021, Secretaria wrote:\r\n" + quoted
    if attachment is None:
        headers.append(("Content-Type", "text/plain; charset=UTF-8"))
        return rfc822(headers, text)
    name, data = attachment
    headers.append(("Content-Type", 'multipart/mixed; boundary="m"'))
    body = ("--m\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n"
            "--m\r\nContent-Type: application/pdf; name=\"%s\"\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--m--\r\n"
            % (text, name, name, base64.b64encode(data).decode()))
    return rfc822(headers, body)


def partstats(ws, now, uid):
    g = ws.status(now, "south-south")["groups"][0]
    for m in g["meetings"]:
        if m["uid"] == uid:
            return {a["email"]: a["partstat"] for a in m["attendees"]}, m, g
    raise Failure("meeting %s not in status" % uid)


def start_servers(ws):
    """An SMTP server and a Dovecot for the organizer, stopped with ws;
    the test is skipped without Dovecot."""
    if not os.path.exists("/usr/sbin/dovecot"):
        skip("Dovecot is not installed")
    os.chmod(ws.dir, 0o711)
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    dc = Dovecot(os.path.join(ws.dir, "dovecot"), users=["agenda"])
    dc.start()
    ws.servers.append(dc)
    return smtp, dc


def test(ws):
    smtp, dc = start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port)
    # INBOX and Junk are read; what was acted on goes to Processed.
    text = open(ws.config).read().replace("folders = INBOX", "folders = INBOX, Junk\nprocessed_folder = Processed")
    open(ws.config, "w").write(text)
    ws.write_group("10-south-south.ini", ti.group())
    ws.convened("check")
    seen = [0]

    # Invitations out.
    ws.convened("once", now="2021-03-01T12:00:00Z")
    inv = ti.by_rcpt(ti.new_messages(smtp, seen))
    check(len(inv) == 5, "invitations: %s" % sorted(inv))

    # Replies come in.  Ana's goes to her ORGANIZER, the plus address:
    # Dovecot files it in the organizer's INBOX.
    ana_org = organizer(inv["ana@mides.example.uy"][0])
    check(ana_org.startswith("agenda+"), "ORGANIZER %s carries no token" % ana_org)
    dc.deliver(ana_org.split("@")[0], rsvp_from_invitation(inv["ana@mides.example.uy"][0],
               "ana@mides.example.uy", "ACCEPTED", "r-ana@uy"))
    dc.deliver_file("agenda", "Junk", rsvp_from_invitation(
        inv["kim@gov.example.bb"][0], "kim@gov.example.bb", "DECLINED", "r-kim@bb"))
    tb = thunderbird_reply("joao@mds.example.br", organizer(inv["joao@mds.example.br"][0]))
    if tb is not None:
        dc.deliver("agenda", tb)
    dc.deliver("agenda", rsvp_from_invitation(inv["luis@cepal.example.org"][0],
               "luis@cepal.example.org", "DECLINED", "spoof@evil",
               sender="mallory@evil.example.com"))
    dc.deliver("agenda", dsn("marie@gouv.example.ht",
                             inv["marie@gouv.example.ht"][0]["Message-ID"].strip("<>")))
    dc.deliver("agenda", rfc822([
        ("From", "kim@gov.example.bb"), ("To", "agenda@" + DOMAIN),
        ("Subject", "Out of Office: invitation"), ("Message-ID", "<ooo@bb>"),
        ("Auto-Submitted", "auto-replied")], "Away until April.\r\n"))

    now2 = "2021-03-02T12:00:00Z"
    p = ws.convened("once", now=now2)
    ps, m, g = partstats(ws, now2, MARCH)
    check(ps["ana@mides.example.uy"] == "ACCEPTED", "ana: %s" % ps)
    check(ps["kim@gov.example.bb"] == "DECLINED", "kim (from Junk): %s" % ps)
    check(ps["luis@cepal.example.org"] == "NEEDS-ACTION", "spoofed RSVP applied: %s" % ps)
    if tb is not None:
        check(ps["joao@mds.example.br"] == "ACCEPTED", "Thunderbird reply: %s" % ps)
    check(m["rsvp"]["accepted"] == (2 if tb is not None else 1), "rsvp counts %s" % m["rsvp"])
    check(g["bouncing"] == ["marie@gouv.example.ht"], "bouncing %s" % g["bouncing"])
    check("spoof@evil" in p.stderr and "refused" in p.stderr, "spoof not logged:\n" + p.stderr)
    # Acted on: moved to Processed; the rest left in INBOX, unread.
    inbox = dc.messages("agenda", "INBOX")
    check(len(inbox) == 2 and all("S" not in x["flags"] for x in inbox),
          "INBOX holds %s" % [(x["name"], x["flags"]) for x in inbox])
    done = dc.messages("agenda", "Processed")
    check(len(done) == (4 if tb is not None else 3), "Processed holds %d" % len(done))
    check(dc.messages("agenda", "Junk") == [], "Junk not emptied")
    to_coordinators(smtp, seen, "bounce-notice")

    # A second run changes nothing.
    before = ws.status(now2)
    ws.convened("once", now=now2)
    check(ws.status(now2) == before, "second once changed status")
    check(ti.new_messages(smtp, seen, everything=True) == [], "second once sent mail")

    # Agenda: the request goes 7 days ahead; Luis replaces the draft, Ana
    # confirms; attendees get the agenda in an update.
    now3 = "2021-03-10T19:00:00Z"
    ws.convened("once", now=now3)
    reqs = to_coordinators(smtp, seen, "agenda-request")
    check("CONFIRM" in ti.body(reqs["luis@cepal.example.org"]), "request without instructions")
    dc.deliver("agenda", reply_to(reqs["luis@cepal.example.org"], "luis@cepal.example.org",
                                  "ag-1@cl", "1. Opening\r\n2. Experiences of Chile and Uruguay"))
    ws.convened("once", now="2021-03-10T20:00:00Z")
    upd = ti.by_rcpt(ti.new_messages(smtp, seen))
    check(len(upd) == 5, "agenda updates to %s" % sorted(upd))
    for rcpt, (msg, raw) in upd.items():
        ev = ti.common_checks(msg, raw, "REQUEST", MARCH, 1)
        check("Experiences of Chile" in str(ev.get("DESCRIPTION")), "agenda not in DESCRIPTION")
        check("Experiences of Chile" in ti.body(msg), "agenda not in body")
    _, m, _ = partstats(ws, "2021-03-10T20:00:00Z", MARCH)
    check(m["agenda"] == "confirmed", "agenda %s" % m["agenda"])
    dc.deliver("agenda", reply_to(reqs["ana@mides.example.uy"], "ana@mides.example.uy",
                                  "ag-2@uy", "CONFIRMAR"))
    ws.convened("once", now="2021-03-10T21:00:00Z")
    check(ti.new_messages(smtp, seen) == [], "a confirmation of the same agenda re-sent invitations")

    # Minutes: requested after the meeting, answered with a PDF.
    now4 = "2021-03-18T12:00:00Z"
    ws.convened("once", now=now4)
    mreq = to_coordinators(smtp, seen, "minutes-request")
    minutes = reply_to(mreq["ana@mides.example.uy"], "Ana Pérez <ana@mides.example.uy>",
                       "min-1@uy", "Adjunto el acta de la reunión.", ("acta marzo.pdf", PDF))
    dc.deliver("agenda", minutes)
    now5 = "2021-03-18T13:00:00Z"
    ws.convened("once", now=now5)
    _, m, _ = partstats(ws, now5, MARCH)
    check(m["minutes"] == "south-south/2021/2021-03-17-minutes", "minutes %s" % m["minutes"])
    d = os.path.join(ws.dir, "repository", m["minutes"])
    check(open(os.path.join(d, "acta marzo.pdf"), "rb").read() == PDF, "PDF not archived")
    check(os.path.exists(os.path.join(d, "metadata.json")), "no metadata")
    # Made by `once` under the umask 077 it sets itself: still the
    # group's to read (the feed, the year, the item and its three files).
    dirs, files = repository_modes(os.path.join(ws.dir, "repository"))
    check(dirs == 4 and files == 4, "repository: %d directories, %d files" % (dirs, files))
    notes = of_kind(ti.new_messages(smtp, seen, everything=True), "minutes-notice")
    # Marie's address bounces; she is still a member and is still written to.
    check(len(notes) == 5, "minutes notices: %d" % len(notes))
    pdfs = [p.get_content() for p in notes[0][1].walk() if p.get_filename() == "acta marzo.pdf"]
    check(pdfs == [PDF], "PDF not attached to the minutes notice")

    # A crash between commit and flag: the message is back in INBOX,
    # unread.  It is recognised, filed away, and applied nothing twice.
    dc.deliver("agenda", minutes)
    ws.convened("once", now="2021-03-18T14:00:00Z")
    check(ti.new_messages(smtp, seen, everything=True) == [], "the minutes were applied twice")
    items = os.listdir(os.path.join(ws.dir, "repository", "south-south", "2021"))
    check(items == ["2021-03-17-minutes"], "repository holds %s" % items)
    check(len(dc.messages("agenda", "INBOX")) == 2, "the redelivered minutes stayed in INBOX")

    # UIDVALIDITY changes: INBOX is read again; what is there (the spoofed
    # RSVP, the out-of-office) stays ignored, and nothing changes.
    # (The accounts' last success moves with every cycle: not compared.)
    before = ws.status("2021-03-18T15:00:00Z")
    before.pop("accounts")
    dc.stop()
    dc.change_uidvalidity("agenda", "INBOX")
    dc.start()
    p = ws.convened("once", now="2021-03-18T15:00:00Z")
    check("UIDVALIDITY" in p.stderr, "UIDVALIDITY change not logged:\n" + p.stderr)
    after = ws.status("2021-03-18T15:00:00Z")
    after.pop("accounts")
    check(after == before, "status changed after UIDVALIDITY")
    inbox = dc.messages("agenda", "INBOX")
    check(len(inbox) == 2 and all("S" not in x["flags"] for x in inbox),
          "INBOX after rescan %s" % [(x["name"], x["flags"]) for x in inbox])
    check(ti.new_messages(smtp, seen, everything=True) == [], "mail sent after UIDVALIDITY change")


if __name__ == "__main__":
    sys.exit(run("replies", test))
