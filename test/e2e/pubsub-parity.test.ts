/**
 * The whole CLI path, byte for byte: the same messages (text, every kind of binary byte, empty,
 * retained, UTF-8, MQTT 5 user properties, content type, response topic, correlation data, JSON)
 * received at the same time by mosquitto_sub and by `mqtt sub`, for the default output, -v, -N,
 * -d and many -F formats. test/e2e/format-parity.test.ts checks the renderer against mosquitto_sub;
 * this checks what reaches stdout through client, printer and batching. Timestamps mosquitto takes
 * from its own clock (%j's tst, %U) are masked after a format check.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { RunResult } from '../helpers/cli.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { at, both, MOSQUITTO_PEERS, outcome, properties, publish, type ScratchFiles, scratchFiles, startSub, type Tool, TOOLS, uniqueId } from '../helpers/pubsub.js';

interface Mode {
  name: string;
  args: string[];
  /** subscribe with MQTT 5 (default) or 3.1.1 */
  v311?: boolean;
}

const MODES: Mode[] = [
  { name: 'default output', args: [] },
  { name: 'default output, MQTT 3.1.1', args: [], v311: true },
  { name: '-v', args: ['-v'] },
  { name: '-v, MQTT 3.1.1', args: ['-v'], v311: true },
  { name: '-N', args: ['-N'] },
  { name: '-v -N', args: ['-v', '-N'] },
  { name: '-d (debug lines between the messages)', args: ['-d', '-v'] },
  { name: '-F fields', args: ['-F', '%t|%p|%l|%q|%r|%m'] },
  { name: '-F %x %X', args: ['-F', '%x|%X'] },
  { name: '-F %j', args: ['-F', '%j'] },
  { name: '-F %j, MQTT 3.1.1', args: ['-F', '%j'], v311: true },
  { name: '-F %j --pretty', args: ['-F', '%j', '--pretty'] },
  { name: '-F %J (non-JSON payloads reported on stderr)', args: ['-F', 'J=%J'] },
  { name: '-F v5 properties', args: ['-F', '%P|%C|%R|%D|%F|%A|%S'] },
  { name: '-F width and precision', args: ['-F', '%10t|%-10.3t|%.5t|%5p|%-8l|%05l|%3q|%-4m|%.4R|%8C|%-9.2C|%06S|'] },
  { name: '-F hex width (2.0 halving)', args: ['-F', '%10x|%-12X|%4x|%1x'] },
  { name: '-F escapes and literals', args: ['-F', '\\t%t\\0%p\\e[0m\\\\|%%|@@|%-5%|\\a\\v\\r'] },
  { name: '-F %U and %I (clock masked)', args: ['-F', '%U|%l'] },
  { name: '-F with -N', args: ['-F', '%t=%p;', '-N'] },
];

const COUNT = 8; // the retained message and seven live ones

/** Masks what each process reads from its own clock, after checking its shape. */
function masked(r: RunResult): string {
  return r.stdout
    .toString('latin1')
    .replace(/"tst":(\t?)"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z[+-]\d{4})"/g, '"tst":$1"<tst>"')
    .replace(/^\d{10}\.\d{9}\|/gm, '<unix time>|');
}

describeIfTool(MOSQUITTO_PEERS, 'mqtt sub prints exactly what mosquitto_sub prints, end to end', () => {
  let broker: Mosquitto;
  let files: ScratchFiles | undefined;
  const results = new Map<string, Record<Tool, RunResult>>();
  const ids = new Map<string, Record<Tool, string>>();

  beforeAll(async () => {
    broker = await startMosquitto();
    files = scratchFiles('pubsub-parity');
    // NUL, 0xff, invalid UTF-8, quotes, backslash, newline, DEL, C1 and valid UTF-8
    const binFile = files.file('binary', Buffer.from([0x00, 0x01, 0xff, 0xfe, 0x22, 0x5c, 0x0a, 0x7f, 0x80, 0x41, 0xc3, 0xa9, 0x00, 0x0d]));
    const base = `parity/${uniqueId('p')}`;

    // Subscribers ask for QoS 1: a QoS 2 delivery reaches the application at PUBREL, so under
    // load a later QoS 0/1 message can overtake it, in mosquitto_sub as well.
    // retained before anyone subscribes: every subscriber gets it first, with the retain flag
    await publish(broker, ['-t', `${base}/retained`, '-q', '1', '-r', '-m', 'kept']);

    const running = await Promise.all(
      MODES.map(async (mode) => {
        const version = mode.v311 ? ['-V', '311'] : ['-V', '5', ...properties('subscribe', ['subscription-identifier', '7'])];
        const byTool = await both(async (tool) => {
          const id = uniqueId(`${tool}-parity`);
          const sub = await startSub(broker, tool, [...at(broker), ...version, '-t', `${base}/#`, '-q', '1', '-C', String(COUNT), '-W', '30', ...mode.args], { id, timeoutMs: 40_000 });
          return { sub, id };
        });
        ids.set(mode.name, { mosquitto: byTool.mosquitto.id, mqtt: byTool.mqtt.id });
        return [mode.name, byTool] as const;
      }),
    );

    const v5 = ['-V', '5'];
    await publish(broker, ['-t', `${base}/text`, '-q', '0', '-m', 'hello world']);
    await publish(broker, ['-t', `${base}/binary`, '-q', '1', '-f', binFile]);
    await publish(broker, ['-t', `${base}/empty`, '-q', '2', '-n']);
    await publish(broker, [
      ...v5,
      ...['-t', `${base}/props`, '-q', '1'],
      ...properties(
        'publish',
        ['user-property', 'a', '1'],
        ['content-type', 'application/json'],
        ['user-property', 'b', 'two words'],
        ['response-topic', 'reply/to'],
        ['correlation-data', 'corr\x01"data'],
        ['payload-format-indicator', '1'],
      ),
      ...['-m', '{"k":[1,2.5,"x\\u00e9"],"n":null,"t":true}'],
    ]);
    await publish(broker, ['-t', `${base}/ünïcödé/topic`, '-q', '2', '-m', 'café ✓ 日本']);
    await publish(broker, ['-t', `${base}/long`, '-q', '0', '-m', 'x'.repeat(150) + 'END']);
    await publish(broker, ['-t', `${base}/ctl`, '-q', '1', '-m', 'tab\there\r\nquote"back\\slash\x1b[0m']);

    for (const [name, byTool] of running) results.set(name, await both((tool) => byTool[tool].sub.done));
  }, 60_000);

  afterAll(async () => {
    await broker?.stop();
    files?.remove();
  });

  it.each(MODES.map((m) => [m.name, m] as const))('%s', (name) => {
    const r = results.get(name)!;
    const id = ids.get(name)!;
    for (const tool of TOOLS) expect(outcome(r[tool]), tool).toMatchObject({ code: 0, signal: null });
    // -d lines name the client
    const text = (tool: Tool) => masked(r[tool]).split(id[tool]).join('<id>');
    expect(text('mqtt')).toBe(text('mosquitto'));
    expect(r.mqtt.stderr).toBe(r.mosquitto.stderr);
    if (name.startsWith('-F %j')) expect(masked(r.mqtt).match(/<tst>/g)).toHaveLength(COUNT);
    if (name.startsWith('-F %U')) expect(masked(r.mqtt).match(/<unix time>/g)).toHaveLength(COUNT);
  });

  it('the outputs are not trivially equal: the messages arrived, in order, with their properties', () => {
    const verbose = results.get('-v')!.mqtt.stdout.toString('latin1');
    expect(verbose.split('\n')[0]).toMatch(/\/retained kept$/);
    expect(verbose).toContain('/empty (null)\n');
    expect(verbose).toContain('\x00\x01\xff\xfe"\\\n\x7f\x80A\xc3\xa9\x00\r\n');
    expect(results.get('-F v5 properties')!.mqtt.stdout.toString()).toContain('a:1 b:two words|application/json|reply/to|corr\x01"data|1||7\n');
    expect(results.get('-F %J (non-JSON payloads reported on stderr)')!.mqtt.stderr).toMatch(/^Error: Message payload is not valid JSON on topic parity\/.*\/retained\.\n/);
    expect(results.get('-F %j, MQTT 3.1.1')!.mqtt.stdout.toString()).not.toContain('"properties"');
    expect(results.get('-F %j')!.mqtt.stdout.toString()).toContain('"properties":{"subscription-identifier":7');
  });
});
