"""Invitations end to end: `convened once --now` against a real SMTP server
on loopback, every message read back with python3-icalendar.

Covers, for meetings invited one at a time (`invitation = occurrence`):
one invitation per member inside the invitation window, in the member's
language and time zone; nothing twice on a second run; an open seminar
inviting its guests; an update with a higher SEQUENCE after a change of
time; a CANCEL after an EXDATE; a CANCEL to a removed member only; 451
and 550 answers for single recipients; each attendee's reply token, the
same in ORGANIZER, Reply-To and Message-ID, kept for the meeting's whole
life and shared with nobody.

And for series sent as one recurring event (daemon/recur.h), over a year
in America/Santiago and America/Asuncion and a night in 2027 whose
meeting falls in Santiago's DST gap: one invitation per member, an
agenda as that occurrence alone, a member who joins mid-series and one
who leaves; each master expanded by python3-icalendar with
python3-dateutil's rrule, and by Thunderbird's ical.js when node can load
it (NODE_PATH), to exactly the meetings convened planned."""

import datetime
import json
import os
import re
import sqlite3
import subprocess
import sys
from zoneinfo import ZoneInfo

import icalendar
from dateutil import rrule

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
invitation = occurrence
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


# ---- one recurring event per series ----------------------------------------

SERIES_GROUP = """\
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
language = en
timezone = America/Santiago
{kim}{joao}
[series monthly]
summary = Intercambio mensual de experiencias
start = 2021-02-17 15:00
duration = 90
rrule = FREQ=MONTHLY;BYDAY=3WE;COUNT=10
exdate = 2021-07-21
timezone = America/Santiago
location = https://meet.example.org/south-south

[series weekly]
summary = Taller de registros sociales
kind = workshop
start = 2021-09-07 10:00
duration = 60
rrule = FREQ=WEEKLY;BYDAY=TU;UNTIL=20211130
exdate = 2021-10-12
timezone = America/Asuncion
"""

JOAO = """
[member joao@mds.example.br]
name = João Araújo
role = ministry
language = pt
timezone = America/Sao_Paulo
"""

NIGHT_GROUP = """\
[group]
id = night
name = Grupo nocturno
kind = discussion
timezone = America/Santiago

[member ana@mides.example.uy]
name = Ana Pérez
role = ministry
coordinator = yes

[member luis@cepal.example.org]
name = Luis Muñoz
role = secretariat
coordinator = yes

[series sunday]
summary = Enlace semanal
start = 2027-08-22 00:30
duration = 60
rrule = FREQ=WEEKLY;BYDAY=SU
"""

ICALJS_EXPAND = r"""
const ICAL = require('ical.js');
const limit = Number(process.argv[1]);
const comp = new ICAL.Component(ICAL.parse(require('fs').readFileSync(0, 'utf8')));
for (const vtz of comp.getAllSubcomponents('vtimezone'))
  ICAL.TimezoneService.register(vtz);
const all = comp.getAllSubcomponents('vevent');
const ev = new ICAL.Event(all.find(v => !v.hasProperty('recurrence-id')));
for (const v of all)
  if (v.hasProperty('recurrence-id'))
    ev.relateException(v);
const it = ev.iterator(), out = [];
for (let next = it.next(); next && out.length < 1000; next = it.next()) {
  const d = ev.getOccurrenceDetails(next);
  if (d.startDate.toUnixTime() > limit)
    break;
  out.push([d.startDate.toUnixTime(), d.endDate.toUnixTime() - d.startDate.toUnixTime()]);
}
console.log(JSON.stringify(out));
"""


def series_group(kim=True, joao=False):
    return SERIES_GROUP.format(kim=KIM if kim else "", joao=JOAO if joao else "")


def icaljs_expand(text, limit):
    """[(start, seconds)] ical.js expands the event to, up to limit, or
    None when node cannot load ical.js (NODE_PATH may say where)."""
    try:
        p = subprocess.run(["node", "-e", ICALJS_EXPAND, str(limit)], input=text.encode(),
                           capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        if b"Cannot find module" in p.stderr:
            return None
        raise Failure("ical.js could not expand:\n%s" % p.stderr.decode())
    return [tuple(x) for x in json.loads(p.stdout)]


def zoned(prop):
    """The instant of a DATE-TIME property as python3-icalendar gives it
    (its wall time and TZID, read with zoneinfo, or UTC)."""
    dt, tzid = prop.dt, prop.params.get("TZID")
    if tzid:
        return dt.replace(tzinfo=None).replace(tzinfo=ZoneInfo(tzid))
    return dt


def stamp(dt):
    return int(dt.timestamp())


def py_expand(cal, limit):
    """[(start, seconds)] of the master expanded with dateutil's rrule,
    EXDATEs taken out and overrides (RECURRENCE-ID) put in, up to limit."""
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    masters = [e for e in events if "RECURRENCE-ID" not in e]
    check(len(masters) == 1, "%d masters" % len(masters))
    m = masters[0]
    start = zoned(m["DTSTART"])
    length = stamp(zoned(m["DTEND"])) - stamp(start)
    rule = rrule.rrulestr(m["RRULE"].to_ical().decode(), dtstart=start)
    ex = set()
    exd = m.get("EXDATE") or []
    for lst in exd if isinstance(exd, list) else [exd]:
        for d in lst.dts:
            ex.add(stamp(d.dt.replace(tzinfo=None).replace(
                tzinfo=ZoneInfo(lst.params["TZID"]))))
    over = {stamp(zoned(e["RECURRENCE-ID"])): e for e in events if "RECURRENCE-ID" in e}
    out = []
    for dt in rule:
        t = stamp(dt)
        if t > limit or len(out) > 1000:
            break
        if t in ex:
            continue
        if t in over:
            o = over.pop(t)
            s = stamp(zoned(o["DTSTART"]))
            out.append((s, stamp(zoned(o["DTEND"])) - s))
        else:
            out.append((t, length))
    check(not over, "overrides that name no occurrence: %s" % sorted(over))
    return out


def planned(ws, now, group, series, year_end):
    """[(start, seconds)] of the meetings convened planned for series,
    cancelled ones left out, from `status --json`."""
    out = []
    for g in ws.status(now, group)["groups"]:
        for m in g["meetings"]:
            if not m["uid"].startswith("%s-%s-" % (group, series)) or m["status"] == "cancelled":
                continue
            t = stamp(datetime.datetime.strptime(m["start"], "%Y-%m-%dT%H:%M:%SZ").replace(
                tzinfo=datetime.timezone.utc))
            if t <= year_end:
                out.append(t)
    return sorted(out)


def series_checks(msg, raw, method, uid, seq, tzid="America/Santiago"):
    """What every message about a series event carries: its UID in each
    VEVENT, one SEQUENCE, the event's token; returns the calendar."""
    check(msg["Auto-Submitted"] == "auto-generated", "Auto-Submitted missing")
    check(b"\n" not in raw.replace(b"\r\n", b""), "CRLF line ends")
    ct_method, cal = parse_cal(msg)
    check(ct_method == method and str(cal["METHOD"]) == method, "method %s" % ct_method)
    events = [c for c in cal.walk() if c.name == "VEVENT"]
    check(events, "no VEVENT")
    for ev in events:
        check(str(ev["UID"]) == uid, "UID %s, wanted %s" % (ev["UID"], uid))
        check(int(ev["SEQUENCE"]) == seq, "SEQUENCE %s, wanted %d" % (ev["SEQUENCE"], seq))
        m = TOKENED.match(str(ev["ORGANIZER"]).lower())
        check(m, "ORGANIZER %s" % ev["ORGANIZER"])
        check_token(msg, uid, m.group(1))
    tzs = [str(c["TZID"]) for c in cal.walk() if c.name == "VTIMEZONE"]
    check(tzs == [tzid], "VTIMEZONE %s" % tzs)
    check("invite.ics" in attachment_names(msg), "no invite.ics attachment")
    return cal


def expands_to(cal, want, limit, what):
    """Both readers expand the event to exactly want (instants); returns
    how many readers did."""
    got = py_expand(cal, limit)
    check([t for t, _ in got] == want, "%s: python3-icalendar expands to %s, planned %s" % (
        what, [iso(t) for t, _ in got], [iso(t) for t in want]))
    js = icaljs_expand(cal.to_ical().decode(), limit)
    if js is None:
        return 1
    check([t for t, _ in js] == want, "%s: ical.js expands to %s, planned %s" % (
        what, [iso(t) for t, _ in js], [iso(t) for t in want]))
    check(sorted(set(d for _, d in js)) == sorted(set(d for _, d in got)), "%s: lengths" % what)
    return 2


def iso(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime("%Y-%m-%dT%H:%MZ")


def confirm_agenda(ws, uid, text):
    """What inbox.c does when a coordinator confirms an agenda."""
    db = sqlite3.connect(os.path.join(ws.dir, "state.db"))
    with db:
        db.execute("UPDATE meetings SET agenda_state = 'confirmed', agenda = ?,"
                   " sequence = sequence + 1, content_seq = sequence + 1 WHERE uid = ?",
                   (text, uid))
    db.close()


def test_series(ws):
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ws.write_global(smtp.port)
    ws.write_group("10-south-south.ini", series_group())
    ws.convened("check")
    seen = [0]
    monthly = "south-south-monthly-20210217-series@" + DOMAIN
    weekly = "south-south-weekly-20210907-series@" + DOMAIN
    first = ["ana@mides.example.uy", "kim@gov.example.bb", "luis@cepal.example.org"]
    readers = set()

    # 1. February's meeting is due: one invitation each, for the series.
    ws.convened("once", now="2021-02-01T12:00:00Z")
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == first, "invited %s" % sorted(got))
    master = None
    for rcpt, (msg, raw) in got.items():
        cal = series_checks(msg, raw, "REQUEST", monthly, 0)
        ev = [c for c in cal.walk() if c.name == "VEVENT"]
        check(len(ev) == 1, "%d VEVENTs" % len(ev))
        rule = ev[0]["RRULE"].to_ical().decode()
        check("COUNT" not in rule and "UNTIL=20211118T025959Z" in rule, "RRULE %s" % rule)
        check(ev[0]["DTSTART"].params.get("TZID") == "America/Santiago", "DTSTART TZID")
        master = master or cal
    check("y siguientes" in str(got["ana@mides.example.uy"][0]["Subject"]), "subject")
    text = body(got["luis@cepal.example.org"][0])
    check("whole series" in text and "17 March 2021, 15:00 (America/Santiago" in text,
          "series body:\n" + text)
    check("Wednesday 21 April 2021, 15:00 (America/Santiago, UTC−04:00)" in text,
          "April after Santiago's DST ends:\n" + text)

    # 2. Months pass: nothing more, as long as nothing changes; May's agenda
    # goes as that occurrence alone.
    for now in ("2021-03-01T12:00:00Z", "2021-04-01T12:00:00Z"):
        ws.convened("once", now=now)
        check(new_messages(smtp, seen) == [], "mail without a change at %s" % now)
    confirm_agenda(ws, "south-south-monthly-20210519@" + DOMAIN, "1. Experiencia de Chile")
    ws.convened("once", now="2021-05-01T12:00:00Z")
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == first, "agenda to %s" % sorted(got))
    for rcpt, (msg, raw) in got.items():
        cal = series_checks(msg, raw, "REQUEST", monthly, 1)
        ev = [c for c in cal.walk() if c.name == "VEVENT"]
        check(len(ev) == 1 and "RRULE" not in ev[0], "an occurrence alone")
        rid = stamp(zoned(ev[0]["RECURRENCE-ID"]))
        check(iso(rid) == "2021-05-19T19:00Z", "RECURRENCE-ID %s" % iso(rid))
        check(stamp(zoned(ev[0]["DTSTART"])) == rid, "DTSTART of the occurrence")
        check(rid in [t for t, _ in py_expand(master, rid)], "RECURRENCE-ID not in the series")
        check("Experiencia de Chile" in str(ev[0]["DESCRIPTION"]), "agenda")

    # 3. João joins in June: the same event, to him alone, from its start.
    ws.write_group("10-south-south.ini", series_group(joao=True))
    ws.convened("once", now="2021-06-01T12:00:00Z")
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == ["joao@mds.example.br"], "joining mailed %s" % sorted(got))
    msg, raw = got["joao@mds.example.br"]
    cal = series_checks(msg, raw, "REQUEST", monthly, 1)
    check("e seguintes" in str(msg["Subject"]), "Portuguese subject %s" % msg["Subject"])

    # 4. Kim leaves in August: the whole event CANCELled, to her alone.
    ws.write_group("10-south-south.ini", series_group(kim=False, joao=True))
    ws.convened("once", now="2021-08-01T12:00:00Z")
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == ["kim@gov.example.bb"], "leaving mailed %s" % sorted(got))
    msg, raw = got["kim@gov.example.bb"]
    cal = series_checks(msg, raw, "CANCEL", monthly, 2)
    ev = [c for c in cal.walk() if c.name == "VEVENT"]
    check(len(ev) == 1 and "RECURRENCE-ID" not in ev[0], "the whole event")
    check(sorted(attendees(ev[0])) == ["kim@gov.example.bb"], "CANCEL names others")

    # 5. September: the Asunción workshop, across its DST start (3 Oct).
    ws.convened("once", now="2021-09-01T12:00:00Z")
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == ["ana@mides.example.uy", "joao@mds.example.br",
                          "luis@cepal.example.org"], "workshop to %s" % sorted(got))
    wmaster = series_checks(got["ana@mides.example.uy"][0], got["ana@mides.example.uy"][1],
                            "REQUEST", weekly, 0, "America/Asuncion")
    for now in ("2021-10-01T12:00:00Z", "2021-11-01T12:00:00Z", "2021-12-01T12:00:00Z"):
        ws.convened("once", now=now)
        check(new_messages(smtp, seen) == [], "mail without a change at %s" % now)

    # 6. What each reader expands the events to is what was planned.
    end = stamp(datetime.datetime(2022, 1, 1, tzinfo=datetime.timezone.utc))
    want = planned(ws, "2021-12-15T12:00:00Z", "south-south", "monthly", end)
    check(len(want) == 9 and iso(want[0]) == "2021-02-17T18:00Z" and
          iso(want[2]) == "2021-04-21T19:00Z" and iso(want[-1]) == "2021-11-17T18:00Z",
          "monthly planned %s" % [iso(t) for t in want])
    readers.add(expands_to(master, want, end, "monthly"))
    want = planned(ws, "2021-12-15T12:00:00Z", "south-south", "weekly", end)
    check(len(want) == 12 and iso(want[0]) == "2021-09-07T14:00Z" and
          iso(want[4]) == "2021-10-05T13:00Z" and iso(want[-1]) == "2021-11-30T13:00Z",
          "weekly planned %s" % [iso(t) for t in want])
    readers.add(expands_to(wmaster, want, end, "weekly"))

    # 7. 2027: a weekly meeting at 00:30, which Santiago's clocks skip on
    # 5 September: pinned by an override, read alike by every reader.
    ws.write_group("20-night.ini", NIGHT_GROUP)
    ws.convened("once", now="2027-08-10T12:00:00Z")
    got = by_rcpt(new_messages(smtp, seen))
    check(sorted(got) == ["ana@mides.example.uy", "luis@cepal.example.org"],
          "night to %s" % sorted(got))
    night = "night-sunday-20270822-series@" + DOMAIN
    cal = series_checks(got["ana@mides.example.uy"][0], got["ana@mides.example.uy"][1],
                        "REQUEST", night, 0)
    ev = [c for c in cal.walk() if c.name == "VEVENT"]
    check(len(ev) == 2, "master and the gap's override: %d VEVENTs" % len(ev))
    horizon = stamp(datetime.datetime(2027, 11, 7, 12, tzinfo=datetime.timezone.utc))
    want = planned(ws, "2027-08-10T12:00:00Z", "night", "sunday", horizon)
    check("2027-09-05T04:30Z" in [iso(t) for t in want], "gap planned %s" % [iso(t) for t in want])
    readers.add(expands_to(cal, want, horizon, "night"))

    ids = [m["Message-ID"] for _, m, _ in smtp.messages()]
    check(len(ids) == len(set(ids)), "a Message-ID was accepted twice")
    print("series expanded by %s" % ("python3-icalendar and ical.js" if readers == {2}
                                     else "python3-icalendar (ical.js not installed)"))


if __name__ == "__main__":
    sys.exit(max(run("invitations", test), run("invitations-series", test_series)))
