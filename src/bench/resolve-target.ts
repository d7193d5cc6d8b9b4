import { lookup } from 'node:dns/promises';
import net from 'node:net';
import type { BenchTarget } from './plan.js';

/**
 * The target with its host name looked up once. Otherwise every connection does its own
 * getaddrinfo on libuv's four-thread pool, which in conn mode costs more than the handshake.
 * Only plain TCP: TLS needs the name for SNI and certificate checks, WebSocket for its Host
 * header. A failed lookup leaves the name, so each connection reports the error itself.
 */
export async function resolveOnce(target: BenchTarget): Promise<BenchTarget> {
  const { endpoint } = target;
  if (endpoint.scheme !== 'mqtt' || net.isIP(endpoint.host) !== 0) return target;
  try {
    const { address } = await lookup(endpoint.host);
    return { ...target, endpoint: { ...endpoint, host: address } };
  } catch {
    return target;
  }
}
