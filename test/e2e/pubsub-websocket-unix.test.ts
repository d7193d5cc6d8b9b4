/**
 * The other transports against a real Mosquitto: MQTT over WebSocket (`-L ws://…`, which
 * mosquitto_pub/sub 2.0 do not have; Mosquitto needs a plain listener next to the websockets
 * one) and a unix socket (`--unix`, compared with mosquitto_pub/sub). What travels through them
 * must be byte-identical to what travels over TCP.
 */
import { chmodSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import {
  ALL_BYTES,
  at,
  both,
  expectSameOutcome,
  MOSQUITTO_PEERS,
  outcome,
  publish,
  runClient,
  scratchFiles,
  type ScratchFiles,
  startSub,
  subsSideBySide,
  uniqueId,
  VERSIONS,
} from '../helpers/pubsub.js';

describeIfTool(MOSQUITTO_PEERS, 'WebSocket and unix socket transports against Mosquitto', () => {
  let broker: Mosquitto;
  let wsPort: number;
  let socketPath: string;
  let files: ScratchFiles;
  let binFile: string;

  beforeAll(async () => {
    wsPort = await freePort();
    broker = await startMosquitto({
      listenerConfig: (port, brokerDir) => {
        // Mosquitto binds unix sockets after dropping root: give its own user a directory
        const socketDir = path.join(brokerDir, 'sock');
        mkdirSync(socketDir);
        chmodSync(brokerDir, 0o755);
        chmodSync(socketDir, 0o777);
        socketPath = path.join(socketDir, 'm.sock');
        return [`listener ${port} 127.0.0.1`, `listener ${wsPort} 127.0.0.1`, 'protocol websockets', `listener 0 ${socketPath}`, 'allow_anonymous true'];
      },
    });
    files = scratchFiles('transports');
    binFile = files.allBytes;
  });
  afterAll(async () => {
    await broker?.stop();
    files?.remove();
  });

  const ws = (topic: string) => ['-L', `ws://127.0.0.1:${wsPort}/${topic}`];

  for (const version of VERSIONS) {
    describe(version.name, () => {
      it('mqtt pub and mqtt sub over ws:// (-L): a round trip at QoS 0, 1 and 2', async () => {
        const t = `ws/${uniqueId('rt')}`;
        const sub = await startSub(broker, 'mqtt', [...ws(t), ...version.args, '-q', '2', '-C', '3', '-F', '%t %q %p']);
        for (const q of ['0', '1', '2']) {
          const pub = await runClient('mqtt', 'pub', [...ws(t), ...version.args, '-q', q, '-m', `over ws ${q}`]);
          expect(outcome(pub)).toMatchObject({ code: 0, stdout: '', stderr: '' });
        }
        const r = await sub.done;
        expect(outcome(r)).toMatchObject({ code: 0, stderr: '' });
        expect(r.stdout.toString()).toBe(`${t} 0 over ws 0\n${t} 1 over ws 1\n${t} 2 over ws 2\n`);
      });

      it('mqtt sub over ws:// prints what mosquitto_sub prints over TCP (every byte value, -v and -F)', async () => {
        const t = `ws/${uniqueId('bytes')}`;
        for (const out of [['-v'], ['-F', '%t %l %x|%p']]) {
          const theirs = await startSub(broker, 'mosquitto', [...at(broker), ...version.args, '-t', t, '-C', '2', ...out]);
          const ours = await startSub(broker, 'mqtt', [...ws(t), ...version.args, '-C', '2', ...out]);
          await publish(broker, ['-t', t, '-f', binFile]);
          await publish(broker, ['-t', t, '-m', 'text']);
          expectSameOutcome(await ours.done, await theirs.done);
        }
      });
    });
  }

  it('mqtt pub over ws:// sends what mosquitto_pub sends over TCP (-f with every byte value, -l)', async () => {
    const r = await both(async (tool) => {
      const t = `ws/${uniqueId(`pub-${tool}`)}`;
      const observer = await startSub(broker, 'mosquitto', [...at(broker), '-t', t, '-C', '4', '-F', '%l %x']);
      const where = tool === 'mqtt' ? ws(t) : [...at(broker), '-t', t];
      const file = await runClient(tool, 'pub', [...where, '-q', '1', '-f', binFile]);
      const lines = await runClient(tool, 'pub', [...where, '-l'], { input: 'one\n\ntwo\r\n' });
      return { file, lines, seen: await observer.done };
    });
    expectSameOutcome(r.mqtt.file, r.mosquitto.file);
    expectSameOutcome(r.mqtt.lines, r.mosquitto.lines);
    expectSameOutcome(r.mqtt.seen, r.mosquitto.seen);
    expect(r.mqtt.seen.stdout.toString()).toBe(`256 ${ALL_BYTES.toString('hex')}\n3 6f6e65\n0 \n4 74776f0d\n`);
  });

  it('ws:// to a port nothing listens on: "Error: Connection refused", exit 1', async () => {
    const port = await freePort();
    const r = await runClient('mqtt', 'pub', ['-L', `ws://127.0.0.1:${port}/t`, '-m', 'x']);
    expect(outcome(r)).toMatchObject({ code: 1, stdout: '', stderr: 'Error: Connection refused\n' });
  });

  for (const version of VERSIONS) {
    it(`${version.name}: --unix: pub and sub over the unix socket, next to mosquitto_pub/mosquitto_sub`, async () => {
      const t = `unix/${uniqueId('rt')}`;
      const r = await subsSideBySide(broker, [...version.args, '-t', t, '-C', '2', '-v'], async () => {
        for (const tool of ['mosquitto', 'mqtt'] as const) {
          const pub = await runClient(tool, 'pub', ['--unix', socketPath, ...version.args, '-t', t, '-q', '1', '-m', `from ${tool}`]);
          expect(outcome(pub), tool).toMatchObject({ code: 0, stderr: '' });
        }
      });
      expectSameOutcome(r.mqtt, r.mosquitto);
      expect(r.mqtt.stdout.toString()).toBe(`${t} from mosquitto\n${t} from mqtt\n`);

      const subs = await both((tool) => startSub(broker, tool, ['--unix', socketPath, ...version.args, '-t', t, '-C', '1', '-F', '%t %x']));
      await publish(broker, ['-t', t, '-f', binFile]);
      const seen = await both((tool) => subs[tool].done);
      expectSameOutcome(seen.mqtt, seen.mosquitto);
      expect(seen.mqtt.stdout.toString()).toBe(`${t} ${ALL_BYTES.toString('hex')}\n`);
    });
  }

  it('--unix with a path where no socket is: same error and exit code as mosquitto_pub', async () => {
    const r = await both((tool) => runClient(tool, 'pub', ['--unix', path.join(files.dir, 'nothing.sock'), '-t', 'x', '-m', 'x']));
    expectSameOutcome(r.mqtt, r.mosquitto);
    expect(r.mqtt.code).toBe(1);
  });
});
