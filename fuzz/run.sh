#!/bin/sh
# fuzz/run.sh [TARGET...]: run the libFuzzer targets built by
# `make fuzz-build` (mk/fuzz.mk), each FUZZ_SECONDS (default 300), FUZZ_JOBS
# (default 1) at a time, and print per target: executions, coverage (cov:
# and ft: of libFuzzer's last status line) and the crashes, leaks and
# timeouts found.  Run from the top of the tree; `make fuzz` does.
#
# Corpora: build/fuzz/corpus/TARGET is the writable one, kept from run to
# run; the seeds are read in place and never written:
#	classify   tests/data (.eml, .ics, regress/), ../shared/fixtures and
#	           ../shared/bounces-sisimai
#	config     config (convened.ini, groups.d/*.ini)
#	template   templates (*/*.txt)
# Findings go to build/fuzz/artifacts/TARGET/ (crash-*, leak-*, timeout-*,
# oom-*); reproduce one with build/fuzz/fuzz_TARGET FILE.  The full output
# of a run is build/fuzz/logs/TARGET.log.  Exit status 1 when any target
# found something or could not run.
set -u

FUZZ_SECONDS=${FUZZ_SECONDS:-300}
FUZZ_JOBS=${FUZZ_JOBS:-1}
build=build/fuzz
fixtures=../shared/fixtures
bounces=../shared/bounces-sisimai
[ $# -gt 0 ] || set -- classify config template

case $FUZZ_SECONDS in
'' | *[!0-9]*) echo "fuzz: FUZZ_SECONDS must be a number" >&2; exit 2 ;;
esac
case $FUZZ_JOBS in
'' | *[!0-9]* | 0)
	echo "fuzz: FUZZ_JOBS must be a positive number" >&2
	exit 2
	;;
esac

# Sanitizers: every finding is fatal; leaks inside libical itself (never
# ours) are listed in fuzz/lsan.supp.
ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:strict_string_checks=1:abort_on_error=0}
LSAN_OPTIONS=suppressions=$(pwd)/fuzz/lsan.supp:print_suppressions=0
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
export ASAN_OPTIONS LSAN_OPTIONS UBSAN_OPTIONS

# run_one TARGET: fuzz it, leave build/fuzz/logs/TARGET.{log,sum}
run_one() {
	t=$1
	bin=$build/fuzz_$t
	corpus=$build/corpus/$t
	art=$build/artifacts/$t
	log=$build/logs/$t.log
	sum=$build/logs/$t.sum
	case $t in
	classify) max_len=1048576 seeds="tests/data" ;;
	config) max_len=65536 seeds="config" ;;
	template) max_len=65536 seeds="templates" ;;
	*)
		echo "fuzz: unknown target $t" >&2
		echo "$t - - - - - error" >"$sum"
		return
		;;
	esac
	[ "$t" != classify ] || [ ! -d "$fixtures" ] || seeds="$seeds $fixtures"
	[ "$t" != classify ] || [ ! -d "$bounces" ] || seeds="$seeds $bounces"
	if [ ! -x "$bin" ]; then
		echo "fuzz: $bin missing: make fuzz-build" >&2
		echo "$t - - - - - error" >"$sum"
		return
	fi
	mkdir -p "$corpus" "$art"
	stamp=$build/logs/$t.stamp
	: >"$stamp"
	echo "fuzz: $t for ${FUZZ_SECONDS}s (log $log)"
	# Leak checks are off while fuzzing: GLib, GMime and libical keep
	# caches, so most inputs end with more mallocs than frees, and
	# libFuzzer then runs LeakSanitizer on every one of them (fifteen
	# times fewer executions).  Every input kept is checked for leaks
	# afterwards instead, in the second run below.
	# shellcheck disable=SC2086 # seeds: one word per directory
	timeout -k 30 $((FUZZ_SECONDS + 300)) "$bin" -detect_leaks=0 \
		-max_total_time="$FUZZ_SECONDS" -max_len="$max_len" \
		-timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
		-artifact_prefix="$art/" "$corpus" $seeds >"$log" 2>&1
	rc=$?
	if [ "$rc" -eq 0 ]; then
		# -runs=0: each input of the corpus once, with LeakSanitizer
		echo "--- leak check of the corpus" >>"$log"
		timeout -k 30 $((FUZZ_SECONDS + 300)) "$bin" -detect_leaks=1 \
			-runs=0 -max_len="$max_len" -timeout=10 \
			-rss_limit_mb=2048 -artifact_prefix="$art/" \
			"$corpus" >"$log.leak" 2>&1
		rc=$?
		cat "$log.leak" >>"$log"
		rm -f "$log.leak"
	fi
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | head -n 1)
	# the fuzzing run's last status line, not the leak check's
	last=$(sed '/^--- leak check/q' "$log" |
		grep -E '^#[0-9]+.* cov: [0-9]+ ft: [0-9]+' | tail -n 1)
	[ -n "$execs" ] ||
		execs=$(printf '%s\n' "$last" | sed -n 's/^#\([0-9]*\).*/\1/p')
	cov=$(printf '%s\n' "$last" | sed -n 's/.* cov: \([0-9]*\).*/\1/p')
	ft=$(printf '%s\n' "$last" | sed -n 's/.* ft: \([0-9]*\).*/\1/p')
	found=$(find "$art" -type f -newer "$stamp" | wc -l)
	ncorpus=$(find "$corpus" -type f | wc -l)
	echo "$t ${execs:--} ${cov:--} ${ft:--} $ncorpus $found $rc" >"$sum"
	rm -f "$stamp"
}

mkdir -p "$build/logs"
for t in "$@"; do
	rm -f "$build/logs/$t.sum"
done

# FUZZ_JOBS lanes, the targets dealt round-robin, each lane in order.
lane=0
while [ "$lane" -lt "$FUZZ_JOBS" ]; do
	(
		i=0
		for t in "$@"; do
			[ $((i % FUZZ_JOBS)) -ne "$lane" ] || run_one "$t"
			i=$((i + 1))
		done
	) &
	lane=$((lane + 1))
done
wait

bad=0
echo
printf 'fuzz: %-9s %12s %7s %8s %7s %s\n' target executions cov ft corpus found
for t in "$@"; do
	if ! read -r name execs cov ft ncorpus found rc <"$build/logs/$t.sum"; then
		name=$t execs=- cov=- ft=- ncorpus=- found=- rc=error
	fi
	printf 'fuzz: %-9s %12s %7s %8s %7s %s' "$name" "$execs" "$cov" "$ft" \
		"$ncorpus" "$found"
	if [ "$rc" = 0 ] && [ "$found" = 0 ]; then
		echo
		continue
	fi
	bad=$((bad + 1))
	echo "  FAILED (exit $rc; see $build/logs/$t.log)"
	# the finding, and where libFuzzer wrote the input
	grep -E '^==[0-9]+==ERROR|^SUMMARY:|Test unit written|: runtime error:' \
		"$build/logs/$t.log" | head -n 8 | sed 's/^/fuzz:   /'
	grep -E '^(fuzz_[a-z]+|classify|verdict_json|template_[a-z]+): ' \
		"$build/logs/$t.log" | head -n 3 | sed 's/^/fuzz:   /'
done
echo "fuzz: $# targets, $bad with findings"
[ "$bad" -eq 0 ]
