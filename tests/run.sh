#!/bin/sh
# Run every test program and script, and close with one line
# "N passed, N failed, N skipped".
#   BUILD=build/plain sh tests/run.sh     (what `make test` and `make check` do)
# Environment:
#   BUILD         where `make unit integration` put the programs (build/plain)
#   VALGRIND=1    run the cmocka programs under valgrind (with the
#                 suppressions of tests/valgrind.supp)
#   SUITE         unit | integration | all (default all)
#   TEST_TIMEOUT  seconds one program or script may take (default 600)
# The unit tier is one cmocka program per tests/unit/test_*.c, in
# $BUILD/tests; it needs no server.  The integration tier starts real
# servers on loopback: first the cmocka programs of tests/integration/test_*.c
# (in $BUILD/tests/integration), then the scripts tests/integration/*.sh.
# A cmocka program's cases are counted from its summary lines; a program
# that a source names but that was not built is a failure.  A script exits
# 0 (pass), 77 (skip) or anything else (fail) and counts as one; it gets
# BUILD, CONVENED (the ./convened binary) and SHARED (../shared beside the
# work tree, when there is one).  Everything runs from the top of the tree.
set -u

BUILD=${BUILD:-build/plain}
case $BUILD in /*) ;; *) BUILD=$PWD/$BUILD ;; esac
SUITE=${SUITE:-all}
TEST_TIMEOUT=${TEST_TIMEOUT:-600}
VALGRIND=${VALGRIND:-0}

root=$(cd "$(dirname "$0")/.." && pwd) || exit 1
cd "$root" || exit 1

if [ -z "${SHARED:-}" ] && [ -d ../shared ]; then
	SHARED=$(cd ../shared && pwd)
fi
if [ -n "${SHARED:-}" ]; then
	export SHARED
fi
CONVENED=$root/convened
export BUILD CONVENED

# cmocka prints its summary in this format only with the standard output
CMOCKA_MESSAGE_OUTPUT=STDOUT
export CMOCKA_MESSAGE_OUTPUT

tmp=$(mktemp -d "${TMPDIR:-/tmp}/convened-run.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' HUP INT TERM

passed=0 failed=0 skipped=0 ran=0
failures=

if command -v timeout >/dev/null 2>&1; then
	limit="timeout -k 10 $TEST_TIMEOUT"
else
	limit=
fi

# run NAME CMD...: show its output, leave it in $tmp/out, exit status in $rc
run() {
	name=$1
	shift
	echo "== $name"
	# shellcheck disable=SC2086 # $limit is a command and its arguments
	{ $limit "$@" </dev/null 2>&1; echo $? >"$tmp/rc"; } | tee "$tmp/out"
	rc=$(cat "$tmp/rc")
	[ "$rc" -ne 124 ] || echo "$name: timed out after ${TEST_TIMEOUT}s"
}

fail() {
	failures="$failures
  $1"
}

# sum N from cmocka's "[  PASSED  ] N test(s)." style lines for one word
cases() {
	sed -n "s/^\[  $1 *\] \([0-9][0-9]*\) test(s).*/\1/p" "$tmp/out" |
		awk '{ n += $1 } END { print n + 0 }'
}

# run_cmocka PROGRAM: run one cmocka program, add up its cases
run_cmocka() {
	t=$1
	name=${t#"$root"/}
	ran=$((ran + 1))
	if [ ! -x "$t" ]; then
		echo "== $name"
		echo "$name: not built (make unit integration)"
		failed=$((failed + 1))
		fail "$name (not built)"
		return
	fi
	if [ "$VALGRIND" = 1 ]; then
		run "$name (valgrind)" valgrind --leak-check=full \
			--suppressions="$root/tests/valgrind.supp" \
			--errors-for-leak-kinds=definite,indirect \
			--error-exitcode=1 -q "$t"
	else
		run "$name" "$t"
	fi
	p=$(cases PASSED)
	f=$(cases FAILED)
	s=$(cases SKIPPED)
	if [ $((p + f + s)) -eq 0 ]; then
		# no cmocka summary: count the program as one test
		case $rc in
		0) p=1 ;;
		77) s=1 ;;
		*) f=1 ;;
		esac
	elif [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		# cases passed, but the program did not: a crash after the
		# summary, a leak valgrind saw, a timeout
		f=1
	fi
	[ "$f" -eq 0 ] || fail "$name (exit $rc, $f failed)"
	passed=$((passed + p))
	failed=$((failed + f))
	skipped=$((skipped + s))
}

# run_cmocka_dir SRCDIR BINDIR: the program of each SRCDIR/test_*.c, by
# source, so that a program left over from a test that moved or went
# away does not run
run_cmocka_dir() {
	found=0
	for src in "$1"/test_*.c; do
		[ -f "$src" ] || continue
		found=1
		t=${src##*/}
		run_cmocka "$2/${t%.c}"
	done
	[ "$found" = 1 ] || echo "no cmocka sources in $1"
}

run_unit() {
	run_cmocka_dir tests/unit "$BUILD/tests"
}

run_integration() {
	run_cmocka_dir tests/integration "$BUILD/tests/integration"
	for s in tests/integration/*.sh; do
		[ -f "$s" ] || continue
		ran=$((ran + 1))
		if [ -x "$s" ]; then
			run "$s" "./$s"
		else
			run "$s" sh "$s"
		fi
		case $rc in
		0) passed=$((passed + 1)) ;;
		77)
			skipped=$((skipped + 1))
			echo "$s: skipped"
			;;
		*)
			failed=$((failed + 1))
			fail "$s (exit $rc)"
			;;
		esac
	done
}

case $SUITE in
unit) run_unit ;;
integration) run_integration ;;
all)
	run_unit
	run_integration
	;;
*)
	echo "tests/run.sh: SUITE must be unit, integration or all" >&2
	exit 2
	;;
esac

echo
[ -z "$failures" ] || echo "failed:$failures"
[ $((passed + failed)) -gt 0 ] || echo "no test ran: $ran programs found, none passed or failed"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ] && [ $((passed + failed)) -gt 0 ]
