/** What the first bytes a client sends say about the protocol spoken on a connection. */
export type ClientProtocol = 'mqtt' | 'websocket' | 'tls' | 'other' | 'need-more';

const HTTP_HEADER_LIMIT = 16 * 1024;

/**
 * Recognises an MQTT CONNECT ("MQTT" for 3.1.1/5, "MQIsdp" for 3.1), a WebSocket upgrade request
 * and a TLS ClientHello. Lets the sniffer follow MQTT on any port, where tshark needs `-d`.
 */
export function classifyClientBytes(buf: Buffer): ClientProtocol {
  if (buf.length === 0) return 'need-more';
  const first = buf[0]!;
  if (first === 0x10) return classifyConnect(buf);
  if (first === 0x16) return buf.length < 2 ? 'need-more' : buf[1] === 0x03 ? 'tls' : 'other';
  if (first === 0x47 /* G */) return classifyHttp(buf);
  return 'other';
}

function classifyConnect(buf: Buffer): ClientProtocol {
  // skip the Remaining Length varint (1..4 bytes)
  let at = 1;
  while (at < buf.length && at <= 4 && buf[at]! & 0x80) at++;
  if (at >= buf.length) return 'need-more';
  if (at > 4) return 'other';
  at++;
  for (const name of ['MQTT', 'MQIsdp']) {
    const expected = Buffer.concat([Buffer.from([0, name.length]), Buffer.from(name, 'latin1')]);
    const have = buf.subarray(at, at + expected.length);
    if (expected.subarray(0, have.length).equals(have)) {
      if (have.length < expected.length) return 'need-more';
      return 'mqtt';
    }
  }
  return 'other';
}

function classifyHttp(buf: Buffer): ClientProtocol {
  const prefix = 'GET ';
  const have = buf.subarray(0, prefix.length).toString('latin1');
  if (!prefix.startsWith(have)) return 'other';
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return buf.length > HTTP_HEADER_LIMIT ? 'other' : 'need-more';
  const header = buf.subarray(0, end).toString('latin1');
  return /^upgrade:\s*websocket\s*$/im.test(header) ? 'websocket' : 'other';
}

/** The `Sec-WebSocket-Protocol` a request or response names, lower-cased. */
export function webSocketProtocols(header: string): string[] {
  const m = /^sec-websocket-protocol:\s*(.*)$/im.exec(header);
  return m ? m[1]!.split(',').map((s) => s.trim().toLowerCase()).filter(Boolean) : [];
}
