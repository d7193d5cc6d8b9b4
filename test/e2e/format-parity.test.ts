/**
 * Byte-for-byte parity of src/output with the real mosquitto_sub 2.0 (Debian's cJSON build).
 *
 * Every mosquitto_sub run below receives the same messages from a real Mosquitto. Runs with a -F
 * template append a lossless capture trailer to it ("\x02" fields "\x03"): topic, payload in hex,
 * QoS, retain, mid, the properties, and `@s`/`@N`, which come from the very clock reading that all
 * @-codes of that record used. Each record is parsed back into a ReceivedMessage and rendered with
 * our module; the part before the trailer must be identical. %j, %J, %I and %U read the clock on
 * their own in mosquitto, so their timestamps are checked for plausibility and then masked.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { compileFormat, renderFormat } from '../../src/output/format-template.js';
import type { ReceivedMessage } from '../../src/output/message.js';
import { formatMessage } from '../../src/output/print-message.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { restoreTzAfterEach } from '../helpers/tz.js';

interface Proc {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}

function runProc(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Proc> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    p.stdout.on('data', (d: Buffer) => out.push(d));
    p.stderr.on('data', (d: Buffer) => (err += d.toString('utf8')));
    p.on('error', reject);
    p.on('close', (code) => resolve({ code, stdout: Buffer.concat(out), stderr: err }));
  });
}

const SEP = '\x1f';
const TRAILER_FIELDS = ['%t', '%x', '%q', '%r', '%m', '@s', '@N', '%C', '%R', '%E', '%F', '%S', '%A', '%P', '%D'];
const TRAILER = '\x02' + TRAILER_FIELDS.join(SEP) + '\x03';
const MESSAGE_COUNT = 8;

const AT_CODES =
  '@Y-@m-@d @H:@M:@S.@N @z @Z|@a @A @b @B @c|@C @D @e @F @g @G @h @I @j @k @l|@p @P @r @R @s @T' +
  '|@u @U @V @w @W @x @X @y|@% @@ @q @E @5 @0 @-|@n@t';

interface SubRun {
  name: string;
  format?: string;
  args?: string[];
  v5?: boolean;
  pretty?: boolean;
  tz?: string;
  /** which timestamps mosquitto takes from its own clock readings */
  masks?: Array<'tst' | 'iso'>;
}

const FORMAT_RUNS: SubRun[] = [
  { name: 'topic', format: '%t' },
  { name: 'topic width/precision', format: '%10t|%-10t|%.3t|%10.2t|%-6.4t|%06t|%-30t|' },
  { name: 'payload', format: '%p' },
  { name: 'payload width', format: '%5.2p|%-8p|%08p|%3p|%-03p|%20p|' },
  { name: 'hex', format: '%x|%X' },
  { name: 'hex width (2.0 halving bug)', format: '%10x|%-12X|%3x|%04x|%1x|%-1X|%30X|' },
  { name: 'numbers', format: '%l %q %r %m|%5l|%-5m|%05q|%03l|%-03m|%8r|' },
  { name: 'v5 properties', format: '%P|%C|%R|%E|%F|%S|%A' },
  { name: 'v5 property widths', format: '%8C|%-8R|%6E|%06F|%-4S|%5A|%05A|%.4C|%08E|%-6.3R|' },
  { name: 'correlation data', format: '%D' },
  { name: 'json %j', format: '%j', masks: ['tst'] },
  { name: 'json %j --pretty', format: '%j', pretty: true, masks: ['tst'] },
  { name: 'json %J', format: '%J', masks: ['tst'] },
  { name: 'json %J --pretty', format: 'J=%J', pretty: true, masks: ['tst'] },
  { name: 'json %j MQTT 3.1.1', format: '%j', v5: false, masks: ['tst'] },
  { name: '@ codes UTC', format: AT_CODES, tz: 'UTC' },
  { name: '@ codes Europe/Berlin', format: AT_CODES, tz: 'Europe/Berlin' },
  { name: '@ codes America/New_York', format: AT_CODES, tz: 'America/New_York' },
  { name: 'escapes', format: '\\\\|\\a|\\e|\\n|\\r|\\t|\\v|\\0|%%|@@|%-5%|' },
  { name: '%I and %U', format: '%I|%5I|%-30I|%.10I|%30.13I|%U', tz: 'Asia/Kolkata', masks: ['iso'] },
];

const PLAIN_RUNS: Array<{ name: string; args: string[]; verbose: boolean; noEol: boolean }> = [
  { name: 'default', args: [], verbose: false, noEol: false },
  { name: '-v', args: ['-v'], verbose: true, noEol: false },
  { name: '-v -N', args: ['-v', '-N'], verbose: true, noEol: true },
  { name: '-N', args: ['-N'], verbose: false, noEol: true },
];

/** One parsed record of a trailer run. */
interface Record_ {
  printed: Buffer;
  msg: ReceivedMessage;
}

function parseTrailerRun(out: Buffer, v5: boolean): Record_[] {
  const records: Record_[] = [];
  let pos = 0;
  while (pos < out.length) {
    const end = out.indexOf(0x03, pos);
    const start = out.lastIndexOf(0x02, end);
    expect(end).toBeGreaterThan(0);
    records.push({ printed: out.subarray(pos, start), msg: parseFields(out.subarray(start + 1, end), v5) });
    expect(out[end + 1]).toBe(0x0a);
    pos = end + 2;
  }
  return records;
}

function parseFields(raw: Buffer, v5: boolean): ReceivedMessage {
  const parts: Buffer[] = [];
  for (let at = 0; ; ) {
    const next = raw.indexOf(0x1f, at);
    parts.push(raw.subarray(at, next < 0 ? raw.length : next));
    if (next < 0) break;
    at = next + 1;
  }
  const f = Object.fromEntries(TRAILER_FIELDS.map((name, i) => [name, parts[i]!])) as Record<string, Buffer>;
  const text = (k: string) => f[k]!.toString('utf8');
  const seconds = Number(text('@s'));
  const nanos = Number(text('@N'));
  const msg: ReceivedMessage = {
    topic: text('%t'),
    payload: Buffer.from(text('%x'), 'hex'),
    qos: Number(text('%q')) as 0 | 1 | 2,
    retain: text('%r') === '1',
    mid: Number(text('%m')),
    receivedAt: { epochMs: seconds * 1000 + Math.floor(nanos / 1e6), nanos },
  };
  if (!v5) return msg;
  // the order Mosquitto 2.0 sends them in, which is the key order mqtt-packet would produce
  const props: Record<string, unknown> = {};
  if (text('%S')) props.subscriptionIdentifier = Number(text('%S'));
  const pairs = text('%P')
    ? text('%P')
        .split(' ')
        .map((kv) => [kv.slice(0, kv.indexOf(':')), kv.slice(kv.indexOf(':') + 1)] as const)
    : [];
  if (pairs.length > 0) {
    const up: Record<string, string | string[]> = {};
    for (const [k, v] of pairs) {
      const prev = up[k];
      up[k] = prev === undefined ? v : ([] as string[]).concat(prev, v);
    }
    props.userProperties = up;
    msg.userPropertyList = pairs;
  }
  if (text('%C')) props.contentType = text('%C');
  if (text('%R')) props.responseTopic = text('%R');
  if (f['%D']!.length > 0) props.correlationData = Buffer.from(f['%D']!);
  if (text('%F')) props.payloadFormatIndicator = text('%F') === '1';
  if (text('%E')) props.messageExpiryInterval = Number(text('%E')) >>> 0;
  if (text('%A')) props.topicAlias = Number(text('%A'));
  if (Object.keys(props).length > 0) msg.properties = props;
  return msg;
}

/** Masks a clock reading mosquitto took separately, after checking it is within a second of SECONDS. */
function maskTimes(b: Buffer, masks: SubRun['masks'], seconds: number, tz: string): string {
  let s = b.toString('latin1');
  if (masks?.includes('tst')) {
    s = s.replace(/"tst":(\t?)"([^"]*)"/g, (_m, tab: string, tst: string) => {
      const m = /^(\d{4})-(\d\d)-(\d\d)T(\d\d):(\d\d):(\d\d)\.\d{6}Z([+-])(\d\d)(\d\d)$/.exec(tst);
      expect(m, `tst ${tst}`).not.toBeNull();
      const [, y, mo, d, h, mi, se, sign, oh, om] = m!;
      const offset = (sign === '-' ? -1 : 1) * (Number(oh) * 3600 + Number(om) * 60);
      const t = Date.UTC(+y!, +mo! - 1, +d!, +h!, +mi!, +se!) / 1000 - offset;
      expect(Math.abs(t - seconds), `tst ${tst} (${tz}) vs ${seconds}`).toBeLessThanOrEqual(1);
      return `"tst":${tab}"<tst>"`;
    });
  }
  if (masks?.includes('iso')) s = s.replace(/(\d+)\.\d{9}$/, '$1.<ns>');
  return s;
}

/** Matches once the log contains every one of LINES (one wait instead of one per line). */
function allLogged(lines: string[]): RegExp {
  const escape = (t: string) => t.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return new RegExp('^' + lines.map((l) => `(?=[^]*${escape(l)})`).join(''));
}

describeIfTool(['mosquitto', 'mosquitto_sub', 'mosquitto_pub'], 'mosquitto_sub output parity', () => {
  let broker: Mosquitto;
  let dir: string;
  const formatResults = new Map<string, Proc>();
  const plainResults = new Map<string, Proc>();
  restoreTzAfterEach();

  const pub = async (args: string[]) => {
    const r = await runProc('mosquitto_pub', ['-p', String(broker.port), ...args]);
    expect(r.code, r.stderr).toBe(0);
  };

  beforeAll(async () => {
    broker = await startMosquitto();
    dir = mkdtempSync(path.join(tmpdir(), 'mqtt-parity-'));
    const binFile = path.join(dir, 'bin');
    writeFileSync(binFile, Buffer.from([0x00, 0x01, 0xff, 0x7f, 0x22, 0x5c, 0x0a, 0x41, 0xc3, 0xa9, 0x09]));

    // retained before anyone subscribes, so every subscriber gets it with the retain flag
    await pub(['-t', 'fmt/retained', '-q', '1', '-r', '-m', 'kept']);

    const subs: Array<Promise<void>> = [];
    const ids: string[] = [];
    const start = (id: string, extra: string[], v5: boolean, tz: string, into: Map<string, Proc>, key: string) => {
      ids.push(id);
      const args = ['-p', String(broker.port), '-i', id, '-t', 'fmt/#', '-q', '2', '-C', String(MESSAGE_COUNT)];
      args.push('-W', '30');
      if (v5) args.push('-V', '5', '-D', 'subscribe', 'subscription-identifier', '7');
      subs.push(runProc('mosquitto_sub', [...args, ...extra], { TZ: tz }).then((r) => void into.set(key, r)));
    };
    for (const [i, run] of FORMAT_RUNS.entries()) {
      const extra = ['-F', run.format + TRAILER, ...(run.pretty ? ['--pretty'] : [])];
      start(`fmt-${i}`, extra, run.v5 !== false, run.tz ?? 'UTC', formatResults, run.name);
    }
    for (const [i, run] of PLAIN_RUNS.entries()) {
      start(`plain-${i}`, run.args, false, 'UTC', plainResults, run.name);
    }
    await broker.waitForLog(allLogged(ids.map((id) => `Sending SUBACK to ${id}\n`)));

    // libmosquitto hands a QoS 2 message to the application only on PUBREL, so a later QoS 0/1
    // message could overtake it; wait until every subscriber has completed the QoS 2 flow
    let mid = 1; // the retained QoS 1 message took packet id 1 on every subscriber
    const send = async (args: string[]) => {
      await pub(args);
      const qos = args[args.indexOf('-q') + 1];
      if (qos === '0') return;
      mid++;
      if (qos === '2') await broker.waitForLog(allLogged(ids.map((id) => `Received PUBCOMP from ${id} (Mid: ${mid},`)));
    };
    const v5 = ['-V', '5'];
    await send(['-t', 'fmt/text', '-q', '0', '-m', 'hello world']);
    await send(['-t', 'fmt/bin', '-q', '1', '-f', binFile]);
    await send(['-t', 'fmt/empty', '-q', '2', '-n']);
    await send([
      ...v5,
      ...['-t', 'fmt/props', '-q', '1'],
      ...['-D', 'publish', 'user-property', 'a', '1'],
      ...['-D', 'publish', 'content-type', 'application/json'],
      ...['-D', 'publish', 'user-property', 'b', '2'],
      ...['-D', 'publish', 'response-topic', 're/sp'],
      ...['-D', 'publish', 'user-property', 'a', '3'],
      ...['-D', 'publish', 'correlation-data', 'c"d\x01'],
      ...['-D', 'publish', 'message-expiry-interval', '3600'],
      ...['-D', 'publish', 'payload-format-indicator', '1'],
      ...['-m', '{"a":[1,2.50,"x\\u00e9\\/",true,null],"b":{},"c":-0,"d":1e21,"e":0.1, "f" : [[],{"g":{}}]}'],
    ]);
    await send(['-t', 'fmt/ünï/a/rather/long/topic/name', '-q', '0', '-m', 'café ünïcode']);
    await send([...v5, '-t', 'fmt/expiry', '-q', '2', '-D', 'publish', 'message-expiry-interval', '4294967295', '-m', '[1,"two"]']);
    await send(['-t', 'fmt/ctl', '-q', '0', '-m', 'tab\there\r\nquote"back\\slash\x1b[0m']);
    await Promise.all(subs);
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  /** The messages as mosquitto_sub saw them (from the plain %t run). */
  const messages = (): ReceivedMessage[] =>
    parseTrailerRun(formatResults.get('topic')!.stdout, true).map((r) => ({ ...r.msg, properties: undefined }));

  it.each(FORMAT_RUNS.map((r) => [r.name, r] as const))('-F %s', (_name, run) => {
    const result = formatResults.get(run.name)!;
    expect(result.code, result.stderr).toBe(0);
    process.env.TZ = run.tz ?? 'UTC';
    const compiled = compileFormat(run.format!);
    const records = parseTrailerRun(result.stdout, run.v5 !== false);
    expect(records).toHaveLength(MESSAGE_COUNT);
    const warnings: string[] = [];
    for (const { printed, msg } of records) {
      const seconds = Math.floor(msg.receivedAt.epochMs / 1000);
      const ours = renderFormat(compiled, msg, { pretty: !!run.pretty, noEol: true, warn: (l) => warnings.push(l) });
      if (!run.masks) {
        expect(ours.toString('latin1'), `topic ${msg.topic}`).toBe(printed.toString('latin1'));
        expect(ours.equals(printed)).toBe(true);
        continue;
      }
      const theirs = maskTimes(printed, run.masks, seconds, run.tz ?? 'UTC');
      // %I/%U read the clock just before the trailer's @s: same second, or the one before
      const candidates = [0, -1].map((d) => {
        const shifted = { ...msg, receivedAt: { ...msg.receivedAt, epochMs: msg.receivedAt.epochMs + d * 1000 } };
        return maskTimes(renderFormat(compiled, shifted, { pretty: !!run.pretty, noEol: true }), run.masks, seconds, 'ours');
      });
      expect(candidates, `topic ${msg.topic}`).toContain(theirs);
    }
    const expectedStderr = warnings.map((l) => l + '\n').join('');
    expect(result.stderr).toBe(expectedStderr);
  });

  it.each(PLAIN_RUNS.map((r) => [r.name, r] as const))('plain output %s', (_name, run) => {
    const result = plainResults.get(run.name)!;
    expect(result.code, result.stderr).toBe(0);
    const ours = Buffer.concat(
      messages().map((msg) => formatMessage(msg, { verbose: run.verbose, noEol: run.noEol, pretty: false, json: false })),
    );
    expect(ours.toString('latin1')).toBe(result.stdout.toString('latin1'));
  });

  it('%J reports non-JSON payloads on stderr like mosquitto', () => {
    const stderr = formatResults.get('json %J')!.stderr;
    expect(stderr).toContain('Error: Message payload is not valid JSON on topic fmt/text.\n');
    expect(stderr).not.toContain('fmt/props');
  });
});
