import type { ChalkInstance } from 'chalk';
import { epochString, type Timestamp } from '../frame.js';
import type { ConnectionInfo, PacketEvent } from '../sniff-events.js';
import type { JsonOptions } from './sniff-json.js';
import { clientLabel, clockTime, endpoints, PREVIEW_BYTES, typeColour, type LineOptions } from './sniff-line.js';
import type { SniffOutput } from './sniff-sink.js';
import { bytesText, jsonString } from './sniff-text.js';

/**
 * The PUBLISH line and JSON object (nearly every packet of a busy capture) written as bytes straight
 * into the output buffer, the same bytes packetLine()/packetJson() make: what is the same for every
 * packet of a connection direction (endpoints, client id, the JSON keys) and of a frame (its time)
 * is encoded once and copied, the topic and a plain-ASCII payload preview are copied character by
 * character. Building a string per line and encoding it was two thirds of `sniff -r`'s CPU time.
 * Anything unusual (-v, --payload, a Topic Alias, properties, a topic or line too long for the
 * buffer) returns false and takes the general path.
 */

const bytes = (s: string) => Buffer.from(s, 'latin1');
const Q_RETAIN = bytes(' r');
const Q_DUP = bytes(' dup');
const Q_ID = bytes(' id=');
const OPEN_LEN = bytes(' (');
const BYTES_CLOSE = bytes(' bytes)');
/** `,"retain":…,"dup":…,"packetId":` and, without an id, `null,"topic":`: by retain | dup << 1 | id << 2 */
const J_FLAGS = Array.from({ length: 8 }, (_, i) =>
  bytes(`,"retain":${(i & 1) !== 0},"dup":${(i & 2) !== 0},"packetId":${(i & 4) !== 0 ? '' : 'null,"topic":'}`),
);
const J_TOPIC = bytes(',"topic":');
const J_PAYLOAD_LENGTH = bytes(',"payloadLength":');
const J_END = bytes('}\n');
const ELLIPSIS = Buffer.from('…', 'utf8');
const QUOTE = 0x22;
const SPACE = 0x20;
const NEWLINE = 0x0a;
/** Room for everything of a line but its cached parts and its topic: numbers, flags, the preview. */
const SLACK = 1200;

/** Per connection direction: the encoded parts that change only with the client id or version. */
interface Heads {
  clientId: string | undefined;
  version: number;
  chalk: ChalkInstance | null;
  /** `${endpoints}${ws} ${client}PUBLISH ` */
  line: Buffer | null;
  /** the time of `lineAt` and then `line`: one copy per packet for both */
  lineAt: Timestamp | null;
  lineStart: Buffer;
  /** `,"src":"…","dst":"…","type":"PUBLISH","qos":` */
  jsonHead: Buffer | null;
  /** `,"version":4,"clientId":…,"reasonCodes":null,"conn":0,"dir":"c2s","transport":"tcp","size":` */
  jsonTail: Buffer | null;
  jsonAt: Timestamp | null;
  /** the time of `jsonAt` and then `jsonHead` */
  jsonStart: Buffer;
}

const heads = new WeakMap<ConnectionInfo, [Heads | undefined, Heads | undefined]>();
let lastConn: ConnectionInfo | null = null;
let lastFromClient = false;
let lastHeads: Heads | null = null;

function headsFor(conn: ConnectionInfo, fromClient: boolean): Heads {
  let h: Heads | undefined = conn === lastConn && fromClient === lastFromClient ? lastHeads! : undefined;
  if (h === undefined) {
    let pair = heads.get(conn);
    if (!pair) heads.set(conn, (pair = [undefined, undefined]));
    h = pair[fromClient ? 0 : 1];
    if (h === undefined) pair[fromClient ? 0 : 1] = h = emptyHeads(conn);
    lastConn = conn;
    lastFromClient = fromClient;
  }
  if (h.clientId !== conn.clientId || h.version !== conn.protocolVersion) {
    // the CONNECT (or a v5 CONNACK) told us more: start again
    h = emptyHeads(conn);
    heads.get(conn)![fromClient ? 0 : 1] = h;
  }
  lastHeads = h;
  return h;
}

function emptyHeads(conn: ConnectionInfo): Heads {
  const none = Buffer.alloc(0);
  return { clientId: conn.clientId, version: conn.protocolVersion, chalk: null, line: null, lineAt: null, lineStart: none, jsonHead: null, jsonTail: null, jsonAt: null, jsonStart: none };
}

// the packets of one frame share its timestamp object: its text is made once per frame
let lineAt: Timestamp | null = null;
let lineChalk: ChalkInstance | null = null;
let lineTime = Buffer.alloc(0);
let jsonAt: Timestamp | null = null;
let jsonTime = Buffer.alloc(0);

function put(b: Buffer, p: number, src: Buffer): number {
  // TypedArray set() is a memmove: a byte loop only wins for the shortest parts
  if (src.length > 4) b.set(src, p);
  else for (let i = 0; i < src.length; i++) b[p + i] = src[i]!;
  return p + src.length;
}

function putUint(b: Buffer, p: number, n: number): number {
  if (n < 10) {
    b[p] = 0x30 + n;
    return p + 1;
  }
  let digits = 1;
  for (let x = n; x >= 10; x = Math.floor(x / 10)) digits++;
  let q = p + digits;
  for (let x = n; q > p; x = Math.floor(x / 10)) b[--q] = 0x30 + (x % 10);
  return p + digits;
}

/** The string as jsonString() quotes it (the bytes of printable ASCII as they are, else JSON.stringify). */
function putQuoted(b: Buffer, p: number, s: string): number {
  if (s.length <= 256) {
    let q = p;
    b[q++] = QUOTE;
    let i = 0;
    for (; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) break;
      b[q++] = c;
    }
    if (i === s.length) {
      b[q++] = QUOTE;
      return q;
    }
  }
  return p + b.write(jsonString(s), p);
}

/** bytesText(payload, PREVIEW_BYTES): printable ASCII copied as it is, anything else as bytesText makes it. */
function putPreview(b: Buffer, p: number, payload: Buffer): number {
  const n = payload.length > PREVIEW_BYTES ? PREVIEW_BYTES : payload.length;
  let q = p;
  b[q++] = QUOTE;
  for (let i = 0; i < n; i++) {
    const c = payload[i]!;
    if (c < 0x20 || c > 0x7e || c === 0x22 || c === 0x5c) return p + b.write(bytesText(payload, PREVIEW_BYTES), p);
    b[q++] = c;
  }
  b[q++] = QUOTE;
  return payload.length > PREVIEW_BYTES ? put(b, q, ELLIPSIS) : q;
}

/** Writes packetLine(ev, opts) for a PUBLISH into `out`; false when the general path must do it. */
export function publishLine(out: SniffOutput, ev: PacketEvent, opts: LineOptions): boolean {
  const packet = ev.packet;
  if (packet === null || packet.cmd !== 'publish' || opts.verbose) return false;
  const payload = packet.payload;
  const topic = packet.topic;
  if (typeof payload === 'string' || typeof topic !== 'string' || packet.properties?.topicAlias !== undefined) return false;
  const c = opts.chalk;
  const h = headsFor(ev.conn, ev.fromClient);
  if (h.line === null || h.chalk !== c) {
    const ws = ev.conn.transport === 'websocket' ? ' ws' : '';
    h.line = Buffer.from(`${endpoints(ev)}${ws} ${clientLabel(ev.conn)}${typeColour(c, 'PUBLISH')('PUBLISH')} `);
    h.chalk = c;
    h.lineAt = null;
  }
  if (ev.at !== h.lineAt) {
    if (ev.at !== lineAt || c !== lineChalk) {
      lineTime = Buffer.from(`${c.dim(clockTime(ev.at))} `);
      lineAt = ev.at;
      lineChalk = c;
    }
    h.lineStart = Buffer.concat([lineTime, h.line]);
    h.lineAt = ev.at;
  }
  if (!out.reserve(h.lineStart.length + topic.length * 6 + SLACK)) return false;
  const b = out.buf;
  let p = put(b, out.pos, h.lineStart);
  b[p++] = 0x71; // q
  p = putUint(b, p, packet.qos);
  if (packet.retain) p = put(b, p, Q_RETAIN);
  if (packet.dup) p = put(b, p, Q_DUP);
  if (packet.qos !== 0 && packet.messageId !== undefined) p = putUint(b, put(b, p, Q_ID), packet.messageId);
  b[p++] = SPACE;
  p = putQuoted(b, p, topic);
  p = put(b, putUint(b, put(b, p, OPEN_LEN), payload.length), BYTES_CLOSE);
  if (payload.length > 0) {
    b[p++] = SPACE;
    p = putPreview(b, p, payload);
  }
  b[p++] = NEWLINE;
  out.commit(p);
  return true;
}

/** Writes packetJson(ev, opts) for a PUBLISH into `out`; false when the general path must do it. */
export function publishJson(out: SniffOutput, ev: PacketEvent, opts: JsonOptions): boolean {
  const packet = ev.packet;
  if (packet === null || packet.cmd !== 'publish' || opts.payload || ev.latencyMs !== undefined) return false;
  const payload = packet.payload;
  const topic = packet.topic;
  if (typeof payload === 'string' || typeof topic !== 'string' || packet.properties !== undefined) return false;
  const conn = ev.conn;
  const h = headsFor(conn, ev.fromClient);
  if (h.jsonHead === null || h.jsonTail === null) {
    const [src, dst] = ev.fromClient ? [conn.client, conn.server] : [conn.server, conn.client];
    h.jsonHead = Buffer.from(`,"src":"${src}","dst":"${dst}","type":"PUBLISH","qos":`);
    const clientId = conn.clientId === undefined ? 'null' : jsonString(conn.clientId);
    h.jsonTail = Buffer.from(
      `,"version":${conn.protocolVersion},"clientId":${clientId},"reasonCodes":null,` +
        `"conn":${conn.id},"dir":"${ev.fromClient ? 'c2s' : 's2c'}","transport":"${conn.transport}","size":`,
    );
  }
  if (ev.at !== h.jsonAt) {
    if (ev.at !== jsonAt) {
      jsonTime = Buffer.from(`{"time":${epochString(ev.at)}`);
      jsonAt = ev.at;
    }
    h.jsonStart = Buffer.concat([jsonTime, h.jsonHead]);
    h.jsonAt = ev.at;
  }
  if (!out.reserve(h.jsonStart.length + h.jsonTail.length + topic.length * 6 + SLACK)) return false;
  const b = out.buf;
  let p = putUint(b, put(b, out.pos, h.jsonStart), packet.qos);
  const id = packet.qos !== 0 ? packet.messageId : undefined;
  p = put(b, p, J_FLAGS[(packet.retain ? 1 : 0) | (packet.dup ? 2 : 0) | (id !== undefined ? 4 : 0)]!);
  if (id !== undefined) p = put(b, putUint(b, p, id), J_TOPIC);
  p = putQuoted(b, p, topic);
  p = putUint(b, put(b, p, J_PAYLOAD_LENGTH), payload.length);
  p = putUint(b, put(b, p, h.jsonTail), ev.raw.length);
  p = put(b, p, J_END);
  out.commit(p);
  return true;
}
