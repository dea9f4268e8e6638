#!/usr/bin/env bash
# The real InfluxDB 1.x for the InfluxQL differential tests: Debian's `influxdb` (influxd 1.6)
# and `influxdb-client` (the `influx` CLI). The tests start influxd themselves, from a config
# with private temp directories and free ports (test/support/influxdb1.ts), never as a service.
#   influxdb1-test-server.sh install   install both packages when influxd or influx is missing
set -euo pipefail

install() {
  command -v influxd >/dev/null && command -v influx >/dev/null && return 0
  local sudo=()
  if [ "$(id -u)" != 0 ]; then
    if sudo -n true 2>/dev/null; then sudo=(sudo -n); else
      echo "influxdb1-test-server: influxd is not installed; as root run: apt-get install influxdb influxdb-client" >&2
      exit 1
    fi
  fi
  "${sudo[@]}" apt-get update -qq
  # No service is wanted: policy-rc.d 101 keeps the package from starting one where init runs.
  local policy=/usr/sbin/policy-rc.d created=0
  if [ ! -e "$policy" ]; then
    printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
    "${sudo[@]}" chmod +x "$policy"
    created=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends influxdb influxdb-client >/dev/null || {
    [ "$created" = 1 ] && "${sudo[@]}" rm -f "$policy"
    exit 1
  }
  [ "$created" = 1 ] && "${sudo[@]}" rm -f "$policy"
  return 0
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 2 ;;
esac
