import { ConfigFileError, type FileLocation } from './config-error.js';

/** One option line of a mosquitto.conf-style file. */
export interface ConfigLine {
  loc: FileLocation;
  /** the first word */
  keyword: string;
  /** everything after the keyword, with surrounding whitespace trimmed ('' when nothing) */
  rest: string;
  /** `rest` split on runs of whitespace */
  args: string[];
}

const BLANKS = /[ \t\f\v]+/;

/**
 * The option lines of a file, numbered as an editor numbers them. Comments ('#' as the first
 * non-blank character), blank lines, CRLF and trailing whitespace are dropped. Mosquitto 2.0 is
 * stricter (a comment must start in column 1, only spaces separate words); everything it accepts
 * reads the same here.
 */
export function configLines(text: string, file: string): ConfigLine[] {
  const out: ConfigLine[] = [];
  text.split('\n').forEach((raw, i) => {
    const trimmed = raw.replace(/^[ \t\f\v]+|[ \t\f\v\r]+$/g, '');
    if (trimmed === '' || trimmed.startsWith('#')) return;
    const split = BLANKS.exec(trimmed);
    const keyword = split ? trimmed.slice(0, split.index) : trimmed;
    const rest = split ? trimmed.slice(split.index + split[0].length) : '';
    out.push({ loc: { file, line: i + 1 }, keyword, rest, args: rest === '' ? [] : rest.split(BLANKS) });
  });
  return out;
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/**
 * A configuration file's bytes as text. Mosquitto refuses malformed UTF-8 in string values
 * ("Error: Malformed UTF-8 in configuration."); here any line with it is refused, by number.
 */
export function decodeConfigText(data: Uint8Array, file: string): string {
  try {
    return UTF8.decode(data);
  } catch {
    let start = 0;
    for (let line = 1; ; line++) {
      const nl = data.indexOf(0x0a, start);
      const end = nl === -1 ? data.length : nl;
      try {
        UTF8.decode(data.subarray(start, end));
      } catch {
        throw new ConfigFileError('Error: Malformed UTF-8 in configuration.', { file, line });
      }
      start = end + 1;
    }
  }
}
