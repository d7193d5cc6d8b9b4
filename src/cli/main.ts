import { CommanderError } from 'commander';
import { buildProgram } from './program.js';
import { userFacing } from './errors.js';
import { startedAsWorkerThread } from '../core/runtime/worker-script.js';

// A worker thread started on this very bundle: its entry modules take over (worker-threads.ts)
if (startedAsWorkerThread()) void import('./worker-threads.js');

/** Runs the CLI and resolves to the process exit code; never exits the process itself. */
export async function main(argv: string[]): Promise<number> {
  // argv[2] is the subcommand when there is one (`mqtt pub …`); options first means the top level
  const program = await buildProgram(argv[2]);
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
}
