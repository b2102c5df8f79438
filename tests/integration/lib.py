"""Shared pieces of the integration tests: real servers on loopback, a
test configuration in a temporary directory, and `convened` driven with
--now.  Run by Debian's /usr/bin/python3 (it has python3-icalendar and
python3-aiosmtpd; pyenv's python3 does not)."""

import email
import email.policy
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CONVENED = os.environ.get("CONVENED", os.path.join(ROOT, "convened"))
SKIP = 77


def skip(why):
    print("SKIP: " + why)
    sys.exit(SKIP)


class Failure(Exception):
    pass


def check(cond, what):
    if not cond:
        raise Failure(what)


class SmtpServer:
    """tests/integration/smtpd.py on 127.0.0.1, a random free port, storing
    every accepted message raw in a Maildir."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "smtp")
        self.maildir = os.path.join(self.dir, "maildir")
        os.makedirs(self.maildir)
        self.faults = os.path.join(self.dir, "faults.json")
        self.set_faults({})
        port_file = os.path.join(self.dir, "port")
        self.proc = subprocess.Popen(
            ["/usr/bin/python3", os.path.join(ROOT, "tests/integration/smtpd.py"),
             "--port-file", port_file, "--maildir", self.maildir,
             "--faults", self.faults],
            stdout=open(os.path.join(self.dir, "log"), "w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 15
        while time.time() < deadline:
            if os.path.exists(port_file) and open(port_file).read().strip():
                self.port = int(open(port_file).read())
                return
            if self.proc.poll() is not None:
                break
            time.sleep(0.05)
        self.stop()
        raise Failure("smtpd.py did not start: " + open(os.path.join(self.dir, "log")).read())

    def set_faults(self, faults):
        tmp = self.faults + ".tmp"
        with open(tmp, "w") as f:
            json.dump(faults, f)
        os.rename(tmp, self.faults)

    def log(self):
        path = os.path.join(self.maildir, "log.jsonl")
        if not os.path.exists(path):
            return []
        return [json.loads(line) for line in open(path) if line.strip()]

    def messages(self):
        """Every accepted message as (envelope recipients, parsed message,
        raw bytes), in the order the server accepted them."""
        out = []
        for entry in self.log():
            if "file" not in entry:
                continue
            raw = open(os.path.join(self.maildir, "new", entry["file"]), "rb").read()
            msg = email.message_from_bytes(raw, policy=email.policy.default)
            out.append((entry["rcpt_tos"], msg, raw))
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


GLOBAL = """\
[daemon]
state = {dir}/state.db
repository = {dir}/repository
groups = groups.d
templates = {root}/templates
timezone = America/Santiago
language = es

[organizer]
name = Secretaría técnica
email = agenda@conferencia.example.org

[smtp]
url = smtp://127.0.0.1:{smtp_port}
tls = none
timeout = 10
give_up_hours = {give_up}

[imap]
url = imap://127.0.0.1:{imap_port}
username = agenda
password_file = ./imap.pass
tls = none
folders = INBOX

[policy]
annual_quota = 3
horizon_days = 90
invite_lead_days = 21
admin = admin@conferencia.example.org
"""


class Workspace:
    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix="convened-%s." % name)
        self.groups = os.path.join(self.dir, "groups.d")
        os.makedirs(self.groups)
        with open(os.path.join(self.dir, "imap.pass"), "w") as f:
            f.write("secret\n")
        os.chmod(os.path.join(self.dir, "imap.pass"), 0o600)
        self.config = os.path.join(self.dir, "convened.ini")
        self.servers = []

    def write_global(self, smtp_port, imap_port=1, give_up=72):
        with open(self.config, "w") as f:
            f.write(GLOBAL.format(dir=self.dir, root=ROOT, smtp_port=smtp_port,
                                  imap_port=imap_port, give_up=give_up))

    def write_group(self, name, text):
        with open(os.path.join(self.groups, name), "w") as f:
            f.write(text)

    def remove_group(self, name):
        os.unlink(os.path.join(self.groups, name))

    def convened(self, *args, now=None, expect=0):
        cmd = [CONVENED, "-c", self.config]
        if now:
            cmd += ["--now", now]
        cmd += list(args)
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=300)
        if expect is not None and p.returncode != expect:
            raise Failure("%s exited %d, not %d\nstdout: %s\nstderr: %s" % (
                " ".join(cmd), p.returncode, expect, p.stdout, p.stderr))
        return p

    def status(self, now, group=None):
        args = ["status", "--json"] + ([group] if group else [])
        return json.loads(self.convened(*args, now=now).stdout)

    def cleanup(self, ok):
        for s in self.servers:
            s.stop()
        if ok and not os.environ.get("KEEP"):
            shutil.rmtree(self.dir, ignore_errors=True)
        else:
            print("kept: " + self.dir)


def run(name, body):
    """Run body(ws) and turn the result into an exit status."""
    if not os.access(CONVENED, os.X_OK):
        skip("no convened binary at " + CONVENED)
    ws = Workspace(name)
    ok = False
    try:
        body(ws)
        ok = True
    except Failure as e:
        print("FAIL: %s" % e)
    finally:
        ws.cleanup(ok)
    if ok:
        print("PASS: " + name)
    return 0 if ok else 1


def calendar_part(msg):
    """(method parameter of the text/calendar part, its text)."""
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            return part.get_param("method"), part.get_content()
    return None, None


def attachment_names(msg):
    return [p.get_filename() for p in msg.walk() if p.get_filename()]
