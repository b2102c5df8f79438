"""Shared pieces of the integration tests: real servers on loopback, a
test configuration in a temporary directory, and `convened` driven with
--now.  Run by Debian's /usr/bin/python3 (it has python3-icalendar and
python3-aiosmtpd; pyenv's python3 does not)."""

import base64
import email
import email.policy
import hashlib
import hmac
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
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


def repository_modes(root):
    """Every directory under root (itself included) 0750 and every file
    0640, whatever the umask convened was started with: the repository is
    for the convened group to read.  Returns (directories, files).  The
    git history (.git, convened's own) and the public site (site/, written
    from the records: test_repo.py checks it) are left out."""
    dirs = files = 0
    for d, subdirs, names in os.walk(root):
        if d == root:
            subdirs[:] = [s for s in subdirs if s not in (".git", "site")]
        for p, want in [(d, 0o750)] + [(os.path.join(d, n), 0o640) for n in names]:
            st = os.lstat(p)
            check(stat.S_ISDIR(st.st_mode) or stat.S_ISREG(st.st_mode),
                  "%s is neither a directory nor a file" % p)
            check(stat.S_IMODE(st.st_mode) == want, "%s is %o, not %o" % (
                p, stat.S_IMODE(st.st_mode), want))
        dirs += 1
        files += len(names)
    return dirs, files


def commits(repo):
    """The git history of repo, newest first: one dict a commit, with
    author ("Name <email>"), kind (its message's Kind:) and message."""
    out = subprocess.run(["git", "-C", repo, "log", "--format=%an <%ae>%x1f%B%x1e"],
                         check=True, capture_output=True, text=True).stdout
    got = []
    for c in out.split("\x1e"):
        if not c.strip():
            continue
        author, msg = c.strip("\n").split("\x1f", 1)
        kind = re.search(r"^Kind: (.*)$", msg, re.M)
        got.append({"author": author, "kind": kind.group(1) if kind else None,
                    "message": msg})
    return got


def check_journaled(repo):
    """No commit of kind recovered: every writer journaled its change
    with its author (repo.h).  Returns commits(repo)."""
    got = commits(repo)
    bad = [c["message"] for c in got if c["kind"] == "recovered"]
    check(not bad, "%d recovered commits; the first:\n%s" % (len(bad), bad[:1]))
    return got


def free_port():
    """A loopback port that was free a moment ago, for a server that wants
    its number before it starts (the usual bind-to-0 cannot be passed on)."""
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
    finally:
        s.close()


def start_helper(argv, port_file, log_path):
    """Start one of the helper servers here (smtpd.py, imapproxy.py), which
    write their port to port_file once they listen; (process, port), or
    Failure when it did not start within 15 s."""
    proc = subprocess.Popen(argv, stdout=open(log_path, "w"), stderr=subprocess.STDOUT)
    deadline = time.time() + 15
    while time.time() < deadline:
        if os.path.exists(port_file) and open(port_file).read().strip():
            return proc, int(open(port_file).read())
        if proc.poll() is not None:
            break
        time.sleep(0.05)
    stop_process(proc)
    raise Failure("%s did not start: %s" % (os.path.basename(argv[1]),
                                            open(log_path).read()))


def write_json(path, value):
    """path holds value as JSON, replaced at once: a reader polling it never
    sees half of it (the helpers read their faults and modes so)."""
    with open(path + ".tmp", "w") as f:
        json.dump(value, f)
    os.rename(path + ".tmp", path)


def read_jsonl(path):
    """The objects of a JSON-lines log, [] before it exists."""
    if not os.path.exists(path):
        return []
    return [json.loads(line) for line in open(path) if line.strip()]


def stop_process(proc):
    """SIGTERM, then SIGKILL if it is still there 10 s later."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


class SmtpServer:
    """tests/integration/smtpd.py on 127.0.0.1, a random free port, storing
    every accepted message raw in a Maildir."""

    def __init__(self, workdir, extra=()):
        self.dir = os.path.join(workdir, "smtp")
        self.maildir = os.path.join(self.dir, "maildir")
        os.makedirs(self.maildir)
        self.faults = os.path.join(self.dir, "faults.json")
        self.set_faults({})
        port_file = os.path.join(self.dir, "port")
        self.proc, self.port = start_helper(
            ["/usr/bin/python3", os.path.join(ROOT, "tests/integration/smtpd.py"),
             "--port-file", port_file, "--maildir", self.maildir,
             "--faults", self.faults] + list(extra),
            port_file, os.path.join(self.dir, "log"))

    def set_faults(self, faults):
        write_json(self.faults, faults)

    def log(self):
        return read_jsonl(os.path.join(self.maildir, "log.jsonl"))

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
        stop_process(self.proc)


DOMAIN = "conferencia.example.org"

GLOBAL = """\
[daemon]
{tick}state = {dir}/state.db
repository = {dir}/repository
groups = groups.d
templates = {root}/templates
timezone = America/Santiago
language = es

[organizer]
name = {organizer}
email = agenda@{domain}

[smtp]
url = smtp://127.0.0.1:{smtp_port}
tls = none
timeout = {smtp_timeout}
give_up_hours = {give_up}
{connections}
[imap]
url = imap://127.0.0.1:{imap_port}
username = {user}
password_file = ./imap.pass
tls = none
{imap_timeout}folders = {folders}
{processed}
[policy]
annual_quota = {quota}
horizon_days = {horizon}
invite_lead_days = {lead}
admin = {admin}
"""


def write_config(dir, smtp_port, imap_port=1, give_up=72, smtp_timeout=10,
                 imap_timeout=None, folders="INBOX", processed=None, user="agenda",
                 organizer="Secretaría técnica", admin="admin@" + DOMAIN, quota=3,
                 horizon=90, lead=21, tick=None, connections=None):
    """dir/convened.ini for servers on 127.0.0.1 (imap_port 1: nothing
    there), and what it names: dir/imap.pass (mode 0600) and dir/groups.d.
    tick: [daemon] tick, for `run` (None: the default); connections:
    [smtp] connections (None: the default).  Returns the path of
    convened.ini."""
    os.makedirs(os.path.join(dir, "groups.d"), exist_ok=True)
    with open(os.path.join(dir, "imap.pass"), "w") as f:
        f.write("secret\n")
    os.chmod(os.path.join(dir, "imap.pass"), 0o600)
    path = os.path.join(dir, "convened.ini")
    with open(path, "w") as f:
        f.write(GLOBAL.format(
            dir=dir, root=ROOT, domain=DOMAIN, organizer=organizer,
            smtp_port=smtp_port, smtp_timeout=smtp_timeout, give_up=give_up,
            imap_port=imap_port, user=user, folders=folders,
            tick="tick = %d\n" % tick if tick else "",
            connections="connections = %d\n" % connections if connections else "",
            imap_timeout="timeout = %d\n" % imap_timeout if imap_timeout else "",
            processed="processed_folder = %s\n" % processed if processed else "",
            quota=quota, horizon=horizon, lead=lead, admin=admin))
    return path


def big_group(members=400, extra=""):
    """groups.d text of group "big": coordinators ana@mides.example.uy and
    luis@cepal.example.org, members m000@example.org on, a monthly series
    from 17 February 2021; extra (sections) goes before the series."""
    lines = ["[group]", "id = big", "name = Grupo grande", "kind = discussion",
             "timezone = America/Montevideo", "",
             "[member ana@mides.example.uy]", "name = Ana", "role = ministry",
             "coordinator = yes", "",
             "[member luis@cepal.example.org]", "name = Luis",
             "role = secretariat", "coordinator = yes", ""]
    for i in range(members):
        lines += ["[member m%03d@example.org]" % i, "name = Miembro %d" % i,
                  "role = other", ""]
    lines += [extra, "[series monthly]", "summary = Reunión mensual",
              "start = 2021-02-17 15:00", "duration = 90",
              "rrule = FREQ=MONTHLY;BYDAY=3WE", ""]
    return "\n".join(lines)


class Notify:
    """A NOTIFY_SOCKET, as systemd gives `run`: every datagram kept with
    the time it arrived, read by a thread so that none waits."""

    def __init__(self, path):
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(path)
        self.sock.settimeout(0.1)
        self.got = []               # [time, text, consumed]
        self.lock = threading.Lock()
        self.stopped = False
        self.thread = threading.Thread(target=self._listen, daemon=True)
        self.thread.start()

    def _listen(self):
        while not self.stopped:
            try:
                data = self.sock.recv(4096).decode()
            except socket.timeout:
                continue
            with self.lock:
                self.got.append([time.time(), data, False])

    def wait(self, what, timeout=30):
        """Wait for a datagram not waited for before holding the line
        `what` (or starting with it, for STATUS=); return that line."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            with self.lock:
                for d in self.got:
                    for line in d[1].split("\n"):
                        if not d[2] and (line == what or (what.endswith("=") and
                                                          line.startswith(what))):
                            d[2] = True
                            return line
            time.sleep(0.05)
        raise Failure("no %s from sd_notify within %d s (got %s)" % (
            what, timeout, [d[1] for d in self.got]))

    def times(self, line):
        """When each datagram holding the line arrived."""
        with self.lock:
            return [d[0] for d in self.got if line in d[1].split("\n")]

    def close(self):
        self.stopped = True
        self.thread.join()
        self.sock.close()


class Workspace:
    def __init__(self, name):
        self.dir = tempfile.mkdtemp(prefix="convened-%s." % name)
        self.groups = os.path.join(self.dir, "groups.d")
        os.makedirs(self.groups)
        self.config = os.path.join(self.dir, "convened.ini")
        self.servers = []

    def write_global(self, smtp_port, imap_port=1, **options):
        """convened.ini: write_config() with these options."""
        write_config(self.dir, smtp_port, imap_port, **options)

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


def msgid_kind(msg):
    """(kind, group) of a message convened sent, read from its Message-ID
    cv1.<kind>.<group>.<meeting>.<ref>.<token>@<domain> (daemon/msgid.h),
    or None when the id is not of that form."""
    m = re.match(r"<?cv1\.([a-z-]+)\.([a-z0-9_-]+)\.", str(msg["Message-ID"]))
    return (m.group(1), m.group(2)) if m else None


def of_kind(msgs, kind):
    """The messages, as SmtpServer.messages() gives them, of one kind that
    convened sends (invite, agenda-request, bounce-notice...): their
    Message-ID says which."""
    return [m for m in msgs if (msgid_kind(m[1]) or (None,))[0] == kind]


def attachment_names(msg):
    return [p.get_filename() for p in msg.walk() if p.get_filename()]


def reply_token(dir, kind, scope, recipient):
    """The reply token (daemon/token.h) convened, with its key in
    dir/reply-token.key, issued to recipient for scope: kind "m" a
    meeting's UID, "g" a group id, "h" a held message's Message-ID."""
    with open(os.path.join(dir, "reply-token.key")) as f:
        key = bytes.fromhex(f.read().strip())
    scope, addr = scope.encode(), recipient.lower().encode()
    data = (b"convened-token\x00\x01" + kind.encode() + len(scope).to_bytes(4, "big") + scope
            + len(addr).to_bytes(4, "big") + addr)
    mac = hmac.new(key, data, hashlib.sha256).digest()
    return base64.b32encode(mac[:10]).decode().lower()
