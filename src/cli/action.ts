import type { Command } from 'commander';
import { CliError, UsageError } from './errors.js';

/** "mqtt bench pub": the words a user types to reach this command. */
export function commandPath(cmd: Command): string {
  return cmd.parent ? `${commandPath(cmd.parent)} ${cmd.name()}` : cmd.name();
}

/**
 * Wraps a command implementation: its resolved exit code is stored on the root so main() can
 * return it; usage errors thrown inside print the same usage hint as commander's own.
 */
export function action<O>(run: (opts: O, cmd: Command) => Promise<number>) {
  return async function (this: Command, ...args: unknown[]): Promise<void> {
    const cmd = args[args.length - 1] as Command;
    const root = rootOf(cmd);
    try {
      const code = await run(cmd.opts() as O, cmd);
      root.setOptionValue('__exitCode', code);
    } catch (err) {
      if (err instanceof UsageError) {
        throw new CliError(`Error: ${err.message}\nUse '${commandPath(cmd)} --help' to see usage.`, 1);
      }
      throw err;
    }
  };
}

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}
