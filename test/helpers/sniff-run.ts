import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packetFields } from '../../src/sniff/format/sniff-fields.js';
import { CaptureFileReader } from '../../src/sniff/capture-file.js';
import { epochString } from '../../src/sniff/frame.js';
import type { NoteEvent, PacketEvent, SniffEvent } from '../../src/sniff/sniff-events.js';
import { Sniffer, type SnifferOptions } from '../../src/sniff/sniffer.js';
import { ROOT } from './cli.js';
import { micros, onWireReasonCodes, type Row } from './sniff-rows.js';

export const FIXTURE_DIR = path.join(ROOT, 'test/fixtures/sniff');

export interface SniffResult {
  packets: PacketEvent[];
  notes: NoteEvent[];
  rows: Row[];
  sniffer: Sniffer;
}

/** A packet event as the comparable row (computed while the event's buffers are still valid). */
export function eventRow(ev: PacketEvent): Row {
  const f = packetFields(ev);
  const c = ev.conn;
  const [src, dst] = ev.fromClient ? [c.client, c.server] : [c.server, c.client];
  const row: Row = { time: micros(epochString(ev.at)), src, dst, type: f.type };
  if (f.type === 'PUBLISH') Object.assign(row, { qos: f.qos, retain: f.retain, dup: f.dup, topic: f.topic, payloadLength: f.payloadLength ?? 0 });
  if (f.packetId !== undefined) row.packetId = f.packetId;
  if (f.type === 'CONNECT') Object.assign(row, { clientId: c.clientId, version: c.protocolVersion });
  const codes = onWireReasonCodes(f.type, f.size, f.reasonCodes);
  if (codes) row.reasonCodes = codes;
  return row;
}

/** Runs the sniffer in-process over bytes (fed in chunks of `chunk` bytes to exercise streaming). */
export function sniffBytes(bytes: Buffer, opts: SnifferOptions = {}, chunk = 64 * 1024): SniffResult {
  const packets: PacketEvent[] = [];
  const notes: NoteEvent[] = [];
  const rows: Row[] = [];
  const sniffer = new Sniffer((ev: SniffEvent) => {
    if (ev.kind === 'packet') {
      rows.push(eventRow(ev));
      packets.push({ ...ev, raw: Buffer.from(ev.raw) });
    } else notes.push(ev);
  }, opts);
  const reader = new CaptureFileReader((f) => sniffer.frame(f));
  for (let i = 0; i < bytes.length; i += chunk) reader.push(bytes.subarray(i, i + chunk));
  reader.end();
  sniffer.finish();
  return { packets, notes, rows, sniffer };
}

export function sniffFixture(file: string, opts: SnifferOptions = {}, chunk?: number): SniffResult {
  return sniffBytes(readFileSync(path.join(FIXTURE_DIR, file)), opts, chunk);
}
