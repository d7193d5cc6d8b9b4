// A bridge's messages for the remote survive a restart of our broker with `persistence true`:
// queued ones and those sent but not yet acknowledged by the remote (issue 13). Real processes:
// our broker (kill -9 of the process that holds the store, or SIGTERM), a remote that takes the
// bridge's messages and never acknowledges them, then a real Mosquitto on the same port.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import mqttPacket from 'mqtt-packet';
import { afterEach, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import type { QoS } from '../../src/core/protocol/types.js';
import { brokerWorkerPid } from '../helpers/broker-process.js';
import { spawnMqtt, type Running } from '../helpers/cli.js';
import { testClientConfig } from '../helpers/client-config.js';
import { startSubscribedMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Our broker from `conf` as one process (no launcher), so kill -9 ends the store's holder at once. */
async function startEdge(conf: string): Promise<Running> {
  const proc = spawnMqtt(['broker', '-c', conf, '-v'], { timeoutMs: 120_000, env: { MQTT_BROKER_HEAP: 'keep' } });
  cleanups.push(async () => {
    proc.kill('SIGKILL');
    await proc.done;
  });
  await Promise.race([
    proc.waitForStderr(/ running\n/, 30_000),
    proc.done.then((r) => {
      throw new Error(`broker exited ${r.code}: ${r.stderr}`);
    }),
  ]);
  return proc;
}

async function stopEdge(proc: Running, how: 'SIGKILL' | 'SIGTERM'): Promise<void> {
  process.kill(brokerWorkerPid(proc.proc.pid!), how);
  const r = await proc.done;
  if (how === 'SIGTERM') expect(r.code).toBe(0);
}

/** A remote that accepts the bridge and counts its PUBLISHes, never acknowledging one. */
interface SilentRemote {
  published: () => number;
  /** resolves once `n` PUBLISHes have come (with a deadline) */
  waitFor: (n: number, timeoutMs?: number) => Promise<void>;
  close: () => Promise<void>;
}

function silentRemote(port: number): Promise<SilentRemote> {
  const sockets = new Set<net.Socket>();
  let published = 0;
  let waiter: (() => void) | undefined;
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    parser.on('packet', (p) => {
      if (p.cmd === 'connect') socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
      else if (p.cmd === 'publish') {
        published++;
        waiter?.();
      }
      else if (p.cmd === 'pingreq') socket.write(mqttPacket.generate({ cmd: 'pingresp' }));
    });
    socket.on('data', (d) => parser.parse(d));
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () =>
      resolve({
        published: () => published,
        waitFor: (n, timeoutMs = 15_000) =>
          new Promise<void>((done, fail) => {
            if (published >= n) return done();
            const timer = setTimeout(() => fail(new Error(`timed out waiting for ${n} PUBLISHes at the remote; got ${published}`)), timeoutMs);
            waiter = () => {
              if (published < n) return;
              clearTimeout(timer);
              waiter = undefined;
              done();
            };
          }),
        close: () =>
          new Promise<void>((done) => {
            for (const s of sockets) s.destroy();
            server.close(() => done());
          }),
      }),
    );
  });
}

describeIfTool(['mosquitto'], 'bridge: queued and in-flight messages for the remote survive a restart of our broker (persistence true)', () => {
  for (const how of ['SIGKILL', 'SIGTERM'] as const) {
    it(`${how}: every QoS 1/2 message the edge acknowledged reaches the remote once, after the restart`, async () => {
      const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-bridge-persist-'));
      cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
      const edgePort = await freePort();
      const remotePort = await freePort();
      const conf = path.join(dir, 'edge.conf');
      writeFileSync(
        conf,
        [
          `listener ${edgePort} 127.0.0.1`,
          'allow_anonymous true',
          'persistence true',
          `persistence_location ${dir}/`,
          // 20 in flight to the remote, the rest queued in the bridge's local session
          'max_inflight_messages 20',
          'connection edge',
          `address 127.0.0.1:${remotePort}`,
          'restart_timeout 1',
          'remote_clientid edge-persist',
          // cleansession false (the default): local_cleansession false, the local session outlives the process
          'topic data/# out 2',
          'notifications false',
        ].join('\n') + '\n',
      );

      const silent = await silentRemote(remotePort);
      cleanups.push(() => silent.close());
      let edge = await startEdge(conf);
      await edge.waitForStderr(/Bridge edge connected to/);
      const pub = new MqttClient(testClientConfig(edgePort, 4));
      await pub.connect();
      const sent: string[] = [];
      for (let i = 0; i < 60; i++) {
        const text = `m-${i}`;
        // acknowledged by the edge once stored (durable mode)
        await pub.publish(`data/${i}`, Buffer.from(text), { qos: (1 + (i % 2)) as QoS, retain: false });
        sent.push(text);
      }
      // the in-flight window went to the remote, unacknowledged; the rest waits in the queue
      await silent.waitFor(20);
      pub.destroy();
      await stopEdge(edge, how);
      await silent.close();

      const { inbox, stop: stopRemote } = await startSubscribedMosquitto(remotePort, 'data/#', 2);
      cleanups.push(stopRemote);

      edge = await startEdge(conf);
      await edge.waitForStderr(/Bridge edge connected to/);
      await inbox.until('all 60 messages at the remote', () => inbox.got.length >= 60, 20_000);
      // a fence: nothing more is on its way
      const fence = new MqttClient(testClientConfig(edgePort, 4));
      await fence.connect();
      cleanups.push(() => fence.disconnect());
      await fence.publish('data/fence', Buffer.from('fence'), { qos: 1, retain: false });
      await inbox.until('the fence', () => inbox.got.some((p) => p.payload.toString() === 'fence'));
      const got = inbox.got.map((p) => p.payload.toString()).filter((t) => t !== 'fence');
      expect([...got].sort()).toEqual([...sent].sort());
      await stopEdge(edge, 'SIGTERM');
    }, 60_000);
  }

  it('local_cleansession true: nothing is kept for a remote that is away (Mosquitto drops it too); what comes once it is back goes', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-bridge-clean-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const edgePort = await freePort();
    const remotePort = await freePort();
    const conf = path.join(dir, 'edge.conf');
    writeFileSync(
      conf,
      [`listener ${edgePort} 127.0.0.1`, 'allow_anonymous true', 'connection edge', `address 127.0.0.1:${remotePort}`, 'restart_timeout 1', 'local_cleansession true', 'topic data/# out 2', 'notifications false'].join('\n') + '\n',
    );
    // nothing listens at the remote's port yet
    const edge = await startEdge(conf);
    await edge.waitForStderr(/Error creating bridge edge/);
    const pub = new MqttClient(testClientConfig(edgePort, 4));
    await pub.connect();
    cleanups.push(() => pub.disconnect());
    await pub.publish('data/away', Buffer.from('away-1'), { qos: 1, retain: false });
    await pub.publish('data/away', Buffer.from('away-2'), { qos: 2, retain: false });

    const { inbox, stop: stopRemote } = await startSubscribedMosquitto(remotePort, 'data/#', 2);
    cleanups.push(stopRemote);
    await edge.waitForStderr(/Bridge edge connected to/, 15_000);
    await pub.publish('data/back', Buffer.from('back'), { qos: 1, retain: false });
    await inbox.until('the message sent once the remote was back', () => inbox.got.length > 0);
    expect(inbox.texts()).toEqual(['data/back back']);
  }, 60_000);
});
