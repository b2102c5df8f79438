"""Milestones end to end (issue 15, item 4): `convened once --now` sends
through a real SMTP server, replies come back through a real Dovecot.

Covers: the reminders of two milestones going once each, lead_days before
and on the due date, to their owners only (all coordinators; the
secretariat's coordinator alone), each in the reader's language; a DONE
from a member who is not a coordinator changing nothing; a DONE from a
coordinator answering a reminder someone else had (their token proves
nothing of his) held and its coordinator asked to confirm it; a
coordinator's HECHO with a PDF marking the milestone done and archiving
the PDF as the group's document, after which no reminder goes; the
admin told once of the other milestone, overdue; `status --json`'s
groups[].milestones and the text status agreeing with what was sent."""

import base64
import email.utils
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Failure, check, check_journaled, msgid_kind, of_kind, run  # noqa: E402
import test_invitations as ti  # noqa: E402
from test_replies import rfc822, start_servers  # noqa: E402

DOMAIN = ti.DOMAIN
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
ANA, LUIS, KIM = "ana@mides.example.uy", "luis@cepal.example.org", "kim@gov.example.bb"
ADMIN = "admin@" + DOMAIN

MILESTONES = """
[milestone priorities]
summary = Definición de prioridades
due = 2021-03-31

[milestone adoption]
summary = Aprobación del plan de trabajo
due = 2021-04-15
owner = secretariat
lead_days = 7
"""


def reminders(smtp, seen, kind="milestone-reminder"):
    """The messages of kind sent since the last look: {recipient: msg}."""
    got = {}
    for rcpts, msg, _ in of_kind(ti.new_messages(smtp, seen, everything=True), kind):
        check(len(rcpts) == 1 and rcpts[0] not in got, "%s to %s" % (kind, rcpts))
        got[rcpts[0]] = msg
    return got


def answer(msg, sender, msgid, text, pdf=False):
    """sender's reply to msg (one of ours), to its Reply-To, text first."""
    headers = [("From", sender), ("To", str(msg["Reply-To"] or "agenda@" + DOMAIN)),
               ("Subject", "Re: " + str(msg["Subject"]).replace("\n", " ")),
               ("Message-ID", "<%s>" % msgid), ("In-Reply-To", msg["Message-ID"]),
               ("References", msg["Message-ID"]), ("Date", email.utils.formatdate()),
               ("MIME-Version", "1.0")]
    quoted = "".join("> " + l + "\r\n" for l in ti.body(msg).splitlines()[:5])
    text = text + "\r\n\r\nEl lun, 1 mar 2021, Secretaría escribió:\r\n" + quoted
    if not pdf:
        headers.append(("Content-Type", "text/plain; charset=UTF-8"))
        return rfc822(headers, text)
    headers.append(("Content-Type", 'multipart/mixed; boundary="m"'))
    return rfc822(headers, (
        "--m\r\nContent-Type: text/plain; charset=UTF-8\r\n\r\n%s\r\n"
        "--m\r\nContent-Type: application/pdf; name=\"prioridades.pdf\"\r\n"
        "Content-Disposition: attachment; filename=\"prioridades.pdf\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n%s\r\n--m--\r\n"
        % (text, base64.b64encode(PDF).decode())))


def milestones(ws, now):
    g = ws.status(now, "south-south")["groups"][0]
    return {m["name"]: m for m in g["milestones"]}


def test(ws):
    smtp, dc = start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port, processed="Processed")
    ws.write_group("10-south-south.ini", ti.group() + MILESTONES)
    ws.convened("check")
    seen = [0]

    # Nothing before the lead day (17 March, Montevideo).
    ws.convened("once", now="2021-03-16T12:00:00Z")
    ti.new_messages(smtp, seen, everything=True)
    ms = milestones(ws, "2021-03-16T12:00:00Z")
    check(ms == {"priorities": {"name": "priorities", "summary": "Definición de prioridades",
                                "due": "2021-03-31", "done": None},
                 "adoption": {"name": "adoption", "summary": "Aprobación del plan de trabajo",
                              "due": "2021-04-15", "done": None}},
          "status milestones %s" % ms)

    # The lead reminder: both coordinators, each in their language, once.
    ws.convened("once", now="2021-03-17T12:00:00Z")
    lead = reminders(smtp, seen)
    check(sorted(lead) == [ANA, LUIS], "lead reminders to %s" % sorted(lead))
    check("HECHO" in ti.body(lead[ANA]) and "31/03/2021" in ti.body(lead[ANA]),
          "Ana's reminder not in Spanish:\n" + ti.body(lead[ANA]))
    check(str(lead[ANA]["Reply-To"]).find("agenda+") >= 0, "no token in Reply-To")
    ws.convened("once", now="2021-03-18T12:00:00Z")
    check(reminders(smtp, seen) == {}, "a lead reminder went twice")

    # Kim, a member but no coordinator, answers DONE to Ana's reminder
    # (forwarded to her): refused, nothing marked.
    dc.deliver("agenda", answer(lead[ANA], KIM, "kim-done@bb", "DONE"))
    # Luis answers Ana's reminder: her token is not his, so it is held
    # and Luis asked, at his own address, to confirm it.
    dc.deliver("agenda", answer(lead[ANA], LUIS, "luis-held@cl", "Done"))
    p = ws.convened("once", now="2021-03-19T12:00:00Z")
    check("not-coordinator" in p.stderr, "Kim's DONE not refused:\n" + p.stderr)
    sent = ti.new_messages(smtp, seen, everything=True)
    asked = [m for m in of_kind(sent, "confirm-request")]
    check([m[0] for m in asked] == [[LUIS]], "confirm-requests %s" % [m[0] for m in asked])
    check(milestones(ws, "2021-03-19T12:00:00Z")["priorities"]["done"] is None,
          "an unproven DONE marked the milestone")

    # Ana's own HECHO with a PDF: done, the PDF the group's document.
    dc.deliver("agenda", answer(lead[ANA], ANA, "ana-done@uy", "HECHO", pdf=True))
    now = "2021-03-20T12:00:00Z"
    ws.convened("once", now=now)
    ms = milestones(ws, now)
    check(ms["priorities"]["done"] == "2021-03-20", "priorities %s" % ms["priorities"])
    doc = os.path.join(ws.dir, "repository", "south-south", "2021", "2021-03-20-document",
                       "prioridades.pdf")
    check(os.path.exists(doc) and open(doc, "rb").read() == PDF, "PDF not archived at " + doc)
    check(not os.path.exists(os.path.join(os.path.dirname(doc), "text.txt")),
          "the DONE text archived as a document")
    docs = [c["author"] for c in check_journaled(os.path.join(ws.dir, "repository"))
            if c["kind"] == "document"]
    check(docs == ["Ana Pérez <%s>" % ANA], "the DONE document committed by %s" % docs)
    processed = dc.messages("agenda", "Processed")
    check(len(processed) == 1, "Processed holds %d" % len(processed))

    # No due reminder for priorities: done before it.
    ws.convened("once", now="2021-03-31T12:00:00Z")
    check(reminders(smtp, seen) == {}, "a reminder for a milestone done")
    # The adoption's lead day (8 April): Luis alone, the secretariat's.
    ws.convened("once", now="2021-04-08T12:00:00Z")
    got = reminders(smtp, seen)
    check(sorted(got) == [LUIS], "adoption lead reminder to %s" % sorted(got))
    check("due in 7 days" in ti.body(got[LUIS]) or "vence dentro de 7" in ti.body(got[LUIS]),
          "adoption reminder:\n" + ti.body(got[LUIS]))

    # The adoption's due date, then overdue: Luis once, the admin once.
    ws.convened("once", now="2021-04-15T12:00:00Z")
    got = reminders(smtp, seen)
    check(sorted(got) == [LUIS], "adoption due reminder to %s" % sorted(got))
    ws.convened("once", now="2021-04-15T20:00:00Z")
    check(reminders(smtp, seen) == {}, "the due reminder went twice")
    now = "2021-04-16T12:00:00Z"
    ws.convened("once", now=now)
    got = reminders(smtp, seen, "milestone-overdue")
    check(sorted(got) == [ADMIN], "overdue notice to %s" % sorted(got))
    check("Aprobación del plan de trabajo" in ti.body(got[ADMIN]), "overdue notice body")
    for day in ("2021-04-17T12:00:00Z", "2021-05-20T12:00:00Z"):
        ws.convened("once", now=day)
        late = [msgid_kind(m[1]) for m in ti.new_messages(smtp, seen, everything=True)]
        check([k for k in late if k and k[0].startswith("milestone-")] == [],
              "milestone mail after overdue on %s: %s" % (day, late))

    # status agrees with the mail.
    ms = milestones(ws, now)
    check(ms["adoption"]["done"] is None and ms["priorities"]["done"] == "2021-03-20",
          "status milestones %s" % ms)
    text = ws.convened("status", now=now).stdout
    check("south-south: milestone overdue since 2021-04-15: adoption" in text,
          "text status:\n" + text)
    check("priorities" not in text, "a done milestone listed as overdue:\n" + text)
    report = ws.convened("report", "--year", "2021", now=now).stdout
    check("| Aprobación del plan de trabajo | 2021-04-15 | **overdue** |" in report,
          "report:\n" + report)
    every = [msgid_kind(m[1]) for m in smtp.messages()]
    check(every.count(("milestone-reminder", "south-south")) == 4,
          "reminders sent: %d" % every.count(("milestone-reminder", "south-south")))


if __name__ == "__main__":
    try:
        sys.exit(run("milestones", test))
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
