/** A place in a configuration file (mosquitto.conf, an included file, an acl_file). */
export interface FileLocation {
  file: string;
  /** 1-based; 0 when the problem is the file as a whole */
  line: number;
}

export function describeLocation(loc: FileLocation): string {
  return loc.line > 0 ? `${loc.file}:${loc.line}` : loc.file;
}

/**
 * A configuration the broker must not start with. The message is Mosquitto's two log lines:
 * what is wrong ("Error: Invalid port value (70000).") then where ("Error found at
 * mosquitto.conf:3."), so the CLI can print it as it is.
 */
export class ConfigFileError extends Error {
  readonly file: string;
  readonly line: number;

  constructor(
    /** the first line alone, starting "Error: " */
    readonly reason: string,
    loc: FileLocation,
  ) {
    super(loc.line > 0 ? `${reason}\nError found at ${describeLocation(loc)}.` : reason);
    this.name = 'ConfigFileError';
    this.file = loc.file;
    this.line = loc.line;
  }
}
