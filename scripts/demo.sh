#!/bin/sh
# make demo: the example configuration of the plan of work, checked and
# shown.  State goes to a temporary directory so the demo never touches
# /var/lib/convened; the directory is kept so it can be looked at.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/convened-demo.XXXXXX")
now=${DEMO_NOW:-2021-03-01T12:00:00Z}

# The example names /var/lib paths and a systemd credential for IMAP; the
# demo's copy points state and repository at its own directory.
sed -e "s#^state = .*#state = $work/state.db#" \
    -e "s#^repository = .*#repository = $work/repository#" \
    -e "s#^groups = .*#groups = $root/config/groups.d#" \
    -e "s#^templates = .*#templates = $root/templates#" \
    "$root/config/convened.ini" > "$work/convened.ini"

echo "== convened check (example configuration of the plan of work)"
"$root/convened" -c "$work/convened.ini" check
echo
echo "== convened status --now $now"
"$root/convened" -c "$work/convened.ini" --now "$now" status
echo
echo "== convened status --json south-south"
"$root/convened" -c "$work/convened.ini" --now "$now" status --json south-south
echo
echo "state and configuration of this run: $work"
