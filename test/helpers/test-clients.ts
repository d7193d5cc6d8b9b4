import { afterEach } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import type { ProtocolVersion, QoS } from '../../src/core/protocol/types.js';
import { testClientConfig } from './client-config.js';
import { Inbox } from './inbox.js';

/** Registers a cleanup to run after the current test. */
export type Defer = (cleanup: () => Promise<unknown>) => void;

/** Cleanups run after each test of the file, the last registered first; a failing one does not stop the others. */
export function cleanupAfterEach(): Defer {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
  });
  return (cleanup) => void cleanups.push(cleanup);
}

type Overrides = Parameters<typeof testClientConfig>[2];

/** A connected client, disconnected after the test. */
export async function connectedClient(defer: Defer, port: number, version: ProtocolVersion = 4, overrides: Overrides = {}): Promise<MqttClient> {
  const c = new MqttClient(testClientConfig(port, version, overrides));
  await c.connect();
  defer(() => c.disconnect());
  return c;
}

/** A client subscribed to `topics`, what it gets recorded from its CONNACK on (a present session's queue follows at once). */
export async function subscribedInbox(defer: Defer, port: number, topics: string[], qos: QoS, version: ProtocolVersion = 4, overrides: Overrides = {}): Promise<Inbox> {
  const c = new MqttClient(testClientConfig(port, version, overrides));
  const inbox = new Inbox(c);
  await c.connect();
  defer(() => c.disconnect());
  await c.subscribe(topics.map((topic) => ({ topic, qos })));
  return inbox;
}
