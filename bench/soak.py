#!/usr/bin/python3
"""make soak: ten simulated years of the example configuration, by mail.

    make soak                   (builds convened, then this)
    /usr/bin/python3 bench/soak.py [--years N] [--no-write]
                                   (CONVENED=path: another binary)

The same machinery as `make demo` (scripts/demo.py: a Dovecot holding a
mailbox for every member and for convened, an SMTP relay delivering into
them, both on loopback) drives `convened once --now` twice a week from
January 2021 through December 2030 on config/ (the groups of the plan of
work).  Between runs the people act from their mailboxes, as in the demo
but in every group: members answer their invitations (most accept, some
decline, some never answer), the first coordinator of each group (by
address) confirms every agenda and answers every minutes request with a
one-page PDF, which convened archives and sends to the members.

At the end of each simulated year it records the size of the state
database (file and WAL), the rows that grow (outbox, its text, inbound
records, meetings, invitations, documents), the repository's size, and
the wall time of that year's cycles (median, 95th percentile, slowest).
Prints a table and writes bench/SOAK.md.  Not part of `make check`: it
takes about a quarter of an hour on two cores.

Run by Debian's /usr/bin/python3 (python3-aiosmtpd)."""

import argparse
import datetime
import email
import email.policy
import os
import platform
import re
import sqlite3
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(ROOT, "scripts"))
import demo  # noqa: E402

OUT = os.path.join(HERE, "SOAK.md")


def coordinators(groupdir):
    """group id -> its coordinators' addresses, sorted."""
    out = {}
    for f in sorted(os.listdir(groupdir)):
        if not f.endswith(".ini"):
            continue
        text = open(os.path.join(groupdir, f), encoding="utf-8").read()
        gid = re.search(r"^id\s*=\s*(\S+)", text, re.M).group(1)
        coord = []
        for sec in re.split(r"^(?=\[)", text, flags=re.M):
            m = re.match(r"\[member\s+([^\]\s]+)\]", sec)
            if m and re.search(r"^coordinator\s*=\s*yes", sec, re.M):
                coord.append(m.group(1).lower())
        out[gid] = sorted(coord)
    return out


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            total += os.path.getsize(os.path.join(d, f))
    return total


class Soak(demo.Demo):
    def __init__(self):
        super().__init__()
        self.coord = coordinators(self.groups)
        self.years = []

    def mailbox(self, addr):
        """What reached addr since the last look, read once and taken out
        of the mailbox: ten years of mail left there would make the
        people, not convened, slower year after year."""
        d = os.path.join(self.dc.maildir(addr), "new")
        for name in sorted(os.listdir(d)) if os.path.isdir(d) else []:
            path = os.path.join(d, name)
            with open(path, "rb") as f:
                data = f.read()
            os.unlink(path)
            yield email.message_from_bytes(data, policy=email.policy.default)

    def act(self, day):
        """Every member answers as in the demo; in every group the first
        coordinator confirms the agendas and sends the minutes."""
        for addr in sorted(self.dc.known - {demo.ORGANIZER}):
            for msg in self.mailbox(addr):
                kind, group, meeting = demo.about(msg)
                method, text = demo.calendar_text(msg)
                first = self.coord.get(group, [None])[0] == addr
                if method == "REQUEST" and re.search(r"^SEQUENCE:0\r?$", text, re.M):
                    uid = re.search(r"^UID:(.*)$", text.replace("\r\n ", ""), re.M).group(1)
                    partstat = demo.answer_of(addr, uid)
                    if partstat:
                        demo.send(demo.rsvp(addr, msg, partstat), addr, self.smtp_port)
                        self.stats["rsvp"] += 1
                elif kind == "agenda-request" and first:
                    demo.send(demo.reply(addr, msg, "CONFIRMAR"), addr, self.smtp_port)
                    self.stats["agenda"] += 1
                elif kind == "minutes-request" and first:
                    date = meeting.rsplit("-", 1)[1]
                    pdf = demo.minutes_pdf("Acta %s %s" % (group, date))
                    demo.send(demo.reply(addr, msg, "Adjuntamos el acta.",
                                         ("acta-%s.pdf" % date, pdf)), addr, self.smtp_port)
                    self.stats["minutes"] += 1

    def measure(self, year, times):
        db = os.path.join(self.work, "state.db")
        con = sqlite3.connect(db)
        try:
            rows = {t: con.execute("SELECT count(*) FROM %s" % t).fetchone()[0]
                    for t in ("outbox", "outbox_data", "inbound", "meetings",
                              "invitations", "documents")}
            free = con.execute("PRAGMA freelist_count").fetchone()[0]
            page = con.execute("PRAGMA page_size").fetchone()[0]
        finally:
            con.close()
        wal = db + "-wal"
        times = sorted(times)
        row = {"year": year, "db": os.path.getsize(db),
               "wal": os.path.getsize(wal) if os.path.exists(wal) else 0,
               "free": free * page, "repo": du(os.path.join(self.work, "repository")),
               "cycles": len(times), "median": statistics.median(times),
               "p95": times[int(0.95 * (len(times) - 1))], "max": times[-1],
               "stats": dict(self.stats)}
        row.update(rows)
        self.years.append(row)
        demo.say("  %d  state.db %6.2f MiB (+WAL %5.2f), outbox %6d rows (%d with text), "
                 "inbound %6d, repository %6.2f MiB; cycle median %.2f s, p95 %.2f s, "
                 "max %.2f s" % (year, row["db"] / 2**20, row["wal"] / 2**20, row["outbox"],
                                 row["outbox_data"], row["inbound"], row["repo"] / 2**20,
                                 row["median"], row["p95"], row["max"]))

    def soak(self, years):
        self.convened("check")
        day = datetime.datetime(2021, 1, 4, 12, 0, tzinfo=datetime.timezone.utc)
        step = datetime.timedelta(days=3, hours=12)
        times = []
        year = day.year
        t0 = time.time()
        while day.year < 2021 + years:
            now = day.strftime("%Y-%m-%dT%H:%M:%SZ")
            start = time.time()
            self.convened("once", now=now)
            times.append(time.time() - start)
            self.act(day)
            day += step
            if day.year != year:
                self.measure(year, times)
                times = []
                year = day.year
        return time.time() - t0


def write(soak, elapsed, years):
    first, last = soak.years[0], soak.years[-1]
    lines = ["# convened: ten simulated years", "",
             "Written by `make soak` (bench/soak.py) on %s, in %d s." % (
                 time.strftime("%Y-%m-%d %H:%M"), elapsed), "",
             "Machine: %s, %d cores; %s; sqlite3 %s; convened git %s." % (
                 platform.processor() or platform.machine(), os.cpu_count(),
                 platform.platform(), sqlite3.sqlite_version,
                 subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True).stdout.strip()), "",
             "The example configuration (config/: %s), `convened once --now` twice a week "
             "from 2021 through %d (%d cycles); members answer their invitations, the first "
             "coordinator of each group confirms every agenda and sends every minutes as a "
             "PDF (%d RSVPs, %d agenda replies, %d minutes in all)." % (
                 soak.check_line, 2020 + years, sum(y["cycles"] for y in soak.years),
                 last["stats"]["rsvp"], last["stats"]["agenda"], last["stats"]["minutes"]),
             "",
             "| year | state.db | WAL | free in it | outbox rows | with text | inbound | "
             "meetings | invitations | documents | repository | cycle median | p95 | slowest |",
             "|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|"]
    for y in soak.years:
        lines.append("| %d | %.2f MiB | %.2f MiB | %.2f MiB | %d | %d | %d | %d | %d | %d | "
                     "%.1f MiB | %.2f s | %.2f s | %.2f s |" % (
                         y["year"], y["db"] / 2**20, y["wal"] / 2**20, y["free"] / 2**20,
                         y["outbox"], y["outbox_data"], y["inbound"], y["meetings"],
                         y["invitations"], y["documents"], y["repo"] / 2**20, y["median"],
                         y["p95"], y["max"]))
    lines += ["", "After %d years: state.db %.2f MiB (%.2f after the first year); median "
              "cycle %.2f s in the last year, %.2f s in the first." % (
                  years, last["db"] / 2**20, first["db"] / 2**20, last["median"],
                  first["median"]), ""]
    with open(OUT, "w") as f:
        f.write("\n".join(lines))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--years", type=int, default=10)
    ap.add_argument("--no-write", action="store_true")
    a = ap.parse_args()
    demo.CONVENED = os.environ.get("CONVENED", demo.CONVENED)
    if not os.access(demo.CONVENED, os.X_OK):
        raise SystemExit("build convened first (make)")
    soak = Soak()
    try:
        soak.start()
        p = soak.convened("check")
        soak.check_line = p.stdout.strip().splitlines()[-1].split("configuration OK: ", 1)[-1]
        demo.say("== %d simulated years of config/ (%s), twice a week" % (
            a.years, soak.check_line))
        elapsed = soak.soak(a.years)
    finally:
        soak.stop()
    if not a.no_write:
        write(soak, elapsed, a.years)
        demo.say("written: %s" % OUT)
    demo.say("work directory (state, repository, mailboxes): %s" % soak.work)


if __name__ == "__main__":
    main()
