import { execFileSync } from 'node:child_process';

/** The facts both our sniffer and tshark report for one MQTT packet, in one comparable shape. */
export interface Row {
  time: string;
  src: string;
  sport: number;
  dst: string;
  dport: number;
  type: string;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  id?: number;
  topic?: string;
  payloadLength?: number;
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
        src: String(v6 ? ip.ipv6_ipv6_src : ip.ip_ip_src),
        sport: Number(tcp.tcp_tcp_srcport),
        dst: String(v6 ? ip.ipv6_ipv6_dst : ip.ip_ip_dst),
        dport: Number(tcp.tcp_tcp_dstport),
        type: TYPES[type] ?? `TYPE${type}`,
      };
      if (type === 3) {
        row.qos = Number(m.mqtt_mqtt_qos);
        row.retain = bool(m.mqtt_mqtt_retain);
        row.dup = bool(m.mqtt_mqtt_dupflag);
        row.topic = String(m.mqtt_mqtt_topic ?? '');
        row.payloadLength = typeof m.mqtt_mqtt_msg === 'string' ? m.mqtt_mqtt_msg.replace(/:/g, '').length / 2 : 0;
      }
      if (WITH_ID.has(type) && m.mqtt_mqtt_msgid !== undefined) row.id = Number(m.mqtt_mqtt_msgid);
      rows.push(row);
    }
  }
  return rows;
}

/** Our packet list from `mqtt sniff --json` output. */
export function sniffRows(jsonLines: string): Row[] {
  const rows: Row[] = [];
  for (const line of jsonLines.split('\n')) {
    if (!line) continue;
    const p = JSON.parse(line) as Record<string, unknown>;
    if (p.type === undefined) continue;
    const row: Row = {
      time: micros(String(p.ts)),
      src: String(p.src),
      sport: Number(p.sport),
      dst: String(p.dst),
      dport: Number(p.dport),
      type: String(p.type),
    };
    if (p.type === 'PUBLISH') {
      row.qos = p.qos as number;
      row.retain = p.retain as boolean;
      row.dup = p.dup as boolean;
      row.topic = p.topic as string;
      row.payloadLength = (p.payloadLength as number | undefined) ?? 0;
    }
    if (p.id !== undefined) row.id = p.id as number;
    rows.push(row);
  }
  return rows;
}

/** A row as one short line, for readable test diffs. */
export function rowText(r: Row): string {
  const pub = r.type === 'PUBLISH' ? ` q${r.qos}${r.retain ? ' r' : ''}${r.dup ? ' d' : ''} ${JSON.stringify(r.topic)} ${r.payloadLength}` : '';
  return `${r.time} ${r.src}:${r.sport}>${r.dst}:${r.dport} ${r.type}${r.id !== undefined ? ` id=${r.id}` : ''}${pub}`;
}
