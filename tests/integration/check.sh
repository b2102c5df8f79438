#!/bin/sh
# `convened check` on a configuration whose [imap] password_file is
# ./imap.pass, given with -c in each of the ways an administrator writes it:
#   - -c convened.ini (no directory) from the configuration's directory,
#     -c ./convened.ini, and -c with the absolute path: each reads the file
#     beside convened.ini and says so, never a credential "imap.pass";
#   - the file's mode is checked whichever way -c was written;
#   - password_file = imap.pass is a systemd credential, and check says so;
#   - [trust] key_file = ./token.key is found the same way, said to be made
#     by the daemon while it is not there, and with tokens on check says
#     what the mailbox must accept;
#   - [organizer] verp (on by default) says the same of the envelope
#     sender.
# Exit 0 pass, 1 fail, 77 skip (no ./convened).
set -u

root=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
bin=${CONVENED:-$root/convened}
[ -x "$bin" ] || { echo "check: $bin not built, skipped"; exit 77; }

fail=0
bad() {
	echo "FAIL: $*"
	fail=1
}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/convened-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

mkdir "$tmp/etc" "$tmp/etc/groups.d" "$tmp/elsewhere" || exit 1
cat >"$tmp/etc/convened.ini" <<EOF
[daemon]
templates = $root/templates
[organizer]
name = Secretariat
email = agenda@example.org
[smtp]
url = smtp://127.0.0.1:2525
tls = none
[imap]
url = imap://127.0.0.1:1143
username = agenda
password_file = ./imap.pass
tls = none
[trust]
key_file = ./token.key
EOF
echo secret >"$tmp/etc/imap.pass" && chmod 600 "$tmp/etc/imap.pass" || exit 1

# expect DIR CONFIG WANT: `convened -c CONFIG check` run in DIR prints
# exactly WANT and exits 0 when its last line says OK, 1 otherwise.
expect() {
	(cd "$1" && env -u CREDENTIALS_DIRECTORY "$bin" -c "$2" check) \
		>"$tmp/out" 2>&1
	rc=$?
	printf '%s\n' "$3" >"$tmp/want"
	if ! cmp -s "$tmp/want" "$tmp/out"; then
		diff "$tmp/want" "$tmp/out"
		bad "-c $2 (in $1): unexpected output"
	fi
	case $3 in
	*"configuration OK"*) [ "$rc" -eq 0 ] || bad "-c $2 exited $rc" ;;
	*) [ "$rc" -eq 1 ] || bad "-c $2 exited $rc, not 1" ;;
	esac
}

ok="0 groups, 0 members, 0 series"
expect "$tmp/etc" convened.ini "convened.ini:3: [organizer] verp: mail goes out with the envelope sender agenda+b-ROW-TOKEN@example.org, so the mailbox agenda@example.org must accept plus addressing (deliver agenda+anything@example.org to it: Postfix and Dovecot recipient_delimiter = +; Gmail and Microsoft 365 do by default); verp = no sends from agenda@example.org itself
convened.ini:6: [smtp] password_file: none, no authentication
convened.ini:9: [imap] password_file: file ./imap.pass
convened.ini:14: [trust] key_file: file ./token.key (not there yet: the daemon creates it when it starts)
convened.ini:14: [trust] tokens: the mailbox agenda@example.org must accept agenda+anything@example.org (plus addressing)
convened.ini: configuration OK: $ok"
expect "$tmp/etc" ./convened.ini "./convened.ini:3: [organizer] verp: mail goes out with the envelope sender agenda+b-ROW-TOKEN@example.org, so the mailbox agenda@example.org must accept plus addressing (deliver agenda+anything@example.org to it: Postfix and Dovecot recipient_delimiter = +; Gmail and Microsoft 365 do by default); verp = no sends from agenda@example.org itself
./convened.ini:6: [smtp] password_file: none, no authentication
./convened.ini:9: [imap] password_file: file ./imap.pass
./convened.ini:14: [trust] key_file: file ./token.key (not there yet: the daemon creates it when it starts)
./convened.ini:14: [trust] tokens: the mailbox agenda@example.org must accept agenda+anything@example.org (plus addressing)
./convened.ini: configuration OK: $ok"
expect "$tmp/elsewhere" "$tmp/etc/convened.ini" "$tmp/etc/convened.ini:3: [organizer] verp: mail goes out with the envelope sender agenda+b-ROW-TOKEN@example.org, so the mailbox agenda@example.org must accept plus addressing (deliver agenda+anything@example.org to it: Postfix and Dovecot recipient_delimiter = +; Gmail and Microsoft 365 do by default); verp = no sends from agenda@example.org itself
$tmp/etc/convened.ini:6: [smtp] password_file: none, no authentication
$tmp/etc/convened.ini:9: [imap] password_file: file $tmp/etc/imap.pass
$tmp/etc/convened.ini:14: [trust] key_file: file $tmp/etc/token.key (not there yet: the daemon creates it when it starts)
$tmp/etc/convened.ini:14: [trust] tokens: the mailbox agenda@example.org must accept agenda+anything@example.org (plus addressing)
$tmp/etc/convened.ini: configuration OK: $ok"
expect "$tmp/elsewhere" ../etc/convened.ini "../etc/convened.ini:3: [organizer] verp: mail goes out with the envelope sender agenda+b-ROW-TOKEN@example.org, so the mailbox agenda@example.org must accept plus addressing (deliver agenda+anything@example.org to it: Postfix and Dovecot recipient_delimiter = +; Gmail and Microsoft 365 do by default); verp = no sends from agenda@example.org itself
../etc/convened.ini:6: [smtp] password_file: none, no authentication
../etc/convened.ini:9: [imap] password_file: file ../etc/imap.pass
../etc/convened.ini:14: [trust] key_file: file ../etc/token.key (not there yet: the daemon creates it when it starts)
../etc/convened.ini:14: [trust] tokens: the mailbox agenda@example.org must accept agenda+anything@example.org (plus addressing)
../etc/convened.ini: configuration OK: $ok"

# A password file others can read is refused, however -c was written
# (it used to pass as a credential named "imap.pass" with -c convened.ini).
chmod 644 "$tmp/etc/imap.pass"
expect "$tmp/etc" convened.ini "convened.ini:9: [imap] password file ./imap.pass is readable by group or others (mode 0644): chmod 600 it
convened.ini: 1 error, 0 warnings"
expect "$tmp/elsewhere" "$tmp/etc/convened.ini" "$tmp/etc/convened.ini:9: [imap] password file $tmp/etc/imap.pass is readable by group or others (mode 0644): chmod 600 it
$tmp/etc/convened.ini: 1 error, 0 warnings"

# Without a '/', a systemd credential, which check can read only under
# systemd.
sed -i 's#^password_file = ./imap.pass$#password_file = imap.pass#' \
	"$tmp/etc/convened.ini"
expect "$tmp/etc" convened.ini "convened.ini:3: [organizer] verp: mail goes out with the envelope sender agenda+b-ROW-TOKEN@example.org, so the mailbox agenda@example.org must accept plus addressing (deliver agenda+anything@example.org to it: Postfix and Dovecot recipient_delimiter = +; Gmail and Microsoft 365 do by default); verp = no sends from agenda@example.org itself
convened.ini:6: [smtp] password_file: none, no authentication
convened.ini:9: [imap] password_file: systemd credential imap.pass (not checked: CREDENTIALS_DIRECTORY is not set)
convened.ini:14: [trust] key_file: file ./token.key (not there yet: the daemon creates it when it starts)
convened.ini:14: [trust] tokens: the mailbox agenda@example.org must accept agenda+anything@example.org (plus addressing)
convened.ini: configuration OK: $ok"

# The key made (as the daemon makes it), then readable by others:
# refused like a password file.
printf '%064d\n' 0 >"$tmp/etc/token.key" && chmod 644 "$tmp/etc/token.key"
expect "$tmp/etc" convened.ini "convened.ini:14: [trust] reply-token key file ./token.key is readable by group or others (mode 0644): chmod 600 it
convened.ini: 1 error, 0 warnings"

[ "$fail" -eq 0 ] || exit 1
echo "check: ok"
exit 0
