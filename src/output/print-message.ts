/**
 * What `mqtt sub` prints for one message, mirroring mosquitto_sub 2.0's print_message: -F wins over
 * -v; -N drops the newline everywhere. Our --json wins over both.
 */
import { type CompiledFormat, renderFormat } from './format-template.js';
import { jsonLine } from './json-line.js';
import type { ReceivedMessage } from './message.js';

export interface PrintOptions {
  /** -v: "topic payload" */
  verbose: boolean;
  /** -N: no newline after each message (ignored by --json, whose records are lines) */
  noEol: boolean;
  /** -F, compiled once with compileFormat() */
  format?: CompiledFormat;
  /** --pretty, for %j / %J */
  pretty: boolean;
  /** --json */
  json: boolean;
  /** stderr lines produced while printing (see RenderOptions.warn) */
  warn?: (line: string) => void;
}

const EMPTY = Buffer.alloc(0);
const NEWLINE = Buffer.from('\n');
const NULL_SUFFIX = Buffer.from(' (null)\n');

/** The exact bytes to write to stdout for MSG; may be empty (then write nothing). */
export function formatMessage(msg: ReceivedMessage, opts: PrintOptions): Buffer {
  if (opts.json) return Buffer.from(jsonLine(msg) + '\n', 'utf8');
  if (opts.format) return renderFormat(opts.format, msg, { pretty: opts.pretty, noEol: opts.noEol, warn: opts.warn });
  const eol = !opts.noEol;
  if (opts.verbose) {
    const topic = Buffer.from(msg.topic, 'utf8');
    if (msg.payload.length > 0) {
      return Buffer.concat([topic, Buffer.from(' '), msg.payload, eol ? NEWLINE : EMPTY]);
    }
    // an empty payload shows as "(null)", but only when a newline follows: with -N nothing at all
    return eol ? Buffer.concat([topic, NULL_SUFFIX]) : EMPTY;
  }
  // a zero-length payload prints nothing, not even the newline
  if (msg.payload.length === 0) return EMPTY;
  return eol ? Buffer.concat([msg.payload, NEWLINE]) : msg.payload;
}
