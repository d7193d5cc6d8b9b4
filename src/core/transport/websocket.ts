import type { Duplex } from 'node:stream';
import WebSocket, { createWebSocketStream } from 'ws';
import type { OpenOptions } from './open.js';
import { buildTlsOptions } from './tls-options.js';
import { describeSocketError, TransportError } from './open.js';

/** MQTT over WebSocket (subprotocol "mqtt", binary frames) as a plain Duplex. */
export function openWebSocket(opts: OpenOptions): Promise<Duplex> {
  const { endpoint } = opts;
  const secure = endpoint.scheme === 'wss';
  const wsPath = endpoint.path ?? opts.wsPath ?? '/mqtt';
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const url = `${secure ? 'wss' : 'ws'}://${host}:${endpoint.port}${wsPath.startsWith('/') ? '' : '/'}${wsPath}`;
  const ws = new WebSocket(url, 'mqtt', {
    ...(secure ? buildTlsOptions(opts.tls ?? {}, endpoint.host) : {}),
    localAddress: opts.bindAddress,
    perMessageDeflate: false,
  });
  return new Promise((resolve, reject) => {
    ws.once('error', (err: NodeJS.ErrnoException) => reject(describeSocketError(err)));
    ws.once('unexpected-response', (_req, res) => {
      ws.terminate();
      reject(new TransportError(`WebSocket upgrade refused: HTTP ${res.statusCode}`, 'other'));
    });
    ws.once('open', () => {
      const stream = createWebSocketStream(ws);
      resolve(stream);
    });
  });
}
