import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { userFacing } from './errors.js';
import { SEA_STORE_CHECK_ENV } from '../core/runtime/single-executable.js';
import { startedAsWorkerThread } from '../core/runtime/worker-script.js';

// A worker thread started on this very bundle: its entry modules take over (worker-threads.ts)
if (startedAsWorkerThread()) void import('./worker-threads.js');

/** Runs the CLI and resolves to the process exit code; never exits the process itself. */
export async function main(argv: string[]): Promise<number> {
  // the single executable checking a persistence store in a child of its own (it cannot run `node -e`)
  if (process.env[SEA_STORE_CHECK_ENV] !== undefined) return (await import('../broker/persistence/file-check.js')).storeCheckChild();
  // argv[2] is the subcommand when there is one (`mqtt pub …`); options first means the top level
  return (await prepareMain(argv[2]))(argv);
}

/**
 * `main` in two steps: the command tree for `subcommand` (argv[2]) is built first, then run with
 * an argv whose argv[2] is that word. The single executable's startup snapshot builds `pub`'s at
 * build time (scripts/build-binary.mjs), a sixth of what a one-shot publish did at each start;
 * building reads nothing of the run (argv, env, terminals are read when it runs). Commander keeps
 * the parsed options in the tree, so a prepared tree runs once.
 */
export async function prepareMain(subcommand: string | undefined): Promise<(argv: string[]) => Promise<number>> {
  const program = await buildProgram(subcommand);
  let ran = false;
  return async (argv) => {
    if (ran) throw new Error('a prepared command tree runs once (prepareMain)');
    if (argv[2] !== subcommand) throw new Error(`prepared for ${subcommand ?? 'no subcommand'}, not ${argv[2] ?? 'none'}`);
    ran = true;
    try {
      await program.parseAsync(argv);
      return program.getOptionValue('__exitCode') ?? 0;
    } catch (err) {
      if (err instanceof CommanderError) {
        // help and version are "errors" in commander's model; mosquitto's clients exit 1 for both
        // only on their own subcommands, the toolkit's top level keeps the usual 0.
        return err.exitCode;
      }
      const shown = userFacing(err);
      if (!shown) throw err;
      if (shown.message) process.stderr.write(`${shown.message}\n`);
      return shown.exitCode;
    }
  };
}
