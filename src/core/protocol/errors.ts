/** What went wrong, where the reaction depends on more than the reason code. */
export enum ProtocolErrorKind {
  /** anything the reason code says enough about */
  Violation = 'violation',
  /**
   * a CONNECT naming MQTT or MQIsdp with a protocol level we do not speak: a server answers
   * CONNACK 0x01 (3.1.1) before closing [MQTT-3.1.2-2]
   */
  UnsupportedProtocolVersion = 'unsupported-protocol-version',
}

/**
 * A protocol violation, carrying the v5 reason code the spec names for it (0x81 malformed packet,
 * 0x82 protocol error, 0x95 packet too large …). The one place that turns it into a DISCONNECT,
 * a CONNACK code or a closed socket is the connection owner, not the code that detects it.
 */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly reasonCode = 0x82,
    readonly kind: ProtocolErrorKind = ProtocolErrorKind.Violation,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export const MALFORMED_PACKET = 0x81;
export const PROTOCOL_ERROR = 0x82;
export const PACKET_TOO_LARGE = 0x95;
