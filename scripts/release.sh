#!/bin/sh
# Build the release binaries: static (CGO_ENABLED=0), reproducible paths
# (-trimpath), stripped, with version and commit stamped in.
#
#   scripts/release.sh                 # all targets into dist/
#   VERSION=v1.2.0 scripts/release.sh  # override the version (default: git describe)
#   TARGETS="linux/arm64" scripts/release.sh
#
# Output: dist/tidings-<os>-<arch>[v<goarm>] and dist/SHA256SUMS.
set -eu

cd "$(dirname "$0")/.."

VERSION=${VERSION:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
COMMIT=${COMMIT:-$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)}
TARGETS=${TARGETS:-"linux/amd64 linux/arm64 linux/arm/7 linux/arm/6"}
DIST=${DIST:-dist}
PKG=github.com/tidings/tidings
MAX_BYTES=$((20 * 1024 * 1024)) # the size budget for a Pi binary

mkdir -p "$DIST"
LDFLAGS="-s -w -X $PKG.Version=$VERSION -X $PKG.Commit=$COMMIT"

for t in $TARGETS; do
	os=${t%%/*}
	rest=${t#*/}
	arch=${rest%%/*}
	goarm=""
	name="tidings-$os-$arch"
	if [ "$arch" = arm ]; then
		goarm=${rest#arm/}
		[ "$goarm" = "$rest" ] && goarm=7
		name="$name"v"$goarm"
	fi
	echo "build $name ($VERSION, $COMMIT)"
	CGO_ENABLED=0 GOOS=$os GOARCH=$arch GOARM=$goarm \
		go build -trimpath -buildvcs=false -ldflags "$LDFLAGS" \
		-o "$DIST/$name" ./cmd/tidings
done

# Sizes, and a failure if a binary outgrew the budget.
status=0
echo
printf '%-26s %12s %8s\n' binary bytes MiB
for f in "$DIST"/tidings-*; do
	size=$(wc -c <"$f")
	awk -v n="$(basename "$f")" -v s="$size" 'BEGIN { printf "%-26s %12d %8.1f\n", n, s, s / 1048576 }'
	if [ "$size" -gt "$MAX_BYTES" ]; then
		echo "  over the 20 MiB budget" >&2
		status=1
	fi
done
(cd "$DIST" && sha256sum tidings-* >SHA256SUMS)
exit $status
