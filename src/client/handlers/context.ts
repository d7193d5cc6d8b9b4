import type { IPublishPacket, ISubackPacket, Packet } from 'mqtt-packet';
import type { ProtocolVersion } from '../../core/protocol/types.js';
import type { ClientSession } from '../client-session.js';

/**
 * What the packet handlers may do to the client that received the packet. MqttClient builds one
 * of these over its private state, so handlers need neither its class (no import cycle) nor
 * public access to its fields.
 */
export interface ClientContext {
  readonly protocolVersion: ProtocolVersion;
  readonly session: ClientSession;
  send(packet: Packet): void;
  /** the -d line of an incoming PUBLISH, written once its topic alias is resolved */
  logIncoming(packet: Packet): void;
  /** hands a message to the application */
  deliver(packet: IPublishPacket): void;
  /** every SUBACK, synchronously, before the subscribe() promise settles */
  onSuback(packet: ISubackPacket): void;
  /** a QoS 1/2 flow ended: the window has room for what waits */
  slotFreed(): void;
  pingAnswered(): void;
  /** the server's DISCONNECT (v5 reason code, 0 when it has none) */
  serverDisconnected(reasonCode: number): void;
  /** the server broke the protocol: v5 DISCONNECT with `reasonCode`, then close */
  protocolViolation(reasonCode: number): void;
  /** set: a PUBACK ends a QoS 2 flow at its PUBREC stage (a server that downgrades QoS 2; see ClientHooks) */
  qos2Puback?: () => void;
  /** PUBREL for an unknown id without 0x92 (see ClientHooks.plainPubrelNotFound) */
  readonly plainPubrelNotFound?: boolean;
}
