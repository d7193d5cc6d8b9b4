import { epochString } from '../frame.js';
import type { NoteEvent, PacketEvent } from '../sniff-events.js';
import { packetFields, type PacketFields } from './sniff-fields.js';
import { jsonString, passwordValue, propertyReplacer } from './sniff-text.js';

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
 * rule, bytes}; note is gap, skipped, violation, not-mqtt, tls, websocket, capture (a link type
 * that cannot be decoded) or connection (-v).
 */
export interface JsonOptions {
  payload: boolean;
  showPasswords: boolean;
}


/** The time as a JSON number literal with all its digits, then the rest of the object. */
function withTime(ev: PacketEvent | NoteEvent, body: string): string {
  return `{"time":${epochString(ev.at)},${body.slice(1)}\n`;
}

const orNull = (v: number | boolean | undefined) => (v === undefined ? 'null' : String(v));
const stringOrNull = (v: string | undefined) => (v === undefined ? 'null' : jsonString(v));

/**
 * The keys every packet has, written directly: JSON.stringify of a fresh 17-key object per packet
 * cost more than all the decoding before it. Endpoints, type, transport and dir never need escaping.
 */
function fixedPart(ev: PacketEvent, f: PacketFields): string {
  const c = ev.conn;
  const [src, dst] = ev.fromClient ? [c.client, c.server] : [c.server, c.client];
  return (
    `{"time":${epochString(ev.at)},"src":"${src}","dst":"${dst}","type":"${f.type}",` +
    `"qos":${orNull(f.qos)},"retain":${orNull(f.retain)},"dup":${orNull(f.dup)},"packetId":${orNull(f.packetId)},` +
    `"topic":${stringOrNull(f.topic)},"payloadLength":${orNull(f.payloadLength)},"version":${c.protocolVersion},` +
    `"clientId":${stringOrNull(c.clientId)},"reasonCodes":${f.reasonCodes ? `[${f.reasonCodes.join(',')}]` : 'null'},` +
    `"conn":${c.id},"dir":"${ev.fromClient ? 'c2s' : 's2c'}","transport":"${c.transport}","size":${f.size}`
  );
}

/** The keys that apply to some packets only; null when there are none (most PUBLISHes). */
function extras(ev: PacketEvent, f: PacketFields, opts: JsonOptions): Record<string, unknown> | null {
  const out: Record<string, unknown> = {};
  let any = false;
  const put = (key: string, value: unknown) => {
    out[key] = value;
    any = true;
  };
  if (ev.latencyMs !== undefined) put('latencyMs', ev.latencyMs);
  if (f.topicAlias !== undefined) put('topicAlias', f.topicAlias);
  if (f.type === 'CONNECT') {
    put('keepalive', f.keepalive);
    put('clean', f.clean);
    put('protocolName', f.protocolName);
    if (f.username !== undefined) put('username', f.username);
    if (f.password !== undefined) put('password', passwordValue(f.password, opts.showPasswords));
    if (f.will) put('will', f.will);
  }
  if (f.sessionPresent !== undefined) put('sessionPresent', f.sessionPresent);
  if (f.subscriptions) put('subscriptions', f.subscriptions);
  if (f.unsubscriptions) put('unsubscriptions', f.unsubscriptions);
  if (f.properties) put('properties', f.properties);
  if (f.error !== undefined) put('error', f.error);
  if (opts.payload && ev.packet?.cmd === 'publish') put('payload', Buffer.from(ev.packet.payload).toString('base64'));
  return any ? out : null;
}

export function packetJson(ev: PacketEvent, opts: JsonOptions): string {
  const f = packetFields(ev);
  const more = extras(ev, f, opts);
  if (!more) return `${fixedPart(ev, f)}}\n`;
  // only properties can hold Buffers, and the replacer costs time: used only then
  return `${fixedPart(ev, f)},${JSON.stringify(more, f.properties ? propertyReplacer : undefined).slice(1)}\n`;
}

export function noteJson(ev: NoteEvent): string {
  const c = ev.conn;
  const fromServer = ev.fromClient === false;
  const out: Record<string, unknown> = c ? { src: fromServer ? c.server : c.client, dst: fromServer ? c.client : c.server, conn: c.id } : {};
  if (ev.fromClient !== undefined) out.dir = ev.fromClient ? 'c2s' : 's2c';
  out.note = ev.note;
  out.message = ev.message;
  if (ev.rule) out.rule = ev.rule;
  if (ev.bytes !== undefined) out.bytes = ev.bytes;
  return withTime(ev, JSON.stringify(out));
}
