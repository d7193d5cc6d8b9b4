import type { ChalkInstance } from 'chalk';
import { reasonCodeName, CONNACK_RETURN_CODES, type ReasonPacket } from '../../core/protocol/reason-codes.js';
import type { Timestamp } from '../frame.js';
import type { NoteEvent, PacketEvent } from '../sniff-events.js';
import { packetFields, type PacketFields, type SubscriptionFields } from './sniff-fields.js';
import { bytesText, jsonString, passwordText, propertyReplacer } from './sniff-text.js';

export interface LineOptions {
  chalk: ChalkInstance;
  /** also print v5 properties, ack latency and whole payloads */
  verbose: boolean;
  /** print CONNECT passwords instead of "****" */
  showPasswords: boolean;
}

/** Payload bytes shown on a line without -v. */
export const PREVIEW_BYTES = 40;

const VERSION_NAMES: Record<number, string> = { 3: 'v3.1', 4: 'v3.1.1', 5: 'v5' };

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

// packets come in bursts within one second: its "HH:MM:SS" is made once (a Date per packet was a
// tenth of the time of a whole line)
let clockSec = -1;
let clockText = '';

/** Local wall-clock time with the capture's precision, like tcpdump's default. */
export function clockTime(t: Timestamp): string {
  if (t.sec !== clockSec) {
    const d = new Date(t.sec * 1000);
    clockSec = t.sec;
    clockText = `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
  }
  if (t.precision <= 0) return clockText;
  return `${clockText}.${String(t.nsec).padStart(9, '0').slice(0, t.precision)}`;
}

export function endpoints(ev: PacketEvent | NoteEvent): string {
  const c = ev.conn;
  if (!c) return '';
  if (ev.fromClient === undefined) return `${c.client} - ${c.server}`;
  return ev.fromClient ? `${c.client} > ${c.server}` : `${c.server} > ${c.client}`;
}

const labels = new WeakMap<object, { id: string; label: string }>();

/**
 * "[id] ": bare when that is unambiguous, JSON-quoted otherwise (spaces, brackets, controls, empty);
 * made once per connection and id, not per packet.
 */
export function clientLabel(conn: NonNullable<PacketEvent['conn']>): string {
  const id = conn.clientId;
  if (id === undefined) return '';
  const known = labels.get(conn);
  if (known?.id === id) return known.label;
  const label = /^[\x21-\x5a\x5c\x5e-\x7e]+$/.test(id) ? `[${id}] ` : `[${JSON.stringify(id)}] `;
  labels.set(conn, { id, label });
  return label;
}

/** Each packet type its colour, so a conversation reads at a glance; only on a terminal. */
export function typeColour(c: ChalkInstance, type: string): ChalkInstance {
  switch (type) {
    case 'CONNECT':
    case 'CONNACK':
      return c.green;
    case 'PUBLISH':
      return c.cyan;
    case 'PUBACK':
    case 'PUBREC':
    case 'PUBREL':
    case 'PUBCOMP':
      return c.blue;
    case 'SUBSCRIBE':
    case 'SUBACK':
    case 'UNSUBSCRIBE':
    case 'UNSUBACK':
      return c.magenta;
    case 'PINGREQ':
    case 'PINGRESP':
      return c.gray;
    case 'AUTH':
      return c.yellow;
    default:
      return c.red;
  }
}

const quote = jsonString;
const hexCode = (code: number) => `0x${code.toString(16).padStart(2, '0')}`;

function codeName(code: number, type: string): string {
  return reasonCodeName(code, type.toLowerCase() as ReasonPacket) ?? 'unknown reason code';
}

function reasonText(f: PacketFields, version: number): string {
  const codes = f.reasonCodes;
  if (!codes) return '';
  switch (f.type) {
    case 'CONNACK':
      if (version !== 5) return `rc=${codes[0]} (${CONNACK_RETURN_CODES.find((r) => r.code === codes[0])?.name ?? 'unknown return code'})`;
      return `rc=${hexCode(codes[0]!)} (${codeName(codes[0]!, f.type)})`;
    case 'SUBACK':
      // granted QoS reads best as the number; failures by name
      return `[${codes.map((c) => (c < 3 ? String(c) : `${hexCode(c)} (${codeName(c, f.type)})`)).join(', ')}]`;
    case 'UNSUBACK':
      return `[${codes.map((c) => (c === 0 ? hexCode(c) : `${hexCode(c)} (${codeName(c, f.type)})`)).join(', ')}]`;
    default:
      return `rc=${hexCode(codes[0]!)} (${codeName(codes[0]!, f.type)})`;
  }
}

function subscriptionText(s: SubscriptionFields): string {
  const opts = [`q${s.qos}`];
  if (s.nl) opts.push('nl');
  if (s.rap) opts.push('rap');
  if (s.rh) opts.push(`rh=${s.rh}`);
  return `${quote(s.topic)} ${opts.join(' ')}`;
}

function connectText(f: PacketFields, version: number, opts: LineOptions): string[] {
  const parts = [VERSION_NAMES[version] ?? `v?${version}`, `keepalive=${f.keepalive}`];
  if (f.clean) parts.push(version === 5 ? 'clean-start' : 'clean');
  if (f.username !== undefined) parts.push(`user=${quote(f.username)}`);
  if (f.password !== undefined) parts.push(`password=${passwordText(f.password, opts.showPasswords)}`);
  if (f.will) parts.push(`will=${quote(f.will.topic)} q${f.will.qos}${f.will.retain ? ' r' : ''} (${f.will.payloadLength} bytes)`);
  return parts;
}

/** PUBLISH, the packet most captures are made of, by concatenation: the general path costs twice as much. */
function publishText(ev: PacketEvent, f: PacketFields, opts: LineOptions): string {
  let text = `q${f.qos}`;
  if (f.retain) text += ' r';
  if (f.dup) text += ' dup';
  if (f.packetId !== undefined) text += ` id=${f.packetId}`;
  text += ` ${quote(f.topic ?? '')}`;
  if (f.topicAlias !== undefined) text += ` alias=${f.topicAlias}`;
  text += ` (${f.payloadLength} bytes)`;
  const payload = ev.packet?.cmd === 'publish' ? ev.packet.payload : null;
  // -v prints the whole payload after the properties; here only its start
  if (!opts.verbose && payload && payload.length > 0) text += ` ${bytesText(typeof payload === 'string' ? Buffer.from(payload) : payload, PREVIEW_BYTES)}`;
  return text;
}

function details(ev: PacketEvent, f: PacketFields, opts: LineOptions): string {
  if (f.type === 'PUBLISH') return publishText(ev, f, opts);
  const version = ev.conn.protocolVersion;
  const parts: string[] = [];
  if (f.type === 'CONNECT') parts.push(...connectText(f, version, opts));
  if (f.type === 'CONNACK' && f.sessionPresent) parts.push('session-present');
  if (f.packetId !== undefined) parts.push(`id=${f.packetId}`);
  if (f.subscriptions) parts.push(f.subscriptions.map(subscriptionText).join(', '));
  if (f.unsubscriptions) parts.push(f.unsubscriptions.map(quote).join(', '));
  parts.push(reasonText(f, version));
  return parts.filter(Boolean).join(' ');
}

function verboseTail(ev: PacketEvent, f: PacketFields): string {
  const extra: string[] = [];
  if (ev.latencyMs !== undefined) extra.push(`latency=${ev.latencyMs.toFixed(3)}ms`);
  if (f.properties) extra.push(`props=${JSON.stringify(f.properties, propertyReplacer)}`);
  const payload = ev.packet?.cmd === 'publish' ? ev.packet.payload : null;
  if (payload && payload.length > 0) extra.push(`payload=${bytesText(typeof payload === 'string' ? Buffer.from(payload) : payload)}`);
  return extra.length ? ` ${extra.join(' ')}` : '';
}

/** One line per MQTT packet: time, who to whom, client id once known, type, then the type's own facts. */
export function packetLine(ev: PacketEvent, opts: LineOptions): string {
  const f = packetFields(ev);
  const c = opts.chalk;
  const client = clientLabel(ev.conn);
  const type = f.error ? c.red.bold(`${f.type} MALFORMED`) : typeColour(c, f.type)(f.type);
  const body = f.error ? `(${f.error}) ${f.size} bytes` : details(ev, f, opts);
  const ws = ev.conn.transport === 'websocket' ? ' ws' : '';
  const tail = opts.verbose && !f.error ? verboseTail(ev, f) : '';
  return `${c.dim(clockTime(ev.at))} ${endpoints(ev)}${ws} ${client}${type}${body ? ` ${body}` : ''}${tail}\n`;
}

/** Notes: violations are flagged with "!", the rest (gaps, skips, connections) with "--". */
export function noteLine(ev: NoteEvent, opts: LineOptions): string {
  const c = opts.chalk;
  const client = ev.conn ? clientLabel(ev.conn) : '';
  const where = client ? `${endpoints(ev)} ${client.trimEnd()}` : endpoints(ev);
  const time = c.dim(clockTime(ev.at));
  if (ev.note === 'violation') {
    return `${time} ${where} ${c.yellow(`! ${ev.rule ? `[${ev.rule}] ` : ''}${ev.message}`)}\n`;
  }
  return `${time} ${where ? `${where} ` : ''}${c.cyan(`-- ${ev.message}`)}\n`;
}
