import { execFileSync } from 'node:child_process';
import { endpointString } from '../../src/sniff/ip-address.js';

/**
 * The facts both our sniffer and tshark report for one MQTT packet, in one comparable shape, named
 * as in `mqtt sniff --json` (src and dst are "ip:port", IPv6 in brackets).
 */
export interface Row {
  time: string;
  src: string;
  dst: string;
  type: string;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  packetId?: number;
  topic?: string;
  payloadLength?: number;
  /** CONNECT only: tshark shows them on the CONNECT, we on every packet */
  clientId?: string;
  version?: number;
  /** as far as they are on the wire (tshark shows nothing for a v5 short-form ack) */
  reasonCodes?: number[];
}

const SHORT_FORM: Record<string, number> = { PUBACK: 4, PUBREC: 4, PUBREL: 4, PUBCOMP: 4, DISCONNECT: 2, AUTH: 2 };

/**
 * Our reason codes as tshark shows them: a v5 ack of 4 bytes (DISCONNECT/AUTH of 2) carries no
 * reason code on the wire; we report the Success (0) it means, tshark nothing.
 */
export function onWireReasonCodes(type: string, size: number, codes: number[] | null | undefined): number[] | undefined {
  if (!codes || SHORT_FORM[type] === size) return undefined;
  return codes;
}

/** tshark's reason/return code fields of one MQTT packet, whatever the packet type. */
function tsharkReasonCodes(m: Record<string, unknown>): number[] | undefined {
  for (const [key, value] of Object.entries(m)) {
    if (key === 'mqtt_mqtt_conack_val' || key === 'mqtt_mqtt_suback_qos' || /^mqtt_mqtt_\w+_reason_code$/.test(key)) {
      return (Array.isArray(value) ? value : [value]).map(Number);
    }
  }
  return undefined;
}

const TYPES = ['RESERVED', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH'];

/** tshark prints nanoseconds always; we print what the capture has: compare at microseconds. */
export function micros(epoch: string): string {
  const [s, f = ''] = epoch.split('.');
  return `${s}.${f.padEnd(9, '0').slice(0, 6)}`;
}

type Layers = Record<string, Record<string, unknown> | Array<Record<string, unknown>>>;

function one(v: unknown): Record<string, unknown> {
  return (Array.isArray(v) ? v[0] : v) as Record<string, unknown>;
}

function bool(v: unknown): boolean {
  return v === true || v === '1' || v === 'True' || v === 'true';
}

// PUBLISH/SUBSCRIBE/UNSUBSCRIBE/acks with ids; tshark names the field mqtt.msgid everywhere
const WITH_ID = new Set([3, 4, 5, 6, 7, 8, 9, 10, 11]);

/** Our packet list from tshark: `tshark -r file -T ek` with the given extra options. */
export function tsharkRows(file: string, extra: string[] = []): Row[] {
  const out = execFileSync('tshark', ['-r', file, '-T', 'ek', '-o', 'tcp.reassemble_out_of_order:TRUE', ...extra, '-Y', 'mqtt'], {
    encoding: 'utf8',
    maxBuffer: 256 * 1024 * 1024,
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const rows: Row[] = [];
  for (const line of out.split('\n')) {
    if (!line.startsWith('{"timestamp"')) continue;
    const layers = (JSON.parse(line) as { layers: Layers }).layers;
    const frame = one(layers.frame);
    const ip = one(layers.ip ?? layers.ipv6);
    const tcp = one(layers.tcp);
    const v6 = !layers.ip;
    const mqtt = layers.mqtt;
    for (const m of Array.isArray(mqtt) ? mqtt : [mqtt!]) {
      const type = Number(m.mqtt_mqtt_msgtype);
      const row: Row = {
        time: micros(String(frame.frame_frame_time_epoch)),
        src: endpointString(String(v6 ? ip.ipv6_ipv6_src : ip.ip_ip_src), Number(tcp.tcp_tcp_srcport)),
        dst: endpointString(String(v6 ? ip.ipv6_ipv6_dst : ip.ip_ip_dst), Number(tcp.tcp_tcp_dstport)),
        type: TYPES[type] ?? `TYPE${type}`,
      };
      if (type === 3) {
        row.qos = Number(m.mqtt_mqtt_qos);
        row.retain = bool(m.mqtt_mqtt_retain);
        row.dup = bool(m.mqtt_mqtt_dupflag);
        row.topic = String(m.mqtt_mqtt_topic ?? '');
        row.payloadLength = typeof m.mqtt_mqtt_msg === 'string' ? m.mqtt_mqtt_msg.replace(/:/g, '').length / 2 : 0;
      }
      if (WITH_ID.has(type) && m.mqtt_mqtt_msgid !== undefined) row.packetId = Number(m.mqtt_mqtt_msgid);
      if (type === 1) Object.assign(row, { clientId: String(m.mqtt_mqtt_clientid ?? ''), version: Number(m.mqtt_mqtt_ver) });
      const codes = tsharkReasonCodes(m);
      if (codes) row.reasonCodes = codes;
      rows.push(row);
    }
  }
  return rows;
}

/**
 * The `time` number exactly as written: JSON.parse would round nanoseconds to a double, and a
 * rounding up across a microsecond would then differ from tshark's truncated digits.
 */
export function timeLiteral(jsonLine: string): string {
  const m = /^\{"time":([0-9.]+),/.exec(jsonLine);
  if (!m) throw new Error(`no time number at the start of ${jsonLine}`);
  return m[1]!;
}

/** Our packet list from `mqtt sniff --json` output. */
export function sniffRows(jsonLines: string): Row[] {
  const rows: Row[] = [];
  for (const line of jsonLines.split('\n')) {
    if (!line) continue;
    const p = JSON.parse(line) as Record<string, unknown>;
    if (p.type === undefined) continue;
    const row: Row = { time: micros(timeLiteral(line)), src: String(p.src), dst: String(p.dst), type: String(p.type) };
    if (p.type === 'PUBLISH') {
      row.qos = p.qos as number;
      row.retain = p.retain as boolean;
      row.dup = p.dup as boolean;
      row.topic = p.topic as string;
      row.payloadLength = (p.payloadLength as number | undefined) ?? 0;
    }
    if (p.packetId !== null) row.packetId = p.packetId as number;
    if (p.type === 'CONNECT') Object.assign(row, { clientId: p.clientId, version: p.version });
    const codes = onWireReasonCodes(row.type, p.size as number, p.reasonCodes as number[] | null);
    if (codes) row.reasonCodes = codes;
    rows.push(row);
  }
  return rows;
}

/** A row as one short line, for readable test diffs. */
export function rowText(r: Row): string {
  const pub = r.type === 'PUBLISH' ? ` q${r.qos}${r.retain ? ' r' : ''}${r.dup ? ' d' : ''} ${JSON.stringify(r.topic)} ${r.payloadLength}` : '';
  const connect = r.type === 'CONNECT' ? ` v${r.version} ${JSON.stringify(r.clientId)}` : '';
  const codes = r.reasonCodes ? ` rc=${r.reasonCodes.join(',')}` : '';
  return `${r.time} ${r.src}>${r.dst} ${r.type}${r.packetId !== undefined ? ` id=${r.packetId}` : ''}${pub}${connect}${codes}`;
}
