import type { SubConfig } from '../client/config.js';

/** Runs a configured subscribe session and resolves to the exit code (implementation in progress). */
export async function runSub(_cfg: SubConfig): Promise<number> {
  process.stderr.write('Error: sub runtime not implemented yet\n');
  return 1;
}
