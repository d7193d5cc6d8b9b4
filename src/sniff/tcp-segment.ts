import { ipv4String, ipv6String } from './ip-address.js';
import { findNetworkPayload } from './link-layer.js';

const PROTO_TCP = 6;
// IPv6 extension headers that may sit between the fixed header and TCP
const HOP_BY_HOP = 0;
const ROUTING = 43;
const FRAGMENT = 44;
const DEST_OPTIONS = 60;

export const TCP_FIN = 0x01;
export const TCP_SYN = 0x02;
export const TCP_RST = 0x04;
export const TCP_ACK = 0x10;

export interface TcpSegment {
  readonly src: string;
  readonly dst: string;
  readonly sport: number;
  readonly dport: number;
  readonly seq: number;
  readonly ack: number;
  readonly flags: number;
  /** view into the frame: copy before keeping it */
  readonly payload: Buffer;
  /** bytes the sender sent after `payload` that the snaplen cut off: a gap in the stream */
  readonly missing: number;
}

export type SkipReason = 'not-ip' | 'not-tcp' | 'fragment' | 'malformed';

interface IpPart {
  src: string;
  dst: string;
  /** offset of the TCP header */
  offset: number;
  /** end of the IP payload inside the frame (link padding excluded) */
  end: number;
  /** bytes the IP header says exist past what was captured */
  missing: number;
}

function ipv4(data: Buffer, at: number): IpPart | SkipReason {
  if (data.length < at + 20) return 'malformed';
  const ihl = (data[at]! & 0x0f) * 4;
  const total = data.readUInt16BE(at + 2);
  if (ihl < 20 || total < ihl) return 'malformed';
  if (data[at + 9] !== PROTO_TCP) return 'not-tcp';
  // fragments are rare on the paths MQTT uses (DF is set); reassembling them is not worth it
  const frag = data.readUInt16BE(at + 6);
  if (frag & 0x3fff) return 'fragment';
  // total == 0 happens with TCP segmentation offload captured before the NIC fills it in
  const declaredEnd = total === 0 ? data.length : at + total;
  return {
    src: ipv4String(data, at + 12),
    dst: ipv4String(data, at + 16),
    offset: at + ihl,
    end: Math.min(declaredEnd, data.length),
    missing: Math.max(0, declaredEnd - data.length),
  };
}

function ipv6(data: Buffer, at: number): IpPart | SkipReason {
  if (data.length < at + 40) return 'malformed';
  const payloadLen = data.readUInt16BE(at + 4);
  let next = data[at + 6]!;
  let offset = at + 40;
  while (next !== PROTO_TCP) {
    if (next === FRAGMENT) return 'fragment';
    if (next !== HOP_BY_HOP && next !== ROUTING && next !== DEST_OPTIONS) return 'not-tcp';
    if (data.length < offset + 2) return 'malformed';
    next = data[offset]!;
    offset += (data[offset + 1]! + 1) * 8;
  }
  // a zero payload length means a jumbogram (or offload): trust the captured length
  const declaredEnd = payloadLen === 0 ? data.length : at + 40 + payloadLen;
  return {
    src: ipv6String(data, at + 8),
    dst: ipv6String(data, at + 24),
    offset,
    end: Math.min(declaredEnd, data.length),
    missing: Math.max(0, declaredEnd - data.length),
  };
}

/** Decodes link, IP and TCP headers of one frame; a reason string when it is not a usable TCP segment. */
export function decodeTcpSegment(linkType: number, data: Buffer): TcpSegment | SkipReason {
  const net = findNetworkPayload(linkType, data);
  if (!net) return 'not-ip';
  if ((data[net.offset]! >> 4) !== net.ipVersion) return 'malformed';
  const ip = net.ipVersion === 4 ? ipv4(data, net.offset) : ipv6(data, net.offset);
  if (typeof ip === 'string') return ip;
  const at = ip.offset;
  if (ip.end < at + 20) return 'malformed';
  const dataOffset = (data[at + 12]! >> 4) * 4;
  if (dataOffset < 20 || at + dataOffset > ip.end) return 'malformed';
  return {
    src: ip.src,
    dst: ip.dst,
    sport: data.readUInt16BE(at),
    dport: data.readUInt16BE(at + 2),
    seq: data.readUInt32BE(at + 4),
    ack: data.readUInt32BE(at + 8),
    flags: data[at + 13]!,
    payload: data.subarray(at + dataOffset, ip.end),
    missing: ip.missing,
  };
}
