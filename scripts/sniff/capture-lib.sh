# Sourced by record-real.sh and record-bench.sh, which run inside a private network namespace
# (`unshare --net`), so nothing else is on loopback: lo up with a 1500-byte MTU and no segmentation
# offload (many small segments, as on a real network), a Mosquitto on 1883, tcpdump on lo.
work=$(mktemp -d)
broker=
dump=
trap 'kill $broker $dump 2>/dev/null || true; rm -rf "$work"' EXIT
ip link set lo up
ip link set lo mtu 1500 gso_max_size 1500 gso_max_segs 1

start_broker() {
  printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' > "$work/m.conf"
  mosquitto -c "$work/m.conf" 2>"$work/broker.log" &
  broker=$!
  until grep -q running "$work/broker.log"; do sleep 0.05; done
}

# start_capture FILE: tcpdump of port 1883 into FILE, returning once it is listening
start_capture() {
  tcpdump -i lo --immediate-mode -B 131072 -s 0 -w "$1" 'tcp port 1883' 2>"$work/dump.log" &
  dump=$!
  until grep -q listening "$work/dump.log"; do sleep 0.05; done
}

# stop_capture FILE: tcpdump writes its tail late, so it is stopped only once FILE stops growing
stop_capture() {
  last=-1
  while [ "$(stat -c %s "$1")" != "$last" ]; do last=$(stat -c %s "$1"); sleep 0.5; done
  kill -INT $dump
  wait $dump || true
  dump=
  grep -E 'captured|dropped' "$work/dump.log" >&2
}
