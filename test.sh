#!/usr/bin/env bash
# Runs every test of the solution. Installs first whatever the tests need and the machine lacks (redis-tools, redis-server,
# chromium, stress-ng).
set -euo pipefail
cd "$(dirname "$0")"

need_apt=()
command -v redis-cli >/dev/null 2>&1 || need_apt+=(redis-tools)
# The differential tests compare every reply with a real redis-server's.
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
command -v chromium >/dev/null 2>&1 || need_apt+=(chromium)
# The shutdown tests keep both cores busy with it (they fall back to spinning threads without it).
command -v stress-ng >/dev/null 2>&1 || need_apt+=(stress-ng)
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

# One test project at a time: the multi-node and multi-process tests time elections in wall-clock ticks.
dotnet test AkkaRaft.sln -c Release -m:1 "$@"
