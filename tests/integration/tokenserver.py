#!/usr/bin/python3
"""A small OAuth 2.0 provider for the tests, on 127.0.0.1.

    /usr/bin/python3 tests/integration/tokenserver.py --port-file F --dir D
        [--lifetime SECONDS] [--no-rotate] [--interval SECONDS]

It listens on a free port and writes it to F (atomically) once it serves.
Its state lives in memory; D/log.jsonl gets one JSON object a request
({"path", "grant", "status"}, never a token), so tests can count refreshes;
D/issued.txt gets every token it issues, one a line, so tests can look for
them where they must not be (logs, status).

Endpoints, as a provider has them:
  POST /token       grant_type refresh_token (the refresh token must be the
                    latest issued and not revoked; with rotation, the
                    default, each use issues a new one and the old one is
                    dead at once), authorization_code (PKCE S256 checked,
                    redirect_uri must match), and
                    urn:ietf:params:oauth:grant-type:device_code
                    (authorization_pending until approved, slow_down when
                    polled faster than the interval).  Access tokens live
                    --lifetime seconds (default 5).
  POST /devicecode  RFC 8628 device authorization: interval --interval (1)
  GET  /authorize   approves at once: redirects to redirect_uri with code
                    and state, as a provider does after consent
  POST /introspect  RFC 7662: {"active": bool, "username": user} for
                    Dovecot's oauth2 passdb and smtpd.py
Control, for the tests:
  POST /control/issue     a fresh refresh token for user (form user=...):
                          {"refresh_token": ...}
  POST /control/revoke    every refresh and access token dead
  POST /control/revoke_access   every access token dead, refresh tokens
                          alive (a server-side logout)
  POST /control/approve   approve every pending device code
  POST /control/down      answer 503 to /token (form down=1 or 0)
  POST /control/lifetime  access tokens issued from now on live this long
                          (form seconds=N)
  GET  /control/stats     {"refresh": N, "device": N, "code": N,
                           "introspect_ok": N, "introspect_bad": N,
                           "issued_access": N}
Everything is for user "agenda" unless the grant says otherwise.
"""

import argparse
import base64
import hashlib
import http.server
import json
import os
import secrets
import signal
import sys
import threading
import time
import urllib.parse

args = None
lock = threading.Lock()
state = {
    "refresh": {},      # refresh token -> {"user", "alive"}
    "access": {},       # access token -> {"user", "expires"}
    "device": {},       # device code -> {"user_code", "approved", "last",
                        #                 "interval"}
    "codes": {},        # auth code -> {"challenge", "redirect_uri", "user"}
    "down": False,
    "stats": {"refresh": 0, "device": 0, "code": 0, "introspect_ok": 0,
              "introspect_bad": 0, "issued_access": 0},
}


def log(obj):
    with open(os.path.join(args.dir, "log.jsonl"), "a") as f:
        f.write(json.dumps(obj) + "\n")


def issued(token):
    with open(os.path.join(args.dir, "issued.txt"), "a") as f:
        f.write(token + "\n")
    return token


def new_refresh(user):
    rt = issued("rt-" + secrets.token_urlsafe(24))
    state["refresh"][rt] = {"user": user, "alive": True}
    return rt


def grant(user, rotate_from=None, scope="mail"):
    at = issued("at-" + secrets.token_urlsafe(24))
    state["access"][at] = {"user": user,
                           "expires": time.time() + args.lifetime}
    state["stats"]["issued_access"] += 1
    out = {"access_token": at, "token_type": "Bearer",
           "expires_in": args.lifetime, "scope": scope}
    if rotate_from is None:
        out["refresh_token"] = new_refresh(user)
    elif args.rotate:
        state["refresh"][rotate_from]["alive"] = False
        out["refresh_token"] = new_refresh(user)
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *a):
        pass

    def reply(self, status, obj=None, headers=()):
        body = json.dumps(obj).encode() if obj is not None else b""
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def form(self):
        n = int(self.headers.get("Content-Length") or 0)
        data = self.rfile.read(n).decode()
        return {k: v[0] for k, v in urllib.parse.parse_qs(data).items()}

    def error(self, code, desc, status=400):
        self.reply(status, {"error": code, "error_description": desc})
        return status

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        q = {k: v[0] for k, v in urllib.parse.parse_qs(u.query).items()}
        with lock:
            if u.path == "/control/stats":
                self.reply(200, state["stats"])
            elif u.path == "/authorize":
                self.authorize(q)
            else:
                self.reply(404, {"error": "not_found"})

    def authorize(self, q):
        if q.get("code_challenge_method") != "S256" or not q.get("code_challenge"):
            self.reply(400, {"error": "invalid_request"})
            return
        code = "code-" + secrets.token_urlsafe(16)
        state["codes"][code] = {"challenge": q["code_challenge"],
                                "redirect_uri": q.get("redirect_uri"),
                                "user": "agenda"}
        loc = q["redirect_uri"] + "?" + urllib.parse.urlencode(
            {"code": code, "state": q.get("state", "")})
        self.reply(302, None, [("Location", loc)])

    def do_POST(self):
        path = urllib.parse.urlparse(self.path).path
        f = self.form()
        with lock:
            status = self.route(path, f)
        log({"path": path, "grant": f.get("grant_type"), "status": status})

    def route(self, path, f):
        if path == "/token":
            return self.token(f)
        if path == "/devicecode":
            dc = issued("dc-" + secrets.token_urlsafe(16))
            uc = "%04d-%04d" % (secrets.randbelow(10000), secrets.randbelow(10000))
            state["device"][dc] = {"user_code": uc, "approved": False,
                                   "last": 0, "interval": args.interval}
            self.reply(200, {"device_code": dc, "user_code": uc,
                             "verification_uri": "http://127.0.0.1/device",
                             "expires_in": 60, "interval": args.interval})
            return 200
        if path == "/introspect":
            t = state["access"].get(f.get("token", ""))
            ok = t is not None and t["expires"] > time.time()
            state["stats"]["introspect_ok" if ok else "introspect_bad"] += 1
            self.reply(200, {"active": True, "username": t["user"]} if ok
                       else {"active": False})
            return 200
        return self.control(path, f)

    def control(self, path, f):
        if path == "/control/issue":
            self.reply(200, {"refresh_token": new_refresh(f.get("user", "agenda"))})
        elif path == "/control/revoke":
            for r in state["refresh"].values():
                r["alive"] = False
            state["access"].clear()
            self.reply(200, {})
        elif path == "/control/lifetime":
            args.lifetime = int(f.get("seconds", "5"))
            self.reply(200, {})
        elif path == "/control/revoke_access":
            state["access"].clear()
            self.reply(200, {})
        elif path == "/control/approve":
            for d in state["device"].values():
                d["approved"] = True
            self.reply(200, {})
        elif path == "/control/down":
            state["down"] = f.get("down") == "1"
            self.reply(200, {})
        else:
            self.reply(404, {"error": "not_found"})
            return 404
        return 200

    def token(self, f):
        if state["down"]:
            self.reply(503, {"error": "temporarily_unavailable"})
            return 503
        if f.get("client_id") != "convened-test":
            return self.error("invalid_client", "unknown client", 401)
        g = f.get("grant_type")
        if g == "refresh_token":
            state["stats"]["refresh"] += 1
            r = state["refresh"].get(f.get("refresh_token", ""))
            if r is None or not r["alive"]:
                return self.error("invalid_grant", "refresh token revoked or expired")
            self.reply(200, grant(r["user"], f["refresh_token"]))
            return 200
        if g == "urn:ietf:params:oauth:grant-type:device_code":
            return self.device(f)
        if g == "authorization_code":
            return self.code(f)
        return self.error("unsupported_grant_type", g or "none")

    def device(self, f):
        state["stats"]["device"] += 1
        d = state["device"].get(f.get("device_code", ""))
        if d is None:
            return self.error("expired_token", "unknown device code")
        now = time.time()
        early = now - d["last"] < d["interval"] - 0.2
        d["last"] = now
        if early:
            d["interval"] += 5
            return self.error("slow_down", "polled too fast")
        if not d["approved"]:
            return self.error("authorization_pending", "waiting")
        del state["device"][f["device_code"]]
        self.reply(200, grant("agenda"))
        return 200

    def code(self, f):
        state["stats"]["code"] += 1
        c = state["codes"].pop(f.get("code", ""), None)
        if c is None:
            return self.error("invalid_grant", "unknown code")
        v = f.get("code_verifier", "")
        want = base64.urlsafe_b64encode(hashlib.sha256(v.encode()).digest()) \
            .decode().rstrip("=")
        if want != c["challenge"] or f.get("redirect_uri") != c["redirect_uri"]:
            return self.error("invalid_grant", "PKCE or redirect_uri mismatch")
        self.reply(200, grant(c["user"]))
        return 200


def main():
    global args
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--lifetime", type=int, default=5)
    ap.add_argument("--interval", type=int, default=1)
    ap.add_argument("--no-rotate", dest="rotate", action="store_false")
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    srv.daemon_threads = True
    signal.signal(signal.SIGTERM, lambda *a: threading.Thread(
        target=srv.shutdown).start())
    with open(args.port_file + ".tmp", "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.rename(args.port_file + ".tmp", args.port_file)
    srv.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
