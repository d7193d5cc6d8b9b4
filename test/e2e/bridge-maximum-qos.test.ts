/**
 * A v5 remote whose CONNACK says Maximum QoS 1 or 0 (Mosquitto's `max_qos`): the bridge
 * subscribes and forwards no higher [MQTT-3.2.2-11], as Mosquitto's bridge does, instead of being
 * disconnected with 0x9B; a remote that refuses the state topic's will QoS [MQTT-3.2.2-12] is
 * connected to again with a lower one.
 */
import { describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { cleanupAfterEach, connectedClient, subscribedInbox } from '../helpers/test-clients.js';

const defer = cleanupAfterEach();

async function remoteWithMaxQos(maxQos: number): Promise<Mosquitto> {
  const m = await startMosquitto({ listenerConfig: (port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `max_qos ${maxQos}`] });
  defer(() => m.stop());
  return m;
}

async function edge(remotePort: number, name: string): Promise<BrokerProcess> {
  const b = await startBrokerProcess(
    (_dir, port) => [
      `listener ${port} 127.0.0.1`,
      'allow_anonymous true',
      `connection ${name}`,
      `address 127.0.0.1:${remotePort}`,
      'bridge_protocol_version mqttv50',
      `remote_clientid ${name}`,
      'topic out/# out 2',
      'topic in/# in 2',
      'restart_timeout 1',
    ],
    ['-v'],
  );
  defer(() => b.stop());
  return b;
}

describeIfTool(['mosquitto'], 'bridge to a v5 remote with a Maximum QoS below 2', () => {
  it('Maximum QoS 1: the remote subscription and QoS 2 messages go at QoS 1, both ways, and the bridge stays connected', async () => {
    const remote = await remoteWithMaxQos(1);
    const b = await edge(remote.port, 'mq1');
    await b.proc.waitForStderr(/Bridge mq1 connected to/);
    // Mosquitto logs each SUBSCRIBE with the QoS asked for
    await remote.waitForLog(/Received SUBSCRIBE from mq1\n.*\tin\/# \(QoS 1\)/);
    const atRemote = await subscribedInbox(defer, remote.port, ['out/#'], 1, 5);
    const atEdge = await subscribedInbox(defer, b.port, ['in/#'], 2, 5);
    const pubEdge = await connectedClient(defer, b.port, 5);
    const pubRemote = await connectedClient(defer, remote.port, 5);
    for (let i = 0; i < 3; i++) {
      await pubEdge.publish(`out/${i}`, Buffer.from(`out ${i}`), { qos: 2, retain: false });
      await pubRemote.publish(`in/${i}`, Buffer.from(`in ${i}`), { qos: 1, retain: false });
    }
    await atRemote.until('3 forwarded out', () => atRemote.got.length >= 3);
    await atEdge.until('3 forwarded in', () => atEdge.got.length >= 3);
    expect(atRemote.texts()).toEqual(['out/0 out 0', 'out/1 out 1', 'out/2 out 2']);
    expect(atEdge.texts()).toEqual(['in/0 in 0', 'in/1 in 1', 'in/2 in 2']);
    expect(remote.log()).toMatch(/Received PUBLISH from mq1 \(d0, q1, r0, m\d+, 'out\/0'/);
    expect(remote.log()).not.toMatch(/Received PUBLISH from mq1 \(d\d, q2/);
    // never disconnected for QoS not supported, never reconnected
    expect(b.proc.stderr).not.toMatch(/connection to .* lost/);
    expect(remote.log().match(/as mq1 /g)?.length).toBe(1);
  });

  it('Maximum QoS 0: the will of QoS 1 is refused (0x9B), the bridge connects again at QoS 0 and forwards QoS 1 messages at QoS 0', async () => {
    const remote = await remoteWithMaxQos(0);
    const b = await edge(remote.port, 'mq0');
    await b.proc.waitForStderr(/Bridge mq0: Connection Refused: QoS not supported \(will retry with QoS 1\)/);
    await b.proc.waitForStderr(/Bridge mq0: Connection Refused: QoS not supported \(will retry with QoS 0\)/, 20_000);
    await b.proc.waitForStderr(/Bridge mq0 connected to/, 20_000);
    const atRemote = await subscribedInbox(defer, remote.port, ['out/#'], 0, 5);
    const pubEdge = await connectedClient(defer, b.port, 5);
    await pubEdge.publish('out/a', Buffer.from('one'), { qos: 1, retain: false });
    await pubEdge.publish('out/b', Buffer.from('two'), { qos: 2, retain: false });
    await atRemote.until('2 forwarded at QoS 0', () => atRemote.got.length >= 2);
    expect(atRemote.texts()).toEqual(['out/a one', 'out/b two']);
    expect(remote.log()).toMatch(/Received PUBLISH from mq0 \(d0, q0, r0, m\d+, 'out\/a'/);
  }, 30_000);
});

describe('bridge to our own broker with max_qos 1', () => {
  it('the same: subscribed and forwarded at QoS 1, the bridge stays connected', async () => {
    const remote = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'max_qos 1'], ['-v']);
    defer(() => remote.stop());
    const b = await edge(remote.port, 'ours1');
    await b.proc.waitForStderr(/Bridge ours1 connected to/);
    const atRemote = await subscribedInbox(defer, remote.port, ['out/#'], 1, 5);
    const pubEdge = await connectedClient(defer, b.port, 5);
    await pubEdge.publish('out/x', Buffer.from('x'), { qos: 2, retain: false });
    await atRemote.until('1 forwarded', () => atRemote.got.length >= 1);
    expect(atRemote.got[0]!.qos).toBe(1);
    expect(b.proc.stderr).not.toMatch(/connection to .* lost/);
  });
});
