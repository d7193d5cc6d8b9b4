import type { ProtocolVersion } from '../core/protocol/types.js';
import type { Packet } from '../core/protocol/codec.js';
import { AckLatency } from './ack-latency.js';
import type { Timestamp } from './frame.js';
import { endpointString } from './ip-address.js';
import { isPlausibleFirstByte } from './mqtt-header.js';
import { MqttStreamDecoder } from './mqtt-stream.js';
import { classifyClientBytes } from './protocol-detect.js';
import type { ConnectionInfo, NoteEvent, SniffEvent } from './sniff-events.js';
import { DirectionReassembler, type StreamSink } from './tcp-reassembly.js';
import { TCP_ACK, TCP_FIN, TCP_RST, TCP_SYN, type TcpSegment } from './tcp-segment.js';
import { WebSocketStreamDecoder } from './websocket-stream.js';
import type { KeyLog } from './tls-keylog.js';
import { TlsSessionDecoder } from './tls-decrypt.js';
import { InboundTopicAliases } from '../core/session/topic-aliases.js';

export interface ConnectionConfig {
  /** ports where MQTT is assumed even when the CONNECT was not captured */
  readonly mqttPorts: ReadonlySet<number>;
  /** version assumed until a CONNECT says otherwise */
  readonly defaultVersion: ProtocolVersion;
  /** the NSS key log to decrypt TLS with (--tls-keylog), read when a session needs it */
  readonly tlsKeyLog?: () => KeyLog;
  emit(event: SniffEvent): void;
}

type State = 'detecting' | 'mqtt' | 'websocket' | 'ignored';

/** Bytes held per direction while deciding what a connection speaks. */
const DETECT_LIMIT = 16 * 1024;

interface Held {
  bytes: Buffer;
  at: Timestamp;
}

/**
 * One TCP connection: reassembles both directions, decides which side is the client (SYN, a known
 * MQTT port, or who sends a CONNECT) and whether it speaks MQTT, MQTT over WebSocket or something we
 * ignore, then feeds each direction's bytes to its decoder. Index 0 is endpoint A (the sender of
 * the first frame seen), 1 is B.
 */
export class TcpConnection {
  private readonly reasm: [DirectionReassembler, DirectionReassembler];
  private state: State = 'detecting';
  private clientSide: 0 | 1 | undefined;
  private synSeen = false;
  private held: [Held[], Held[]] = [[], []];
  private gapWhileDetecting: [boolean, boolean] = [false, false];
  private decoders: [StreamSink | null, StreamSink | null] = [null, null];
  private mqtt: [MqttStreamDecoder | null, MqttStreamDecoder | null] = [null, null];
  /**
   * v5 Topic Aliases per direction (each side assigns its own), the session engine's map used
   * without its checks: a sniffer reports what it sees (protocol-checker judges the values)
   */
  private readonly aliases: [InboundTopicAliases, InboundTopicAliases] = [new InboundTopicAliases(0), new InboundTopicAliases(0)];
  private readonly latency = new AckLatency();
  info: ConnectionInfo | null = null;
  closed = false;

  constructor(
    readonly id: number,
    readonly hosts: readonly [string, string],
    readonly ports: readonly [number, number],
    private readonly config: ConnectionConfig,
  ) {
    this.reasm = [new DirectionReassembler(this.sinkFor(0)), new DirectionReassembler(this.sinkFor(1))];
  }

  get isMqtt(): boolean {
    return this.state === 'mqtt' || this.state === 'websocket';
  }

  get retransmittedSegments(): number {
    return this.reasm[0].retransmittedSegments + this.reasm[1].retransmittedSegments;
  }

  get gapBytes(): number {
    return this.reasm[0].gapBytes + this.reasm[1].gapBytes;
  }

  get gaps(): number {
    return this.reasm[0].gaps + this.reasm[1].gaps;
  }

  /** Whether a SYN for this 4-tuple starts a new connection rather than repeating this one's. */
  isNewSyn(seg: TcpSegment, side: 0 | 1): boolean {
    if (this.closed) return true;
    const next = this.reasm[side].nextSeq;
    return next !== undefined && ((seg.seq + 1) >>> 0) !== next && (seg.flags & TCP_ACK) === 0;
  }

  segment(seg: TcpSegment, side: 0 | 1, at: Timestamp): void {
    const flags = seg.flags;
    if (flags & TCP_SYN) {
      // SYN alone comes from the client, SYN+ACK from the server
      this.clientSide ??= flags & TCP_ACK ? ((1 - side) as 0 | 1) : side;
      this.synSeen = true;
      if (!this.reasm[side].started) this.reasm[side].syn(seg.seq);
      return;
    }
    if (flags & TCP_RST) {
      this.close(at, 'reset (RST)');
      return;
    }
    this.reasm[side].segment(seg.seq, seg.payload, seg.missing, (flags & TCP_FIN) !== 0, at);
    // the peer acknowledging bytes we never saw means the capture missed them: no waiting for them
    if (flags & TCP_ACK) this.reasm[1 - side]!.acknowledged(seg.ack, at);
    if (this.reasm[0].finished && this.reasm[1].finished) this.close(at, 'closed (FIN both ways)');
  }

  /** End of capture (or connection): what is held is delivered after gaps, unfinished packets reported. */
  close(at: Timestamp, why: string): void {
    if (this.closed) return;
    this.reasm[0].flush(at);
    this.reasm[1].flush(at);
    if (this.state === 'detecting') this.decide(at, true);
    for (const m of this.mqtt) m?.end(at);
    this.closed = true;
    if (this.isMqtt) this.config.emit({ kind: 'note', at, note: 'connection', conn: this.info!, message: `connection ${why}`, closed: true });
  }

  private sinkFor(side: 0 | 1): StreamSink {
    return {
      data: (bytes, at) => {
        const decoder = this.decoders[side];
        if (decoder) decoder.data(bytes, at);
        else if (this.state === 'detecting') {
          this.held[side].push({ bytes: Buffer.from(bytes), at });
          this.decide(at, false);
        }
      },
      gap: (bytes, at) => {
        const decoder = this.decoders[side];
        if (decoder) {
          // the decoder first reports what the gap cut off, then the gap is said where it happens
          decoder.gap(bytes, at);
          this.note('gap', `${bytes} bytes not captured (a gap in the TCP stream)`, at, side, bytes);
        }
        else if (this.state === 'detecting') {
          this.held[side] = [];
          this.gapWhileDetecting[side] = true;
          this.decide(at, false);
        }
      },
    };
  }

  private heldBytes(side: 0 | 1): Buffer {
    return Buffer.concat(this.held[side].map((h) => h.bytes));
  }

  private knownServerSide(): 0 | 1 | undefined {
    const [a, b] = [this.config.mqttPorts.has(this.ports[0]), this.config.mqttPorts.has(this.ports[1])];
    if (a !== b) return a ? 0 : 1;
    return undefined;
  }

  /** Decides the protocol as soon as the held bytes allow; `final` forces a decision. */
  private decide(at: Timestamp, final: boolean): void {
    const portServer = this.knownServerSide();
    let client = this.clientSide;
    if (client === undefined) {
      for (const side of [0, 1] as const) {
        const kind = classifyClientBytes(this.heldBytes(side));
        if (kind === 'mqtt' || kind === 'websocket') client = side;
      }
      if (client === undefined && portServer !== undefined) client = (1 - portServer) as 0 | 1;
      if (client === undefined) {
        const tooMuch = this.held.some((h) => h.reduce((n, x) => n + x.bytes.length, 0) > DETECT_LIMIT);
        if (final || tooMuch || this.gapWhileDetecting.some(Boolean)) this.state = 'ignored';
        return;
      }
    }
    const server = (1 - client) as 0 | 1;
    const onMqttPort = portServer === server;
    const clientBytes = this.heldBytes(client);
    if (this.gapWhileDetecting[client] || (!this.synSeen && clientBytes.length === 0 && onMqttPort)) {
      // capture started (or lost bytes) inside the stream: only a known MQTT port tells us it is MQTT
      if (onMqttPort) this.start('mqtt', client, at);
      else this.state = 'ignored';
      return;
    }
    const kind = classifyClientBytes(clientBytes);
    if (kind === 'other' && onMqttPort && this.synSeen && !isPlausibleFirstByte(clientBytes[0]!)) {
      // from its first byte, and that byte starts no MQTT packet: not MQTT, whatever the port says
      this.state = 'ignored';
      this.info = this.connectionInfo(client, 'tcp');
      const head = JSON.stringify(clientBytes.subarray(0, 24).toString('latin1'));
      this.note('not-mqtt', `not MQTT on port ${this.ports[server]}: the client began with ${head}${clientBytes.length > 24 ? '…' : ''}`, at, client);
      return;
    }
    if (kind === 'need-more') {
      if (final || clientBytes.length > DETECT_LIMIT) {
        if (onMqttPort) this.start('mqtt', client, at);
        else this.state = 'ignored';
      }
      return;
    }
    if (kind === 'mqtt' || kind === 'websocket') return this.start(kind, client, at);
    if (kind === 'tls' && onMqttPort && this.config.tlsKeyLog && this.synSeen && !this.gapWhileDetecting[client]) return this.start('tls', client, at);
    if (kind === 'tls' && onMqttPort) {
      this.state = 'ignored';
      this.info = this.connectionInfo(client, 'tcp');
      this.note('tls', `TLS on ${this.hosts[server]}:${this.ports[server]}: MQTT inside cannot be decoded`, at, client);
      return;
    }
    if (onMqttPort) return this.start('mqtt', client, at);
    this.state = 'ignored';
  }

  private start(kind: 'mqtt' | 'websocket' | 'tls', client: 0 | 1, at: Timestamp): void {
    this.clientSide = client;
    this.state = kind === 'tls' ? 'mqtt' : kind;
    const server = (1 - client) as 0 | 1;
    this.info = this.connectionInfo(client, kind === 'websocket' ? 'websocket' : 'tcp');
    for (const side of [client, server] as const) {
      const fromClient = side === client;
      // in sync only if we have the stream from its first byte
      const fromStart = this.synSeen && !this.gapWhileDetecting[side];
      const mqtt = new MqttStreamDecoder(
        {
          packet: (raw, packet, error, t) => this.onPacket(fromClient, raw, packet, error, t),
          skipped: (bytes, reason, t) => this.note('skipped', `${bytes} bytes skipped: ${reason}`, t, side, bytes),
        },
        fromClient && fromStart ? undefined : this.config.defaultVersion,
        fromStart,
      );
      this.mqtt[side] = mqtt;
      this.decoders[side] =
        kind === 'websocket'
          ? new WebSocketStreamDecoder(mqtt, {
              handshake: () => {},
              note: (message, t) => this.note('websocket', message, t, side),
            })
          : mqtt;
    }
    if (kind === 'tls') {
      // MQTT inside TLS, decrypted with the key log: the TLS layer sits under both MQTT decoders
      const tls = new TlsSessionDecoder(this.config.tlsKeyLog!, this.mqtt[client]!, this.mqtt[server]!, {
        note: (message, t) => this.note('tls', message, t),
      });
      this.decoders[client] = tls.client;
      this.decoders[server] = tls.server;
    }
    this.note('connection', kind === 'websocket' ? 'MQTT over WebSocket connection' : kind === 'tls' ? 'MQTT over TLS connection, decrypted with the key log' : 'MQTT connection', at);
    for (const side of [client, server] as const) {
      const held = this.held[side];
      this.held[side] = [];
      for (const h of held) this.decoders[side]!.data(h.bytes, h.at);
    }
  }

  private connectionInfo(client: 0 | 1, transport: ConnectionInfo['transport']): ConnectionInfo {
    const server = (1 - client) as 0 | 1;
    return {
      id: this.id,
      clientHost: this.hosts[client],
      clientPort: this.ports[client],
      serverHost: this.hosts[server],
      serverPort: this.ports[server],
      client: endpointString(this.hosts[client], this.ports[client]),
      server: endpointString(this.hosts[server], this.ports[server]),
      transport,
      protocolVersion: this.config.defaultVersion,
      connectSeen: false,
      startSeen: this.synSeen,
    };
  }

  private onPacket(fromClient: boolean, raw: Buffer, packet: Packet | null, error: string | null, at: Timestamp): void {
    const info = this.info!;
    if (packet?.cmd === 'connect' && fromClient) {
      const version = (packet.protocolVersion ?? 4) as ProtocolVersion;
      info.protocolVersion = version;
      info.connectSeen = true;
      info.clientId = packet.clientId;
      const server = (1 - this.clientSide!) as 0 | 1;
      this.mqtt[server]?.setProtocolVersion(version);
      this.mqtt[this.clientSide!]?.setProtocolVersion(version);
      // mappings never carry over to another connection [MQTT-3.3.2-7]
      this.aliases[0].clear();
      this.aliases[1].clear();
    }
    let aliasTopic: string | undefined;
    let latencyMs: number | undefined;
    switch (packet?.cmd) {
      case 'connack': {
        // v5: a client that sent an empty id learns its id here, and so do we
        const assigned = packet.properties?.assignedClientIdentifier;
        if (!fromClient && assigned !== undefined && !info.clientId) info.clientId = assigned;
        break;
      }
      case 'publish': {
        if (packet.qos > 0 && packet.messageId !== undefined) this.latency.publish(fromClient, packet.messageId, packet.qos, packet.dup, at);
        const alias = packet.properties?.topicAlias;
        if (alias === undefined) break;
        const map = this.aliases[fromClient ? this.clientSide! : ((1 - this.clientSide!) as 0 | 1)];
        if (packet.topic !== '') map.set(alias, packet.topic);
        aliasTopic = packet.topic !== '' ? packet.topic : map.peek(alias);
        break;
      }
      case 'puback':
      case 'pubcomp':
        if (packet.messageId !== undefined) latencyMs = this.latency.complete(packet.cmd, fromClient, packet.messageId, at);
        break;
    }
    this.config.emit({ kind: 'packet', at, conn: info, fromClient, raw, packet, error, aliasTopic, latencyMs });
  }

  private note(note: NoteEvent['note'], message: string, at: Timestamp, side?: 0 | 1, bytes?: number): void {
    const fromClient = side === undefined || this.clientSide === undefined ? undefined : side === this.clientSide;
    this.config.emit({ kind: 'note', at, note, conn: this.info ?? undefined, fromClient, message, bytes });
  }
}
