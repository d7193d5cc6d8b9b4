import { UsageError } from '../errors.js';
import { atoi } from './c-number.js';

/**
 * An integer option read with atoi and checked against its range, as mosquitto checks them
 * (-p, -k, -q, -M, -C, -W, --repeat, --will-qos); the message may quote the parsed number.
 */
export function intArg(text: string, min: number, max: number, message: (n: number) => string): number {
  const n = atoi(text);
  if (n < min || n > max) throw new UsageError(message(n));
  return n;
}
