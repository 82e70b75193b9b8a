#!/usr/bin/env bash
# Install the Debian packages geoapp needs, only those that are missing.
#   scripts/install-system-deps.sh run    # Node.js/npm (front-end libraries)
#   scripts/install-system-deps.sh test   # + PostgreSQL 15 with PostGIS, Chromium, CJK fonts
set -euo pipefail
want=()
need() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed" || want+=("$1"); }

command -v npm >/dev/null 2>&1 || { need nodejs; need npm; }
if [ "${1:-run}" = "test" ]; then
  need postgresql-15
  need postgresql-15-postgis-3
  need chromium
  need fonts-noto-cjk
fi
[ ${#want[@]} -eq 0 ] && exit 0

echo "installing Debian packages: ${want[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null 2>&1 || { echo "need root (or sudo) to install: ${want[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${want[@]}" >/dev/null
