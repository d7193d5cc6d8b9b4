/**
 * Builds TCP conversations frame by frame for crafted test captures: link header, IPv4 or IPv6,
 * TCP with real sequence numbers. Segments are made first and written in any order, any number of
 * times (or never), which is how reordering, retransmission and gaps are staged.
 */
import { LINKTYPE } from '../../src/sniff/link-types.js';
import type { WrittenFrame } from '../../src/sniff/pcap-writer.js';

export const FIN = 0x01;
export const SYN = 0x02;
export const RST = 0x04;
export const PSH = 0x08;
export const ACK = 0x10;

export interface Endpoint {
  host: string;
  port: number;
}

export interface Segment {
  fromClient: boolean;
  seq: number;
  ack: number;
  flags: number;
  payload: Buffer;
}

function ipv4Bytes(host: string): Buffer {
  return Buffer.from(host.split('.').map(Number));
}

function ipv6Bytes(host: string): Buffer {
  const [head, tail] = host.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array(8 - h.length - t.length).fill('0'), ...t];
  const b = Buffer.alloc(16);
  groups.forEach((g, i) => b.writeUInt16BE(parseInt(g, 16), i * 2));
  return b;
}

function checksum(buf: Buffer): number {
  let sum = 0;
  for (let i = 0; i + 1 < buf.length; i += 2) sum += buf.readUInt16BE(i);
  if (buf.length % 2) sum += buf[buf.length - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function tcpHeader(src: Endpoint, dst: Endpoint, seg: Segment): Buffer {
  const h = Buffer.alloc(20);
  h.writeUInt16BE(src.port, 0);
  h.writeUInt16BE(dst.port, 2);
  h.writeUInt32BE(seg.seq >>> 0, 4);
  h.writeUInt32BE(seg.ack >>> 0, 8);
  h[12] = 5 << 4;
  h[13] = seg.flags;
  h.writeUInt16BE(65535, 14);
  return h;
}

function ipPacket(src: Endpoint, dst: Endpoint, seg: Segment): Buffer {
  const tcp = Buffer.concat([tcpHeader(src, dst, seg), seg.payload]);
  const v6 = src.host.includes(':');
  const s = v6 ? ipv6Bytes(src.host) : ipv4Bytes(src.host);
  const d = v6 ? ipv6Bytes(dst.host) : ipv4Bytes(dst.host);
  const pseudo = v6
    ? Buffer.concat([s, d, Buffer.from([0, 0, tcp.length >> 8, tcp.length & 0xff, 0, 0, 0, 6])])
    : Buffer.concat([s, d, Buffer.from([0, 6, tcp.length >> 8, tcp.length & 0xff])]);
  tcp.writeUInt16BE(checksum(Buffer.concat([pseudo, tcp])), 16);
  if (v6) {
    const h = Buffer.alloc(40);
    h[0] = 0x60;
    h.writeUInt16BE(tcp.length, 4);
    h[6] = 6;
    h[7] = 64;
    s.copy(h, 8);
    d.copy(h, 24);
    return Buffer.concat([h, tcp]);
  }
  const h = Buffer.alloc(20);
  h[0] = 0x45;
  h.writeUInt16BE(20 + tcp.length, 2);
  h.writeUInt16BE(0x4000, 6); // DF
  h[8] = 64;
  h[9] = 6;
  s.copy(h, 12);
  d.copy(h, 16);
  h.writeUInt16BE(checksum(h), 10);
  return Buffer.concat([h, tcp]);
}

/** Wraps an IP packet in the given link type's header. */
export function linkFrame(linkType: number, ip: Buffer, vlan = false): Buffer {
  const v6 = ip[0]! >> 4 === 6;
  const etherType = v6 ? 0x86dd : 0x0800;
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      const macs = Buffer.from('000000000002000000000001', 'hex');
      const tag = vlan ? Buffer.from([0x81, 0x00, 0x00, 0x2a]) : Buffer.alloc(0);
      return Buffer.concat([macs, tag, Buffer.from([etherType >> 8, etherType & 0xff]), ip]);
    }
    case LINKTYPE.LINUX_SLL: {
      const h = Buffer.alloc(16);
      h.writeUInt16BE(0, 0); // to us
      h.writeUInt16BE(772, 2); // ARPHRD_LOOPBACK
      h.writeUInt16BE(6, 4);
      h.writeUInt16BE(etherType, 14);
      return Buffer.concat([h, ip]);
    }
    case LINKTYPE.LINUX_SLL2: {
      const h = Buffer.alloc(20);
      h.writeUInt16BE(etherType, 0);
      h.writeUInt32BE(1, 4); // interface index
      h.writeUInt16BE(772, 8);
      h[11] = 6;
      return Buffer.concat([h, ip]);
    }
    case LINKTYPE.NULL: {
      const h = Buffer.alloc(4);
      h.writeUInt32LE(v6 ? 30 : 2);
      return Buffer.concat([h, ip]);
    }
    case LINKTYPE.LOOP: {
      const h = Buffer.alloc(4);
      h.writeUInt32BE(v6 ? 30 : 2);
      return Buffer.concat([h, ip]);
    }
    case LINKTYPE.RAW:
      return ip;
    default:
      throw new Error(`no builder for link type ${linkType}`);
  }
}

export interface ConversationOptions {
  client: Endpoint;
  server: Endpoint;
  linkType?: number;
  vlan?: boolean;
  iface?: number;
  /** time of the first frame */
  start: { sec: number; nsec: number };
  /** nanoseconds between frames */
  stepNs?: number;
  clientIsn?: number;
  serverIsn?: number;
}

/** One TCP connection being written; `frames` collects what `write` emitted, in order. */
export class Conversation {
  readonly frames: WrittenFrame[];
  private seq: [number, number];
  private time: { sec: number; nsec: number };

  constructor(
    private readonly opts: ConversationOptions,
    /** shared with other conversations so one file can interleave them */
    frames: WrittenFrame[] = [],
  ) {
    this.frames = frames;
    this.seq = [opts.clientIsn ?? 1000, opts.serverIsn ?? 50000];
    this.time = { ...opts.start };
  }

  private side(fromClient: boolean): 0 | 1 {
    return fromClient ? 0 : 1;
  }

  /** A segment carrying `payload` next in the sender's sequence space (advances it). */
  segment(fromClient: boolean, payload: Buffer, flags = ACK | PSH): Segment {
    const s = this.side(fromClient);
    const seg = { fromClient, seq: this.seq[s], ack: this.seq[1 - s]!, flags, payload };
    this.seq[s] = (this.seq[s] + payload.length + (flags & (SYN | FIN) ? 1 : 0)) >>> 0;
    return seg;
  }

  /** Emits a segment as a frame at the next time step. */
  write(seg: Segment, frameTime?: { sec: number; nsec: number }): void {
    const [src, dst] = seg.fromClient ? [this.opts.client, this.opts.server] : [this.opts.server, this.opts.client];
    const data = linkFrame(this.opts.linkType ?? LINKTYPE.ETHERNET, ipPacket(src, dst, seg), this.opts.vlan);
    const t = frameTime ?? this.tick();
    this.frames.push({ sec: t.sec, nsec: t.nsec, data, iface: this.opts.iface });
  }

  tick(): { sec: number; nsec: number } {
    const t = { ...this.time };
    this.time.nsec += this.opts.stepNs ?? 1_000_000;
    while (this.time.nsec >= 1e9) {
      this.time.nsec -= 1e9;
      this.time.sec++;
    }
    return t;
  }

  handshake(): void {
    this.write(this.segment(true, Buffer.alloc(0), SYN));
    this.write(this.segment(false, Buffer.alloc(0), SYN | ACK));
    this.write(this.segment(true, Buffer.alloc(0), ACK));
  }

  /** Sends bytes as segments of the given sizes (one segment by default). */
  send(fromClient: boolean, bytes: Buffer, sizes?: number[]): Segment[] {
    const segs: Segment[] = [];
    let at = 0;
    for (const n of sizes ?? [bytes.length]) {
      segs.push(this.segment(fromClient, bytes.subarray(at, at + n)));
      at += n;
    }
    if (at < bytes.length) segs.push(this.segment(fromClient, bytes.subarray(at)));
    for (const s of segs) this.write(s);
    return segs;
  }

  close(): void {
    this.write(this.segment(true, Buffer.alloc(0), FIN | ACK));
    this.write(this.segment(false, Buffer.alloc(0), FIN | ACK));
    this.write(this.segment(true, Buffer.alloc(0), ACK));
  }
}
