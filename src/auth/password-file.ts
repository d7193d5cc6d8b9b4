import { decodeHashField, type HashField } from './hash-format.js';
import type { PasswordHash } from './hash.js';

/**
 * A password file as lines of bytes. Text is held as latin1 strings (one char per byte) so any
 * line we do not rewrite goes back out byte for byte, whatever its encoding.
 */
export interface PasswordFile {
  lines: FileLine[];
  /** terminator for lines we add: the file's first one, else "\n" */
  eol: Eol;
  problems: LineProblem[];
}

export type Eol = '' | '\n' | '\r\n';

export interface FileLine {
  /** 1-based, as reported in messages */
  number: number;
  /** the line without its terminator, latin1 */
  text: string;
  eol: Eol;
  /** absent for blank lines, comments and corrupt lines */
  entry?: PasswordEntry;
}

export interface PasswordEntry {
  /** UTF-8 decoded, trimmed like Mosquitto does; for messages and lookups */
  username: string;
  /** the username's raw bytes as latin1: lookups compare bytes, not decoded text */
  key: string;
  /** the password field's raw bytes (trimmed) as latin1 */
  field: string;
  decoded: HashField;
}

export interface LineProblem {
  line: number;
  /** corrupt: mosquitto_passwd refuses the file; unsupported: readable only by newer brokers */
  kind: 'corrupt' | 'unsupported';
  reason: string;
  username?: string;
}

/**
 * Lenient where Mosquitto's broker is (comments, blank lines, CRLF, whitespace around fields),
 * strict where mosquitto_passwd is (a line without `user:password` is corrupt), and it never
 * throws: every line it cannot use is listed in `problems` with its number.
 */
export function parsePasswordFile(data: Buffer): PasswordFile {
  const text = data.toString('latin1');
  const pieces = text.split('\n');
  const lines: FileLine[] = [];
  const problems: LineProblem[] = [];
  let eol: Eol | undefined;
  pieces.forEach((piece, i) => {
    const last = i === pieces.length - 1;
    if (last && piece === '') return;
    const crlf = !last && piece.endsWith('\r');
    const line: FileLine = { number: i + 1, text: crlf ? piece.slice(0, -1) : piece, eol: last ? '' : crlf ? '\r\n' : '\n' };
    eol ??= line.eol || undefined;
    const parsed = parseLine(line.text);
    if ('reason' in parsed) problems.push({ line: line.number, kind: 'corrupt', reason: parsed.reason });
    else if (parsed.entry) {
      line.entry = parsed.entry;
      if (parsed.entry.decoded.kind === 'invalid') {
        problems.push({ line: line.number, kind: 'corrupt', reason: parsed.entry.decoded.reason, username: parsed.entry.username });
      } else if (parsed.entry.decoded.kind === 'unsupported') {
        problems.push({ line: line.number, kind: 'unsupported', reason: `${parsed.entry.decoded.scheme} hash`, username: parsed.entry.username });
      }
    }
    lines.push(line);
  });
  return { lines, eol: eol ?? '\n', problems };
}

function parseLine(text: string): { entry?: PasswordEntry } | { reason: string } {
  const trimmed = trimBlanks(text);
  if (trimmed === '' || trimmed.startsWith('#')) return {};
  const colon = text.indexOf(':');
  if (colon < 0) return { reason: "no ':' between username and password" };
  const key = trimBlanks(text.slice(0, colon));
  // like the broker, anything after a second ':' is not part of the password
  const field = trimBlanks(text.slice(colon + 1).split(':')[0]!);
  if (key === '') return { reason: 'empty username' };
  if (field === '') return { reason: 'empty password' };
  return { entry: { username: fromLatin1(key), key, field, decoded: decodeHashField(field) } };
}

export function serialisePasswordFile(file: PasswordFile): Buffer {
  return Buffer.from(file.lines.map((l) => l.text + l.eol).join(''), 'latin1');
}

/** The latin1 form of a username's UTF-8 bytes, comparable with PasswordEntry.key. */
export function userKey(username: string): string {
  return Buffer.from(username, 'utf8').toString('latin1');
}

export function fromLatin1(text: string): string {
  return Buffer.from(text, 'latin1').toString('utf8');
}

/**
 * The entry a broker would use for this user. With duplicates Mosquitto's hash table answers with
 * the last one added, so the last line wins here too.
 */
export function findUser(file: PasswordFile, username: string): PasswordEntry | undefined {
  const key = userKey(username);
  let found: PasswordEntry | undefined;
  for (const line of file.lines) if (line.entry?.key === key) found = line.entry;
  return found;
}

/**
 * Username -> hash for every line a Mosquitto broker would accept; plain-text, unsupported and
 * invalid lines are left out (see `problems` to log them).
 */
export function passwordTable(file: PasswordFile): Map<string, PasswordHash> {
  const table = new Map<string, PasswordHash>();
  for (const line of file.lines) {
    const entry = line.entry;
    // a username that is not valid UTF-8 could only be matched through U+FFFD: leave it out
    if (entry?.decoded.kind === 'hashed' && userKey(entry.username) === entry.key) table.set(entry.username, entry.decoded.hash);
  }
  return table;
}

/** C isspace() in the C locale, which is what Mosquitto trims. */
function trimBlanks(s: string): string {
  return s.replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '');
}
