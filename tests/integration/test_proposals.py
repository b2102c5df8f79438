"""Proposals, aliases and delegation end to end: convened sends through a
real SMTP server, answers come back through a real Dovecot (LMTP into the
organizer's mailbox, at the ORGANIZER address of the invitation answered)
and `convened once --now` applies them.

Covers: an answer in the shape of Apple Calendar's "propose new time"
(REPLY, the meeting's own DTSTART, TO-ALL-PROPOSED-NEW-TIME on the
ATTENDEE, X-CALENDARSERVER-PRIVATE-COMMENT) counted as an answer and
passed to each coordinator in their own zone with the comment; a plain
"can we move it" mail left alone; a member answering from an alias; a
member delegating to an alternate, who is invited and whose own answer
counts; and a second run changing nothing."""

import datetime
import email.utils
import os
import sys

import icalendar

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import calendar_part, check, of_kind, run  # noqa: E402
import test_invitations as ti  # noqa: E402
import test_replies as tr  # noqa: E402

MARCH = tr.MARCH
ALT = "alterno@gov.example.bb"


def group():
    """test_invitations' group, Luis with an alias."""
    text = ti.group()
    luis = "coordinator = yes\ntimezone = America/Santiago\n"
    check(luis in text, "the group changed shape")
    return text.replace(luis, luis + "aliases = luis.munoz@gmail.example\n", 1)


def answer(msg, member, partstat, msgid, sender=None, params=None, props=(),
           others=()):
    """A REPLY to the invitation msg: its event, member's ATTENDEE with
    PARTSTAT and params, props added to the VEVENT, and others as further
    ATTENDEEs (address, params); sent to the invitation's ORGANIZER."""
    _, text = calendar_part(msg)
    ev = icalendar.Calendar.from_ical(text).walk("VEVENT")[0]
    out = icalendar.Calendar()
    out.add("prodid", "-//Apple Inc.//iPhone OS 17.1//EN")
    out.add("version", "2.0")
    out.add("method", "REPLY")
    e = icalendar.Event()
    for k in ("UID", "SEQUENCE", "DTSTART", "DTEND", "SUMMARY", "ORGANIZER"):
        if k in ev:
            e[k] = ev[k]
    e.add("DTSTAMP", datetime.datetime.now(datetime.timezone.utc))
    for addr, p in [(member, dict(params or {}, PARTSTAT=partstat))] + list(others):
        a = icalendar.vCalAddress("mailto:" + addr)
        for k, v in p.items():
            a.params[k] = v
        e.add("ATTENDEE", a)
    for k, v in props:
        e.add(k, v)
    out.add_component(e)
    return tr.rfc822([
        ("From", sender or member), ("To", tr.organizer(msg)),
        ("Subject", "%s: %s" % (partstat.title(), ev["SUMMARY"])),
        ("Message-ID", "<%s>" % msgid), ("Date", email.utils.formatdate()),
        ("MIME-Version", "1.0"),
        ("Content-Type", "text/calendar; method=REPLY; charset=UTF-8"),
    ], out.to_ical().decode())


def deliver(dc, msg, raw):
    dc.deliver(tr.organizer(msg).split("@")[0], raw)


def test(ws):
    smtp, dc = tr.start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port)
    ws.write_group("10-south-south.ini", group())
    ws.convened("check")
    seen = [0]

    ws.convened("once", now="2021-03-01T12:00:00Z")
    inv = ti.by_rcpt(ti.new_messages(smtp, seen))
    check(len(inv) == 5, "invitations: %s" % sorted(inv))

    # João proposes Thursday 18 March, 17:00 in Montevideo (20:00 UTC),
    # from an iPhone: a "maybe" carrying the proposal and a comment.
    joao = inv["joao@mds.example.br"][0]
    deliver(dc, joao, answer(
        joao, "joao@mds.example.br", "TENTATIVE", "ap-1@br",
        params={"TO-ALL-PROPOSED-NEW-TIME": "DTSTART:20210318T200000Z;STATUS:NEEDS-ACTION;"},
        props=[("X-CALENDARSERVER-PRIVATE-COMMENT", "Na quinta-feira podemos todos")]))
    # Kim asks in plain words: a comment for a person, not a proposal.
    kim = inv["kim@gov.example.bb"][0]
    dc.deliver("agenda", tr.reply_to(kim, "kim@gov.example.bb", "mv-1@bb",
                                     "Can we move it to Thursday 18 March at 17:00?"))
    # Luis answers from his personal address, which he lists as his.
    luis = inv["luis@cepal.example.org"][0]
    deliver(dc, luis, answer(luis, "luis@cepal.example.org", "ACCEPTED", "al-1@cl",
                             sender="Luis <luis.munoz@gmail.example>"))
    # Marie's minister sends an alternate.
    marie = inv["marie@gouv.example.ht"][0]
    deliver(dc, marie, answer(marie, "marie@gouv.example.ht", "DELEGATED", "dg-1@ht",
                              params={"DELEGATED-TO": "mailto:" + ALT},
                              others=[(ALT, {"PARTSTAT": "NEEDS-ACTION",
                                             "DELEGATED-FROM": "mailto:marie@gouv.example.ht"})]))

    now2 = "2021-03-02T12:00:00Z"
    p = ws.convened("once", now=now2)
    ps, m, _ = tr.partstats(ws, now2, MARCH)
    check(ps["joao@mds.example.br"] == "TENTATIVE", "joao: %s" % ps)
    check(ps["luis@cepal.example.org"] == "ACCEPTED", "alias answer: %s" % ps)
    check("luis.munoz@gmail.example" not in ps, "the alias became an attendee: %s" % ps)
    check(ps["kim@gov.example.bb"] == "NEEDS-ACTION", "kim: %s" % ps)
    check(ps["marie@gouv.example.ht"] == "DELEGATED", "marie: %s" % ps)
    check(ps.get(ALT) == "NEEDS-ACTION", "the delegate not invited: %s" % ps)
    check("mv-1@bb" in p.stderr and "ignored" in p.stderr, "plain mail:\n" + p.stderr)
    fresh = ti.new_messages(smtp, seen, everything=True)

    # The proposal reaches each coordinator, in their zone, with the comment.
    notes = {x[0][0]: x[1] for x in of_kind(fresh, "counter-notice")}
    check(sorted(notes) == ["ana@mides.example.uy", "luis@cepal.example.org"],
          "counter-notices to %s" % sorted(notes))
    for rcpt, zone in (("ana@mides.example.uy", "America/Montevideo"),
                       ("luis@cepal.example.org", "America/Santiago")):
        b = ti.body(notes[rcpt])
        check("jueves 18 de marzo de 2021, 17:00 (%s" % zone in b,
              "%s: no proposed time in %s:\n%s" % (rcpt, zone, b))
        check("Na quinta-feira podemos todos" in b, "%s: no comment" % rcpt)
        check("joao@mds.example.br" in b, "%s: no proposer" % rcpt)

    # The delegate's invitation: the meeting, naming them, in the group's
    # language; nobody else is mailed for it.
    invs = ti.by_rcpt([x for x in fresh if calendar_part(x[1])[1] is not None])
    check(sorted(invs) == [ALT], "invitations now: %s" % sorted(invs))
    msg, raw = invs[ALT]
    ev = ti.common_checks(msg, raw, "REQUEST", MARCH, 0)
    att = ti.attendees(ev)
    check(ALT in att, "the delegate is not an ATTENDEE: %s" % att)
    check(str(att[ALT].get("DELEGATED-FROM")).lower() == "mailto:marie@gouv.example.ht",
          "DELEGATED-FROM %s" % att[ALT].get("DELEGATED-FROM"))
    check(att["marie@gouv.example.ht"].get("PARTSTAT") == "DELEGATED",
          "the member's PARTSTAT %s" % att["marie@gouv.example.ht"].get("PARTSTAT"))
    check("17 de marzo de 2021" in ti.body(msg), "not in the group's language")

    # The delegate accepts: their answer counts.
    deliver(dc, msg, answer(msg, ALT, "ACCEPTED", "dg-2@bb",
                            params={"DELEGATED-FROM": "mailto:marie@gouv.example.ht"}))
    now3 = "2021-03-03T12:00:00Z"
    ws.convened("once", now=now3)
    ps, m, _ = tr.partstats(ws, now3, MARCH)
    check(ps[ALT] == "ACCEPTED", "the delegate's answer: %s" % ps)
    check(ps["marie@gouv.example.ht"] == "DELEGATED", "marie: %s" % ps)
    check(m["rsvp"]["accepted"] == 2, "rsvp counts %s" % m["rsvp"])
    check(ti.new_messages(smtp, seen, everything=True) == [], "mail after the delegate's answer")

    # A second run changes nothing.
    before = ws.status(now3)
    before.pop("accounts", None)
    ws.convened("once", now=now3)
    after = ws.status(now3)
    after.pop("accounts", None)
    check(after == before, "second once changed status")
    check(ti.new_messages(smtp, seen, everything=True) == [], "second once sent mail")


if __name__ == "__main__":
    sys.exit(run("proposals", test))
