#!/usr/bin/env bash
# Prints the path of a headless-capable Chromium for the browser tests,
# installing Debian's `chromium` package when it is missing (as root with
# apt-get; otherwise it prints the exact command and fails, so the test
# fails: a browser test never skips).
set -euo pipefail
if ! command -v chromium >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ]; then
    echo "chromium.sh: installing chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
  else
    echo "chromium.sh: chromium is missing. Run:" >&2
    echo "  sudo apt-get update && sudo apt-get install -y chromium" >&2
    exit 1
  fi
fi
command -v chromium
