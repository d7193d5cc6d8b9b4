import type { FileLocation } from './config-error.js';

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
