/**
 * Wills and signals: a client killed outright leaves its will to the broker; mosquitto_sub's
 * Ctrl-C/SIGTERM after CONNACK sends DISCONNECT with reason 0x04 "disconnect with will message"
 * under MQTT 5 (so the will IS published) and a plain DISCONNECT under 3.1.1 (so it is not).
 * Each case runs with mosquitto_sub and with `mqtt sub`; a mosquitto_sub observer reports what
 * the broker published.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunResult } from '../helpers/cli.js';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import {
  at,
  both,
  expectSameOutcome,
  MOSQUITTO_PEERS,
  outcome,
  properties,
  publish,
  spawnClient,
  startSub,
  type Tool,
  uniqueId,
  VERSIONS,
} from '../helpers/pubsub.js';

describeIfTool(MOSQUITTO_PEERS, 'wills and signals, mqtt next to mosquitto_sub/mosquitto_pub', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker?.stop());

  /** Resolves once Mosquitto has dropped the client (after any will it had to publish). */
  const gone = (id: string) => broker.waitForLog(new RegExp(`Client ${id} (disconnected|closed its connection)`));

  interface Victim {
    id: string;
    willTopic: string;
    /** the victim's own exit and output */
    victim: RunResult;
    /** what the observer saw: the will, or else the probe published after the victim was gone */
    seen: RunResult;
  }

  /**
   * Starts a `tool sub` with a will, ends it with `signal` once it is past CONNACK and its first
   * message (the PUBACK for a retained QoS 1 message waiting on its topic, so -d output is the
   * same every time), then publishes a probe on another observed topic.
   *
   * mosquitto_sub's signal handler calls mosquitto_disconnect(), which is not async-signal-safe
   * (with -d it even printf()s): a signal that lands while the loop holds a lock deadlocks it.
   * That is mosquitto's bug, not the behaviour under test, so the victims run without -d and a
   * mosquitto_sub that has not exited 3 s after the signal is killed and the scenario tried
   * again, up to five times (ours gets no second chance).
   */
  async function victim(tool: Tool, args: string[], signal: NodeJS.Signals, observe: string[] = []): Promise<Victim> {
    for (let attempt = 1; ; attempt++) {
      const r = await victimOnce(tool, args, signal, observe);
      if (r !== 'hung') return r;
      if (tool !== 'mosquitto' || attempt === 5) throw new Error(`${tool} sub did not exit after ${signal}`);
    }
  }

  async function victimOnce(tool: Tool, args: string[], signal: NodeJS.Signals, observe: string[]): Promise<Victim | 'hung'> {
    const willTopic = `will/${uniqueId(tool)}`;
    const probe = `${willTopic}-probe`;
    const ready = `${willTopic}/ready`;
    const observer = await startSub(broker, 'mosquitto', [...at(broker), '-V', '5', '-t', willTopic, '-t', probe, '-C', '1', '-W', '10', ...observe]);
    await publish(broker, ['-t', ready, '-q', '1', '-r', '-m', 'ready']);
    const id = uniqueId(`victim-${tool}`);
    const running = await startSub(broker, tool, [...at(broker), '-t', ready, '-q', '1', '--will-topic', willTopic, ...args], { id });
    await broker.waitForLog(`Received PUBACK from ${id} (`);
    // and its message callback has printed: a signal landing inside the callback is the likeliest deadlock
    await running.waitForStdout(/ready\n/);
    running.kill(signal);
    let timer: NodeJS.Timeout | undefined;
    const hung = new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), signal === 'SIGKILL' ? 15_000 : 3000)));
    const result = await Promise.race([running.done, hung]);
    clearTimeout(timer);
    if (result === 'hung') {
      running.kill('SIGKILL');
      await Promise.all([running.done, observer.done]);
      return 'hung';
    }
    await gone(id);
    await publish(broker, ['-t', ready, '-r', '-n']);
    await publish(broker, ['-t', probe, '-m', 'no will']);
    return { id, willTopic, victim: result, seen: await observer.done };
  }


  for (const version of VERSIONS) {
    describe(version.name, () => {
      it('a client killed with SIGKILL: the broker publishes its will (payload, QoS)', async () => {
        const r = await both((tool) => victim(tool, [...version.args, '--will-payload', 'bye', '--will-qos', '1'], 'SIGKILL', ['-q', '1', '-F', '%t %q %r %p']));
        for (const tool of ['mosquitto', 'mqtt'] as const) {
          expect(r[tool].victim.signal, tool).toBe('SIGKILL');
          expect(r[tool].seen.stdout.toString(), tool).toBe(`${r[tool].willTopic} 1 0 bye\n`);
        }
      });

      const publishesWill = version.args[1] === '5';
      it.each(['SIGINT', 'SIGTERM'] as const)(
        `%s after CONNACK: exit 0 with a DISCONNECT${publishesWill ? ' 0x04, so the will IS published' : ', so the will is not published'}`,
        async (signal) => {
          const r = await both((tool) => victim(tool, [...version.args, '--will-payload', 'bye'], signal, ['-F', '%p']));
          expectSameOutcome(r.mqtt.victim, r.mosquitto.victim);
          expect(outcome(r.mqtt.victim)).toMatchObject({ code: 0, stdout: 'ready\n', stderr: '' });
          expectSameOutcome(r.mqtt.seen, r.mosquitto.seen);
          expect(r.mqtt.seen.stdout.toString()).toBe(publishesWill ? 'bye\n' : 'no will\n');
        },
      );

      it('a clean exit (-C reached) sends a normal DISCONNECT: no will', async () => {
        const r = await both(async (tool) => {
          const willTopic = `will/${uniqueId(`clean-${tool}`)}`;
          const observer = await startSub(broker, 'mosquitto', [...at(broker), '-t', willTopic, '-C', '1', '-W', '10']);
          const id = uniqueId(`clean-${tool}`);
          const sub = await startSub(broker, tool, [...at(broker), ...version.args, '-t', `${willTopic}/x`, '-C', '1', '--will-topic', willTopic, '--will-payload', 'bye'], { id });
          await publish(broker, ['-t', `${willTopic}/x`, '-m', 'one']);
          const done = await sub.done;
          await gone(id);
          await publish(broker, ['-t', willTopic, '-m', 'no will']);
          return { done, seen: await observer.done };
        });
        expectSameOutcome(r.mqtt.done, r.mosquitto.done);
        expect(r.mqtt.done.stdout.toString()).toBe('one\n');
        expect(r.mqtt.seen.stdout.toString()).toBe('no will\n');
      });
    });
  }

  it('mqtt sub -d: Ctrl-C logs the DISCONNECT as libmosquitto does, after the last message', async () => {
    const t = `will/${uniqueId('ctrl-c')}`;
    const id = uniqueId('ctrl-c');
    const sub = await startSub(broker, 'mqtt', [...at(broker), '-V', '5', '-t', t, '-d'], { id });
    await sub.waitForStdout(/Subscribed \(mid: 1\): 0\n/);
    sub.kill('SIGINT');
    const r = await sub.done;
    expect(r.code).toBe(0);
    expect(r.stdout.toString().split(id).join('ID')).toBe(
      [
        'Client ID sending CONNECT',
        'Client ID received CONNACK (0)',
        `Client ID sending SUBSCRIBE (Mid: 1, Topic: ${t}, QoS: 0, Options: 0x00)`,
        'Client ID received SUBACK',
        'Subscribed (mid: 1): 0',
        'Client ID sending DISCONNECT',
        '',
      ].join('\n'),
    );
  });

  it('--will-retain: the will stays retained for later subscribers', async () => {
    const r = await both(async (tool) => {
      const v = await victim(tool, ['--will-payload', 'kept', '--will-retain'], 'SIGKILL');
      const later = await spawnClient('mosquitto', 'sub', [...at(broker), '-t', v.willTopic, '-C', '1', '-W', '10', '-F', '%r %p']).done;
      await publish(broker, ['-t', v.willTopic, '-r', '-n']);
      return later;
    });
    expectSameOutcome(r.mqtt, r.mosquitto);
    expect(r.mqtt.stdout.toString()).toBe('1 kept\n');
  });

  it('v5 will properties (-D will …) travel with the will', async () => {
    const props = properties('will', ['user-property', 'why', 'killed'], ['content-type', 'text/plain'], ['message-expiry-interval', '60']);
    const r = await both((tool) => victim(tool, [...props, '--will-payload', 'bye'], 'SIGKILL', ['-F', '%P|%C|%E|%p']));
    expectSameOutcome(r.mqtt.seen, r.mosquitto.seen);
    expect(r.mqtt.seen.stdout.toString()).toMatch(/^why:killed\|text\/plain\|(60|59)\|bye\n$/);
  });

  it('pub -l interrupted while reading stdin (no signal handler in mosquitto_pub): killed by SIGINT, the will is published', async () => {
    const r = await both(async (tool) => {
      const willTopic = `will/${uniqueId(`pub-${tool}`)}`;
      const observer = await startSub(broker, 'mosquitto', [...at(broker), '-t', willTopic, '-C', '1', '-W', '10', '-v']);
      const id = uniqueId(`pub-${tool}`);
      // stdin stays open: the publisher sits connected, waiting for lines
      const pub = spawnClient(tool, 'pub', [...at(broker), '-t', `${willTopic}/x`, '-l', '-i', id, '--will-topic', willTopic, '--will-payload', 'pub died']);
      await broker.waitForLog(new RegExp(`as ${id} \\(`));
      pub.kill('SIGINT');
      return { pub: await pub.done, seen: await observer.done, willTopic };
    });
    for (const tool of ['mosquitto', 'mqtt'] as const) {
      expect(r[tool].pub.signal, tool).toBe('SIGINT');
      expect(r[tool].seen.stdout.toString(), tool).toBe(`${r[tool].willTopic} pub died\n`);
    }
  });
});
