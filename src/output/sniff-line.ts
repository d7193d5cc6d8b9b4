import type { ChalkInstance } from 'chalk';
import { reasonCodeName, CONNACK_RETURN_CODES, type ReasonPacket } from '../core/protocol/reason-codes.js';
import { endpointString } from '../sniff/ip-address.js';
import type { Timestamp } from '../sniff/frame.js';
import type { NoteEvent, PacketEvent } from '../sniff/sniff-events.js';
import { packetFields, type PacketFields } from './sniff-fields.js';

export interface LineOptions {
  chalk: ChalkInstance;
  /** also print v5 properties and a payload preview */
  verbose: boolean;
}

function pad(n: number, width = 2): string {
  return String(n).padStart(width, '0');
}

/** Local wall-clock time with the capture's precision, like tcpdump's default. */
export function clockTime(t: Timestamp): string {
  const d = new Date(t.sec * 1000);
  const frac = String(t.nsec).padStart(9, '0').slice(0, t.precision);
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}${t.precision > 0 ? `.${frac}` : ''}`;
}

function endpoints(ev: PacketEvent | NoteEvent): string {
  const c = ev.conn;
  if (!c) return '';
  const client = endpointString(c.clientHost, c.clientPort);
  const server = endpointString(c.serverHost, c.serverPort);
  if (ev.fromClient === undefined) return `${client} - ${server}`;
  return ev.fromClient ? `${client} > ${server}` : `${server} > ${client}`;
}

function quote(s: string): string {
  return JSON.stringify(s);
}

function hexCode(code: number): string {
  return `0x${code.toString(16).padStart(2, '0')}`;
}

function reasonText(f: PacketFields, version: number): string {
  if (f.reasonCode === undefined) return '';
  if (f.type === 'CONNACK' && version !== 5) {
    const name = CONNACK_RETURN_CODES.find((r) => r.code === f.reasonCode)?.name ?? 'unknown return code';
    return `rc=${f.reasonCode} (${name})`;
  }
  const name = reasonCodeName(f.reasonCode, f.type.toLowerCase() as ReasonPacket) ?? 'unknown reason code';
  return `rc=${hexCode(f.reasonCode)} (${name})`;
}

function details(f: PacketFields, version: number): string {
  const parts: string[] = [];
  switch (f.type) {
    case 'CONNECT':
      parts.push(`v${f.protocolVersion}`, `client-id=${quote(f.clientId ?? '')}`, `keepalive=${f.keepalive}`);
      if (f.clean) parts.push(version === 5 ? 'clean-start' : 'clean');
      if (f.username !== undefined) parts.push(`user=${quote(f.username)}`);
      if (f.will) parts.push(`will=${quote(f.will.topic)} q${f.will.qos}${f.will.retain ? ' r' : ''}`);
      break;
    case 'CONNACK':
      if (f.sessionPresent) parts.push('session-present');
      break;
    case 'PUBLISH':
      parts.push(`q${f.qos}`);
      if (f.retain) parts.push('r');
      if (f.dup) parts.push('dup');
      break;
    case 'SUBSCRIBE':
      parts.push((f.subscriptions ?? []).map((s) => `${quote(s.topic)} q${s.qos}`).join(', '));
      break;
    case 'UNSUBSCRIBE':
      parts.push((f.unsubscriptions ?? []).map(quote).join(', '));
      break;
    case 'SUBACK':
    case 'UNSUBACK':
      if (f.reasonCodes) parts.push(`[${f.reasonCodes.map((c) => (c < 3 && f.type === 'SUBACK' ? String(c) : hexCode(c))).join(', ')}]`);
      break;
  }
  if (f.id !== undefined) parts.push(`id=${f.id}`);
  if (f.type === 'PUBLISH') parts.push(quote(f.topic ?? ''), `(${f.payloadLength} bytes)`);
  return [...parts, reasonText(f, version)].filter(Boolean).join(' ');
}

function verboseTail(ev: PacketEvent, f: PacketFields): string {
  const extra: string[] = [];
  if (f.properties) extra.push(`props=${JSON.stringify(f.properties, propertyReplacer)}`);
  const payload = ev.packet?.cmd === 'publish' ? ev.packet.payload : null;
  if (payload && payload.length > 0) extra.push(`payload=${payloadPreview(Buffer.from(payload))}`);
  return extra.length ? ` ${extra.join(' ')}` : '';
}

/** Buffers inside properties print as hex, not as {"type":"Buffer","data":[…]}. */
export function propertyReplacer(_key: string, value: unknown): unknown {
  if (value && typeof value === 'object' && (value as { type?: string }).type === 'Buffer') {
    return Buffer.from((value as { data: number[] }).data).toString('hex');
  }
  return value;
}

const PREVIEW_BYTES = 64;

function payloadPreview(payload: Buffer): string {
  const shown = payload.subarray(0, PREVIEW_BYTES);
  const text = shown.toString('utf8');
  // printable UTF-8 shows as text, anything else as hex
  const printable = !text.includes('\ufffd') && !/[\x00-\x08\x0b-\x1f\x7f]/.test(text);
  const body = printable ? quote(text) : shown.toString('hex');
  return payload.length > PREVIEW_BYTES ? `${body}…` : body;
}

/** One line per MQTT packet: time, who to whom, type, then the type's own facts. */
export function packetLine(ev: PacketEvent, opts: LineOptions): string {
  const f = packetFields(ev);
  const c = opts.chalk;
  const type = f.error ? c.red(`${f.type} MALFORMED`) : c.bold(f.type);
  const body = f.error ? `(${f.error}) ${f.size} bytes` : details(f, ev.conn.protocolVersion);
  const ws = ev.conn.transport === 'websocket' ? ' ws' : '';
  const tail = opts.verbose && !f.error ? verboseTail(ev, f) : '';
  return `${c.dim(clockTime(ev.at))} ${endpoints(ev)}${ws} ${type}${body ? ` ${body}` : ''}${tail}\n`;
}

/** Notes: violations are flagged with "!", the rest (gaps, skips, connections) with "--". */
export function noteLine(ev: NoteEvent, opts: LineOptions): string {
  const c = opts.chalk;
  const where = endpoints(ev);
  const time = c.dim(clockTime(ev.at));
  if (ev.note === 'violation') {
    return `${time} ${where} ${c.yellow(`! ${ev.rule ? `[${ev.rule}] ` : ''}${ev.message}`)}\n`;
  }
  return `${time} ${where ? `${where} ` : ''}${c.cyan(`-- ${ev.message}`)}\n`;
}
