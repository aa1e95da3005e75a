#!/usr/bin/env bash
# Debian packages the test suite needs beyond Python and Node: Chromium for the browser tests, clamd for upload scans.
# As root they are installed; otherwise the script says what to install and fails.
set -euo pipefail
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
# Social profile: upload scanning tests start clamd with a local EICAR signature database.
{ command -v clamd >/dev/null 2>&1 || [ -x /usr/sbin/clamd ]; } || missing+=(clamav-daemon)
[ ${#missing[@]} -eq 0 ] && exit 0
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
  echo "Installing Debian packages: ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "Missing Debian packages: ${missing[*]}. Install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
