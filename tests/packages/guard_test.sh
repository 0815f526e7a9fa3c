#!/usr/bin/env bash
# The package guard must fail, naming the package, when scripts/setup's list lacks one the
# build uses. Drops libqt6opengl6-dev (the package a fresh Debian 12 once missed) from the
# list and expects scripts/check-packages to refuse it; then expects the full list to pass.
#
#   tests/packages/guard_test.sh BUILD_DIR
set -uo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir="$1"
dropped=libqt6opengl6-dev

list=$("$root/scripts/setup" --print-packages | grep -vx "$dropped" | tr '\n' ' ')
out=$("$root/scripts/check-packages" --build-dir "$build_dir" --no-runtime --packages "$list" 2>&1)
rc=$?
echo "$out"
if [ "$rc" -eq 0 ]; then
  echo "FAIL: the guard passed a package list without $dropped" >&2; exit 1
fi
if ! grep -q "package $dropped is used but scripts/setup does not install it" <<<"$out"; then
  echo "FAIL: the guard failed without naming $dropped" >&2; exit 1
fi

if ! "$root/scripts/check-packages" --build-dir "$build_dir" --no-runtime; then
  echo "FAIL: the guard refused scripts/setup's own list" >&2; exit 1
fi
echo "PASS: the guard names $dropped when it is missing and passes the full list"
