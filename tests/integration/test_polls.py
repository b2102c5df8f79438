"""Scheduling polls end to end (issue 16, item 1): `convened once --now`
sends through a real SMTP server, replies come back through a real
Dovecot.

Covers: every member one ballot, in their language, the candidates in
their own zone; answers in four languages, one replaced by a later one;
hostile answers (a number out of range, a huge list, garbage, a stranger,
a member answering with another's ballot, an answer after the close)
changing nothing and logged with their Message-ID; the tally to the
coordinators alone matching the answers, with the countries; one
reminder a week later; a CONFIRM from a member who is not a coordinator
and one out of range changing nothing; a coordinator's CONFIRMAR N with
another's token held until she confirms it, then becoming one meeting
with one invitation per member, counted for the quota, a later CONFIRM
changing nothing; `status --json`'s groups[].polls and the text status agreeing."""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Failure, check, msgid_kind, of_kind, run  # noqa: E402
import test_invitations as ti  # noqa: E402
from test_milestones import answer  # noqa: E402
from test_replies import start_servers  # noqa: E402

ANA, LUIS, KIM = "ana@mides.example.uy", "luis@cepal.example.org", "kim@gov.example.bb"
JOAO, MARIE = "joao@mds.example.br", "marie@gouv.example.ht"
EVERYONE = sorted([ANA, LUIS, KIM, JOAO, MARIE])

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
country = UY

[member luis@cepal.example.org]
name = Luis Muñoz
role = secretariat
coordinator = yes
timezone = America/Santiago

[member kim@gov.example.bb]
name = Kim Clarke
role = ministry
language = en
country = BB
timezone = America/Barbados

[member joao@mds.example.br]
name = João Araújo
role = ministry
language = pt
country = BR
timezone = America/Sao_Paulo

[member marie@gouv.example.ht]
name = Marie-Hélène Jean
role = ministry
language = fr
country = HT
timezone = America/Port-au-Prince

[poll third]
summary = Tercera reunión del grupo
duration = 90
location = https://meet.example.org/south-south
candidates = 2021-04-14 15:00, 2021-04-21 15:00, 2021-04-28 10:00
closes = 2021-03-31
"""


def by_rcpt(smtp, seen, kind):
    """The messages of kind sent since the last look: {recipient: msg}."""
    got = {}
    for rcpts, msg, _ in of_kind(ti.new_messages(smtp, seen, everything=True), kind):
        check(len(rcpts) == 1 and rcpts[0] not in got, "%s to %s" % (kind, rcpts))
        got[rcpts[0]] = msg
    return got


def poll(ws, now):
    polls = ws.status(now, "south-south")["groups"][0]["polls"]
    check(len(polls) == 1 and polls[0]["name"] == "third", "status polls %s" % polls)
    return polls[0]


def yes(ws, now):
    return [c["yes"] for c in poll(ws, now)["candidates"]]


def test(ws):
    smtp, dc = start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port, processed="Processed")
    ws.write_group("10-south-south.ini", GROUP)
    ws.convened("check")
    seen = [0]

    # Every member one ballot, in their language, the times in their zone.
    ws.convened("once", now="2021-03-01T12:00:00Z")
    ballots = by_rcpt(smtp, seen, "poll-ballot")
    check(sorted(ballots) == EVERYONE, "ballots to %s" % sorted(ballots))
    want = {ANA: ["1. miércoles 14 de abril de 2021, 15:00 (America/Montevideo", "NINGUNA"],
            LUIS: ["1. miércoles 14 de abril de 2021, 14:00 (America/Santiago", "NINGUNA"],
            KIM: ["1. Wednesday 14 April 2021, 14:00 (America/Barbados", "NONE"],
            JOAO: ["1. quarta-feira, 14 de abril de 2021, 15:00 (America/Sao_Paulo",
                   "NENHUMA"],
            MARIE: ["1. mercredi 14 avril 2021, 14:00 (America/Port-au-Prince", "AUCUNE"]}
    for who, words in want.items():
        text = ti.body(ballots[who])
        for w in words:
            check(w in text, "%s's ballot lacks %r:\n%s" % (who, w, text))
        check("3. " in text and "4. " not in text, "%s's ballot numbering" % who)
        check("agenda+" in str(ballots[who]["Reply-To"]), "no token in Reply-To")
    ws.convened("once", now="2021-03-02T12:00:00Z")
    check(by_rcpt(smtp, seen, "poll-ballot") == {}, "a ballot went twice")
    status = ws.convened("status", now="2021-03-02T12:00:00Z").stdout
    check("south-south: poll open until 2021-03-31: third" in status,
          "text status:\n" + status)

    # Answers in four languages; Kim's first answer; hostile ones.
    dc.deliver("agenda", answer(ballots[ANA], ANA, "ana-1@uy", "1, 2"))
    dc.deliver("agenda", answer(ballots[KIM], KIM, "kim-1@bb", "1"))
    dc.deliver("agenda", answer(ballots[JOAO], JOAO, "joao-1@br", "Nenhuma"))
    dc.deliver("agenda", answer(ballots[MARIE], MARIE, "marie-1@ht", "3"))
    dc.deliver("agenda", answer(ballots[LUIS], LUIS, "luis-bad@cl", "1, 9"))
    dc.deliver("agenda", answer(ballots[LUIS], LUIS, "luis-huge@cl", "1 " * 5000))
    dc.deliver("agenda", answer(ballots[LUIS], LUIS, "luis-junk@cl", "¿el martes?"))
    dc.deliver("agenda", answer(ballots[ANA], "eve@evil.example", "eve@evil", "3"))
    dc.deliver("agenda", answer(ballots[ANA], KIM, "kim-as-ana@bb", "3"))
    p = ws.convened("once", now="2021-03-10T12:00:00Z")
    for mid in ("luis-bad@cl", "luis-huge@cl", "luis-junk@cl", "eve@evil", "kim-as-ana@bb"):
        check(mid in p.stderr, "no log line for %s:\n%s" % (mid, p.stderr))
    check("no-proof" in p.stderr, "Kim answering with Ana's ballot not refused:\n" + p.stderr)
    check(yes(ws, "2021-03-10T12:00:00Z") == [2, 1, 1],
          "tally after the first answers %s" % yes(ws, "2021-03-10T12:00:00Z"))

    # Kim answers again: the later answer replaces the earlier; Luis too.
    dc.deliver("agenda", answer(ballots[KIM], KIM, "kim-2@bb", "2 3"))
    dc.deliver("agenda", answer(ballots[LUIS], LUIS, "luis-1@cl", "2"))
    ws.convened("once", now="2021-03-20T12:00:00Z")
    check(yes(ws, "2021-03-20T12:00:00Z") == [1, 3, 2],
          "tally after Kim's second answer %s" % yes(ws, "2021-03-20T12:00:00Z"))
    check(by_rcpt(smtp, seen, "poll-tally") == {}, "a tally before the close")

    # After the close (00:00 of 1 April in Montevideo): an answer is not
    # counted; the tally goes to the coordinators alone, once.
    dc.deliver("agenda", answer(ballots[JOAO], JOAO, "joao-late@br", "1 2 3"))
    now = "2021-04-01T12:00:00Z"
    p = ws.convened("once", now=now)
    check("after it closed" in p.stderr, "a late answer not told:\n" + p.stderr)
    tallies = by_rcpt(smtp, seen, "poll-tally")
    check(sorted(tallies) == [ANA, LUIS], "tally to %s" % sorted(tallies))
    text = ti.body(tallies[ANA])
    for w in ("respondieron\n5 de 5", "sí: 1 (UY)\n", "sí: 3 (UY, BB)\n", "sí: 2 (BB, HT)\n",
              "número 2: miércoles 21 de abril de 2021, 15:00", "CONFIRMAR"):
        check(w in text.replace("\r\n", "\n"), "Ana's tally lacks %r:\n%s" % (w, text))
    check(yes(ws, now) == [1, 3, 2], "a late answer counted: %s" % yes(ws, now))
    status = ws.convened("status", now=now).stdout
    check("poll open" not in status, "a closed poll listed open:\n" + status)

    # No coordinator answers for a week: one reminder each.
    ws.convened("once", now="2021-04-07T12:00:00Z")
    check(by_rcpt(smtp, seen, "poll-tally") == {}, "a reminder before the week")
    ws.convened("once", now="2021-04-08T12:00:00Z")
    reminders = by_rcpt(smtp, seen, "poll-tally")
    check(sorted(reminders) == [ANA, LUIS], "reminders to %s" % sorted(reminders))
    check("recordatorio" in str(reminders[ANA]["Subject"]),
          "reminder subject %s" % reminders[ANA]["Subject"])
    ws.convened("once", now="2021-04-08T18:00:00Z")
    check(by_rcpt(smtp, seen, "poll-tally") == {}, "a second reminder")

    # Kim, no coordinator, confirms with Ana's tally; Ana names no
    # candidate there is: nothing chosen.  Luis's CONFIRMAR 2 chooses.
    dc.deliver("agenda", answer(tallies[ANA], KIM, "kim-confirm@bb", "CONFIRM 3"))
    dc.deliver("agenda", answer(tallies[ANA], ANA, "ana-confirm7@uy", "CONFIRMAR 7"))
    p = ws.convened("once", now="2021-04-09T11:00:00Z")
    check("not-coordinator" in p.stderr, "Kim's CONFIRM not refused:\n" + p.stderr)
    check(poll(ws, "2021-04-09T11:00:00Z")["chosen"] is None, "chosen by a hostile CONFIRM")
    check(of_kind(ti.new_messages(smtp, seen), "invite") == [], "invitations without a choice")
    # Ana answers the reminder Luis had: his token is not hers, so her
    # CONFIRMAR 2 is held and she is asked, at her own address; her
    # CONFIRM to that request (the held-message CONFIRM, told apart by
    # what it answers) applies it.
    dc.deliver("agenda", answer(reminders[LUIS], ANA, "ana-held@uy", "CONFIRMAR 2"))
    ws.convened("once", now="2021-04-09T11:30:00Z")
    asked = by_rcpt(smtp, seen, "confirm-request")
    check(sorted(asked) == [ANA], "confirm-requests to %s" % sorted(asked))
    check(poll(ws, "2021-04-09T11:30:00Z")["chosen"] is None, "chosen by a held CONFIRM")
    dc.deliver("agenda", answer(asked[ANA], ANA, "ana-yes@uy", "CONFIRM"))
    now = "2021-04-09T12:00:00Z"
    ws.convened("once", now=now)
    check(poll(ws, now)["chosen"] == "2021-04-21T18:00:00Z", "chosen %s" % poll(ws, now))
    invites = by_rcpt(smtp, seen, "invite")
    check(sorted(invites) == EVERYONE, "invitations to %s" % sorted(invites))
    uid = "south-south-third-20210421@" + ti.DOMAIN
    for who, msg in invites.items():
        ev = ti.vevent(ti.parse_cal(msg)[1])
        check(str(ev["UID"]) == uid, "invitation UID %s" % ev["UID"])
        check(str(ev["SUMMARY"]) == "Tercera reunión del grupo", "SUMMARY %s" % ev["SUMMARY"])
    g = ws.status(now, "south-south")["groups"][0]
    check([m["uid"] for m in g["meetings"]] == [uid], "meetings %s" % g["meetings"])
    check(g["scheduled"] == 1, "the meeting not counted for the quota: %s" % g["scheduled"])
    # A second CONFIRM and more cycles: still one meeting, one invitation each.
    dc.deliver("agenda", answer(reminders[LUIS], LUIS, "luis-confirm@cl", "CONFIRMAR 3"))
    ws.convened("once", now="2021-04-10T12:00:00Z")
    check(poll(ws, "2021-04-10T12:00:00Z")["chosen"] == "2021-04-21T18:00:00Z",
          "a second CONFIRM changed the choice")
    every = [msgid_kind(m[1]) for m in smtp.messages()]
    check(every.count(("invite", "south-south")) == 5,
          "invitations sent: %d" % every.count(("invite", "south-south")))
    check(every.count(("poll-ballot", "south-south")) == 5, "ballots sent")
    check(every.count(("poll-tally", "south-south")) == 4, "tallies and reminders sent")


if __name__ == "__main__":
    try:
        sys.exit(run("polls", test))
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
