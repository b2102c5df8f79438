"""`convened run` as systemd runs it: a NOTIFY_SOCKET the test listens on,
a real SMTP server on loopback.  READY=1 and STATUS= arrive; SIGHUP with a
changed valid configuration takes effect; SIGHUP with a broken one keeps
the daemon on the old one; SIGTERM in the middle of a batch exits 0 and
loses nothing, and nothing is sent twice."""

import os
import signal
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, Notify, SmtpServer, big_group, check, run  # noqa: E402

MEMBERS = 400


def group(extra=""):
    return big_group(MEMBERS, extra)



def invited(smtp):
    out = {}
    for rcpts, msg, _ in smtp.messages():
        out.setdefault(rcpts[0], []).append(str(msg["Message-ID"]))
    return out


def test(ws):
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ws.write_global(smtp.port, tick=1)
    ws.write_group("10-big.ini", group())
    ws.convened("check")
    notify = Notify(os.path.join(ws.dir, "notify.sock"))
    env = dict(os.environ, NOTIFY_SOCKET=notify.path)
    log = open(os.path.join(ws.dir, "run.log"), "w")
    # Each message waits a little at the end of DATA, so the batch of 402
    # invitations takes seconds and SIGTERM lands in the middle of it.
    smtp.set_faults({"eod": {"stall": 0.02}})
    p = subprocess.Popen([CONVENED, "-c", ws.config, "--now", "2021-03-01T12:00:00Z", "run"],
                         env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        notify.wait("READY=1")
        deadline = time.time() + 30
        while len(smtp.log()) < 20 and time.time() < deadline:
            time.sleep(0.05)
        p.send_signal(signal.SIGTERM)
        t0 = time.time()
        rc = p.wait(30)
        check(rc == 0, "exit status %d after SIGTERM" % rc)
        check(time.time() - t0 < 10, "took %.1f s to stop" % (time.time() - t0))
        notify.wait("STOPPING=1", 5)
        got = invited(smtp)
        check(0 < len(got) < MEMBERS + 2, "SIGTERM did not interrupt the batch: %d sent" % len(got))
        check(all(len(v) == 1 for v in got.values()), "a message went twice")

        # Start again: the rest goes, nothing twice.
        smtp.set_faults({})
        p = subprocess.Popen([CONVENED, "-c", ws.config, "--now", "2021-03-01T12:05:00Z", "run"],
                             env=env, stdout=log, stderr=subprocess.STDOUT)
        notify.wait("READY=1")
        notify.wait("STATUS=")
        deadline = time.time() + 60
        while len(invited(smtp)) < MEMBERS + 2 and time.time() < deadline:
            time.sleep(0.1)
        got = invited(smtp)
        check(len(got) == MEMBERS + 2, "after restart %d of %d invited" % (len(got), MEMBERS + 2))
        check(all(len(v) == 1 for v in got.values()), "a message went twice after restart")

        # SIGHUP with a valid change: a new member is invited.
        ws.write_group("10-big.ini", group("[member nuevo@example.org]\nname = Nuevo\nrole = other\n"))
        p.send_signal(signal.SIGHUP)
        notify.wait("READY=1")
        deadline = time.time() + 30
        while "nuevo@example.org" not in invited(smtp) and time.time() < deadline:
            time.sleep(0.1)
        check("nuevo@example.org" in invited(smtp), "reload did not take effect")

        # SIGHUP with a broken one: logged with FILE:LINE, old one kept.
        ws.write_group("10-big.ini", group("[member broken@@example.org]\nname = X\nrole = other\n"))
        p.send_signal(signal.SIGHUP)
        line = notify.wait("STATUS=")
        deadline = time.time() + 10
        while "reload failed" not in line and time.time() < deadline:
            line = notify.wait("STATUS=")
        check("reload failed" in line, "no STATUS about the failed reload: %s" % line)
        time.sleep(1.5)
        check(p.poll() is None, "daemon died on a bad configuration")
        log.flush()
        text = open(os.path.join(ws.dir, "run.log")).read()
        check("10-big.ini:" in text and "malformed e-mail address" in text,
              "the bad configuration's FILE:LINE errors are not logged")
        # Still working on the old configuration: a cycle completes.
        notify.wait("STATUS=", 10)
        p.send_signal(signal.SIGTERM)
        check(p.wait(30) == 0, "exit status after the second SIGTERM")
    finally:
        if p.poll() is None:
            p.kill()
            p.wait()
        log.close()


if __name__ == "__main__":
    sys.exit(run("run", test))
