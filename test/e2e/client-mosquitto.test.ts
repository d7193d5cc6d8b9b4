import type { IPublishPacket } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import { ConnectError } from '../../src/client/errors.js';
import { testClientConfig } from '../helpers/client-config.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

function nextMessages(client: MqttClient, n: number): Promise<IPublishPacket[]> {
  return new Promise((resolve) => {
    const got: IPublishPacket[] = [];
    const on = (p: IPublishPacket) => {
      got.push(p);
      if (got.length === n) {
        client.off('message', on);
        resolve(got);
      }
    };
    client.on('message', on);
  });
}

describeIfTool(['mosquitto'], 'MqttClient against a real Mosquitto', () => {
  let broker: Mosquitto;
  beforeAll(async () => {
    broker = await startMosquitto();
  });
  afterAll(async () => {
    await broker?.stop();
  });

  for (const version of [4, 5] as const) {
    describe(`MQTT ${version === 5 ? '5' : '3.1.1'}`, () => {
      it.each([0, 1, 2] as const)('round-trips QoS %i and completes the flow', async (qos) => {
        const sub = new MqttClient(testClientConfig(broker.port, version));
        const pub = new MqttClient(testClientConfig(broker.port, version));
        await sub.connect();
        await pub.connect();
        const suback = await sub.subscribe([{ topic: `rt/${version}/${qos}`, qos }]);
        expect(suback.granted).toEqual([qos]);
        const received = nextMessages(sub, 3);
        for (let i = 0; i < 3; i++) {
          const r = await pub.publish(`rt/${version}/${qos}`, Buffer.from(`m${i}`), { qos, retain: false });
          expect(r.reasonCode).toBe(0);
        }
        const msgs = await received;
        expect(msgs.map((m) => m.payload.toString())).toEqual(['m0', 'm1', 'm2']);
        expect(msgs.every((m) => m.qos === qos)).toBe(true);
        expect(pub.inflight).toBe(0);
        await pub.disconnect();
        await sub.disconnect();
      });

      it('pipelines many QoS 1 messages within the in-flight window, none lost', async () => {
        const sub = new MqttClient(testClientConfig(broker.port, version));
        const pub = new MqttClient(testClientConfig(broker.port, version, { maxInflight: 10 }));
        await sub.connect();
        await pub.connect();
        await sub.subscribe([{ topic: `pipe/${version}`, qos: 1 }]);
        const received = nextMessages(sub, 500);
        const results = [];
        for (let i = 0; i < 500; i++) {
          await pub.waitForCapacity();
          expect(pub.inflight).toBeLessThanOrEqual(10);
          results.push(pub.publish(`pipe/${version}`, Buffer.from(String(i)), { qos: 1, retain: false }));
        }
        await Promise.all(results);
        const msgs = await received;
        expect(msgs.map((m) => Number(m.payload.toString()))).toEqual([...Array(500).keys()]);
        await pub.disconnect();
        await sub.disconnect();
      });
    });
  }

  it('[MQTT-3.3.2-7] v5 outgoing topic alias: later publishes send only the alias and still arrive', async () => {
    const sub = new MqttClient(testClientConfig(broker.port, 5));
    const pub = new MqttClient(testClientConfig(broker.port, 5, { debug: true }));
    const lines: string[] = [];
    pub.on('debug', (l) => lines.push(l));
    await sub.connect();
    const connack = await pub.connect();
    expect(connack.properties?.topicAliasMaximum).toBeGreaterThan(0);
    await sub.subscribe([{ topic: 'alias/t', qos: 1 }]);
    const received = nextMessages(sub, 3);
    for (let i = 0; i < 3; i++) await pub.publish('alias/t', Buffer.from(`a${i}`), { qos: 1, retain: false, properties: { topicAlias: 1 } });
    const msgs = await received;
    expect(msgs.map((m) => [m.topic, m.payload.toString()])).toEqual([
      ['alias/t', 'a0'],
      ['alias/t', 'a1'],
      ['alias/t', 'a2'],
    ]);
    const sent = lines.filter((l) => l.includes('sending PUBLISH'));
    expect(sent[0]).toContain("'alias/t'");
    expect(sent[1]).toContain("'(null)'"); // libmosquitto prints the NULL topic
    await pub.disconnect();
    await sub.disconnect();
  });

  it('v5 server-assigned client identifier replaces an empty id', async () => {
    const c = new MqttClient(testClientConfig(broker.port, 5, { clientId: '' }));
    const connack = await c.connect();
    expect(connack.properties?.assignedClientIdentifier).toBeTruthy();
    expect(c.id).toBe(connack.properties?.assignedClientIdentifier);
    await c.disconnect();
  });

  it('reports a refused TCP connection as a transport error', async () => {
    const c = new MqttClient(testClientConfig(1, 4));
    await expect(c.connect()).rejects.toMatchObject({ kind: 'transport', message: 'Connection refused' });
    await expect(c.connect()).rejects.toBeInstanceOf(ConnectError);
  });

  it('a will is published when the client drops without DISCONNECT', async () => {
    const watcher = new MqttClient(testClientConfig(broker.port, 4));
    await watcher.connect();
    await watcher.subscribe([{ topic: 'will/t', qos: 1 }]);
    const dying = new MqttClient(
      testClientConfig(broker.port, 4, { will: { topic: 'will/t', payload: Buffer.from('gone'), qos: 1, retain: false } }),
    );
    await dying.connect();
    const got = nextMessages(watcher, 1);
    dying.destroy();
    const [m] = await got;
    expect(m!.payload.toString()).toBe('gone');
    await watcher.disconnect();
  });

  it('persistent session: QoS 1 messages queued while away arrive after reconnect with session present', async () => {
    const id = `persist-${Date.now()}`;
    const a = new MqttClient(testClientConfig(broker.port, 4, { clientId: id, cleanSession: false }));
    await a.connect();
    await a.subscribe([{ topic: 'persist/t', qos: 1 }]);
    await a.disconnect();
    const pub = new MqttClient(testClientConfig(broker.port, 4));
    await pub.connect();
    await pub.publish('persist/t', Buffer.from('while-away'), { qos: 1, retain: false });
    await pub.disconnect();
    const b = new MqttClient(testClientConfig(broker.port, 4, { clientId: id, cleanSession: false }));
    const got = nextMessages(b, 1);
    const connack = await b.connect();
    expect(connack.sessionPresent).toBe(true);
    expect((await got)[0]!.payload.toString()).toBe('while-away');
    await b.disconnect();
  });
});
