/**
 * mqtt sub's options that decide what is printed and when it exits (-C -W -E -R --retained-only
 * --remove-retained -T -U -N -v --random-filter), and the connection failures of pub and sub:
 * each run next to mosquitto_sub/mosquitto_pub with the same arguments and the same messages,
 * comparing exit code, stdout bytes and stderr.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { dynsecPlugin } from '../helpers/dynsec.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import {
  at,
  both,
  expectSameOutcome,
  MOSQUITTO_PEERS,
  outcome,
  publish,
  runClient,
  spawnClient,
  startSub,
  subsSideBySide,
  TOOLS,
  uniqueId,
  VERSIONS,
} from '../helpers/pubsub.js';

describeIfTool(MOSQUITTO_PEERS, 'mqtt sub exit codes and output, next to mosquitto_sub', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(() => broker?.stop());

  const topic = (name: string) => `ec/${uniqueId(name)}`;
  /** mosquitto_pub one message per line of `lines` (one connection, in order). */
  const publishLines = (t: string, lines: string[], extra: string[] = []) => publish(broker, ['-t', t, '-l', ...extra], lines.join('\n') + '\n');

  for (const version of VERSIONS) {
    describe(version.name, () => {
      const V = version.args;

      it('-C 3 prints exactly three of five messages and exits 0', async () => {
        const t = topic('count');
        const r = await subsSideBySide(broker, [...V, '-t', t, '-C', '3', '-v'], () => publishLines(t, ['1', '2', '3', '4', '5']));
        expectSameOutcome(r.mqtt, r.mosquitto);
        expect(outcome(r.mqtt)).toMatchObject({ code: 0, stdout: `${t} 1\n${t} 2\n${t} 3\n`, stderr: '' });
      });

      it('-W 1 is an absolute deadline: exit 27 and "Timed out" even though a message arrived', async () => {
        const t = topic('deadline');
        const r = await subsSideBySide(broker, [...V, '-t', t, '-W', '1'], () => publish(broker, ['-t', t, '-m', 'arrived']));
        expectSameOutcome(r.mqtt, r.mosquitto);
        expect(outcome(r.mqtt)).toMatchObject({ code: 27, stdout: 'arrived\n', stderr: 'Timed out\n' });
      });

      it('-C with -W: the count wins when reached first (exit 0), the deadline otherwise (exit 27)', async () => {
        const t = topic('count-deadline');
        const reached = await subsSideBySide(broker, [...V, '-t', t, '-C', '2', '-W', '10'], () => publishLines(t, ['a', 'b']));
        expectSameOutcome(reached.mqtt, reached.mosquitto);
        expect(outcome(reached.mqtt)).toMatchObject({ code: 0, stdout: 'a\nb\n', stderr: '' });
        const missed = await subsSideBySide(broker, [...V, '-t', t, '-C', '5', '-W', '1'], () => publishLines(t, ['a', 'b']));
        expectSameOutcome(missed.mqtt, missed.mosquitto);
        expect(outcome(missed.mqtt)).toMatchObject({ code: 27, stdout: 'a\nb\n', stderr: 'Timed out\n' });
      });

      it('-E exits 0 after the SUBACK; with -c -i the durable session then receives what was queued', async () => {
        const r = await both(async (tool) => {
          const t = topic(`durable-${tool}`);
          const id = uniqueId(`durable-${tool}`);
          const session = [...at(broker), ...V, '-t', t, '-q', '1', '-c', '-i', id];
          const prime = await runClient(tool, 'sub', [...session, '-E']);
          await publishLines(t, ['queued 1', 'queued 2'], ['-q', '1']);
          const resumed = await runClient(tool, 'sub', [...session, '-C', '2', '-W', '10', '-F', '%q %p']);
          // end the session so it does not outlive the test in the broker
          await runClient('mosquitto', 'sub', [...at(broker), ...V, '-t', t, '-i', id, '-E']);
          return { prime, resumed };
        });
        expectSameOutcome(r.mqtt.prime, r.mosquitto.prime);
        expect(outcome(r.mqtt.prime)).toEqual({ code: 0, signal: null, stdout: '', stderr: '' });
        expectSameOutcome(r.mqtt.resumed, r.mosquitto.resumed);
        expect(r.mqtt.resumed.stdout.toString()).toBe('1 queued 1\n1 queued 2\n');
      });

      it('-R does not print retained messages (v5 also asks the broker not to send them)', async () => {
        const t = topic('no-retained');
        await publish(broker, ['-t', t, '-r', '-m', 'stale']);
        const r = await subsSideBySide(broker, [...V, '-t', t, '-R', '-C', '1'], () => publish(broker, ['-t', t, '-m', 'fresh']));
        expectSameOutcome(r.mqtt, r.mosquitto);
        expect(outcome(r.mqtt)).toMatchObject({ code: 0, stdout: 'fresh\n' });
        await publish(broker, ['-t', t, '-r', '-n']);
      });

      it('--retained-only prints the retained messages and exits 0 at the first live one', async () => {
        const t = topic('retained-only');
        await publish(broker, ['-t', `${t}/a`, '-r', '-m', 'ra']);
        await publish(broker, ['-t', `${t}/b`, '-r', '-m', 'rb']);
        const r = await subsSideBySide(broker, [...V, '-t', `${t}/#`, '--retained-only', '-F', '%t %r %p'], () =>
          publish(broker, ['-t', `${t}/a`, '-m', 'live']),
        );
        expectSameOutcome(r.mqtt, r.mosquitto);
        expect(r.mqtt.code).toBe(0);
        expect(r.mqtt.stdout.toString().split('\n').sort()).toEqual(['', `${t}/a 1 ra`, `${t}/b 1 rb`]);
      });

      // mosquitto_sub 2.0.11 clears them too but then never exits: it waits for the PUBACK of its
      // last removal without a publish callback to see it (also with -C). Ours leaves once the
      // removals are acknowledged, as later mosquitto versions do; mosquitto_sub gets -W 1 here.
      it('--remove-retained clears each retained message it receives (except -T filtered ones)', async () => {
        const r = await both(async (tool) => {
          const t = topic(`remove-${tool}`);
          for (const leaf of ['a', 'b', 'keep']) await publish(broker, ['-t', `${t}/${leaf}`, '-r', '-m', leaf]);
          const deadline = tool === 'mosquitto' ? ['-W', '1'] : [];
          const sub = await startSub(broker, tool, [...at(broker), ...V, '-t', `${t}/#`, '--remove-retained', '--retained-only', '-T', `${t}/keep`, '-v', ...deadline]);
          const removing = await sub.done;
          const left = await startSub(broker, 'mosquitto', [...at(broker), '-t', `${t}/#`, '--retained-only', '-v', '-W', '10']);
          await publish(broker, ['-t', `${t}/live`, '-m', 'end']);
          await publish(broker, ['-t', `${t}/keep`, '-r', '-n']);
          return { t, removing, left: await left.done };
        });
        expect(outcome(r.mosquitto.removing)).toMatchObject({ code: 27, stderr: 'Timed out\n' });
        expect(outcome(r.mqtt.removing)).toMatchObject({ code: 0, stderr: '' });
        for (const tool of TOOLS) {
          const { t, removing, left } = r[tool];
          expect(removing.stdout.toString().split('\n').sort(), tool).toEqual(['', `${t}/a a`, `${t}/b b`]);
          expect(outcome(left), tool).toMatchObject({ code: 0, stdout: `${t}/keep keep\n` });
        }
      });

      it('-T filters matching topics out (they do not count for -C)', async () => {
        const t = topic('filter-out');
        const r = await subsSideBySide(broker, [...V, '-t', `${t}/#`, '-T', `${t}/skip/#`, '-T', `${t}/+/x`, '-C', '2', '-v'], async () => {
          for (const leaf of ['skip/1', 'a', 'b/x', 'skip', 'c']) await publish(broker, ['-t', `${t}/${leaf}`, '-m', leaf]);
        });
        expectSameOutcome(r.mqtt, r.mosquitto);
        expect(r.mqtt.stdout.toString()).toBe(`${t}/a a\n${t}/c c\n`);
      });

      it('-U unsubscribes after subscribing', async () => {
        const t = topic('unsub');
        const subs = await both(async (tool) => {
          const id = uniqueId(`unsub-${tool}`);
          const sub = await startSub(broker, tool, [...at(broker), ...V, '-t', `${t}/a`, '-t', `${t}/b`, '-U', `${t}/b`, '-C', '1', '-v'], { id });
          // the UNSUBSCRIBE follows the SUBSCRIBE on the same connection: wait until it is handled too
          await broker.waitForLog(`Sending UNSUBACK to ${id}\n`);
          return sub;
        });
        await publish(broker, ['-t', `${t}/b`, '-m', 'unsubscribed']);
        await publish(broker, ['-t', `${t}/a`, '-m', 'subscribed']);
        const r = await both((tool) => subs[tool].done);
        expectSameOutcome(r.mqtt, r.mosquitto);
        expect(r.mqtt.stdout.toString()).toBe(`${t}/a subscribed\n`);
      });

      it('-N prints no newlines; -v prints "topic (null)" for an empty payload, default prints nothing for it', async () => {
        const t = topic('eol');
        const send = () => publishLines(t, ['one', '', 'two']);
        for (const out of [['-N'], ['-v'], ['-v', '-N'], []]) {
          const r = await subsSideBySide(broker, [...V, '-t', t, '-C', '3', ...out], send);
          expectSameOutcome(r.mqtt, r.mosquitto);
        }
        const verbose = await subsSideBySide(broker, [...V, '-t', t, '-C', '3', '-v'], send);
        expect(verbose.mqtt.stdout.toString()).toBe(`${t} one\n${t} (null)\n${t} two\n`);
        const plain = await subsSideBySide(broker, [...V, '-t', t, '-C', '3', '-N'], send);
        expect(plain.mqtt.stdout.toString()).toBe('onetwo');
      });

      // mosquitto_sub 2.0 reads the chance in tenths but draws from 10000: N prints about N/10
      // percent, only 1000 prints all; the dropped messages still count for -C
      it('--random-filter: 1000 prints every message; 100 prints about one in ten and -C counts them all', async () => {
        const t = topic('random');
        const lines = Array.from({ length: 1000 }, (_, i) => `m${i}`);
        const all = await subsSideBySide(broker, [...V, '-t', t, '--random-filter', '1000', '-C', '50'], () => publishLines(t, lines.slice(0, 50)));
        expectSameOutcome(all.mqtt, all.mosquitto);
        expect(all.mqtt.stdout.toString()).toBe(lines.slice(0, 50).join('\n') + '\n');

        const some = await subsSideBySide(broker, [...V, '-t', t, '--random-filter', '100', '-C', '1000', '-W', '10'], () => publishLines(t, lines));
        for (const tool of TOOLS) {
          expect(some[tool].code, tool).toBe(0);
          const printed = some[tool].stdout.toString().split('\n').slice(0, -1);
          // binomial(1000, 0.1): 100 ± 9.5, so 40..200 fails only when the filter is wrong
          expect(printed.length, tool).toBeGreaterThan(40);
          expect(printed.length, tool).toBeLessThan(200);
          expect(printed.every((l) => lines.includes(l)), tool).toBe(true);
        }
      });
    });
  }
});

/** Mosquitto's dynamic security plugin, wherever the distribution put it. */
const DYNSEC_PLUGIN = dynsecPlugin();
if (!DYNSEC_PLUGIN && process.env.MQTT_REQUIRE_PEERS !== '1') {
  process.stderr.write('\n*** SKIPPING the "denied" cases: mosquitto_dynamic_security.so not found ***\n\n');
}
/** Needs the plugin; a missing one fails under MQTT_REQUIRE_PEERS=1 (the broker is then missing). */
const itWithDynsec = it.skipIf(!DYNSEC_PLUGIN && process.env.MQTT_REQUIRE_PEERS !== '1');

describeIfTool(MOSQUITTO_PEERS, 'connection failures: same message, same exit code as mosquitto_pub/mosquitto_sub', () => {
  let open: Mosquitto;
  let closed: Mosquitto;
  let denying: Mosquitto;
  let passwords: Mosquitto;
  beforeAll(async () => {
    open = await startMosquitto();
    closed = await startMosquitto({ listenerConfig: (port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous false'] });
    passwords = await startMosquitto({
      listenerConfig: (port, dir) => {
        chmodSync(dir, 0o755);
        const file = path.join(dir, 'passwd');
        execFileSync('mosquitto_passwd', ['-c', '-b', file, 'alice', 's3cret:with spaces']);
        chmodSync(file, 0o644);
        return [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${file}`];
      },
    });
    // Mosquitto 2.0's acl_file does not check SUBSCRIBE (it filters at delivery): the dynamic
    // security plugin does, and with subscribe denied by default every filter gets 0x80/0x87;
    // publishing is denied too, which a v5 PUBACK reports as 0x87
    if (DYNSEC_PLUGIN) denying = await startMosquitto({
      listenerConfig: (port, dir) => {
        chmodSync(dir, 0o755); // the plugin reads its file after Mosquitto drops root
        const file = path.join(dir, 'dynsec.json');
        const acl = { publishClientSend: false, publishClientReceive: true, subscribe: false, unsubscribe: true };
        writeFileSync(file, JSON.stringify({ defaultACLAccess: acl, clients: [], groups: [], roles: [] }), { mode: 0o644 });
        return [
          `listener ${port} 127.0.0.1`,
          'allow_anonymous true',
          `plugin ${DYNSEC_PLUGIN}`,
          `plugin_opt_config_file ${file}`,
        ];
      },
    });
  });
  afterAll(async () => {
    await Promise.all([open, closed, denying, passwords].map((b) => b?.stop()));
  });

  const sameBoth = async (kind: 'pub' | 'sub', args: string[]) => {
    const r = await both((tool) => runClient(tool, kind, args));
    expectSameOutcome(r.mqtt, r.mosquitto);
    return r.mqtt;
  };
  const msg = ['-t', 'ec/x', '-m', 'x'];

  for (const version of VERSIONS) {
    itWithDynsec(`${version.name}: all subscriptions denied: "All subscription requests were denied.", exit 0`, async () => {
      const r = await sameBoth('sub', [...at(denying), ...version.args, '-t', 'ec/denied/a', '-t', 'ec/denied/b']);
      expect(outcome(r)).toMatchObject({ code: 0, stdout: '', stderr: 'All subscription requests were denied.\n' });
      // -d shows the failure codes, 0x80 (3.1.1) or 0x87 Not authorized (5); with -E mosquitto_sub
      // calls disconnect twice and libmosquitto logs both calls
      for (const extra of [[], ['-E']]) {
        const debug = await both((tool) => runClient(tool, 'sub', [...at(denying), ...version.args, '-t', 'ec/denied/a', '-t', 'ec/x', '-d', '-i', `deny-${tool}`, ...extra]));
        const lines = (tool: 'mosquitto' | 'mqtt') => debug[tool].stdout.toString().split(`deny-${tool}`).join('ID');
        expect(lines('mqtt')).toBe(lines('mosquitto'));
        const code = version.args[1] === '5' ? 135 : 128;
        expect(lines('mqtt')).toContain(`Subscribed (mid: 1): ${code}, ${code}\nClient ID sending DISCONNECT\n${extra.length ? 'Client ID sending DISCONNECT\n' : ''}`);
      }
    });
  }

  itWithDynsec('v5 PUBACK/PUBREC with a failure reason: "Warning: Publish 1 failed: Not authorized.", still exit 0', async () => {
    for (const qos of ['1', '2']) {
      const r = await sameBoth('pub', [...at(denying), '-V', '5', '-q', qos, ...msg]);
      expect(outcome(r)).toMatchObject({ code: 0, stdout: '', stderr: 'Warning: Publish 1 failed: Not authorized.\n' });
    }
    // 3.1.1 has no reason codes: the broker acknowledges and drops it
    const v311 = await sameBoth('pub', [...at(denying), '-q', '1', ...msg]);
    expect(outcome(v311)).toMatchObject({ code: 0, stderr: '' });
    // the extra --fail-on-reason turns it into the reason code as exit status
    const strict = await runClient('mqtt', 'pub', [...at(denying), '-V', '5', '-q', '1', '--fail-on-reason', ...msg]);
    expect(outcome(strict)).toMatchObject({ code: 0x87, stderr: 'Warning: Publish 1 failed: Not authorized.\n' });
  });

  it.each([
    ['pub', 'MQTT 3.1.1', 5, ['-V', '311']],
    ['sub', 'MQTT 3.1.1', 5, ['-V', '311']],
    ['pub', 'MQTT 5', 135, ['-V', '5']],
    ['sub', 'MQTT 5', 135, ['-V', '5']],
  ] as const)('%s %s: CONNACK refusal (not authorised) exits with its code %i', async (kind, _v, code, V) => {
    const r = await sameBoth(kind, [...at(closed), ...V, ...(kind === 'pub' ? msg : ['-t', 'ec/x'])]);
    expect(r.code).toBe(code);
    expect(r.stderr).toMatch(/^Connection error: (Connection Refused: not authorised\.|Not authorized)\n/);
  });

  it.each(['pub', 'sub'] as const)('%s: connection refused: "Error: Connection refused", exit 1 (--quiet: no message)', async (kind) => {
    const port = await freePort();
    const args = ['-h', '127.0.0.1', '-p', String(port), ...(kind === 'pub' ? msg : ['-t', 'ec/x'])];
    const r = await sameBoth(kind, args);
    expect(outcome(r)).toMatchObject({ code: 1, stdout: '', stderr: 'Error: Connection refused\n' });
    const quiet = await sameBoth(kind, [...args, '--quiet']);
    expect(outcome(quiet)).toMatchObject({ code: 1, stdout: '', stderr: '' });
  });

  describe('username and password (-u/-P and -L mqtt://user:pass@host:port/topic)', () => {
    for (const version of VERSIONS) {
      it(`${version.name}: the right password connects, a wrong one is refused with the CONNACK code`, async () => {
        const V = version.args;
        const t = `ec/${uniqueId('auth')}`;
        const good = ['-u', 'alice', '-P', 's3cret:with spaces'];
        const subs = await both((tool) => startSub(passwords, tool, [...at(passwords), ...V, ...good, '-t', t, '-C', '2', '-v']));
        for (const tool of TOOLS) {
          // -L splits user:password at the first ':' (no percent-decoding), so the password keeps its ':'
          const url = `mqtt://alice:s3cret:with spaces@127.0.0.1:${passwords.port}/${t}`;
          const pub = await runClient(tool, 'pub', ['-L', url, ...V, '-m', `by ${tool}`]);
          expect(outcome(pub), tool).toMatchObject({ code: 0, stderr: '' });
        }
        const seen = await both((tool) => subs[tool].done);
        expectSameOutcome(seen.mqtt, seen.mosquitto);
        expect(seen.mqtt.stdout.toString()).toBe(`${t} by mosquitto\n${t} by mqtt\n`);

        for (const kind of ['pub', 'sub'] as const) {
          const bad = await sameBoth(kind, [...at(passwords), ...V, '-u', 'alice', '-P', 'wrong', ...(kind === 'pub' ? msg : ['-t', t])]);
          // Mosquitto 2.0 answers a wrong password with "not authorised", not "bad user name or password"
          expect(bad.code).toBe(V[1] === '5' ? 135 : 5);
          expect(bad.stderr.split('\n')[0]).toMatch(/^Connection error: (Connection Refused: not authorised\.|Not authorized)$/);
        }
      });
    }
  });

  it.each(['pub', 'sub'] as const)('%s: a host name that does not resolve: "Unable to connect (Lookup error.).", exit 1', async (kind) => {
    const r = await sameBoth(kind, ['-h', 'no-such-host.invalid', ...(kind === 'pub' ? msg : ['-t', 'ec/x'])]);
    expect(outcome(r)).toMatchObject({ code: 1, stdout: '', stderr: 'Unable to connect (Lookup error.).\n' });
  });

  it('pub -s with empty stdin: "Zero length input.", exit 1, nothing sent', async () => {
    const r = await both((tool) => runClient(tool, 'pub', [...at(open), '-t', 'ec/x', '-s'], { input: '' }));
    expectSameOutcome(r.mqtt, r.mosquitto);
    expect(outcome(r.mqtt)).toMatchObject({ code: 1, stderr: 'Error: Zero length input.\nError loading input from stdin.\n' });
  });

  describe('a server that accepts TCP but never answers CONNECT', () => {
    /**
     * Starts `tool` against a server of its own that accepts the TCP connection and stays
     * silent; resolves once the CONNECT arrived (the client now waits for CONNACK). Not at the
     * TCP accept: mosquitto_sub installs its signal handlers only after its connect call.
     */
    const connected = async (tool: (typeof TOOLS)[number], kind: 'pub' | 'sub', args: string[]) => {
      const sockets: net.Socket[] = [];
      let accepted!: () => void;
      const connectReceived = new Promise<void>((resolve) => (accepted = resolve));
      const server = net.createServer((socket) => {
        socket.on('error', () => {});
        sockets.push(socket);
        socket.once('data', () => accepted());
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const port = (server.address() as net.AddressInfo).port;
      const client = spawnClient(tool, kind, ['-h', '127.0.0.1', '-p', String(port), ...args]);
      void client.done.then(() => {
        sockets.forEach((socket) => socket.destroy());
        server.close();
      });
      await connectReceived;
      return client;
    };

    // mosquitto_sub installs its handlers just after sending CONNECT, so a signal can still beat
    // them (then it dies by the signal): that attempt is repeated. Ours has them from the start.
    it.each(['SIGINT', 'SIGTERM'] as const)('sub: %s before CONNACK exits 255 at once', async (signal) => {
      const r = await both(async (tool) => {
        for (let attempt = 1; ; attempt++) {
          const c = await connected(tool, 'sub', ['-t', 'ec/x']);
          c.kill(signal);
          const done = await c.done;
          if (tool === 'mqtt' || done.signal !== signal || attempt === 8) return done;
        }
      });
      // on a loaded machine mosquitto_sub may lose that race every time: compare only when it won
      if (r.mosquitto.signal === null) expectSameOutcome(r.mqtt, r.mosquitto);
      expect(outcome(r.mqtt)).toMatchObject({ code: 255, stdout: '', stderr: '' });
    });

    it('sub -W before CONNACK also exits 255 (the alarm hits before the connection is up)', async () => {
      const r = await both(async (tool) => (await connected(tool, 'sub', ['-t', 'ec/x', '-W', '1'])).done);
      expectSameOutcome(r.mqtt, r.mosquitto);
      expect(r.mqtt.code).toBe(255);
    });

    it('pub: SIGINT before CONNACK ends it by the signal, as mosquitto_pub (no handler)', async () => {
      const r = await both(async (tool) => {
        const c = await connected(tool, 'pub', msg);
        c.kill('SIGINT');
        return c.done;
      });
      expectSameOutcome(r.mqtt, r.mosquitto);
      expect(r.mqtt.signal).toBe('SIGINT');
    });
  });
});

