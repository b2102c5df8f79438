"""Volunteer presentations end to end (issue 15, items 1-3): convened
sends through a real SMTP server, replies come back through a real
Dovecot, built from the mail each member received (In-Reply-To and
References carry the Message-ID, and so the reply token, as every client
keeps them), and `convened once --now` applies them.

Covers: the call in each member's language; offers in Portuguese and in
French (lower case, accent free); the first two accepted, the next
waiting; a non-member's offer, a 10 KB title and a title with control
characters; a flood of offers from one member; a withdrawal moving the
first in line up, with mail to both and to the coordinators; the draft
agenda's Presentations section, confirmed as shown; the materials
request, a presenter's PDF archived with the meeting and sent to the
members; experiences.json and the report agreeing with the mail; a
second run sending nothing."""

import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import check, check_journaled, of_kind, run  # noqa: E402
import test_invitations as ti  # noqa: E402
from test_replies import PDF, reply_to, start_servers  # noqa: E402

DOMAIN = ti.DOMAIN
MARCH = "south-south-monthly-20210317@" + DOMAIN
MEMBERS = ["ana@mides.example.uy", "joao@mds.example.br", "kim@gov.example.bb",
           "luis@cepal.example.org", "marie@gouv.example.ht"]
COORDINATORS = ["ana@mides.example.uy", "luis@cepal.example.org"]

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
country = UY
role = ministry
coordinator = yes

[member luis@cepal.example.org]
name = Luis Muñoz
country = CL
role = secretariat
coordinator = yes
timezone = America/Santiago

[member joao@mds.example.br]
name = João Araújo
country = BR
role = ministry
language = pt
timezone = America/Sao_Paulo

[member marie@gouv.example.ht]
name = Marie-Hélène Jean
country = HT
role = ministry
language = fr
timezone = America/Port-au-Prince

[member kim@gov.example.bb]
name = Kim Clarke
country = BB
role = ministry
language = en
timezone = America/Barbados

[series monthly]
summary = Intercambio mensual de experiencias
start = 2021-02-17 15:00
duration = 90
rrule = FREQ=MONTHLY;BYDAY=3WE
invitation = occurrence
location = https://meet.example.org/south-south
agenda = agenda.txt
presentations = 2
"""


def fresh(smtp, seen):
    return ti.new_messages(smtp, seen, everything=True)


def by_rcpt(msgs, kind):
    """{recipient: [message, ...]} of the messages of kind."""
    out = {}
    for rcpts, msg, _ in of_kind(msgs, kind):
        for r in rcpts:
            out.setdefault(r, []).append(msg)
    return out


def offers(ws, now):
    g = ws.status(now, "south-south")["groups"][0]
    for m in g["meetings"]:
        if m["uid"] == MARCH:
            return m["presentations"], m
    raise AssertionError("no March meeting in status")


def table(pres):
    return [(p["email"], p["status"]) for p in pres]


def send(dc, msg):
    dc.deliver("agenda", msg)


def test(ws):
    smtp, dc = start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port)
    ws.write_group("10-south-south.ini", GROUP)
    with open(os.path.join(ws.groups, "agenda.txt"), "w") as f:
        f.write("1. Apertura\n2. Intercambio de experiencias\n")
    ws.convened("check")
    seen = [0]

    ws.convened("once", now="2021-03-01T12:00:00Z")
    check(len(of_kind(fresh(smtp, seen), "invite")) == 5, "invitations")

    # The call: 14 days before, once, to every member, in their language.
    ws.convened("once", now="2021-03-03T12:00:00Z")
    check(by_rcpt(fresh(smtp, seen), "presentations-call") == {}, "call too early")
    ws.convened("once", now="2021-03-03T19:00:00Z")
    calls = {r: m[0] for r, m in by_rcpt(fresh(smtp, seen), "presentations-call").items()}
    check(sorted(calls) == MEMBERS, "call to %s" % sorted(calls))
    for rcpt, word in [("ana@mides.example.uy", "PRESENTAR:"), ("joao@mds.example.br", "APRESENTAR:"),
                       ("marie@gouv.example.ht", "PRÉSENTER:"), ("kim@gov.example.bb", "PRESENT:")]:
        check(word in ti.body(calls[rcpt]), "call to %s lacks %s" % (rcpt, word))
    ws.convened("once", now="2021-03-03T20:00:00Z")
    check(fresh(smtp, seen) == [], "the call went twice")

    # Two offers, in Portuguese and in French: both accepted.
    send(dc, reply_to(calls["joao@mds.example.br"], "joao@mds.example.br", "o-joao@br",
                      "APRESENTAR: Bolsa Família"))
    send(dc, reply_to(calls["marie@gouv.example.ht"], "marie@gouv.example.ht", "o-marie@ht",
                      "presenter : Revenu de solidarité"))
    now = "2021-03-04T12:00:00Z"
    ws.convened("once", now=now)
    pres, _ = offers(ws, now)
    check(table(pres) == [("joao@mds.example.br", "accepted"), ("marie@gouv.example.ht", "accepted")],
          "offers %s" % pres)
    check(pres[0]["country"] == "BR" and pres[0]["title"] == "Bolsa Família", "joao %s" % pres[0])
    msgs = fresh(smtp, seen)
    replies = by_rcpt(msgs, "presentation-reply")
    check(sorted(replies) == ["joao@mds.example.br", "marie@gouv.example.ht"], "replies %s" % replies)
    check("ACEITA" in ti.body(replies["joao@mds.example.br"][0]), "joao's reply not in Portuguese")
    check("ACCEPTÉE" in ti.body(replies["marie@gouv.example.ht"][0]), "marie's not in French")
    marie_letter = replies["marie@gouv.example.ht"][0]
    notes = by_rcpt(msgs, "presentation-notice")
    check(sorted(notes) == COORDINATORS and all(len(v) == 2 for v in notes.values()),
          "notices %s" % {k: len(v) for k, v in notes.items()})
    check(str(notes["luis@cepal.example.org"][0]["Subject"]).startswith("[south-south] "),
          "notice subject %s" % notes["luis@cepal.example.org"][0]["Subject"])

    # Kim's offer waits; a stranger answering with Kim's call, a 10 KB
    # title and a title with control characters.
    send(dc, reply_to(calls["kim@gov.example.bb"], "kim@gov.example.bb", "o-kim@bb",
                      "PRESENT: Barbados social protection"))
    send(dc, reply_to(calls["kim@gov.example.bb"], "mallory@evil.example.com", "o-evil@evil",
                      "PRESENT: Buy now"))
    send(dc, reply_to(calls["ana@mides.example.uy"], "ana@mides.example.uy", "o-big@uy",
                      "PRESENTAR: " + "x" * 10240))
    send(dc, reply_to(calls["luis@cepal.example.org"], "luis@cepal.example.org", "o-ctl@cl",
                      "PRESENTAR: Chile\x07 Solidario\x1b[31m"))
    now = "2021-03-05T12:00:00Z"
    p = ws.convened("once", now=now)
    pres, _ = offers(ws, now)
    check(table(pres) == [("joao@mds.example.br", "accepted"), ("marie@gouv.example.ht", "accepted"),
                          ("kim@gov.example.bb", "waiting"), ("luis@cepal.example.org", "waiting")],
          "offers %s" % pres)
    check(pres[3]["title"] == "Chile Solidario[31m", "title %r" % pres[3]["title"])
    refused = ws.status(now)["refused"]
    check(refused["not-member"] == 1 and refused["bad-offer"] == 1, "refused %s" % refused)
    check("o-evil@evil" in p.stderr and "not-member" in p.stderr, "stranger not logged")
    msgs = fresh(smtp, seen)
    replies = by_rcpt(msgs, "presentation-reply")
    check(sorted(replies) == ["kim@gov.example.bb", "luis@cepal.example.org"], "replies %s" % replies)
    check("WAITING" in ti.body(replies["kim@gov.example.bb"][0]), "kim not told she waits")
    check("mallory@evil.example.com" not in [r for x in msgs for r in x[0]], "mail to the stranger")

    # A flood: Kim changes her title seven times; the first four count
    # (her offer was her first change of six), the last three do not.
    for i in range(7):
        send(dc, reply_to(calls["kim@gov.example.bb"], "kim@gov.example.bb", "flood-%d@bb" % i,
                          "PRESENT: Flood %d" % i))
    now = "2021-03-05T13:00:00Z"
    ws.convened("once", now=now)
    pres, _ = offers(ws, now)
    check(pres[2]["title"] == "Flood 4", "kim's title %s" % pres[2]["title"])
    check(ws.status(now)["refused"]["bad-offer"] == 3, "flood not refused")
    msgs = fresh(smtp, seen)
    check(len(by_rcpt(msgs, "presentation-reply").get("kim@gov.example.bb", [])) == 5,
          "kim's letters in the flood")

    # Marie withdraws, answering her confirmation: Kim moves up.
    send(dc, reply_to(marie_letter, "marie@gouv.example.ht", "w-marie@ht", "RETIRER"))
    now = "2021-03-06T12:00:00Z"
    ws.convened("once", now=now)
    pres, _ = offers(ws, now)
    check(table(pres) == [("joao@mds.example.br", "accepted"), ("marie@gouv.example.ht", "withdrawn"),
                          ("kim@gov.example.bb", "accepted"), ("luis@cepal.example.org", "waiting")],
          "after the withdrawal %s" % pres)
    msgs = fresh(smtp, seen)
    replies = by_rcpt(msgs, "presentation-reply")
    check(sorted(replies) == ["kim@gov.example.bb", "marie@gouv.example.ht"], "replies %s" % replies)
    check("moved up" in ti.body(replies["kim@gov.example.bb"][0]) and
          "ACCEPTED" in ti.body(replies["kim@gov.example.bb"][0]), "kim not told she moved up")
    check("retirée" in ti.body(replies["marie@gouv.example.ht"][0]), "marie's withdrawal not in French")
    notes = by_rcpt(msgs, "presentation-notice")
    check(sorted(notes) == COORDINATORS and all(len(v) == 2 for v in notes.values()),
          "notices %s" % {k: len(v) for k, v in notes.items()})

    # The draft agenda lists the presenters above the series' draft;
    # CONFIRMAR confirms what was shown.
    ws.convened("once", now="2021-03-10T19:00:00Z")
    reqs = by_rcpt(fresh(smtp, seen), "agenda-request")
    check(sorted(reqs) == COORDINATORS, "agenda requests %s" % sorted(reqs))
    section = ("Presentaciones:\n\n  1. BR, João Araújo: Bolsa Família\n"
               "  2. BB, Kim Clarke: Flood 4\n\n1. Apertura\n")
    body = ti.body(reqs["ana@mides.example.uy"][0]).replace("\r\n", "\n")
    check(section in body, "agenda request without the section:\n" + body)
    check(body.index("Presentaciones") < body.index("Apertura"), "section below the draft")
    send(dc, reply_to(reqs["ana@mides.example.uy"][0], "ana@mides.example.uy", "ag@uy", "CONFIRMAR"))
    ws.convened("once", now="2021-03-10T20:00:00Z")
    _, m = offers(ws, "2021-03-10T20:00:00Z")
    check(m["agenda"] == "confirmed", "agenda %s" % m["agenda"])
    upd = ti.by_rcpt(ti.new_messages(smtp, seen))
    check(sorted(upd) == MEMBERS, "updates %s" % sorted(upd))
    check("Kim Clarke: Flood 4" in ti.body(upd["marie@gouv.example.ht"][0]), "update without presenters")

    # After the meeting: the presenters are asked for materials; Joao's
    # PDF is archived with the meeting and sent to every member.
    ws.convened("once", now="2021-03-18T12:00:00Z")
    msgs = fresh(smtp, seen)
    asks = by_rcpt(msgs, "materials-request")
    check(sorted(asks) == ["joao@mds.example.br", "kim@gov.example.bb"], "materials asked of %s" % asks)
    send(dc, reply_to(asks["joao@mds.example.br"][0], "joao@mds.example.br", "mat@br",
                      "Segue a apresentação.", ("bolsa.pdf", PDF)))
    now = "2021-03-18T13:00:00Z"
    ws.convened("once", now=now)
    item = os.path.join(ws.dir, "repository", "south-south", "2021", "2021-03-17-meeting")
    check(open(os.path.join(item, "bolsa.pdf"), "rb").read() == PDF, "PDF not archived")
    msgs = fresh(smtp, seen)
    notes = by_rcpt(msgs, "materials-notice")
    check(sorted(notes) == MEMBERS, "materials to %s" % sorted(notes))
    pdfs = [x.get_content() for x in notes["kim@gov.example.bb"][0].walk()
            if x.get_filename() == "bolsa.pdf"]
    check(pdfs == [PDF], "PDF not attached")

    with open(os.path.join(ws.dir, "repository", "south-south", "experiences.json")) as f:
        exp = json.load(f)["experiences"]
    check([(e["email"], e["country"], e["title"], e["date"], e["meeting"]) for e in exp] == [
        ("joao@mds.example.br", "BR", "Bolsa Família", "2021-03-17", MARCH),
        ("kim@gov.example.bb", "BB", "Flood 4", "2021-03-17", MARCH)], "experiences %s" % exp)
    check(exp[0]["files"] == ["south-south/2021/2021-03-17-meeting/bolsa.pdf"] and exp[1]["files"] == [],
          "files %s" % [e["files"] for e in exp])
    md = open(os.path.join(ws.dir, "repository", "south-south", "experiences.md")).read()
    check("| BR | João Araújo | Bolsa Família |" in md, "experiences.md:\n" + md)

    rep = json.loads(ws.convened("report", "--year", "2021", "--format", "json", now=now).stdout)
    e = rep["groups"][0]["experiences"]
    check(e == {"total": 2, "by_country": {"BB": 1, "BR": 1}, "not_presented": ["CL", "HT", "UY"]},
          "report %s" % e)
    md = ws.convened("report", "--year", "2021", now=now).stdout
    check("Member countries that have not presented yet: CL, HT, UY." in md, "report md")
    check("## Experiences presented by countries" in md, "report without the Conference's part")

    # The same once again: nothing more.
    ws.convened("once", now="2021-03-18T14:00:00Z")
    check(fresh(smtp, seen) == [], "a second run sent mail")

    # The git history: the materials by João, the record by convened,
    # nothing recovered.
    log = check_journaled(os.path.join(ws.dir, "repository"))
    mats = [c for c in log if c["kind"] == "meeting" and "<mat@br>" in c["message"]]
    check([c["author"] for c in mats] == ["João Araújo <joao@mds.example.br>"],
          "materials commits %s" % [c["author"] for c in mats])
    recs = [c for c in log if c["kind"] == "experiences"]
    check(recs and all(c["author"].startswith("convened <") for c in recs),
          "experiences commits %s" % [c["author"] for c in recs])


if __name__ == "__main__":
    sys.exit(run("presentations", test))
