#!/bin/sh
# make install / make uninstall into a staging tree:
#   - install DESTDIR=... PREFIX=/usr lays out binary, templates, man pages,
#     unit (with the real BINDIR), sysusers, tmpfiles and the example
#     configuration;
#   - a second install leaves a changed convened.ini alone;
#   - uninstall leaves only etc/ (the configuration).
# ./convened is not rebuilt (make -o convened): a sanitizer run's binary
# stays as it is.  Exit 0 pass, 1 fail, 77 skip (no make or no ./convened).
set -u

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
MAKE=${MAKE:-make}
command -v "$MAKE" >/dev/null 2>&1 || { echo "install: no make, skipped"; exit 77; }
[ -x "$root/convened" ] || { echo "install: ./convened not built, skipped"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/convened-install.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
d=$tmp/dest
fail=0

bad() {
	echo "FAIL: $*"
	fail=1
}

mk() {
	"$MAKE" -s --no-print-directory -C "$root" -o convened "$@" \
		DESTDIR="$d" PREFIX=/usr >"$tmp/make.out" 2>&1 || {
		cat "$tmp/make.out"
		bad "make $1 failed"
		exit 1
	}
}

# mode PATH: the permission bits as ls shows them
mode() {
	# shellcheck disable=SC2012 # one known file
	ls -ld "$1" | cut -c1-10
}

mk install
echo "installed:"
(cd "$d" && find . ! -path './usr/share/convened/templates/*/*' | sort | sed 's/^/  /')

for f in usr/bin/convened:-rwxr-xr-x \
	usr/share/man/man8/convened.8:-rw-r--r-- \
	usr/share/man/man5/convened.ini.5:-rw-r--r-- \
	lib/systemd/system/convened.service:-rw-r--r-- \
	usr/lib/sysusers.d/convened.conf:-rw-r--r-- \
	usr/lib/tmpfiles.d/convened.conf:-rw-r--r-- \
	etc/convened/convened.ini:-rw-r--r--; do
	p=${f%%:*} want=${f#*:}
	if [ ! -f "$d/$p" ]; then
		bad "/$p not installed"
	elif [ "$(mode "$d/$p")" != "$want" ]; then
		bad "/$p: mode $(mode "$d/$p"), want $want"
	fi
done
for t in "$root"/templates/*/*.txt; do
	rel=${t#"$root"/}
	cmp -s "$t" "$d/usr/share/convened/$rel" || bad "/usr/share/convened/$rel not installed"
done
for g in "$root"/config/groups.d/*.ini "$root"/config/groups.d/*.txt; do
	[ -f "$d/etc/convened/groups.d/${g##*/}" ] || bad "/etc/convened/groups.d/${g##*/} not installed"
done
u=$d/lib/systemd/system/convened.service
if [ -f "$u" ]; then
	grep -q '@[A-Z]*@' "$u" && bad "placeholder left in the installed unit"
	grep -q '^ExecStart=/usr/bin/convened -c /etc/convened/convened.ini run --wait 60$' "$u" ||
		bad "ExecStart= does not name /usr/bin/convened"
fi
grep -q '^templates = /usr/share/convened/templates$' "$d/etc/convened/convened.ini" ||
	bad "the installed convened.ini does not name /usr/share/convened/templates"

# The installed example is a valid configuration (the templates read from
# the staging tree rather than /usr/share).
cp -R "$d/etc/convened" "$tmp/etc" &&
	sed "s#^templates = .*#templates = $d/usr/share/convened/templates#" \
	"$d/etc/convened/convened.ini" >"$tmp/etc/convened.ini" || exit 1
if env -u CREDENTIALS_DIRECTORY "$d/usr/bin/convened" -c "$tmp/etc/convened.ini" \
	check >"$tmp/check.out" 2>&1; then
	echo "installed example: $(tail -n 1 "$tmp/check.out")"
else
	cat "$tmp/check.out"
	bad "the installed example configuration fails convened check"
fi

# The administrator's changes survive a second install.
echo "; changed by the administrator" >>"$d/etc/convened/convened.ini"
echo "; changed too" >>"$d/etc/convened/groups.d/10-social-protection.ini"
cp "$d/etc/convened/convened.ini" "$tmp/ini.before"
mk install
cmp -s "$tmp/ini.before" "$d/etc/convened/convened.ini" ||
	bad "a second install overwrote /etc/convened/convened.ini"
tail -n 1 "$d/etc/convened/groups.d/10-social-protection.ini" | grep -q '^; changed too$' ||
	bad "a second install overwrote a group file"

# Uninstall takes back everything but the configuration.
mk uninstall
left=$(cd "$d" && find . -mindepth 1 ! -path './etc' ! -path './etc/*')
if [ -n "$left" ]; then
	printf '%s\n' "$left"
	bad "make uninstall left files outside etc/"
fi
[ -f "$d/etc/convened/convened.ini" ] || bad "make uninstall removed the configuration"

[ "$fail" -eq 0 ] || exit 1
echo "install: ok"
exit 0
