import { randomBytes } from 'node:crypto';
import type { IConnackPacket, IPublishPacket, ISubscription } from 'mqtt-packet';
import type { ClientConfig } from '../client/config.js';
import type { ProtocolVersion, Properties, QoS } from '../core/protocol/types.js';
import { ConnectError } from '../client/errors.js';
import { MqttClient } from '../client/mqtt-client.js';
import type { ProbeValue, TestReport } from '../output/test-report.js';

export interface TestConfig {
  client: ClientConfig;
  versions: ProtocolVersion[];
  /** how long to wait for a message that should arrive, in ms */
  waitMs: number;
}

type Row = Record<string, ProbeValue>;

/** A probe client on the broker of `cfg`, with its own id (or the one given). */
function probeClient(cfg: TestConfig, version: ProtocolVersion, overrides: Partial<ClientConfig> = {}): MqttClient {
  return new MqttClient({
    ...cfg.client,
    protocolVersion: version,
    clientId: `mqtt-test-${randomBytes(4).toString('hex')}`,
    cleanSession: true,
    debug: false,
    quiet: true,
    properties: {},
    will: undefined,
    ...overrides,
  } as ClientConfig);
}

async function connected(c: MqttClient): Promise<IConnackPacket> {
  return c.connect();
}

async function close(...clients: MqttClient[]): Promise<void> {
  await Promise.all(clients.map((c) => c.disconnect().catch(() => c.destroy())));
}

/** Resolves with the first message on `topic` (or matching `test`) within `ms`, else undefined. */
function nextMessage(c: MqttClient, ms: number, test: (p: IPublishPacket) => boolean = () => true): Promise<IPublishPacket | undefined> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      c.off('message', on);
      resolve(undefined);
    }, ms);
    const on = (p: IPublishPacket) => {
      if (!test(p)) return;
      clearTimeout(timer);
      c.off('message', on);
      resolve(p);
    };
    c.on('message', on);
  });
}

/** Subscribes, then publishes with `pub`, and waits for it to come back on `sub`. */
async function roundTrip(
  cfg: TestConfig,
  sub: MqttClient,
  pub: MqttClient,
  subscription: ISubscription,
  topic: string,
  opts: { qos?: QoS; retain?: boolean; properties?: Properties; subProps?: Properties } = {},
): Promise<{ granted: number; message?: IPublishPacket }> {
  const ack = await sub.subscribe([subscription], opts.subProps);
  const granted = (ack.granted as number[])[0] ?? 0x80;
  if (granted >= 0x80) return { granted };
  // text, so a broker that checks payload-format-indicator 1 [MQTT-3.3.2-4] accepts it
  const payload = Buffer.from(randomBytes(8).toString('hex'));
  const arrived = nextMessage(sub, cfg.waitMs, (p) => Buffer.from(p.payload as Buffer).equals(payload));
  await pub.publish(topic, payload, { qos: opts.qos ?? 0, retain: opts.retain ?? false, ...(opts.properties && { properties: opts.properties }) }).catch(() => {});
  const message = await arrived;
  return { granted, ...(message && { message }) };
}

const base = () => `mqtt-test/${randomBytes(4).toString('hex')}`;

/** Runs one probe; a failure is reported in the row, never thrown. `before` reconnects what a probe lost. */
async function runProbe(row: Row, name: string, run: () => Promise<ProbeValue>, before: () => Promise<void> = async () => {}): Promise<void> {
  try {
    await before();
    row[name] = await run();
  } catch (err) {
    row[name] = err instanceof ConnectError && err.kind === 'refused' ? `refused (${err.code})` : `error: ${(err as Error).message}`;
  }
}

/** The largest of `sizes` for which `accepted(size)` holds (sizes ascending), or a "<" bound. */
async function largestAccepted(sizes: number[], accepted: (n: number) => Promise<boolean>, before: () => Promise<void>): Promise<ProbeValue> {
  let best: number | undefined;
  for (const n of sizes) {
    await before();
    // a broker may close the connection over what it does not accept (Mosquitto: > 200 topic levels)
    const ok = await accepted(n).catch(() => false);
    if (!ok) return best === undefined ? `< ${n}` : best;
    best = n;
  }
  return best === undefined ? null : `>= ${best}`;
}

async function runVersion(cfg: TestConfig, v: ProtocolVersion): Promise<Row> {
  const row: Row = {};
  const v5 = v === 5;
  const a = probeClient(cfg, v);
  const b = probeClient(cfg, v);
  let connack: IConnackPacket;
  const started = performance.now();
  try {
    connack = await connected(a);
  } catch (err) {
    row.connect = err instanceof ConnectError && err.kind === 'refused' ? `refused (${err.code})` : `error: ${(err as Error).message}`;
    return row;
  }
  row.connect = 'ok';
  row['connect time ms'] = Math.round((performance.now() - started) * 10) / 10;
  await connected(b);
  const props = (connack.properties ?? {}) as Record<string, unknown>;
  // a probe the broker answered by closing the connection must not fail the next ones
  const ensure = async () => {
    for (const c of [a, b]) if (!c.connected) await c.connect();
  };
  const probe = (r: Row, name: string, run: () => Promise<ProbeValue>) => runProbe(r, name, run, ensure);
  try {
    for (const qos of [0, 1, 2] as const) {
      await probe(row, `qos ${qos}`, async () => {
        const t = `${base()}/q${qos}`;
        const r = await roundTrip(cfg, a, b, { topic: t, qos }, t, { qos });
        if (r.granted >= 0x80) return `refused (0x${r.granted.toString(16)})`;
        if (!r.message) return 'not delivered';
        return r.message.qos === qos && r.granted === qos ? true : `granted ${r.granted}, delivered at ${r.message.qos}`;
      });
    }
    await probe(row, 'retain', async () => {
      const t = `${base()}/retain`;
      await b.publish(t, Buffer.from('kept'), { qos: 1, retain: true });
      const c = probeClient(cfg, v);
      await connected(c);
      const arrived = nextMessage(c, cfg.waitMs);
      await c.subscribe([{ topic: t, qos: 0 }]);
      const m = await arrived;
      await close(c);
      await b.publish(t, Buffer.alloc(0), { qos: 1, retain: true });
      return m?.retain === true;
    });
    await probe(row, 'wildcards', async () => {
      const t = base();
      const plus = await roundTrip(cfg, a, b, { topic: `${t}/+/x`, qos: 0 }, `${t}/y/x`);
      const hash = await roundTrip(cfg, a, b, { topic: `${t}/h/#`, qos: 0 }, `${t}/h/a/b`);
      if (plus.granted >= 0x80 || hash.granted >= 0x80) return 'refused';
      return plus.message !== undefined && hash.message !== undefined;
    });
    await probe(row, 'shared subscriptions', async () => {
      const t = base();
      const r = await roundTrip(cfg, a, b, { topic: `$share/g/${t}/s`, qos: 0 }, `${t}/s`);
      if (r.granted >= 0x80) return `refused (0x${r.granted.toString(16)})`;
      return r.message !== undefined;
    });
    await probe(row, 'max client id length', () =>
      largestAccepted([23, 64, 256, 1024, 65535], async (n) => {
        const c = probeClient(cfg, v, { clientId: 'i'.repeat(n) });
        try {
          await c.connect();
          return true;
        } catch {
          return false;
        } finally {
          await close(c);
        }
      }, ensure),
    );
    await probe(row, 'max topic length', () =>
      largestAccepted([256, 4096, 65535], async (n) => {
        const t = `${base()}/`;
        return (await roundTrip(cfg, a, b, { topic: t + 'l'.repeat(n - t.length), qos: 0 }, t + 'l'.repeat(n - t.length))).message !== undefined;
      }, ensure),
    );
    await probe(row, 'max topic levels', () =>
      largestAccepted([16, 128, 1024], async (n) => {
        const t = `${base()}${'/l'.repeat(n - 2)}`;
        return (await roundTrip(cfg, a, b, { topic: t, qos: 0 }, t)).message !== undefined;
      }, ensure),
    );
    await probe(row, 'round-trip latency ms (p50 of 20)', async () => {
      const t = `${base()}/rtt`;
      await a.subscribe([{ topic: t, qos: 0 }]);
      const samples: number[] = [];
      for (let i = 0; i < 20; i++) {
        const arrived = nextMessage(a, cfg.waitMs);
        const sent = performance.now();
        await b.publish(t, Buffer.from(String(i)), { qos: 0, retain: false });
        if (!(await arrived)) return 'not delivered';
        samples.push(performance.now() - sent);
      }
      samples.sort((x, y) => x - y);
      return Math.round(samples[10]! * 1000) / 1000;
    });
    if (!v5) return row;
    // what the CONNACK says (absent means the spec's default)
    row['maximum qos'] = (props.maximumQoS as number | undefined) ?? 2;
    row['retain available'] = (props.retainAvailable as boolean | undefined) ?? true;
    row['wildcard available'] = (props.wildcardSubscriptionAvailable as boolean | undefined) ?? true;
    row['shared available'] = (props.sharedSubscriptionAvailable as boolean | undefined) ?? true;
    row['subscription ids available'] = (props.subscriptionIdentifiersAvailable as boolean | undefined) ?? true;
    row['topic alias maximum'] = (props.topicAliasMaximum as number | undefined) ?? 0;
    row['receive maximum'] = (props.receiveMaximum as number | undefined) ?? 65535;
    row['maximum packet size'] = (props.maximumPacketSize as number | undefined) ?? null;
    row['server keepalive'] = (props.serverKeepAlive as number | undefined) ?? null;
    await probe(row, 'keepalive 65535 accepted as', async () => {
      const c = probeClient(cfg, v, { keepalive: 65535 });
      const ack = await c.connect();
      await close(c);
      return (ack.properties?.serverKeepAlive as number | undefined) ?? 65535;
    });
    await probe(row, 'session expiry', async () => {
      const id = `mqtt-test-${randomBytes(4).toString('hex')}`;
      const c = probeClient(cfg, v, { clientId: id, cleanSession: false, sessionExpiry: 60 });
      const first = await c.connect();
      await close(c);
      const again = probeClient(cfg, v, { clientId: id, cleanSession: false, sessionExpiry: 0 });
      const ack = await again.connect();
      await close(again);
      const granted = (first.properties?.sessionExpiryInterval as number | undefined) ?? 60;
      return ack.sessionPresent ? (granted === 60 ? true : `kept, expiry ${granted} s`) : 'no session kept';
    });
    await probe(row, 'subscription identifiers', async () => {
      const t = `${base()}/sid`;
      const r = await roundTrip(cfg, a, b, { topic: t, qos: 0 }, t, { subProps: { subscriptionIdentifier: 7 } });
      if (r.granted >= 0x80) return 'refused';
      const ids = r.message?.properties?.subscriptionIdentifier;
      return Array.isArray(ids) ? ids.includes(7) : ids === 7;
    });
    await probe(row, 'no local', async () => {
      const t = `${base()}/nl`;
      await a.subscribe([{ topic: t, qos: 0, nl: true } as ISubscription]);
      const own = nextMessage(a, cfg.waitMs, (p) => String(p.payload) === 'own');
      await a.publish(t, Buffer.from('own'), { qos: 1, retain: false });
      // a message from b after ours: once it is in, ours would have been too
      const other = nextMessage(a, cfg.waitMs, (p) => String(p.payload) === 'other');
      await b.publish(t, Buffer.from('other'), { qos: 1, retain: false });
      const [gotOwn, gotOther] = await Promise.all([Promise.race([own, other.then(() => undefined)]), other]);
      if (!gotOther) return 'not delivered';
      return gotOwn === undefined;
    });
    await probe(row, 'retain as published', async () => {
      const t = `${base()}/rap`;
      const r = await roundTrip(cfg, a, b, { topic: t, qos: 0, rap: true } as ISubscription, t, { retain: true });
      await b.publish(t, Buffer.alloc(0), { qos: 1, retain: true });
      return r.message?.retain === true;
    });
    await probe(row, 'payload format and expiry forwarded', async () => {
      const t = `${base()}/pf`;
      const r = await roundTrip(cfg, a, b, { topic: t, qos: 1 }, t, { qos: 1, properties: { payloadFormatIndicator: true, messageExpiryInterval: 300, contentType: 'text/plain' } });
      const p = r.message?.properties ?? {};
      if (!r.message) return 'not delivered';
      const expiry = p.messageExpiryInterval as number | undefined;
      return p.payloadFormatIndicator === true && expiry !== undefined && expiry <= 300 && p.contentType === 'text/plain';
    });
    await probe(row, 'topic alias', async () => {
      const max = row['topic alias maximum'] as number;
      if (!max) return 'not offered';
      const t = `${base()}/alias`;
      await a.subscribe([{ topic: t, qos: 0 }]);
      const got = nextMessage(a, cfg.waitMs, (p) => String(p.payload) === 'second');
      await b.publish(t, Buffer.from('first'), { qos: 0, retain: false, properties: { topicAlias: 1 } });
      await b.publish(t, Buffer.from('second'), { qos: 0, retain: false, properties: { topicAlias: 1 } });
      return (await got)?.topic === t;
    });
    return row;
  } finally {
    await close(a, b);
  }
}

/** Probes the broker once per protocol version, one after the other. */
export async function runBrokerTest(cfg: TestConfig): Promise<TestReport> {
  const e = cfg.client.endpoint;
  const report: TestReport = { broker: `${e.scheme}://${e.host}:${e.port}`, results: {} };
  for (const v of cfg.versions) report.results[v === 5 ? '5.0' : v === 4 ? '3.1.1' : '3.1'] = await runVersion(cfg, v);
  return report;
}
