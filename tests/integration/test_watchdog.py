"""The watchdog as systemd runs it: WATCHDOG_USEC and a NOTIFY_SOCKET the
test listens on, a real SMTP server on loopback.  During a long cycle that
makes progress (402 invitations, each held a little at the end of DATA)
WATCHDOG=1 keeps arriving, never as much as the interval apart (half of it
plus the work between two batches of 200); during a stall
longer than the interval (an SMTP server that stops answering, [smtp]
timeout longer than the interval) the pings stop, so systemd would see a
hang; after the stall they come again."""

import os
import re
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, Notify, SmtpServer, check, run  # noqa: E402
from test_run import MEMBERS, group  # noqa: E402

INTERVAL = 4.0          # WatchdogSec the test plays: pings every 2 s
STALL_TIMEOUT = 8       # [smtp] timeout, longer than the interval


def accepted_times(smtp):
    """When the SMTP server stored each message: its Maildir name begins
    with the seconds and microseconds of that moment."""
    out = []
    for e in smtp.log():
        m = re.match(r"(\d+)\.M(\d+)P", e.get("file", ""))
        if m:
            out.append(int(m.group(1)) + int(m.group(2)) / 1e6)
    return sorted(out)


def gaps(times, start, end):
    """The gaps between consecutive pings over [start, end], edges
    included."""
    inside = [t for t in times if start <= t <= end]
    points = [start] + inside + [end]
    return [b - a for a, b in zip(points, points[1:])]


def test(ws):
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ws.write_global(smtp.port, smtp_timeout=STALL_TIMEOUT, tick=3600)
    ws.write_group("10-big.ini", group())
    ws.convened("check")
    pings = Notify(os.path.join(ws.dir, "notify.sock"))
    env = dict(os.environ, NOTIFY_SOCKET=pings.path,
               WATCHDOG_USEC=str(int(INTERVAL * 1e6)))
    env.pop("WATCHDOG_PID", None)
    log = open(os.path.join(ws.dir, "run.log"), "w")
    # 402 messages held 80 ms each over [smtp] connections = 2 (the
    # default): about 16 s of sending, well over three intervals.
    smtp.set_faults({"eod": {"stall": 0.08}})
    p = subprocess.Popen([CONVENED, "-c", ws.config, "--now", "2021-03-01T12:00:00Z", "run"],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        pings.wait("READY=1")
        deadline = time.time() + 120
        while len(accepted_times(smtp)) < MEMBERS + 2 and time.time() < deadline:
            time.sleep(0.2)
        sent = accepted_times(smtp)
        check(len(sent) == MEMBERS + 2, "%d of %d sent" % (len(sent), MEMBERS + 2))
        first, last = sent[0], sent[-1]
        check(last - first > 3 * INTERVAL, "the cycle took only %.1f s" % (last - first))
        busy = gaps(pings.times("WATCHDOG=1"), first, last)
        print("progressing cycle: %d messages over %.1f s, %d pings, longest gap %.2f s"
              % (len(sent), last - first, len(busy) - 1, max(busy)))
        check(max(busy) < INTERVAL, "a gap of %.2f s between pings while messages "
              "went: systemd would have ended the cycle" % max(busy))

        # Stalled: the server takes MAIL FROM and says nothing.  A new
        # member and SIGHUP start a cycle at once.
        smtp.set_faults({"mail": {"stall": STALL_TIMEOUT + 4}})
        ws.write_group("10-big.ini", group("[member nuevo@example.org]\nname = Nuevo\n"
                                           "role = other\n"))
        t_hup = time.time()
        p.send_signal(signal.SIGHUP)
        deadline = time.time() + STALL_TIMEOUT + 20
        while time.time() < deadline:
            text = open(os.path.join(ws.dir, "run.log")).read()
            if "deferred invite" in text and "nuevo@example.org" in text:
                break
            time.sleep(0.2)
        t_end = time.time()
        check("nuevo@example.org" in open(os.path.join(ws.dir, "run.log")).read(),
              "the stalled send never gave up")
        time.sleep(INTERVAL * 1.5)
        stalled = gaps(pings.times("WATCHDOG=1"), t_hup, t_end)
        print("stalled cycle: longest gap %.2f s (WatchdogSec %.1f s, [smtp] timeout %d s)"
              % (max(stalled), INTERVAL, STALL_TIMEOUT))
        check(max(stalled) > INTERVAL + 1,
              "pings went on while the server stalled (longest gap %.2f s)" % max(stalled))
        after = [t for t in pings.times("WATCHDOG=1") if t > t_end]
        check(after, "no ping after the stall ended")
        check(p.poll() is None, "the daemon died")
        p.send_signal(signal.SIGTERM)
        check(p.wait(30) == 0, "exit status after SIGTERM")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        log.close()
        pings.close()


if __name__ == "__main__":
    sys.exit(run("watchdog", test))
