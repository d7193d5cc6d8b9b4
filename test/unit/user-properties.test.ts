import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import { encodePacket, PacketDecoder, type Packet } from '../../src/core/protocol/codec.js';
import { orderedUserProperties, userPropertyList } from '../../src/core/protocol/user-properties.js';
import { testClientConfig } from '../helpers/client-config.js';
import { startTestBroker } from '../helpers/broker.js';

const INTERLEAVED = [['k', 'v'], ['k2', 'v 2'], ['k', 'again']] as const;

/** A v5 PUBLISH whose user properties are k=v, k2="v 2", k=again on the wire, built by hand. */
function interleavedPublish(): Buffer {
  const pair = (k: string, v: string) => Buffer.concat([Buffer.from([0x26, 0, k.length]), Buffer.from(k), Buffer.from([0, v.length]), Buffer.from(v)]);
  const props = Buffer.concat(INTERLEAVED.map(([k, v]) => pair(k, v)));
  const topic = Buffer.from([0, 1, 0x74]);
  const body = Buffer.concat([topic, Buffer.from([props.length]), props, Buffer.from('x')]);
  return Buffer.concat([Buffer.from([0x30, body.length]), body]);
}

function decode(bytes: Buffer): Packet {
  const packets: Packet[] = [];
  const d = new PacketDecoder({ protocolVersion: 5, onPacket: (p) => packets.push(p), onError: (e) => { throw e; } });
  d.push(bytes);
  expect(packets).toHaveLength(1);
  return packets[0]!;
}

describe('user properties keep their wire order [MQTT-3.3.2-18]', () => {
  it('decoding keeps the order next to mqtt-packet record, and encoding writes it back byte for byte', () => {
    const wire = interleavedPublish();
    const packet = decode(wire) as Packet & { properties: { userProperties: Record<string, unknown> } };
    // the record is still mqtt-packet's (what other code reads), the order rides along
    expect({ ...packet.properties.userProperties }).toEqual({ k: ['v', 'again'], k2: 'v 2' });
    expect(userPropertyList(packet.properties.userProperties)).toEqual(INTERLEAVED);
    expect(encodePacket(packet, 5)).toEqual(wire);
    // mqtt-packet alone folds the repeated key together
    expect(mqttPacket.generate(packet, { protocolVersion: 5 })).not.toEqual(wire);
  });

  it('a record built from pairs encodes in their order; without a repeat it is plain mqtt-packet', () => {
    const props = { userProperties: orderedUserProperties([...INTERLEAVED]) };
    const bytes = encodePacket({ cmd: 'publish', topic: 't', payload: Buffer.from('x'), qos: 0, retain: false, dup: false, properties: props }, 5);
    expect(bytes).toEqual(interleavedPublish());
    expect(JSON.stringify(props)).toBe('{"userProperties":{"k":["v","again"],"k2":"v 2"}}');
    const plain = { userProperties: orderedUserProperties([['a', '1'], ['b', '2']]) };
    expect(userPropertyList(plain.userProperties)).toEqual([['a', '1'], ['b', '2']]);
  });

  it('our broker forwards them in order to a subscriber', async () => {
    const b = await startTestBroker();
    const sub = new MqttClient(testClientConfig(b.port, 5));
    const pub = new MqttClient(testClientConfig(b.port, 5));
    try {
      await sub.connect();
      await pub.connect();
      await sub.subscribe([{ topic: 'up/t', qos: 1 }]);
      const got = new Promise<Packet & { properties?: { userProperties?: unknown } }>((resolve) => sub.once('message', resolve));
      await pub.publish('up/t', Buffer.from('x'), { qos: 1, retain: false, properties: { userProperties: orderedUserProperties([...INTERLEAVED]) } });
      expect(userPropertyList((await got).properties?.userProperties)).toEqual(INTERLEAVED);
    } finally {
      await sub.disconnect();
      await pub.disconnect();
      await b.stop();
    }
  });
});
