#!/bin/sh
# Measure the daemon's resident memory (docs/bench-ops.md): idle and through
# a poll cycle of 500 and 2,000 loopback feeds, with and without GOMEMLIMIT.
#
#   scripts/memory.sh                      # the whole matrix (a few minutes)
#   FEEDS="500" LIMITS="unset" scripts/memory.sh
#   IDLE=60s WORKERS=4 scripts/memory.sh   # longer idle, fewer fetch workers
set -eu

cd "$(dirname "$0")/.."
FEEDS=${FEEDS:-"500 2000"}
LIMITS=${LIMITS:-"unset 40MiB"}
IDLE=${IDLE:-20s}
WORKERS=${WORKERS:-0}
FULL_TEXT=${FULL_TEXT:-auto}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM
# The binary users run: static, stripped, like scripts/release.sh builds it.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$tmp/tidings" ./cmd/tidings
go build -o "$tmp/memprobe" ./cmd/memprobe

for n in $FEEDS; do
	for lim in $LIMITS; do
		[ "$lim" = unset ] && lim=""
		"$tmp/memprobe" -bin "$tmp/tidings" -feeds "$n" -gomemlimit "$lim" \
			-idle "$IDLE" -workers "$WORKERS" -full-text "$FULL_TEXT"
		echo
	done
done
