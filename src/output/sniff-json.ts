import { epochString } from '../sniff/frame.js';
import type { NoteEvent, PacketEvent } from '../sniff/sniff-events.js';
import { packetFields } from './sniff-fields.js';
import { propertyReplacer } from './sniff-line.js';

function direction(ev: PacketEvent | NoteEvent) {
  const c = ev.conn;
  if (!c) return {};
  const [src, sport, dst, dport] =
    ev.fromClient === false
      ? [c.serverHost, c.serverPort, c.clientHost, c.clientPort]
      : [c.clientHost, c.clientPort, c.serverHost, c.serverPort];
  return {
    conn: c.id,
    src,
    sport,
    dst,
    dport,
    ...(ev.fromClient === undefined ? {} : { dir: ev.fromClient ? 'c2s' : 's2c' }),
  };
}

/** One JSON object per line. `ts` is the capture time as a decimal string, exactly as captured. */
export function packetJson(ev: PacketEvent, withPayload: boolean): string {
  const f = packetFields(ev);
  const out: Record<string, unknown> = {
    ts: epochString(ev.at),
    ...direction(ev),
    transport: ev.conn.transport,
    version: ev.conn.protocolVersion,
    ...f,
  };
  if (withPayload && ev.packet?.cmd === 'publish') out.payload = Buffer.from(ev.packet.payload).toString('base64');
  return JSON.stringify(out, propertyReplacer) + '\n';
}

export function noteJson(ev: NoteEvent): string {
  const out: Record<string, unknown> = { ts: epochString(ev.at), ...direction(ev), note: ev.note, message: ev.message };
  if (ev.rule) out.rule = ev.rule;
  if (ev.bytes !== undefined) out.bytes = ev.bytes;
  return JSON.stringify(out) + '\n';
}
