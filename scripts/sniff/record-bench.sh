#!/bin/sh
# Records the benchmark capture of issue 6: N QoS 0 PUBLISH packets sent by `mosquitto_pub -l` to a
# Mosquitto, captured with tcpdump, in a private network namespace (nothing else on loopback) whose
# lo has a 1500-byte MTU and no segmentation offload, so frames are network-sized.
# Needs root, mosquitto, mosquitto_pub, tcpdump. Run as: unshare --net sh scripts/sniff/record-bench.sh OUT.pcap N
set -eu
out=$1
n=$2
work=$(mktemp -d)
broker=
dump=
trap 'kill $broker $dump 2>/dev/null || true; rm -rf "$work"' EXIT
ip link set lo up
ip link set lo mtu 1500 gso_max_size 1500 gso_max_segs 1
printf 'listener 1883 127.0.0.1\nallow_anonymous true\n' > "$work/m.conf"
mosquitto -c "$work/m.conf" 2>"$work/broker.log" &
broker=$!
until grep -q running "$work/broker.log"; do sleep 0.05; done
tcpdump -i lo --immediate-mode -B 131072 -s 0 -w "$out" 'tcp port 1883' 2>"$work/dump.log" &
dump=$!
until grep -q listening "$work/dump.log"; do sleep 0.05; done
seq 1 "$n" | sed 's/^/message /' | mosquitto_pub -i bench-pub -t bench/topic -l
# tcpdump writes its tail late: stop it only once the file has stopped growing
last=-1
while [ "$(stat -c %s "$out")" != "$last" ]; do last=$(stat -c %s "$out"); sleep 0.5; done
kill -INT $dump
wait $dump || true
dump=
grep -E 'captured|dropped' "$work/dump.log" >&2
