import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import { MQTT_BIN, runCmd, type RunOptions, type RunResult } from './cli.js';
import { loadPasswordFile } from '../../src/auth/password-file-io.js';
import { findUser } from '../../src/auth/password-file.js';
import { verifyPassword } from '../../src/auth/hash.js';

/** A scratch directory others may enter (0755), so a run as an unprivileged user fails on the file, not the path. */
function scratchDir(): { dir: string; file: (name: string) => string; remove: () => void } {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-passwd-'));
  chmodSync(dir, 0o755);
  return { dir, file: (name) => path.join(dir, name), remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** The reference's $6$ vector (password "password"): a ready-made line for fixtures. */
export const H6 = '$6$AAECAwQFBgcICQoL$b4be9ENqb54sNj+csQTvm3qRtt6r5BJ4pdELhfw3543YRDKXy8YjBxqSsJubpfDSNaXeWIFnCuo6UMHsY83J5w==';

export interface Scratch {
  readonly dir: string;
  /** `passwd` in the scratch directory */
  readonly pwfile: string;
  file(name: string): string;
}

/** A fresh scratch directory for each test (or for the whole describe), removed afterwards. */
export function useScratch(scope: 'each' | 'all' = 'each'): Scratch {
  let current: ReturnType<typeof scratchDir> | undefined;
  const [setup, teardown] = scope === 'each' ? [beforeEach, afterEach] : [beforeAll, afterAll];
  setup(() => {
    current = scratchDir();
  });
  teardown(() => current?.remove());
  const now = () => {
    if (!current) throw new Error('scratch directory used outside a test');
    return current;
  };
  return {
    get dir() {
      return now().dir;
    },
    get pwfile() {
      return now().file('passwd');
    },
    file: (name) => now().file(name),
  };
}

export interface Snapshot {
  bytes: Buffer | undefined;
  mode: number | undefined;
  siblings: string[];
}

/** Bytes, mode and neighbours of a file, to prove a failed command changed nothing (not even a temp file). */
export function snapshot(file: string): Snapshot {
  let bytes: Buffer | undefined;
  let mode: number | undefined;
  try {
    bytes = readFileSync(file);
    mode = statSync(file).mode & 0o7777;
  } catch {
    // missing (or a directory): stays undefined, and must stay so
  }
  return { bytes, mode, siblings: readdirSync(path.dirname(file)).sort() };
}

export function expectUnchanged(file: string, before: Snapshot): void {
  const after = snapshot(file);
  expect(after.siblings).toEqual(before.siblings);
  expect(after.mode).toBe(before.mode);
  expect(after.bytes === undefined ? undefined : after.bytes.toString('latin1')).toBe(before.bytes?.toString('latin1'));
}

/** stderr without the password prompts, which are not part of the error. */
export function withoutPrompts(stderr: string): string {
  return stderr.replace(/^(Password|Reenter password): \n/gm, '');
}

/** Runs `mqtt` as an unprivileged user when we are root (root reads any file, so "unreadable" needs someone else). */
export function runMqttUnprivileged(args: string[], opts: RunOptions = {}): Promise<RunResult> {
  const cmd = [process.execPath, MQTT_BIN, ...args];
  if (process.getuid?.() !== 0) return runCmd(cmd[0]!, cmd.slice(1), opts);
  return runCmd('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', ...cmd], opts);
}

/** Our own module's verdict on a user's password in a file. */
export async function verifiesWith(file: string, username: string, password: string): Promise<boolean> {
  const entry = findUser(await loadPasswordFile(file), username);
  if (entry?.decoded.kind !== 'hashed') throw new Error(`${username}: no usable hash in ${file}`);
  return verifyPassword(password, entry.decoded.hash);
}
