import type { BrokerConfig } from './broker-config.js';
import { ConfParser } from './conf-parser.js';
import { decodeConfigText, readConfigFile } from './config-file.js';
import { readIncludeDir, type IncludedFile } from './include-dir.js';

export interface ParsedConfig {
  config: BrokerConfig;
  /** one line each, naming file and line, in the order the file gave rise to them */
  warnings: string[];
}

export interface ParseOptions {
  /** how include_dir is read; the file system by default, Mosquitto's order and filter */
  readIncludeDir?: (dir: string) => IncludedFile[];
}

/**
 * Reads the mosquitto.conf subset people use (listeners, TLS, authentication, limits, logging)
 * into a BrokerConfig. * Throws ConfigFileError, with Mosquitto's wording and the file and line, for values Mosquitto
 * refuses and for options the broker cannot honour without being less secure than the file
 * asks; anything else it does not implement is a warning.
 */
export function parseMosquittoConf(text: string, fileName: string, options: ParseOptions = {}): ParsedConfig {
  const parser = new ConfParser(options.readIncludeDir ?? readIncludeDir);
  parser.readFile(text, fileName, 0);
  return { config: parser.finish(), warnings: parser.warnings };
}

/** parseMosquittoConf on a file; "Error: Unable to open config file X." when it cannot be read. */
export async function loadMosquittoConf(file: string, options: ParseOptions = {}): Promise<ParsedConfig> {
  const data = await readConfigFile(file, (err) =>
    err.code === 'EISDIR' ? `Error: Config file ${file} is a directory.` : `Error: Unable to open config file ${file}.`,
  );
  return parseMosquittoConf(decodeConfigText(data, file), file, options);
}
