import type { Packet } from 'mqtt-packet';
import type { ProtocolVersion } from '../core/protocol/types.js';
import { Connection, ConnectionState, type ConnectionOwner } from '../core/connection/connection.js';
import { ProtocolError, ProtocolErrorKind } from '../core/protocol/errors.js';
import type { BrokerApi, HandlerClient } from './broker-api.js';
import { ClientState, type ConnectionInfo, type PendingWill } from './client-state.js';
import { handlePacket } from './handlers/dispatch.js';
import { receivedLines, sentLine } from './packet-log.js';
import type { Session } from './session.js';
import type { InboundTopicAliases } from '../core/session/topic-aliases.js';
import { CONNACK_RC, RC } from '../core/protocol/reason-codes.js';

/**
 * One client connection on the broker side: its state, what it negotiated in CONNECT, and the
 * handlers for the packets it sends. Errors from the handlers become exactly one reaction here.
 */
export class BrokerClient implements ConnectionOwner, HandlerClient {
  private currentState = ClientState.AwaitingConnect;

  get state(): ClientState {
    return this.currentState;
  }

  /** Keeps the broker's count of connected clients, which every CONNECT reads for $SYS. */
  set state(next: ClientState) {
    const previous = this.currentState;
    if (previous === next) return;
    this.currentState = next;
    if (previous === ClientState.Connected) this.broker.connectedClients--;
    if (next === ClientState.Connected) this.broker.connectedClients++;
  }
  readonly conn: Connection;
  clientId = '';
  username?: string;
  protocolVersion: ProtocolVersion = 4;
  keepalive = 0;
  session?: Session;
  will?: PendingWill;
  /** the client's receive maximum: how many QoS 1/2 we may have in flight to it */
  receiveMaximum = 65535;
  /** the client's maximum packet size: larger PUBLISHes are not sent to it [MQTT-3.1.2-25] */
  maximumPacketSize = Infinity;
  /** inbound topic aliases; made on the first one, since most clients never use them */
  aliasesIn: InboundTopicAliases | undefined;
  readonly connectedAt = Date.now();
  lastActivity = this.connectedAt;
  /** set when the close is a normal DISCONNECT (no will) */
  normalDisconnect = false;

  constructor(
    readonly broker: BrokerApi,
    stream: import('node:stream').Duplex,
    readonly info: ConnectionInfo,
  ) {
    this.conn = new Connection(stream, { maxIncomingPacketSize: broker.limits.maxPacketSize, fromClients: true, owner: this });
  }

  get address(): string {
    return `${this.info.remoteAddress}:${this.info.remotePort}`;
  }

  send(packet: Packet): boolean {
    if (this.conn.state !== ConnectionState.Open) return false;
    try {
      const ok = this.conn.send(packet);
      this.broker.stats.messagesSent++;
      if (this.broker.log.debugOn) {
        const line = sentLine(this, packet);
        if (line) this.broker.log.debug(line);
      }
      return ok;
    } catch (err) {
      // an unencodable packet is our bug, not the client's: close this connection only
      this.broker.log.error(`Unable to encode ${packet.cmd} for ${this.clientId}: ${(err as Error).message}`);
      this.close();
      return false;
    }
  }

  sendRaw(bytes: Buffer): boolean {
    if (this.conn.state !== ConnectionState.Open) return false;
    this.broker.stats.messagesSent++;
    return this.conn.sendRaw(bytes);
  }

  /**
   * Ends the connection because of something the client did. v5 clients are told why with a
   * DISCONNECT first; 3.1.1 has no server DISCONNECT, the socket is just closed [MQTT-4.8.0-1].
   */
  disconnect(reasonCode: number, reasonString?: string): void {
    if (this.state === ClientState.Closed) return;
    if (this.protocolVersion === 5 && this.state === ClientState.Connected) {
      // the reason code only: our internal wording is for the log, not the wire (as Mosquitto)
      this.send({ cmd: 'disconnect', reasonCode });
    }
    this.broker.log.connection(`Client ${this.clientId || '<unknown>'} disconnected: ${reasonString ?? `reason 0x${reasonCode.toString(16)}`}.`);
    void this.conn.end();
  }

  close(): void {
    this.conn.destroy();
  }

  /** Holds incoming packets back (in order) while an asynchronous step such as auth runs. */
  hold(): void {
    this.held ??= [];
  }

  release(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (let i = 0; i < held.length; i++) {
      const again = this.held as Packet[] | undefined;
      if (again) {
        // held again by one of them: keep the rest waiting, in order
        again.push(...held.slice(i));
        return;
      }
      this.onPacket(held[i]!);
    }
  }

  private held?: Packet[];

  /**
   * @internal ConnectionOwner. The one place where what a packet's handling throws becomes the end
   * of this connection, never of the broker: a ProtocolError with its reason code, anything else
   * (our bug, logged as such) with 0x80 Unspecified error. Once the connection is closing nothing
   * more is handled, not even packets that arrived in the same read.
   */
  onPacket(packet: Packet): void {
    if (this.conn.state !== ConnectionState.Open) return;
    if (this.held) {
      this.held.push(packet);
      return;
    }
    this.lastActivity = Date.now();
    this.broker.stats.messagesReceived++;
    if (this.broker.log.debugOn) for (const line of receivedLines(this, packet)) this.broker.log.debug(line);
    try {
      handlePacket(this, packet);
    } catch (err) {
      this.failed(err, `handling ${packet.cmd.toUpperCase()}`);
    }
  }

  /** Ends this connection for an exception thrown on its behalf (see onPacket). */
  failed(err: unknown, doing: string): void {
    try {
      if (err instanceof ProtocolError) {
        this.disconnect(err.reasonCode, err.message);
      } else {
        this.broker.log.error(`Internal error ${doing} for client ${this.clientId || this.address}: ${(err as Error)?.stack ?? String(err)}`);
        this.disconnect(RC.UnspecifiedError, 'internal error');
      }
    } catch {
      // even the DISCONNECT could not be sent: just close
      this.close();
    }
  }

  /** @internal ConnectionOwner */
  onProtocolError(err: ProtocolError): void {
    this.broker.log.notice(`Client ${this.clientId || this.address} sent a malformed packet: ${err.message}.`);
    if (this.state === ClientState.AwaitingConnect && err.kind === ProtocolErrorKind.UnsupportedProtocolVersion) {
      // [MQTT-3.1.2-2] unsupported protocol level: CONNACK 0x01 (3.1.1 form), then close
      this.conn.sendRaw(Buffer.from([0x20, 0x02, 0x00, CONNACK_RC.UnacceptableProtocolVersion]));
    } else if (this.protocolVersion === 5 && this.state === ClientState.Connected) {
      this.conn.sendRaw(Buffer.from([0xe0, 0x01, err.reasonCode]));
    }
  }

  /**
   * @internal ConnectionOwner. Runs inside the socket's close event: an exception here (publishing
   * the will, ending the session) would reach the process, so it is logged and contained.
   */
  onClose(): void {
    const wasConnected = this.state === ClientState.Connected;
    this.state = ClientState.Closed;
    try {
      this.broker.clientClosed(this, wasConnected);
    } catch (err) {
      this.broker.log.error(`Internal error closing client ${this.clientId || this.address}: ${(err as Error)?.stack ?? String(err)}`);
    }
  }
}
