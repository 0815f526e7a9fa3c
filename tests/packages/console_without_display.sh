#!/usr/bin/env bash
# The console without a display: --help and --version print and exit 0 (over ssh, in the
# .deb's post-install check); anything else exits 1 with a sentence that says why, instead
# of Qt's platform-plugin abort.
#
#   tests/packages/console_without_display.sh path/to/logdeck VERSION
set -uo pipefail
console="$1"
version="$2"
failed=0
run() { env -u DISPLAY -u WAYLAND_DISPLAY QT_QPA_PLATFORM= "$console" "$@" 2>&1; }
expect() { # name, wanted exit code, wanted text, exit code, output
  if [ "$4" -ne "$2" ] || ! grep -qE -- "$3" <<<"$5"; then
    echo "FAIL: $1: exit $4 (want $2), output:"; echo "$5"; failed=1
  else
    echo "ok: $1"
  fi
}
out=$(run --version); expect "--version" 0 "^logdeck $version\$" $? "$out"
out=$(run --help); expect "--help" 0 "--demo" $? "$out"
out=$(run --demo); expect "--demo without a display" 1 "no display \(DISPLAY and WAYLAND_DISPLAY are unset\)" $? "$out"
exit $failed
