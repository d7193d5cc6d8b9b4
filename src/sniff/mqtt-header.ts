/**
 * Fixed-header rules used to judge whether bytes can be the start of an MQTT packet, before handing
 * them to the codec: needed to find packet boundaries again after a gap in a capture.
 */

export const PACKET_TYPE_NAMES = [
  'RESERVED', 'CONNECT', 'CONNACK', 'PUBLISH', 'PUBACK', 'PUBREC', 'PUBREL', 'PUBCOMP',
  'SUBSCRIBE', 'SUBACK', 'UNSUBSCRIBE', 'UNSUBACK', 'PINGREQ', 'PINGRESP', 'DISCONNECT', 'AUTH',
] as const;

export type PacketTypeName = (typeof PACKET_TYPE_NAMES)[number];

/** Name of the packet type in the first byte of a fixed header. */
export function packetTypeName(firstByte: number): PacketTypeName {
  return PACKET_TYPE_NAMES[firstByte >> 4]!;
}

// [MQTT-2.2.2-1] flag bits each type must carry; PUBLISH's are DUP/QoS/RETAIN, checked apart
const REQUIRED_FLAGS = [-1, 0, 0, -1, 0, 0, 2, 0, 2, 0, 2, 0, 0, 0, 0, 0];

/** Whether `b` is a legal first byte of a fixed header (type not reserved, required flags, QoS < 3). */
export function isPlausibleFirstByte(b: number): boolean {
  const type = b >> 4;
  if (type === 0) return false;
  if (type === 3) return (b & 0x06) !== 0x06;
  return (b & 0x0f) === REQUIRED_FLAGS[type];
}

/** Smallest Remaining Length each packet type can have in any version (PUBLISH: a 2-byte topic length). */
const MIN_REMAINING = [0, 10, 2, 2, 2, 2, 2, 2, 5, 3, 5, 2, 0, 0, 0, 0];
const PINGREQ = 12;
const PINGRESP = 13;

/**
 * Whether a whole frame of `size` bytes (fixed header included) is possible for the packet type:
 * a necessary condition only, used to reject candidate packet starts after a gap.
 */
export function isPlausibleFrameSize(firstByte: number, size: number): boolean {
  const type = firstByte >> 4;
  if (type === PINGREQ || type === PINGRESP) return size === 2;
  return size >= 2 + MIN_REMAINING[type]!;
}
