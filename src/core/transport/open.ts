import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Endpoint, TlsConfig } from './endpoint.js';
import { errnoText } from '../protocol/reason-codes.js';

export interface OpenOptions {
  endpoint: Endpoint;
  tls?: TlsConfig;
  bindAddress?: string;
  nodelay?: boolean;
  /** WebSocket path when the endpoint has none */
  wsPath?: string;
}

/** Why a transport could not be opened, in words a user can act on. */
export class TransportError extends Error {
  constructor(
    message: string,
    readonly kind: 'refused' | 'lookup' | 'tls' | 'other',
  ) {
    super(message);
    this.name = 'TransportError';
  }
}

/**
 * Opens a byte stream to the broker, chosen by URL scheme, and resolves once it is connected
 * (for TLS: once the handshake and verification are done), so errors are reported before MQTT.
 */
export async function openTransport(opts: OpenOptions): Promise<Duplex> {
  const { endpoint } = opts;
  switch (endpoint.scheme) {
    case 'mqtt':
      return connectSocket(
        net.connect({ host: endpoint.host, port: endpoint.port, localAddress: opts.bindAddress, noDelay: opts.nodelay ?? false }),
        'connect',
      );
    case 'unix':
      return connectSocket(net.connect({ path: endpoint.path ?? endpoint.host }), 'connect');
    case 'mqtts': {
      // loaded on use: TLS is most of what a plain `mqtt pub` would otherwise load at start-up
      const tls = await import('node:tls');
      const { buildTlsOptions } = await import('./tls-options.js');
      const tlsOptions = buildTlsOptions(opts.tls ?? {}, endpoint.host);
      // tls.connect passes net options such as localAddress through to the socket it opens
      const connectOptions = { ...tlsOptions, host: endpoint.host, port: endpoint.port, localAddress: opts.bindAddress };
      const socket = tls.connect(connectOptions);
      if (opts.tls?.keylogFile) (await import('./tls-keylog.js')).attachKeylog(socket, opts.tls.keylogFile);
      return connectSocket(socket, 'secureConnect');
    }
    case 'ws':
    case 'wss': {
      const { openWebSocket } = await import('./websocket.js');
      return openWebSocket(opts);
    }
  }
}

function connectSocket<T extends net.Socket>(socket: T, readyEvent: 'connect' | 'secureConnect'): Promise<T> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      // once TCP is up, whatever breaks a TLS handshake is a TLS error (a reset included: a
      // plain MQTT listener drops the ClientHello), as libmosquitto reports it
      const inTlsHandshake = readyEvent === 'secureConnect' && !socket.connecting;
      socket.destroy();
      reject(inTlsHandshake ? tlsFailure(err) : describeSocketError(err));
    };
    socket.once('error', onError);
    socket.once(readyEvent, () => {
      socket.off('error', onError);
      resolve(socket);
    });
  });
}

/** mosquitto_pub's words for the usual failures: C's strerror text, or "Lookup error.". */
export function describeSocketError(err: NodeJS.ErrnoException): TransportError {
  if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN' || err.code === 'EAI_FAIL') return new TransportError('Lookup error.', 'lookup');
  const text = err.code ? errnoText(err.code) : undefined;
  if (text) return new TransportError(text, err.code === 'ECONNREFUSED' ? 'refused' : 'other');
  if (err.code?.startsWith('ERR_TLS') || err.code?.startsWith('ERR_SSL') || /certificate|SSL|TLS|self.signed|unable to verify|altnames/i.test(err.message)) {
    return new TransportError(`TLS error: ${tlsErrorDetail(err)}`, 'tls');
  }
  return new TransportError(err.message, 'other');
}

function tlsFailure(err: NodeJS.ErrnoException): TransportError {
  const described = describeSocketError(err);
  return described.kind === 'tls' ? described : new TransportError(`TLS error: ${described.message}`, 'tls');
}

/**
 * One readable line for a TLS failure: OpenSSL's reason ("tlsv13 alert certificate required")
 * rather than its multi-line error-stack dump, and no dangling ": " (Node's host name message
 * ends in an empty list).
 */
function tlsErrorDetail(err: NodeJS.ErrnoException & { reason?: unknown; library?: unknown }): string {
  const fromOpenSsl = typeof err.library === 'string' && typeof err.reason === 'string' && err.reason !== '';
  const text = fromOpenSsl ? (err.reason as string) : err.message;
  return text.split('\n')[0]!.replace(/[\s:]+$/, '');
}
