"""What other programs read in convened's mail, sent through a real SMTP
server: Python's email parser (the display names and subjects convened
encodes, and its header lines), python3-icalendar and, when node can load
it, Thunderbird's ical.js (the instant of a start in a DST gap and in a DST
fold).  Each of these read something else than convened meant before
(issue 14, item 5): "D esarrollo", a start an hour off."""

import json
import os
import subprocess
import sys
from datetime import datetime, timezone

import icalendar

from lib import SmtpServer, calendar_part, check, run

NAME = "María José de los Ángeles Fernández-Rodríguez y Santa Cruz"
SUMMARY = ("Diálogo político sobre protección social, cuidados, niñez, "
           "adolescencia y juventud — Desarrollo Económico Inclusión")

GROUP = """\
[group]
id = ss
name = Cooperación Sur-Sur: Dirección de Políticas Públicas Económicas
kind = discussion
timezone = America/Santiago

[member ana@mides.example.uy]
name = {name}
role = ministry
coordinator = yes

[member luis@cepal.example.org]
name = Luis Muñoz
role = secretariat
coordinator = yes
language = en

[series gap]
summary = {summary}
start = 2027-09-05 00:30
duration = 60

[series fold]
summary = {summary}
start = 2027-04-03 23:30
duration = 60
""".format(name=NAME, summary=SUMMARY)

# RFC 5545 3.3.5: 00:30 is skipped (01:30 -03); 23:30 comes twice (the
# first, -03).
WANT = {"ss-gap-20270905": "2027-09-05T04:30:00Z",
        "ss-fold-20270403": "2027-04-04T02:30:00Z"}

ICALJS = """
const ICAL = require('ical.js');
const text = require('fs').readFileSync(0, 'utf8');
const comp = new ICAL.Component(ICAL.parse(text));
for (const vtz of comp.getAllSubcomponents('vtimezone'))
  ICAL.TimezoneService.register(vtz);
const ev = new ICAL.Event(comp.getFirstSubcomponent('vevent'));
console.log(JSON.stringify([ev.startDate.toUnixTime(), ev.endDate.toUnixTime()]));
"""


def icaljs_reads(text):
    """[start, end] as ical.js reads them, or None when node has no
    ical.js (NODE_PATH may name where it is)."""
    try:
        p = subprocess.run(["node", "-e", ICALJS], input=text.encode(),
                           capture_output=True, timeout=60)
    except (OSError, subprocess.TimeoutExpired):
        return None
    if p.returncode != 0:
        return None
    return json.loads(p.stdout)


def iso(ts):
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def check_headers(raw, who):
    """Every header line within 78 columns, ids apart (compose.h)."""
    head = raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")
    for line in head:
        if line.startswith((b"Message-ID:", b"In-Reply-To:", b"References:")):
            continue
        check(len(line) <= 78, "%s: header line of %d: %r" % (who, len(line), line))


def test(ws):
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ws.write_global(smtp.port)
    ws.write_group("10-ss.ini", GROUP)
    ws.convened("check")
    ws.convened("once", now="2027-03-20T12:00:00Z")
    ws.convened("once", now="2027-08-20T12:00:00Z")
    msgs = smtp.messages()
    seen = set()
    icaljs = 0
    for rcpts, msg, raw in msgs:
        who = "%s %s" % (rcpts[0], msg["Subject"])
        check_headers(raw, who)
        to = msg["To"].addresses[0]
        if to.addr_spec == "ana@mides.example.uy":
            check(to.display_name == NAME, "To read as %r" % to.display_name)
        method, text = calendar_part(msg)
        if text is None:
            continue
        check(SUMMARY in str(msg["Subject"]), "Subject read as %r" % str(msg["Subject"]))
        ev = [c for c in icalendar.Calendar.from_ical(text).walk() if c.name == "VEVENT"][0]
        key = str(ev["UID"]).split("@")[0]
        check(key in WANT, "unexpected meeting %s" % key)
        got = ev["DTSTART"].dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
        check(got == WANT[key], "python3-icalendar reads %s as %s, not %s" % (key, got, WANT[key]))
        js = icaljs_reads(text)
        if js is not None:
            icaljs += 1
            check(iso(js[0]) == WANT[key], "ical.js reads %s as %s, not %s" % (key, iso(js[0]), WANT[key]))
            check(js[1] - js[0] == 3600, "ical.js: %s lasts %d s" % (key, js[1] - js[0]))
        seen.add((rcpts[0], key))
    check(len(seen) == 4, "invitations seen: %s" % sorted(seen))
    print("ical.js: %s" % ("%d invitations read" % icaljs if icaljs else "not installed, skipped"))


if __name__ == "__main__":
    sys.exit(run("readers", test))
