"""Invitations end to end: `convened once --now` against a real SMTP server
on loopback, every message read back with python3-icalendar.

Covers: one invitation per member inside the invitation window, in the
member's language and time zone; nothing twice on a second run; an open
seminar inviting its guests; an update with a higher SEQUENCE after a
change of time; a CANCEL after an EXDATE; a CANCEL to a removed member
only; 451 and 550 answers for single recipients; each attendee's reply
token, the same in ORGANIZER, Reply-To and Message-ID, kept for the
meeting's whole life and shared with nobody."""

import re
import sys

import icalendar

from lib import SmtpServer, calendar_part, attachment_names, check, of_kind, run

DOMAIN = "conferencia.example.org"
TOKENED = re.compile(r"mailto:agenda\+([a-z2-7]{16})@" + re.escape(DOMAIN) + "$")
# (recipient, UID) -> the token its messages carry
TOKENS = {}

GROUP = """\
[group]
id = south-south
name = Cooperación Sur-Sur
kind = thematic
axis = cooperation
language = es
timezone = America/Montevideo

[member ana@mides.example.uy]
name = Ana Pérez
role = ministry
coordinator = yes

[member luis@cepal.example.org]
name = Luis Muñoz
role = secretariat
coordinator = yes
timezone = America/Santiago
{kim}
[member joao@mds.example.br]
name = João Araújo
role = ministry
language = pt
timezone = America/Sao_Paulo

[member marie@gouv.example.ht]
name = Marie-Hélène Jean
role = ministry
language = fr
timezone = America/Port-au-Prince

[series monthly]
summary = Intercambio mensual de experiencias
start = 2021-02-17 {hour}
duration = 90
rrule = FREQ=MONTHLY;BYDAY=3WE
location = https://meet.example.org/south-south
{exdate}
[series seminar]
summary = Seminario sobre cooperación financiera
kind = seminar
start = 2021-04-07 10:00
duration = 120
open = yes
guests = guest@ilo.example.org
"""

KIM = """
[member kim@gov.example.bb]
name = Kim Clarke
role = ministry
language = en
timezone = America/Barbados
"""


def group(hour="15:00", exdate="", kim=True):
    return GROUP.format(hour=hour, exdate=exdate, kim=KIM if kim else "")


def new_messages(smtp, seen, everything=False):
    """Messages accepted since the last call: the invitations (those with a
    calendar), or all of them.  Agenda and minutes requests to the
    coordinators travel alongside; test_replies covers those."""
    msgs = smtp.messages()
    fresh = msgs[seen[0]:]
    seen[0] = len(msgs)
    if everything:
        return fresh
    return [m for m in fresh if calendar_part(m[1])[1] is not None]


def parse_cal(msg):
    method, text = calendar_part(msg)
    check(text is not None, "no text/calendar part in %s" % msg["Subject"])
    cal = icalendar.Calendar.from_ical(text)
    return method, cal


def vevent(cal):
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    check(len(events) == 1, "expected one VEVENT, got %d" % len(events))
    return events[0]


def by_rcpt(msgs):
    out = {}
    for rcpts, msg, raw in msgs:
        check(len(rcpts) == 1, "one recipient per message, got %s" % rcpts)
        check(rcpts[0] not in out, "two messages to %s in one run" % rcpts[0])
        out[rcpts[0]] = (msg, raw)
    return out


def common_checks(msg, raw, method, uid, seq):
    check(msg["Auto-Submitted"] == "auto-generated", "Auto-Submitted missing")
    check(msg["From"].addresses[0].addr_spec == "agenda@" + DOMAIN, "From")
    check(b"\r\n" in raw and b"\n" not in raw.replace(b"\r\n", b""), "CRLF line ends")
    check(all(len(l) <= 998 for l in raw.split(b"\r\n")), "line over 998 octets")
    ct_method, cal = parse_cal(msg)
    check(ct_method == method, "Content-Type method=%s, wanted %s" % (ct_method, method))
    check(str(cal["METHOD"]) == method, "VCALENDAR METHOD %s" % cal.get("METHOD"))
    check(cal.get("PRODID"), "PRODID missing")
    ev = vevent(cal)
    check(str(ev["UID"]) == uid, "UID %s, wanted %s" % (ev["UID"], uid))
    check(int(ev["SEQUENCE"]) == seq, "SEQUENCE %s, wanted %d" % (ev["SEQUENCE"], seq))
    org = ev["ORGANIZER"]
    m = TOKENED.match(str(org).lower())
    check(m, "ORGANIZER %s is not agenda+TOKEN@%s" % (org, DOMAIN))
    check(org.params.get("CN"), "ORGANIZER without CN")
    check_token(msg, uid, m.group(1))
    tzid = ev["DTSTART"].params.get("TZID")
    check(tzid == "America/Montevideo", "DTSTART TZID %s" % tzid)
    tzs = [str(c["TZID"]) for c in cal.walk() if c.name == "VTIMEZONE"]
    check(tzs == ["America/Montevideo"], "VTIMEZONE %s" % tzs)
    check(ev.get("DTSTAMP") is not None, "DTSTAMP missing")
    check("invite.ics" in attachment_names(msg), "no invite.ics attachment")
    return ev


def check_token(msg, uid, token):
    """The reply token of an ORGANIZER is the Reply-To's and the
    Message-ID's, stays the recipient's for that meeting, and is nobody
    else's."""
    reply_to = msg["Reply-To"].addresses[0].addr_spec
    check(reply_to == "agenda+%s@%s" % (token, DOMAIN), "Reply-To %s, token %s" % (reply_to, token))
    mid = msg["Message-ID"].strip("<>")
    check(mid.split("@")[0].split(".")[-1] == token, "Message-ID %s, token %s" % (mid, token))
    key = (msg["To"].addresses[0].addr_spec, uid)
    check(TOKENS.setdefault(key, token) == token,
          "the token of %s for %s changed: %s then %s" % (key[0], uid, TOKENS[key], token))
    others = [k for k, t in TOKENS.items() if t == token and k != key]
    check(not others, "token of %s shared with %s" % (key, others))


def attendees(ev):
    att = ev.get("ATTENDEE")
    if att is None:
        return {}
    if not isinstance(att, list):
        att = [att]
    return {str(a).lower().replace("mailto:", ""): a.params for a in att}


def body(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


def test(ws):
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ws.write_global(smtp.port)
    ws.write_group("10-south-south.ini", group())
    ws.convened("check")
    seen = [0]
    members = ["ana@mides.example.uy", "luis@cepal.example.org", "kim@gov.example.bb",
               "joao@mds.example.br", "marie@gouv.example.ht"]

    # 1. The March meeting is 16 days away: one invitation per member.
    now1 = "2021-03-01T12:00:00Z"
    ws.convened("once", now=now1)
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == sorted(members), "invited %s" % sorted(got))
    uid = "south-south-monthly-20210317@" + DOMAIN
    for rcpt, (msg, raw) in got.items():
        ev = common_checks(msg, raw, "REQUEST", uid, 0)
        check(ev["DTSTART"].dt.strftime("%Y%m%dT%H%M") == "20210317T1500", "DTSTART")
        check(ev["DTEND"].dt.strftime("%H%M") == "1630", "DTEND")
        att = attendees(ev)
        check(sorted(att) == sorted(members), "ATTENDEEs %s" % sorted(att))
        for a, p in att.items():
            check(p.get("PARTSTAT") == "NEEDS-ACTION", "PARTSTAT of %s" % a)
            check(p.get("RSVP") == "TRUE", "RSVP of %s" % a)
            check(p.get("ROLE") in ("CHAIR", "REQ-PARTICIPANT"), "ROLE of %s" % a)
            check(p.get("CN"), "CN of %s" % a)
        check(str(ev.get("LOCATION")) == "https://meet.example.org/south-south", "LOCATION")
        check(str(ev.get("URL")) == "https://meet.example.org/south-south", "URL")
    # The member's own language and time zone, and the meeting's.
    expect = {
        "ana@mides.example.uy": ["marzo", "15:00 (America/Montevideo"],
        "luis@cepal.example.org": ["marzo", "15:00 (America/Santiago"],
        "kim@gov.example.bb": ["March", "14:00 (America/Barbados", "15:00 (America/Montevideo"],
        "joao@mds.example.br": ["março", "15:00 (America/Sao_Paulo"],
        "marie@gouv.example.ht": ["mars", "14:00 (America/Port-au-Prince"],
    }
    for rcpt, words in expect.items():
        text = body(got[rcpt][0])
        for w in words:
            check(w in text, "%s: %r not in body:\n%s" % (rcpt, w, text))
    subj = str(got["ana@mides.example.uy"][0]["Subject"])
    check("Intercambio mensual" in subj, "subject %r" % subj)

    # 2. Nothing twice.
    ws.convened("once", now=now1)
    check(new_messages(smtp, seen) == [], "second once sent mail")

    # 3. The open seminar: members and its guest, kind and openness shown.
    now2 = "2021-03-20T12:00:00Z"
    ws.convened("once", now=now2)
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == sorted(members + ["guest@ilo.example.org"]), "seminar to %s" % sorted(got))
    msg, raw = got["guest@ilo.example.org"]
    ev = common_checks(msg, raw, "REQUEST", "south-south-seminar-20210407@" + DOMAIN, 0)
    check(attendees(ev)["guest@ilo.example.org"].get("ROLE") == "OPT-PARTICIPANT", "guest ROLE")
    s = str(got["ana@mides.example.uy"][0]["Subject"]).lower()
    check("seminario" in s and "abierto" in s, "kind/openness not in subject %r" % s)
    s = str(got["kim@gov.example.bb"][0]["Subject"]).lower()
    check("seminar" in s and "open" in s, "kind/openness not in English subject %r" % s)

    # 4. April meeting invited, then moved an hour: an update, SEQUENCE 1.
    now3 = "2021-04-01T12:00:00Z"
    ws.convened("once", now=now3)
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == sorted(members), "April invitations to %s" % sorted(got))
    april = "south-south-monthly-20210421@" + DOMAIN
    ws.write_group("10-south-south.ini", group(hour="16:00"))
    ws.convened("once", now=now3)
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == sorted(members), "updates to %s" % sorted(got))
    for rcpt, (msg, raw) in got.items():
        ev = common_checks(msg, raw, "REQUEST", april, 1)
        check(ev["DTSTART"].dt.strftime("%H%M") == "1600", "update DTSTART")

    # 5. EXDATE on it: CANCEL, SEQUENCE 2, to everybody invited.
    ws.write_group("10-south-south.ini", group(hour="16:00", exdate="exdate = 2021-04-21"))
    ws.convened("once", now=now3)
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == sorted(members), "cancels to %s" % sorted(got))
    for rcpt, (msg, raw) in got.items():
        ev = common_checks(msg, raw, "CANCEL", april, 2)
        check(str(ev["STATUS"]) == "CANCELLED", "STATUS %s" % ev.get("STATUS"))

    # 6. Kim leaves: a CANCEL for the seminar she was invited to, to her only.
    ws.write_group("10-south-south.ini", group(hour="16:00", exdate="exdate = 2021-04-21", kim=False))
    ws.convened("once", now=now3)
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == ["kim@gov.example.bb"], "removal mailed %s" % sorted(got))
    msg, raw = got["kim@gov.example.bb"]
    ev = common_checks(msg, raw, "CANCEL", "south-south-seminar-20210407@" + DOMAIN, 1)
    check(sorted(attendees(ev)) == ["kim@gov.example.bb"], "CANCEL names others")
    ws.convened("once", now=now3)
    check(new_messages(smtp, seen) == [], "removal mailed twice")

    # 7. 451 for one recipient, 550 for another: one waits, one fails.
    now4 = "2021-04-29T12:00:00Z"
    smtp.set_faults({"rcpt": {"joao@mds.example.br": "451 4.3.0 try again later",
                              "marie@gouv.example.ht": "550 5.1.1 no such user"}})
    p = ws.convened("once", now=now4)
    fresh = new_messages(smtp, seen, everything=True)
    invites = [m for m in fresh if calendar_part(m[1])[1] is not None]
    notices = of_kind(fresh, "bounce-notice")
    got = by_rcpt(invites)
    remaining = ["ana@mides.example.uy", "luis@cepal.example.org"]
    check(sorted(got) == sorted(remaining), "May invitations accepted for %s" % sorted(got))
    check("451" in p.stderr and "550" in p.stderr, "faults not logged:\n" + p.stderr)
    # The refused address is told to the coordinators, once, in their
    # languages; it is listed as bouncing.
    got = by_rcpt(notices)
    check(sorted(got) == sorted(remaining), "bounce notice to %s" % sorted(got))
    for rcpt, (msg, raw) in got.items():
        check("marie@gouv.example.ht" in str(msg["Subject"]), "notice subject %s" % msg["Subject"])
        check("550" in body(msg), "server reply not in notice")
        check(msg["Auto-Submitted"] == "auto-generated", "notice Auto-Submitted")
    check("Dirección" in str(got["ana@mides.example.uy"][0]["Subject"]), "notice language")
    g = ws.status(now4, "south-south")["groups"][0]
    check(g["bouncing"] == ["marie@gouv.example.ht"], "bouncing %s" % g["bouncing"])
    smtp.set_faults({})
    ws.convened("once", now="2021-04-29T12:00:30Z")
    check(new_messages(smtp, seen, everything=True) == [],
          "retried before the backoff, or noticed twice")
    ws.convened("once", now="2021-04-29T14:00:00Z")
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == ["joao@mds.example.br"], "retry delivered %s" % sorted(got))

    # Nothing was ever accepted twice.
    ids = [m["Message-ID"] for _, m, _ in smtp.messages()]
    check(len(ids) == len(set(ids)), "a Message-ID was accepted twice")

    # status lists the year's meetings, the cancelled one too.
    st = ws.status(now4, "south-south")
    g = st["groups"][0]
    states = {m["uid"]: m["status"] for m in g["meetings"]}
    check(states.get(april) == "cancelled", "status of April: %s" % states.get(april))
    check(states.get("south-south-monthly-20210317@" + DOMAIN) == "held", "March not held")


if __name__ == "__main__":
    sys.exit(run("invitations", test))
