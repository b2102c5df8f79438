"""The public site after test_repo.py's stretch of a year (by mail through
real SMTP and Dovecot): the index and the public group's page rendered by
headless Chromium (screenshots of a plausible size, not blank, the page
longer than the index), every page clean for `tidy -errors -q`, every link
and style sheet resolving to a file inside site/, no script, the public
group's minutes there (the text without the address it named), and
neither the members-only group's minutes nor any member's address
anywhere under site/.  Skipped, and only then, where Chromium is missing
(scripts/deps.sh test installs it)."""

import os
import re
import shutil
import struct
import subprocess
import sys
import zlib

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import check, run, skip  # noqa: E402
import test_repo  # noqa: E402

MEMBERS = ["ana@mides.example.uy", "luis@cepal.example.org", "kim@gov.example.bb",
           "joao@mds.example.br", "marie@gouv.example.ht", "guest@ilo.example.org"]


def chromium():
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None


def png_pixels(path):
    """(width, height, decompressed scanlines) of a PNG."""
    data = open(path, "rb").read()
    check(data[:8] == b"\x89PNG\r\n\x1a\n", "%s is not a PNG" % path)
    pos, idat, w, h = 8, b"", 0, 0
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h = struct.unpack(">II", body[:8])
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    return w, h, zlib.decompress(idat)


def screenshot(browser, page, out):
    p = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu",
                        "--hide-scrollbars", "--window-size=1000,1400",
                        "--screenshot=" + out, "file://" + page],
                       capture_output=True, text=True, timeout=120)
    check(p.returncode == 0 and os.path.exists(out),
          "chromium did not render %s: %s" % (page, p.stderr[-2000:]))
    w, h, px = png_pixels(out)
    check((w, h) == (1000, 1400), "screenshot of %s is %dx%d" % (page, w, h))
    # not blank: a page of text and tables has many shades, an empty one
    # (all white) only the filter bytes and 0xff
    check(len(set(px)) > 16, "screenshot of %s is blank" % page)
    return os.path.getsize(out)


def links(site):
    """Every page: tidy-clean, no script, each href/src a file in site/."""
    pages = [f for f in os.listdir(site) if f.endswith(".html")]
    check("index.html" in pages and "south-south.html" in pages, "pages: %s" % pages)
    n = 0
    for f in pages:
        path = os.path.join(site, f)
        t = subprocess.run(["tidy", "-errors", "-q", path], capture_output=True, text=True)
        check(t.returncode == 0, "tidy on %s (%d):\n%s" % (f, t.returncode, t.stderr))
        html = open(path, encoding="utf-8").read()
        check("<script" not in html.lower(), "%s has a script" % f)
        for target in re.findall(r'(?:href|src)="([^"]*)"', html):
            check("://" not in target and not target.startswith("/"),
                  "%s links outside the site: %s" % (f, target))
            dest = os.path.normpath(os.path.join(site, target))
            check(dest.startswith(site + os.sep), "%s leaves site/: %s" % (f, target))
            check(os.path.isfile(dest), "%s: link %s resolves to nothing" % (f, target))
            n += 1
    return len(pages), n


def leaks(site):
    everything = b""
    names = []
    for d, _, files in os.walk(site):
        for f in files:
            everything += open(os.path.join(d, f), "rb").read()
            names.append(os.path.join(d, f))
    for a in MEMBERS:
        check(a.encode() not in everything, "%s appears under site/" % a)
    check(b"Acta reservada" not in everything, "the members-only minutes leaked")
    check(not any("privado/2021" in n for n in names), "a members-only file is under site/")
    check(b"Acta de marzo. Consultas a [" in everything,
          "the public minutes are not in the site")


def test(ws):
    browser = chromium()
    if browser is None:
        skip("chromium is not installed (scripts/deps.sh test installs it)")
    bare = test_repo.prepare(ws)
    smtp, dc, seen, _ = test_repo.year(ws, bare)
    ws.convened("once", now="2021-03-18T14:00:00Z")
    site = os.path.join(ws.dir, "repository", "site")
    npages, nlinks = links(site)
    leaks(site)
    shots = os.path.join(ws.dir, "shots")
    os.makedirs(shots)
    index = screenshot(browser, os.path.join(site, "index.html"),
                       os.path.join(shots, "index.png"))
    group = screenshot(browser, os.path.join(site, "south-south.html"),
                       os.path.join(shots, "group.png"))
    check(index > 5000 and group > 5000, "screenshots too small: %d, %d" % (index, group))
    check(group > index, "the group's page (%d bytes) no fuller than the index (%d)"
          % (group, index))
    print("site: %d pages tidy-clean, %d links resolving, screenshots %d and %d bytes, "
          "no member address, members-only minutes absent" % (npages, nlinks, index, group))


if __name__ == "__main__":
    sys.exit(run("site", test))
