import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll } from 'vitest';
import type { ResolveContext } from '../../src/cli/options/client-config.js';
import { CliError, UsageError } from '../../src/cli/errors.js';

/** No HOME or XDG_CONFIG_HOME, so no defaults file is read; fixed pid and "random" bytes. */
export function testContext(over: Partial<ResolveContext> = {}): ResolveContext {
  return { env: {}, pid: 4242, randomBytes: (n) => Buffer.alloc(n, 7), ...over };
}

/** What the CLI prints on stderr for an error thrown while resolving options (see program.ts). */
export function stderrOf(err: unknown, command: 'pub' | 'sub'): string {
  if (err instanceof UsageError) return `Error: ${err.message}\nUse 'mqtt ${command} --help' to see usage.`;
  if (err instanceof CliError) return err.message;
  throw err;
}

/** Resolves to the stderr text of the rejection, failing when the promise resolves. */
export async function errorText(run: () => Promise<unknown>, command: 'pub' | 'sub'): Promise<string> {
  try {
    await run();
  } catch (err) {
    return stderrOf(err, command);
  }
  throw new Error('expected an error, but the options resolved');
}

/** A scratch directory removed after the file's tests. */
export function scratchDir(): (...parts: string[]) => string {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-options-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return (...parts) => path.join(dir, ...parts);
}

export function writeFile(file: string, text: string | Buffer): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, text);
  return file;
}
