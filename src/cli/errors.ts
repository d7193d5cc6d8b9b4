import { ConfigError, UsageError } from '../core/errors/input-errors.js';

export { ConfigError, UsageError };

/** An error whose message is meant for the user as it is, with the exit code it maps to. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

/**
 * The one place an error kind becomes what the user sees: the line(s) for stderr and the exit
 * code; undefined for an error that is a bug, not bad input.
 */
export function userFacing(err: unknown): { message: string; exitCode: number } | undefined {
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof UsageError) return { message: err.message, exitCode: 1 };
  if (err instanceof ConfigError) return { message: err.message, exitCode: 3 };
  return undefined;
}
