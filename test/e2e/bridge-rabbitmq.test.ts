/**
 * A clustered broker as the remote: Debian's rabbitmq-server with its rabbitmq_mqtt plugin
 * (MQTT 3.1.1 only), one node for the whole file (its start-up takes seconds). Our broker at the
 * edge bridges into it; `mqtt pub`, `sub` and `bench` talk to it as to any broker.
 *
 * What RabbitMQ 3.10's MQTT does differently, and what these tests pin down:
 * - a CONNECT with the try_private bit (level 0x84) is closed without a CONNACK ("framing error
 *   protocol_header_corrupt" in its log): the bridge tries a plain 3.1.1 CONNECT at once;
 * - no QoS 2: a QoS 2 subscription is granted QoS 1, and a QoS 2 PUBLISH is answered with PUBACK
 *   (the message is kept and delivered at QoS 1);
 * - no no-local in 3.1.1: what the bridge sends on a `both` topic comes back to it once (and is
 *   dropped there as an echo).
 * Each test uses topics and client ids of its own on the shared node.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { QoS } from '../../src/core/protocol/types.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runMqtt, spawnMqtt } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';
import { cleanupAfterEach, connectedClient, subscribedInbox } from '../helpers/test-clients.js';
import { RABBITMQ_PEERS, startRabbitMq, type RabbitMq } from '../helpers/rabbitmq.js';

const defer = cleanupAfterEach();
const client = (port: number) => connectedClient(defer, port);
const subscriber = (port: number, topics: string[], qos: QoS) => subscribedInbox(defer, port, topics, qos);

async function edge(lines: string[]): Promise<BrokerProcess> {
  const b = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...lines], ['-v']);
  defer(() => b.stop());
  return b;
}

describeIfTool(RABBITMQ_PEERS, 'bridge and clients against RabbitMQ (rabbitmq_mqtt, MQTT 3.1.1)', () => {
  let rabbit: RabbitMq;
  beforeAll(async () => {
    rabbit = await startRabbitMq();
  }, 120_000);
  afterAll(async () => {
    await rabbit?.stop();
  }, 60_000);

  it('ours at the edge: out, in and both with remapping, QoS 0 and 1, after falling back from try_private', async () => {
    const bridge = await edge([
      'connection cluster',
      `address 127.0.0.1:${rabbit.port}`,
      'remote_clientid edge-to-rabbit',
      'restart_timeout 1',
      'topic out/# out 1 site/ cluster/site/',
      'topic in/# in 1 site/ cluster/site/',
      'topic both/# both 1',
    ]);
    await bridge.proc.waitForStderr(/Bridge cluster connected to/, 20_000);
    // the try_private CONNECT (level 0x84) was closed unanswered, the plain one accepted
    expect(bridge.proc.stderr).toMatch(/closed the connection without a CONNACK to the bridge protocol \(try_private\); trying without it/);
    await rabbit.waitForLog(/protocol_header_corrupt/);
    await bridge.proc.waitForStderr(/edge-to-rabbit received SUBACK[\s\S]*edge-to-rabbit received SUBACK/);

    const atCluster = await subscriber(rabbit.port, ['cluster/#', 'both/#'], 1);
    const atEdge = await subscriber(bridge.port, ['site/#', 'both/#'], 1);
    const pubEdge = await client(bridge.port);
    const pubCluster = await client(rabbit.port);
    for (const qos of [0, 1] as const) {
      await pubEdge.publish(`site/out/q${qos}`, Buffer.from(`out${qos}`), { qos, retain: false });
      await pubCluster.publish(`cluster/site/in/q${qos}`, Buffer.from(`in${qos}`), { qos, retain: false });
      await pubEdge.publish(`both/edge/q${qos}`, Buffer.from(`be${qos}`), { qos, retain: false });
      await pubCluster.publish(`both/cluster/q${qos}`, Buffer.from(`bc${qos}`), { qos, retain: false });
    }
    // (cluster/# also holds what pubCluster sent to the edge)
    const clusterWants = [0, 1].flatMap((q) => [`cluster/site/out/q${q} out${q}`, `cluster/site/in/q${q} in${q}`, `both/edge/q${q} be${q}`, `both/cluster/q${q} bc${q}`]);
    const edgeWants = [0, 1].flatMap((q) => [`site/out/q${q} out${q}`, `site/in/q${q} in${q}`, `both/edge/q${q} be${q}`, `both/cluster/q${q} bc${q}`]);
    await atCluster.until('every message at RabbitMQ', () => clusterWants.every((w) => atCluster.texts().includes(w)));
    await atEdge.until('every message at the edge', () => edgeWants.every((w) => atEdge.texts().includes(w)));
    // a QoS 1 fence each way: what was sent before it has arrived by the time it does
    await pubEdge.publish('both/fence', Buffer.from('edge'), { qos: 1, retain: false });
    await pubCluster.publish('both/fence', Buffer.from('cluster'), { qos: 1, retain: false });
    await atCluster.until('the fences at RabbitMQ', () => ['both/fence edge', 'both/fence cluster'].every((w) => atCluster.texts().includes(w)));
    await atEdge.until('the fences at the edge', () => ['both/fence edge', 'both/fence cluster'].every((w) => atEdge.texts().includes(w)));
    // RabbitMQ has each message once: nothing crossed back and forth
    expect(atCluster.texts().sort()).toEqual([...clusterWants, 'both/fence edge', 'both/fence cluster'].sort());
    // and the edge too: an edge message on a `both` topic comes back from RabbitMQ (a 3.1.1 remote
    // without try_private has no no-local), and the bridge drops that echo (EchoFilter)
    await atEdge.until('the echoes of the edge fence', () => /dropped the echo of our own PUBLISH on both\/fence/.test(bridge.proc.stderr));
    expect(atEdge.texts().sort()).toEqual([...edgeWants, 'both/fence edge', 'both/fence cluster'].sort());
    // the QoS of a crossing: the lower of the publish's and the topic line's
    expect(atCluster.got.find((p) => p.topic === 'cluster/site/out/q1')!.qos).toBe(1);
    expect(atEdge.got.find((p) => p.topic === 'site/in/q1')!.qos).toBe(1);
    // the bridge's state, retained on RabbitMQ
    const state = await subscriber(rabbit.port, ['$SYS/broker/connection/edge-to-rabbit/state'], 1);
    await state.until('the retained bridge state', () => state.got.length > 0);
    expect(state.got[0]!.payload.toString()).toBe('1');
  });

  it('QoS 2 topics: RabbitMQ takes them as QoS 1 (PUBACK to a QoS 2 PUBLISH, SUBACK 1); each message crosses once', async () => {
    const bridge = await edge([
      'connection q2',
      `address 127.0.0.1:${rabbit.port}`,
      'remote_clientid edge-q2',
      'restart_timeout 1',
      'try_private false',
      'topic q2out/# out 2',
      'topic q2in/# in 2',
    ]);
    await bridge.proc.waitForStderr(/Bridge q2 connected to/, 20_000);
    await bridge.proc.waitForStderr(/edge-q2 received SUBACK/);
    const atCluster = await subscriber(rabbit.port, ['q2out/#'], 2);
    const atEdge = await subscriber(bridge.port, ['q2in/#'], 2);
    const pubEdge = await client(bridge.port);
    const pubCluster = await client(rabbit.port);
    const n = 20;
    for (let i = 0; i < n; i++) await pubEdge.publish('q2out/x', Buffer.from(`o${i}`), { qos: 2, retain: false });
    // our client publishing QoS 2 to RabbitMQ directly would get the same PUBACK: it sends QoS 1
    for (let i = 0; i < n; i++) await pubCluster.publish('q2in/x', Buffer.from(`i${i}`), { qos: 1, retain: false });
    await atCluster.until(`${n} messages at RabbitMQ`, () => atCluster.got.length >= n);
    await atEdge.until(`${n} messages at the edge`, () => atEdge.got.length >= n);
    await pubEdge.publish('q2out/x', Buffer.from('fence'), { qos: 2, retain: false });
    await atCluster.until('the fence', () => atCluster.texts().includes('q2out/x fence'));
    expect(atCluster.texts()).toEqual([...Array.from({ length: n }, (_, i) => `q2out/x o${i}`), 'q2out/x fence']);
    expect(atEdge.texts()).toEqual(Array.from({ length: n }, (_, i) => `q2in/x i${i}`));
    // delivered by RabbitMQ at QoS 1, the subscription's granted QoS
    expect(new Set(atCluster.got.map((p) => p.qos))).toEqual(new Set([1]));
    expect(bridge.proc.stderr).toMatch(/Remote broker of bridge q2 acknowledged a QoS 2 message with PUBACK: it takes QoS 2 as QoS 1/);
    // the bridge kept its one connection: no protocol error, no reconnect, no resend
    expect(bridge.proc.stderr).not.toMatch(/connection to .* lost/);
    expect(bridge.proc.stderr.match(/Bridge q2 connected to/g)).toHaveLength(1);
  });

  it('mqtt pub, sub and bench against RabbitMQ directly', async () => {
    const at = ['-h', '127.0.0.1', '-p', String(rabbit.port)];
    const sub = spawnMqtt(['sub', ...at, '-t', 'cli/#', '-q', '1', '-v', '-d', '-C', '3'], { timeoutMs: 30_000 });
    await sub.waitForStdout(/Subscribed \(mid: 1\): 1/);
    for (const qos of ['0', '1']) {
      const r = await runMqtt(['pub', ...at, '-t', `cli/q${qos}`, '-m', `m${qos}`, '-q', qos]);
      expect(r.code, r.stderr).toBe(0);
    }
    // QoS 2: RabbitMQ answers with PUBACK; `mqtt pub`, like mosquitto_pub, calls that a protocol
    // error and exits non-zero, but RabbitMQ has taken the message (delivered at QoS 1)
    const q2 = await runMqtt(['pub', ...at, '-t', 'cli/q2', '-m', 'm2', '-q', '2']);
    expect(q2.code).not.toBe(0);
    expect(q2.stderr).toMatch(/protocol/i);
    const done = await sub.done;
    expect(done.code, done.stderr).toBe(0);
    expect(done.stdout.toString()).toMatch(/cli\/q0 m0\n[\s\S]*cli\/q1 m1\n[\s\S]*cli\/q2 m2\n/);

    for (const qos of ['0', '1']) {
      const r = await runMqtt(['bench', 'pubsub', ...at, '-q', qos, '-n', '2000', '-t', `bench-${qos}/%i`, '--json', '--quiet'], { timeoutMs: 60_000 });
      expect(r.code, r.stderr).toBe(0);
      const summary = JSON.parse(r.stdout.toString());
      expect(summary.connections.failed).toBe(0);
      expect(summary.receive.received).toBe(2000);
      expect(summary.receive.lost).toBe(0);
      expect(summary.receive.duplicates).toBe(0);
      if (qos === '1') expect(summary.publish.acked).toBe(2000);
    }
  });
});
