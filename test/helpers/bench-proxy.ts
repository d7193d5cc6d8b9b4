import net from 'node:net';
import { frameLength } from '../../src/core/protocol/codec.js';

/** What to do with the k-th PUBLISH (1-based) the broker sends to clients. */
export type Fault = 'pass' | 'drop' | 'duplicate' | 'hold';

export interface FaultyProxy {
  port: number;
  /** PUBLISH packets seen from the broker so far */
  publishes(): number;
  close(): Promise<void>;
}

/**
 * A TCP proxy in front of a broker that misbehaves on purpose, on PUBLISH packets going to the
 * clients only: drop one, send one twice, or hold one back until the next has gone (reordering).
 * Everything else, and everything from the clients, passes untouched.
 */
export function startFaultyProxy(upstreamPort: number, fault: (k: number) => Fault): Promise<FaultyProxy> {
  let k = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: upstreamPort });
    sockets.add(client).add(upstream);
    client.pipe(upstream);
    let pending = Buffer.alloc(0);
    let held: Buffer | undefined;
    upstream.on('data', (chunk: Buffer) => {
      let buf = Buffer.concat([pending, chunk]);
      const out: Buffer[] = [];
      let offset = 0;
      for (;;) {
        const size = frameLength(buf, offset);
        if (size < 0 || offset + size > buf.length) break;
        const frame = buf.subarray(offset, offset + size);
        offset += size;
        if (frame[0]! >> 4 !== 3) {
          out.push(frame);
          continue;
        }
        const action = fault(++k);
        if (action === 'drop') continue;
        if (action === 'hold') {
          held = frame;
          continue;
        }
        out.push(frame);
        if (action === 'duplicate') out.push(frame);
        if (held) {
          out.push(held);
          held = undefined;
        }
      }
      pending = Buffer.from(buf.subarray(offset));
      buf = Buffer.alloc(0);
      if (out.length > 0) client.write(Buffer.concat(out));
    });
    const closeBoth = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', closeBoth).on('error', closeBoth);
    upstream.on('close', closeBoth).on('error', closeBoth);
  });
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      resolve({
        port: (server.address() as net.AddressInfo).port,
        publishes: () => k,
        close: () =>
          new Promise((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      });
    });
  });
}
