#!/bin/sh
# The manual pages in man/: they render without a warning, and they say
# what the code does.
#   - mandoc -Tlint (when installed), groff -mdoc -ww and man -l print no
#     warning for convened(8) and convened.ini(5);
#   - every key of daemon/config.c's key table and every template kind of
#     daemon/template.c has its `.It Cm` entry in convened.ini(5), every
#     command main.c dispatches its entry in convened(8); the bounds and
#     default of each whole-number key are the ones its entry gives;
#   - the two EXAMPLES of convened.ini(5) pass `convened check` (when
#     ./convened is built).
# Exit 0 pass, 1 fail, 77 skip (no man, groff or mandoc at all).
set -u

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
bin=${CONVENED:-$root/convened}
pages="$root/man/convened.8 $root/man/convened.ini.5"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/convened-man.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM
fail=0
linted=0

bad() {
	echo "FAIL: $*"
	fail=1
}

have() {
	command -v "$1" >/dev/null 2>&1
}

# lint NAME CMD...: CMD must exit 0 and print nothing on stderr.
lint() {
	name=$1
	shift
	linted=$((linted + 1))
	if ! "$@" >/dev/null 2>"$tmp/err" || [ -s "$tmp/err" ]; then
		cat "$tmp/err"
		bad "$name warns"
	else
		echo "$name: clean"
	fi
}

for p in $pages; do
	[ -f "$p" ] || bad "$p is missing"
done
[ "$fail" -eq 0 ] || exit 1

# mandoc knows mdoc best; warnings and worse fail (its style notes on
# manuals not installed here would depend on the machine).
if have mandoc; then
	# shellcheck disable=SC2086 # two paths without spaces
	lint "mandoc -Tlint" mandoc -Tlint -Wwarning $pages
fi
for p in $pages; do
	if have groff; then
		lint "groff -mdoc -ww ${p##*/}" groff -mdoc -ww -z -Tutf8 "$p"
	fi
	if have man; then
		lint "man -l --warnings=all ${p##*/}" env MANWIDTH=80 \
			man -l --warnings=all -Tutf8 "$p"
	fi
done
if [ "$linted" -eq 0 ]; then
	echo "manpages: none of man, groff, mandoc installed, skipped"
	exit 77
fi

# --- in step with the code ---------------------------------------------
# Every key of the key table, one row each: KIND(S_SECTION, "name", ...).
# The table's rows on one line each, to read their fields.
rows=$(sed -n '/^static const struct key keys\[\] = {/,/^};/p' \
	"$root/daemon/config.c" | tr '\n\t' '  ' | sed 's/  *\([A-Z]*(S_\)/\n\1/g')
keys=$(printf '%s\n' "$rows" | sed -n 's/^ *[A-Z]*(S_[A-Z]*, "\([a-z_]*\)".*/\1/p' |
	sort -u)
[ -n "$keys" ] || bad "no keys found in daemon/config.c"
for k in $keys; do
	grep -q "^\.It Cm $k\( \|$\)" "$root/man/convened.ini.5" ||
		bad "convened.ini(5) does not describe key '$k'"
done
# A whole number's bounds ("1 to 366") and default ("Default: 3.") are
# said in its entry, or in every entry of that name (timeout is in two
# sections); a required key has no default to document.
printf '%s\n' "$rows" |
	sed -e 's/, */,/g' -n -e 's/^ *INT(S_[A-Z]*,"\([a-z_]*\)",\([A-Z0-9]*\),AT([^)]*),\([^,]*\),\([0-9]*\),\([0-9]*\)).*/\1 \2 \3 \4 \5/p' \
	>"$tmp/ints"
[ -s "$tmp/ints" ] || bad "no whole-number keys found in daemon/config.c"
while read -r k req def lo hi; do
	awk -v k="$k" -v req="$req" -v def="$def" -v range="$lo to $hi" '
		/^\.It / { if (inside) check(); inside = ($0 ~ "^\\.It Cm " k "( |$)"); text = "" }
		/^\.E[lt]/ { if (inside) check(); inside = 0 }
		inside { text = text " " $0 }
		function check() {
			n++
			if (index(text, range) == 0) bad = bad " bounds " range
			if (req == "0" && def != "NULL" &&
			    index(text, "Default: " substr(def, 2, length(def) - 2) ".") == 0)
				bad = bad " default " def
		}
		END { if (n == 0 || bad != "") { print bad; exit 1 } }
	' "$root/man/convened.ini.5" >"$tmp/why" ||
		bad "convened.ini(5) on '$k' disagrees with the code:$(cat "$tmp/why")"
done <"$tmp/ints"
cmds=$(sed -n '/^} commands\[\] = {/,/^};/p' "$root/daemon/main.c" |
	grep -o '{ "[a-z]*"' | tr -d '{ "' | sort -u)
[ -n "$cmds" ] || bad "no commands found in daemon/main.c"
for c in $cmds; do
	grep -q "^\.It Cm $c\( \|$\)" "$root/man/convened.8" ||
		bad "convened(8) does not describe command '$c'"
done
kinds=$(sed -n '/^const char \*const template_kinds\[\] = {/,/};/p' \
	"$root/daemon/template.c" | grep -o '"[a-z-]*"' | tr -d '"')
[ -n "$kinds" ] || bad "no template kinds found in daemon/template.c"
for k in $kinds; do
	grep -Eq "^\.It Cm (.* )?$k( ,|\$)" "$root/man/convened.ini.5" ||
		bad "convened.ini(5) does not describe template kind '$k'"
done
[ "$fail" -ne 0 ] || echo "keys, commands, template kinds: all documented"

# --- the examples are valid ------------------------------------------------
# First literal block after .Sh EXAMPLES is the global file, the second
# the group file; the shipped templates stand in for an installed tree.
if [ -x "$bin" ]; then
	ex=$tmp/example
	mkdir -p "$ex/groups.d" || exit 1
	awk -v g="$ex/convened.ini" -v s="$ex/groups.d/south-south.ini" '
		/^\.Sh / { e = ($2 == "EXAMPLES") }
		e && /^\.Bd -literal/ { n++; inb = 1; next }
		inb && /^\.Ed/ { inb = 0; next }
		inb { gsub(/\\e/, "\\"); gsub(/\\-/, "-"); print > (n == 1 ? g : s) }
	' "$root/man/convened.ini.5"
	sed "s#^\[daemon\]\$#[daemon]\ntemplates = $root/templates#" \
		"$ex/convened.ini" >"$ex/c.ini" && mv "$ex/c.ini" "$ex/convened.ini"
	echo "1. Welcome" >"$ex/groups.d/agenda-monthly.txt"
	if env -u CREDENTIALS_DIRECTORY "$bin" -c "$ex/convened.ini" check \
		>"$tmp/check.out" 2>&1; then
		echo "examples: $(tail -n 1 "$tmp/check.out")"
	else
		cat "$tmp/check.out"
		bad "the EXAMPLES of convened.ini(5) do not pass convened check"
	fi
else
	echo "examples: skipped, $bin not built"
fi

[ "$fail" -eq 0 ] || exit 1
echo "manpages: ok"
exit 0
