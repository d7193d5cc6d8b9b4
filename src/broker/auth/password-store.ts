import { SCRAM_DIGEST, verifyPassword, type PasswordHash } from '../../auth/hash.js';
import type { ScramCredentials, ScramDigest } from '../../core/auth/scram.js';
import { parsePasswordFile, passwordTable, userKey, type FileLine, type PasswordFile } from '../../auth/password-file.js';
import { readSecretFile } from './secret-file.js';

/** Why a line of the file gives no user, in words close to Mosquitto's own log lines. */
function lineWarning(file: string, line: FileLine, problem: string | undefined): string | undefined {
  const at = `${file}:${line.number}`;
  const entry = line.entry;
  if (!entry) return problem && `Warning: Invalid line at ${at} in password file: ${problem} (ignored).`;
  const user = `user ${entry.username} at ${at}`;
  switch (entry.decoded.kind) {
    case 'plain':
      return `Warning: Invalid password hash type for ${user} (a plain-text password: hash the file with mosquitto_passwd -U), removing entry.`;
    case 'unsupported':
      return `Warning: Invalid password hash type for ${user} (${entry.decoded.scheme} is not a hash Mosquitto verifies), removing entry.`;
    case 'invalid':
      return `Warning: Invalid password hash for ${user} (${entry.decoded.reason}), removing entry.`;
    case 'hashed':
      // passwordTable leaves out what could only be matched through U+FFFD
      return userKey(entry.username) === entry.key ? undefined : `Warning: Username at ${at} is not valid UTF-8, removing entry.`;
  }
}

function fileWarnings(file: string, parsed: PasswordFile): string[] {
  const problems = new Map(parsed.problems.map((p) => [p.line, p.reason]));
  const seen = new Map<string, number>();
  const warnings: string[] = [];
  for (const line of parsed.lines) {
    const warning = lineWarning(file, line, problems.get(line.number));
    if (warning) warnings.push(warning);
    else if (line.entry) {
      const before = seen.get(line.entry.username);
      if (before !== undefined) warnings.push(`Warning: User ${line.entry.username} at ${file}:${line.number} repeats line ${before}; the later line is used.`);
      seen.set(line.entry.username, line.number);
    }
  }
  return warnings;
}

/**
 * A password_file as the broker uses it: users with a $6$ or $7$ hash, every other line left
 * out with a warning (Mosquitto 2.0 logs them and removes the entry). Salts of 64 bytes, which
 * mosquitto_passwd 2.1 writes, are accepted although a 2.0 broker drops them: nothing is less
 * secure for it. Reloadable, for SIGHUP.
 */
export class PasswordStore {
  private constructor(
    readonly file: string,
    private table: Map<string, PasswordHash>,
  ) {}

  /** Reads the file; ConfigFileError ("Error: Unable to open pwfile ...") when it cannot, or when others may write it. */
  static async load(file: string): Promise<{ store: PasswordStore; warnings: string[] }> {
    const { table, warnings } = await PasswordStore.read(file);
    return { store: new PasswordStore(file, table), warnings };
  }

  private static async read(file: string): Promise<{ table: Map<string, PasswordHash>; warnings: string[] }> {
    const { data, warnings } = await readSecretFile(file, () => `Error: Unable to open pwfile "${file}".`);
    const parsed = parsePasswordFile(data);
    return { table: passwordTable(parsed), warnings: [...warnings, ...fileWarnings(file, parsed)] };
  }

  /**
   * Reads the file again and swaps the users in at once, so checks under way finish against
   * one version. If the file cannot be read the users stay as they were (Mosquitto would be left
   * with none) and the error is thrown for the caller to log.
   */
  async reload(): Promise<string[]> {
    const { table, warnings } = await PasswordStore.read(this.file);
    this.table = table;
    return warnings;
  }

  get size(): number {
    return this.table.size;
  }

  /**
   * Whether this user's entry is the same here and in `other` (an earlier load): a client whose
   * password matched it then still does, with no hash to compute again.
   */
  sameEntry(username: string, other: PasswordStore): boolean {
    const a = this.table.get(username);
    const b = other.table.get(username);
    if (!a || !b || a.type !== b.type || !a.salt.equals(b.salt) || !a.hash.equals(b.hash)) return false;
    if ('serverKey' in a && 'serverKey' in b && !a.serverKey.equals(b.serverKey)) return false;
    return JSON.stringify(a.type === 'argon2id' ? a.params : a.iterations) === JSON.stringify(b.type === 'argon2id' ? b.params : b.iterations);
  }

  /** This user's SCRAM credentials for the digest, when the file holds a SCRAM line of that kind. */
  scram(username: string, digest: ScramDigest): ScramCredentials | undefined {
    const h = this.table.get(username);
    if (!h || (h.type !== 'scram-sha-256' && h.type !== 'scram-sha-512') || SCRAM_DIGEST[h.type] !== digest) return undefined;
    return { iterations: h.iterations, salt: h.salt, storedKey: h.hash, serverKey: h.serverKey };
  }

  has(username: string): boolean {
    return this.table.has(username);
  }

  /**
   * Whether the CONNECT's password is this user's. No password, or a user not in the file,
   * fails. Mosquitto hashes the password as a C string, so only the bytes before a NUL count;
   * the same here keeps every password that works with Mosquitto working.
   */
  async check(username: string, password: Buffer | undefined): Promise<boolean> {
    const hash = this.table.get(username);
    if (!hash || password === undefined) return false;
    const nul = password.indexOf(0);
    return verifyPassword(nul === -1 ? password : password.subarray(0, nul), hash);
  }
}
