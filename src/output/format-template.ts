/**
 * mosquitto_sub 2.0's -F language (sub_client_output.c formatted_print), compiled once into a list
 * of segment writers so printing a message runs no parsing and no regular expressions.
 *
 *   %[-][0][width][.precision]<spec>   message fields (see SPECIFIERS below)
 *   @<c>                               strftime("%<c>") of the receive time; @N nanoseconds; @@ '@'
 *   \\ \0 \a \e \n \r \t \v            control characters
 */
import { ByteWriter } from './byte-writer.js';
import type { Tm } from './civil-time.js';
import { checkFormat, ESCAPES } from './format-check.js';
import {
  cStringBytes,
  type FieldSpec,
  writeBlank,
  writeInt,
  writePayload,
  writeStr,
} from './format-fields.js';
import { localTime } from './local-time.js';
import { byteValue, firstOf, type ReceivedMessage, receivedSeconds, userPropertyPairs } from './message.js';
import { writeMosquittoJson } from './mosquitto-json.js';
import { isTimeConversion, strftime, strftime1, unknownConversion } from './strftime.js';

export interface RenderOptions {
  /** --pretty: multi-line JSON for %j / %J */
  pretty: boolean;
  /** -N: no newline after the record */
  noEol?: boolean;
  /**
   * Receives what mosquitto_sub writes to stderr while printing (for now only %J's
   * "Error: Message payload is not valid JSON on topic <t>."), as a full line without "\n".
   */
  warn?: (line: string) => void;
}

interface RenderContext {
  msg: ReceivedMessage;
  opts: RenderOptions;
  warnings: string[];
  tm(): Tm;
}

type Segment = (w: ByteWriter, ctx: RenderContext) => void;

export interface CompiledFormat {
  readonly source: string;
  readonly segments: readonly Segment[];
}

const SPACE = 0x20;

const prop = (msg: ReceivedMessage, name: string): unknown => {
  const v = msg.properties?.[name];
  return v === null ? undefined : v;
};

/** A v5 integer property: printed with the field's padding, or a blank of the pad character. */
function intProperty(read: (msg: ReceivedMessage) => number | undefined, f: FieldSpec): Segment {
  return (w, { msg }) => {
    const v = read(msg);
    if (v === undefined) writeBlank(w, f.pad, f.width);
    else writeInt(w, v, f);
  };
}

const SPECIFIERS: Record<string, (f: FieldSpec) => Segment> = {
  '%': () => (w) => w.byte(0x25),
  t: (f) =>
    f.width === 0 && f.precision < 0
      ? (w, { msg }) => (msg.topic.includes('\0') ? w.bytes(cStringBytes(msg.topic)) : w.utf8(msg.topic))
      : (w, { msg }) => writeStr(w, cStringBytes(msg.topic), f),
  p: (f) => (w, { msg }) => writePayload(w, msg.payload, 0, f),
  x: (f) => (w, { msg }) => writePayload(w, msg.payload, 1, f),
  X: (f) => (w, { msg }) => writePayload(w, msg.payload, 2, f),
  l: (f) => (w, { msg }) => writeInt(w, msg.payload.length, f),
  m: (f) => (w, { msg }) => writeInt(w, msg.mid, f),
  // %q and %r ignore width: one character each
  q: () => (w, { msg }) => w.byte(0x30 + msg.qos),
  r: () => (w, { msg }) => w.byte(msg.retain ? 0x31 : 0x30),
  I: (f) => (w, ctx) => writeStr(w, Buffer.from(strftime('%FT%T%z', ctx.tm()), 'latin1'), f),
  U: () => (w, ctx) => {
    w.ascii(String(ctx.tm().epoch));
    w.byte(0x2e);
    w.ascii(String(ctx.msg.receivedAt.nanos).padStart(9, '0'));
  },
  j: () => (w, ctx) => void writeMosquittoJson(w, ctx.msg, ctx.tm(), true, ctx.opts.pretty),
  J: () => (w, ctx) => {
    if (!writeMosquittoJson(w, ctx.msg, ctx.tm(), false, ctx.opts.pretty)) {
      ctx.warnings.push(`Error: Message payload is not valid JSON on topic ${ctx.msg.topic}.`);
    }
  },
  A: (f) =>
    intProperty((msg) => {
      const v = prop(msg, 'topicAlias');
      return v === undefined ? undefined : Number(v) & 0xffff;
    }, f),
  E: (f) =>
    intProperty((msg) => {
      const v = prop(msg, 'messageExpiryInterval');
      // printed through an (int) cast: values above 2^31-1 come out negative
      return v === undefined ? undefined : Number(v) | 0;
    }, f),
  F: (f) =>
    intProperty((msg) => {
      const v = prop(msg, 'payloadFormatIndicator');
      return v === undefined ? undefined : byteValue(v);
    }, f),
  S: (f) =>
    intProperty((msg) => {
      const v = firstOf(prop(msg, 'subscriptionIdentifier'));
      return v === undefined ? undefined : Number(v) | 0;
    }, f),
  // an absent content-type prints a blank of spaces, an absent response-topic prints nothing
  C: (f) => (w, { msg }) => {
    const v = prop(msg, 'contentType');
    if (v === undefined) writeBlank(w, SPACE, f.width);
    else writeStr(w, cStringBytes(String(v)), f);
  },
  R: (f) => (w, { msg }) => {
    const v = prop(msg, 'responseTopic');
    if (v !== undefined) writeStr(w, cStringBytes(String(v)), f);
  },
  D: () => (w, { msg }) => {
    const v = prop(msg, 'correlationData');
    if (v !== undefined) w.bytes(Buffer.isBuffer(v) ? v : Buffer.from(String(v)));
  },
  P: () => (w, { msg }) => {
    userPropertyPairs(msg).forEach(([k, v], i) => {
      if (i > 0) w.byte(SPACE);
      w.bytes(cStringBytes(k));
      w.byte(0x3a);
      w.bytes(cStringBytes(v));
    });
  },
};

function timeSegment(c: string): Segment {
  if (c === 'N') return (w, { msg }) => w.ascii(String(msg.receivedAt.nanos).padStart(9, '0'));
  // latin1 keeps zone-name bytes as they are in the zone file
  return (w, ctx) => w.ascii(strftime1(c, ctx.tm()));
}

/** Parses and validates FMT; throws UsageError with mosquitto's message for a bad template. */
export function compileFormat(fmt: string): CompiledFormat {
  const b = Buffer.from(fmt, 'utf8');
  checkFormat(b);
  const segments: Segment[] = [];
  let literal: number[] = [];
  const flush = () => {
    if (literal.length === 0) return;
    const bytes = Buffer.from(literal);
    segments.push((w) => w.bytes(bytes));
    literal = [];
  };
  const push = (seg: Segment) => {
    flush();
    segments.push(seg);
  };
  const len = b.length;
  for (let i = 0; i < len; i++) {
    const c = b[i]!;
    if (c === 0x25 /* % */) {
      const f: FieldSpec = { left: false, pad: SPACE, width: 0, precision: -1 };
      i++;
      if (b[i] === 0x2d) {
        f.left = true;
        i++;
      }
      // "%-040p" passes validation; the '0' is then ignored for left alignment
      if (b[i] === 0x30) {
        f.pad = 0x30;
        i++;
      }
      while (b[i]! >= 0x30 && b[i]! <= 0x39) f.width = f.width * 10 + (b[i++]! - 0x30);
      if (b[i] === 0x2e) {
        i++;
        f.precision = 0;
        while (b[i]! >= 0x30 && b[i]! <= 0x39) f.precision = f.precision * 10 + (b[i++]! - 0x30);
      }
      const spec = String.fromCharCode(b[i]!);
      if (spec === '%') literal.push(0x25);
      else push(SPECIFIERS[spec]!(f));
    } else if (c === 0x40 /* @ */) {
      const next = b[++i]!;
      const ch = String.fromCharCode(next);
      if (next === 0x40) literal.push(0x40);
      else if (ch === 'N' || (next < 0x80 && isTimeConversion(ch))) push(timeSegment(ch));
      else if (next >= 0x80) literal.push(0x25, next);
      else literal.push(...Buffer.from(unknownConversion(ch), 'latin1'));
    } else if (c === 0x5c /* \ */) {
      literal.push(ESCAPES[String.fromCharCode(b[++i]!)]!);
    } else {
      literal.push(c);
    }
  }
  flush();
  return { source: fmt, segments };
}

const writer = new ByteWriter(1024);

/** One message through a compiled template: the exact bytes mosquitto_sub -F would print. */
export function renderFormat(compiled: CompiledFormat, msg: ReceivedMessage, opts: RenderOptions): Buffer {
  let tm: Tm | undefined;
  const ctx: RenderContext = {
    msg,
    opts,
    warnings: [],
    tm: () => (tm ??= localTime(receivedSeconds(msg))),
  };
  try {
    for (const seg of compiled.segments) seg(writer, ctx);
  } catch (e) {
    writer.reset();
    throw e;
  }
  if (!opts.noEol) writer.byte(0x0a);
  const out = writer.take();
  // reported after the writer is free again, in case the callback prints
  for (const line of ctx.warnings) opts.warn?.(line);
  return out;
}
