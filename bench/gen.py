"""Configurations for the benchmarks: a global convened.ini and N group
files of M members each, written into a directory.  Used by bench.py; run
by Debian's /usr/bin/python3.

Members are spread over four languages and a dozen time zones, so each
invitation is rendered for its reader as in a real plan of work."""

import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
from lib import DOMAIN, write_config  # noqa: E402

LANGS = [None, None, "en", "pt", "fr", None]
ZONES = [None, "America/Santiago", "America/Montevideo", "America/Sao_Paulo",
         "America/Barbados", "America/Port-au-Prince", "America/Mexico_City",
         "America/Bogota", "America/Lima", "America/Jamaica",
         "America/Guatemala", "America/Argentina/Buenos_Aires"]
ROLES = ["ministry", "ministry", "ministry", "secretariat", "subregional",
         "academia"]

GROUP = """\
[group]
id = {gid}
name = Grupo de trabajo {n}: protección social y desarrollo inclusivo
kind = thematic
axis = protection
language = es
timezone = America/Santiago
dissemination = members

{members}
[series {series}]
summary = Reunión del grupo {n} sobre protección social universal
kind = meeting
start = {start}
duration = 90
{rrule}location = https://meet.example.org/{gid}
"""

MEMBER = """\
[member {email}]
name = {name}
role = {role}
{extra}"""


def member(g, m):
    extra = ""
    if m < 2:
        extra += "coordinator = yes\n"
    lang = LANGS[(g + m) % len(LANGS)]
    if lang:
        extra += "language = %s\n" % lang
    tz = ZONES[(g * 7 + m) % len(ZONES)]
    if tz:
        extra += "timezone = %s\n" % tz
    return MEMBER.format(email="m%03d.g%05d@mides%d.example.org" % (m, g, g % 17),
                         name="Integrante %d del grupo %d" % (m, g),
                         role="secretariat" if m == 1 else ROLES[m % len(ROLES)], extra=extra)


def write(dir, groups, members, start, rrule=None, horizon=90, lead=21,
          smtp_port=1, imap_port=1, processed=False, tick=None):
    """A configuration in dir: convened.ini, imap.pass, groups.d/."""
    path = global_ini(dir, smtp_port, imap_port, horizon, lead, processed,
                      tick=tick)
    for g in range(groups):
        gid = "wg%05d" % g
        with open(os.path.join(dir, "groups.d", gid + ".ini"), "w") as f:
            f.write(GROUP.format(
                gid=gid, n=g, series="monthly" if rrule else "meeting",
                start=start, rrule="rrule = %s\n" % rrule if rrule else "",
                members="\n".join(member(g, m) for m in range(members))))
    return path


def global_ini(dir, smtp_port=1, imap_port=1, horizon=90, lead=21,
               processed=False, user="agenda", connections=None, tick=None):
    """The integration tests' convened.ini (tests/integration/lib.py), with
    the conference's organizer and a quota of one; connections: [smtp]
    connections, tick: [daemon] tick (None: the defaults)."""
    return write_config(
        dir, smtp_port, imap_port, user=user, horizon=horizon, lead=lead,
        processed="Processed" if processed else None, quota=1,
        organizer="Secretaría técnica de la Conferencia Regional sobre "
        "Desarrollo Social", admin="secretaria@" + DOMAIN,
        connections=connections, tick=tick)
