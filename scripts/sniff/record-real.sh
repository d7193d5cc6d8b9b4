#!/bin/sh
# Records test/fixtures/sniff/real-mosquitto.pcap: mosquitto_sub and mosquitto_pub (3.1.1 and 5,
# QoS 0-2, retained, a `-l` burst, a 20 kB payload over 1500-byte segments) talking to a Mosquitto
# (see capture-lib.sh for the namespace and the lo it sets up). Needs root, mosquitto, tcpdump.
# Run as: unshare --net sh scripts/sniff/record-real.sh
set -eu
out="$(cd "$(dirname "$0")/../.." && pwd)/test/fixtures/sniff/real-mosquitto.pcap"
. "$(dirname "$0")/capture-lib.sh"
start_broker
start_capture "$work/cap.pcap"
mosquitto_sub -i real-sub -t 'real/#' -q 2 -C 105 > "$work/sub.out" &
sub=$!
until grep -q 'real-sub' "$work/broker.log"; do sleep 0.05; done
mosquitto_pub -i real-q0 -t real/q0 -m zero
mosquitto_pub -i real-q1 -t real/q1 -m one -q 1 -r
mosquitto_pub -i real-q2 -t real/q2 -m two -q 2
mosquitto_pub -i real-v5 -V 5 -t real/v5 -m five -q 1 -D publish user-property k v -D publish content-type text/plain
head -c 20000 /dev/zero | tr '\0' 'x' | mosquitto_pub -i real-big -t real/big -s
seq 1 100 | mosquitto_pub -i real-burst -t real/burst -l
wait $sub
stop_capture "$work/cap.pcap"
cp "$work/cap.pcap" "$out"
echo "wrote $out ($(wc -c < "$out") bytes)"
