"""The repository's git history through a simulated stretch of a year, by
mail through a real SMTP server and a real Dovecot: invitations, an RSVP,
minutes of two groups (one public, one members-only) in March and of the
public one in April.

Checked with the git command: exactly one commit per minutes record, its
author the coordinator who sent them (name and address), its committer
convened, its message naming group, meeting, kind and Message-ID; `git
fsck --strict` clean and nothing left uncommitted.  A kill -9 after the
files and their journal row but before the commit (CONVENED_TEST_CRASH,
repo.c) is completed by the next run, and one after the commit but before
the row's removal commits nothing twice.  [daemon] publish pushes to a
local bare repository; a remote that refuses (its branch holds another
history) is told once, loses nothing, and the push goes through once the
remote is set right.

test_site.py runs the same year (year()) and checks the public site."""

import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, check, check_journaled, of_kind, run  # noqa: E402
import test_invitations as ti  # noqa: E402
import test_replies as tr  # noqa: E402

ANA = "Ana Pérez <ana@mides.example.uy>"
PDF = tr.PDF


def git(repo, *args):
    return subprocess.run(["git", "-C", repo] + list(args), check=True,
                          capture_output=True, text=True).stdout


def groups(ws):
    """south-south public; privado, the same people, members-only."""
    text = ti.group().replace("timezone = America/Montevideo\n",
                              "timezone = America/Montevideo\ndissemination = public\n", 1)
    ws.write_group("10-south-south.ini", text)
    other = ti.group().replace("id = south-south", "id = privado").replace(
        "name = Cooperación Sur-Sur", "name = Grupo Privado").replace(
        "timezone = America/Montevideo\n",
        "timezone = America/Montevideo\ndissemination = members\n", 1)
    ws.write_group("20-privado.ini", other)


def send_minutes(dc, req, msgid, text):
    dc.deliver("agenda", tr.reply_to(req, ANA, msgid, text, ("acta.pdf", PDF)))


def year(ws, bare):
    """The stretch of the year, servers started; returns (smtp, dc, seen)."""
    smtp, dc = tr.start_servers(ws)
    ws.write_global(smtp.port, imap_port=dc.imap_port)
    text = open(ws.config).read().replace(
        "[daemon]\n", "[daemon]\npublish = %s\n" % bare, 1)
    open(ws.config, "w").write(text)
    groups(ws)
    ws.convened("check")
    seen = [0]
    ws.convened("once", now="2021-03-01T12:00:00Z")
    inv = ti.new_messages(smtp, seen)
    ana = [m for r, m, _ in inv if r == ["ana@mides.example.uy"]
           and "south-south" in str(m["Message-ID"])]
    check(len(ana) == 1, "invitations to Ana for south-south: %d" % len(ana))
    dc.deliver(tr.organizer(ana[0]).split("@")[0], tr.rsvp_from_invitation(
        ana[0], "ana@mides.example.uy", "ACCEPTED", "r-ana@uy"))
    ws.convened("once", now="2021-03-02T12:00:00Z")

    # March: minutes of both groups; killed after the files and their
    # journal rows, before the commit.
    ws.convened("once", now="2021-03-18T12:00:00Z")
    reqs = by_group(smtp, seen)
    check(sorted(reqs) == ["privado", "south-south"], "minutes requests %s" % sorted(reqs))
    send_minutes(dc, reqs["south-south"], "min-ss-3@uy",
                 "Acta de marzo. Consultas a ana@mides.example.uy.")
    send_minutes(dc, reqs["privado"], "min-pr-3@uy", "Acta reservada de marzo.")
    p = ws.crash("repo-before-commit", now="2021-03-18T13:00:00Z")
    check(p.returncode == -9, "not killed before the commit: %d\n%s" % (p.returncode, p.stderr))
    return smtp, dc, seen, reqs


def by_group(smtp, seen):
    got = {}
    for rcpts, msg, _ in of_kind(ti.new_messages(smtp, seen, everything=True),
                                 "minutes-request"):
        if rcpts == ["ana@mides.example.uy"]:
            got[str(msg["Message-ID"]).split(".")[2]] = msg
    return got


def april(ws, smtp, dc, seen):
    """April's minutes of the public group: killed after the commit."""
    ws.convened("once", now="2021-04-22T12:00:00Z")
    reqs = by_group(smtp, seen)
    check("south-south" in reqs, "no April minutes request: %s" % sorted(reqs))
    send_minutes(dc, reqs["south-south"], "min-ss-4@uy", "Acta de abril.")
    p = ws.crash("repo-after-commit", now="2021-04-22T13:00:00Z")
    check(p.returncode == -9, "not killed after the commit: %d" % p.returncode)
    ws.convened("once", now="2021-04-22T14:00:00Z")


def crash(ws, where, now):
    env = dict(os.environ, CONVENED_TEST_CRASH=where)
    return subprocess.run([CONVENED, "-c", ws.config, "--now", now, "once"],
                          capture_output=True, text=True, timeout=300, env=env)


def prepare(ws):
    """ws.crash(where, now): `once` with a kill at where."""
    ws.crash = lambda where, now: crash(ws, where, now)
    bare = os.path.join(ws.dir, "published.git")
    subprocess.run(["git", "init", "-q", "--bare", bare], check=True)
    return bare


def history(ws):
    repo = os.path.join(ws.dir, "repository")
    check_journaled(repo)
    log = git(repo, "log", "--format=%H%x1f%an <%ae>%x1f%cn%x1f%B%x1e")
    commits = [c.strip("\n").split("\x1f") for c in log.split("\x1e") if c.strip()]
    minutes = [c for c in commits if "\nKind: minutes\n" in c[3]]
    check(len(minutes) == 3, "%d minutes commits, not 3:\n%s" % (len(minutes), log))
    for c in minutes:
        check(c[1] == ANA, "minutes authored by %s" % c[1])
        check(c[2] == "convened", "minutes committed by %s" % c[2])
        check("\nMeeting: " in c[3] and "\nMessage-ID: <min-" in c[3], "message:\n" + c[3])
    ids = sorted(c[3].split("Message-ID: ")[1].split("\n")[0] for c in minutes)
    check(ids == ["<min-pr-3@uy>", "<min-ss-3@uy>", "<min-ss-4@uy>"], "Message-IDs %s" % ids)
    groups_ = sorted(c[3].split("Group: ")[1].split("\n")[0] for c in minutes)
    check(groups_ == ["privado", "south-south", "south-south"], "groups %s" % groups_)
    # every commit with a journal trailer names a different row
    trailers = [c[3].split("Convened-Journal: ")[1].split("\n")[0] for c in commits
                if "Convened-Journal: " in c[3]]
    check(len(trailers) == len(set(trailers)), "a journal row committed twice")
    for c in commits:
        if "\nKind: site\n" in c[3] or "\nKind: calendar\n" in c[3]:
            check(c[1].startswith("convened <"), "%s authored by %s" % (c[3][:20], c[1]))
    fsck = subprocess.run(["git", "-C", repo, "fsck", "--strict"], capture_output=True,
                          text=True)
    check(fsck.returncode == 0, "git fsck: " + fsck.stdout + fsck.stderr)
    check(git(repo, "status", "--porcelain") == "", "uncommitted: " +
          git(repo, "status", "--porcelain"))
    # every archived file is in the history
    tracked = set(git(repo, "ls-files").split("\n"))
    for d, _, names in os.walk(repo):
        if "/.git" in d + "/":
            continue
        for n in names:
            rel = os.path.relpath(os.path.join(d, n), repo)
            check(rel in tracked, "%s not committed" % rel)
    print("history: %d commits, 3 minutes by Ana, fsck clean, nothing left out"
          % len(commits))
    return repo


def publish(ws, bare, repo):
    check(git(repo, "rev-parse", "HEAD") == git(bare, "rev-parse", "main"),
          "the bare repository is not at HEAD")
    # A remote that refuses: its main holds another history.
    refusing = os.path.join(ws.dir, "refusing.git")
    other = os.path.join(ws.dir, "other")
    subprocess.run(["git", "init", "-q", "-b", "main", other], check=True)
    subprocess.run(["git", "-C", other, "-c", "user.name=x", "-c", "user.email=x@x",
                    "commit", "-q", "--allow-empty", "-m", "other"], check=True)
    subprocess.run(["git", "clone", "-q", "--bare", other, refusing], check=True)
    text = open(ws.config).read().replace(bare, refusing)
    open(ws.config, "w").write(text)
    ws.write_group("30-nuevo.ini", "[group]\nid = nuevo\nname = Nuevo\nkind = discussion\n"
                   "[member ana@mides.example.uy]\nname = Ana Pérez\nrole = ministry\n"
                   "coordinator = yes\n[member luis@cepal.example.org]\nname = Luis\n"
                   "role = secretariat\ncoordinator = yes\n")
    p1 = ws.convened("once", now="2021-05-01T12:00:00Z")
    p2 = ws.convened("once", now="2021-05-01T12:30:00Z")
    told = (p1.stderr + p2.stderr).count("cannot use the publishing remote")
    check(told == 1, "refusing remote told %d times:\n%s%s" % (told, p1.stderr, p2.stderr))
    check(git(refusing, "log", "--format=%s", "main") == "other\n", "the refusing remote changed")
    # set right: everything goes at the next push
    text = open(ws.config).read().replace(refusing, bare)
    open(ws.config, "w").write(text)
    p = ws.convened("once", now="2021-05-01T14:00:00Z")
    check("works again" in p.stderr, "the remote's outage did not end:\n" + p.stderr)
    check(git(repo, "rev-parse", "HEAD") == git(bare, "rev-parse", "main"),
          "the bare repository did not catch up")
    print("publish: pushed to a bare repository; a refusing remote told once, caught up after")


def test(ws):
    bare = prepare(ws)
    smtp, dc, seen, _ = year(ws, bare)
    ws.convened("once", now="2021-03-18T14:00:00Z")
    april(ws, smtp, dc, seen)
    repo = history(ws)
    publish(ws, bare, repo)


if __name__ == "__main__":
    sys.exit(run("repo", test))
