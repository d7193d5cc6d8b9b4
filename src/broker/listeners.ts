import { existsSync, unlinkSync } from 'node:fs';
import net from 'node:net';
import type { Duplex } from 'node:stream';
import type { Broker } from './broker.js';
import type { ConnectionInfo, ListenerInfo } from './client-state.js';
import type { SecurityOptions } from './config/broker-config.js';
import { watchTlsFailures } from './tls-failures.js';
import type { TlsListenerState } from './tls-context.js';

export interface ListenerSpec {
  port: number;
  host?: string;
  /** unix socket path (mosquitto: `listener 0 /path.sock`) */
  socketPath?: string;
  protocol: 'mqtt' | 'websockets';
  /**
   * with requireCertificate the client certificate must verify; the server itself runs with
   * rejectUnauthorized false so that a failure can be logged with its reason (tls-failures.ts)
   */
  tls?: import('node:tls').TlsOptions & { useIdentityAsUsername?: boolean; requireCertificate?: boolean };
  /** reloads the TLS files on SIGHUP, tracks admitted clients, knows their identity (tls-context.ts) */
  tlsState?: TlsListenerState;
  name?: string;
  security?: SecurityOptions;
  /** mosquitto max_connections for this listener; -1 = unlimited */
  maxConnections?: number;
}

export interface RunningListener {
  spec: ListenerSpec;
  /** the port actually bound (useful with port 0) */
  port: number;
  close(): Promise<void>;
}

/** Opens one listener and hands every accepted stream to the broker. */
export async function startListener(broker: Broker, spec: ListenerSpec): Promise<RunningListener> {
  const info: ListenerInfo = { port: spec.port, protocol: spec.protocol, name: spec.name ?? String(spec.port), security: spec.security };
  const accept = (stream: Duplex, socket: net.Socket, identity?: string) => {
    const connInfo: ConnectionInfo = {
      remoteAddress: socket.remoteAddress ?? (spec.socketPath ? spec.socketPath : 'unknown'),
      remotePort: socket.remotePort ?? 0,
      listener: info,
      certificateIdentity: identity,
    };
    broker.handle(stream, connInfo);
  };

  const limit = spec.maxConnections !== undefined && spec.maxConnections >= 0 ? connectionLimit(spec.maxConnections, broker) : undefined;
  let server: net.Server;
  let closeWs: (() => void) | undefined;
  if (spec.protocol === 'websockets') {
    // WebSocket needs an HTTP(S) server for the upgrade
    const http = spec.tls ? await import('node:https') : await import('node:http');
    server = spec.tls ? (http as typeof import('node:https')).createServer(spec.tls) : (http as typeof import('node:http')).createServer();
    if (spec.tls) {
      const watch = watchTlsFailures(server as import('node:tls').Server, broker.log, () => info.port, !!spec.tls.requireCertificate);
      // HTTPS hands the socket to its HTTP parser itself: check first, so it gets a destroyed socket
      server.prependListener('secureConnection', (socket: import('node:tls').TLSSocket) => {
        if (watch.admit(socket)) spec.tlsState?.admitted(socket);
      });
      spec.tlsState?.attach(server as import('node:tls').Server);
    }
    const { attachWebSocket } = await import('./websocket-listener.js');
    closeWs = attachWebSocket(server, (stream, socket) => accept(stream, socket));
  } else if (spec.tls) {
    const tls = await import('node:tls');
    const tlsServer = tls.createServer(spec.tls, (socket) => {
      if (!watch.admit(socket)) return;
      spec.tlsState?.admitted(socket);
      // the certificate's CN, or the PSK identity (for use_identity_as_username)
      const cert = socket.getPeerCertificate();
      const cn = cert && typeof cert.subject?.CN === 'string' ? cert.subject.CN : undefined;
      accept(socket, socket, spec.tlsState ? spec.tlsState.identity(socket) : cn);
    });
    spec.tlsState?.attach(tlsServer);
    const watch = watchTlsFailures(tlsServer, broker.log, () => info.port, !!spec.tls.requireCertificate);
    server = tlsServer;
  } else {
    server = net.createServer({ noDelay: true }, (socket) => (limit ? limit(socket, () => accept(socket, socket)) : accept(socket, socket)));
  }
  // TLS and WebSocket listeners are limited on the raw socket, long before their handshake ends
  if (limit && server instanceof net.Server && (spec.tls || spec.protocol === 'websockets')) server.prependListener('connection', (socket: net.Socket) => limit(socket, () => {}));
  server.on('error', (err) => broker.log.error(`Listener on ${spec.socketPath ?? spec.port}: ${err.message}`));

  if (spec.socketPath && existsSync(spec.socketPath)) unlinkSync(spec.socketPath);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    if (spec.socketPath) server.listen(spec.socketPath, () => resolve());
    else server.listen(spec.port, spec.host, () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  info.port = port;
  broker.log.info(`Opening ${spec.protocol === 'websockets' ? 'websockets ' : ''}listen socket on ${spec.socketPath ?? `${spec.host ?? '*'}:${port}`}.`);
  return {
    spec,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        closeWs?.();
        server.close(() => resolve());
      }),
  };
}

/**
 * A listener's max_connections. Sockets count until their close has been processed, so a client
 * that closes ten connections and opens ten more at once (Mosquitto's 01-connect-max-connections)
 * would find the old ones still counted (as with Node's server.maxConnections): beyond the limit,
 * the decision waits until the events already read have run, and counts only sockets whose peer
 * has not closed them. `then` runs for an admitted socket.
 */
function connectionLimit(max: number, broker: Broker): (socket: net.Socket, then: () => void) => void {
  const open = new Set<net.Socket>();
  return (socket, then) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
    if (open.size <= max) return then();
    setImmediate(() => {
      if (socket.destroyed) return;
      let live = 0;
      for (const s of open) if (s !== socket && !s.destroyed && !s.readableEnded) live++;
      if (live < max) return then();
      broker.log.notice(`Client connection from ${socket.remoteAddress ?? 'unknown'} denied: max_connections exceeded.`);
      socket.destroy();
    });
  };
}
