import type { PubConfig } from '../client/config.js';

/** Runs a configured publish session and resolves to the exit code (implementation in progress). */
export async function runPub(_cfg: PubConfig): Promise<number> {
  process.stderr.write('Error: pub runtime not implemented yet\n');
  return 1;
}
