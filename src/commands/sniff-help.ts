/** `mqtt sniff` exit statuses: one per class of failure, so scripts can tell them apart. */
export const SNIFF_EXIT = {
  OK: 0,
  USAGE: 1,
  VIOLATIONS: 2,
  BAD_CAPTURE_FILE: 3,
  LIVE_UNAVAILABLE: 4,
  PERMISSION: 5,
  NO_SUCH_INTERFACE: 6,
  TRUNCATED_FILE: 7,
} as const;

/** What `mqtt sniff --help` shows after the options: line format, JSON schema, exit statuses. */
export const SNIFF_HELP = `
Filter:
  Trailing arguments are a libpcap filter for live capture, as with tcpdump (default "tcp"):
    mqtt sniff -i lo port 1883

One line per MQTT packet:
  TIME SRC > DST [CLIENT-ID] TYPE FIELDS, e.g.
    22:13:20.008000 127.0.0.1:40001 > 127.0.0.1:1883 [sensor-1] PUBLISH q1 r id=2 "a/y" (8 bytes) "retained"
  The client id appears once the connection's CONNECT was seen. PUBLISH shows QoS, r(etain), dup,
  id, topic, payload size and the payload's start (text, or 0x… hex); CONNECT its version,
  keepalive, clean, user, password=**** (--show-passwords prints it) and will; SUBSCRIBE each
  filter with its options (q, nl, rap, rh); acks their reason codes. -v adds v5 properties,
  PUBLISH->PUBACK/PUBCOMP latency and whole payloads. Lines starting "--" are notes (gaps, bytes
  skipped), "!" protocol violations (--check). Colours by packet type on a terminal only
  (NO_COLOR or --no-color: none).

JSON (--json): one object per line per MQTT packet. These keys are always there, null where the
  packet has no such field or it is not known yet:
    time           epoch seconds, a number written with every digit the capture holds (µs or ns)
    src, dst       "ip:port" of sender and receiver, IPv6 in brackets: "[::1]:1883"
    type           CONNECT, CONNACK, PUBLISH, PUBACK, …, DISCONNECT, AUTH
    qos, retain, dup, topic, payloadLength    PUBLISH (a v5 topic alias resolved to its topic)
    packetId       PUBLISH QoS>0, PUBACK/PUBREC/PUBREL/PUBCOMP, (UN)SUBSCRIBE, (UN)SUBACK
    version        3 (MQTT 3.1), 4 (3.1.1) or 5: from the CONNECT, else --mqtt-version
    clientId       on every packet of the connection, both ways, once its CONNECT was seen
    reasonCodes    array: CONNACK, SUBACK, UNSUBACK, and v5 PUBACK…PUBCOMP, DISCONNECT, AUTH
  then conn (connection number), dir ("c2s"/"s2c"), transport ("tcp"/"websocket"), size (bytes),
  and where they apply latencyMs (on a PUBACK/PUBCOMP: ms since its PUBLISH), topicAlias,
  keepalive, clean, protocolName, username, password ("****"), will, sessionPresent,
  subscriptions, unsubscriptions, properties (v5), error (malformed), payload (base64, --payload).
  Lines that are notes have "note" (gap, skipped, violation, not-mqtt, tls, websocket, capture:
  a link type that cannot be decoded, once each) and "message" instead of "type".

Summary: on stderr when the capture ends and on Ctrl-C: packets per type, connections, bytes,
  malformed packets, gaps, PUBACK/PUBCOMP latency p50/p99. --summary prints it on stdout instead
  (an object {"summary": …} with --json); -q or --no-summary leaves it out. Reading a large file
  with stderr on a terminal shows a progress line there.

Exit status:
  ${SNIFF_EXIT.OK}  done (gaps, frames cut by the snaplen and non-MQTT bytes are reported, not fatal)
  ${SNIFF_EXIT.USAGE}  bad command line, or a capture filter libpcap rejects
  ${SNIFF_EXIT.VIOLATIONS}  --check found protocol violations (takes precedence over ${SNIFF_EXIT.TRUNCATED_FILE})
  ${SNIFF_EXIT.BAD_CAPTURE_FILE}  the capture file cannot be read or is not pcap/pcapng (gzipped or not), or -w cannot be written
  ${SNIFF_EXIT.LIVE_UNAVAILABLE}  live capture unavailable: the optional binding "cap" or libpcap is missing
  ${SNIFF_EXIT.PERMISSION}  live capture not permitted: it needs root or CAP_NET_RAW
  ${SNIFF_EXIT.NO_SUCH_INTERFACE}  no such interface
  ${SNIFF_EXIT.TRUNCATED_FILE}  the capture file ends early (inside a record, or inside its gzip stream): everything before the cut was decoded

Examples:
  mqtt sniff -i lo port 1883
  mqtt sniff -i any -w saved.pcap -c 100 port 1883 or port 8883
  tcpdump -i any -U -w - port 1883 | mqtt sniff -r -
  mqtt sniff -r capture.pcapng --json | jq -c 'select(.type == "PUBLISH") | [.clientId, .topic]'
  mqtt sniff -r capture.pcap --check --no-packets
  mqtt sniff -r capture.pcapng.gz            # gzip is recognised by its magic bytes, also on stdin
`;
