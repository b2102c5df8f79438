#!/usr/bin/python3
"""convened against the tools people would use instead, on loopback.

    make bench                      (sh scripts/deps.sh bench, then this)
    /usr/bin/python3 bench/bench.py [--rounds N] [--count N] [--scale 100,1000]
                                    [--only fanout,ingest,scale] [--no-write]

Everything runs in one process, round by round (each round runs every
contender once), so that a noisy machine slows them alike and the ratios
hold.  Each figure is the median of the rounds (3 by default).  Prints a
table and writes bench/RESULTS.md; the text after the NOTES marker in an
existing RESULTS.md (profiles, fixes) is kept.

1. Fan-out: N personalised invitations (N/25 groups of 25 members, one
   meeting each, every message its own calendar object) to Postfix's
   smtp-sink (-d: every message dumped to a file, the files counted),
   against msmtp one process per message, Python smtplib over one
   connection and smtp-source over one connection, all sending a message
   that convened composed (same size).
2. Ingest: N RSVP replies (one per invitation of part 1) in a real
   Dovecot (tests/integration/dovecot.py), processed by `convened once`
   (fetch, parse, apply, move to Processed), against mbsync pulling the
   same mailbox into a Maildir.
3. Scale: 100, 1,000 and 10,000 groups of 30 members: `convened check`,
   a `once` that plans a month of meetings, an idle `once` and its peak
   RSS.

Run by Debian's /usr/bin/python3 (python3-aiosmtpd is not needed here, but
dovecot.py is shared with the tests)."""

import argparse
import datetime
import os
import platform
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
import gen  # noqa: E402
from dovecot import Dovecot  # noqa: E402
from lib import free_port, stop_process  # noqa: E402

CONVENED = os.environ.get("CONVENED", os.path.join(ROOT, "convened"))
SINK = "/usr/sbin/smtp-sink"
SOURCE = "/usr/sbin/smtp-source"
FROM = "agenda@" + gen.DOMAIN
NOTES = "<!-- notes: bench.py keeps everything below this line -->"

# The fan-out's clock: the meetings are on 2025-03-13, invitations go out
# 21 days before, so all of them at NOW.
NOW = "2025-03-03T12:00:00Z"
LATER = "2025-03-03T12:10:00Z"     # the deferred first batch is due again
REPLIES_AT = "2025-03-04T12:00:00Z"
FANOUT_MEMBERS = 25
# Scale: a weekly meeting, the first 8 days away; a 31-day horizon plans
# four meetings per group, none inside the 7-day invitation lead.
SCALE_MEMBERS = 30
SCALE_START = "2025-03-11 15:00"
IDLE_AT = "2025-03-03T13:00:00Z"
RUN_SECONDS = 6                     # `run` at tick 1 s: about 5 idle cycles


class BenchError(Exception):
    pass


def log(msg):
    print("bench: " + msg, file=sys.stderr, flush=True)


def run(cmd, timeout=900, **kw):
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout,
                       **kw)
    if p.returncode != 0:
        raise BenchError("%s exited %d\nstdout: %s\nstderr: %s" % (
            " ".join(cmd), p.returncode, p.stdout[-2000:], p.stderr[-2000:]))
    return p


def timed(cmd, **kw):
    t = time.perf_counter()
    p = run(cmd, **kw)
    return time.perf_counter() - t, p


def timed_rss(cmd):
    """Wall seconds (the command under /usr/bin/time -v, which adds about a
    millisecond) and peak RSS in KiB."""
    t = time.perf_counter()
    p = run(["/usr/bin/time", "-v"] + cmd)
    dt = time.perf_counter() - t
    m = re.search(r"Maximum resident set size \(kbytes\): (\d+)", p.stderr)
    if not m:
        raise BenchError("no RSS from /usr/bin/time: " + p.stderr[-500:])
    return dt, int(m.group(1)), p


def children_cpu():
    """CPU seconds (user + system) of the children waited for so far."""
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def median(v):
    return statistics.median(v)


def cycle_line(stderr):
    for line in reversed(stderr.splitlines()):
        if "cycle done:" in line:
            return line
    raise BenchError("no cycle summary in:\n" + stderr[-2000:])


def expect_in(stderr, what):
    line = cycle_line(stderr)
    if what not in line:
        raise BenchError("expected '%s' in: %s" % (what, line))


def first_line(cmd):
    try:
        p = subprocess.run(cmd, capture_output=True, text=True, timeout=30)
        return (p.stdout or p.stderr).strip().splitlines()[0]
    except (OSError, IndexError, subprocess.TimeoutExpired):
        return "?"


# ---- the sink -------------------------------------------------------------

class Sink:
    """smtp-sink on 127.0.0.1, a free port, -d: one file per message."""

    def __init__(self, workdir):
        self.dir = os.path.join(workdir, "sink")
        os.makedirs(self.dir)
        self.port = free_port()
        self.cmd = [SINK]
        if os.getuid() == 0:
            # smtp-sink refuses to run as root without -u
            os.chown(self.dir, *self._nobody())
            self.cmd += ["-u", "nobody"]
        self.cmd += ["-d", self.dir + "/%H%M%S.", "127.0.0.1:%d" % self.port,
                     "256"]
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.DEVNULL,
                                     stderr=open(self.dir + ".log", "w"))
        deadline = time.time() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), 1).close()
                break
            except OSError:
                if self.proc.poll() is not None or time.time() > deadline:
                    raise BenchError("smtp-sink did not start: " +
                                     open(self.dir + ".log").read())
                time.sleep(0.05)

    @staticmethod
    def _nobody():
        import grp
        import pwd
        return pwd.getpwnam("nobody").pw_uid, grp.getgrnam("nogroup").gr_gid

    def clear(self):
        for n in os.listdir(self.dir):
            os.unlink(os.path.join(self.dir, n))

    def files(self):
        return [os.path.join(self.dir, n) for n in os.listdir(self.dir)]

    def count(self):
        return len(os.listdir(self.dir))

    def mean_size(self):
        f = self.files()
        return sum(os.path.getsize(x) for x in f) / len(f) if f else 0

    def cpu(self):
        """CPU seconds the sink has used so far (it runs until the end, so
        its rusage never reaches ours: /proc has it)."""
        with open("/proc/%d/stat" % self.proc.pid) as f:
            fields = f.read().rsplit(")", 1)[1].split()
        # utime and stime are the 14th and 15th fields, the 2nd being comm
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self):
        stop_process(self.proc)


# ---- 1. fan-out -----------------------------------------------------------

class Fanout:
    def __init__(self, workdir, count, sink):
        self.dir = os.path.join(workdir, "fanout")
        self.count = count
        self.msmtp_count = max(1, count // 10)
        self.sink = sink
        self.closed = free_port()   # nothing listens there
        groups = count // FANOUT_MEMBERS
        if groups * FANOUT_MEMBERS != count:
            raise BenchError("--count must be a multiple of %d" %
                             FANOUT_MEMBERS)
        self.config = gen.write(self.dir, groups, FANOUT_MEMBERS,
                                "2025-03-13 15:00", smtp_port=self.closed,
                                imap_port=self.closed)
        self.msg = os.path.join(workdir, "message.eml")
        self.msg_lf = os.path.join(workdir, "message-lf.eml")
        self.res = {k: [] for k in ("convened", "n1", "n4", "plan", "send",
                                    "msmtp", "smtplib", "curl",
                                    "smtp-source", "4 curl",
                                    "4 smtp-source")}
        self.curl = os.path.join(workdir, "curl-fanout")
        run(["cc", "-O2", "-o", self.curl,
             os.path.join(HERE, "curl-fanout.c"), "-lcurl"])
        # CPU seconds of the sender and of the sink, as res
        self.cpu = {k: [] for k in self.res}
        self.sink_cpu = {k: [] for k in self.res}
        self.last_cpu = (0.0, 0.0)
        self.sizes = {}
        self.cmds = {}

    def convened(self, *args, now):
        return [CONVENED, "-c", self.config, "--now", now] + list(args)

    def fresh(self):
        for n in os.listdir(self.dir):
            if n.startswith("state.db"):
                os.unlink(os.path.join(self.dir, n))
        shutil.rmtree(os.path.join(self.dir, "repository"),
                      ignore_errors=True)

    def smtp(self, port, connections=None):
        gen.global_ini(self.dir, smtp_port=port, imap_port=self.closed,
                       connections=connections)

    def timed(self, cmd):
        """timed(cmd), keeping what the command and the sink spent of the
        CPU for counted()."""
        c, s = children_cpu(), self.sink.cpu()
        dt, p = timed(cmd)
        self.last_cpu = (children_cpu() - c, self.sink.cpu() - s)
        return dt, p

    def timed_together(self, cmds):
        """The commands run at once, timed from the first start to the
        last end; CPU as timed()."""
        c, s = children_cpu(), self.sink.cpu()
        t = time.perf_counter()
        procs = [subprocess.Popen(x, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.PIPE) for x in cmds]
        for x, p in zip(cmds, procs):
            _, err = p.communicate(timeout=900)
            if p.returncode != 0:
                raise BenchError("%s exited %d: %s" % (
                    " ".join(x), p.returncode, err.decode()[-2000:]))
        dt = time.perf_counter() - t
        self.last_cpu = (children_cpu() - c, self.sink.cpu() - s)
        return dt

    def counted(self, name, dt, count=None):
        """Record dt as the time for count messages, as the time for
        self.count at the same rate, and the CPU of that run likewise."""
        count = count or self.count
        self.cpu[name].append(self.last_cpu[0] * self.count / count)
        self.sink_cpu[name].append(self.last_cpu[1] * self.count / count)
        n = self.sink.count()
        if n != count:
            raise BenchError("%s: the sink kept %d messages, not %d" % (
                name, n, count))
        self.sizes.setdefault(name, self.sink.mean_size())
        self.res[name].append(dt * self.count / count)
        self.sink.clear()

    def save_message(self):
        """A message convened composed, for the other senders: the same
        size and shape."""
        db = sqlite3.connect(os.path.join(self.dir, "state.db"))
        try:
            (data,) = db.execute("SELECT data FROM outbox_data ORDER BY id "
                                 "LIMIT 1").fetchone()
        finally:
            db.close()
        with open(self.msg, "wb") as f:
            f.write(data)
        # smtp-source -F adds CRLF to each line itself
        with open(self.msg_lf, "wb") as f:
            f.write(data.replace(b"\r\n", b"\n"))

    def round(self, r):
        port = str(self.sink.port)
        self.sink.clear()

        # convened, planning and sending in one once: the number compared
        self.fresh()
        self.smtp(self.sink.port)
        cmd = self.convened("once", now=NOW)
        self.cmds["convened"] = cmd
        dt, p = self.timed(cmd)
        expect_in(p.stderr, "%d sent" % self.count)
        self.counted("convened", dt)
        if r == 0:
            shutil.copy(os.path.join(self.dir, "state.db"),
                        os.path.join(self.dir, "..", "sent.db"))

        # the same at one and at four connections
        for n in (1, 4):
            self.fresh()
            self.smtp(self.sink.port, connections=n)
            cmd = self.convened("once", now=NOW)
            self.cmds["n%d" % n] = cmd
            dt, p = self.timed(cmd)
            expect_in(p.stderr, "%d sent" % self.count)
            self.counted("n%d" % n, dt)

        # the same, split: plan (the server closed), then send
        self.fresh()
        self.smtp(self.closed)
        cmd = self.convened("once", now=NOW)
        self.cmds["plan"] = cmd
        dt, p = self.timed(cmd)
        expect_in(p.stderr, "%d messages queued" % self.count)
        self.res["plan"].append(dt)
        self.cpu["plan"].append(self.last_cpu[0])
        self.sink_cpu["plan"].append(self.last_cpu[1])
        if r == 0:
            self.save_message()
        self.smtp(self.sink.port)
        cmd = self.convened("once", now=LATER)
        self.cmds["send"] = cmd
        dt, p = self.timed(cmd)
        expect_in(p.stderr, "%d sent" % self.count)
        self.counted("send", dt)

        # One process per message costs the same for the first message as
        # for the last (about 50 ms here, most of it waiting on loopback),
        # so a tenth of the count gives its rate and keeps the run short.
        cmd = ["sh", os.path.join(HERE, "msmtp-fanout.sh"),
               str(self.msmtp_count), port, self.msg]
        self.cmds["msmtp"] = cmd
        dt, _ = self.timed(cmd)
        self.counted("msmtp", dt, self.msmtp_count)

        cmd = ["/usr/bin/python3", os.path.join(HERE, "smtplib-fanout.py"),
               str(self.count), port, self.msg]
        self.cmds["smtplib"] = cmd
        dt, _ = self.timed(cmd)
        self.counted("smtplib", dt)

        cmd = [self.curl, str(self.count), port, self.msg]
        self.cmds["curl"] = cmd
        dt, _ = self.timed(cmd)
        self.counted("curl", dt)

        cmd = [SOURCE, "-s", "1", "-d", "-m", str(self.count), "-F",
               self.msg_lf, "-f", FROM, "-t", "m0@mides.example.org",
               "127.0.0.1:" + port]
        self.cmds["smtp-source"] = cmd
        dt, _ = self.timed(cmd)
        self.counted("smtp-source", dt)

        # What the sink itself can take: four senders at once keep it
        # busy, with smtp-source's traffic and with libcurl's.
        share = self.count // 4
        cmds = [[self.curl, str(share), port, self.msg]] * 4
        self.cmds["4 curl"] = cmds[0] + ["(4 at once)"]
        self.counted("4 curl", self.timed_together(cmds), 4 * share)
        cmds = [[SOURCE, "-s", "1", "-d", "-m", str(share), "-F",
                 self.msg_lf, "-f", FROM, "-t", "m0@mides.example.org",
                 "127.0.0.1:" + port]] * 4
        self.cmds["4 smtp-source"] = cmds[0] + ["(4 at once)"]
        self.counted("4 smtp-source", self.timed_together(cmds), 4 * share)


# ---- 2. ingest ------------------------------------------------------------

REPLY = """\
From: {name} <{email}>\r
To: =?UTF-8?Q?Secretar=C3=ADa_t=C3=A9cnica?= <{org}>\r
Subject: Accepted: {summary}\r
Date: Tue, 04 Mar 2025 08:{mm:02d}:00 -0300\r
Message-ID: <reply-{n}@mides.example.org>\r
In-Reply-To: <{invite}>\r
References: <{invite}>\r
MIME-Version: 1.0\r
Content-Type: multipart/alternative; boundary="b{n}"\r
\r
--b{n}\r
Content-Type: text/plain; charset=UTF-8\r
\r
{name} has accepted this invitation.\r
\r
--b{n}\r
Content-Type: text/calendar; charset=UTF-8; method=REPLY\r
\r
BEGIN:VCALENDAR\r
PRODID:-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN\r
VERSION:2.0\r
METHOD:REPLY\r
BEGIN:VEVENT\r
UID:{uid}\r
SEQUENCE:{seq}\r
DTSTAMP:20250304T11{mm:02d}00Z\r
DTSTART:{start}\r
DTEND:{end}\r
SUMMARY:{summary}\r
ORGANIZER:mailto:{org}\r
ATTENDEE;PARTSTAT=ACCEPTED:mailto:{email}\r
END:VEVENT\r
END:VCALENDAR\r
\r
--b{n}--\r
"""

MBSYNCRC = """\
IMAPAccount bench
Host 127.0.0.1
Port {port}
User {user}
Pass {password}
SSLType None
AuthMechs LOGIN

IMAPStore far
Account bench

MaildirStore near
Path {near}/
Inbox {near}/INBOX

Channel bench
Far :far:
Near :near:
Patterns INBOX
Sync Pull
Create Near
Expunge None
SyncState *
"""


def utc(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc) \
        .strftime("%Y%m%dT%H%M%SZ")


class Ingest:
    def __init__(self, workdir, fanout, rounds):
        self.work = workdir
        self.fan = fanout
        self.rounds = rounds
        self.sent_db = os.path.join(workdir, "sent.db")
        self.res = {"convened": [], "mbsync": []}
        self.cmds = {}
        self.users = ["agenda%d" % r for r in range(rounds)]
        self.dc = Dovecot(os.path.join(workdir, "dovecot"), users=self.users)

    def replies(self):
        db = sqlite3.connect(self.sent_db)
        try:
            # The invitation each answers, as a client's reply names it:
            # its Message-ID carries the reader's token (DESIGN.md, Trust).
            rows = db.execute(
                "SELECT i.meeting_uid, i.email, i.sequence_sent, m.start, "
                "m.end, m.summary, (SELECT o.message_id FROM outbox o "
                "WHERE o.kind = 'invite' AND o.meeting_uid = i.meeting_uid "
                "AND o.recipient = i.email ORDER BY o.id LIMIT 1) "
                "FROM invitations i JOIN meetings m ON "
                "m.uid = i.meeting_uid ORDER BY i.meeting_uid, i.email"
            ).fetchall()
        finally:
            db.close()
        out = []
        for n, (uid, email, seq, start, end, summary, invite) in \
                enumerate(rows):
            out.append(REPLY.format(invite=invite,
                n=n, mm=n % 60, uid=uid, seq=seq, start=utc(start),
                end=utc(end), summary=summary, email=email,
                name=email.split("@")[0], org=FROM).encode())
        return out

    def setup(self):
        msgs = self.replies()
        if len(msgs) != self.fan.count:
            raise BenchError("%d invitations recorded, not %d" % (
                len(msgs), self.fan.count))
        self.size = sum(len(m) for m in msgs) / len(msgs)
        for u in self.users:
            for m in msgs:
                self.dc.deliver_file(u, "INBOX", m)
        self.dc.start()
        # Dovecot indexes a Maildir on first look: done here for every
        # mailbox, so that neither contender pays it.
        for u in self.users:
            im = self.dc.imap(u)
            try:
                im.select("INBOX")
                typ, data = im.uid("FETCH", "1:*", "(FLAGS)")
                if typ != "OK" or len(data) != self.fan.count:
                    raise BenchError("%s: %d messages in INBOX" % (
                        u, len(data)))
            finally:
                im.logout()

    def round(self, r):
        user = self.users[r]
        near = os.path.join(self.work, "mbsync%d" % r)
        os.makedirs(near)
        rc = os.path.join(self.work, "mbsyncrc%d" % r)
        with open(rc, "w") as f:
            f.write(MBSYNCRC.format(port=self.dc.imap_port, user=user,
                                    password=self.dc.password, near=near))
        cmd = ["mbsync", "-q", "-c", rc, "-a"]
        self.cmds["mbsync"] = cmd
        dt, _ = timed(cmd)
        got = sum(len(os.listdir(os.path.join(near, "INBOX", d)))
                  for d in ("new", "cur"))
        if got != self.fan.count:
            raise BenchError("mbsync fetched %d messages, not %d" % (
                got, self.fan.count))
        self.res["mbsync"].append(dt)

        d = self.fan.dir
        self.fan.fresh()
        shutil.copy(self.sent_db, os.path.join(d, "state.db"))
        gen.global_ini(d, smtp_port=self.fan.closed,
                       imap_port=self.dc.imap_port, processed=True,
                       user=user)
        cmd = self.fan.convened("once", now=REPLIES_AT)
        self.cmds["convened"] = cmd
        dt, p = timed(cmd)
        expect_in(p.stderr, "%d replies read, %d applied" % (
            self.fan.count, self.fan.count))
        left = len(self.dc.messages(user, "INBOX"))
        if left != 0:
            raise BenchError("%d replies left in INBOX" % left)
        self.res["convened"].append(dt)

    def stop(self):
        self.dc.stop()


# ---- 3. scale -------------------------------------------------------------

class Scale:
    def __init__(self, workdir, sizes):
        self.sizes = sizes
        self.dirs = {}
        self.res = {g: {"check": [], "plan": [], "plan_rss": [], "idle": [],
                        "idle_rss": [], "run": []} for g in sizes}
        self.meetings = {}
        self.start = []
        d = os.path.join(workdir, "scale0")
        closed = free_port()
        self.empty = gen.write(d, 0, SCALE_MEMBERS, SCALE_START,
                               rrule="FREQ=WEEKLY", horizon=31, lead=7,
                               smtp_port=closed, imap_port=closed, tick=1)
        for g in sizes:
            d = os.path.join(workdir, "scale%d" % g)
            closed = free_port()
            self.dirs[g] = (d, gen.write(d, g, SCALE_MEMBERS, SCALE_START,
                                         rrule="FREQ=WEEKLY", horizon=31,
                                         lead=7, smtp_port=closed,
                                         imap_port=closed, tick=1))

    def round(self, r):
        # The same idle `once` with no group: what any `once` costs here
        # (the first one makes the state db).
        if r == 0:
            run([CONVENED, "-c", self.empty, "--now", IDLE_AT, "once"])
        dt, _ = timed([CONVENED, "-c", self.empty, "--now", IDLE_AT, "once"])
        self.start.append(dt)
        for g in self.sizes:
            d, cfg = self.dirs[g]
            res = self.res[g]
            dt, _ = timed([CONVENED, "-c", cfg, "check"])
            res["check"].append(dt)
            for n in os.listdir(d):
                if n.startswith("state.db"):
                    os.unlink(os.path.join(d, n))
            shutil.rmtree(os.path.join(d, "repository"), ignore_errors=True)
            dt, rss, p = timed_rss([CONVENED, "-c", cfg, "--now", NOW, "once"])
            expect_in(p.stderr, "%d meetings new" % (4 * g))
            expect_in(p.stderr, "0 messages queued")
            res["plan"].append(dt)
            res["plan_rss"].append(rss)
            dt, rss, p = timed_rss([CONVENED, "-c", cfg, "--now", IDLE_AT,
                                    "once"])
            expect_in(p.stderr, "0 meetings new, 0 changed, 0 cancelled; "
                      "0 messages queued")
            res["idle"].append(dt)
            res["idle_rss"].append(rss)
            if g == 1000:
                res["run"].append(self.run_idle(cfg))

    def run_idle(self, cfg):
        """An idle cycle inside `run` (tick 1 s, the configuration parsed
        and the state db opened once): the median of the durations the
        daemon logs for its cycles after the first, in seconds."""
        p = subprocess.Popen([CONVENED, "-v", "-c", cfg, "--now", IDLE_AT,
                              "run"], stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE, text=True)
        time.sleep(RUN_SECONDS)
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=60)
        took = [float(m) for m in re.findall(r"cycle took ([0-9.]+) ms", err)]
        if len(took) < 3:
            raise BenchError("run logged %d cycles in %d s" % (
                len(took), RUN_SECONDS))
        return median(took[1:]) / 1000


# ---- report ---------------------------------------------------------------

def machine():
    cpu = "?"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "?"
    try:
        for line in open("/proc/meminfo"):
            if line.startswith("MemTotal"):
                mem = "%.0f GiB" % (int(line.split()[1]) / 1024 / 1024)
    except OSError:
        pass
    deb = "?"
    try:
        deb = open("/etc/debian_version").read().strip()
    except OSError:
        pass
    return "%s, %d cores, %s RAM; Linux %s; Debian %s" % (
        cpu, os.cpu_count(), mem, platform.release(), deb)


def versions():
    rev = first_line(["git", "-C", ROOT, "describe", "--always", "--dirty"])
    return [
        ("convened", "git " + rev),
        ("msmtp", first_line(["msmtp", "--version"])),
        ("postfix (smtp-sink, smtp-source)",
         first_line(["postconf", "-d", "-h", "mail_version"])),
        ("isync (mbsync)", first_line(["mbsync", "--version"])),
        ("dovecot", first_line(["dovecot", "--version"])),
        ("python3 (smtplib)", platform.python_version()),
        ("libcurl", first_line(["pkg-config", "--modversion", "libcurl"])),
        ("libical", first_line(["pkg-config", "--modversion", "libical"])),
        ("sqlite3", first_line(["pkg-config", "--modversion", "sqlite3"])),
    ]


def shown(cmd, work):
    return " ".join(cmd).replace(work, "$W").replace(ROOT + "/", "")


def fmt_s(x):
    return "%.3f s" % x if x < 10 else "%.1f s" % x


def fanout_bound(fan):
    """What the machine allows: the sink, one process, needs its CPU time
    whoever sends; sender and sink share the cores.  A run cannot be
    shorter than either."""
    cores = os.cpu_count() or 1
    sink = median(fan.sink_cpu["smtp-source"])
    src = median(fan.res["smtp-source"])
    mine = median(fan.cpu["convened"])
    floor = max(median(fan.sink_cpu["convened"]),
                (mine + median(fan.sink_cpu["convened"])) / cores)
    budget = cores * src - sink
    n = fan.count
    out = [
        "What bounds the ratio: the sink is one process, so no sender "
        "can be faster than the %s of CPU it needs for %d messages; and "
        "the sender's CPU and the sink's share %d cores. smtp-source uses "
        "%s and waits for each reply, so its %s is the sink's time plus "
        "the round trips. convened's plan and send used %s of CPU (%.0f "
        "us a message), so its run cannot take less than %s here. To take "
        "no longer than smtp-source, it would have to plan, store and "
        "send the %d messages in at most %s of CPU (%.0f us a message)." % (
            fmt_s(sink), n, cores, fmt_s(median(fan.cpu["smtp-source"])),
            fmt_s(src), fmt_s(mine), 1e6 * mine / n, fmt_s(floor), n,
            fmt_s(max(budget, 0.0)), 1e6 * max(budget, 0.0) / n)]
    if not fan.res["4 curl"] or not fan.res["4 smtp-source"]:
        return out
    lim_c, lim_s = median(fan.res["4 curl"]), median(fan.res["4 smtp-source"])
    out += ["",
        "The sink's own limit: four senders at once keep it busy. It "
        "then took %s for smtp-source's traffic (%s of its CPU) and %s "
        "for libcurl's (%s of its CPU): the same messages, but libcurl's "
        "dialogue cost the sink %.0f %% more. smtp-source's single session "
        "(%s) runs at %.2f of the sink's limit for its own traffic, and "
        "four libcurl senders with nothing to plan reach %.2f of "
        "smtp-source's rate: about what a sender on libcurl can hope for "
        "against this sink on this machine, whatever its connections." % (
            fmt_s(lim_s), fmt_s(median(fan.sink_cpu["4 smtp-source"])),
            fmt_s(lim_c), fmt_s(median(fan.sink_cpu["4 curl"])),
            100 * (median(fan.sink_cpu["4 curl"]) /
                   max(median(fan.sink_cpu["4 smtp-source"]), 1e-9) - 1),
            fmt_s(src), lim_s / src, src / lim_c)]
    return out


def report(args, work, fan, ing, sc, started):
    out = []
    goals = []
    out.append("# convened benchmarks")
    out.append("")
    out.append("Written by `make bench` (bench/bench.py) on %s, in %.0f s." % (
        datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        time.time() - started))
    out.append("Every figure is the median of %d rounds; each round runs "
               "every contender once, so a noisy moment slows them alike."
               % args.rounds)
    out.append("")
    out.append("Machine: " + machine())
    out.append("")
    out.append("| software | version |")
    out.append("|---|---|")
    for k, v in versions():
        out.append("| %s | %s |" % (k, v))
    out.append("")

    if fan is not None:
        n = fan.count
        rate = {k: n / median(v) for k, v in fan.res.items() if v}
        out.append("## 1. Fan-out: %d invitations to smtp-sink" % n)
        out.append("")
        out.append("%d groups of %d members, one meeting each: %d messages, "
                   "each its own calendar object, personalised (language, "
                   "time zone) and queued in SQLite. The sink is Postfix's "
                   "`smtp-sink -d` on a loopback port: it writes every "
                   "message to a file and the files are counted after each "
                   "run (%d every time, or the run fails). The other "
                   "senders send a message convened composed (%d bytes) "
                   "over the same loopback." % (
                       n // FANOUT_MEMBERS, FANOUT_MEMBERS, n, n,
                       os.path.getsize(fan.msg)))
        out.append("")
        out.append("msmtp sends %d messages per round (one process each, "
                   "about 50 ms apiece on this loopback: all %d would take "
                   "minutes a round); its time below is scaled to %d at "
                   "the rate measured." % (fan.msmtp_count, n, n))
        out.append("")
        out.append("| sender | median time | messages/s | ratio to convened "
                   "| mean size kept by the sink | CPU: sender | CPU: sink |")
        out.append("|---|---|---|---|---|---|---|")
        rows = [("convened `once` (plan + send), [smtp] connections = 2 "
                 "(the default): **compared**", "convened"),
                ("  the same at connections = 1", "n1"),
                ("  the same at connections = 4", "n4"),
                ("  of which: `once` planning only (SMTP port closed)",
                 "plan"),
                ("  of which: `once` sending only (all queued)", "send"),
                ("msmtp, one process per message", "msmtp"),
                ("Python smtplib, one connection", "smtplib"),
                ("libcurl alone (bench/curl-fanout.c), one connection",
                 "curl"),
                ("smtp-source -s 1 -d, one connection", "smtp-source"),
                ("the sink's own limit: 4 libcurl senders at once",
                 "4 curl"),
                ("the sink's own limit: 4 smtp-source sessions at once",
                 "4 smtp-source")]
        for label, k in rows:
            if not fan.res[k]:
                continue
            ratio = rate[k] / rate["convened"]
            size = fan.sizes.get(k)
            out.append("| %s | %s | %.0f | %.2f | %s | %s | %s |" % (
                label, fmt_s(median(fan.res[k])), rate[k], ratio,
                "%.0f B" % size if size else "(nothing sent)",
                fmt_s(median(fan.cpu[k])), fmt_s(median(fan.sink_cpu[k]))))
        out.append("")
        out.append("CPU is user + system time, the sender's from its "
                   "rusage (all of its threads), the sink's from /proc "
                   "over the same run; msmtp's, like its time, scaled to "
                   "%d messages." % n)
        out.append("")
        out.extend(fanout_bound(fan))
        out.append("")
        r1 = rate["convened"] / rate["smtp-source"]
        r2 = rate["convened"] / rate["msmtp"]
        goals.append(("fan-out: convened (plan + send) at least as fast as "
                      "smtp-source's single session", "%.2f of its rate" % r1,
                      r1 >= 1.0))
        goals.append(("fan-out: convened at least 30 times msmtp's rate",
                      "%.1f times" % r2, r2 >= 30))
        out.append("The compared figure is convened's single `once` that "
                   "plans and sends (fresh state), as configured by "
                   "default: each group's invitations go out as soon as "
                   "the group is committed, while the next groups are "
                   "planned (convened(8), DESCRIPTION), so this is less "
                   "than the two split rows added. The next two rows are "
                   "the same `once` with one and with four SMTP "
                   "connections. The split rows are two other `once` runs: "
                   "the first with the SMTP port closed (plans and queues; "
                   "the first try finds the port closed and a batch is "
                   "deferred), the second ten minutes later with the sink "
                   "open (sends what is queued).")
        out.append("")

    if ing is not None:
        n = fan.count
        out.append("## 2. Ingest: %d RSVP replies in Dovecot" % n)
        out.append("")
        out.append("One REPLY per invitation of part 1 (multipart, %.0f "
                   "bytes on average), written into the Maildir of a "
                   "Dovecot %s on loopback, one mailbox per round, indexed "
                   "by a first IMAP look before any contender runs. "
                   "mbsync only fetches (into an empty Maildir); convened "
                   "fetches, parses, applies the RSVP to its state and "
                   "moves each message to Processed." % (
                       ing.size, first_line(["dovecot", "--version"])))
        out.append("")
        out.append("| reader | median time | messages/s | ratio to convened |")
        out.append("|---|---|---|---|")
        c = median(ing.res["convened"])
        m = median(ing.res["mbsync"])
        out.append("| convened `once` (fetch, parse, apply, move) | %s | "
                   "%.0f | 1.00 |" % (fmt_s(c), n / c))
        out.append("| mbsync (fetch into a Maildir) | %s | %.0f | %.2f |" % (
            fmt_s(m), n / m, c / m))
        out.append("")
        goals.append(("ingest: convened no slower than mbsync",
                      "%.2f of mbsync's time" % (c / m), c <= m))

    if sc is not None:
        out.append("## 3. Scale: groups of %d members" % SCALE_MEMBERS)
        out.append("")
        out.append("A weekly meeting per group; `once` at a fresh state "
                   "plans a 31-day horizon (4 meetings per group, stored, "
                   "and the groups' calendar feeds written; the first is "
                   "8 days away, outside the 7-day invitation lead, so no "
                   "mail is queued: part 1 measures mail). The idle `once` "
                   "runs an hour later with nothing due. Both `once` runs "
                   "try the IMAP server (a closed loopback port) as well. "
                   "Peak RSS from `/usr/bin/time -v`.")
        out.append("")
        out.append("| groups | members | `check` | `once` planning a month "
                   "| its peak RSS | idle `once` | its peak RSS |")
        out.append("|---|---|---|---|---|---|---|")
        for g in sc.sizes:
            r = sc.res[g]
            out.append("| %d | %d | %s | %s | %.1f MiB | %s | %.1f MiB |" % (
                g, g * SCALE_MEMBERS, fmt_s(median(r["check"])),
                fmt_s(median(r["plan"])), median(r["plan_rss"]) / 1024,
                fmt_s(median(r["idle"])), median(r["idle_rss"]) / 1024))
        out.append("")
        out.append("The same idle `once` with no group at all takes "
                   "%.0f ms: starting the process (the dynamic loading of "
                   "libcurl, SQLite, GLib and the thirty-odd libraries "
                   "they bring; libical, GMime, libgit2 and libsystemd are "
                   "opened only when needed), reading the global file, "
                   "opening the state db, trying IMAP. The idle `once` "
                   "takes the groups from "
                   "`state.db.groups`, the cache the first `once` wrote, and "
                   "runs the steps of no group: none is due "
                   "(convened(8), Idle groups)." % (
                       median(sc.start) * 1000))
        out.append("")
        if 1000 in sc.res:
            run_idle = median(sc.res[1000]["run"])
            out.append("Inside `run` at 1,000 groups (tick 1 s, %d s, the "
                       "first cycle left out), an idle cycle took %.1f ms "
                       "(median of the cycles' own `cycle took` lines)." % (
                           RUN_SECONDS, run_idle * 1000))
            out.append("")
            goals.append(("scale: idle cycle inside `run` at 1,000 groups "
                          "under 5 ms", "%.1f ms" % (run_idle * 1000),
                          run_idle < 0.005))
            idle = median(sc.res[1000]["idle"])
            rss = median(sc.res[1000]["idle_rss"]) / 1024
            goals.append(("scale: idle `once` at 1,000 groups under 50 ms",
                          "%.0f ms" % (idle * 1000), idle < 0.05))
            goals.append(("scale: idle `once` at 1,000 groups under 32 MiB",
                          "%.1f MiB" % rss, rss < 32))
        sizes = sorted(sc.sizes)
        worst = 0
        for a, b in zip(sizes, sizes[1:]):
            for k in ("check", "plan", "idle"):
                ta, tb = median(sc.res[a][k]), median(sc.res[b][k])
                worst = max(worst, (tb / ta) / (b / a))
        if len(sizes) > 1:
            goals.append(("scale: linear growth (time per group no more "
                          "than 1.5 times the smaller size's)",
                          "worst %.2f" % worst, worst <= 1.5))

    out.append("## Goals")
    out.append("")
    out.append("| goal | measured | met |")
    out.append("|---|---|---|")
    for g, m, ok in goals:
        out.append("| %s | %s | %s |" % (g, m, "yes" if ok else "**no**"))
    out.append("")

    out.append("## Commands")
    out.append("")
    out.append("`$W` is the run's temporary directory; ports are picked "
               "free at each run.")
    out.append("")
    out.append("```")
    if fan is not None:
        out.append(shown(fan.sink.cmd, work))
        for k in ("convened", "n1", "n4", "plan", "send", "msmtp", "smtplib",
                  "curl", "smtp-source", "4 curl", "4 smtp-source"):
            if k in fan.cmds:
                out.append("%-14s %s" % (k + ":", shown(fan.cmds[k], work)))
    if ing is not None:
        for k in ("convened", "mbsync"):
            out.append("%-12s %s" % ("ingest " + k + ":",
                                     shown(ing.cmds[k], work)))
    if sc is not None:
        out.append("scale:       convened -c $W/scaleG/convened.ini check")
        out.append("             /usr/bin/time -v convened -c ... --now %s "
                   "once  (fresh state)" % NOW)
        out.append("             /usr/bin/time -v convened -c ... --now %s "
                   "once  (idle)" % IDLE_AT)
        out.append("             convened -v -c $W/scale1000/convened.ini "
                   "--now %s run  (%d s, then SIGTERM)" % (IDLE_AT,
                                                          RUN_SECONDS))
    out.append("```")
    out.append("")
    if ing is not None:
        out.append("mbsync's configuration (per round):")
        out.append("")
        out.append("```")
        out.append(MBSYNCRC.format(port="$PORT", user="agendaN",
                                   password="secret",
                                   near="$W/mbsyncN").rstrip())
        out.append("```")
        out.append("")
    return "\n".join(out), goals


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rounds", type=int,
                    default=int(os.environ.get("BENCH_ROUNDS", "3")))
    ap.add_argument("--count", type=int,
                    default=int(os.environ.get("BENCH_COUNT", "5000")))
    ap.add_argument("--scale", default=os.environ.get(
        "BENCH_SCALE", "100,1000,10000"))
    ap.add_argument("--only", default=os.environ.get(
        "BENCH_ONLY", "fanout,ingest,scale"))
    ap.add_argument("--no-write", action="store_true",
                    help="print the table, leave bench/RESULTS.md alone")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temporary directory")
    args = ap.parse_args()
    only = set(args.only.split(","))
    if "ingest" in only:
        only.add("fanout")      # the replies answer part 1's invitations

    for prog in (CONVENED, SINK, SOURCE, shutil.which("msmtp"),
                 shutil.which("mbsync"), "/usr/bin/time"):
        if not prog or not os.access(prog, os.X_OK):
            print("bench: missing %s: run sh scripts/deps.sh bench" % prog,
                  file=sys.stderr)
            return 1

    started = time.time()
    work = tempfile.mkdtemp(prefix="convened-bench.")
    os.chmod(work, 0o755)       # Dovecot's processes and smtp-sink (nobody)
    fan = ing = sc = sink = None
    ok = False
    try:
        if "fanout" in only:
            log("fan-out: writing %d groups" % (args.count // FANOUT_MEMBERS))
            sink = Sink(work)
            fan = Fanout(work, args.count, sink)
        if "scale" in only:
            sizes = [int(x) for x in args.scale.split(",") if x]
            log("scale: writing %s groups" % ", ".join(map(str, sizes)))
            sc = Scale(work, sizes)
        for r in range(args.rounds):
            if fan is not None:
                log("round %d/%d: fan-out" % (r + 1, args.rounds))
                fan.round(r)
            if r == 0 and "ingest" in only:
                log("ingest: filling %d mailboxes with %d replies" % (
                    args.rounds, args.count))
                ing = Ingest(work, fan, args.rounds)
                ing.setup()
            if ing is not None:
                log("round %d/%d: ingest" % (r + 1, args.rounds))
                ing.round(r)
            if sc is not None:
                log("round %d/%d: scale" % (r + 1, args.rounds))
                sc.round(r)
        text, goals = report(args, work, fan, ing, sc, started)
        ok = True
    finally:
        if ing is not None:
            ing.stop()
        if sink is not None:
            sink.stop()
        if ok and not args.keep:
            shutil.rmtree(work, ignore_errors=True)
        else:
            log("kept " + work)
    print(text)
    if not args.no_write:
        path = os.path.join(HERE, "RESULTS.md")
        notes = ""
        if os.path.exists(path):
            old = open(path).read()
            if NOTES in old:
                notes = old[old.index(NOTES) + len(NOTES):]
        with open(path + ".tmp", "w") as f:
            f.write(text + "\n" + NOTES + (notes if notes else "\n"))
        os.rename(path + ".tmp", path)
        log("wrote " + path)
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BenchError as e:
        print("bench: %s" % e, file=sys.stderr)
        sys.exit(1)
