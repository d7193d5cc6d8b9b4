/**
 * Bad input found below the CLI (option values, formats, configuration files). Each layer raises
 * these kinds; src/cli/errors.ts alone turns them into exit codes and printed lines.
 */

/** A bad argument or option value: printed with the command's usage hint, exit 1 like mosquitto's clients. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** A configuration the broker cannot run with: the message is printed as it is, exit 3 as Mosquitto's. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}
