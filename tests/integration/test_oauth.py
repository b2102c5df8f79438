"""OAuth 2.0 end to end: convened signs in to a real Dovecot (its oauth2
passdb asking tokenserver.py's introspection endpoint) and to smtpd.py
(XOAUTH2 and OAUTHBEARER, asking the same), with access tokens that live
a few seconds and refresh tokens rotated at every use.

Covers: `convened authorize` through the device flow (slow_down
honoured) and through PKCE with a loopback redirect, driven headless; the
refresh token file replaced atomically, mode 0600, at each rotation; one
refresh shared by IMAP and SMTP; the daemon across several access-token
expiries (refreshed once per expiry, nothing lost or sent twice); a login
refused with a token from an earlier cycle (one refresh, one retry);
OAUTHBEARER; revocation (one log line a cycle, nothing lost, no notice
while SMTP has no token, all sent after authorize), the same with SMTP on
a password (one admin notice per outage); token_command with its
standard error logged; the token endpoint down (backoff); status and
metrics; and no token in any log line, in status or in the metrics."""

import base64
import json
import os
import re
import signal
import stat
import subprocess
import sys
import time
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import (CONVENED, ROOT, Failure, SmtpServer, check, of_kind, run,  # noqa: E402
                 start_helper, stop_process)
from dovecot import Dovecot  # noqa: E402
import test_invitations as ti  # noqa: E402

DOMAIN = ti.DOMAIN
ADMIN = "admin@" + DOMAIN

CONFIG = """\
[daemon]
state = {dir}/state.db
repository = {dir}/repository
groups = groups.d
templates = {root}/templates
timezone = America/Santiago
language = en
tick = 1
metrics = {dir}/convened.prom

[organizer]
name = Secretaría técnica
email = agenda@{domain}

[smtp]
url = smtp://127.0.0.1:{smtp_port}
tls = none
timeout = 10
{smtp_auth}
[imap]
url = imap://127.0.0.1:{imap_port}
username = agenda
auth = {imap_auth}
tls = none
folders = INBOX
poll = 5

[policy]
admin = {admin}

[oauth]
{oauth}
"""

PROVIDER = """\
provider = custom
token_url = http://127.0.0.1:{port}/token
{flow}
client_id = convened-test
refresh_token_file = {dir}/secrets/refresh.token
timeout = 10
"""


class TokenServer:
    def __init__(self, workdir, lifetime=5):
        self.dir = os.path.join(workdir, "tokens")
        os.makedirs(self.dir)
        port_file = os.path.join(self.dir, "port")
        self.proc, self.port = start_helper(
            ["/usr/bin/python3", os.path.join(ROOT, "tests/integration/tokenserver.py"),
             "--port-file", port_file, "--dir", self.dir,
             "--lifetime", str(lifetime)],
            port_file, os.path.join(self.dir, "out"))
        self.url = "http://127.0.0.1:%d" % self.port

    def post(self, path, **form):
        data = urllib.parse.urlencode(form).encode()
        with urllib.request.urlopen(self.url + path, data, timeout=10) as r:
            return json.load(r)

    def stats(self):
        with urllib.request.urlopen(self.url + "/control/stats", timeout=10) as r:
            return json.load(r)

    def issued(self):
        try:
            return [l.strip() for l in open(os.path.join(self.dir, "issued.txt"))
                    if l.strip()]
        except FileNotFoundError:
            return []

    def stop(self):
        stop_process(self.proc)


class Setup:
    """The three servers and a configuration for them; every convened
    output kept, to look for secrets in."""

    def __init__(self, ws):
        self.ws = ws
        self.outputs = []
        self.tokens = TokenServer(ws.dir)
        ws.servers.append(self.tokens)
        self.smtp = SmtpServer(ws.dir, ["--auth", "agenda:secret",
                                        "--oauth-introspect",
                                        self.tokens.url + "/introspect"])
        ws.servers.append(self.smtp)
        os.chmod(ws.dir, 0o711)     # Dovecot's processes read below it
        self.dovecot = Dovecot(os.path.join(ws.dir, "dovecot"),
                               oauth_introspect=self.tokens.url + "/introspect")
        self.dovecot.start()
        ws.servers.append(self.dovecot)
        os.makedirs(os.path.join(ws.dir, "secrets"), mode=0o700)
        with open(os.path.join(ws.dir, "smtp.pass"), "w") as f:
            f.write("secret\n")
        os.chmod(os.path.join(ws.dir, "smtp.pass"), 0o600)
        ws.write_group("south-south.ini", ti.group())
        self.refresh_file = os.path.join(ws.dir, "secrets", "refresh.token")

    def configure(self, imap_auth="xoauth2", smtp_auth="xoauth2", flow="device",
                  command=None):
        if smtp_auth == "password":
            smtp = "auth = password\nusername = agenda\npassword_file = ./smtp.pass\n"
        else:
            smtp = "auth = %s\nusername = agenda\n" % smtp_auth
        if command:
            oauth = "token_command = %s\ntimeout = 5\n" % command
        else:
            oauth = PROVIDER.format(
                port=self.tokens.port, dir=self.ws.dir,
                flow="device_url = http://127.0.0.1:%d/devicecode" % self.tokens.port
                if flow == "device" else
                "authorize_url = http://127.0.0.1:%d/authorize" % self.tokens.port)
        with open(self.ws.config, "w") as f:
            f.write(CONFIG.format(dir=self.ws.dir, root=ROOT, domain=DOMAIN,
                                  smtp_port=self.smtp.port,
                                  imap_port=self.dovecot.imap_port,
                                  smtp_auth=smtp, imap_auth=imap_auth,
                                  admin=ADMIN, oauth=oauth))

    def convened(self, *a, now=None, expect=0):
        p = self.ws.convened(*a, now=now, expect=expect)
        self.outputs.append(p.stdout + p.stderr)
        return p

    def log_lines(self, p):
        return [l for l in p.stderr.splitlines() if l.strip()]

    def secrets_absent(self):
        """No token the provider issued in anything convened wrote."""
        files = [os.path.join(self.ws.dir, "convened.prom")]
        texts = list(self.outputs)
        texts += [open(f, errors="replace").read() for f in files
                  if os.path.exists(f)]
        for t in self.tokens.issued():
            # as it is, and as SASL XOAUTH2 carries it
            sasl = base64.b64encode(("user=agenda\x01auth=Bearer %s\x01\x01"
                                     % t).encode()).decode()
            for text in texts:
                check(t not in text and sasl not in text, "a token (%s...) "
                      "appears in what convened wrote:\n%s" % (t[:6], text[:2000]))
        return len(self.tokens.issued()), len(texts)


def authorize_device(s):
    """convened authorize, the device flow: the person 'enters the code'
    (the test approves it) after a few polls."""
    p = subprocess.Popen([CONVENED, "-v", "-c", s.ws.config, "authorize"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    first = p.stdout.readline() + p.stdout.readline()
    check("enter the code" in first, "authorize said: %r" % first)
    time.sleep(2.5)
    s.tokens.post("/control/approve")
    out, err = p.communicate(timeout=60)
    s.outputs.append(first + out + err)
    check(p.returncode == 0, "authorize exited %d: %s %s" % (p.returncode, out, err))
    check("refresh token written to %s" % s.refresh_file in out, out)
    st = os.stat(s.refresh_file)
    check(stat.S_IMODE(st.st_mode) == 0o600, "mode %o" % stat.S_IMODE(st.st_mode))
    return out + err


def authorize_pkce(s):
    """convened authorize, PKCE: the 'browser' is urllib opening the URL
    it prints, the provider approving and redirecting to convened's
    loopback listener."""
    p = subprocess.Popen([CONVENED, "-c", s.ws.config, "authorize"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = None
    lines = []
    while url is None:
        line = p.stdout.readline()
        check(line != "", "authorize printed no URL: %r" % lines)
        lines.append(line)
        if line.startswith("http://127.0.0.1:%d/authorize?" % s.tokens.port):
            url = line.strip()
    q = urllib.parse.parse_qs(urllib.parse.urlparse(url).query)
    check(q["code_challenge_method"] == ["S256"] and len(q["code_challenge"][0]) == 43,
          "PKCE challenge: %r" % q)
    check(q["redirect_uri"][0].startswith("http://127.0.0.1:"), q["redirect_uri"])
    body = urllib.request.urlopen(url, timeout=10).read().decode()
    check("convened: done" in body, body)
    out, err = p.communicate(timeout=30)
    s.outputs.append("".join(lines) + out + err)
    check(p.returncode == 0, "authorize exited %d: %s %s" % (p.returncode, out, err))
    check(s.tokens.stats()["code"] == 1, s.tokens.stats())


def sent(s):
    return s.smtp.messages()


def auth_events(s):
    return [e for e in s.smtp.log() if e.get("event") == "auth"]


def unread(s):
    return [m for m in s.dovecot.messages("agenda", "INBOX") if "S" not in m["flags"]]


def rsvp(s, member):
    inv = [m for m in of_kind(sent(s), "invite") if m[0] == [member]][0][1]
    import test_replies as tr
    return tr.rsvp_from_invitation(inv, member, "ACCEPTED",
                                   "rsvp-%d@mides.example.uy" % time.time_ns())


def status_accounts(s, now):
    p = s.convened("status", "--json", now=now)
    return {a["name"]: a for a in json.loads(p.stdout)["accounts"]}


def first_cycle(s):
    """Device flow, then one cycle: one refresh for both accounts, the
    refresh token rotated into the file."""
    authorize_device(s)
    before = open(s.refresh_file).read()
    ino = os.stat(s.refresh_file).st_ino
    p = s.convened("-v", "once", now="2021-03-01T12:00:00Z")
    check(s.tokens.stats()["refresh"] == 1, "refreshes: %r" % s.tokens.stats())
    after = open(s.refresh_file).read()
    check(after != before and after.startswith("rt-"), "refresh token not rotated")
    check(os.stat(s.refresh_file).st_ino != ino, "file rewritten in place, not renamed")
    check(stat.S_IMODE(os.stat(s.refresh_file).st_mode) == 0o600, "mode after rotation")
    check(not [n for n in os.listdir(os.path.dirname(s.refresh_file))
               if n.startswith(".tmp")], "temporary file left")
    n = len(sent(s))
    check(n == 5, "sent %d invitations, not 5" % n)
    ev = auth_events(s)
    check(ev and all(e["ok"] and e["mechanism"] == "XOAUTH2" for e in ev),
          "smtp auth: %r" % ev)
    check("refresh token rotated" in p.stderr, p.stderr)
    acc = status_accounts(s, "2021-03-01T12:00:00Z")
    check(acc["imap"]["ok"] and acc["smtp"]["ok"], "status: %r" % acc)
    check(acc["smtp"]["token_expires"] is not None, "no token_expires: %r" % acc)
    prom = open(os.path.join(s.ws.dir, "convened.prom")).read()
    check('convened_account_up{account="smtp",auth="xoauth2"} 1' in prom, prom)
    check("convened_cycle_messages_sent 5" in prom, prom)
    check(stat.S_IMODE(os.stat(os.path.join(s.ws.dir, "convened.prom")).st_mode) == 0o644,
          "metrics mode")


def refused_token_retried(s):
    """The provider logs every access token out (the refresh token lives):
    the next cycle's login is refused, one refresh, one retry, mail read."""
    s.tokens.post("/control/lifetime", seconds="300")
    s.dovecot.deliver("agenda", rsvp(s, "ana@mides.example.uy"))
    p = subprocess.Popen([CONVENED, "-c", s.ws.config, "--now",
                          "2021-03-01T13:00:00Z", "run"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        s.tokens.post("/control/revoke_access")
        r0 = s.tokens.stats()["refresh"]
        deadline = time.time() + 30
        while unread(s) and time.time() < deadline:
            time.sleep(0.3)
        s.dovecot.deliver("agenda", rsvp(s, "luis@cepal.example.org"))
        while unread(s) and time.time() < deadline:
            time.sleep(0.3)
    finally:
        p.send_signal(signal.SIGTERM)
        out, err = p.communicate(timeout=30)
        s.outputs.append(out + err)
        s.tokens.post("/control/lifetime", seconds="5")
    check(not unread(s), "replies left unread: %s" % err[-3000:])
    retried = err.count("refused the access token from an earlier cycle")
    check(1 <= retried <= 2, "retries: %d\n%s" % (retried, err[-3000:]))
    check(s.tokens.stats()["refresh"] - r0 <= 4, "refreshes %r" % s.tokens.stats())
    check("cannot read mail" not in err, err[-3000:])


def daemon_across_expiry(s, seconds=12):
    """`run` for a while with 5 s tokens and a cycle a second: a refresh
    per expiry, not per cycle nor per account; every message once."""
    r0 = s.tokens.stats()["refresh"]
    n0 = len(sent(s))
    s.ws.write_group("south-south.ini", ti.group(kim=True).replace(
        "[member marie", "[member new@mides.example.uy]\nname = Nuevo\n"
        "role = ministry\n\n[member marie"))
    p = subprocess.Popen([CONVENED, "-c", s.ws.config, "--now",
                          "2021-03-02T12:00:00Z", "run"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(seconds)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    s.outputs.append(out + err)
    cycles = err.count("cycle done")
    refreshes = s.tokens.stats()["refresh"] - r0
    check(cycles >= seconds - 3, "only %d cycles" % cycles)
    check(2 <= refreshes <= seconds // 4 + 2, "%d refreshes in %d cycles" % (refreshes, cycles))
    msgs = sent(s)
    ids = [str(m[1]["Message-ID"]) for m in msgs]
    check(len(ids) == len(set(ids)), "a message sent twice")
    check(len(msgs) == n0 + 1, "sent %d new, not 1" % (len(msgs) - n0))
    check("cannot" not in err, err[-3000:])
    return cycles, refreshes


def oauthbearer(s):
    s.configure(imap_auth="oauthbearer", smtp_auth="oauthbearer")
    s.ws.write_group("south-south.ini", ti.group(kim=True).replace(
        "[member marie", "[member otro@mides.example.uy]\nname = Otro\n"
        "role = ministry\n\n[member marie"))
    s.dovecot.deliver("agenda", rsvp(s, "joao@mds.example.br"))
    s.convened("once", now="2021-03-02T13:00:00Z")
    ev = auth_events(s)[-1]
    check(ev["mechanism"] == "OAUTHBEARER" and ev["ok"], "smtp auth: %r" % ev)
    check(not unread(s), "reply unread")
    check("mechanism=OAUTHBEARER" in s.dovecot.log() or
          "oauthbearer" in s.dovecot.log().lower(), "dovecot saw no OAUTHBEARER")
    s.configure()


def revoked(s):
    """The refresh token revoked, both accounts on it: one line a cycle,
    nothing sent, the reply unread, no notice (nothing can send it); after
    authorize, everything goes."""
    s.tokens.post("/control/revoke")
    s.ws.write_group("south-south.ini", ti.group(kim=True).replace(
        "[member marie", "[member tres@mides.example.uy]\nname = Tres\n"
        "role = ministry\n\n[member marie"))
    s.dovecot.deliver("agenda", rsvp(s, "marie@gouv.example.ht"))
    n0 = len(sent(s))
    for now in ("2021-03-03T12:00:00Z", "2021-03-03T12:10:00Z"):
        p = s.convened("once", now=now)
        hint = [l for l in s.log_lines(p) if "run convened authorize" in l]
        check(len(hint) == 1, "authorize lines: %r" % s.log_lines(p))
        check("invalid_grant" in hint[0], hint[0])
        check(len(sent(s)) == n0, "mail went out without a token")
        check(re.search(r" [1-9][0-9]* waiting", p.stderr), "nothing waiting: "
              + p.stderr)
        check(len(unread(s)) == 1, "the reply was taken")
    acc = status_accounts(s, "2021-03-03T12:10:00Z")
    check(not acc["imap"]["ok"] and "invalid_grant" in acc["imap"]["error"], acc)
    check(acc["imap"]["last_success"] is not None, acc)
    check(not of_kind(sent(s), "auth-notice"), "a notice without a token")
    authorize_device(s)
    p = s.convened("once", now="2021-03-03T12:20:00Z")
    check(len(sent(s)) > n0 and " 0 waiting" in p.stderr and not unread(s),
          "not all went after "
          "authorize: %d sent, %d unread\n%s" % (len(sent(s)) - n0, len(unread(s)),
                                                p.stderr))
    check(not of_kind(sent(s), "auth-notice"), "a late notice")
    acc = status_accounts(s, "2021-03-03T12:20:00Z")
    check(acc["imap"]["ok"] and acc["smtp"]["ok"], acc)


def revoked_with_password_smtp(s):
    """IMAP on OAuth, SMTP on a password: the revocation costs one line
    a cycle and one admin notice for the whole outage."""
    s.configure(smtp_auth="password")
    s.tokens.post("/control/revoke")
    s.dovecot.deliver("agenda", rsvp(s, "kim@gov.example.bb"))
    for now in ("2021-03-04T12:00:00Z", "2021-03-04T12:10:00Z", "2021-03-04T12:20:00Z"):
        p = s.convened("once", now=now)
        hint = [l for l in s.log_lines(p) if "run convened authorize" in l]
        check(len(hint) == 1, "authorize lines: %r" % s.log_lines(p))
    notices = of_kind(sent(s), "auth-notice")
    check(len(notices) == 1 and notices[0][0] == [ADMIN], "notices: %r" %
          [n[0] for n in notices])
    body = notices[0][1].get_body(("plain",)).get_content()
    check("convened authorize" in body and "imap" in body, body)
    check(len(unread(s)) == 1, "the reply was taken")
    authorize_device(s)
    s.convened("once", now="2021-03-04T12:30:00Z")
    check(not unread(s), "reply not read after authorize")
    # A new outage is a new notice.
    s.tokens.post("/control/revoke")
    s.convened("once", now="2021-03-04T12:40:00Z")
    check(len(of_kind(sent(s), "auth-notice")) == 2, "no notice of the second outage")
    authorize_device(s)
    s.configure()


def endpoint_down(s):
    """503 from the token endpoint: the daemon backs off (one request, not
    one a cycle) and says so each cycle, nothing lost; the endpoint back,
    everything goes."""
    s.tokens.post("/control/down", down="1")
    s.ws.write_group("south-south.ini", ti.group(kim=True).replace(
        "[member marie", "[member down@mides.example.uy]\nname = Down\n"
        "role = ministry\n\n[member marie"))
    log0 = len(open(os.path.join(s.tokens.dir, "log.jsonl")).readlines())
    n0 = len(sent(s))
    p = subprocess.Popen([CONVENED, "-c", s.ws.config, "--now",
                          "2021-03-05T12:00:00Z", "run"],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(5)
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    s.outputs.append(out + err)
    s.tokens.post("/control/down", down="0")
    tries = [json.loads(l) for l in
             open(os.path.join(s.tokens.dir, "log.jsonl")).readlines()[log0:]]
    tries = [t for t in tries if t["path"] == "/token"]
    check(len(tries) == 1, "token endpoint asked %d times while down" % len(tries))
    check("HTTP 503" in err and err.count("next try in") >= 3, err[-2000:])
    check("run convened authorize" not in err, "down is not a revocation")
    check(len(sent(s)) == n0 and re.search(r" [1-9][0-9]* waiting", err), err[-2000:])
    p = s.convened("once", now="2021-03-05T12:10:00Z")
    check(len(sent(s)) > n0 and " 0 waiting" in p.stderr, p.stderr)


def token_command(s):
    """token_command: its stdout is the token, its stderr is logged."""
    g = s.tokens.post("/control/issue")
    tok = s.tokens.post("/token", grant_type="refresh_token",
                        refresh_token=g["refresh_token"],
                        client_id="convened-test")["access_token"]
    path = os.path.join(s.ws.dir, "secrets", "access.token")
    with open(path, "w") as f:
        f.write(tok + "\n")
    s.configure(command="sh -c 'echo helper was here >&2; cat %s'" % path)
    s.ws.write_group("south-south.ini", ti.group(kim=True).replace(
        "[member marie", "[member cmd@mides.example.uy]\nname = Cmd\n"
        "role = ministry\n\n[member marie"))
    n0 = len(sent(s))
    s.dovecot.deliver("agenda", rsvp(s, "luis@cepal.example.org"))
    p = s.convened("once", now="2021-03-06T12:00:00Z")
    check("token_command: helper was here" in p.stderr, p.stderr)
    check(len(sent(s)) > n0 and not unread(s), "token_command's token did not work")
    s.configure(command="sh -c 'echo no luck >&2; exit 3'")
    p = s.convened("once", now="2021-03-06T12:10:00Z")
    check("token_command exited with status 3" in p.stderr, p.stderr)
    check("token_command: no luck" in p.stderr, p.stderr)
    s.configure()


def test(ws):
    s = Setup(ws)
    s.configure()
    p = s.convened("check")
    check("configuration OK" in p.stdout, p.stdout)
    first_cycle(s)
    refused_token_retried(s)
    cycles, refreshes = daemon_across_expiry(s)
    print("daemon: %d cycles, %d refreshes" % (cycles, refreshes))
    oauthbearer(s)
    revoked(s)
    revoked_with_password_smtp(s)
    endpoint_down(s)
    token_command(s)
    s.configure(flow="pkce")
    authorize_pkce(s)
    s.convened("once", now="2021-03-07T12:00:00Z")
    ntok, ntexts = s.secrets_absent()
    print("secrets: %d tokens issued, none in %d outputs" % (ntok, ntexts))


if __name__ == "__main__":
    if not os.access("/usr/sbin/dovecot", os.X_OK):
        print("SKIP: no dovecot")
        sys.exit(77)
    sys.exit(run("oauth", test))
