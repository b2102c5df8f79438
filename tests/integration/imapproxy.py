#!/usr/bin/python3
"""A fault-injecting TCP proxy between convened and an IMAP server.

    /usr/bin/python3 tests/integration/imapproxy.py --upstream PORT \
        --port-file F --modes FILE [--log FILE]

It listens on 127.0.0.1, on a port the kernel picks, writes that port
(decimal, newline) to F atomically once it accepts connections, and
forwards every connection to 127.0.0.1:PORT.  SIGTERM or SIGINT stop it
(exit 0).

FILE holds a JSON object, re-read at every new connection (a test
rewrites it between runs: write a temporary file and rename it); a missing
or empty file means "pass".  Keys:

    "mode": "pass"             forward both ways, untouched
            "drop_mid_fetch"   forward a message's FETCH response until
                               "bytes" (default 64) bytes of its BODY[]
                               literal have gone to the client, then close
                               both sides
            "stall"            stop forwarding server -> client "at":
                               "login" (once the client sends its first
                               command after logging in, e.g. SELECT) or
                               "fetch" (once it asks for a message body);
                               the connection stays open, silent, for
                               "seconds" (default 60) or until the client
                               gives up
            "refuse"           answer the client's commands whose verb
                               (after "UID") is "verb" (e.g. "MOVE") with
                               "<tag> NO [CANNOT] refused by imapproxy"
                               instead of passing them on
    "bytes", "at", "seconds", "verb"   as above

--log FILE gets one JSON object per line: {"event": "connect", "conn": N,
"mode": ...}, {"event": "fault", "conn": N, "what": ...} when a fault
fires, {"event": "command", "conn": N, "line": "A5 UID EXPUNGE 3"} for
every client command (login data is never written), and {"event":
"close", "conn": N}.  The stream is parsed literal-aware in both
directions, so bytes inside a message never count as commands or
responses.
"""

import argparse
import asyncio
import json
import os
import re
import signal
import sys

args = None
conn_counter = 0
LITERAL = re.compile(rb"\{(\d+)\+?\}\r?\n$")
FETCH_BODY = re.compile(rb"^\* \d+ FETCH .*BODY\[\](<\d+>)? \{(\d+)\}\r?\n$",
                        re.IGNORECASE)
LOGIN_VERBS = {b"CAPABILITY", b"LOGIN", b"AUTHENTICATE", b"STARTTLS", b"ID",
               b"NOOP"}


def log_event(obj):
    if not args.log:
        return
    with open(args.log, "a") as fp:
        fp.write(json.dumps(obj, separators=(",", ":")) + "\n")


def modes():
    try:
        with open(args.modes) as fp:
            text = fp.read()
    except (FileNotFoundError, TypeError):
        return {"mode": "pass"}
    if not text.strip():
        return {"mode": "pass"}
    m = json.loads(text)
    m.setdefault("mode", "pass")
    return m


class Conn:
    def __init__(self, reader, writer):
        global conn_counter
        conn_counter += 1
        self.id = conn_counter
        self.creader, self.cwriter = reader, writer
        self.m = modes()
        self.logged_in = False
        self.stalled = asyncio.Event()
        self.closed = asyncio.Event()

    def close(self):
        if self.closed.is_set():
            return
        self.closed.set()
        for w in (self.cwriter, getattr(self, "uwriter", None)):
            if w is not None:
                try:
                    w.close()
                except Exception:
                    pass

    def start_stall(self, why):
        if not self.stalled.is_set():
            self.stalled.set()
            log_event({"event": "fault", "conn": self.id,
                       "what": "stall " + why})

    async def run(self):
        log_event({"event": "connect", "conn": self.id, "mode": self.m})
        try:
            self.ureader, self.uwriter = await asyncio.open_connection(
                "127.0.0.1", args.upstream)
        except OSError:
            self.close()
            return
        tasks = [asyncio.ensure_future(self.client_to_server()),
                 asyncio.ensure_future(self.server_to_client()),
                 asyncio.ensure_future(self.closed.wait())]
        await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        if self.stalled.is_set() and not self.closed.is_set():
            # silent: hold the client until it gives up or time runs out
            try:
                await asyncio.wait_for(self.client_eof(),
                                       float(self.m.get("seconds", 60)))
            except asyncio.TimeoutError:
                pass
        self.close()
        for t in tasks:
            t.cancel()
        log_event({"event": "close", "conn": self.id})

    async def client_eof(self):
        while await self.creader.read(65536):
            pass

    async def client_to_server(self):
        r, w = self.creader, self.uwriter
        while True:
            line = await r.readline()
            if not line:
                return
            words = line.split()
            cmd = words[1:] if len(words) > 1 else []
            verb = cmd[0].upper() if cmd else b""
            if verb == b"UID" and len(cmd) > 1:
                verb = cmd[1].upper()
            known = len(words) > 1 and (verb.isalpha() or verb == b"")
            if known and verb in (b"LOGIN", b"AUTHENTICATE"):
                log_event({"event": "command", "conn": self.id,
                           "line": (words[0] + b" " + verb).decode(
                               "ascii", "replace")})
            elif known:
                log_event({"event": "command", "conn": self.id,
                           "line": line.rstrip(b"\r\n").decode(
                               "ascii", "replace")})
            mode = self.m["mode"]
            if known and verb not in LOGIN_VERBS:
                self.logged_in = True
                if mode == "stall" and self.m.get("at", "login") == "login":
                    self.start_stall("after login, at " + verb.decode())
            if (known and mode == "stall" and self.m.get("at") == "fetch"
                    and verb == b"FETCH" and b"BODY" in line.upper()):
                self.start_stall("at FETCH")
            if (known and mode == "refuse" and
                    verb == self.m.get("verb", "MOVE").upper().encode()):
                log_event({"event": "fault", "conn": self.id,
                           "what": "refused " + verb.decode()})
                self.cwriter.write(words[0] +
                                   b" NO [CANNOT] refused by imapproxy\r\n")
                await self.cwriter.drain()
                continue
            w.write(line)
            m = LITERAL.search(line)
            if m:
                w.write(await r.readexactly(int(m.group(1))))
            await w.drain()

    async def server_to_client(self):
        r, w = self.ureader, self.cwriter
        while True:
            if self.stalled.is_set():
                return
            line = await r.readline()
            if not line:
                return
            if self.stalled.is_set():
                return
            m = LITERAL.search(line)
            fetch = FETCH_BODY.match(line)
            w.write(line)
            if m:
                n = int(m.group(1))
                if fetch and self.m["mode"] == "drop_mid_fetch":
                    cut = min(int(self.m.get("bytes", 64)), max(n - 1, 0))
                    w.write(await r.readexactly(cut))
                    await w.drain()
                    log_event({"event": "fault", "conn": self.id,
                               "what": "dropped after %d of %d literal bytes"
                               % (cut, n)})
                    self.close()
                    return
                w.write(await r.readexactly(n))
            await w.drain()


async def handle(reader, writer):
    c = Conn(reader, writer)
    try:
        await c.run()
    except (ConnectionError, asyncio.IncompleteReadError):
        c.close()


async def serve():
    loop = asyncio.get_running_loop()
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    stop = loop.create_future()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, lambda: stop.done() or
                                stop.set_result(None))
    with open(args.port_file + ".tmp", "w") as fp:
        fp.write("%d\n" % port)
    os.rename(args.port_file + ".tmp", args.port_file)
    await stop
    server.close()


def main():
    global args
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--upstream", type=int, required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--modes")
    ap.add_argument("--log")
    args = ap.parse_args()
    asyncio.run(serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
