"""Quota and coordination-rule warnings through a simulated year:
`convened once --now` at a dozen dates against a real SMTP server, and
exactly which warnings went out, to whom, in which language.  Then the
annual report in md, csv and json, checked against `status` and against
the mail sent, and the calendar feeds.

Groups (quota 3, checks 03-31 06-30 09-30 11-15, admin copied):
  steady     America/Montevideo  monthly all year: never warned; one
             meeting cancelled by an EXDATE (the feed shows it)
  drifting   Pacific/Kiritimati  (UTC+14) two meetings: warned at its
             31 March, which is still 30 March in UTC; adds a third in
             May and is never warned again
  lapsed     Pacific/Pago_Pago   (UTC-11) one meeting: warned at 31 March,
             then, the daemon being down from June to October, once for
             30 September (never for 30 June), at 15 November, and in
             January for the year that ended short
  rulebreak  UTC                 one coordinator: a rule warning; another
             when a member joins; none once fixed"""

import csv
import io
import os
import re
import subprocess
import sys

import icalendar

from lib import CONVENED, SmtpServer, check, msgid_kind, of_kind, run

DOMAIN = "conferencia.example.org"
ADMIN = "admin@conferencia.example.org"

STEADY = """\
[group]
id = steady
name = Grupo constante
kind = thematic
axis = protection
language = es
timezone = America/Montevideo

[member ana@mides.example.uy]
name = Ana Pérez
role = ministry
coordinator = yes

[member luis@cepal.example.org]
name = Luis Muñoz
role = secretariat
coordinator = yes
language = en

[series monthly]
summary = Reunión mensual
start = 2021-01-20 15:00
duration = 90
rrule = FREQ=MONTHLY;BYDAY=3WE
{exdate}
"""

DRIFTING = """\
[group]
id = drifting
name = Groupe à la dérive
kind = thematic
axis = inclusion
parent = steady
language = fr
timezone = Pacific/Kiritimati

[member joao@mds.example.br]
name = João Araújo
role = ministry
coordinator = yes
language = pt

[member marie@cepal.example.org]
name = Marie-Hélène Jean
role = secretariat
coordinator = yes
language = fr

[series first]
summary = Première réunion
start = 2021-02-10 10:00
duration = 60

[series second]
summary = Deuxième réunion
start = 2021-05-12 10:00
duration = 60
{third}
"""

THIRD = """
[series third]
summary = Troisième réunion
kind = workshop
start = 2021-08-04 10:00
duration = 60
"""

LAPSED = """\
[group]
id = lapsed
name = Lapsed group
kind = subregional
language = en
timezone = Pacific/Pago_Pago

[member kim@gov.example.ws]
name = Kim Clarke
role = ministry
coordinator = yes
language = en

[member rosa@cepal.example.org]
name = Rosa Díaz
role = secretariat
coordinator = yes
language = es
timezone = America/Santiago

[series only]
summary = The only meeting
start = 2021-04-14 09:00
duration = 60
"""

RULEBREAK = """\
[group]
id = rulebreak
name = Grupo sin regla
kind = discussion
language = es
timezone = UTC

[member pedro@mides.example.cl]
name = Pedro Soto
role = ministry
coordinator = yes
{more}
[series monthly]
summary = Reunión
start = 2021-01-27 14:00
duration = 60
rrule = FREQ=MONTHLY;BYDAY=4WE
"""

LUCIA = """
[member lucia@mides.example.cl]
name = Lucía Rojas
role = ministry
"""

FIXED = """
[member lucia@mides.example.cl]
name = Lucía Rojas
role = ministry

[member tomas@cepal.example.org]
name = Tomás Araya
role = secretariat
coordinator = yes
"""

KINDS = ("quota-warning", "quota-year-end", "rule-warning")

# Words only the template of that language has, in the subject.
SUBJECT = {
    "quota-warning": {"es": "por debajo de la meta anual", "en": "below the annual target",
                      "pt": "abaixo da meta anual", "fr": "en deçà de l'objectif"},
    "quota-year-end": {"es": "cerró por debajo", "en": "ended below",
                       "pt": "terminou abaixo", "fr": "s'est achevée"},
    "rule-warning": {"es": "no cumple el plan", "en": "does not meet",
                     "pt": "não cumpre o plano", "fr": "déroge au plan"},
}

LANG = {ADMIN: "es", "ana@mides.example.uy": "es", "luis@cepal.example.org": "en",
        "joao@mds.example.br": "pt", "marie@cepal.example.org": "fr",
        "kim@gov.example.ws": "en", "rosa@cepal.example.org": "es",
        "pedro@mides.example.cl": "es", "tomas@cepal.example.org": "es"}


def warnings(smtp, seen):
    """(kind, group, recipient, message) of the warnings accepted since the
    last call."""
    msgs = smtp.messages()
    fresh = msgs[seen[0]:]
    seen[0] = len(msgs)
    out = []
    for rcpts, msg, raw in fresh:
        kg = msgid_kind(msg)
        if not kg or kg[0] not in KINDS:
            continue
        check(len(rcpts) == 1, "one recipient per warning")
        out.append((kg[0], kg[1], rcpts[0], msg))
    return out


def body(msg):
    return msg.get_body(preferencelist=("plain",)).get_content()


def expect(got, want, when):
    have = sorted((k, g, r) for k, g, r, _ in got)
    check(have == sorted(want), "%s: warnings sent %s, wanted %s" % (when, have, sorted(want)))
    for kind, group, rcpt, msg in got:
        lang = LANG[rcpt]
        subj = str(msg["Subject"])
        check(SUBJECT[kind][lang] in subj, "%s: %s to %s not in %s: %r" % (when, kind, rcpt, lang, subj))
        check(msg["Auto-Submitted"] == "auto-generated", "Auto-Submitted")


def to_all(kind, group, rcpts):
    return [(kind, group, r) for r in rcpts]


def figure(text, label):
    m = re.search(re.escape(label) + r"\s*(\d+)", text)
    check(m is not None, "%r not in body:\n%s" % (label, text))
    return int(m.group(1))


def write(ws, exdate="", third="", more=""):
    ws.write_group("10-steady.ini", STEADY.format(exdate=exdate))
    ws.write_group("20-drifting.ini", DRIFTING.format(third=third))
    ws.write_group("30-lapsed.ini", LAPSED)
    ws.write_group("40-rulebreak.ini", RULEBREAK.format(more=more))


def report(ws, now, year, fmt):
    return ws.convened("report", "--year", str(year), "--format", fmt, now=now).stdout


def agree(ws, now, year):
    """status and report say the same for the current year."""
    st = {g["id"]: g for g in ws.status(now)["groups"]}
    rep = {g["id"]: g for g in __import__("json").loads(report(ws, now, year, "json"))["groups"]}
    check(sorted(st) == sorted(rep), "groups differ")
    for gid, g in st.items():
        check(g["year"] == year, "%s: status year %s" % (gid, g["year"]))
        for k in ("quota", "held", "scheduled", "short_by", "coordination_ok", "bouncing"):
            check(g[k] == rep[gid][k], "%s at %s: status %s=%s, report %s" % (gid, now, k, g[k], rep[gid][k]))
        check([m["uid"] for m in g["meetings"]] == [m["uid"] for m in rep[gid]["meetings"]],
              "%s: meetings differ" % gid)
        check(sum(m["status"] == "scheduled" for m in g["meetings"]) == g["scheduled"],
              "%s: scheduled meetings listed" % gid)
        check(sum(m["status"] == "held" for m in g["meetings"]) == g["held"],
              "%s: held meetings listed" % gid)
    return st


def test(ws):
    smtp = SmtpServer(ws.dir)
    ws.servers.append(smtp)
    ws.write_global(smtp.port)
    write(ws)
    ws.convened("check")
    seen = [0]
    once = lambda now: ws.convened("once", now=now)

    # 1. January: the rule, nothing about 2020 (before the first meeting).
    once("2021-01-15T12:00:00Z")
    expect(warnings(smtp, seen), to_all("rule-warning", "rulebreak", ["pedro@mides.example.cl", ADMIN]),
           "15 January")
    msgs = smtp.messages()
    rule = of_kind(msgs, "rule-warning")[0][1]
    check("menos de dos coordinadores" in body(rule), "why not localized:\n" + body(rule))
    once("2021-02-20T12:00:00Z")
    expect(warnings(smtp, seen), [], "20 February")

    # 2. 31 March in Kiritimati is 30 March 10:00 UTC: only drifting.
    once("2021-03-30T10:30:00Z")
    got = warnings(smtp, seen)
    expect(got, to_all("quota-warning", "drifting", ["joao@mds.example.br", "marie@cepal.example.org", ADMIN]),
           "31 March in Kiritimati")
    st = ws.status("2021-03-30T10:30:00Z", "drifting")["groups"][0]
    check((st["held"], st["scheduled"], st["short_by"]) == (1, 1, 1), "drifting at 31 March: %s" % st)
    marie = [m for k, g, r, m in got if r == "marie@cepal.example.org"][0]
    text = body(marie)
    check(figure(text, "Réunions tenues\u00a0:") == 1 and figure(text, "Réunions manquantes\u00a0:") == 1,
          "French figures:\n" + text)
    check("12/05/2021" in text, "planned date not in the French body:\n" + text)

    # 3. 31 March in Montevideo and Pago Pago: lapsed only.
    once("2021-03-31T12:00:00Z")
    got = warnings(smtp, seen)
    expect(got, to_all("quota-warning", "lapsed", ["kim@gov.example.ws", "rosa@cepal.example.org", ADMIN]),
           "31 March")
    kim = [m for k, g, r, m in got if r == "kim@gov.example.ws"][0]
    st = ws.status("2021-03-31T12:00:00Z", "lapsed")["groups"][0]
    text = body(kim)
    check(figure(text, "Meetings held:") == st["held"] == 0, "held in mail vs status")
    check(figure(text, "Meetings scheduled:") == st["scheduled"] == 1, "scheduled in mail vs status")
    check(figure(text, "Meetings missing:") == st["short_by"] == 2, "missing in mail vs status")
    check("14 Apr 2021" in text and "9 months" in text, "English body:\n" + text)
    once("2021-04-01T12:00:00Z")
    expect(warnings(smtp, seen), [], "1 April")
    agree(ws, "2021-04-01T12:00:00Z", 2021)

    # 4. May: drifting adds a meeting, a member joins rulebreak (a new
    # membership), steady drops its June meeting.
    write(ws, exdate="exdate = 2021-06-16", third=THIRD, more=LUCIA)
    once("2021-05-20T12:00:00Z")
    expect(warnings(smtp, seen), to_all("rule-warning", "rulebreak", ["pedro@mides.example.cl", ADMIN]),
           "20 May")
    st = agree(ws, "2021-05-20T12:00:00Z", 2021)
    check(st["drifting"]["short_by"] == 0, "drifting not fixed: %s" % st["drifting"])

    # 5. Down from June to October: lapsed hears of 30 September only.
    once("2021-10-05T12:00:00Z")
    expect(warnings(smtp, seen), to_all("quota-warning", "lapsed",
                                        ["kim@gov.example.ws", "rosa@cepal.example.org", ADMIN]), "5 October")
    once("2021-10-06T12:00:00Z")
    expect(warnings(smtp, seen), [], "6 October")

    # 6. rulebreak gets a secretariat coordinator: no more rule warnings.
    write(ws, exdate="exdate = 2021-06-16", third=THIRD, more=FIXED)
    once("2021-11-16T12:00:00Z")
    expect(warnings(smtp, seen), to_all("quota-warning", "lapsed",
                                        ["kim@gov.example.ws", "rosa@cepal.example.org", ADMIN]), "16 November")
    once("2021-12-20T12:00:00Z")
    expect(warnings(smtp, seen), [], "20 December")
    agree(ws, "2021-12-20T12:00:00Z", 2021)

    # 7. January 2022: lapsed ended 2021 short; once.
    once("2022-01-02T12:00:00Z")
    got = warnings(smtp, seen)
    expect(got, to_all("quota-year-end", "lapsed", ["kim@gov.example.ws", "rosa@cepal.example.org", ADMIN]),
           "2 January 2022")
    year_end = {g for _, g, _, _ in got}
    once("2022-01-20T12:00:00Z")
    expect(warnings(smtp, seen), [], "20 January 2022")
    agree(ws, "2022-01-20T12:00:00Z", 2022)

    ids = [m["Message-ID"] for _, m, _ in smtp.messages()]
    check(len(ids) == len(set(ids)), "a Message-ID was accepted twice")

    # 8. The report for 2021, seen in 2022: what happened.
    now = "2022-01-20T12:00:00Z"
    rep = __import__("json").loads(report(ws, now, 2021, "json"))
    check(rep["year"] == 2021, "report year")
    groups = {g["id"]: g for g in rep["groups"]}
    check([g["id"] for g in rep["groups"]] == ["steady", "drifting", "lapsed", "rulebreak"],
          "report order %s" % [g["id"] for g in rep["groups"]])
    check({g for g, v in groups.items() if v["short_by"] > 0} == year_end,
          "short groups %s, year-end notices %s" % (
              {g: v["short_by"] for g, v in groups.items()}, year_end))
    check((groups["lapsed"]["held"], groups["lapsed"]["short_by"]) == (1, 2), "lapsed %s" % groups["lapsed"])
    check(groups["drifting"]["held"] == 3, "drifting held %s" % groups["drifting"]["held"])
    for g in groups.values():
        check(g["scheduled"] == 0, "%s: scheduled in a past year" % g["id"])
        check(all(m["status"] in ("held", "cancelled") for m in g["meetings"]), "%s statuses" % g["id"])
    june = "steady-monthly-20210616@" + DOMAIN
    states = {m["uid"]: m for m in groups["steady"]["meetings"]}
    check(states[june]["status"] == "cancelled", "June not cancelled in the report")
    check(groups["rulebreak"]["coordination_ok"] is True, "rulebreak fixed")
    check(groups["drifting"]["parent"] == "steady", "parent")

    # CSV: one row per meeting, read back with the csv module.
    raw = subprocess.run([CONVENED, "-c", ws.config, "--now", now, "report", "--year", "2021",
                          "--format", "csv"], capture_output=True, check=True).stdout
    check(raw.count(b"\r\n") == raw.count(b"\n"), "CSV lines end in CRLF")
    text = raw.decode("utf-8")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for gid, g in groups.items():
        mine = [r for r in rows if r["group_id"] == gid]
        check(len(mine) == max(1, len(g["meetings"])), "%s: %d CSV rows" % (gid, len(mine)))
        check([r["meeting_uid"] for r in mine if r["meeting_uid"]] == [m["uid"] for m in g["meetings"]],
              "%s: CSV meetings" % gid)
        for r in mine:
            check(int(r["held"]) == g["held"] and int(r["short_by"]) == g["short_by"], "CSV figures")
    check(any(r["group_name"] == "Groupe à la dérive" for r in rows), "UTF-8 in the CSV")

    # Markdown: a heading per group and a table row per meeting.
    md = report(ws, now, 2021, "md")
    check(md.startswith("# "), "Markdown title")
    sections = re.split(r"\n#{3,6} ", md)
    for gid, g in groups.items():
        sec = [s for s in sections if "(`%s`)" % gid in s.split("\n")[0]]
        check(len(sec) == 1, "%s: one section" % gid)
        rows = [l for l in sec[0].split("\n") if re.match(r"\| 20\d\d-\d\d-\d\d ", l)]
        check(len(rows) == len(g["meetings"]), "%s: %d table rows, %d meetings" % (gid, len(rows), len(g["meetings"])))
    check("Subgroup of Grupo constante" in md, "subgroup not under its parent")
    check("missing" in md, "held meetings without minutes not said")

    # 9. The calendar feed: on stdout and in the repository, rewritten only
    # when it changed.
    feed = ws.convened("calendar", "steady", now=now).stdout
    cal = icalendar.Calendar.from_ical(feed)
    check(str(cal["METHOD"]) == "PUBLISH", "METHOD")
    check([str(c["TZID"]) for c in cal.walk("VTIMEZONE")] == ["America/Montevideo"], "VTIMEZONE")
    evs = {str(e["UID"]): e for e in cal.walk("VEVENT")}
    check(str(evs[june]["STATUS"]) == "CANCELLED", "cancelled meeting in the feed")
    path = os.path.join(ws.dir, "repository", "steady", "calendar.ics")
    check(os.path.exists(path), "no calendar.ics in the repository")
    check(sorted(str(e["UID"]) for e in icalendar.Calendar.from_ical(open(path).read()).walk("VEVENT"))
          == sorted(evs), "file and stdout differ")
    before = os.stat(path).st_mtime_ns
    # An hour later nothing changed but the time (DTSTAMP).
    once("2022-01-20T13:00:00Z")
    check(os.stat(path).st_mtime_ns == before, "calendar.ics rewritten without a change")
    ws.convened("calendar", "nosuch", now=now, expect=64)


if __name__ == "__main__":
    sys.exit(run("quota", test))
