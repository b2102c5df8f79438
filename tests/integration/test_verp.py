"""Envelope senders that name their message (daemon/verp.h), end to end.

convened sends its invitations through a real SMTP server (smtpd.py,
which logs every MAIL FROM); each goes out from its own
agenda+b-ROW-TOKEN@ address, From still the organizer's.  A bounce in a
format convened's reader does not know (`inspect` says so first) is
delivered by LMTP to a real Dovecot at the envelope sender of Kim's
invitation, with the plain organizer address in its To: Dovecot files it
in the organizer's mailbox (plus addressing) and records the address it
reached in Delivered-To, and `once` marks Kim bouncing.  The same notice
at Marie's envelope sender with one letter of the token changed is
refused: Marie is not marked, and the log says why.  `check` names the
plus addressing the mailbox needs."""

import email.utils
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, check, run  # noqa: E402
import test_invitations as ti  # noqa: E402
from test_replies import rfc822, start_servers  # noqa: E402

DOMAIN = ti.DOMAIN
ORG = "agenda@" + DOMAIN


def odd_notice(msgid):
    """A notice no reader of bounce.c knows: no report, no address, no
    phrase it looks for; only who sent it says it is the mail system's."""
    return rfc822([
        ("From", "Postmaster <postmaster@mx.gov.example.bb>"), ("To", ORG),
        ("Subject", "Aviso del servidor"), ("Message-ID", "<%s>" % msgid),
        ("Date", email.utils.formatdate()), ("Return-Path", "<>")],
        "Su mensaje fue rechazado por el servidor de destino.\r\n"
        "Codigo de error interno: 5.1.1\r\n")


def forge(addr):
    """addr with the last letter of its token changed."""
    i = addr.index("@") - 1
    return addr[:i] + ("a" if addr[i] != "a" else "b") + addr[i:][1:]


def test(ws):
    smtp, dc = start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port)
    ws.write_group("10-south-south.ini", ti.group())
    p = ws.convened("check")
    check("must accept plus addressing" in p.stdout + p.stderr,
          "check says nothing of plus addressing:\n" + p.stdout + p.stderr)

    ws.convened("once", now="2021-03-01T12:00:00Z")
    sent = [e for e in smtp.log() if "file" in e]
    check(len(sent) >= 5, "sent %d messages" % len(sent))
    env = {}
    for e in sent:
        a = e["mail_from"]
        check(a.startswith("agenda+b-") and a.endswith("@" + DOMAIN) and
              len(a.split("@")[0]) <= 64, "MAIL FROM %s" % a)
        env.setdefault(e["rcpt_tos"][0], a)
    check(len(set(e["mail_from"] for e in sent)) == len(sent),
          "envelope senders repeat")
    for rcpts, msg, raw in smtp.messages():
        check(email.utils.parseaddr(str(msg["From"]))[1] == ORG,
              "From header %s" % msg["From"])

    notice = odd_notice("odd-1@mx.gov.example.bb")
    path = os.path.join(ws.dir, "odd.eml")
    with open(path, "wb") as f:
        f.write(notice)
    seen = subprocess.run([CONVENED, "inspect", path], capture_output=True, text=True)
    check('"kind": "bounce"' not in seen.stdout,
          "bounce.c reads the test's notice, which must be unknown to it: " + seen.stdout)

    dc.deliver(env["kim@gov.example.bb"], notice, sender="")
    dc.deliver(forge(env["marie@gouv.example.ht"]),
               odd_notice("odd-2@mx.gov.example.bb"), sender="")
    inbox = dc.messages("agenda", "INBOX")
    check(len(inbox) == 2, "Dovecot filed %d of 2" % len(inbox))
    check(any(("Delivered-To: " + env["kim@gov.example.bb"]).encode() in x["data"]
              for x in inbox), "no Delivered-To with the envelope sender:\n%s" %
          inbox[0]["data"][:600])

    now = "2021-03-02T12:00:00Z"
    p = ws.convened("once", now=now)
    g = ws.status(now, "south-south")["groups"][0]
    check(g["bouncing"] == ["kim@gov.example.bb"], "bouncing %s" % g["bouncing"])
    check("odd-1@mx.gov.example.bb" in p.stderr and "kim@gov.example.bb bouncing"
          in p.stderr, "no log line for Kim's bounce:\n" + p.stderr)
    check("odd-2@mx.gov.example.bb" in p.stderr and "does not verify" in p.stderr,
          "forged token not logged:\n" + p.stderr)
    print("envelope senders: %d distinct; bounce attributed, forgery refused" % len(sent))


if __name__ == "__main__":
    sys.exit(run("verp", test))
