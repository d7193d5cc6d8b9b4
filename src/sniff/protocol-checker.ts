import { isReasonCodeAllowed, type ReasonPacket } from '../core/protocol/reason-codes.js';
import { checkPropertiesAllowed, type PropertyPacket } from '../core/protocol/properties.js';
import { validateTopicFilter, validateUtf8 } from '../core/topic/validate.js';
import { secondsBetween, type Timestamp } from './frame.js';
import { packetTypeName } from './mqtt-header.js';
import { rawFields } from './raw-fields.js';
import type { NoteEvent, PacketEvent, SniffEvent } from './sniff-events.js';

/** What one connection has said so far, as far as the rules need it. */
interface ConnState {
  clientPackets: number;
  serverPackets: number;
  connects: number;
  disconnected: boolean;
  keepalive: number;
  lastClientPacket?: Timestamp;
  /** packet ids each side has outstanding: PUBLISH QoS 1/2, SUBSCRIBE (with its filter count), UNSUBSCRIBE */
  clientIds: Map<number, string>;
  serverIds: Map<number, string>;
  subscribeSizes: Map<number, number>;
  /** v5 limits each side announced for what it receives */
  clientMaxAlias: number;
  serverMaxAlias: number;
  clientMaxPacket: number;
  serverMaxPacket: number;
}

const CLIENT_ONLY = new Set(['CONNECT', 'SUBSCRIBE', 'UNSUBSCRIBE', 'PINGREQ']);
const SERVER_ONLY = new Set(['CONNACK', 'SUBACK', 'UNSUBACK', 'PINGRESP']);
const ACKS: Record<string, string> = { PUBACK: 'PUBLISH', PUBREC: 'PUBLISH', PUBCOMP: 'PUBREL', UNSUBACK: 'UNSUBSCRIBE', SUBACK: 'SUBSCRIBE' };

function newState(): ConnState {
  return {
    clientPackets: 0, serverPackets: 0, connects: 0, disconnected: false, keepalive: 0,
    clientIds: new Map(), serverIds: new Map(), subscribeSizes: new Map(),
    clientMaxAlias: 0, serverMaxAlias: 0, clientMaxPacket: Infinity, serverMaxPacket: Infinity,
  };
}

type Report = (rule: string | undefined, message: string) => void;

/**
 * What the first byte alone breaks, named precisely rather than as "malformed": a reserved packet
 * type, reserved flag bits that are not as Table 2.2 requires, QoS 3. Checked on every packet,
 * whether the codec accepted it or not.
 */
function fixedHeaderProblem(first: number): [string | undefined, string] | null {
  const type = first >> 4;
  const flags = first & 0x0f;
  if (type === 0) return [undefined, 'packet type 0 is reserved'];
  if (type === 3) return (flags & 0x06) === 0x06 ? ['MQTT-3.3.1-4', 'PUBLISH with QoS 3 (both QoS bits set)'] : null;
  const required = type === 6 || type === 8 || type === 10 ? 2 : 0;
  if (flags === required) return null;
  const hex = (n: number) => `0x${n.toString(16)}`;
  return ['MQTT-2.2.2-2', `${packetTypeName(first)} with reserved flag bits ${hex(flags)} in its fixed header (must be ${hex(required)})`];
}

/**
 * Checks each connection's packets against the rules a bystander can verify: order (CONNECT first,
 * once; nothing after DISCONNECT), direction, header flags, packet ids and their acknowledgements,
 * topic names and filters (UTF-8 from the raw bytes, wildcards), v5 reason codes, properties,
 * topic aliases and maximum packet size, and keepalive. Rules that need the start of a connection
 * are skipped when the capture began later. Each finding is a 'violation' note with the spec's id.
 */
export class ProtocolChecker {
  private readonly conns = new Map<number, ConnState>();

  constructor(private readonly emit: (ev: NoteEvent) => void) {}

  observe(ev: SniffEvent): void {
    if (ev.kind === 'note') {
      if (ev.closed && ev.conn) this.conns.delete(ev.conn.id);
      return;
    }
    let st = this.conns.get(ev.conn.id);
    if (!st) this.conns.set(ev.conn.id, (st = newState()));
    const report: Report = (rule, message) =>
      this.emit({ kind: 'note', at: ev.at, note: 'violation', conn: ev.conn, fromClient: ev.fromClient, rule, message });
    this.check(ev, st, report);
    if (ev.fromClient) {
      st.clientPackets++;
      st.lastClientPacket = ev.at;
    } else st.serverPackets++;
  }

  finish(): void {
    this.conns.clear();
  }

  private check(ev: PacketEvent, st: ConnState, report: Report): void {
    const type = packetTypeName(ev.raw[0]!);
    const conn = ev.conn;
    const side = ev.fromClient ? 'client' : 'server';
    if (ev.fromClient ? SERVER_ONLY.has(type) : CLIENT_ONLY.has(type)) report(undefined, `${type} sent by the ${side}`);
    if (conn.startSeen) {
      // [MQTT-3.1.0-1] a client's first packet is CONNECT; [MQTT-3.2.0-1] a server's first is CONNACK
      if (ev.fromClient && st.clientPackets === 0 && type !== 'CONNECT') report('MQTT-3.1.0-1', `first packet from the client is ${type}, not CONNECT`);
      if (!ev.fromClient && st.serverPackets === 0 && type !== 'CONNACK') report('MQTT-3.2.0-1', `first packet from the server is ${type}, not CONNACK`);
    }
    if (ev.fromClient && st.disconnected) report('MQTT-3.14.4-1', `${type} after the client's DISCONNECT`);
    this.checkKeepalive(ev, st, report);
    const max = ev.fromClient ? st.serverMaxPacket : st.clientMaxPacket;
    // v5 numbering (the limit exists only in v5): server->client [MQTT-3.1.2-24], client->server [MQTT-3.2.2-15]
    if (ev.raw.length > max) report(ev.fromClient ? 'MQTT-3.2.2-15' : 'MQTT-3.1.2-24', `${type} of ${ev.raw.length} bytes exceeds the Maximum Packet Size ${max}`);
    const header = fixedHeaderProblem(ev.raw[0]!);
    if (header) report(header[0], header[1]);
    if (!ev.packet) {
      if (/Connect flag bit 0/.test(ev.error ?? '')) report('MQTT-3.1.2-3', 'CONNECT with the reserved connect flag (bit 0) set');
      else if (!header) report(undefined, `malformed ${type}: ${ev.error}`);
      return;
    }
    if (conn.protocolVersion === 5) this.checkV5(ev, type, report);
    this.checkPacket(ev, type, st, report);
  }

  private checkKeepalive(ev: PacketEvent, st: ConnState, report: Report): void {
    if (!ev.fromClient || st.keepalive === 0 || !st.lastClientPacket) return;
    const silent = secondsBetween(st.lastClientPacket, ev.at);
    // the server must disconnect a client silent for 1.5 times its keepalive: 3.1.1 [MQTT-3.1.2-24], 5 [MQTT-3.1.2-22]
    const rule = ev.conn.protocolVersion === 5 ? 'MQTT-3.1.2-22' : 'MQTT-3.1.2-24';
    if (silent > st.keepalive * 1.5) report(rule, `client was silent ${silent.toFixed(1)} s, over 1.5 × keepalive ${st.keepalive} s`);
  }

  private checkV5(ev: PacketEvent, type: string, report: Report): void {
    const packet = ev.packet!;
    const name = type.toLowerCase();
    const props = (packet as { properties?: Record<string, unknown> }).properties;
    const bad = checkPropertiesAllowed(name as PropertyPacket, props);
    if (bad.length) report('MQTT-2.2.2', `${type} carries properties it may not: ${bad.join(', ')}`);
    const code = (packet as { reasonCode?: number }).reasonCode;
    if (code !== undefined && name !== 'connack' && name !== 'publish' && !isReasonCodeAllowed(name as ReasonPacket, code)) {
      report('MQTT-2.4', `reason code 0x${code.toString(16)} is not allowed in ${type}`);
    }
  }

  private track(ev: PacketEvent, st: ConnState, id: number, what: string, report: Report): void {
    const ids = ev.fromClient ? st.clientIds : st.serverIds;
    // [MQTT-2.3.1-1] QoS > 0 PUBLISH, SUBSCRIBE and UNSUBSCRIBE carry a non-zero packet id
    if (id === 0) report('MQTT-2.3.1-1', `${what} with packet id 0`);
    else if (ids.has(id) && !(what === 'PUBLISH' && (ev.packet as { dup?: boolean }).dup)) {
      report('MQTT-2.3.1-2', `${what} reuses packet id ${id} still in flight (${ids.get(id)})`);
    }
    ids.set(id, what);
  }

  private acknowledge(ev: PacketEvent, st: ConnState, type: string, id: number, report: Report): void {
    // acks travel the other way: they settle the other side's ids
    const ids = ev.fromClient ? st.serverIds : st.clientIds;
    const expected = ACKS[type];
    const pending = ids.get(id);
    if (pending === undefined || (expected && pending !== expected && !(type === 'PUBCOMP' && pending === 'PUBLISH'))) {
      if (ev.conn.startSeen) report(undefined, `${type} for packet id ${id}, which is not in flight`);
      return;
    }
    if (type === 'PUBREC') ids.set(id, 'PUBREL');
    else ids.delete(id);
  }

  private checkPacket(ev: PacketEvent, type: string, st: ConnState, report: Report): void {
    const p = ev.packet!;
    const v = ev.conn.protocolVersion;
    switch (p.cmd) {
      case 'connect':
        st.connects++;
        // [MQTT-3.1.0-2] a second CONNECT is a protocol violation
        if (st.connects > 1) report('MQTT-3.1.0-2', 'second CONNECT on the same connection');
        st.keepalive = p.keepalive ?? 0;
        st.clientMaxAlias = p.properties?.topicAliasMaximum ?? 0;
        st.clientMaxPacket = p.properties?.maximumPacketSize ?? Infinity;
        break;
      case 'connack':
        st.serverMaxAlias = p.properties?.topicAliasMaximum ?? 0;
        st.serverMaxPacket = p.properties?.maximumPacketSize ?? Infinity;
        break;
      case 'publish':
        this.checkPublish(ev, st, report);
        if (p.qos > 0) this.track(ev, st, p.messageId ?? 0, 'PUBLISH', report);
        break;
      case 'pubrel': {
        // PUBREL answers a PUBREC: it settles the receiver's side and starts waiting for PUBCOMP
        const ids = ev.fromClient ? st.clientIds : st.serverIds;
        if (ids.get(p.messageId!) !== 'PUBREL' && ev.conn.startSeen) report(undefined, `PUBREL for packet id ${p.messageId}, which was not PUBRECed`);
        ids.set(p.messageId!, 'PUBCOMP');
        break;
      }
      case 'puback':
      case 'pubrec':
      case 'unsuback':
        this.acknowledge(ev, st, type, p.messageId!, report);
        break;
      case 'pubcomp': {
        const ids = ev.fromClient ? st.serverIds : st.clientIds;
        if (ids.get(p.messageId!) === 'PUBCOMP') ids.delete(p.messageId!);
        else if (ev.conn.startSeen) report(undefined, `PUBCOMP for packet id ${p.messageId}, which is not in flight`);
        break;
      }
      case 'subscribe':
        this.track(ev, st, p.messageId ?? 0, 'SUBSCRIBE', report);
        st.subscribeSizes.set(p.messageId ?? 0, p.subscriptions.length);
        for (const s of p.subscriptions) {
          const bad = validateTopicFilter(s.topic, { shared: v === 5 });
          if (bad) report('MQTT-4.7.1-2', `topic filter ${JSON.stringify(s.topic)} ${bad}`);
        }
        break;
      case 'suback': {
        const n = st.subscribeSizes.get(p.messageId!);
        // [MQTT-3.9.3-1] one return code per topic filter of the SUBSCRIBE
        if (n !== undefined && p.granted.length !== n) report('MQTT-3.9.3-1', `SUBACK has ${p.granted.length} return codes for ${n} topic filters`);
        st.subscribeSizes.delete(p.messageId!);
        this.acknowledge(ev, st, type, p.messageId!, report);
        break;
      }
      case 'unsubscribe':
        this.track(ev, st, p.messageId ?? 0, 'UNSUBSCRIBE', report);
        break;
      case 'disconnect':
        if (ev.fromClient) st.disconnected = true;
        break;
    }
  }

  private checkPublish(ev: PacketEvent, st: ConnState, report: Report): void {
    const p = ev.packet as Extract<PacketEvent['packet'], { cmd: 'publish' }>;
    // [MQTT-3.3.1-2] DUP must be 0 on QoS 0
    if (p.qos === 0 && p.dup) report('MQTT-3.3.1-2', 'QoS 0 PUBLISH with DUP set');
    const raw = rawFields(ev.raw, ev.conn.protocolVersion);
    const utf8 = raw.topic ? validateUtf8(raw.topic) : null;
    if (utf8) report('MQTT-1.5.4-1', `topic is not valid UTF-8: ${utf8}`);
    // [MQTT-3.3.2-2] no wildcards in a topic name
    if (/[+#]/.test(p.topic)) report('MQTT-3.3.2-2', `topic ${JSON.stringify(p.topic)} contains a wildcard`);
    const alias = p.properties?.topicAlias;
    if (alias !== undefined) {
      const max = ev.fromClient ? st.serverMaxAlias : st.clientMaxAlias;
      // [MQTT-3.3.2-8] [MQTT-3.3.2-9] [MQTT-3.3.2-10] alias between 1 and the receiver's maximum
      if (alias === 0 || alias > max) report('MQTT-3.3.2-9', `topic alias ${alias} outside 1..${max}`);
      if (p.topic === '' && ev.aliasTopic === undefined && ev.conn.startSeen) report('MQTT-3.3.2-7', `topic alias ${alias} used before it was set`);
    } else if (p.topic === '') {
      report('MQTT-4.7.3-1', 'PUBLISH with an empty topic and no topic alias');
    }
  }
}


