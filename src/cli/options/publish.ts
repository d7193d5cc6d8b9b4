import { openSync, closeSync, fstatSync } from 'node:fs';
import type { MessageSource, PubConfig } from './pub-config.js';
import type { QoS } from '../../core/protocol/types.js';
import { CliError, UsageError } from '../errors.js';
import { atof } from './c-number.js';
import { intArg } from './int-arg.js';
import type { OptionGroup, OptionSpec } from './option-command.js';
import type { MessageMode, OptionState } from './state.js';
import { addTopic } from './topic-args.js';

/** MQTT's largest payload: a PUBLISH's remaining length is at most 268,435,455 bytes. */
export const MAX_PAYLOAD = 268435455;

/** -q, shared by pub and sub with their own wording. */
export function qosSpec(description: string): OptionSpec {
  return {
    flags: '-q, --qos <qos>',
    description,
    missing: '-q argument given but no QoS specified.',
    apply: (s, v) => void (s.qos = intArg(v!, 0, 2, (n) => `Invalid QoS given: ${n}`) as QoS),
  };
}

function setMode(state: OptionState, mode: MessageMode): void {
  if (state.pub.mode !== undefined) throw new UsageError('Only one type of message can be sent at once.');
  state.pub.mode = mode;
}

/** -m, -f, -s, -l, -n: where the message comes from (rr takes all of them but -l). */
export const messageSpecs: OptionSpec[] = [
  {
    flags: '-m, --message <message>',
    description: 'send this message',
    missing: '-m argument given but no message specified.',
    apply: (s, v) => {
      setMode(s, 'message');
      if (Buffer.byteLength(v!, 'utf8') > MAX_PAYLOAD) throw new UsageError(`Message length must be less than ${MAX_PAYLOAD} bytes.`);
      s.pub.message = v!;
    },
  },
  {
    flags: '-f, --file <file>',
    description: 'send the contents of a file as one message (binary-safe)',
    missing: '-f argument given but no file specified.',
    apply: (s, v) => {
      setMode(s, 'file');
      s.pub.file = v!;
    },
  },
  {
    flags: '-s, --stdin-file',
    description: 'send all of stdin as one message (empty input is an error)',
    apply: (s) => setMode(s, 'stdin-file'),
  },
  {
    flags: '-l, --stdin-line',
    description: 'send each line of stdin as a message, on one connection, until end of input',
    apply: (s) => setMode(s, 'stdin-line'),
  },
  {
    flags: '-n, --null-message',
    description: 'send a zero-length message (with -r: clears the retained message)',
    apply: (s) => setMode(s, 'null'),
  },
  {
    flags: '--json-lines',
    description:
      '[extra] read stdin as the JSON lines `mqtt sub --json` writes and publish each message as it was: topic, payload bytes, QoS, retain, MQTT v5 properties (-t, if given, replaces every topic)',
    apply: (s) => setMode(s, 'json-lines'),
  },
];

export const publishGroup: OptionGroup = {
  heading: 'Publish:',
  specs: [
    {
      flags: '-t, --topic <topic>',
      description: "topic to publish to (no '+' or '#')",
      missing: '-t argument given but no topic specified.',
      apply: (s, v) => addTopic(s, v!, '-t'),
    },
    ...messageSpecs,
    {
      flags: '-r, --retain',
      description: 'retain the message',
      apply: (s) => void (s.pub.retain = true),
    },
    qosSpec('QoS of the messages: 0, 1 or 2 (default: 0)'),
    {
      flags: '--repeat <count>',
      description: 'publish the message (-m, -f, -s, -n) this many times (default: 1)',
      missing: '--repeat argument given but no count specified.',
      apply: (s, v) => {
        s.pub.repeat = intArg(v!, 1, Infinity, () => '--repeat argument must be >0.');
        s.pub.repeatGiven = true;
      },
    },
    {
      flags: '--repeat-delay <seconds>',
      description: 'with --repeat, wait this long after one message is delivered before sending the next (default: 0)',
      missing: '--repeat-delay argument given but no time specified.',
      apply: (s, v) => {
        const seconds = atof(v!);
        // mosquitto lets nan through to undefined behaviour; refuse it with the same words
        if (!(seconds >= 0) || seconds === Infinity) throw new UsageError('--repeat-delay argument must be >=0.0.');
        s.pub.repeatDelay = seconds;
      },
    },
    {
      flags: '--replay-timing',
      description: '[extra] with --json-lines: keep the time between the messages, from their "time" fields',
      apply: (s) => void (s.pub.replayTiming = true),
    },
    {
      flags: '--speed <factor>',
      description: '[extra] with --replay-timing: play that many times faster (0.5 is half speed; default: 1)',
      missing: '--speed argument given but no factor specified.',
      apply: (s, v) => {
        const factor = /^\d+(\.\d+)?$|^\.\d+$/.test(v!) ? Number(v) : NaN;
        if (!(factor > 0) || !Number.isFinite(factor)) throw new UsageError(`Invalid --speed "${v}", it must be a number above 0.`);
        s.pub.speed = factor;
      },
    },
    {
      flags: '--fail-on-reason',
      description:
        '[extra] exit with the reason code when an MQTT v5 PUBACK/PUBREC reports a failure (>= 0x80); mosquitto_pub only warns and exits 0',
      apply: (s) => void (s.pub.failOnReason = true),
    },
  ],
};

/** What to publish, checked the way mosquitto_pub checks it before connecting. */
export function resolvePublish(state: OptionState): Omit<PubConfig, 'client'> {
  const source = messageSource(state);
  const replay = checkReplay(state);
  // --json-lines takes each topic from its record
  if ((state.topics.length === 0 && source?.kind !== 'json-lines') || source === undefined) throw new UsageError('Both topic and message must be supplied.');
  return {
    ...(replay && { replay }),
    topic: state.topics[0] ?? '',
    source,
    qos: state.qos,
    retain: state.pub.retain,
    repeat: state.pub.repeat,
    repeatDelay: state.pub.repeatDelay,
    failOnReason: state.pub.failOnReason,
  };
}

/** --replay-timing / --speed go with --json-lines, which takes no --repeat. */
function checkReplay(state: OptionState): PubConfig['replay'] {
  const { pub } = state;
  const timed = pub.replayTiming === true || pub.speed !== undefined;
  if (pub.mode !== 'json-lines') {
    if (timed) throw new UsageError('--replay-timing and --speed need --json-lines.');
    return undefined;
  }
  if (pub.repeatGiven) throw new UsageError('--repeat cannot be used with --json-lines.');
  if (pub.speed !== undefined && !pub.replayTiming) throw new UsageError('--speed needs --replay-timing.');
  return timed ? { speed: pub.speed ?? 1 } : undefined;
}

export function messageSource(state: OptionState): MessageSource | undefined {
  switch (state.pub.mode) {
    case 'message':
      return { kind: 'message', payload: Buffer.from(state.pub.message!, 'utf8') };
    case 'file':
      checkInputFile(state, state.pub.file!);
      return { kind: 'file', path: state.pub.file! };
    case 'stdin-file':
      return { kind: 'stdin-file' };
    case 'stdin-line':
      return { kind: 'stdin-line' };
    case 'null':
      return { kind: 'null' };
    case 'json-lines':
      return { kind: 'json-lines' };
    case undefined:
      return undefined;
  }
}

/**
 * mosquitto_pub loads -f before it connects, so an unreadable file is reported up front; the
 * runtime reads it later, so only openness and size are checked here. A directory counts as
 * unreadable (mosquitto would call it too large).
 */
function checkInputFile(state: OptionState, file: string): void {
  const fail = (why: string): never => {
    throw new CliError(state.conn.quiet ? '' : `Error: ${why}\nError loading input file "${file}".`, 1);
  };
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch {
    return fail(`Unable to open file "${file}".`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) fail(`Unable to open file "${file}".`);
    if (stat.size > MAX_PAYLOAD) fail(`File must be less than ${MAX_PAYLOAD} bytes.`);
  } finally {
    closeSync(fd);
  }
}
