"""Trust end to end (issue 12): convened sends through a real SMTP server,
replies and forgeries come back through a real Dovecot (LMTP into the
organizer's mailbox, or a file dropped in Junk), and `convened once --now`
applies what proves itself, with the default configuration.

Covers:
- RSVPs in the shapes of the four client families, rewritten in memory
  with the real UID and the ORGANIZER (the plus address with the
  member's token) their invitation named: Outlook (built in its shape:
  ../shared has no Outlook reply), Google Calendar, Apple iCal/Mail and
  Thunderbird/Lightning (the ../shared/fixtures/imip-reply files) count;
- forged RSVPs count nowhere: a member answering for another with their
  own token, an outsider's from Junk with no token, an outsider's for a
  member; a DTSTAMP of 2099 counts as of its receipt, so the member's next
  answer still counts; a forged DSN (a message of ours, to another
  address) marks nobody; 1,000 counter-proposals in a cycle make one
  notice per coordinator, and the next cycle's says 999 were held back;
- a forged coordinator agenda (no token; a token stolen from another
  member's invitation; an Authentication-Results of an MTA nobody
  trusts) and a forged document change nothing, reach no member, and each
  make exactly one confirmation request, to the real coordinator only;
- the coordinators' genuine replies as Outlook (Reply-To, In-Reply-To
  only, "-----Original Message-----"), Gmail (Reply-To, In-Reply-To and
  References, "On ... wrote:") and Thunderbird (format=flowed, quoted)
  shape them are applied;
- a real coordinator's document sent without a token is held, and her
  CONFIRM (a reply keeping neither In-Reply-To nor References: the
  Reply-To's token finds it) applies it;
- minutes carrying "acta.pdf.exe", a Windows program: only the PDF beside
  it is archived and sent on, the coordinators told;
- a week later the holds never confirmed are dropped, each logged;
  `status` counts every refusal by reason."""

import base64
import datetime
import email
import email.policy
import email.utils
import os
import quopri
import smtplib
import sys

import icalendar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Failure, check, msgid_kind, run  # noqa: E402
import test_invitations as ti  # noqa: E402
from test_replies import (MARCH, PDF, SHARED, organizer, partstats, rfc822,  # noqa: E402
                          start_servers, thunderbird_reply)

DOMAIN = ti.DOMAIN
ANA, LUIS, KIM = "ana@mides.example.uy", "luis@cepal.example.org", "kim@gov.example.bb"
JOAO, MARIE = "joao@mds.example.br", "marie@gouv.example.ht"
MEMBERS = sorted([ANA, LUIS, KIM, JOAO, MARIE])
START = datetime.datetime(2021, 3, 17, 18, 0, tzinfo=datetime.timezone.utc)
STAMP = datetime.datetime(2021, 3, 2, 11, 0, tzinfo=datetime.timezone.utc)
# A Windows program's first bytes ("MZ", a DOS stub), named as minutes.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 48


def fixture(name):
    path = os.path.join(SHARED, "fixtures", "imip-reply", name)
    if not os.path.exists(path):
        raise Failure("fixture %s missing" % path)
    return open(path, "rb").read()


def reply_event(ev, uid, org, member, partstat, seq):
    """ev (a VEVENT of a client's REPLY) made to answer our meeting."""
    for k in ("UID", "DTSTART", "DTEND", "DURATION", "ORGANIZER", "ATTENDEE", "DTSTAMP",
              "SEQUENCE", "RECURRENCE-ID"):
        if k in ev:
            del ev[k]
    ev.add("UID", uid)
    ev.add("DTSTART", START)
    ev.add("DTEND", START + datetime.timedelta(minutes=90))
    ev.add("DTSTAMP", STAMP)
    ev.add("SEQUENCE", seq)
    ev["ORGANIZER"] = icalendar.vCalAddress("mailto:" + org)
    a = icalendar.vCalAddress("mailto:" + member)
    a.params["PARTSTAT"] = icalendar.vText(partstat)
    ev.add("ATTENDEE", a)


def calendar(method, ev, prodid="-//convened tests//EN"):
    """A VCALENDAR of method holding ev."""
    cal = icalendar.Calendar()
    cal.add("method", method)
    cal.add("prodid", prodid)
    cal.add("version", "2.0")
    cal.add_component(ev)
    return cal


def invitation_sequence(inv):
    _, text = ti.calendar_part(inv)
    return int(icalendar.Calendar.from_ical(text).walk("VEVENT")[0].get("SEQUENCE", 0))


def outlook_rsvp(inv, member, name, partstat):
    """Outlook's shape (Outlook 16, Exchange): multipart/alternative with
    text, HTML and the REPLY in base64, MAILTO in capitals, Thread-Index,
    no In-Reply-To; sent to the ORGANIZER."""
    org = organizer(inv)
    ev = icalendar.Event()
    reply_event(ev, MARCH, org, member, partstat, invitation_sequence(inv))
    ev.add("SUMMARY", "Accepted: Intercambio mensual de experiencias")
    ev.add("CLASS", "PUBLIC")
    ics = calendar("REPLY", ev, "Microsoft Exchange Server 2010").to_ical().decode()
    ics = ics.replace("mailto:", "MAILTO:")
    b64 = base64.encodebytes(ics.encode()).decode().replace("\n", "\r\n")
    body = ("--_000_\r\nContent-Type: text/plain; charset=\"us-ascii\"\r\n\r\n\r\n"
            "--_000_\r\nContent-Type: text/html; charset=\"us-ascii\"\r\n\r\n"
            "<html><body></body></html>\r\n"
            "--_000_\r\nContent-Type: text/calendar; charset=\"utf-8\"; method=REPLY\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s--_000_--\r\n" % b64)
    return rfc822([
        ("From", "%s <%s>" % (name, member)), ("To", "Secretaria <%s>" % org),
        ("Subject", "Accepted: Intercambio mensual de experiencias"),
        ("Thread-Topic", "Intercambio mensual de experiencias"),
        ("Thread-Index", "AdcPqLZ1m1y7yXhVQbC0S6P3gT3cZA=="),
        ("Date", email.utils.formatdate()), ("Message-ID", "<ol-%s@EX.example>" % member),
        ("Accept-Language", "es-UY, en-US"), ("Content-Language", "es-UY"),
        ("X-MS-Has-Attach", ""), ("X-MS-TNEF-Correlator", ""), ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/alternative; boundary="_000_"'),
    ], body)


def google_rsvp(inv, member, partstat):
    """The Google Calendar REPLY (fixture) in Gmail's mail: text, HTML
    and the calendar in an alternative, invite.ics beside it."""
    cal = icalendar.Calendar.from_ical(fixture("google-calendar-accept.ics"))
    ev = cal.walk("VEVENT")[0]
    reply_event(ev, MARCH, organizer(inv), member, partstat, invitation_sequence(inv))
    ics = cal.to_ical()
    b64 = base64.encodebytes(ics).decode().replace("\n", "\r\n")
    body = ("--00mixed\r\nContent-Type: multipart/alternative; boundary=\"00alt\"\r\n\r\n"
            "--00alt\r\nContent-Type: text/plain; charset=\"UTF-8\"; format=flowed; delsp=yes\r\n\r\n"
            "Invitation accepted\r\n\r\n"
            "--00alt\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n<p>accepted</p>\r\n"
            "--00alt\r\nContent-Type: text/calendar; charset=\"UTF-8\"; method=REPLY\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s--00alt--\r\n"
            "--00mixed\r\nContent-Type: application/ics; name=\"invite.ics\"\r\n"
            "Content-Disposition: attachment; filename=\"invite.ics\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s--00mixed--\r\n" % (b64, b64))
    return rfc822([
        ("From", member), ("To", organizer(inv)),
        ("Subject", "Accepted: Intercambio mensual de experiencias"),
        ("Message-ID", "<CAgoogle-%s@mail.gmail.com>" % member.split("@")[0]),
        ("Date", email.utils.formatdate()), ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="00mixed"'),
    ], body)


def apple_rsvp(inv, member, partstat):
    """The Apple iCal 3 / Mail fixture: its MIME tree as it is, the
    quoted-printable calendar rewritten, From and To replaced."""
    msg = email.message_from_bytes(fixture("apple-ical3-mail-accept.eml"))
    org = organizer(inv)
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            cal = icalendar.Calendar.from_ical(part.get_payload(decode=True))
            reply_event(cal.walk("VEVENT")[0], MARCH, org, member, partstat,
                        invitation_sequence(inv))
            part.set_payload(quopri.encodestring(cal.to_ical()).decode())
    for h, v in (("From", member), ("To", "Secretaria <%s>" % org),
                 ("Message-id", "<apple-%s@example.com>" % member.split("@")[0])):
        del msg[h]
        msg[h] = v
    return msg.as_bytes()


def rsvp(inv, org, member, partstat, msgid, sender, to, stamp=STAMP):
    """A REPLY for member to our meeting (SEQUENCE as in inv), naming org
    as ORGANIZER, stamped stamp, from sender to `to`."""
    ev = icalendar.Event()
    reply_event(ev, MARCH, org, member, partstat, invitation_sequence(inv))
    del ev["DTSTAMP"]
    ev.add("DTSTAMP", stamp)
    cal = calendar("REPLY", ev)
    return rfc822([
        ("From", sender), ("To", to), ("Subject", "Re: invitation"),
        ("Message-ID", "<%s>" % msgid), ("Date", email.utils.formatdate()),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/calendar; method=REPLY; charset=UTF-8"),
    ], cal.to_ical().decode())


def own_rsvp(inv, member, partstat, msgid, stamp=STAMP):
    """member's own REPLY to the invitation inv, to its ORGANIZER."""
    return rsvp(inv, organizer(inv), member, partstat, msgid, member, organizer(inv), stamp)


def counter(inv, member, n):
    """A COUNTER from member proposing an hour later."""
    ev = icalendar.Event()
    reply_event(ev, MARCH, organizer(inv), member, "NEEDS-ACTION", invitation_sequence(inv))
    del ev["DTSTART"]
    ev.add("DTSTART", START + datetime.timedelta(hours=1))
    cal = calendar("COUNTER", ev)
    return rfc822([
        ("From", member), ("To", organizer(inv)), ("Subject", "New time proposed"),
        ("Message-ID", "<counter-%d@bb>" % n), ("Date", email.utils.formatdate()),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/calendar; method=COUNTER; charset=UTF-8"),
    ], cal.to_ical().decode())


def quoted(msg):
    return "".join("> " + line + "\r\n" for line in ti.body(msg).splitlines()[:6])


def reply_addr(msg):
    return email.utils.parseaddr(str(msg["Reply-To"]))[1]


def outlook_reply(req, sender, msgid, text):
    """Outlook: to the Reply-To, In-Reply-To only, the original below
    "-----Original Message-----" without '>'."""
    plain = (text + "\r\n\r\n-----Original Message-----\r\nFrom: Secretaria <agenda@%s>\r\n"
             "Sent: Wednesday, March 10, 2021 4:00 PM\r\nTo: %s\r\nSubject: %s\r\n\r\n%s\r\n"
             % (DOMAIN, sender, str(req["Subject"]).replace("\n", " "),
                ti.body(req).replace("\n", "\r\n")))
    body = ("--_alt_\r\nContent-Type: text/plain; charset=\"utf-8\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s"
            "--_alt_\r\nContent-Type: text/html; charset=\"utf-8\"\r\n\r\n<html><body>%s</body></html>\r\n"
            "--_alt_--\r\n" % (base64.encodebytes(plain.encode()).decode().replace("\n", "\r\n"),
                               text.replace("\r\n", "<br>")))
    return rfc822([
        ("From", sender), ("To", "Secretaria <%s>" % reply_addr(req)),
        ("Subject", "RE: " + str(req["Subject"]).replace("\n", " ")),
        ("Thread-Topic", "agenda"), ("Thread-Index", "AdcVx1c2eXpzQ1dGRkZHR0dISEhJSQ=="),
        ("Message-ID", "<%s>" % msgid), ("In-Reply-To", str(req["Message-ID"])),
        ("Date", email.utils.formatdate()), ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/alternative; boundary="_alt_"'),
    ], body)


def gmail_reply(req, sender, msgid, text):
    """Gmail: to the Reply-To, In-Reply-To and References, "On ... wrote:"
    and the quote, text and HTML."""
    plain = (text + "\r\n\r\nOn Wed, Mar 10, 2021 at 4:00 PM Secretaria <%s> wrote:\r\n\r\n%s"
             % (reply_addr(req), quoted(req)))
    body = ("--000alt\r\nContent-Type: text/plain; charset=\"UTF-8\"\r\n\r\n%s\r\n"
            "--000alt\r\nContent-Type: text/html; charset=\"UTF-8\"\r\n\r\n"
            "<div dir=\"ltr\">%s</div><div class=\"gmail_quote\">...</div>\r\n"
            "--000alt--\r\n" % (plain, text))
    return rfc822([
        ("From", sender), ("To", "Secretaria <%s>" % reply_addr(req)),
        ("Subject", "Re: " + str(req["Subject"]).replace("\n", " ")),
        ("Message-ID", "<%s>" % msgid), ("In-Reply-To", str(req["Message-ID"])),
        ("References", str(req["Message-ID"])), ("Date", email.utils.formatdate()),
        ("MIME-Version", "1.0"), ("Content-Type", 'multipart/alternative; boundary="000alt"'),
    ], body)


def thunderbird_text_reply(req, sender, msgid, text, files=(), refs=True):
    """Thunderbird: to the Reply-To, format=flowed, "On ... wrote:" and
    the quote; In-Reply-To and References unless refs is false; files as
    (name, content type, bytes)."""
    plain = text + "\r\n\r\nOn 10/03/2021 16:00, Secretaria wrote:\r\n" + quoted(req)
    headers = [("From", sender), ("To", "Secretaria <%s>" % reply_addr(req)),
               ("Subject", "Re: " + str(req["Subject"]).replace("\n", " ")),
               ("Message-ID", "<%s>" % msgid)]
    if refs:
        headers += [("In-Reply-To", str(req["Message-ID"])), ("References", str(req["Message-ID"]))]
    headers += [("Date", email.utils.formatdate()), ("User-Agent", "Mozilla Thunderbird"),
                ("MIME-Version", "1.0")]
    if not files:
        headers.append(("Content-Type", "text/plain; charset=UTF-8; format=flowed"))
        return rfc822(headers, plain)
    headers.append(("Content-Type", 'multipart/mixed; boundary="------------tb"'))
    body = "--------------tb\r\nContent-Type: text/plain; charset=UTF-8; format=flowed\r\n\r\n" + plain
    for name, ctype, data in files:
        body += ("\r\n--------------tb\r\nContent-Type: %s; name=\"%s\"\r\n"
                 "Content-Disposition: attachment; filename=\"%s\"\r\n"
                 "Content-Transfer-Encoding: base64\r\n\r\n%s"
                 % (ctype, name, name, base64.encodebytes(data).decode().replace("\n", "\r\n")))
    return rfc822(headers, body + "--------------tb--\r\n")


def forged_agenda(msgid, to, text, extra=()):
    """An agenda in Luis's name: the request's Message-ID rebuilt as the
    release before made it (predictable), sent to `to`."""
    return rfc822([
        ("From", "Luis Muñoz <%s>" % LUIS), ("To", to), ("Subject", "Re: agenda"),
        ("Message-ID", "<%s>" % msgid),
        ("In-Reply-To", "<agenda-request.south-south-monthly-20210317.1a2b3c4d@%s>" % DOMAIN),
    ] + list(extra) + [("Date", email.utils.formatdate()), ("MIME-Version", "1.0"),
                       ("Content-Type", "text/plain; charset=UTF-8")], text)


def document(sender, msgid, name, data, to=None):
    body = ("--d\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\nDocumento del grupo.\r\n"
            "--d\r\nContent-Type: application/pdf; name=\"%s\"\r\n"
            "Content-Disposition: attachment; filename=\"%s\"\r\n"
            "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--d--\r\n"
            % (name, name, base64.b64encode(data).decode()))
    return rfc822([
        ("From", sender), ("To", to or "agenda@" + DOMAIN),
        ("Subject", "[south-south] document: informe"), ("Message-ID", "<%s>" % msgid),
        ("Date", email.utils.formatdate()), ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/mixed; boundary="d"'),
    ], body)


def deliver_many(dc, raws):
    """Through one LMTP session."""
    with smtplib.LMTP("127.0.0.1", dc.lmtp_port, timeout=60) as lmtp:
        for raw in raws:
            lmtp.sendmail("sender@example.org", ["agenda@example.org"], raw)


def repository_items(ws):
    root = os.path.join(ws.dir, "repository", "south-south")
    out = []
    for year in sorted(os.listdir(root)) if os.path.isdir(root) else []:
        if os.path.isdir(os.path.join(root, year)):
            out += sorted(os.listdir(os.path.join(root, year)))
    return out


def test(ws):
    smtp, dc = start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port)
    text = open(ws.config).read().replace(
        "folders = INBOX", "folders = INBOX, Junk\nprocessed_folder = Processed")
    open(ws.config, "w").write(text)
    ws.write_group("10-south-south.ini", ti.group())
    ws.convened("check")
    seen = [0]

    def out():
        return [(r[0], (msgid_kind(m) or (None,))[0], m)
                for r, m, _ in ti.new_messages(smtp, seen, everything=True)]

    ws.convened("once", now="2021-03-01T12:00:00Z")
    inv = {k: v[0] for k, v in ti.by_rcpt(ti.new_messages(smtp, seen)).items()}
    check(sorted(inv) == MEMBERS, "invitations: %s" % sorted(inv))

    # -- RSVPs: four client families count; forgeries do not.
    dc.deliver(organizer(inv[ANA]).split("@")[0],
               outlook_rsvp(inv[ANA], ANA, "Ana Pérez", "ACCEPTED"))
    dc.deliver("agenda", google_rsvp(inv[KIM], KIM, "DECLINED"))
    dc.deliver("agenda", apple_rsvp(inv[MARIE], MARIE, "TENTATIVE"))
    dc.deliver("agenda", thunderbird_reply(JOAO, organizer(inv[JOAO])))
    # Kim answers for Luis, in his name, with her own token.
    dc.deliver("agenda", rsvp(inv[KIM], organizer(inv[KIM]), LUIS, "DECLINED", "f-kim@bb",
                              LUIS, organizer(inv[KIM])))
    # An outsider for Joao, in his name, no token, found in Junk.
    plain = "agenda@" + DOMAIN
    dc.deliver_file("agenda", "Junk", rsvp(inv[JOAO], plain, JOAO, "DECLINED", "f-junk@evil",
                                           JOAO, plain))
    # An outsider answering for Luis from his own address.
    dc.deliver("agenda", rsvp(inv[LUIS], plain, LUIS, "DECLINED", "f-out@evil",
                              "mallory@evil.example.com", plain))
    # A DSN for Ana returning Luis's invitation: ours, not hers.
    dc.deliver("agenda", rfc822([
        ("From", "MAILER-DAEMON@mx.evil.example"), ("To", "agenda@" + DOMAIN),
        ("Subject", "Undelivered Mail Returned to Sender"), ("Message-ID", "<f-dsn@evil>"),
        ("Auto-Submitted", "auto-replied"), ("MIME-Version", "1.0"),
        ("Content-Type", 'multipart/report; report-type=delivery-status; boundary="b"')],
        "--b\r\nContent-Type: text/plain\r\n\r\nfailed\r\n"
        "--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx\r\n\r\n"
        "Final-Recipient: rfc822; %s\r\nAction: failed\r\nStatus: 5.1.1\r\n\r\n"
        "--b\r\nContent-Type: text/rfc822-headers\r\n\r\nMessage-ID: %s\r\nTo: %s\r\n\r\n--b--\r\n"
        % (ANA, inv[LUIS]["Message-ID"], ANA)))
    now2 = "2021-03-02T12:00:00Z"
    p = ws.convened("once", now=now2)
    ps, m, g = partstats(ws, now2, MARCH)
    check(ps == {ANA: "ACCEPTED", KIM: "DECLINED", MARIE: "TENTATIVE", JOAO: "ACCEPTED",
                 LUIS: "NEEDS-ACTION"}, "answers %s\n%s" % (ps, p.stderr))
    check(g["bouncing"] == [], "bouncing %s" % g["bouncing"])
    check(out() == [], "mail sent in answer to RSVPs and forgeries")
    for mid, reason in (("f-kim@bb", "no-proof"), ("f-junk@evil", "no-proof"),
                        ("f-out@evil", "spoofed"), ("f-dsn@evil", "foreign-bounce")):
        check(any(mid in line and "refused" in line and reason in line
                  for line in p.stderr.splitlines()), "%s not logged as %s:\n%s"
              % (mid, reason, p.stderr))

    # A DTSTAMP of 2099 counts as of its receipt; Kim's next answer counts.
    dc.deliver("agenda", own_rsvp(inv[KIM], KIM, "TENTATIVE", "d-2099@bb",
                                  datetime.datetime(2099, 1, 1, tzinfo=datetime.timezone.utc)))
    ws.convened("once", now="2021-03-03T12:00:00Z")
    check(partstats(ws, "2021-03-03T12:00:00Z", MARCH)[0][KIM] == "TENTATIVE", "2099 answer")
    dc.deliver("agenda", own_rsvp(inv[KIM], KIM, "ACCEPTED", "d-next@bb",
                                  datetime.datetime(2021, 3, 4, 11, tzinfo=datetime.timezone.utc)))
    ws.convened("once", now="2021-03-04T12:00:00Z")
    ps, _, _ = partstats(ws, "2021-03-04T12:00:00Z", MARCH)
    check(ps[KIM] == "ACCEPTED", "answer after a 2099 DTSTAMP: %s" % ps)

    # 1,000 counter-proposals from Kim: one notice per coordinator.
    deliver_many(dc, [counter(inv[KIM], KIM, i) for i in range(1000)])
    ws.convened("once", now="2021-03-05T12:00:00Z")
    got = out()
    check(sorted((r, k) for r, k, _ in got) == [(ANA, "counter-notice"), (LUIS, "counter-notice")],
          "after 1000 counters: %s" % [(r, k) for r, k, _ in got])
    # The next cycle's proposal goes, saying how many were held back.
    dc.deliver("agenda", counter(inv[KIM], KIM, 1000))
    ws.convened("once", now="2021-03-06T12:00:00Z")
    got = {r: ti.body(msg) for r, k, msg in out() if k == "counter-notice"}
    check(sorted(got) == [ANA, LUIS], "counter-notices to %s" % sorted(got))
    check(all("otras 999 propuestas" in " ".join(t.split()) for t in got.values()),
          "no summary in the next counter-notice:\n" + got[LUIS])

    # -- Forged agenda and document: held, nothing reaches a member, one
    # confirmation request each, to Luis only.
    now3 = "2021-03-10T19:00:00Z"
    ws.convened("once", now=now3)
    reqs = {r: msg for r, k, msg in out() if k == "agenda-request"}
    check(sorted(reqs) == [ANA, LUIS], "agenda requests to %s" % sorted(reqs))
    dc.deliver("agenda", forged_agenda("fa-1@evil", "agenda@" + DOMAIN, "1. Forged\r\n"))
    dc.deliver("agenda", forged_agenda("fa-2@evil", organizer(inv[KIM]), "1. Stolen token\r\n"))
    dc.deliver("agenda", forged_agenda("fa-3@evil", "agenda@" + DOMAIN, "1. Trusted-looking\r\n",
                                       [("Authentication-Results",
                                         "mx.%s; dmarc=pass header.from=cepal.example.org; "
                                         "dkim=pass header.d=cepal.example.org" % DOMAIN)]))
    dc.deliver("agenda", document("Luis Muñoz <%s>" % LUIS, "fd-1@evil", "informe.pdf", PDF))
    p = ws.convened("once", now="2021-03-10T20:00:00Z")
    got = out()
    check(sorted((r, k) for r, k, _ in got) == [(LUIS, "confirm-request")] * 4,
          "after forged agenda and document: %s\n%s" % ([(r, k) for r, k, _ in got], p.stderr))
    _, m, _ = partstats(ws, "2021-03-10T20:00:00Z", MARCH)
    check(m["agenda"] == "pending", "forged agenda applied: %s" % m["agenda"])
    check(repository_items(ws) == [], "repository holds %s" % repository_items(ws))
    texts = [ti.body(msg) for _, _, msg in got]
    check(any("> 1. Forged" in t for t in texts) and any("informe.pdf" in t for t in texts),
          "confirmation requests do not quote what arrived")
    check(all("CONFIRM" in t for t in texts), "confirmation request without instructions")
    check(all(part.get_filename() is None for _, _, msg in got for part in msg.walk()),
          "a confirmation request carries a file")

    # -- The coordinators' own replies, as their clients shape them.
    dc.deliver("agenda", outlook_reply(reqs[LUIS], "Luis Muñoz <%s>" % LUIS, "ol-ag@cl",
                                       "1. Apertura\r\n2. Experiencias de Chile y Uruguay"))
    ws.convened("once", now="2021-03-10T21:00:00Z")
    upd = {r: msg for r, k, msg in out() if k in ("update", "invite")}
    check(sorted(upd) == MEMBERS, "agenda updates to %s" % sorted(upd))
    check(all("Experiencias de Chile" in ti.body(x) for x in upd.values()), "agenda not sent")
    dc.deliver("agenda", gmail_reply(reqs[ANA], ANA, "gm-ag@uy", "CONFIRMAR"))
    ws.convened("once", now="2021-03-10T22:00:00Z")
    check(out() == [], "a confirmation of the same agenda sent mail")
    _, m, _ = partstats(ws, "2021-03-10T22:00:00Z", MARCH)
    check(m["agenda"] == "confirmed", "agenda %s" % m["agenda"])

    # Ana's document, written fresh to the plain address: held; her
    # CONFIRM, replying to the request's Reply-To only, applies it.
    dc.deliver("agenda", document("Ana Pérez <%s>" % ANA, "doc-1@uy", "informe.pdf", PDF))
    ws.convened("once", now="2021-03-11T10:00:00Z")
    got = out()
    check([(r, k) for r, k, _ in got] == [(ANA, "confirm-request")],
          "Ana's document: %s" % [(r, k) for r, k, _ in got])
    check(repository_items(ws) == [], "held document archived")
    dc.deliver("agenda", thunderbird_text_reply(got[0][2], ANA, "tb-conf@uy", "CONFIRMAR",
                                                refs=False))
    p = ws.convened("once", now="2021-03-11T11:00:00Z")
    check(repository_items(ws) == ["2021-03-11-document"],
          "confirmed document: %s\n%s" % (repository_items(ws), p.stderr))

    # -- Minutes in Thunderbird's shape, "acta.pdf.exe" a program beside
    # the PDF: the PDF alone archived and sent on.
    # A week on, first: Luis's holds, never confirmed, are dropped.
    now4 = "2021-03-18T12:00:00Z"
    p = ws.convened("once", now=now4)
    check(p.stderr.count("never confirmed: dropped") == 4, "expiry:\n" + p.stderr)
    mreq = {r: msg for r, k, msg in out() if k == "minutes-request"}
    check(sorted(mreq) == [ANA, LUIS], "minutes requests to %s" % sorted(mreq))
    dc.deliver("agenda", thunderbird_text_reply(
        mreq[ANA], "Ana Pérez <%s>" % ANA, "tb-min@uy", "Adjunto el acta.",
        files=[("acta.pdf.exe", "application/pdf", EXE), ("acta.pdf", "application/pdf", PDF)]))
    ws.convened("once", now="2021-03-18T13:00:00Z")
    got = out()
    notes = [msg for r, k, msg in got if k == "minutes-notice"]
    check(len(notes) == 5, "minutes notices: %d" % len(notes))
    check(all([p.get_filename() for p in n.walk() if p.get_filename()] ==
              ["minutes.txt", "acta.pdf"] for n in notes), "minutes notice files %s"
          % [[p.get_filename() for p in n.walk() if p.get_filename()] for n in notes])
    told = sorted(r for r, k, _ in got if k == "files-refused")
    check(told == [ANA, LUIS], "files-refused to %s" % told)
    _, m, _ = partstats(ws, "2021-03-18T13:00:00Z", MARCH)
    d = os.path.join(ws.dir, "repository", m["minutes"] or "-")
    check(sorted(os.listdir(d)) == ["acta.pdf", "metadata.json", "minutes.txt"],
          "minutes item %s" % (os.listdir(d) if os.path.isdir(d) else d))

    # -- Every refusal counted.
    now5 = "2021-03-18T21:00:00Z"
    ws.convened("once", now=now5)
    refused = ws.status(now5)["refused"]
    want = {"no-proof": 2, "spoofed": 1, "foreign-bounce": 1, "no-token": 5,
            "future-dtstamp": 1, "rate-limited": 999, "file-type": 1, "expired": 4}
    check(all(refused[k] == v for k, v in want.items()), "refused %s" % refused)
    check(out() == [], "mail sent at expiry")


if __name__ == "__main__":
    sys.exit(run("trust", test))
