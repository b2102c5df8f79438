#!/usr/bin/python3
"""A year of `make demo` traffic over OAuth 2.0, with access tokens that
expire every few seconds: issue 13's "done when".  Not part of
`make check` (it takes minutes); run it by hand:

    /usr/bin/python3 tests/integration/oauth_year.py [--lifetime 2]

scripts/demo.py's year (the example groups, people answering from their
own mailboxes, agendas, minutes) runs unchanged, except that convened
signs in to Dovecot (oauth2 passdb) and to a submission server of its own
with SASL XOAUTH2, both asking tokenserver.py's introspection endpoint
about every token, and tokenserver.py gives out access tokens that live
--lifetime seconds and a new refresh token at every refresh.  The people
still post their replies through the demo's open relay.

At the end it checks, and prints, that every message convened queued was
accepted by the submission server exactly once (by Message-ID), that no
row is left pending, sending or failed, that no reply is left unread in
the organizer's mailbox, and how many refreshes, refused logins and
retries the year took.  Exit 0 when all holds."""

import argparse
import asyncio
import base64
import collections
import functools
import json
import os
import smtplib
import sqlite3
import sys
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import demo  # noqa: E402
import dovecot  # noqa: E402
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult, MISSING  # noqa: E402
from lib import start_helper, stop_process  # noqa: E402


class Submission:
    """convened's submission server: XOAUTH2 only, each token asked about
    at the introspection endpoint; what it takes goes into Dovecot by
    LMTP, and every Message-ID is counted."""

    def __init__(self, dc, introspect):
        self.dc = dc
        self.introspect = introspect
        self.ids = collections.Counter()
        self.auth = collections.Counter()

    async def auth_XOAUTH2(self, server, args):
        raw = base64.b64decode(args[1]) if len(args) > 1 else \
            await server.challenge_auth("")
        if raw is MISSING:
            return AuthResult(success=False, handled=True)
        f = dict(x.split("=", 1) for x in raw.decode().split("\x01") if "=" in x)
        token = f.get("auth", "")[len("Bearer "):]
        data = urllib.parse.urlencode({"token": token}).encode()
        loop = asyncio.get_running_loop()
        ans = await loop.run_in_executor(None, lambda: json.load(
            urllib.request.urlopen(self.introspect, data, timeout=10)))
        ok = ans.get("active") is True and ans.get("username") == f.get("user")
        self.auth["ok" if ok else "refused"] += 1
        if ok:
            return AuthResult(success=True, auth_data=f.get("user"))
        await server.challenge_auth(json.dumps({"status": "invalid_token"}))
        return AuthResult(success=False, handled=False)

    async def handle_DATA(self, server, session, envelope):
        msg = envelope.original_content
        for line in msg.split(b"\r\n"):
            if line.lower().startswith(b"message-id:"):
                self.ids[line.split(b":", 1)[1].strip().decode()] += 1
                break
        with smtplib.LMTP("127.0.0.1", self.dc.lmtp_port, timeout=30) as lmtp:
            lmtp.sendmail(envelope.mail_from, envelope.rcpt_tos, msg)
        return "250 OK"


class OAuthDemo(demo.Demo):
    def __init__(self, lifetime):
        super().__init__()
        self.lifetime = lifetime

    def start(self):
        tdir = os.path.join(self.work, "tokens")
        os.makedirs(tdir)
        self.tokens, port = start_helper(
            ["/usr/bin/python3", os.path.join(HERE, "tokenserver.py"),
             "--port-file", os.path.join(tdir, "port"), "--dir", tdir,
             "--lifetime", str(self.lifetime)],
            os.path.join(tdir, "port"), os.path.join(tdir, "out"))
        self.turl = "http://127.0.0.1:%d" % port
        self.tdir = tdir
        # The demo's Dovecot, with its oauth2 passdb beside the passwords.
        demo.Dovecot = functools.partial(dovecot.Dovecot,
                                         oauth_introspect=self.turl + "/introspect")
        super().start()
        self.sub = Submission(self.dc, self.turl + "/introspect")
        self.sub_port = demo.free_port()
        self.subd = Controller(self.sub, hostname="127.0.0.1", port=self.sub_port,
                               auth_required=True, auth_require_tls=False)
        self.subd.start()
        rt = self.post("/control/issue", user=demo.ORGANIZER)["refresh_token"]
        path = os.path.join(self.work, "oauth.token")
        with open(path, "w") as f:
            f.write(rt + "\n")
        os.chmod(path, 0o600)
        text = open(self.config, encoding="utf-8").read()
        text = text.replace("[smtp]\nurl = smtp://127.0.0.1:%d\n" % self.smtp_port,
                            "[smtp]\nurl = smtp://127.0.0.1:%d\nauth = xoauth2\n"
                            "username = %s\n" % (self.sub_port, demo.ORGANIZER))
        text = text.replace("password_file = ./imap.pass\n", "auth = xoauth2\n")
        text += ("\n[oauth]\nprovider = custom\ntoken_url = %s/token\n"
                 "client_id = convened-test\nrefresh_token_file = %s\n"
                 % (self.turl, path))
        with open(self.config, "w", encoding="utf-8") as f:
            f.write(text)
        self.logs = []

    def post(self, path, **form):
        data = urllib.parse.urlencode(form).encode()
        return json.load(urllib.request.urlopen(self.turl + path, data, timeout=10))

    def convened(self, *args, now=None, show=False):
        p = super().convened(*args, now=now, show=show)
        self.logs.append(p.stderr)
        return p

    def stop(self):
        try:
            if getattr(self, "subd", None) is not None:
                self.subd.stop()
            if getattr(self, "tokens", None) is not None:
                stop_process(self.tokens)
        finally:
            super().stop()

    def verify(self):
        db = sqlite3.connect(os.path.join(self.work, "state.db"))
        rows = dict(db.execute("SELECT state, count(*) FROM outbox GROUP BY state"))
        sent = {r[0] for r in db.execute("SELECT message_id FROM outbox WHERE state = 'sent'")}
        got = {m.strip("<>") for m in self.sub.ids}
        twice = [m for m, n in self.sub.ids.items() if n > 1]
        unread = [m for m in self.dc.messages(demo.ORGANIZER, "INBOX")
                  if "S" not in m["flags"]]
        stats = json.load(urllib.request.urlopen(self.turl + "/control/stats"))
        log = "".join(self.logs)
        out = {
            "outbox": rows,
            "accepted_by_server": sum(self.sub.ids.values()),
            "distinct_accepted": len(self.sub.ids),
            "sent_twice": len(twice),
            "sent_rows_not_received": len(sent - got),
            "received_not_sent_rows": len(got - sent),
            "unread_replies": len(unread),
            "convened_runs": len(self.logs),
            "refresh_grants": stats["refresh"],
            "access_tokens_issued": stats["issued_access"],
            "introspections": stats["introspect_ok"] + stats["introspect_bad"],
            "smtp_logins": dict(self.sub.auth),
            "imap_token_refused": stats["introspect_bad"] - self.sub.auth["refused"],
            "retries": log.count("refused the access token from an earlier cycle"),
            "authorize_lines": log.count("run convened authorize"),
            "token_failures": log.count("cannot get an access token"),
        }
        ok = (not twice and not (sent - got) and not (got - sent) and
              set(rows) <= {"sent"} and not unread and out["authorize_lines"] == 0)
        return ok, out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--lifetime", type=int, default=2)
    a = ap.parse_args()
    if not os.access(demo.CONVENED, os.X_OK):
        raise SystemExit("build convened first (make)")
    d = OAuthDemo(a.lifetime)
    try:
        d.start()
        d.run()
        ok, out = d.verify()
    finally:
        d.stop()
    print("\n== OAuth year (access tokens of %d s)" % a.lifetime)
    for k, v in out.items():
        print("  %-24s %s" % (k, v))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
