import { formatHash } from './hash-format.js';
import type { PasswordHash } from './hash.js';
import { fromLatin1, userKey, type Eol, type FileLine, type PasswordFile } from './password-file.js';

/** Edits return a new PasswordFile; lines they do not touch are the same objects, so the same bytes. */

export function emptyPasswordFile(): PasswordFile {
  return { lines: [], eol: '\n', problems: [] };
}

/**
 * Rewrites every line of this user where it stands (mosquitto_passwd updates duplicates too),
 * keeping each line's terminator; appends one line when the user is new.
 */
export function setUser(file: PasswordFile, username: string, hash: PasswordHash): PasswordFile {
  const key = userKey(username);
  let found = false;
  const lines = file.lines.map((line) => {
    if (line.entry?.key !== key) return line;
    found = true;
    return hashedLine(line.number, key, hash, line.eol);
  });
  if (found) return { ...file, lines };
  return { ...file, lines: [...terminateLast(lines, file.eol), hashedLine(lines.length + 1, key, hash, file.eol)] };
}

export function removeUser(file: PasswordFile, username: string): { file: PasswordFile; removed: number } {
  const key = userKey(username);
  const lines = file.lines.filter((line) => line.entry?.key !== key);
  return { file: { ...file, lines }, removed: file.lines.length - lines.length };
}

/**
 * `-U`: hashes plain-text passwords only. mosquitto_passwd hashes every line, so running it twice
 * turns hashes into hashes of hashes; lines that already hold a hash (of any scheme) stay as they are.
 */
export async function hashPlainPasswords(
  file: PasswordFile,
  hashOf: (password: Buffer) => Promise<PasswordHash>,
): Promise<{ file: PasswordFile; hashed: number }> {
  let hashed = 0;
  const lines: FileLine[] = [];
  for (const line of file.lines) {
    const entry = line.entry;
    if (entry?.decoded.kind !== 'plain') {
      lines.push(line);
      continue;
    }
    lines.push(hashedLine(line.number, entry.key, await hashOf(Buffer.from(entry.field, 'latin1')), line.eol));
    hashed++;
  }
  return { file: { ...file, lines }, hashed };
}

function hashedLine(number: number, key: string, hash: PasswordHash, eol: Eol): FileLine {
  const field = formatHash(hash);
  return { number, text: `${key}:${field}`, eol, entry: { username: fromLatin1(key), key, field, decoded: { kind: 'hashed', hash } } };
}

/** A last line without a terminator gets one before another line follows it. */
function terminateLast(lines: FileLine[], eol: Eol): FileLine[] {
  const last = lines[lines.length - 1];
  if (!last || last.eol !== '') return lines;
  return [...lines.slice(0, -1), { ...last, eol }];
}
