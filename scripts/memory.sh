#!/bin/sh
# Measure the daemon's resident memory (docs/bench-ops.md): idle and through
# a poll cycle of 500 and 2,000 loopback feeds, with and without GOMEMLIMIT.
#
#   scripts/memory.sh                      # the whole matrix (10-15 minutes)
#   FEEDS="500" LIMITS="unset" WORKERS=0 scripts/memory.sh
#   LONG_IDLE=150s scripts/memory.sh       # plus one run idling past the runtime's
#                                          # forced GC (every 2 min), largest FEEDS
#
# One binary is built and measured in every configuration. WORKERS=0 means
# the default of [fetch] workers.
set -eu

cd "$(dirname "$0")/.."
FEEDS=${FEEDS:-"500 2000"}
LIMITS=${LIMITS:-"unset 24MiB"}
IDLE=${IDLE:-20s}
WORKERS=${WORKERS:-"0 4"}
FULL_TEXT=${FULL_TEXT:-auto}
LONG_IDLE=${LONG_IDLE:-}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# The binary users run: static, stripped, like scripts/release.sh builds it.
v=$(git describe --tags --always --dirty 2>/dev/null || echo dev)
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X github.com/tidings/tidings.Version=$v" -o "$tmp/tidings" ./cmd/tidings
go build -o "$tmp/memprobe" ./cmd/memprobe
"$tmp/tidings" version
echo

for n in $FEEDS; do
	for w in $WORKERS; do
		for lim in $LIMITS; do
			# A limit with fewer workers adds little: measure it once.
			if [ "$w" != 0 ] && [ "$lim" != unset ]; then continue; fi
			[ "$lim" = unset ] && lim=""
			"$tmp/memprobe" -bin "$tmp/tidings" -feeds "$n" -gomemlimit "$lim" \
				-idle "$IDLE" -workers "$w" -full-text "$FULL_TEXT"
			echo
		done
	done
done

if [ -n "$LONG_IDLE" ]; then
	for n in $FEEDS; do :; done # the largest (last) count
	echo "long idle ($LONG_IDLE):"
	"$tmp/memprobe" -bin "$tmp/tidings" -feeds "$n" -idle "$LONG_IDLE" -full-text "$FULL_TEXT"
fi
