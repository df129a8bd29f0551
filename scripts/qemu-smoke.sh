#!/bin/sh
# Smoke-test the cross-built ARM binaries under qemu-user: `tidings version`
# and an offline `tidings demo --once`. Run scripts/release.sh first.
#
#   scripts/qemu-smoke.sh            # arm64 (and armv7/armv6 when their qemu exists)
#   ARCHES=arm64 scripts/qemu-smoke.sh
#
# Needs the Debian package qemu-user-static (or qemu-user). binfmt_misc is
# not needed: the emulator is called explicitly.
set -eu

cd "$(dirname "$0")/.."
DIST=${DIST:-dist}
ARCHES=${ARCHES:-"arm64 armv7 armv6"}
TIMEOUT=${TIMEOUT:-300}

find_qemu() {
	for q in "qemu-$1-static" "qemu-$1"; do
		if command -v "$q" >/dev/null 2>&1; then
			echo "$q"
			return 0
		fi
	done
	return 1
}

# The demo must work with no config at all.
unset TIDINGS_CONFIG

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT INT TERM

ran=0
for a in $ARCHES; do
	case $a in
	arm64) bin=$DIST/tidings-linux-arm64 qarch=aarch64 cpu="" ;;
	armv7) bin=$DIST/tidings-linux-armv7 qarch=arm cpu="" ;;
	armv6) bin=$DIST/tidings-linux-armv6 qarch=arm cpu="arm1176" ;; # the Pi Zero/1 core
	*) echo "unknown arch $a" >&2; exit 2 ;;
	esac
	if [ ! -x "$bin" ]; then
		echo "$bin missing: run scripts/release.sh first" >&2
		exit 1
	fi
	if ! qemu=$(find_qemu "$qarch"); then
		if [ "$a" = arm64 ]; then
			echo "qemu-$qarch-static not found: apt-get install qemu-user-static" >&2
			exit 1
		fi
		echo "skip $a: no qemu-$qarch"
		continue
	fi
	run() {
		if [ -n "$cpu" ]; then
			timeout "$TIMEOUT" "$qemu" -cpu "$cpu" "$bin" "$@"
		else
			timeout "$TIMEOUT" "$qemu" "$bin" "$@"
		fi
	}

	echo "== $a: version ($qemu)"
	out=$(run version)
	echo "$out"
	if [ -z "$out" ]; then
		echo "$a: version printed nothing" >&2
		exit 1
	fi

	echo "== $a: demo --once"
	dir=$tmp/demo-$a
	mkdir -p "$dir"
	# The demo serves its sample feeds on loopback and must not need internet.
	run demo --once --dir "$dir"
	idx=$(find "$dir" -name index.html | head -n 1)
	if [ -z "$idx" ] || [ ! -s "$idx" ]; then
		echo "$a: demo left no index.html under $dir" >&2
		find "$dir" -maxdepth 3 >&2
		exit 1
	fi
	feed=$(find "$dir" -name feed.xml | head -n 1)
	if [ -z "$feed" ] || ! grep -q '</rss>' "$feed"; then
		echo "$a: demo left no complete feed.xml under $dir" >&2
		exit 1
	fi
	echo "$a: ok ($idx)"
	ran=$((ran + 1))
done
echo "qemu smoke: $ran architecture(s) passed"
