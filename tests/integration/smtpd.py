#!/usr/bin/python3
"""A test SMTP server for convened, with fault injection.

Run it with Debian's interpreter, which has python3-aiosmtpd:

    /usr/bin/python3 tests/integration/smtpd.py --port-file F --maildir DIR \
        [--pid-file P] [--faults FILE] [--auth USER:PASS]
        [--tls-cert CERT --tls-key KEY [--implicit-tls]]

It listens on 127.0.0.1, on a free port the kernel picks, and writes that
port (decimal, newline) to F once it accepts connections; F appears
atomically, so a reader that sees it sees the whole number.  SIGTERM or
SIGINT stop it cleanly (exit 0); the port and pid files are removed.

Accepted messages are stored byte-exact (as the client meant them, dot-
stuffing undone) in the Maildir DIR: written to DIR/tmp, then renamed into
DIR/new under a standard unique name.  Nothing is added to the message.

DIR/log.jsonl gets one JSON object per line, flushed as it happens, keys in
this order, no spaces (so a C test can grep it):

    {"event":"connect","conn":N}
    {"event":"message","conn":N,"mail_from":"a@x","rcpt_tos":["b@y"],
     "file":"<name in new/>","size":BYTES}
    {"event":"disconnect","conn":N,"quit":true|false,"messages":K}

N counts connections from 1, so the number of "connect" lines is the
number of connections seen.

--tls-cert CERT --tls-key KEY offer STARTTLS and require it before MAIL;
with --implicit-tls the port speaks TLS from the first byte (smtps).

--auth USER:PASS offers AUTH PLAIN and LOGIN over plain text (loopback
only, auth_require_tls off) and requires authentication before MAIL.
Without it the server advertises AUTH but accepts MAIL without it.

--oauth-introspect URL --oauth-user USER offers AUTH XOAUTH2 and
OAUTHBEARER (RFC 7628) too and requires authentication before MAIL: the
bearer token is good when the RFC 7662 introspection endpoint URL
(tokenserver.py) says it is active for USER, and the SASL message names
USER.  A refused token gets the RFC 7628 error challenge (334 with a JSON
status), then, whatever the client answers, 535.  Each attempt is logged:

    {"event":"auth","conn":N,"mechanism":"XOAUTH2","user":"u","ok":true}

Faults.  --faults FILE names a JSON object that is re-read before every
reply, so a test may rewrite it between sends (write a temporary file and
rename it).  A missing or empty file means no faults.  Keys:

    "connect"  ACTION  instead of the 220 greeting
    "ehlo"     ACTION  instead of the EHLO reply
    "auth"     ACTION  instead of judging the credentials
    "mail"     ACTION  instead of the MAIL FROM reply
    "rcpt"     {"addr@x": ACTION, "*": ACTION}   per recipient ("*": any)
    "data"     ACTION  instead of 354 to DATA
    "eod"      ACTION  instead of 250 after the message (it is not stored)
    "quit"     ACTION  instead of 221 to QUIT
    "disconnect_in_data": true   answer 354, read one line of the message,
                                 then close the connection without a reply

An ACTION is either a reply line, e.g. "550 5.1.1 no such user", or an
object with any of
    "stall": SECONDS     sleep first (other connections are not blocked)
    "reply": "NNN text"  then send this reply
    "disconnect": true   then close the connection (after the reply if any)
An object with only "stall" sleeps and then behaves normally.  A reply
beginning with 421 also closes the connection, as RFC 5321 says.
Example:

    {"rcpt": {"bad@example.org": "550 5.1.1 no such user",
              "later@example.org": "451 4.3.0 try later"},
     "data": "452 4.3.1 full",
     "mail": {"stall": 5}}
"""

import argparse
import asyncio
import base64
import binascii
import json
import logging
import os
import re
import signal
import socket
import ssl
import sys
import time
import urllib.parse
import urllib.request
import warnings

from aiosmtpd.smtp import MISSING, SMTP, AuthResult, LoginPassword

args = None
conn_counter = 0
msg_counter = 0


def log_event(obj):
    line = json.dumps(obj, separators=(",", ":")) + "\n"
    with open(os.path.join(args.maildir, "log.jsonl"), "a") as fp:
        fp.write(line)
        fp.flush()


def faults():
    if not args.faults:
        return {}
    try:
        with open(args.faults) as fp:
            text = fp.read()
    except FileNotFoundError:
        return {}
    if not text.strip():
        return {}
    return json.loads(text)


def store(content):
    global msg_counter
    msg_counter += 1
    now = time.time()
    name = "%d.M%dP%dQ%d.%s" % (int(now), int((now % 1) * 1e6), os.getpid(),
                                msg_counter, socket.gethostname())
    tmp = os.path.join(args.maildir, "tmp", name)
    with open(tmp, "wb") as fp:
        fp.write(content)
        fp.flush()
        os.fsync(fp.fileno())
    os.rename(tmp, os.path.join(args.maildir, "new", name))
    return name


class Handler:
    async def handle_exception(self, error):
        # one line, not aiosmtpd's traceback: failed TLS handshakes are
        # part of the tests
        cause = error.__cause__ or error
        print("smtpd.py: session error: %s: %s" % (type(cause).__name__,
              cause), file=sys.stderr)
        return "421 4.3.0 session error"

    async def handle_DATA(self, server, session, envelope):
        status = await server.fault("eod", as_status=True)
        if isinstance(status, str):
            return status
        if status:
            # the connection is closed; aiosmtpd's reply goes nowhere
            return "250 not reached"
        content = envelope.original_content
        name = store(content)
        server.messages += 1
        log_event({"event": "message", "conn": server.conn_id,
                   "mail_from": envelope.mail_from,
                   "rcpt_tos": envelope.rcpt_tos,
                   "file": name, "size": len(content)})
        return "250 2.0.0 OK %s" % name


def authenticator(server, session, envelope, mechanism, auth_data):
    # Faults for AUTH are handled in smtp_AUTH below; this judges only.
    if not isinstance(auth_data, LoginPassword) or not args.auth:
        return AuthResult(success=False, handled=False)
    ok = (auth_data.login.decode() == args.auth_user and
          auth_data.password.decode() == args.auth_pass)
    if ok:
        return AuthResult(success=True, auth_data=auth_data)
    # handled=False: smtp_AUTH answers 535 5.7.8 itself
    return AuthResult(success=False, handled=False)


class FaultySMTP(SMTP):
    def __init__(self, *a, **kw):
        super().__init__(*a, **kw)
        global conn_counter
        conn_counter += 1
        self.conn_id = conn_counter
        self.messages = 0
        self.quit = False
        self.closed_logged = False

    def connection_made(self, transport):
        first = self.transport is None
        super().connection_made(transport)
        if first:
            log_event({"event": "connect", "conn": self.conn_id})

    def connection_lost(self, error):
        if not self.closed_logged:
            self.closed_logged = True
            log_event({"event": "disconnect", "conn": self.conn_id,
                       "quit": self.quit, "messages": self.messages})
        super().connection_lost(error)

    async def run_action(self, action, as_status=False):
        """Carry out ACTION; True when it replaced the normal reply.  With
        as_status, a reply is returned for aiosmtpd to send instead."""
        if action is None:
            return False
        if isinstance(action, str):
            action = {"reply": action}
        if action.get("stall"):
            await asyncio.sleep(float(action["stall"]))
        if self.transport is None:
            return True
        reply = action.get("reply")
        close = action.get("disconnect") or (reply or "").startswith("421")
        if as_status and reply and not close:
            return reply
        if reply:
            await self.push(reply)
        if close:
            self.transport.close()
        return bool(reply or close)

    async def fault(self, key, sub=None, as_status=False):
        f = faults().get(key)
        if sub is not None and isinstance(f, dict):
            f = f.get(sub, f.get("*"))
        elif sub is not None:
            f = None
        return await self.run_action(f, as_status)

    async def _handle_client(self):
        if await self.fault("connect"):
            return
        await super()._handle_client()

    async def smtp_EHLO(self, hostname):
        if await self.fault("ehlo"):
            return
        await super().smtp_EHLO(hostname)

    async def smtp_AUTH(self, arg):
        if await self.fault("auth"):
            return
        await super().smtp_AUTH(arg)

    async def auth_XOAUTH2(self, _, arg):
        return await self.bearer("XOAUTH2", arg)

    async def auth_OAUTHBEARER(self, _, arg):
        return await self.bearer("OAUTHBEARER", arg)

    async def bearer(self, mechanism, arg):
        """XOAUTH2: user=U^Aauth=Bearer T^A^A; OAUTHBEARER (RFC 7628):
        n,a=U,^Ahost=H^Aport=P^Aauth=Bearer T^A^A."""
        if len(arg) > 1:
            try:
                raw = base64.b64decode(arg[1], validate=True)
            except binascii.Error:
                return AuthResult(success=False, handled=False)
        else:
            raw = await self.challenge_auth("")
            if raw is MISSING:
                return AuthResult(success=False, handled=True)
        fields = raw.decode(errors="replace").split("\x01")
        user = token = None
        for f in fields:
            if f.startswith("user="):
                user = f[5:]
            elif f.startswith("n,a=") or f.startswith("y,a="):
                user = f[4:].rstrip(",")
            elif f.startswith("auth=Bearer "):
                token = f[12:]
        ok = (user == args.oauth_user and token is not None and
              await asyncio.get_running_loop().run_in_executor(
                  None, introspect, token))
        log_event({"event": "auth", "conn": self.conn_id,
                   "mechanism": mechanism, "user": user, "ok": ok})
        if ok:
            return AuthResult(success=True, auth_data=user)
        status = json.dumps({"status": "invalid_token", "schemes": "bearer",
                             "scope": "mail"})
        if await self.challenge_auth(status) is MISSING:
            return AuthResult(success=False, handled=True)
        return AuthResult(success=False, handled=False)

    async def smtp_MAIL(self, arg):
        if await self.fault("mail"):
            return
        await super().smtp_MAIL(arg)

    async def smtp_RCPT(self, arg):
        m = re.search(r"<([^>]*)>", arg or "")
        addr = m.group(1).lower() if m else ""
        if await self.fault("rcpt", addr):
            return
        await super().smtp_RCPT(arg)

    async def smtp_DATA(self, arg):
        f = faults()
        if f.get("disconnect_in_data") and self.envelope.rcpt_tos:
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            await self._reader.readline()
            self.transport.close()
            return
        if await self.fault("data"):
            return
        await super().smtp_DATA(arg)

    async def smtp_QUIT(self, arg):
        self.quit = True
        if await self.fault("quit"):
            return
        await super().smtp_QUIT(arg)


def introspect(token):
    data = urllib.parse.urlencode({"token": token}).encode()
    try:
        with urllib.request.urlopen(args.oauth_introspect, data, timeout=10) as r:
            return json.load(r).get("active") is True
    except OSError:
        return False


async def serve():
    loop = asyncio.get_running_loop()
    kw = {"decode_data": False, "hostname": "smtpd.test",
          "auth_require_tls": False}
    if args.auth or args.oauth_introspect:
        kw["authenticator"] = authenticator
        kw["auth_required"] = True
    if not args.oauth_introspect:
        kw["auth_exclude_mechanism"] = ["XOAUTH2", "OAUTHBEARER"]
    ssl_ctx = None
    if args.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        if args.implicit_tls:
            ssl_ctx = ctx
        else:
            kw["tls_context"] = ctx
            kw["require_starttls"] = True
    server = await loop.create_server(
        lambda: FaultySMTP(Handler(), **kw), "127.0.0.1", 0, ssl=ssl_ctx)
    port = server.sockets[0].getsockname()[1]

    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or
                                stop.set_result(None))

    for path, text in ((args.pid_file, "%d\n" % os.getpid()),
                       (args.port_file, "%d\n" % port)):
        if path:
            with open(path + ".tmp", "w") as fp:
                fp.write(text)
            os.rename(path + ".tmp", path)

    await stop
    server.close()
    for path in (args.port_file, args.pid_file):
        if path:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass


def main():
    global args
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--maildir", required=True)
    ap.add_argument("--pid-file")
    ap.add_argument("--faults")
    ap.add_argument("--auth", metavar="USER:PASS")
    ap.add_argument("--oauth-introspect", metavar="URL")
    ap.add_argument("--oauth-user", default="agenda")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--implicit-tls", action="store_true")
    args = ap.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if args.auth:
        if ":" not in args.auth:
            ap.error("--auth wants USER:PASS")
        args.auth_user, args.auth_pass = args.auth.split(":", 1)
    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(args.maildir, sub), exist_ok=True)
    # aiosmtpd warns about AUTH without TLS; on loopback that is the point.
    warnings.simplefilter("ignore")
    logging.getLogger("mail.log").setLevel(logging.ERROR)
    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
