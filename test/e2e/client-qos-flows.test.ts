/**
 * The client's QoS flows on the session engine, against a scripted server on a real socket:
 * what the client sends for each acknowledgement, its window, aliases and QoS 2 dedupe.
 */
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import type { IPublishPacket, Packet } from 'mqtt-packet';
import { MqttClient, type ClientHooks, type PublishResult } from '../../src/client/mqtt-client.js';
import type { ProtocolVersion } from '../../src/core/protocol/types.js';
import { RC } from '../../src/core/protocol/reason-codes.js';
import { RawClient } from '../helpers/broker.js';
import { testClientConfig } from '../helpers/client-config.js';

interface Scripted {
  client: MqttClient;
  server: RawClient;
  /** the next connection to the same listener (a reconnect), CONNECT read and answered with `connack` */
  reconnect(connack: Partial<Extract<Packet, { cmd: 'connack' }>>): Promise<RawClient>;
}

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const c of cleanups.splice(0)) c();
});

/** A listening socket whose first connection answers CONNECT with `connack`, and a connected client. */
async function scripted(version: ProtocolVersion, connack: Partial<Extract<Packet, { cmd: 'connack' }>> = {}, maxInflight = 20, hooks?: ClientHooks): Promise<Scripted> {
  const listener = net.createServer();
  await new Promise<void>((r) => listener.listen(0, '127.0.0.1', r));
  cleanups.push(() => listener.close());
  const client = new MqttClient(testClientConfig((listener.address() as net.AddressInfo).port, version, { maxInflight }), hooks);
  cleanups.push(() => client.destroy());
  const connectTo = async (answer: Partial<Extract<Packet, { cmd: 'connack' }>>): Promise<RawClient> => {
    const accepted = new Promise<RawClient>((resolve) => listener.once('connection', (s) => resolve(RawClient.accept(s, version))));
    const connecting = client.connect();
    const server = await accepted;
    cleanups.push(() => server.socket.destroy());
    await server.next('connect');
    server.send({ cmd: 'connack', sessionPresent: false, ...(version === 5 ? { reasonCode: 0 } : { returnCode: 0 }), ...answer } as Packet);
    await connecting;
    return server;
  };
  return { client, server: await connectTo(connack), reconnect: connectTo };
}

const publishes = (s: RawClient) => s.packets.filter((p) => p.cmd === 'publish') as IPublishPacket[];

describe('client QoS flows on the session engine', () => {
  it('[MQTT-4.9.0-2] publishes beyond the server receive maximum wait; each PUBACK lets the next one go', async () => {
    const { client, server } = await scripted(5, { properties: { receiveMaximum: 2 } });
    const results = [1, 2, 3, 4].map((i) => client.publish('w/t', Buffer.from(String(i)), { qos: 1, retain: false }));
    await server.waitFor(() => publishes(server).length === 2);
    expect(client.hasCapacity()).toBe(false);
    const first = publishes(server)[0]!;
    server.send({ cmd: 'puback', messageId: first.messageId!, reasonCode: 0 });
    await server.waitFor(() => publishes(server).length === 3);
    expect(publishes(server).map((p) => p.payload.toString())).toEqual(['1', '2', '3']);
    for (const p of publishes(server).slice(1)) server.send({ cmd: 'puback', messageId: p.messageId!, reasonCode: 0 });
    await server.waitFor(() => publishes(server).length === 4);
    server.send({ cmd: 'puback', messageId: publishes(server)[3]!.messageId!, reasonCode: 0x10 });
    const codes = (await Promise.all(results)).map((r: PublishResult) => r.reasonCode);
    expect(codes).toEqual([0, 0, 0, 0x10]);
    expect(client.inflight).toBe(0);
  });

  it('[MQTT-4.3.3-4] [MQTT-4.3.3-5] QoS 2: PUBREL after PUBREC (again after a repeated PUBREC), PUBCOMP resolves with the PUBREC reason code', async () => {
    const { client, server } = await scripted(5);
    const done = client.publish('q2', Buffer.from('x'), { qos: 2, retain: false });
    const pub = await server.next('publish');
    server.send({ cmd: 'pubrec', messageId: pub.messageId!, reasonCode: 0x10 });
    expect((await server.next('pubrel')).reasonCode ?? 0).toBe(0);
    server.send({ cmd: 'pubrec', messageId: pub.messageId!, reasonCode: 0x10 });
    expect((await server.next('pubrel')).reasonCode ?? 0).toBe(0);
    server.send({ cmd: 'pubcomp', messageId: pub.messageId!, reasonCode: 0 });
    expect((await done).reasonCode).toBe(0x10);
  });

  it('[MQTT-4.4.0-2] a PUBREC failure code ends the flow: no PUBREL, publish() resolves with it', async () => {
    const { client, server } = await scripted(5);
    const done = client.publish('q2', Buffer.from('x'), { qos: 2, retain: false });
    const pub = await server.next('publish');
    server.send({ cmd: 'pubrec', messageId: pub.messageId!, reasonCode: RC.NotAuthorized });
    expect((await done).reasonCode).toBe(RC.NotAuthorized);
    expect(client.inflight).toBe(0);
    server.send({ cmd: 'pingresp' });
    await server.waitFor(() => true);
    expect(server.packets.some((p) => p.cmd === 'pubrel')).toBe(false);
  });

  for (const version of [4, 5] as const) {
    it(`PUBREC for an id not in flight still gets PUBREL${version === 5 ? ' with 0x92' : ''} (v${version})`, async () => {
      const { server } = await scripted(version);
      server.send({ cmd: 'pubrec', messageId: 77 } as Packet);
      const rel = await server.next('pubrel');
      expect(rel.messageId).toBe(77);
      expect(rel.reasonCode ?? 0).toBe(version === 5 ? RC.PacketIdentifierNotFound : 0);
    });
  }

  it('with the plainPubrelNotFound hook (a bridge) that PUBREL has no reason code in v5 either, as Mosquitto bridges send it', async () => {
    const { server } = await scripted(5, {}, 20, { plainPubrelNotFound: true });
    server.send({ cmd: 'pubrec', messageId: 78 } as Packet);
    const rel = await server.next('pubrel');
    expect(rel.messageId).toBe(78);
    expect(rel.reasonCode ?? 0).toBe(0);
  });

  it('the wrong acknowledgement for a message in flight (PUBACK for QoS 2) closes with DISCONNECT 0x82 (v5)', async () => {
    const { client, server } = await scripted(5);
    const lost = new Promise<Error>((r) => client.once('connection-lost', r));
    const done = client.publish('q2', Buffer.from('x'), { qos: 2, retain: false });
    done.catch(() => {});
    const pub = await server.next('publish');
    server.send({ cmd: 'puback', messageId: pub.messageId!, reasonCode: 0 });
    expect((await server.next('disconnect')).reasonCode).toBe(RC.ProtocolError);
    expect((await lost).message).toMatch(/protocol violation/);
  });

  it('with the qos2Puback hook (a bridge), a PUBACK to a QoS 2 PUBLISH ends its flow: a server that downgrades QoS 2, as RabbitMQ does', async () => {
    let downgrades = 0;
    const { client, server } = await scripted(4, {}, 20, { qos2Puback: () => void downgrades++ });
    const lost = new Promise<Error>((r) => client.once('connection-lost', r));
    const first = client.publish('q2', Buffer.from('a'), { qos: 2, retain: false });
    const pub = await server.next('publish');
    server.send({ cmd: 'puback', messageId: pub.messageId! });
    expect((await first).reasonCode).toBe(0);
    expect(downgrades).toBe(1);
    expect(client.inflight).toBe(0);
    // after PUBREC and our PUBREL only PUBCOMP ends it: a PUBACK there is still the wrong acknowledgement
    const second = client.publish('q2', Buffer.from('b'), { qos: 2, retain: false });
    second.catch(() => {});
    const pub2 = await server.next('publish');
    server.send({ cmd: 'pubrec', messageId: pub2.messageId! });
    await server.next('pubrel');
    server.send({ cmd: 'puback', messageId: pub2.messageId! });
    expect((await lost).message).toMatch(/protocol violation/);
    expect(downgrades).toBe(1);
  });

  it('[MQTT-4.3.3-10] a QoS 2 PUBLISH resent before PUBREL reaches the application once, at PUBREL, after PUBCOMP', async () => {
    const { client, server } = await scripted(4);
    const got: string[] = [];
    client.on('message', (m) => got.push(m.payload.toString()));
    const p: Packet = { cmd: 'publish', topic: 'in', payload: Buffer.from('once'), qos: 2, retain: false, dup: false, messageId: 9 };
    server.send(p);
    await server.next('pubrec');
    server.send({ ...p, dup: true } as Packet);
    await server.next('pubrec');
    expect(got).toEqual([]);
    server.send({ cmd: 'pubrel', messageId: 9 });
    await server.next('pubcomp');
    await server.waitFor(() => got.length > 0);
    expect(got).toEqual(['once']);
    // after PUBCOMP the id names a new message [MQTT-4.3.3-12]
    server.send({ ...p, payload: Buffer.from('again') } as Packet);
    await server.next('pubrec');
    server.send({ cmd: 'pubrel', messageId: 9 });
    await server.next('pubcomp');
    await server.waitFor(() => got.length > 1);
    expect(got).toEqual(['once', 'again']);
  });

  it('topic aliases from the server: set, then used alone; alias 0 is Topic Alias invalid (0x94)', async () => {
    const { client, server } = await scripted(5);
    const got: string[] = [];
    client.on('message', (m) => got.push(m.topic));
    const lost = new Promise<Error>((r) => client.once('connection-lost', r));
    const base = { cmd: 'publish', payload: Buffer.from('p'), qos: 1, retain: false, dup: false } as const;
    server.send({ ...base, topic: 'long/topic', messageId: 1, properties: { topicAlias: 4 } } as Packet);
    server.send({ ...base, topic: '', messageId: 2, properties: { topicAlias: 4 } } as Packet);
    await server.waitFor(() => server.packets.filter((p) => p.cmd === 'puback').length === 2);
    expect(got).toEqual(['long/topic', 'long/topic']);
    server.send({ ...base, topic: 'zero', messageId: 3, properties: { topicAlias: 0 } } as Packet);
    expect((await server.next('disconnect')).reasonCode).toBe(RC.TopicAliasInvalid);
    await lost;
  });

  it('with the closeWithoutDisconnect hook (a bridge) a protocol violation closes without DISCONNECT, as Mosquitto bridges do', async () => {
    const { server } = await scripted(5, {}, 20, { closeWithoutDisconnect: true });
    server.send({ cmd: 'publish', topic: '', payload: Buffer.from('p'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } } as Packet);
    await server.waitFor(() => server.closed);
    expect(server.packets.filter((p) => p.cmd === 'disconnect')).toEqual([]);
  });

  it('an alias the server never set is a protocol error (0x82)', async () => {
    const { server } = await scripted(5);
    server.send({ cmd: 'publish', topic: '', payload: Buffer.from('p'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } } as Packet);
    expect((await server.next('disconnect')).reasonCode).toBe(RC.ProtocolError);
  });

  it('[MQTT-3.3.2-9] our own alias: topic and alias first, the alias alone after; above the server maximum it is not sent', async () => {
    const { client, server } = await scripted(5, { properties: { topicAliasMaximum: 2 } });
    for (const alias of [1, 1, 3]) await client.publish('a/b', Buffer.from('m'), { qos: 0, retain: false, properties: { topicAlias: alias } });
    await server.waitFor(() => publishes(server).length === 3);
    expect(publishes(server).map((p) => [p.topic, p.properties?.topicAlias])).toEqual([
      ['a/b', 1],
      ['', 1],
      ['a/b', undefined],
    ]);
  });

  it('[MQTT-4.4.0-1] [MQTT-4.3.3-6] a reconnect to a present session resends in flight with DUP, PUBREL as PUBREL, then what waited', async () => {
    const { client, server, reconnect } = await scripted(4, {}, 2);
    const lost = new Promise<unknown>((r) => client.once('connection-lost', r));
    const results = ['q1', 'q2', 'queued'].map((m, i) => client.publish('r/t', Buffer.from(m), { qos: (i === 1 ? 2 : 1) as 1 | 2, retain: false }));
    await server.waitFor(() => publishes(server).length === 2);
    const q2 = publishes(server)[1]!;
    server.send({ cmd: 'pubrec', messageId: q2.messageId! });
    await server.next('pubrel');
    server.socket.destroy();
    await lost;
    const again = await reconnect({ sessionPresent: true });
    const first = await again.next();
    expect(first.cmd).toBe('publish');
    expect((first as IPublishPacket).dup).toBe(true);
    expect((first as IPublishPacket).payload.toString()).toBe('q1');
    const rel = await again.next();
    expect([rel.cmd, (rel as { messageId?: number }).messageId]).toEqual(['pubrel', q2.messageId]);
    // the window is full (q1 and q2 in flight): 'queued' waits for an ack
    again.send({ cmd: 'puback', messageId: (first as IPublishPacket).messageId! });
    const third = await again.next('publish');
    expect([third.payload.toString(), third.dup]).toEqual(['queued', false]);
    again.send({ cmd: 'pubcomp', messageId: q2.messageId! });
    again.send({ cmd: 'puback', messageId: third.messageId! });
    expect((await Promise.all(results)).map((r) => r.reasonCode)).toEqual([0, 0, 0]);
    expect(client.inflight).toBe(0);
  });

  it('a reconnect without a session: the flow at PUBREL is complete, the rest go again without DUP', async () => {
    const { client, server, reconnect } = await scripted(4, {}, 2);
    const lost = new Promise<unknown>((r) => client.once('connection-lost', r));
    const q1 = client.publish('r/t', Buffer.from('q1'), { qos: 1, retain: false });
    const q2 = client.publish('r/t', Buffer.from('q2'), { qos: 2, retain: false });
    await server.waitFor(() => publishes(server).length === 2);
    server.send({ cmd: 'pubrec', messageId: publishes(server)[1]!.messageId! });
    await server.next('pubrel');
    server.socket.destroy();
    await lost;
    const again = await reconnect({ sessionPresent: false });
    expect((await q2).reasonCode).toBe(0);
    const p = await again.next('publish');
    expect([p.payload.toString(), p.dup]).toEqual(['q1', false]);
    again.send({ cmd: 'puback', messageId: p.messageId! });
    await q1;
  });
});
