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
  /** mosquitto max_qos (default 2) */
  maxQos?: 0 | 1 | 2;
  /** mosquitto max_topic_alias (default: the broker's limits.topicAliasMaximum) */
  maxTopicAlias?: number;
  /**
   * TCP_NODELAY on every accepted socket, WebSocket and TLS ones included (set_tcp_nodelay);
   * default true: latency first, where Mosquitto's default leaves Nagle on
   */
  noDelay?: boolean;
}

export interface RunningListener {
  spec: ListenerSpec;
  /** the port actually bound (useful with port 0) */
  port: number;
  close(): Promise<void>;
}

/** Opens one listener and hands every accepted stream to the broker. */
export async function startListener(broker: Broker, spec: ListenerSpec): Promise<RunningListener> {
  const info: ListenerInfo = {
    port: spec.port,
    protocol: spec.protocol,
    name: spec.name ?? String(spec.port),
    security: spec.security,
    maxQos: spec.maxQos,
    maxTopicAlias: spec.maxTopicAlias,
  };
  const noDelay = spec.noDelay ?? true;
  const accept = (stream: Duplex, socket: net.Socket, identity?: string) => {
    const connInfo = new PeerInfo(socket, info, identity, spec.socketPath ? spec.socketPath : 'unknown');
    // read now while the socket is open, if a line written after its close may name it
    if (broker.log.peersNamed) void connInfo.remoteAddress;
    broker.handle(stream, connInfo);
  };

  const limit = spec.maxConnections !== undefined && spec.maxConnections >= 0 ? connectionLimit(spec.maxConnections, broker) : undefined;
  let server: net.Server;
  let closeWs: (() => void) | undefined;
  if (spec.protocol === 'websockets') {
    // WebSocket needs an HTTP(S) server for the upgrade
    const http = spec.tls ? await import('node:https') : await import('node:http');
    // (http's noDelay defaults to true; https passes it on to its TLS server's sockets)
    server = spec.tls ? (http as typeof import('node:https')).createServer({ ...spec.tls, noDelay }) : (http as typeof import('node:http')).createServer({ noDelay });
    if (spec.tls) {
      const watch = watchTlsFailures(server as import('node:tls').Server, broker.log, () => info.port, !!spec.tls.requireCertificate);
      // HTTPS hands the socket to its HTTP parser itself: check first, so it gets a destroyed socket
      server.prependListener('secureConnection', (socket: import('node:tls').TLSSocket) => {
        if (watch.admit(socket)) spec.tlsState?.admitted(socket);
      });
      spec.tlsState?.attach(server as import('node:tls').Server);
    }
    const { attachWebSocket } = await import('./websocket-listener.js');
    closeWs = attachWebSocket(server, (stream, socket) => accept(stream, socket), noDelay);
  } else if (spec.tls) {
    const tls = await import('node:tls');
    const tlsServer = tls.createServer({ ...spec.tls, noDelay }, (socket) => {
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
    server = net.createServer({ noDelay }, (socket) => (limit ? limit(socket, () => accept(socket, socket)) : accept(socket, socket)));
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
 * A connection's facts, the peer's address read from the socket on first use: asking for it
 * (getpeername, and Node's object for the answer) was 4 % of a connect's CPU in a profile of
 * 5,000, for nothing when no line names the client (issue 16). Once the socket is closed it can
 * no longer be asked: `fallback` then.
 */
class PeerInfo implements ConnectionInfo {
  private address: string | undefined;
  private port = 0;

  constructor(
    private readonly socket: net.Socket,
    readonly listener: ListenerInfo,
    readonly certificateIdentity: string | undefined,
    private readonly fallback: string,
  ) {}

  get remoteAddress(): string {
    if (this.address === undefined) this.read();
    return this.address!;
  }

  get remotePort(): number {
    if (this.address === undefined) this.read();
    return this.port;
  }

  private read(): void {
    this.address = this.socket.remoteAddress ?? this.fallback;
    this.port = this.socket.remotePort ?? 0;
  }
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
