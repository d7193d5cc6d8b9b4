import { ConfigFileError, describeLocation } from './config-error.js';
import type { ConfigLine } from './config-lines.js';

/** Collects warnings in the order the file gives rise to them. */
export type Warn = (message: string) => void;

/** Errors in Mosquitto's words (src/conf.c conf__parse_bool/int/string). */
export function fail(line: ConfigLine, reason: string): never {
  throw new ConfigFileError(`Error: ${reason}`, line.loc);
}

function firstArg(line: ConfigLine, warn: Warn, name: string): string {
  const [value, ...extra] = line.args;
  if (value === undefined) fail(line, `Empty ${name} value in configuration.`);
  // Mosquitto reads one word and drops the rest without a word; say so, it may be a typo
  if (extra.length > 0) warn(`Warning: Extra text "${extra.join(' ')}" after the ${name} value at ${describeLocation(line.loc)} (ignored).`);
  return value;
}

export function boolValue(line: ConfigLine, warn: Warn, name = line.keyword): boolean {
  const value = firstArg(line, warn, name);
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  return fail(line, `Invalid ${name} value (${value}).`);
}

/**
 * A whole number. Mosquitto's atoi() reads "10x" as 10 and "x" as 0; a value like that is a
 * mistake, so it is an error here.
 */
export function intValue(line: ConfigLine, warn: Warn, name = line.keyword): number {
  const value = firstArg(line, warn, name);
  const n = /^[+-]?[0-9]{1,15}$/.test(value) ? Number(value) : NaN;
  if (Number.isNaN(n)) fail(line, `Invalid ${name} value (${value}).`);
  return n;
}

/** One word from a fixed set, such as protocol or socket_domain. */
export function wordValue<T extends string>(line: ConfigLine, warn: Warn, words: readonly T[], invalid: (value: string) => string): T {
  const value = firstArg(line, warn, line.keyword);
  if (!(words as readonly string[]).includes(value)) fail(line, invalid(value));
  return value as T;
}

/** The rest of the line, spaces and all (file names may hold them); set at most once per scope. */
export function stringValue(line: ConfigLine, existing: string | undefined, name = line.keyword): string {
  if (line.rest === '') fail(line, `Empty ${name} value in configuration.`);
  if (existing !== undefined) fail(line, `Duplicate ${name} value in configuration.`);
  return line.rest;
}
