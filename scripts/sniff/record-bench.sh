#!/bin/sh
# Records the benchmark capture of issue 6: N QoS 0 PUBLISH packets sent by `mosquitto_pub -l` to a
# Mosquitto, captured with tcpdump (see capture-lib.sh for the namespace and the lo it sets up).
# Needs root, mosquitto, mosquitto_pub, tcpdump. Run as: unshare --net sh scripts/sniff/record-bench.sh OUT.pcap N
set -eu
out=$1
n=$2
. "$(dirname "$0")/capture-lib.sh"
start_broker
start_capture "$out"
seq 1 "$n" | sed 's/^/message /' | mosquitto_pub -i bench-pub -t bench/topic -l
stop_capture "$out"
