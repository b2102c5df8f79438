"""`convened inspect FILE` over every real-world fixture in
../shared/fixtures (read in place) and every fixture of our own in
tests/data: valid JSON with the documented keys, and the kind, UID and
bounce recipients SOURCES.md gives.  The parser's finer points are
asserted by tests/unit/test_classify.c; this checks the command."""

import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lib import CONVENED, ROOT, Failure, check, run  # noqa: E402

SHARED = os.environ.get("SHARED") or os.path.join(ROOT, "..", "shared")

# file -> (kind, UID prefix or None, {bounce address: permanent})
EXPECT = {
    "imip-reply/apple-ical3-mail-accept.eml": ("rsvp", "1E71F9C8-AEDA-48EB", {}),
    "imip-reply/google-calendar-accept.ics": ("rsvp", "62050f080e53ca8e", {}),
    "imip-reply/thunderbird-lightning-accept.eml": ("rsvp", "4f0162146d61cb2c", {}),
    "imip-request/apple-ical5-mail-request-cp1252.eml": ("request", "48560E48-9DE3", {}),
    "imip-request/exchange2010-request-windows-tz.ics": ("request", "040000008200E00074C5", {}),
    "imip-request/google-calendar-request.ics": ("request", "c74p2nmutcd0kt69ku7rs8vu2g", {}),
    "imip-request/icloud-request-paris-tz.ics": ("request", "5919D444-7C99", {}),
    "imip-request/lotus-notes-852-request.ics": ("request", "A5C4058C8C5926C8C12579B100622D66", {}),
    "imip-request/outlook-exchange2003-cdo-request.eml": ("request", "040000008200E00074C5", {}),
    "imip-request/outlook-exchange2007-request-base64.eml": ("request", "040000008200E00074C5", {}),
    "imip-request/thunderbird-lightning-request-qp.eml": ("request", "6f59364f-987e", {}),
    "imip-cancel/google-calendar-cancel.ics": ("cancel", "c74p2nmutcd0kt69ku7rs8vu2g", {}),
    "imip-cancel/tine20-cancel-qp.eml": ("cancel", "4f0162146d61cb2c", {}),
    "bounces/exchange2007-message-too-large.eml": ("bounce", None, {"john.smith@eu.a.b.c": True}),
    "bounces/exim-two-recipients-user-unknown.eml": (
        "bounce", None, {"kijitora@example.jp": True, "sabatora@example.jp": True}),
    "bounces/gmail-user-unknown-2010.eml": (
        "bounce", None, {"aougoueioaldljgoiuiorghladkgke@example.fr": True}),
    "bounces/postfix-2000-mbox-from-line-user-unknown.eml": ("bounce", None, {"xxxxx@local.ie": True}),
    "bounces/postfix-two-recipients-user-unknown.eml": (
        "bounce", None, {"filtered@example.co.jp": True, "userunknown@example.co.jp": True}),
    "bounces/qmail-unknown-user.eml": ("bounce", None, {"kijitora@example.ne.jp": True}),
    "bounces/sendmail-user-unknown.eml": ("bounce", None, {"userunknown@bouncehammer.jp": True}),
    "bounces/vircom-dsn-delayed-transient.eml": ("delay", None, {"userx@example.cz": False}),
    "bounces/yahoo-2001-qmail-smtp-connect-gave-up.eml": ("bounce", None, {"userx@example.com": True}),
    "mime/duplicate-case-variant-headers-exim-php.eml": ("plain", None, {}),
    "mime/outlook2003-winmail-dat-tnef-richtext.eml": ("plain", None, {}),
    "mime/thunderbird-rfc2231-rfc2047-latin1-attachment-name.eml": ("plain", None, {}),
}

# The contract's keys, and those the trust work added (issue 12).
KEYS = {"message_id", "from", "kind", "itip", "bounce", "reason",
        "from_refused", "tokens", "authentication", "attachments"}
KINDS = {"rsvp", "counter", "request", "cancel", "bounce", "delay", "auto-reply",
         "plain", "malformed"}


def inspect(path):
    p = subprocess.run([CONVENED, "inspect", path], capture_output=True, timeout=60)
    check(p.returncode == 0, "%s: exit %d: %s" % (path, p.returncode, p.stderr))
    try:
        out = json.loads(p.stdout)
    except ValueError as e:
        raise Failure("%s: not JSON (%s): %r" % (path, e, p.stdout[:200]))
    check(set(out) == KEYS, "%s: keys %s" % (path, sorted(out)))
    check(out["kind"] in KINDS, "%s: kind %s" % (path, out["kind"]))
    check(all(t["where"] in ("to", "cc", "delivered-to", "organizer", "in-reply-to",
                             "references") for t in out["tokens"]), "%s: tokens" % path)
    check(all(a["type"] in ("pdf", "odf", "ooxml", "text", "png", "jpeg", "gif", "webp",
                            "other") for a in out["attachments"]), "%s: attachments" % path)
    for b in out["bounce"] or []:
        # A delay is transient: never permanent (issue 14).
        check(set(b) == {"email", "status", "permanent", "delay"} and
              isinstance(b["delay"], bool) and not (b["delay"] and b["permanent"]),
              "%s: bounce entry %s" % (path, b))
    for a in (out["itip"] or {}).get("attendees", []):
        check(a["email"] == a["email"].lower() and "mailto:" not in a["email"],
              "%s: attendee %s" % (path, a["email"]))
    return out


def test(ws):
    fixtures = os.path.join(SHARED, "fixtures")
    n = 0
    if os.path.isdir(fixtures):
        found = sorted(os.path.relpath(os.path.join(d, f), fixtures)
                       for d, _, fs in os.walk(fixtures) for f in fs if f != "SOURCES.md")
        check(sorted(EXPECT) == found, "fixtures without expectation: %s" %
              sorted(set(found) ^ set(EXPECT)))
        for rel, (kind, uid, bounces) in EXPECT.items():
            out = inspect(os.path.join(fixtures, rel))
            check(out["kind"] == kind, "%s: kind %s, not %s" % (rel, out["kind"], kind))
            if uid:
                check(out["itip"]["uid"].startswith(uid), "%s: uid %s" % (rel, out["itip"]["uid"]))
            got = {b["email"]: b["permanent"] for b in (out["bounce"] or [])}
            check(got == bounces, "%s: bounce %s" % (rel, got))
            if "delayed" in rel:
                check(all(b["delay"] for b in out["bounce"]), "%s: not a delay" % rel)
            if rel.startswith("imip-reply/apple"):
                # Apple's calendar server puts a token of its own in the
                # ORGANIZER (a UUID): not one of ours, none listed.
                check(out["tokens"] == [], "%s: tokens %s" % (rel, out["tokens"]))
            if rel.startswith("mime/thunderbird-rfc2231"):
                check([a["type"] for a in out["attachments"]] == ["png"],
                      "%s: attachments %s" % (rel, out["attachments"]))
            n += 1
    else:
        print("../shared/fixtures absent: only the project's own data")
    for f in sorted(os.listdir(os.path.join(ROOT, "tests", "data"))):
        if f.endswith((".eml", ".ics")):
            inspect(os.path.join(ROOT, "tests", "data", f))
            n += 1
    check(n > 0, "nothing inspected")
    print("inspected %d files" % n)


if __name__ == "__main__":
    sys.exit(run("inspect", test))
