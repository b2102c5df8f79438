"""One cycle at a time, against a real SMTP server: two `convened once`
started together, and `convened run` with an administrator's `once`
beside it.  Before the lock both sent every invitation twice (issue 19).
Counted at the SMTP sink per Message-ID: zero duplicates, every invitation
once; the loser exits 75 (EX_TEMPFAIL) with a line naming the holder's
pid, since when, and the lock file; `once --wait` waits for the holder;
a holder killed with SIGKILL leaves no lock behind."""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, Notify, SmtpServer, check, run  # noqa: E402
from test_run import group  # noqa: E402

MEMBERS = 400           # and two coordinators: 402 invitations
EX_TEMPFAIL = 75
NOW = "2021-03-01T12:00:00Z"
BUSY = re.compile(r"state db (\S+) is in use by pid (\d+) since "
                  r"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ) \(lock file (\S+)\)")


def per_message_id(smtp):
    counts = {}
    for _, msg, _ in smtp.messages():
        mid = str(msg["Message-ID"])
        counts[mid] = counts.get(mid, 0) + 1
    return counts


def no_duplicates(smtp, want, what):
    counts = per_message_id(smtp)
    twice = [m for m, n in counts.items() if n > 1]
    check(not twice, "%s: %d of %d messages went more than once (%s...)" % (
        what, len(twice), len(counts), twice[:2]))
    check(len(counts) == want, "%s: %d messages, not %d" % (what, len(counts), want))
    print("%s: %d messages, each once" % (what, len(counts)))


def once(ws, *extra, now=NOW):
    return subprocess.Popen([CONVENED, "-c", ws.config, "--now", now, "once"] + list(extra),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def loser_line(out, holder_pid, state):
    m = BUSY.search(out)
    check(m is not None, "no line naming the holder: %r" % out[-400:])
    check(m.group(1) == state, "names state %s" % m.group(1))
    check(m.group(4) == state + ".lock", "names lock file %s" % m.group(4))
    if holder_pid is not None:
        check(int(m.group(2)) == holder_pid, "names pid %s, not %d" % (m.group(2), holder_pid))
    return m.group(0)


def two_onces(ws, smtp, state):
    """Two `once` at the same moment: one sends, the other leaves."""
    a, b = once(ws), once(ws)
    ra, rb = a.wait(120), b.wait(120)
    outs = {a.pid: (ra, a.stderr.read()), b.pid: (rb, b.stderr.read())}
    a.stdout.close(), b.stdout.close(), a.stderr.close(), b.stderr.close()
    codes = sorted([ra, rb])
    check(codes == [0, EX_TEMPFAIL], "exit statuses %s, not one 0 and one 75: %s" % (
        codes, outs))
    winner = [pid for pid, (rc, _) in outs.items() if rc == 0][0]
    loser = [out for rc, out in outs.values() if rc == EX_TEMPFAIL][0]
    print("loser:", loser_line(loser, winner, state))
    no_duplicates(smtp, MEMBERS + 2, "two once together")


def run_and_once(ws, smtp, state):
    """`run` holds the state for its life: an administrator's `once` is
    refused at once, `once --wait 2` after two seconds, and `once --wait
    60` gets its turn when the daemon stops."""
    notify = Notify(os.path.join(ws.dir, "notify.sock"))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    log = open(os.path.join(ws.dir, "run.log"), "w")
    # A member added: the daemon has something to send, slowly.
    ws.write_group("10-big.ini", group("[member nuevo@example.org]\nname = Nuevo\nrole = other\n"))
    smtp.set_faults({"eod": {"stall": 0.05}})
    d = subprocess.Popen([CONVENED, "-c", ws.config, "--now", "2021-03-01T13:00:00Z", "run"],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    waiter = None
    try:
        notify.wait("READY=1")
        p = once(ws, now="2021-03-01T13:00:00Z")
        rc, out = p.wait(60), p.stderr.read()
        p.stdout.close(), p.stderr.close()
        check(rc == EX_TEMPFAIL, "once beside run exited %d: %s" % (rc, out))
        print("once beside run:", loser_line(out, d.pid, state))
        t0 = time.time()
        p = once(ws, "--wait", "2", now="2021-03-01T13:00:00Z")
        rc, out = p.wait(60), p.stderr.read()
        took = time.time() - t0
        p.stdout.close(), p.stderr.close()
        check(rc == EX_TEMPFAIL, "once --wait 2 beside run exited %d: %s" % (rc, out))
        check(2 <= took < 10, "once --wait 2 gave up after %.1f s" % took)
        check("waiting up to 2 s" in out, "no line about waiting: %s" % out)
        print("once --wait 2 beside run: gave up after %.1f s, exit 75" % took)
        waiter = once(ws, "--wait", "60", now="2021-03-01T13:00:00Z")
        time.sleep(1)
        check(waiter.poll() is None, "once --wait 60 did not wait")
        d.send_signal(signal.SIGTERM)
        check(d.wait(30) == 0, "run did not stop cleanly")
        rc = waiter.wait(60)
        out = waiter.stderr.read()
        check(rc == 0, "once --wait 60 exited %d after run stopped: %s" % (rc, out))
        check("cycle done" in out, "the waiting once ran no cycle: %s" % out)
    finally:
        for p in (d, waiter):
            if p is not None and p.poll() is None:
                p.kill()
                p.wait()
        if waiter is not None:
            waiter.stdout.close(), waiter.stderr.close()
        log.close()
        notify.close()
    no_duplicates(smtp, MEMBERS + 3, "run and once")


def killed_holder(ws, smtp, state):
    """A `once` killed with SIGKILL in the middle of its batch: the next
    one is not kept out, and sends what was left, none twice but the
    message in flight (DESIGN.md)."""
    ws.write_group("10-big.ini", group("[member nuevo@example.org]\nname = Nuevo\nrole = other\n"
                                       "[member otro@example.org]\nname = Otro\nrole = other\n"))
    smtp.set_faults({"eod": {"stall": 2}})
    before = len(smtp.log())
    p = once(ws, now="2021-03-01T14:00:00Z")
    deadline = time.time() + 30
    while len(smtp.log()) == before and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)
    p.kill()
    p.wait()
    p.stdout.close(), p.stderr.close()
    smtp.set_faults({})
    p = once(ws, now="2021-03-01T14:00:00Z")
    rc, out = p.wait(120), p.stderr.read()
    p.stdout.close(), p.stderr.close()
    check(rc == 0, "once after a killed holder exited %d: %s" % (rc, out))
    counts = per_message_id(smtp)
    twice = [m for m, n in counts.items() if n > 1]
    check(len(twice) <= 1, "more than the message in flight went twice: %s" % twice)
    check(len(counts) == MEMBERS + 4, "%d messages, not %d" % (len(counts), MEMBERS + 4))
    print("after SIGKILL of the holder: the next once ran; %d message(s) twice (in flight)"
          % len(twice))


def test(ws):
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ws.write_global(smtp.port, tick=1)
    ws.write_group("10-big.ini", group())
    ws.convened("check")
    state = os.path.join(ws.dir, "state.db")
    # Slow enough that both processes are in their cycle together.
    smtp.set_faults({"eod": {"stall": 0.01}})
    two_onces(ws, smtp, state)
    run_and_once(ws, smtp, state)
    killed_holder(ws, smtp, state)


if __name__ == "__main__":
    sys.exit(run("lock", test))
