"""Every group a mailing list, end to end (issue 20, item 6): posts come
in through a real Dovecot (LMTP to the list's plus address, or files
dropped in the mailbox), `convened once --now` applies them, and what is
relayed goes out through a real SMTP server.

Covers: a non-member's post held, reaching nobody, one moderation request
to each coordinator, sent to every member after a coordinator's APROBAR
(and never after RECHAZAR); a member's reply to a relayed post (proven by
the token its In-Reply-To quotes) reaching every other member once, with
the List-* headers, the tag not doubled and In-Reply-To naming each
reader's own copy; a loop (a relayed post coming back, an auto-reply to
one) relaying nothing; NOMAIL and DIGEST (replies to list messages)
changing delivery, and the digest a day later; the month's archive and
`report`; a flood of 1,000 non-member posts costing the coordinators one
request each; `status --json` counting posts and held posts per
group."""

import email.utils
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import Failure, check, check_journaled, of_kind, run  # noqa: E402
import test_invitations as ti  # noqa: E402
import test_replies as tr  # noqa: E402

DOMAIN = ti.DOMAIN
LIST = "agenda+south-south@" + DOMAIN
MEMBERS = sorted(["ana@mides.example.uy", "luis@cepal.example.org", "kim@gov.example.bb",
                  "joao@mds.example.br", "marie@gouv.example.ht"])
COORDINATORS = ["ana@mides.example.uy", "luis@cepal.example.org"]


def post(sender, msgid, subject, text, to=LIST, extra=()):
    return tr.rfc822([("From", sender), ("To", to), ("Subject", subject),
                      ("Message-ID", "<%s>" % msgid), ("Date", email.utils.formatdate()),
                      ("MIME-Version", "1.0"),
                      ("Content-Type", "text/plain; charset=UTF-8")] + list(extra),
                     text)


def sent(smtp, seen, kind):
    """The messages of kind sent since the last look: (recipient, message)."""
    out = []
    for rcpts, msg, _ in of_kind(ti.new_messages(smtp, seen, everything=True), kind):
        check(len(rcpts) == 1, "one recipient per message, got %s" % rcpts)
        out.append((rcpts[0], msg))
    return out


def check_post(msg, subject):
    check(str(msg["List-Id"]) == "Cooperación Sur-Sur <south-south.list.%s>" % DOMAIN,
          "List-Id %s" % msg["List-Id"])
    check(msg["List-Post"] == "<mailto:%s>" % LIST, "List-Post %s" % msg["List-Post"])
    check(msg["List-Help"] and msg["List-Unsubscribe"], "List-Help, List-Unsubscribe")
    check(msg["Precedence"] == "list", "Precedence %s" % msg["Precedence"])
    check(msg["X-Loop"] == LIST, "X-Loop %s" % msg["X-Loop"])
    # members-only, and no [daemon] site_url: no public page to name
    check(msg["List-Archive"] is None, "List-Archive %s" % msg["List-Archive"])
    check(msg["From"].addresses[0].addr_spec == LIST, "From %s" % msg["From"])
    check(str(msg["Subject"]) == subject, "Subject %r, not %r" % (str(msg["Subject"]), subject))


def test(ws):
    smtp, dc = tr.start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port)
    ws.write_group("10-south-south.ini", ti.group())
    out = ws.convened("check").stdout
    check(LIST in out and "agenda+south-south-request@" + DOMAIN in out,
          "check names what the mailbox must accept:\n" + out)
    seen = [0]
    ws.convened("once", now="2021-03-01T12:00:00Z")
    ti.new_messages(smtp, seen, everything=True)

    # 1. A non-member writes to the list: held, nobody gets it, each
    # coordinator is asked once.
    dc.deliver("agenda+south-south", post("Pedro <pedro@ong.example.org>", "p1@ong",
                                          "Propuesta de taller", "Propongo un taller."))
    ws.convened("once", now="2021-03-02T12:00:00Z")
    asked = dict(sent(smtp, seen, "list-moderation"))
    check(sorted(asked) == COORDINATORS, "moderation requests to %s" % sorted(asked))
    check("Propongo un taller." in ti.body(asked["ana@mides.example.uy"]), "post quoted")
    check(smtp.messages() and not of_kind(smtp.messages(), "post"), "a held post went out")
    st = ws.status("2021-03-02T12:00:00Z", "south-south")["groups"][0]
    check(st["list"]["held"] == 1 and st["list"]["posts"] == 0, "status list %s" % st["list"])
    table = ws.convened("status", now="2021-03-02T12:00:00Z").stdout
    check("south-south: list: 0 posts relayed, 1 held" in table, "status table:\n" + table)

    # 2. Ana approves by reply, to the address her request names.
    req = asked["ana@mides.example.uy"]
    dc.deliver(req["Reply-To"].addresses[0].addr_spec.split("@")[0],
               tr.reply_to(req, "ana@mides.example.uy", "a1@uy", "APROBAR"))
    ws.convened("once", now="2021-03-02T13:00:00Z")
    got = sent(smtp, seen, "post")
    check(sorted(r for r, _ in got) == MEMBERS, "approved post to %s" % sorted(r for r, _ in got))
    for _, m in got:
        check_post(m, "[south-south] Propuesta de taller")
        check("Propongo un taller." in ti.body(m), "post text")
    copies = dict(got)

    # 3. Kim answers her copy, to the list (its Reply-To): proven by the
    # token in In-Reply-To, it goes at once to the other four, once each.
    kim = copies["kim@gov.example.bb"]
    check(kim["Reply-To"].addresses[0].addr_spec == LIST, "Reply-To %s" % kim["Reply-To"])
    dc.deliver("agenda+south-south", tr.rfc822([
        ("From", "Kim <kim@gov.example.bb>"), ("To", LIST),
        ("Subject", "Re: " + str(kim["Subject"])), ("Message-ID", "<k1@bb>"),
        ("In-Reply-To", kim["Message-ID"]), ("References", kim["Message-ID"]),
        ("Date", email.utils.formatdate()), ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8")], "Me sumo.\r\n"))
    ws.convened("once", now="2021-03-02T13:10:00Z")
    got = sent(smtp, seen, "post")
    check(sorted(r for r, _ in got) == [m for m in MEMBERS if m != "kim@gov.example.bb"],
          "Kim's reply to %s" % sorted(r for r, _ in got))
    for r, m in got:
        check_post(m, "Re: [south-south] Propuesta de taller")
        check(m["In-Reply-To"] == copies[r]["Message-ID"],
              "%s's In-Reply-To %s is not their copy %s" % (r, m["In-Reply-To"],
                                                           copies[r]["Message-ID"]))
        check(m["Cc"].addresses[0].addr_spec == "kim@gov.example.bb", "author in Cc")

    # 4. Loops: a relayed post coming back, an out-of-office to one.
    back = [raw for rcpts, _, raw in smtp.messages() if rcpts == ["joao@mds.example.br"]][-1]
    dc.deliver("agenda+south-south", back)
    dc.deliver("agenda+south-south", post(
        "joao@mds.example.br", "ooo@br", "Ausente: [south-south] Propuesta", "Estoy de viaje.",
        extra=[("Auto-Submitted", "auto-replied"), ("In-Reply-To", got[0][1]["Message-ID"])]))
    ws.convened("once", now="2021-03-02T13:20:00Z")
    check(not ti.new_messages(smtp, seen, everything=True), "a loop relayed something")

    # 5. Another outsider, rejected: it never goes out.
    dc.deliver("agenda+south-south", post("spam@spam.example", "s1@spam", "Oferta", "Compre."))
    ws.convened("once", now="2021-03-02T15:00:00Z")
    asked = dict(sent(smtp, seen, "list-moderation"))
    check(sorted(asked) == COORDINATORS, "second requests to %s" % sorted(asked))
    req = asked["luis@cepal.example.org"]
    dc.deliver(req["Reply-To"].addresses[0].addr_spec.split("@")[0],
               tr.reply_to(req, "luis@cepal.example.org", "l1@cepal", "RECHAZAR"))
    ws.convened("once", now="2021-03-02T15:10:00Z")
    ws.convened("once", now="2021-03-02T17:10:00Z")
    check(not of_kind(ti.new_messages(smtp, seen, everything=True), "post"),
          "a rejected post went out")

    # The approved post and Kim's reply are archived for members.
    ws.convened("once", now="2021-03-02T18:00:00Z")
    arch = os.path.join(ws.dir, "repository", "south-south", "list")
    mbox = open(os.path.join(arch, "2021-03.mbox"), "rb").read()
    check(mbox.count(b"\nFrom ") + mbox.startswith(b"From ") == 2, "archive holds two posts")
    check(b"Compre." not in mbox, "a rejected post archived")
    check('"members"' in open(os.path.join(arch, "metadata.json")).read(), "dissemination")
    report = ws.convened("report", "--year", "2021", "--format", "json",
                         now="2021-03-02T18:00:00Z").stdout
    check('"list_posts": {"2021-03": 2}' in report, "report counts posts by month")
    # Each archive write a commit by the post's author, none recovered.
    log = check_journaled(os.path.join(ws.dir, "repository"))
    lists = [(c["author"], re.search(r"^Message-ID: (.*)$", c["message"], re.M).group(1))
             for c in log if c["kind"] == "list"]
    check(lists == [("Kim Clarke <kim@gov.example.bb>", "<k1@bb>"),
                    ("pedro@ong.example.org <pedro@ong.example.org>", "<p1@ong>")],
          "list archive commits %s" % lists)

    # 6. Marie goes on holiday (NOMAIL), João reads by digest (RESUMO),
    # each by replying to their copy: Kim's next post reaches Ana and
    # Luis alone; João gets it in his digest a day later.
    for who, word, mid in (("marie@gouv.example.ht", "NOMAIL", "m-nomail@ht"),
                           ("joao@mds.example.br", "Resumo", "j-digest@br")):
        mine = copies[who]
        dc.deliver("agenda+south-south", tr.rfc822([
            ("From", who), ("To", LIST), ("Subject", "Re: " + str(mine["Subject"])),
            ("Message-ID", "<%s>" % mid), ("In-Reply-To", mine["Message-ID"]),
            ("Date", email.utils.formatdate()), ("MIME-Version", "1.0"),
            ("Content-Type", "text/plain; charset=UTF-8")], word + "\r\n"))
    ws.convened("once", now="2021-03-02T19:00:00Z")
    told = dict(sent(smtp, seen, "list-delivery"))
    check(sorted(told) == ["joao@mds.example.br", "marie@gouv.example.ht"],
          "delivery answers to %s" % sorted(told))
    check("RESUMO" in ti.body(told["joao@mds.example.br"]) or
          "DIGEST" in ti.body(told["joao@mds.example.br"]), "digest answer")
    dc.deliver("agenda+south-south", tr.rfc822([
        ("From", "kim@gov.example.bb"), ("To", LIST), ("Subject", "Re: " + str(kim["Subject"])),
        ("Message-ID", "<k2@bb>"), ("In-Reply-To", kim["Message-ID"]),
        ("Date", email.utils.formatdate()), ("MIME-Version", "1.0"),
        ("Content-Type", "text/plain; charset=UTF-8")], "Otra idea.\r\n"))
    ws.convened("once", now="2021-03-02T19:10:00Z")
    got = sorted(r for r, _ in sent(smtp, seen, "post"))
    check(got == COORDINATORS, "post with NOMAIL and DIGEST to %s" % got)
    ws.convened("once", now="2021-03-03T19:30:00Z")
    digests = dict(sent(smtp, seen, "list-digest"))
    check(sorted(digests) == ["joao@mds.example.br"], "digests to %s" % sorted(digests))
    check("Otra idea." in ti.body(digests["joao@mds.example.br"]), "digest text")

    # 7. A flood: 1,000 posts from outside cost each coordinator one
    # request, and no more while it is undecided.
    for i in range(1000):
        dc.deliver_file("agenda", "INBOX", post("bot%d@flood.example" % i, "f%d@flood" % i,
                                                "Oferta %d" % i, "Compre ya."))
    ws.convened("once", now="2021-03-04T12:00:00Z")
    ws.convened("once", now="2021-03-04T14:00:00Z")
    msgs = ti.new_messages(smtp, seen, everything=True)
    asked = sent_of(msgs, "list-moderation")
    check(sorted(r for r, _ in asked) == COORDINATORS, "flood: requests to %s" % asked)
    check(not of_kind(msgs, "post"), "flood: a post went out")
    check(len(msgs) == 2, "flood: %d messages" % len(msgs))
    text = ti.body(dict(asked)["ana@mides.example.uy"])
    check("980" in text, "flood: the request says how many more wait")
    st = ws.status("2021-03-04T14:00:00Z", "south-south")["groups"][0]
    check(st["list"]["held"] == 1000 and st["list"]["posts"] == 3,
          "status list %s" % st["list"])


def sent_of(msgs, kind):
    return [(rcpts[0], msg) for rcpts, msg, _ in of_kind(msgs, kind)]


if __name__ == "__main__":
    try:
        sys.exit(run("lists", test))
    except Failure as e:
        print("FAIL: %s" % e)
        sys.exit(1)
