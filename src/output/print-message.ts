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
const SPACE = Buffer.from(' ');
const NULL_TEXT = Buffer.from(' (null)');

/** topic + separator + rest + "\n"? in one allocation. */
function topicLine(topic: string, separator: Buffer, rest: Buffer, eol: boolean): Buffer {
  const topicLen = Buffer.byteLength(topic);
  const out = Buffer.allocUnsafe(topicLen + separator.length + rest.length + (eol ? 1 : 0));
  out.write(topic, 0, 'utf8');
  separator.copy(out, topicLen);
  rest.copy(out, topicLen + separator.length);
  if (eol) out[out.length - 1] = 0x0a;
  return out;
}

/** The exact bytes to write to stdout for MSG; may be empty (then write nothing). */
export function formatMessage(msg: ReceivedMessage, opts: PrintOptions): Buffer {
  if (opts.json) return Buffer.from(jsonLine(msg) + '\n', 'utf8');
  if (opts.format) return renderFormat(opts.format, msg, { pretty: opts.pretty, noEol: opts.noEol, warn: opts.warn });
  const eol = !opts.noEol;
  if (opts.verbose) {
    if (msg.payload.length > 0) return topicLine(msg.topic, SPACE, msg.payload, eol);
    // an empty payload shows as "(null)", but only when a newline follows: with -N nothing at all
    return eol ? topicLine(msg.topic, NULL_TEXT, EMPTY, true) : EMPTY;
  }
  // a zero-length payload prints nothing, not even the newline
  if (msg.payload.length === 0) return EMPTY;
  return eol ? Buffer.concat([msg.payload, NEWLINE]) : msg.payload;
}
