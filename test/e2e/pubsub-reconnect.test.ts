/**
 * A subscriber whose broker goes away after CONNACK: like mosquitto_sub (libmosquitto's
 * loop_forever), `mqtt sub` reconnects, subscribes again and goes on printing, silently.
 */
import { afterEach, expect, it } from 'vitest';
import { type Mosquitto, startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { at, both, expectSameOutcome, MOSQUITTO_PEERS, runClient, startSub, subscribed, uniqueId, VERSIONS } from '../helpers/pubsub.js';

describeIfTool(MOSQUITTO_PEERS, 'sub reconnects after losing its broker, like mosquitto_sub', () => {
  const brokers: Mosquitto[] = [];
  afterEach(async () => {
    await Promise.all(brokers.splice(0).map((b) => b.stop()));
  });

  /** A Mosquitto on a given port, so a second one can take the place of the first. */
  const onPort = async (port: number) => {
    const b = await startMosquitto({ listenerConfig: () => [`listener ${port} 127.0.0.1`, 'allow_anonymous true'] });
    brokers.push(b);
    return b;
  };

  it.each(VERSIONS.map((v) => [v.name, v.args] as const))('%s: the broker restarts; both reconnect, resubscribe and print the next message', async (_name, V) => {
    const port = await freePort();
    const first = await onPort(port);
    const t = `reconnect/${uniqueId('t')}`;
    const ids = { mosquitto: uniqueId('mosquitto-rc'), mqtt: uniqueId('mqtt-rc') };
    const subs = await both((tool) => startSub(first, tool, [...at(first, port), ...V, '-t', t, '-q', '1', '-C', '1', '-v'], { id: ids[tool] }));
    await first.stop();
    const second = await onPort(port);
    await both((tool) => subscribed(second, subs[tool], ids[tool]));
    const sent = await runClient('mosquitto', 'pub', [...at(second, port), '-t', t, '-q', '1', '-m', 'after the restart']);
    expect(sent.code, sent.stderr).toBe(0);
    const r = await both((tool) => subs[tool].done);
    expectSameOutcome(r.mqtt, r.mosquitto);
    expect(r.mqtt.code).toBe(0);
    expect(r.mqtt.stdout.toString()).toBe(`${t} after the restart\n`);
    expect(r.mqtt.stderr).toBe('');
  });
});
