/**
 * A protocol violation, carrying the v5 reason code the spec names for it (0x81 malformed packet,
 * 0x82 protocol error, 0x95 packet too large …). The one place that turns it into a DISCONNECT,
 * a CONNACK code or a closed socket is the connection owner, not the code that detects it.
 */
export class ProtocolError extends Error {
  constructor(
    message: string,
    readonly reasonCode = 0x82,
  ) {
    super(message);
    this.name = 'ProtocolError';
  }
}

export const MALFORMED_PACKET = 0x81;
export const PROTOCOL_ERROR = 0x82;
export const PACKET_TOO_LARGE = 0x95;
