/**
 * Round trips through a real Mosquitto: what `mqtt pub` sends must be what mosquitto_pub sends
 * for the same arguments and input (seen by a mosquitto_sub observer), and what `mqtt sub` prints
 * must be what mosquitto_sub prints for the same messages. Both tools run side by side.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodePacket, type Packet, PacketDecoder } from '../../src/core/protocol/codec.js';
import type { RunOptions, RunResult } from '../helpers/cli.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import {
  ALL_BYTES,
  at,
  both,
  expectSameOutcome,
  MOSQUITTO_PEERS,
  outcome,
  properties,
  publish,
  runClient,
  scratchFiles,
  type ScratchFiles,
  spawnClient,
  startSub,
  subsSideBySide,
  type Tool,
  uniqueId,
  VERSIONS,
} from '../helpers/pubsub.js';

describeIfTool(MOSQUITTO_PEERS, 'pub/sub round trips through Mosquitto, mqtt next to mosquitto_pub/mosquitto_sub', () => {
  let broker: Mosquitto;
  let files: ScratchFiles;
  let binFile: string;

  beforeAll(async () => {
    // no queue limit: 20,000 QoS 1 lines must not be dropped for a slow observer
    broker = await startMosquitto({ config: ['max_queued_messages 0'] });
    files = scratchFiles('roundtrip');
    binFile = files.allBytes;
  });
  afterAll(async () => {
    await broker?.stop();
    files?.remove();
  });

  interface Observed {
    topic: string;
    pub: RunResult;
    /** what each observer (mosquitto_sub) printed */
    seen: RunResult[];
  }

  /**
   * `tool pub … -t T` while mosquitto_sub observers (each `-t T` plus its own arguments) watch T;
   * the topic differs per tool, so observers print no topic.
   */
  async function pubObserved(tool: Tool, pubArgs: string[], observers: string[][], opts: RunOptions = {}): Promise<Observed> {
    const topic = `rt/${uniqueId(tool)}`;
    const watching = await Promise.all(observers.map((o) => startSub(broker, 'mosquitto', [...at(broker), '-t', topic, '-W', '15', ...o])));
    const pub = await runClient(tool, 'pub', [...at(broker), '-t', topic, ...pubArgs], opts);
    return { topic, pub, seen: await Promise.all(watching.map((w) => w.done)) };
  }

  /** Both publishers, observed the same way: same exit, same output, same bytes seen. Returns ours. */
  async function pubParity(pubArgs: string[], observers: string[][], opts: RunOptions = {}): Promise<Observed> {
    const r = await both((tool) => pubObserved(tool, pubArgs, observers, opts));
    expectSameOutcome(r.mqtt.pub, r.mosquitto.pub);
    r.mqtt.seen.forEach((seen, i) => expectSameOutcome(seen, r.mosquitto.seen[i]!));
    return r.mqtt;
  }

  /** -d lines with the client id and topic replaced, to compare two clients' debug output. */
  const debugLines = (o: Observed, id: string) => o.pub.stdout.toString('latin1').split(id).join('<id>').split(o.topic).join('<topic>');
  // in a series, what we send comes in a fixed order but when the broker's acks interleave with it
  // depends on timing (for both tools): received lines are compared as a sorted list
  const seriesLines = (o: Observed, id: string) => {
    const lines = debugLines(o, id).split('\n');
    const received = lines.filter((l) => l.includes(' received ')).sort();
    return [...lines.filter((l) => !l.includes(' received ')), '--', ...received].join('\n');
  };

  for (const version of VERSIONS) {
    describe(version.name, () => {
      it.each([0, 1, 2])('QoS %i: the message arrives once, with that QoS; -d prints the same flow', async (qos) => {
        const r = await both(async (tool) => {
          const id = uniqueId(`dbg-${tool}`);
          const o = await pubObserved(tool, [...version.args, '-q', String(qos), '-m', 'hello wörld', '-d', '-i', id], [['-q', '2', '-C', '1', '-F', '%q %r %l %p']]);
          return { ...o, debug: debugLines(o, id) };
        });
        expect(r.mqtt.seen[0]!.stdout.toString()).toBe(`${qos} 0 12 hello wörld\n`);
        expect(outcome(r.mqtt.seen[0]!)).toEqual(outcome(r.mosquitto.seen[0]!));
        expect(r.mqtt.pub.code).toBe(0);
        expect(r.mqtt.debug).toBe(r.mosquitto.debug);
        // libmosquitto numbers QoS 0 publishes too (m1), though the packet carries no identifier
        expect(r.mqtt.debug).toContain(`sending PUBLISH (d0, q${qos}, r0, m1, '<topic>', ... (12 bytes))`);
        const flow = [[], ['PUBACK'], ['PUBREC', 'PUBREL', 'PUBCOMP']][qos]!;
        expect([...r.mqtt.debug.matchAll(/(?:sending|received) (\w+)/g)].map((m) => m[1])).toEqual(['CONNECT', 'CONNACK', 'PUBLISH', ...flow, 'DISCONNECT']);
      });

      it('mqtt sub prints QoS 0/1/2 messages as mosquitto_sub does (default, -v, -F %q %m)', async () => {
        const t = `rt/${uniqueId('subqos')}`;
        const send = async () => {
          for (const q of ['0', '1', '2']) await publish(broker, [...version.args, '-t', t, '-q', q, '-m', `at qos ${q}`]);
        };
        for (const out of [[], ['-v'], ['-F', '%t %q %r %l %p|%m']]) {
          const r = await subsSideBySide(broker, [...version.args, '-t', t, '-q', '2', '-C', '3', ...out], send);
          expectSameOutcome(r.mqtt, r.mosquitto);
          expect(r.mqtt.code).toBe(0);
        }
      });
    });
  }

  it('retained: a later subscriber gets it with the retain flag; -r -n clears it', async () => {
    const r = await both(async (tool) => {
      const topic = `rt/${uniqueId(`ret-${tool}`)}`;
      const pub = (args: string[]) => runClient(tool, 'pub', [...at(broker), '-t', topic, ...args]);
      const set = await pub(['-r', '-q', '1', '-m', 'kept']);
      const later = await runClient('mosquitto', 'sub', [...at(broker), '-t', topic, '-q', '1', '-C', '1', '-W', '10', '-F', '%r %q %p']);
      const clear = await pub(['-r', '-n']);
      // --retained-only prints what is retained, then exits at the first live message
      const check = await startSub(broker, 'mosquitto', [...at(broker), '-t', topic, '--retained-only', '-v', '-W', '10']);
      await publish(broker, ['-t', topic, '-m', 'live']);
      return { set, later, clear, check: await check.done };
    });
    for (const step of ['set', 'later', 'clear', 'check'] as const) expectSameOutcome(r.mqtt[step], r.mosquitto[step]);
    expect(r.mqtt.later.stdout.toString()).toBe('1 1 kept\n');
    expect(r.mqtt.check.stdout.length).toBe(0);
    expect(r.mqtt.check.code).toBe(0);
  });

  it('-n publishes a zero-length message', async () => {
    const r = await pubParity(['-n', '-q', '1'], [['-q', '1', '-C', '1', '-F', '%l|%p|%q']]);
    expect(r.seen[0]!.stdout.toString()).toBe('0||1\n');
  });

  it('-f with every byte value arrives byte-exact (-F %x and default output)', async () => {
    const r = await pubParity(['-f', binFile, '-q', '1'], [['-C', '1', '-F', '%l %x'], ['-C', '1']]);
    expect(r.seen[0]!.stdout.toString()).toBe(`256 ${ALL_BYTES.toString('hex')}\n`);
    expect(r.seen[1]!.stdout.equals(Buffer.concat([ALL_BYTES, Buffer.from('\n')]))).toBe(true);
  });

  it('a 2 MB payload (-f) to a UTF-8 topic arrives byte-exact at mosquitto_sub and mqtt sub', async () => {
    const big = Buffer.alloc(2 * 1024 * 1024);
    for (let i = 0; i < big.length; i++) big[i] = (i * 7919) & 0xff;
    const bigFile = files.file('big.bin', big);
    const t = `rt/${uniqueId('big')}/ünï ✓`;
    const subs = await both((tool) => startSub(broker, tool, [...at(broker), '-t', t, '-q', '1', '-C', '1'], { timeoutMs: 30_000 }));
    const pub = await runClient('mqtt', 'pub', [...at(broker), '-t', t, '-q', '1', '-f', bigFile]);
    expect(outcome(pub)).toMatchObject({ code: 0, stderr: '' });
    const seen = await both((tool) => subs[tool].done);
    expect(seen.mosquitto.stdout.equals(Buffer.concat([big, Buffer.from('\n')]))).toBe(true);
    const firstDiff = seen.mqtt.stdout.findIndex((b, i) => b !== seen.mosquitto.stdout[i]);
    expect([seen.mqtt.stdout.length, firstDiff, seen.mqtt.code, seen.mqtt.stderr]).toEqual([big.length + 1, -1, 0, '']);
  });

  it('-s sends the whole of stdin, binary-safe, as one message', async () => {
    const input = Buffer.concat([ALL_BYTES, Buffer.from('\nsecond line\r\n'), ALL_BYTES]);
    const r = await pubParity(['-s', '-q', '2'], [['-C', '1', '-F', '%l %x']], { input });
    expect(r.seen[0]!.stdout.toString()).toBe(`${input.length} ${input.toString('hex')}\n`);
  });

  it('mqtt sub prints every byte value as mosquitto_sub does (default, -N, -F %x %X %p)', async () => {
    const t = `rt/${uniqueId('subbin')}`;
    for (const out of [[], ['-N'], ['-F', '%x|%X|%p|%l']]) {
      const r = await subsSideBySide(broker, ['-t', t, '-C', '1', ...out], () => publish(broker, ['-t', t, '-f', binFile]));
      expectSameOutcome(r.mqtt, r.mosquitto);
    }
  });

  const LINES = 20_000;
  const manyLines = Array.from({ length: LINES }, (_, i) => `line ${i + 1} ${'x'.repeat(i % 50)}`).join('\n') + '\n';

  it.each([0, 1])('-l at QoS %i: 20,000 lines on one connection, all received in order', async (qos) => {
    const r = await pubParity(['-l', '-q', String(qos)], [['-q', String(qos), '-C', String(LINES)]], { input: manyLines, timeoutMs: 30_000 });
    expect(r.pub.code).toBe(0);
    expect(r.seen[0]!.stdout.toString()).toBe(manyLines);
  }, 40_000);

  it('mqtt sub receives 20,000 QoS 1 messages in order, like mosquitto_sub', async () => {
    const t = `rt/${uniqueId('subflood')}`;
    const r = await subsSideBySide(broker, ['-t', t, '-q', '1', '-C', String(LINES)], () => publish(broker, ['-t', t, '-q', '1', '-l'], manyLines), {
      timeoutMs: 30_000,
    });
    expectSameOutcome(r.mqtt, r.mosquitto);
    expect(r.mqtt.stdout.toString()).toBe(manyLines);
  }, 40_000);

  it('-l publishes each line as it arrives, not at the end of stdin', async () => {
    const r = await both(async (tool) => {
      const topic = `rt/${uniqueId(`stream-${tool}`)}`;
      const observer = await startSub(broker, 'mosquitto', [...at(broker), '-t', topic, '-C', '2', '-W', '10']);
      const pub = spawnClient(tool, 'pub', [...at(broker), '-t', topic, '-l', '-q', '1']);
      pub.proc.stdin!.write('first\n');
      // the first line is out while stdin is still open
      await broker.waitForLog(new RegExp(`Sending PUBLISH to mosquitto-[^ ]+ \\(d0, q0, r0, m0, '${topic}'`));
      pub.proc.stdin!.end('second\n');
      return { pub: await pub.done, seen: await observer.done };
    });
    expectSameOutcome(r.mqtt.pub, r.mosquitto.pub);
    expect(outcome(r.mqtt.pub)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expectSameOutcome(r.mqtt.seen, r.mosquitto.seen);
    expect(r.mqtt.seen.stdout.toString()).toBe('first\nsecond\n');
  });

  it('-l keeps empty lines and \\r, and sends a last line without \\n', async () => {
    const r = await pubParity(['-l', '-q', '1'], [['-C', '6', '-F', '%l:%x']], { input: 'a\n\nb\r\n\r\n\n€ last' });
    expect(r.seen[0]!.stdout.toString()).toBe(['1:61', '0:', '2:620d', '1:0d', '0:', `8:${Buffer.from('€ last').toString('hex')}`].join('\n') + '\n');
  });

  it('-l with empty stdin publishes nothing and exits 0 at once', async () => {
    const r = await both(async (tool) => {
      const topic = `rt/${uniqueId(`empty-${tool}`)}`;
      const observer = await startSub(broker, 'mosquitto', [...at(broker), '-t', topic, '-C', '1', '-W', '10']);
      const pub = await runClient(tool, 'pub', [...at(broker), '-t', topic, '-l', '-q', '1'], { input: '' });
      // anything -l had sent would arrive before this
      await publish(broker, ['-t', topic, '-m', 'probe']);
      return { pub, seen: await observer.done };
    });
    expectSameOutcome(r.mqtt.pub, r.mosquitto.pub);
    expect(outcome(r.mqtt.pub)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(r.mqtt.seen.stdout.toString()).toBe('probe\n');
    expectSameOutcome(r.mqtt.seen, r.mosquitto.seen);
  });

  it('--repeat sends the message n times; --repeat-delay waits between them', async () => {
    const plain = await pubParity(['-m', 'again', '--repeat', '3', '-q', '1'], [['-C', '3']]);
    expect(plain.seen[0]!.stdout.toString()).toBe('again\nagain\nagain\n');

    const r = await both((tool) => pubObserved(tool, ['-m', 'slow', '--repeat', '3', '--repeat-delay', '0.3', '-q', '1'], [['-C', '3', '-F', '%U %p']]));
    expectSameOutcome(r.mqtt.pub, r.mosquitto.pub);
    for (const tool of ['mosquitto', 'mqtt'] as const) {
      const lines = r[tool].seen[0]!.stdout.toString().trimEnd().split('\n');
      expect(lines.map((l) => l.split(' ')[1])).toEqual(['slow', 'slow', 'slow']);
      const times = lines.map((l) => Number(l.split(' ')[0]));
      // at least the delay between deliveries (a little slack for the observer's clock readings)
      expect(times[1]! - times[0]!, tool).toBeGreaterThanOrEqual(0.28);
      expect(times[2]! - times[1]!, tool).toBeGreaterThanOrEqual(0.28);
    }
  });

  const PROPS = properties(
    'publish',
    ['user-property', 'k', 'v'],
    ['content-type', 'text/plain; charset=utf-8'],
    ['user-property', 'k2', 'v 2'],
    ['message-expiry-interval', '3600'],
    ['response-topic', 'reply/here'],
    ['correlation-data', 'corr-1'],
    ['payload-format-indicator', '1'],
  );
  /** a key that comes back after another one */
  const INTERLEAVED = properties('publish', ['user-property', 'k', 'v'], ['user-property', 'k2', 'v 2'], ['user-property', 'k', 'again']);
  const PROPS_FORMAT = ['-V', '5', '-C', '1', '-F', '%P|%C|%E|%R|%D|%F|%A|%p|%j'];
  const withoutTst = (r: RunResult) => r.stdout.toString().replace(/"tst":"[^"]+"/, '"tst":"<tst>"');

  it('-D publish properties reach a v5 subscriber (user properties, content type, expiry, response topic, correlation data, format)', async () => {
    const r = await both((tool) => pubObserved(tool, [...PROPS, '-q', '1', '-m', 'with props'], [PROPS_FORMAT]));
    expectSameOutcome(r.mqtt.pub, r.mosquitto.pub);
    // %j's property keys follow the wire order, so this also shows the properties go out in -D order
    expect(withoutTst(r.mqtt.seen[0]!).split(r.mqtt.topic).join('T')).toBe(withoutTst(r.mosquitto.seen[0]!).split(r.mosquitto.topic).join('T'));
    expect(r.mqtt.seen[0]!.stdout.toString()).toMatch(/^k:v k2:v 2\|text\/plain; charset=utf-8\|3600\|reply\/here\|corr-1\|1\|\|with props\|\{"tst"/);
  });

  // [MQTT-3.3.2-18] user properties keep their order, a repeated key included (src/core/protocol/user-properties.ts)
  it('-D user properties with a repeated key go out in -D order', async () => {
    const r = await pubParity([...INTERLEAVED, '-m', 'x'], [['-V', '5', '-C', '1', '-F', '%P']]);
    expect(r.seen[0]!.stdout.toString()).toBe('k:v k2:v 2 k:again\n');
  });

  it('mqtt sub prints user properties with a repeated key in wire order (%P)', async () => {
    const t = `rt/${uniqueId('subprops')}`;
    const r = await subsSideBySide(broker, ['-V', '5', '-t', t, '-C', '1', '-F', '%P'], () => publish(broker, ['-t', t, ...INTERLEAVED, '-m', 'x']));
    expect(r.mosquitto.stdout.toString()).toBe('k:v k2:v 2 k:again\n');
    expectSameOutcome(r.mqtt, r.mosquitto);
  });

  it('-d numbers a series of publishes as libmosquitto does (-l and --repeat, QoS 0 and 1, retained)', async () => {
    for (const [args, input, count] of [
      [['-l'], 'a\nb\nc\n', 3],
      [['-l', '-q', '1', '-r'], 'a\n\nc', 3],
      [['-m', 'x', '--repeat', '3', '-r'], '', 3],
      [['-n', '--repeat', '2', '-q', '2', '-V', '5'], '', 2],
    ] as const) {
      const r = await both(async (tool) => {
        const id = uniqueId(`series-${tool}`);
        const o = await pubObserved(tool, [...args, '-d', '-i', id], [['-C', String(count)]], { input });
        return { ...o, debug: seriesLines(o, id) };
      });
      expect(r.mqtt.debug, args.join(' ')).toBe(r.mosquitto.debug);
      expectSameOutcome(r.mqtt.seen[0]!, r.mosquitto.seen[0]!);
    }
  });

  it('-D publish topic-alias with --repeat: the first publish names the topic, later ones only the alias; all arrive', async () => {
    const r = await both(async (tool) => {
      const id = uniqueId(`alias-${tool}`);
      const args = [...properties('publish', ['topic-alias', '3'], ['user-property', 'n', '1']), '--repeat', '3', '-q', '1', '-m', 'aliased', '-d', '-i', id];
      const o = await pubObserved(tool, args, [['-V', '5', '-C', '3', '-F', '%t|%P|%A|%p']]);
      return { ...o, debug: debugLines(o, id) };
    });
    expect(r.mqtt.seen[0]!.stdout.toString().split(r.mqtt.topic).join('T')).toBe('T|n:1||aliased\n'.repeat(3));
    expect(r.mqtt.debug).toBe(r.mosquitto.debug);
    const sent = r.mqtt.debug.split('\n').filter((l) => l.includes('sending PUBLISH'));
    expect(sent.map((l) => /'([^']*)'/.exec(l)![1])).toEqual(['<topic>', '(null)', '(null)']);
  });
});

describe('QoS 2 delivery order (a scripted server)', () => {
  /**
   * A server that answers CONNECT and SUBSCRIBE, then sends a QoS 2 "first" and right behind it a
   * QoS 0 "second", and sends the PUBREL for "first" only once it has the PUBREC.
   */
  async function scriptedServer(): Promise<{ port: number; close: () => void }> {
    const server = net.createServer((socket) => {
      socket.on('error', () => {});
      const send = (p: Packet) => socket.write(encodePacket(p, 4));
      const decoder = new PacketDecoder({
        protocolVersion: 4,
        onError: () => socket.destroy(),
        onPacket: (p) => {
          if (p.cmd === 'connect') send({ cmd: 'connack', returnCode: 0, sessionPresent: false });
          if (p.cmd === 'subscribe') {
            send({ cmd: 'suback', messageId: p.messageId, granted: [2] });
            socket.write(
              Buffer.concat([
                encodePacket({ cmd: 'publish', topic: 'q2/order', payload: Buffer.from('first'), qos: 2, messageId: 7, retain: false, dup: false }, 4),
                encodePacket({ cmd: 'publish', topic: 'q2/order', payload: Buffer.from('second'), qos: 0, retain: false, dup: false }, 4),
              ]),
            );
          }
          if (p.cmd === 'pubrec') send({ cmd: 'pubrel', messageId: p.messageId });
        },
      });
      socket.on('data', (d) => decoder.push(d));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
  }

  // libmosquitto hands a QoS 2 message over at PUBREL, so a QoS 0 message sent right behind it
  // overtakes it. mqtt sub delivers a held QoS 2 message as soon as a later PUBLISH arrives (it has
  // answered PUBREC, so that is allowed): the order of publication survives a slow PUBREL.
  it('a QoS 0 message right behind a QoS 2 one does not overtake it', async () => {
    const server = await scriptedServer();
    try {
      const r = await runClient('mqtt', 'sub', ['-h', '127.0.0.1', '-p', String(server.port), '-t', 'q2/#', '-q', '2', '-C', '2', '-v']);
      expect(outcome(r)).toMatchObject({ code: 0, stdout: 'q2/order first\nq2/order second\n', stderr: '' });
    } finally {
      server.close();
    }
  });
});

