import type { Packet } from '../core/protocol/codec.js';
import type { Timestamp } from './frame.js';

/** One TCP connection as the sniffer knows it. */
export interface ConnectionInfo {
  /** sequence number in order of first appearance, like tshark's tcp.stream */
  readonly id: number;
  readonly clientHost: string;
  readonly clientPort: number;
  readonly serverHost: string;
  readonly serverPort: number;
  /** "ip:port" of each end, IPv6 in brackets: made once, printed on every packet */
  readonly client: string;
  readonly server: string;
  readonly transport: 'tcp' | 'websocket';
  /** protocol level from the CONNECT, else the assumed default */
  protocolVersion: 3 | 4 | 5;
  /** false when the capture started after the CONNECT */
  connectSeen: boolean;
  /** the capture holds the connection from its SYN, so "first packet" rules can be checked */
  readonly startSeen: boolean;
  clientId?: string;
}

/** One MQTT packet seen on the wire. */
export interface PacketEvent {
  readonly kind: 'packet';
  readonly at: Timestamp;
  readonly conn: ConnectionInfo;
  readonly fromClient: boolean;
  /** whole frame (fixed header included); a view valid only during the callback */
  readonly raw: Buffer;
  /** null when the codec rejected the packet */
  readonly packet: Packet | null;
  readonly error: string | null;
  /** v5 PUBLISH that used a Topic Alias: the topic it stands for (undefined when unknown) */
  readonly aliasTopic?: string;
  /** PUBACK of a QoS 1 or PUBCOMP of a QoS 2 PUBLISH seen on this connection: ms since that PUBLISH */
  readonly latencyMs?: number;
}

export type NoteKind = 'gap' | 'skipped' | 'violation' | 'connection' | 'websocket' | 'tls' | 'not-mqtt' | 'capture';

/** Anything else worth telling: lost bytes, protocol violations, connections opening and closing. */
export interface NoteEvent {
  readonly kind: 'note';
  readonly at: Timestamp;
  readonly note: NoteKind;
  readonly conn?: ConnectionInfo;
  readonly fromClient?: boolean;
  readonly message: string;
  /** spec statement id for violations, e.g. "MQTT-3.3.1-2" */
  readonly rule?: string;
  readonly bytes?: number;
  /** set on the note that ends a connection */
  readonly closed?: boolean;
}

export type SniffEvent = PacketEvent | NoteEvent;
