"""Open seminars end to end (issue 16, items 2 and 3): `convened once
--now` sends through a real SMTP server, registrations come back through
a real Dovecot.

Covers: the announcement going once to the series' announce list, in the
group's language, with the time in the group's zone and in UTC;
registrations (REGISTER, INSCRIBIR, INSCRIRE) answering it, the first
`seats` invited and the next waiting; a seated registrant declining and
the first waiting invited in their place, the one who declined not
cancelled; a registration for a closed meeting (a member's invitation
forwarded) refused once, asked twice; an automatic reply getting
nothing; a flood of a thousand registrations costing one notice to the
admin and a bounded number of rows; `status --json`'s
meetings[].registered and the report agreeing."""

import email.utils
import os
import sqlite3
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Failure, check, msgid_kind, of_kind, run  # noqa: E402
import test_invitations as ti  # noqa: E402
from test_replies import rfc822, rsvp_from_invitation, start_servers  # noqa: E402

DOMAIN = ti.DOMAIN
ADMIN = "admin@" + DOMAIN
LIST = "comunidad@sdc.example.net"
WAITING_MAX = 20          # daemon/seminar.h's SEMINAR_WAITING_MAX

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

[member kim@gov.example.bb]
name = Kim Clarke
role = ministry
language = en

[series foro]
summary = Foro sobre protección social universal
kind = seminar
start = 2021-04-14 10:00
duration = 90
location = https://meet.example.org/foro
open = yes
seats = 2
announce = %s

[series taller]
summary = Taller de coordinadores
kind = workshop
start = 2021-04-21 10:00
duration = 60
""" % LIST


def sent(smtp, seen):
    return ti.new_messages(smtp, seen, everything=True)


def to_whom(msgs, kind):
    return sorted(r for rcpts, _, _ in of_kind(msgs, kind) for r in rcpts)


def answer(msg, sender, msgid, text, extra=()):
    """sender's reply to msg (one of ours), to its Reply-To, text first."""
    headers = [("From", sender), ("To", str(msg["Reply-To"] or "agenda@" + DOMAIN)),
               ("Subject", "Re: " + str(msg["Subject"]).replace("\n", " ")),
               ("Message-ID", "<%s>" % msgid), ("In-Reply-To", msg["Message-ID"]),
               ("References", msg["Message-ID"]), ("Date", email.utils.formatdate()),
               ("MIME-Version", "1.0")] + list(extra)
    headers.append(("Content-Type", "text/plain; charset=UTF-8"))
    quoted = "".join("> " + l + "\r\n" for l in ti.body(msg).splitlines()[:5])
    return rfc822(headers, text + "\r\n\r\nEl jue, 1 abr 2021, escribió:\r\n" + quoted)


def registered(ws, now, series):
    g = ws.status(now, "south-south")["groups"][0]
    return [m["registered"] for m in g["meetings"] if "-%s-" % series in m["uid"]]


def rows(ws):
    db = sqlite3.connect(os.path.join(ws.dir, "state.db"))
    try:
        return dict(db.execute("SELECT state, count(*) FROM registrations GROUP BY state"))
    finally:
        db.close()


def test(ws):
    smtp, dc = start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port, processed="Processed")
    ws.write_group("10-south-south.ini", GROUP)
    ws.convened("check")
    seen = [0]

    # The plan invites the members; the announcement follows, once.
    ws.convened("once", now="2021-04-01T12:00:00Z")
    first = sent(smtp, seen)
    check(len(of_kind(first, "invite")) == 6, "member invitations %d" % len(of_kind(first, "invite")))
    ws.convened("once", now="2021-04-01T12:05:00Z")
    ws.convened("once", now="2021-04-01T12:10:00Z")
    got = sent(smtp, seen) + first
    anns = of_kind(got, "seminar-announce")
    check([a[0] for a in anns] == [[LIST]], "announcements %s" % [a[0] for a in anns])
    ann = anns[0][1]
    text = ti.body(ann)
    check("INSCRIBIR" in text and "UTC" in text and "13:00" in text and "10:00" in text,
          "announcement not in Spanish with both times:\n" + text)
    invited_kim = [m for r, m, _ in of_kind(first, "invite")
                   if r == ["kim@gov.example.bb"] and "taller" in str(m["Message-ID"])]
    check(len(invited_kim) == 1, "Kim's workshop invitation")

    # Three register; the first two are invited, the third waits.
    dc.deliver("agenda", answer(ann, "uno@ong.example.org", "uno@ong", "REGISTER"))
    dc.deliver("agenda", answer(ann, "dos@univ.example.edu", "dos@univ", "Inscribir"))
    dc.deliver("agenda", answer(ann, "tres@ong.example.fr", "tres@ong", "inscrire"))
    # An automatic reply to the announcement: nothing.
    dc.deliver("agenda", answer(ann, "ausente@ong.example.org", "auto@ong", "REGISTER",
                                [("Auto-Submitted", "auto-replied")]))
    ws.convened("once", now="2021-04-02T12:00:00Z")
    ws.convened("once", now="2021-04-02T12:05:00Z")
    got = sent(smtp, seen)
    check(to_whom(got, "invite") == ["dos@univ.example.edu", "uno@ong.example.org"],
          "registrants invited %s" % to_whom(got, "invite"))
    check(len(got) == 2, "other mail after registrations: %s" % [msgid_kind(m[1]) for m in got])
    check(registered(ws, "2021-04-02T12:05:00Z", "foro") == [{"count": 2, "waiting": 1}],
          "status registered %s" % registered(ws, "2021-04-02T12:05:00Z", "foro"))
    check(registered(ws, "2021-04-02T12:05:00Z", "taller") == [{"count": 0, "waiting": 0}],
          "closed meeting registered")

    # dos declines: tres moves up; dos gets no cancellation.
    inv_dos = [m for r, m, _ in of_kind(got, "invite") if r == ["dos@univ.example.edu"]][0]
    dc.deliver("agenda", rsvp_from_invitation(inv_dos, "dos@univ.example.edu", "DECLINED",
                                              "dos-no@univ"))
    ws.convened("once", now="2021-04-03T12:00:00Z")
    ws.convened("once", now="2021-04-03T12:05:00Z")
    got = sent(smtp, seen)
    check(to_whom(got, "invite") == ["tres@ong.example.fr"], "moved up %s" % to_whom(got, "invite"))
    check(to_whom(got, "cancel") == [], "cancelled %s" % to_whom(got, "cancel"))
    check(registered(ws, "2021-04-03T12:05:00Z", "foro") == [{"count": 2, "waiting": 0}],
          "status after the decline %s" % registered(ws, "2021-04-03T12:05:00Z", "foro"))

    # A closed workshop: Kim's invitation forwarded; asked twice, refused once.
    kim = invited_kim[0]
    dc.deliver("agenda", answer(kim, "otra@ong.example.org", "otra1@ong", "REGISTER"))
    dc.deliver("agenda", answer(kim, "otra@ong.example.org", "otra2@ong", "REGISTER"))
    ws.convened("once", now="2021-04-04T12:00:00Z")
    ws.convened("once", now="2021-04-04T12:05:00Z")
    got = sent(smtp, seen)
    check(to_whom(got, "seminar-refusal") == ["otra@ong.example.org"],
          "refusals %s" % to_whom(got, "seminar-refusal"))
    check(len(got) == 1, "mail besides the refusal: %s" % [msgid_kind(m[1]) for m in got])
    refusal = ti.body(of_kind(got, "seminar-refusal")[0][1])
    check("Taller de coordinadores" in refusal and "cerrada" in refusal, "refusal:\n" + refusal)

    # A flood: a thousand strangers register for the seminar.
    for i in range(1000):
        dc.deliver_file("agenda", "INBOX", answer(ann, "f%04d@flood.example" % i,
                                                  "flood%d@x" % i, "REGISTER"))
    for k in range(4):
        ws.convened("once", now="2021-04-05T12:%02d:00Z" % (k * 5))
    got = sent(smtp, seen)
    check(to_whom(got, "seminar-flood") == [ADMIN], "flood notices %s" % to_whom(got, "seminar-flood"))
    check(len(got) == 1, "mail for the flood: %d" % len(got))
    r = rows(ws)
    check(r.get("waiting") == WAITING_MAX and r.get("seated") == 2 and r.get("declined") == 1
          and r.get("refused") == 1, "registration rows %s" % r)
    check(registered(ws, "2021-04-05T12:15:00Z", "foro") == [{"count": 2, "waiting": WAITING_MAX}],
          "status after the flood %s" % registered(ws, "2021-04-05T12:15:00Z", "foro"))
    report = ws.convened("report", "--year", "2021", now="2021-04-05T12:15:00Z").stdout
    check("2 seated, %d waiting" % WAITING_MAX in report, "report:\n" + report)


if __name__ == "__main__":
    try:
        sys.exit(run("seminars", test))
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
