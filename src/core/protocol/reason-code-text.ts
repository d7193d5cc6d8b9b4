// Temporary adapter until reason-codes.ts lands: the texts libmosquitto prints.
const CONNACK: Record<number, string> = {
  0: 'Connection Accepted.',
  1: 'Connection Refused: unacceptable protocol version.',
  2: 'Connection Refused: identifier rejected.',
  3: 'Connection Refused: broker unavailable.',
  4: 'Connection Refused: bad user name or password.',
  5: 'Connection Refused: not authorised.',
};
export function connackText(code: number): string {
  return CONNACK[code] ?? 'Connection Refused: unknown reason.';
}
export function reasonText(code: number): string {
  return `reason code ${code}`;
}
