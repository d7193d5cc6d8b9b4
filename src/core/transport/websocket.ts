import type { Duplex } from 'node:stream';
import tls from 'node:tls';
import WebSocket, { createWebSocketStream } from 'ws';
import { attachKeylog } from './tls-keylog.js';
import type { OpenOptions } from './endpoint.js';
import { buildTlsOptions } from './tls-options.js';
import { describeSocketError, TransportError } from './transport-error.js';

/** MQTT over WebSocket (subprotocol "mqtt", binary frames) as a plain Duplex. */
export function openWebSocket(opts: OpenOptions): Promise<Duplex> {
  const { endpoint } = opts;
  const secure = endpoint.scheme === 'wss';
  const wsPath = endpoint.path ?? opts.wsPath ?? '/mqtt';
  const host = endpoint.host.includes(':') ? `[${endpoint.host}]` : endpoint.host;
  const url = `${secure ? 'wss' : 'ws'}://${host}:${endpoint.port}${wsPath.startsWith('/') ? '' : '/'}${wsPath}`;
  const ws = new WebSocket(url, 'mqtt', {
    ...(secure ? (buildTlsOptions(opts.tls ?? {}, endpoint.host) as WebSocket.ClientOptions) : {}),
    localAddress: opts.bindAddress,
    perMessageDeflate: false,
    // wss with --tls-keylog: the TLS socket is ours to watch from its first byte
    ...(secure && opts.tls?.keylogFile && {
      createConnection: ((options: tls.ConnectionOptions) => {
        const socket = tls.connect(options);
        attachKeylog(socket, opts.tls!.keylogFile!);
        return socket;
      }) as unknown as WebSocket.ClientOptions['createConnection'],
    }),
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
