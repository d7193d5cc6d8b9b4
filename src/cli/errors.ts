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

/** A bad command line: printed with the "see usage" hint, exit 1 like mosquitto's clients. */
export class UsageError extends CliError {
  constructor(message: string) {
    super(message, 1);
    this.name = 'UsageError';
  }
}
