#!/usr/bin/env bash
# A throw-away S3 server for the tests: Ceph's radosgw (Debian) on 127.0.0.1, over one monitor
# and one OSD on the RAM-only memstore, no cephx. Data is lost at stop, by design.
#   s3-test-server.sh install          install the Debian packages if radosgw is missing (root)
#   s3-test-server.sh start STATE      start one; write S3_ENDPOINT/S3_ACCESS_KEY/S3_SECRET_KEY
#                                      and the pids to the STATE file; print the S3_* line
#   s3-test-server.sh stop STATE       stop exactly the daemons in STATE, remove its directory
set -euo pipefail

install() {
  command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null && return 0
  if [ "$(id -u)" != 0 ]; then
    echo "s3-test-server: radosgw is not installed; as root run: apt-get install radosgw ceph-mon ceph-osd ceph-common" >&2
    exit 1
  fi
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends radosgw ceph-mon ceph-osd ceph-common uuid-runtime >/dev/null
}

start() {
  local state=$1 ak=${S3_ACCESS_KEY:-sluicetestkey} sk=${S3_SECRET_KEY:-sluicetestsecret}
  [ -e "$state" ] && { echo "s3-test-server: $state exists; stop that server first" >&2; exit 1; }
  local d; d=$(mktemp -d /tmp/sluice-rgw.XXXXXX); mkdir -p "$d"/{run,log,mon,osd,rgw}
  PIDS=()
  save() { printf 'RGW_DIR=%s\nRGW_PIDS="%s"\n' "$d" "${PIDS[*]:-}" > "$state"; }
  fail() {
    echo "s3-test-server: FAILED: $*" >&2
    for f in "$d"/log/*; do [ -f "$f" ] && { echo "--- $f" >&2; tail -n 15 "$f" >&2; }; done
    stop "$state" >&2; exit 1
  }
  save
  # three free loopback ports: monitor v2 and v1, radosgw (a tiny race until the daemons bind)
  local mon2 mon1 port
  read -r mon2 mon1 port < <(node -e 'const net=require("net");const ps=[];let n=0;for(let i=0;i<3;i++){const s=net.createServer();s.listen(0,"127.0.0.1",()=>{ps[i]=s;if(++n===3){console.log(ps.map(x=>x.address().port).join(" "));ps.forEach(x=>x.close());}});}')
  local fsid monaddr; fsid=$(uuidgen); monaddr="[v2:127.0.0.1:$mon2,v1:127.0.0.1:$mon1]"
  cat > "$d/ceph.conf" <<CONF
[global]
fsid = $fsid
mon_host = $monaddr
public_addr = 127.0.0.1
# with auth none, clients cannot reach the monitor without this
ms_mon_client_mode = crc
auth_cluster_required = none
auth_service_required = none
auth_client_required = none
run_dir = $d/run
admin_socket = $d/run/\$name.asok
log_file = $d/log/\$name.log
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_max_pg_per_osd = 1000
paxos_propose_interval = 0.05
paxos_min_wait = 0.01
[mon]
mon_data = $d/mon/\$id
mon_cluster_log_file = $d/log/cluster.log
[osd]
osd_data = $d/osd/\$id
osd_objectstore = memstore
memstore_device_bytes = 2147483648
[client]
rgw_data = $d/rgw
rgw_frontends = beast endpoint=127.0.0.1:$port
CONF
  local c=(-c "$d/ceph.conf")
  daemon() { setsid "$@" -f </dev/null >>"$d/log/daemons.out" 2>&1 & PIDS+=($!); save; }
  monmaptool --create --fsid "$fsid" --addv a "$monaddr" "$d/monmap" >/dev/null
  ceph-mon "${c[@]}" -i a --mkfs --monmap "$d/monmap" >>"$d/log/mkfs.out" 2>&1 || fail "ceph-mon --mkfs"
  daemon ceph-mon "${c[@]}" -i a
  ceph "${c[@]}" --connect-timeout 30 -s >/dev/null 2>&1 || fail "the monitor did not answer"
  local uuid id; uuid=$(uuidgen)
  id=$(ceph "${c[@]}" osd new "$uuid") || fail "osd new"
  mkdir -p "$d/osd/$id"
  ceph-osd "${c[@]}" -i "$id" --mkfs --osd-uuid "$uuid" >>"$d/log/mkfs.out" 2>&1 || fail "ceph-osd --mkfs"
  daemon ceph-osd "${c[@]}" -i "$id"
  for i in $(seq 300); do
    ceph "${c[@]}" osd dump 2>/dev/null | grep -q "^osd.$id up" && break
    [ "$i" = 300 ] && fail "the OSD was not up after 30 s"; sleep 0.1
  done
  daemon radosgw "${c[@]}" -n client.rgw.a
  for i in $(seq 600); do
    node -e 'require("http").get(process.argv[1],r=>process.exit(r.statusCode===200?0:1)).on("error",()=>process.exit(1))' "http://127.0.0.1:$port/" && break
    kill -0 "${PIDS[-1]}" 2>/dev/null || fail "radosgw exited"
    [ "$i" = 600 ] && fail "radosgw was not answering after 60 s"; sleep 0.1
  done
  radosgw-admin "${c[@]}" -n client.rgw.a user create --uid=sluice --display-name=sluice \
    --access-key="$ak" --secret-key="$sk" >>"$d/log/user.out" 2>&1 || fail "user create"
  printf 'S3_ENDPOINT=http://127.0.0.1:%s\nS3_ACCESS_KEY=%s\nS3_SECRET_KEY=%s\n' "$port" "$ak" "$sk" >> "$state"
  echo "S3_ENDPOINT=http://127.0.0.1:$port S3_ACCESS_KEY=$ak S3_SECRET_KEY=$sk"
}

stop() {
  local state=$1
  [ -f "$state" ] || return 0
  local RGW_DIR='' RGW_PIDS=''
  # shellcheck disable=SC1090
  . "$state"
  local live=() p
  # only pids still running with this instance's ceph.conf (guards against pid reuse)
  for p in ${RGW_PIDS:-}; do
    { tr '\0' ' ' < "/proc/$p/cmdline"; } 2>/dev/null | grep -qF "$RGW_DIR/ceph.conf" && live+=("$p")
  done
  alive() { local q s; for q in "${live[@]}"; do
    s=$(awk '{print $3}' "/proc/$q/stat" 2>/dev/null) && [ -n "$s" ] && [ "$s" != Z ] && return 0
  done; return 1; }
  # a graceful radosgw exit takes 4-12 s; the data is throw-away: TERM, a short grace, KILL
  for ((i=${#live[@]}-1; i>=0; i--)); do kill -TERM "${live[i]}" 2>/dev/null || true; done
  for _ in $(seq 15); do alive || break; sleep 0.1; done
  for p in "${live[@]}"; do kill -KILL "$p" 2>/dev/null || true; done
  for _ in $(seq 50); do alive || break; sleep 0.1; done
  case "$RGW_DIR" in /tmp/sluice-rgw.*) rm -rf -- "$RGW_DIR" ;; esac
  rm -f -- "$state"
}

case "${1:-}" in
  install) install ;;
  start) [ -n "${2:-}" ] || { echo "usage: $0 start STATE" >&2; exit 2; }; install; start "$2" ;;
  stop) [ -n "${2:-}" ] || { echo "usage: $0 stop STATE" >&2; exit 2; }; stop "$2" ;;
  *) echo "usage: $0 install | start STATE | stop STATE" >&2; exit 2 ;;
esac
