import { LINKTYPE } from './link-types.js';

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const ETHERTYPE_QINQ = 0x88a8;
const ETHERTYPE_QINQ_OLD = 0x9100;

// BSD address family values for IPv6 differ between systems; all of them mean IPv6 in a NULL header
const AF_INET = 2;
const AF_INET6 = new Set([10, 24, 28, 30]);

export interface NetworkPayload {
  /** 4 or 6 */
  readonly ipVersion: number;
  /** offset of the IP header inside the frame */
  readonly offset: number;
}

function byEtherType(type: number, offset: number): NetworkPayload | null {
  if (type === ETHERTYPE_IPV4) return { ipVersion: 4, offset };
  if (type === ETHERTYPE_IPV6) return { ipVersion: 6, offset };
  return null;
}

function byFirstNibble(data: Buffer, offset: number): NetworkPayload | null {
  if (offset >= data.length) return null;
  const v = data[offset]! >> 4;
  return v === 4 || v === 6 ? { ipVersion: v, offset } : null;
}

function byFamily(family: number, offset: number): NetworkPayload | null {
  if (family === AF_INET) return { ipVersion: 4, offset };
  if (AF_INET6.has(family)) return { ipVersion: 6, offset };
  return null;
}

/**
 * Finds the IP packet inside a link-layer frame, or null for anything else (ARP, other protocols,
 * truncated headers, link types we do not know).
 */
export function findNetworkPayload(linkType: number, data: Buffer): NetworkPayload | null {
  switch (linkType) {
    case LINKTYPE.ETHERNET: {
      let offset = 12;
      if (data.length < offset + 2) return null;
      let type = data.readUInt16BE(offset);
      // 802.1Q and 802.1ad tags, possibly stacked
      while (type === ETHERTYPE_VLAN || type === ETHERTYPE_QINQ || type === ETHERTYPE_QINQ_OLD) {
        offset += 4;
        if (data.length < offset + 2) return null;
        type = data.readUInt16BE(offset);
      }
      return byEtherType(type, offset + 2);
    }
    case LINKTYPE.LINUX_SLL:
      return data.length < 16 ? null : byEtherType(data.readUInt16BE(14), 16);
    case LINKTYPE.LINUX_SLL2:
      return data.length < 20 ? null : byEtherType(data.readUInt16BE(0), 20);
    case LINKTYPE.NULL: {
      if (data.length < 4) return null;
      // written in the capturing host's byte order, which the file does not record
      const le = data.readUInt32LE(0);
      return byFamily(le < 0x10000 ? le : data.readUInt32BE(0), 4);
    }
    case LINKTYPE.LOOP:
      return data.length < 4 ? null : byFamily(data.readUInt32BE(0), 4);
    case LINKTYPE.RAW:
    case LINKTYPE.RAW_ALT_12:
    case LINKTYPE.RAW_ALT_14:
      return byFirstNibble(data, 0);
    case LINKTYPE.IPV4:
      return { ipVersion: 4, offset: 0 };
    case LINKTYPE.IPV6:
      return { ipVersion: 6, offset: 0 };
    default:
      return null;
  }
}
