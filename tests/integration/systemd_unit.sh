#!/bin/sh
# The systemd files in contrib/systemd, checked offline (no running systemd
# needed):
#   - convened.service.in becomes a unit with every @BINDIR@ replaced;
#   - `systemd-analyze security --offline=true` rates it 1.5 or lower, and
#     reads it without a syntax warning;
#   - it sets what keeps a fault contained: UMask=0077, LimitCORE=0,
#     MemoryHigh= and MemoryMax=, WatchdogSec=, no restart on EX_CONFIG;
#   - `systemd-analyze verify` accepts it, with ExecStart= pointing at the
#     built ./convened and the man pages of Documentation= found in man/;
#   - systemd-sysusers and systemd-tmpfiles (as root) create the user and
#     the directories in a scratch root.
# Exit 0 pass, 1 fail, 77 skip (no systemd-analyze).
set -u

MAX_EXPOSURE=1.5

command -v systemd-analyze >/dev/null 2>&1 || {
	echo "systemd_unit: systemd-analyze not installed, skipped"
	exit 77
}

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
src=$root/contrib/systemd
bin=${CONVENED:-$root/convened}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/convened-unit.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
fail=0

bad() {
	echo "FAIL: $*"
	fail=1
}

# The same substitution `make install` does, with the built binary's
# directory as BINDIR.
mkdir -p "$tmp/unit" || exit 1
sed "s#@BINDIR@#$(dirname "$bin")#g" "$src/convened.service.in" \
	>"$tmp/unit/convened.service" || exit 1
if grep -n '@[A-Z]*@' "$tmp/unit/convened.service"; then
	bad "placeholder left in the generated unit"
fi

# --- exposure rating ---------------------------------------------------
systemd-analyze security --offline=true --no-pager \
	"$tmp/unit/convened.service" >"$tmp/security.out" 2>"$tmp/security.err"
rc=$?
line=$(grep 'Overall exposure level' "$tmp/security.out")
echo "${line:-no rating printed (exit $rc)}"
if [ -s "$tmp/security.err" ]; then
	cat "$tmp/security.err"
	bad "systemd-analyze security warned about the unit"
fi
level=$(printf '%s\n' "$line" | sed -n 's/.*: \([0-9][0-9.]*\) .*/\1/p')
if [ -z "$level" ]; then
	cat "$tmp/security.out"
	bad "no exposure level in the output"
elif awk -v l="$level" -v m="$MAX_EXPOSURE" 'BEGIN { exit !(l > m) }'; then
	grep '✗' "$tmp/security.out"
	bad "exposure level $level is over $MAX_EXPOSURE"
fi

# --- limits --------------------------------------------------------------
for want in 'UMask=0077' 'LimitCORE=0' 'MemoryHigh=[0-9]' 'MemoryMax=[0-9]' \
	'WatchdogSec=[0-9]' 'RestartPreventExitStatus=78'; do
	if ! grep -q "^$want" "$tmp/unit/convened.service"; then
		bad "the unit does not set ${want%%=*}="
	fi
done
grep -E '^(UMask|LimitCORE|MemoryHigh|MemoryMax|WatchdogSec)=' \
	"$tmp/unit/convened.service" | tr '\n' ' '
echo

# --- verify --------------------------------------------------------------
# verify runs each ExecStart= binary check and `man` for Documentation=:
# give it the built binary and the pages from man/.
if [ -x "$bin" ]; then
	mkdir -p "$tmp/man/man8" "$tmp/man/man5" || exit 1
	cp "$root/man/convened.8" "$tmp/man/man8/" &&
		cp "$root/man/convened.ini.5" "$tmp/man/man5/" || exit 1
	if ! MANPATH=$tmp/man systemd-analyze verify --no-pager \
		"$tmp/unit/convened.service" >"$tmp/verify.out" 2>&1 ||
		[ -s "$tmp/verify.out" ]; then
		cat "$tmp/verify.out"
		bad "systemd-analyze verify refused the unit"
	else
		echo "systemd-analyze verify: clean"
	fi
else
	echo "systemd-analyze verify: skipped, $bin not built"
fi

# --- sysusers and tmpfiles ---------------------------------------------
# Applied to a scratch root; creating files owned by the new user needs
# root, so an unprivileged run only checks that sysusers parses the file.
r=$tmp/root
mkdir -p "$r/etc" "$r/usr/lib/sysusers.d" "$r/usr/lib/tmpfiles.d" || exit 1
cp "$src/convened.sysusers" "$r/usr/lib/sysusers.d/convened.conf" &&
	cp "$src/convened.tmpfiles" "$r/usr/lib/tmpfiles.d/convened.conf" ||
	exit 1
if ! command -v systemd-sysusers >/dev/null 2>&1; then
	echo "sysusers, tmpfiles: skipped, systemd-sysusers not installed"
elif [ "$(id -u)" -ne 0 ]; then
	if ! systemd-sysusers --dry-run --root="$r" convened.conf \
		>"$tmp/sysusers.out" 2>&1; then
		cat "$tmp/sysusers.out"
		bad "systemd-sysusers refused convened.sysusers"
	fi
	echo "tmpfiles: skipped, not root"
else
	if ! systemd-sysusers --root="$r" convened.conf >"$tmp/sysusers.out" 2>&1 ||
		! grep -q '^convened:[^:]*:[0-9]*:[0-9]*:.*:/usr/sbin/nologin$' \
		"$r/etc/passwd" || ! grep -q '^convened:' "$r/etc/group"; then
		cat "$tmp/sysusers.out" "$r/etc/passwd" 2>/dev/null
		bad "systemd-sysusers did not create user and group convened"
	elif ! systemd-tmpfiles --create --root="$r" convened.conf \
		>"$tmp/tmpfiles.out" 2>&1; then
		cat "$tmp/tmpfiles.out"
		bad "systemd-tmpfiles refused convened.tmpfiles"
	else
		uid=$(awk -F: '$1 == "convened" { print $3 }' "$r/etc/passwd")
		for d in var/lib/convened var/lib/convened/repository; do
			# shellcheck disable=SC2012,SC2046 # one known directory, split on purpose
			set -- $(ls -ldn "$r/$d" 2>/dev/null)
			if [ "${1:-}" != drwxr-x--- ] || [ "${3:-}" != "$uid" ]; then
				bad "/$d: want drwxr-x--- owned by convened ($uid), got ${1:-nothing} ${3:-}"
			fi
		done
		echo "sysusers, tmpfiles: user convened, /var/lib/convened{,/repository} 0750"
	fi
fi

[ "$fail" -eq 0 ] || exit 1
echo "systemd_unit: ok"
exit 0
