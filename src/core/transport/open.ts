import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { OpenOptions } from './endpoint.js';
import { describeSocketError, tlsFailure } from './transport-error.js';
import { withNativeRegExps } from './native-regexps.js';

/**
 * Opens a byte stream to the broker, chosen by URL scheme, and resolves once it is connected
 * (for TLS: once the handshake and verification are done), so errors are reported before MQTT.
 */
export async function openTransport(opts: OpenOptions): Promise<Duplex> {
  const { endpoint } = opts;
  switch (endpoint.scheme) {
    case 'mqtt':
      return connectSocket(
        withNativeRegExps(() => net.connect({ host: endpoint.host, port: endpoint.port, localAddress: opts.bindAddress, noDelay: opts.nodelay ?? false })),
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
      const socket = withNativeRegExps(() => tls.connect(connectOptions));
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
