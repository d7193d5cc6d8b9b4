import { epochString } from '../sniff/frame.js';
import type { NoteEvent, PacketEvent } from '../sniff/sniff-events.js';
import { packetFields } from './sniff-fields.js';
import { passwordValue, propertyReplacer } from './sniff-text.js';

/**
 * `mqtt sniff --json`: one object per line for each MQTT packet. The schema (also in `--help`):
 *
 * Always present, in this order, null where the packet type has no such field or it is not known:
 *   time           number    capture time in epoch seconds, written with every digit the capture
 *                            holds (6 for µs, 9 for ns): a double keeps what it can (µs exactly),
 *                            a decimal-preserving parser (jq 1.7, Python's Decimal) keeps all
 *   src, dst       string    "ip:port" of sender and receiver, IPv6 in brackets: "[::1]:1883"
 *   type           string    CONNECT, CONNACK, PUBLISH, PUBACK, PUBREC, PUBREL, PUBCOMP, SUBSCRIBE,
 *                            SUBACK, UNSUBSCRIBE, UNSUBACK, PINGREQ, PINGRESP, DISCONNECT, AUTH, RESERVED
 *   qos            number    PUBLISH (a malformed one may say 3)
 *   retain, dup    boolean   PUBLISH
 *   packetId       number    PUBLISH QoS > 0, PUBACK, PUBREC, PUBREL, PUBCOMP, (UN)SUBSCRIBE, (UN)SUBACK
 *   topic          string    PUBLISH; a v5 Topic Alias is resolved to the topic it stands for
 *   payloadLength  number    PUBLISH payload bytes
 *   version        number    protocol level of the connection: 3 (3.1), 4 (3.1.1) or 5, from its
 *                            CONNECT, else the one assumed (--mqtt-version)
 *   clientId       string    the connection's client id, on every packet of it in both directions
 *                            once its CONNECT (or a v5 CONNACK's assigned id) was seen
 *   reasonCodes    number[]  CONNACK return/reason code, SUBACK and UNSUBACK codes (one per filter),
 *                            v5 PUBACK/PUBREC/PUBREL/PUBCOMP/DISCONNECT/AUTH reason code
 * Then, always: conn (connection number in order of appearance, like tshark's tcp.stream),
 *   dir ("c2s" or "s2c"), transport ("tcp" or "websocket"), size (bytes of the whole packet).
 * When they apply: latencyMs (PUBACK of a QoS 1, PUBCOMP of a QoS 2 PUBLISH: ms since it), topicAlias,
 *   keepalive, clean, protocolName, username, password ("****" unless --show-passwords), will
 *   {topic, qos, retain, payloadLength}, sessionPresent, subscriptions [{topic, qos, nl, rap, rh}],
 *   unsubscriptions, properties (v5, binary values in hex), error (malformed: why), payload (base64,
 *   with --payload).
 * Lines that are not packets carry "note" instead of "type": {time, src, dst, conn, dir, note, message,
 * rule, bytes}; note is gap, skipped, violation, not-mqtt, tls, websocket or connection (-v).
 */
export interface JsonOptions {
  payload: boolean;
  showPasswords: boolean;
}

function endpoints(ev: PacketEvent | NoteEvent): Record<string, unknown> {
  const c = ev.conn;
  if (!c) return {};
  const fromServer = ev.fromClient === false;
  const out: Record<string, unknown> = { src: fromServer ? c.server : c.client, dst: fromServer ? c.client : c.server };
  return out;
}

/** The time as a JSON number literal with all its digits, then the rest of the object. */
function withTime(ev: PacketEvent | NoteEvent, body: string): string {
  return `{"time":${epochString(ev.at)},${body.slice(1)}\n`;
}

export function packetJson(ev: PacketEvent, opts: JsonOptions): string {
  const f = packetFields(ev);
  const c = ev.conn;
  const out: Record<string, unknown> = {
    ...endpoints(ev),
    type: f.type,
    qos: f.qos ?? null,
    retain: f.retain ?? null,
    dup: f.dup ?? null,
    packetId: f.packetId ?? null,
    topic: f.topic ?? null,
    payloadLength: f.payloadLength ?? null,
    version: c.protocolVersion,
    clientId: c.clientId ?? null,
    reasonCodes: f.reasonCodes ?? null,
    conn: c.id,
    dir: ev.fromClient ? 'c2s' : 's2c',
    transport: c.transport,
    size: f.size,
  };
  if (ev.latencyMs !== undefined) out.latencyMs = ev.latencyMs;
  if (f.topicAlias !== undefined) out.topicAlias = f.topicAlias;
  if (f.type === 'CONNECT') {
    Object.assign(out, { keepalive: f.keepalive, clean: f.clean, protocolName: f.protocolName });
    if (f.username !== undefined) out.username = f.username;
    if (f.password !== undefined) out.password = passwordValue(f.password, opts.showPasswords);
    if (f.will) out.will = f.will;
  }
  if (f.sessionPresent !== undefined) out.sessionPresent = f.sessionPresent;
  if (f.subscriptions) out.subscriptions = f.subscriptions;
  if (f.unsubscriptions) out.unsubscriptions = f.unsubscriptions;
  if (f.properties) out.properties = f.properties;
  if (f.error !== undefined) out.error = f.error;
  if (opts.payload && ev.packet?.cmd === 'publish') out.payload = Buffer.from(ev.packet.payload).toString('base64');
  // the replacer costs time on every packet: only packets with properties can hold Buffers
  return withTime(ev, JSON.stringify(out, f.properties ? propertyReplacer : undefined));
}

export function noteJson(ev: NoteEvent): string {
  const out: Record<string, unknown> = { ...endpoints(ev) };
  if (ev.conn) out.conn = ev.conn.id;
  if (ev.fromClient !== undefined) out.dir = ev.fromClient ? 'c2s' : 's2c';
  out.note = ev.note;
  out.message = ev.message;
  if (ev.rule) out.rule = ev.rule;
  if (ev.bytes !== undefined) out.bytes = ev.bytes;
  return withTime(ev, JSON.stringify(out));
}
