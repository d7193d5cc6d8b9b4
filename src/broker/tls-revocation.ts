/**
 * Just enough DER to tell whether a certificate is on a CRL: the issuer Name (as its exact DER
 * bytes) and serial number of each. OpenSSL checks CRLs at the handshake; this is for clients
 * that connected before a reload brought a new CRL (Node has no X509_CRL API).
 */

interface Tlv {
  tag: number;
  /** whole element, header included */
  start: number;
  /** first content byte */
  content: number;
  end: number;
}

function readTlv(der: Buffer, pos: number, limit: number): Tlv {
  if (pos + 2 > limit) throw new Error('truncated DER');
  const tag = der[pos]!;
  let len = der[pos + 1]!;
  let content = pos + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || content + n > limit) throw new Error('bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[content + i]!;
    content += n;
  }
  const end = content + len;
  if (end > limit) throw new Error('truncated DER');
  return { tag, start: pos, content, end };
}

function children(der: Buffer, parent: Tlv): Tlv[] {
  const out: Tlv[] = [];
  for (let pos = parent.content; pos < parent.end; ) {
    const t = readTlv(der, pos, parent.end);
    out.push(t);
    pos = t.end;
  }
  return out;
}

const SEQUENCE = 0x30;
const INTEGER = 0x02;
const UTC_TIME = 0x17;
const GENERALIZED_TIME = 0x18;

/** A serial number's content bytes as hex, without the sign byte DER may add. */
function serialHex(der: Buffer, t: Tlv): string {
  let start = t.content;
  while (start < t.end - 1 && der[start] === 0) start++;
  return der.subarray(start, t.end).toString('hex');
}

export interface RevocationList {
  /** DER of the issuer Name, hex */
  issuer: string;
  serials: Set<string>;
}

/** The revoked serials of each CRL in a PEM file (several may be concatenated). */
export function parseCrlPem(pem: string): RevocationList[] {
  const lists: RevocationList[] = [];
  for (const m of pem.matchAll(/-----BEGIN X509 CRL-----([\s\S]*?)-----END X509 CRL-----/g)) {
    const der = Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64');
    const top = readTlv(der, 0, der.length);
    const tbs = children(der, top)[0];
    if (top.tag !== SEQUENCE || tbs?.tag !== SEQUENCE) throw new Error('not a CRL');
    const fields = children(der, tbs);
    let i = fields[0]?.tag === INTEGER ? 1 : 0; // version
    i++; // signature algorithm
    const issuer = fields[i++];
    if (!issuer) throw new Error('CRL without an issuer');
    i++; // thisUpdate
    if (fields[i] && (fields[i]!.tag === UTC_TIME || fields[i]!.tag === GENERALIZED_TIME)) i++; // nextUpdate
    const serials = new Set<string>();
    const revoked = fields[i];
    if (revoked?.tag === SEQUENCE) {
      for (const entry of children(der, revoked)) {
        const serial = children(der, entry)[0];
        if (serial?.tag === INTEGER) serials.add(serialHex(der, serial));
      }
    }
    lists.push({ issuer: der.subarray(issuer.start, issuer.end).toString('hex'), serials });
  }
  return lists;
}

/** Whether this DER certificate's issuer lists its serial number as revoked. */
export function isRevoked(certDer: Buffer, lists: readonly RevocationList[]): boolean {
  const top = readTlv(certDer, 0, certDer.length);
  const tbs = children(certDer, top)[0];
  if (!tbs) return false;
  const fields = children(certDer, tbs);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] version
  const serial = fields[i++];
  i++; // signature algorithm
  const issuer = fields[i];
  if (serial?.tag !== INTEGER || !issuer) return false;
  const issuerHex = certDer.subarray(issuer.start, issuer.end).toString('hex');
  const serialText = serialHex(certDer, serial);
  return lists.some((l) => l.issuer === issuerHex && l.serials.has(serialText));
}
