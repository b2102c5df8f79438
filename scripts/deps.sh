#!/bin/sh
# Install what convened needs and is missing, on Debian 12.
#   sh scripts/deps.sh build   compiler and the libraries' -dev packages
#   sh scripts/deps.sh test    build + cmocka, valgrind, python3 modules, dovecot,
#                              mandoc, Sisimai (the bounce oracle), git,
#                              chromium and tidy (the site's checks)
#   sh scripts/deps.sh demo    build + the test servers (aiosmtpd, dovecot)
#   sh scripts/deps.sh fuzz    build + clang and its libFuzzer runtime
#   sh scripts/deps.sh bench   test servers + the tools bench/ compares with:
#                              msmtp, postfix (smtp-sink, smtp-source), isync
#                              (mbsync), hyperfine, valgrind, perf
# Prints nothing when everything is there, one line per package it installs.
# Not root and something missing: says what to install and exits 1.
set -u

usage() {
	echo "usage: sh scripts/deps.sh build|test|demo|fuzz|bench" >&2
	exit 2
}
[ $# -eq 1 ] || usage
case $1 in
build|test|demo|fuzz|bench) what=$1 ;;
*) usage ;;
esac

PKG_CONFIG=${PKG_CONFIG:-pkg-config}
PYTHON=/usr/bin/python3
missing=

need() {
	case " $missing " in
	*" $1 "*) ;;
	*) missing="${missing:+$missing }$1" ;;
	esac
}

# Without pkg-config yet (a fresh machine), ask dpkg whether the -dev
# package is installed; pkg-config itself is then installed too.
have_module() {
	if command -v "$PKG_CONFIG" >/dev/null 2>&1; then
		"$PKG_CONFIG" --exists "$1"
	else
		dpkg-query -W -f='${Status}\n' "$2" 2>/dev/null |
			grep -q '^install ok installed$'
	fi
}

module() {
	have_module "$1" "$2" || need "$2"
}

program() {
	command -v "$1" >/dev/null 2>&1 || need "$2"
}

pymodule() {
	if ! [ -x "$PYTHON" ] || ! "$PYTHON" -c "import $1" >/dev/null 2>&1; then
		need "$2"
	fi
}

perlmodule() {
	perl -M"$1" -e 1 >/dev/null 2>&1 || need "$2"
}

check_build() {
	program gcc gcc
	# gcc only recommends libc6-dev, and recommends are not installed
	[ -f /usr/include/stdio.h ] || need libc6-dev
	program make make
	program "$PKG_CONFIG" pkg-config
	module libcurl libcurl4-openssl-dev
	module libical libical-dev
	module sqlite3 libsqlite3-dev
	module inih libinih-dev
	module gmime-3.0 libgmime-3.0-dev
	module libsystemd libsystemd-dev
	# the token endpoint's JSON (daemon/oauth.c)
	module jansson libjansson-dev
	# the repository's git history (daemon/repo.c)
	module libgit2 libgit2-dev
	[ -f /usr/share/zoneinfo/America/Santiago ] || need tzdata
}

check_servers() {
	pymodule aiosmtpd python3-aiosmtpd
	program /usr/sbin/dovecot dovecot-imapd
	[ -x /usr/lib/dovecot/imap ] || need dovecot-imapd
	[ -x /usr/lib/dovecot/lmtp ] || need dovecot-lmtpd
}

check_build
case $what in
test)
	module cmocka libcmocka-dev
	program valgrind valgrind
	pymodule icalendar python3-icalendar
	# tests/integration/manpages.sh lints with mandoc -Tlint, and with
	# man and groff too where man-db is installed
	program mandoc mandoc
	# tests/integration/bounce_oracle.sh reads bounces with Sisimai too
	perlmodule Sisimai libsisimai-perl
	# tests/integration/repo.sh: the history read with git (fsck, log),
	# the site rendered by headless Chromium and checked by tidy
	program git git
	program chromium chromium
	program tidy tidy
	check_servers
	;;
demo)
	check_servers
	;;
fuzz)
	program clang clang
	# libFuzzer and the sanitizer runtimes of clang 14 (bookworm's clang);
	# clang-14 only recommends them, and recommends are not installed
	[ -n "$(find /usr/lib/llvm-14/lib/clang -name 'libclang_rt.fuzzer-*.a' \
		2>/dev/null)" ] || need libclang-rt-14-dev
	;;
bench)
	check_servers
	program msmtp msmtp
	# smtp-sink and smtp-source come with postfix; the benchmark starts
	# its own sink on a random loopback port, never the system's postfix
	program /usr/sbin/smtp-sink postfix
	program /usr/sbin/smtp-source postfix
	program mbsync isync
	program hyperfine hyperfine
	program valgrind valgrind
	program perf linux-perf
	[ -x /usr/bin/time ] || need time
	;;
esac

[ -n "$missing" ] || exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing for '$what': $missing" >&2
	echo "deps.sh: as root, run: apt-get update && apt-get install --no-install-recommends $missing" >&2
	exit 1
fi

log=$(mktemp "${TMPDIR:-/tmp}/convened-deps.XXXXXX") || exit 1
policy=/usr/sbin/policy-rc.d
own_policy=
# shellcheck disable=SC2317 # called by the trap
cleanup() {
	rm -f "$log"
	[ -z "$own_policy" ] || rm -f "$policy"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM

# Package scripts must not start services (dovecot's would listen on 143 and
# 993); the tests start their own servers on random ports. policy-rc.d is
# Debian's switch for that, honoured by invoke-rc.d and deb-systemd-invoke.
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\n# convened scripts/deps.sh: no service starts during install\nexit 101\n' \
		>"$policy" && chmod 0755 "$policy" && own_policy=1
fi

export DEBIAN_FRONTEND=noninteractive
apt() {
	if ! apt-get -o DPkg::Lock::Timeout=300 "$@" >>"$log" 2>&1; then
		echo "deps.sh: apt-get $* failed:" >&2
		tail -n 30 "$log" >&2
		exit 1
	fi
}

# postfix asks what kind of mail system this is: none.  With "No
# configuration" it writes no main.cf and no service is set up to run.
case " $missing " in
*" postfix "*)
	echo "postfix postfix/main_mailer_type select No configuration" |
		debconf-set-selections
	;;
esac

apt update
for p in $missing; do
	echo "deps.sh: installing $p"
done
# shellcheck disable=SC2086 # one word per package
apt install -y --no-install-recommends $missing

# If a service manager started dovecot anyway, stop it: a system dovecot on
# 143/993 is only noise for the tests.
case " $missing " in
*" dovecot-"*)
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl stop dovecot.service dovecot.socket >/dev/null 2>&1
	fi
	if [ -e /run/dovecot/master.pid ]; then
		service dovecot stop >/dev/null 2>&1 ||
			/usr/sbin/dovecot stop >/dev/null 2>&1
	fi
	;;
esac
# The same for postfix: nothing of the system's may listen on port 25.
case " $missing " in
*" postfix "*)
	if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
		systemctl stop postfix.service >/dev/null 2>&1
		systemctl disable postfix.service >/dev/null 2>&1
	fi
	if [ -e /var/spool/postfix/pid/master.pid ]; then
		/usr/sbin/postfix stop >/dev/null 2>&1
	fi
	;;
esac
exit 0
