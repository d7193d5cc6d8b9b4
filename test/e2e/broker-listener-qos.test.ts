import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { IConnackPacket, IPublishPacket, Packet } from 'mqtt-packet';
import { RawClient } from '../helpers/broker.js';
import { startBrokerProcess } from '../helpers/broker-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

/**
 * max_qos, max_topic_alias and upgrade_outgoing_qos (mosquitto.conf(5)) side by side: the same
 * configuration and the same conversations against `mqtt broker` and a real Mosquitto, the same
 * packets expected from both. Listener A has max_qos 1 and max_topic_alias 2, listener B
 * max_topic_alias 0; upgrade_outgoing_qos and set_tcp_nodelay are global (set_tcp_nodelay false
 * is accepted by both; its effect on the sockets is checked in broker-tcp-nodelay.test.ts).
 */

const config = (a: number, b: number) => [
  `listener ${a} 127.0.0.1`,
  'max_qos 1',
  'max_topic_alias 2',
  `listener ${b} 127.0.0.1`,
  'max_topic_alias 0',
  'allow_anonymous true',
  'upgrade_outgoing_qos true',
  'set_tcp_nodelay false',
];

interface Target {
  a: number;
  b: number;
  stop(): Promise<void>;
}

const TARGETS: Record<string, () => Promise<Target>> = {
  ours: async () => {
    const b = await freePort();
    let a = 0;
    const broker = await startBrokerProcess((_dir, port) => config((a = port), b));
    return { a, b, stop: () => broker.stop() };
  },
  mosquitto: async () => {
    const b = await freePort();
    let a = 0;
    const m = await startMosquitto({ listenerConfig: (port) => config((a = port), b) });
    return { a, b, stop: () => m.stop() };
  },
};

describeIfTool(['mosquitto'], 'listener max_qos / max_topic_alias and upgrade_outgoing_qos, ours and Mosquitto', () => {
  for (const name of Object.keys(TARGETS)) {
    describe(name, () => {
      let target: Target;
      const clients: RawClient[] = [];
      beforeAll(async () => {
        target = await TARGETS[name]!();
      }, 30_000);
      afterAll(async () => {
        for (const c of clients) c.end();
        await target?.stop();
      });

      const open = async (port: number, version: 4 | 5): Promise<RawClient> => {
        const c = await RawClient.connect(port, version);
        clients.push(c);
        return c;
      };
      const connected = async (port: number, version: 4 | 5, fields: Partial<Extract<Packet, { cmd: 'connect' }>> = {}) => {
        const c = await open(port, version);
        const ack = await c.handshake(fields);
        expect(ack.reasonCode ?? ack.returnCode).toBe(0);
        return { c, ack };
      };

      it('CONNACK: Maximum QoS 1 [MQTT-3.2.2-9] and Topic Alias Maximum 2; none of either on listener B [MQTT-3.2.2-18]', async () => {
        const { ack } = await connected(target.a, 5);
        expect(ack.properties).toEqual({ topicAliasMaximum: 2, receiveMaximum: 20, maximumQoS: 1 });
        const { ack: ackB } = await connected(target.b, 5);
        expect(ackB.properties).toEqual({ receiveMaximum: 20 });
      });

      it('a v5 PUBLISH above max_qos: DISCONNECT 0x9B QoS not supported (3.3.1.2; the client broke [MQTT-3.2.2-11])', async () => {
        const { c } = await connected(target.a, 5);
        c.send({ cmd: 'publish', topic: 'q/2', payload: Buffer.from('x'), qos: 2, messageId: 1, retain: false, dup: false, properties: {} } as Packet);
        const d = await c.next('disconnect');
        expect(d.reasonCode).toBe(0x9b);
        await c.waitClosed();
      });

      it('a 3.1.1 PUBLISH above max_qos: the connection is closed, nothing sent', async () => {
        const { c } = await connected(target.a, 4);
        c.send({ cmd: 'publish', topic: 'q/2', payload: Buffer.from('x'), qos: 2, messageId: 1, retain: false, dup: false } as Packet);
        await c.waitClosed();
        expect(c.packets).toEqual([]);
      });

      it('a will QoS above max_qos: v5 CONNACK 0x9B and close [MQTT-3.2.2-12]; 3.1.1 closed without CONNACK', async () => {
        const will = { topic: 'w/t', payload: Buffer.from('bye'), qos: 2 as const, retain: false };
        const v5 = await open(target.a, 5);
        v5.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'will-v5', clean: true, keepalive: 60, will } as Packet);
        const ack = (await v5.next('connack')) as IConnackPacket;
        expect(ack.reasonCode).toBe(0x9b);
        await v5.waitClosed();
        const v4 = await open(target.a, 4);
        v4.send({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId: 'will-v4', clean: true, keepalive: 60, will } as Packet);
        await v4.waitClosed();
        expect(v4.packets).toEqual([]);
        // QoS 1 is within max_qos
        const { ack: ok } = await connected(target.a, 5, { will: { ...will, qos: 1 } });
        expect(ok.reasonCode).toBe(0);
      });

      it('subscriptions are granted at most max_qos (requests of QoS 2 still accepted [MQTT-3.2.2-10]); upgrade_outgoing_qos delivers at the subscription QoS, retained messages too', async () => {
        const { c: pub } = await connected(target.a, 4);
        pub.send({ cmd: 'publish', topic: 'up/r', payload: Buffer.from('kept'), qos: 0, retain: true, dup: false } as Packet);
        // a PINGRESP after it: the retained message has been handled (packets are handled in order)
        pub.send({ cmd: 'pingreq' });
        await pub.next('pingresp');
        const { c: sub } = await connected(target.a, 4);
        sub.send({ cmd: 'subscribe', messageId: 7, subscriptions: [{ topic: 'up/#', qos: 2 }] } as Packet);
        const suback = await sub.next('suback');
        expect(suback.granted).toEqual([1]);
        const retained = (await sub.next('publish')) as IPublishPacket;
        expect([retained.topic, retained.qos, retained.retain, String(retained.payload)]).toEqual(['up/r', 1, true, 'kept']);
        sub.send({ cmd: 'puback', messageId: retained.messageId! });
        pub.send({ cmd: 'publish', topic: 'up/live', payload: Buffer.from('now'), qos: 0, retain: false, dup: false } as Packet);
        const live = (await sub.next('publish')) as IPublishPacket;
        expect([live.topic, live.qos, live.retain, String(live.payload)]).toEqual(['up/live', 1, false, 'now']);
        sub.send({ cmd: 'puback', messageId: live.messageId! });
        // clean up the retained message for the other cases
        pub.send({ cmd: 'publish', topic: 'up/r', payload: Buffer.alloc(0), qos: 0, retain: true, dup: false } as Packet);
      });

      it('topic aliases up to max_topic_alias; one above it: DISCONNECT 0x94 Topic Alias invalid [MQTT-3.2.2-17]', async () => {
        const { c: sub } = await connected(target.a, 5);
        sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'al/#', qos: 0 }], properties: {} } as Packet);
        await sub.next('suback');
        const { c } = await connected(target.a, 5);
        c.send({ cmd: 'publish', topic: 'al/one', payload: Buffer.from('1'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } } as Packet);
        c.send({ cmd: 'publish', topic: '', payload: Buffer.from('2'), qos: 0, retain: false, dup: false, properties: { topicAlias: 2 } } as Packet);
        const got = [(await sub.next('publish')) as IPublishPacket, (await sub.next('publish')) as IPublishPacket];
        expect(got.map((p) => [p.topic, String(p.payload)])).toEqual([
          ['al/one', '1'],
          ['al/one', '2'],
        ]);
        c.send({ cmd: 'publish', topic: 'al/three', payload: Buffer.from('3'), qos: 0, retain: false, dup: false, properties: { topicAlias: 3 } } as Packet);
        expect((await c.next('disconnect')).reasonCode).toBe(0x94);
        await c.waitClosed();
      });

      it('max_topic_alias 0: any alias is invalid (DISCONNECT 0x94) [MQTT-3.2.2-18]', async () => {
        const { c } = await connected(target.b, 5);
        c.send({ cmd: 'publish', topic: 'al/one', payload: Buffer.from('1'), qos: 0, retain: false, dup: false, properties: { topicAlias: 1 } } as Packet);
        expect((await c.next('disconnect')).reasonCode).toBe(0x94);
        await c.waitClosed();
      });

      it('listener B keeps QoS 2 (max_qos is per listener), and upgrade_outgoing_qos applies there too', async () => {
        const { c: sub } = await connected(target.b, 5);
        sub.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'b/#', qos: 2 }], properties: {} } as Packet);
        expect((await sub.next('suback')).granted).toEqual([2]);
        const { c: pub } = await connected(target.b, 5);
        pub.send({ cmd: 'publish', topic: 'b/1', payload: Buffer.from('x'), qos: 1, messageId: 3, retain: false, dup: false, properties: {} } as Packet);
        await pub.next('puback');
        const p = (await sub.next('publish')) as IPublishPacket;
        expect([p.topic, p.qos]).toEqual(['b/1', 2]);
      });

      it('a persistent session subscribed at QoS 2 on listener B is sent at most QoS 1 once its client is back on listener A', async () => {
        const id = `roam-${name}`;
        const { c: first } = await connected(target.b, 4, { clientId: id, clean: false });
        first.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'roam/#', qos: 2 }] } as Packet);
        expect((await first.next('suback')).granted).toEqual([2]);
        first.send({ cmd: 'disconnect' });
        await first.waitClosed();
        const { c: back, ack } = await connected(target.a, 4, { clientId: id, clean: false });
        expect(ack.sessionPresent).toBe(true);
        const { c: pub } = await connected(target.b, 4);
        pub.send({ cmd: 'publish', topic: 'roam/1', payload: Buffer.from('x'), qos: 2, messageId: 5, retain: false, dup: false } as Packet);
        // Mosquitto routes a QoS 2 message at PUBREL
        await pub.next('pubrec');
        pub.send({ cmd: 'pubrel', messageId: 5 });
        await pub.next('pubcomp');
        const p = (await back.next('publish')) as IPublishPacket;
        expect([p.topic, p.qos]).toEqual(['roam/1', 1]);
        back.send({ cmd: 'puback', messageId: p.messageId! });
      });
    });
  }
});
