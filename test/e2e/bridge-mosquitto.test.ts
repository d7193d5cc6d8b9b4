import { chmodSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import type { ProtocolVersion, QoS } from '../../src/core/protocol/types.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { testClientConfig } from '../helpers/client-config.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { cleanupAfterEach, connectedClient, subscribedInbox } from '../helpers/test-clients.js';
import { freePort } from '../helpers/ports.js';
import { makeTestCerts } from '../helpers/certs.js';
import { Inbox } from '../helpers/inbox.js';
import net from 'node:net';
import mqttPacket from 'mqtt-packet';

const defer = cleanupAfterEach();
const client = (port: number, version: ProtocolVersion = 4, overrides: Parameters<typeof testClientConfig>[2] = {}) => connectedClient(defer, port, version, overrides);
const subscriber = (port: number, topics: string[], qos: QoS, version: ProtocolVersion = 4, overrides = {}) => subscribedInbox(defer, port, topics, qos, version, overrides);

async function mosquitto(opts: Parameters<typeof startMosquitto>[0] = {}): Promise<Mosquitto> {
  const m = await startMosquitto(opts);
  defer(() => m.stop());
  return m;
}

async function ours(lines: (port: number) => string[]): Promise<BrokerProcess> {
  const b = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...lines(port)], ['-v']);
  defer(() => b.stop());
  return b;
}

const payloads = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

describeIfTool(['mosquitto'], 'bridge: ours at the edge, bridged to a real Mosquitto', () => {
  for (const version of ['mqttv311', 'mqttv50'] as const) {
    it(`${version}: out, in and both topics with remapping, QoS 0/1/2, retained, notifications, no loops`, async () => {
      const remote = await mosquitto();
      const edge = await ours(() => [
        'connection edge',
        `address 127.0.0.1:${remote.port}`,
        `bridge_protocol_version ${version}`,
        'remote_clientid edge-bridge',
        'topic out/# out 2 local/ remote/',
        'topic in/# in 2',
        'topic both/# both 2',
        'topic "" out 1 single/local single/remote',
      ]);
      await edge.proc.waitForStderr(/Bridge edge connected to/);
      await remote.waitForLog(version === 'mqttv311' ? 'New bridge connected from' : 'as edge-bridge (p5');

      const atRemote = await subscriber(remote.port, ['remote/#', 'both/#', 'single/#', '$SYS/broker/connection/#', 'local/#'], 2);
      const atEdge = await subscriber(edge.port, ['in/#', 'both/#', '$SYS/broker/connection/#', 'remote/#'], 2);
      const pubEdge = await client(edge.port);
      const pubRemote = await client(remote.port);
      for (const qos of [0, 1, 2] as const) {
        await pubEdge.publish(`local/out/q${qos}`, Buffer.from(`out${qos}`), { qos, retain: false });
        await pubRemote.publish(`in/q${qos}`, Buffer.from(`in${qos}`), { qos, retain: false });
        await pubEdge.publish(`both/edge/q${qos}`, Buffer.from(`be${qos}`), { qos, retain: false });
        await pubRemote.publish(`both/remote/q${qos}`, Buffer.from(`br${qos}`), { qos, retain: false });
      }
      await pubEdge.publish('single/local', Buffer.from('one'), { qos: 1, retain: false });
      const remoteWants = [0, 1, 2].flatMap((q) => [`remote/out/q${q} out${q}`, `both/edge/q${q} be${q}`, `both/remote/q${q} br${q}`]).concat('single/remote one');
      const edgeWants = [0, 1, 2].flatMap((q) => [`in/q${q} in${q}`, `both/edge/q${q} be${q}`, `both/remote/q${q} br${q}`]);
      await atRemote.until('every message at the remote', () => remoteWants.every((w) => atRemote.texts().includes(w)));
      await atEdge.until('every message at the edge', () => edgeWants.every((w) => atEdge.texts().includes(w)));
      // no message twice: what crossed the bridge does not come back over it
      const settle = await client(edge.port);
      await settle.publish('both/fence', Buffer.from('x'), { qos: 2, retain: false });
      await atRemote.until('the fence at the remote', () => atRemote.texts().includes('both/fence x'));
      await atEdge.until('the fence at the edge', () => atEdge.texts().includes('both/fence x'));
      const count = (inbox: Inbox) => inbox.texts().filter((t) => !t.startsWith('$SYS'));
      expect(count(atRemote).sort()).toEqual([...remoteWants, 'both/fence x'].sort());
      expect(count(atEdge).sort()).toEqual([...edgeWants, 'both/fence x'].sort());
      // QoS across the bridge: the lower of the publish and the topic line's
      expect(atRemote.got.find((p) => p.topic === 'remote/out/q2')!.qos).toBe(2);
      expect(atRemote.got.find((p) => p.topic === 'single/remote')!.qos).toBe(1);
      // notifications: retained "1" on both sides
      for (const inbox of [atRemote, atEdge]) {
        const state = inbox.got.find((p) => p.topic === '$SYS/broker/connection/edge-bridge/state');
        expect(state?.payload.toString()).toBe('1');
      }

      // a retained message crosses with its retain flag and stays retained on the remote
      await pubEdge.publish('both/retained', Buffer.from('kept'), { qos: 1, retain: true });
      await atRemote.until('the retained message at the remote', () => atRemote.texts().includes('both/retained kept'));
      const late = await subscriber(remote.port, ['both/retained'], 1);
      await late.until('the retained message for a late subscriber', () => late.got.length > 0);
      expect(late.got[0]!.retain).toBe(true);
    });
  }

  it("the bridge's local side is not held to the broker's ACL (Mosquitto's bridges are not); clients still are", async () => {
    const remote = await mosquitto();
    const acl = mkdtempSync(path.join(tmpdir(), 'mqtt-bridge-acl-'));
    defer(async () => rmSync(acl, { recursive: true, force: true }));
    const aclFile = path.join(acl, 'acl');
    // anonymous clients: may publish on pub/# and read in/#, nothing else
    writeFileSync(aclFile, 'topic write pub/#\ntopic read in/#\n');
    const guarded = await ours(() => [`acl_file ${aclFile}`, 'connection guarded', `address 127.0.0.1:${remote.port}`, 'remote_clientid guarded', 'topic pub/# out 1', 'topic in/# in 1']);
    await guarded.proc.waitForStderr(/Bridge guarded connected to/);
    await remote.waitForLog('Received SUBSCRIBE from guarded');
    const atRemote = await subscriber(remote.port, ['pub/#'], 1);
    const atEdge = await subscriber(guarded.port, ['in/#', 'pub/#'], 1);
    const pubEdge = await client(guarded.port);
    const pubRemote = await client(remote.port);
    await pubEdge.publish('pub/1', Buffer.from('out'), { qos: 1, retain: false });
    await pubRemote.publish('in/1', Buffer.from('in'), { qos: 1, retain: false });
    await atRemote.until('pub/1 at the remote', () => atRemote.texts().includes('pub/1 out'));
    await atEdge.until('in/1 at the edge', () => atEdge.texts().includes('in/1 in'));
    // the edge's own anonymous subscriber may not read pub/#
    expect(atEdge.texts()).toEqual(['in/1 in']);
  });

  it('the remote goes away and comes back: QoS 1 and 2 messages sent meanwhile, and those in flight, all arrive', async () => {
    const port = await freePort();
    // the remote's saved sessions live in a directory of ours: its own goes with each stop
    const store = mkdtempSync(path.join(tmpdir(), 'mqtt-bridge-store-'));
    defer(async () => rmSync(store, { recursive: true, force: true }));
    // Mosquitto started as root writes its database as the user "mosquitto"
    chmodSync(store, 0o777);
    const persistent = () => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${store}/`];
    let remote = await startMosquitto({ listenerConfig: persistent });
    const edge = await ours(() => ['connection edge', `address 127.0.0.1:${port}`, 'restart_timeout 1', 'remote_clientid edge-r', 'topic data/# out 2']);
    await edge.proc.waitForStderr(/Bridge edge connected to/);
    // a persistent subscriber on the remote: what arrives while it is away waits in its session
    const subConfig = { clientId: 'remote-sub', cleanSession: false };
    const first = await subscriber(port, ['data/#'], 2, 4, subConfig);
    const pub = await client(edge.port);
    const sent: string[] = [];
    const publishAll = async (tag: string, n: number) => {
      for (const [i, text] of payloads(n, tag).entries()) {
        const qos = (1 + (i % 2)) as QoS;
        await pub.publish(`data/${tag}`, Buffer.from(text), { qos, retain: false });
        sent.push(text);
      }
    };
    await publishAll('before', 50);
    await first.until('the first messages', () => first.got.length >= 50);
    await first.client.disconnect();
    // mid-stream: stop the remote while a burst is crossing
    const burst = publishAll('burst', 300);
    await new Promise((r) => setTimeout(r, 5));
    await remote.stop().catch(() => undefined);
    await burst;
    await edge.proc.waitForStderr(/connection to 127\.0\.0\.1:\d+ lost|Error creating bridge/);
    await publishAll('away', 100);
    // back on the same port with its saved sessions
    remote = await startMosquitto({ listenerConfig: persistent });
    defer(() => remote.stop());
    const again = await subscriber(port, ['data/#'], 2, 4, subConfig);
    const received = () => new Set([...first.got, ...again.got].map((p) => p.payload.toString()));
    await again.until("every QoS 1/2 message after the restart", () => sent.every((s) => received().has(s)), 30_000);
    expect(sent.filter((s) => !received().has(s))).toEqual([]);
  }, 60_000);
});

describeIfTool(['mosquitto'], 'bridge: a 3.1.1 remote without no-local (try_private false)', () => {
  it("the remote sends the bridge's own `both` messages back: those echoes are dropped, each message reaches the edge once; the same bytes from a remote client still arrive", async () => {
    const remote = await mosquitto();
    const edge = await ours(() => ['connection plain', `address 127.0.0.1:${remote.port}`, 'try_private false', 'remote_clientid edge-plain', 'notifications false', 'topic both/# both 1']);
    await edge.proc.waitForStderr(/Bridge plain connected to/);
    await remote.waitForLog('Received SUBSCRIBE from edge-plain');
    const atEdge = await subscriber(edge.port, ['both/#'], 1);
    const pubEdge = await client(edge.port);
    const pubRemote = await client(remote.port);
    for (let i = 0; i < 5; i++) await pubEdge.publish('both/e', Buffer.from(`m${i}`), { qos: (i % 2) as QoS, retain: false });
    // the echoes of all five are in (dropped) before the remote client's own copy of m0 goes
    await edge.proc.waitForStderr((e) => (e.match(/dropped the echo of our own PUBLISH on both\/e/g) ?? []).length === 5);
    await pubRemote.publish('both/e', Buffer.from('m0'), { qos: 1, retain: false });
    await atEdge.until("the remote client's m0", () => atEdge.texts().filter((t) => t === 'both/e m0').length === 2);
    await pubEdge.publish('both/fence', Buffer.from('f'), { qos: 1, retain: false });
    await edge.proc.waitForStderr(/dropped the echo of our own PUBLISH on both\/fence/);
    expect(atEdge.texts()).toEqual(['both/e m0', 'both/e m1', 'both/e m2', 'both/e m3', 'both/e m4', 'both/e m0', 'both/fence f']);
  });
});

describeIfTool(['mosquitto'], 'bridge: local_cleansession true, as Mosquitto (06-bridge-clean-session)', () => {
  it('what is published for the remote while it is away is dropped, not sent when it is back; then forwarding goes on', async () => {
    const port = await freePort();
    const listener = () => [`listener ${port} 127.0.0.1`, 'allow_anonymous true'];
    let remote = await startMosquitto({ listenerConfig: listener });
    const edge = await ours(() => ['connection lcs', `address 127.0.0.1:${port}`, 'restart_timeout 1', 'remote_clientid edge-lcs', 'cleansession false', 'local_cleansession true', 'notifications false', 'topic data/# out 1']);
    await edge.proc.waitForStderr(/Bridge lcs connected to/);
    const pub = await client(edge.port);
    await pub.publish('data/before', Buffer.from('1'), { qos: 1, retain: false });
    await remote.waitForLog(/Received PUBLISH from edge-lcs \(d0, q1, r0, m\d+, 'data\/before'/);
    await remote.stop();
    await edge.proc.waitForStderr(/connection to 127\.0\.0\.1:\d+ lost/);
    await pub.publish('data/away', Buffer.from('2'), { qos: 1, retain: false });
    remote = await startMosquitto({ listenerConfig: listener });
    defer(() => remote.stop());
    await remote.waitForLog(/New bridge connected from .* as edge-lcs/, 15_000);
    await pub.publish('data/after', Buffer.from('3'), { qos: 1, retain: false });
    await remote.waitForLog(/Received PUBLISH from edge-lcs \(d0, q1, r0, m\d+, 'data\/after'/);
    expect(remote.log()).not.toMatch(/data\/away/);
  });
});

describeIfTool(['mosquitto'], 'bridge: with persistence, what waits for the remote survives a restart of ours', () => {
  it('QoS 1 published while the remote is away, then a SIGTERM and a start on the same store: it reaches the remote once', async () => {
    const port = await freePort();
    const store = mkdtempSync(path.join(tmpdir(), 'mqtt-bridge-persist-'));
    defer(async () => rmSync(store, { recursive: true, force: true }));
    const lines = (p: number) => [`listener ${p} 127.0.0.1`, 'allow_anonymous true', 'persistence true', `persistence_location ${store}/`, 'connection keep', `address 127.0.0.1:${port}`, 'restart_timeout 1', 'remote_clientid edge-keep', 'notifications false', 'topic keep/# out 1'];
    const first = await startBrokerProcess((_dir, p) => lines(p));
    defer(() => first.stop());
    const pub = new MqttClient(testClientConfig(first.port, 4));
    await pub.connect();
    await pub.publish('keep/1', Buffer.from('kept'), { qos: 1, retain: false });
    await pub.disconnect();
    await first.stop();
    const remote = await mosquitto({ listenerConfig: () => [`listener ${port} 127.0.0.1`, 'allow_anonymous true'] });
    const second = await startBrokerProcess((_dir, p) => lines(p));
    defer(() => second.stop());
    await remote.waitForLog(/Received PUBLISH from edge-keep \(d\d, q1, r0, m\d+, 'keep\/1'/, 15_000);
    await second.proc.waitForStderr(/Bridge keep connected to/);
    expect(remote.log().match(/'keep\/1'/g)).toHaveLength(1);
  });
});

describeIfTool(['mosquitto'], 'bridge: a real Mosquitto bridged to ours', () => {
  for (const version of ['mqttv311', 'mqttv50'] as const) {
    it(`${version}: both directions, exactly once, over Mosquitto's try_private bridge`, async () => {
      const center = await ours(() => []);
      const edge = await mosquitto({
        config: ['connection to-ours', `address 127.0.0.1:${center.port}`, `bridge_protocol_version ${version}`, 'remote_clientid mosq-edge', 'topic t/# both 2', 'topic x/# in 1 local/ remote/'],
      });
      await center.proc.waitForStderr(version === 'mqttv311' ? /New bridge connected from .* as mosq-edge/ : /New client connected from .* as mosq-edge \(p5/);
      await edge.waitForLog(/Received SUBACK from mosq-edge|Received SUBACK/);
      const atCenter = await subscriber(center.port, ['t/#'], 2);
      const atEdge = await subscriber(edge.port, ['t/#', 'local/#'], 2);
      const pubCenter = await client(center.port);
      const pubEdge = await client(edge.port);
      for (const qos of [0, 1, 2] as const) {
        await pubCenter.publish(`t/center/${qos}`, Buffer.from(`c${qos}`), { qos, retain: false });
        await pubEdge.publish(`t/edge/${qos}`, Buffer.from(`e${qos}`), { qos, retain: false });
      }
      await pubCenter.publish('remote/x/1', Buffer.from('mapped'), { qos: 1, retain: false });
      const wants = [0, 1, 2].flatMap((q) => [`t/center/${q} c${q}`, `t/edge/${q} e${q}`]);
      await atCenter.until('everything at ours', () => wants.every((w) => atCenter.texts().includes(w)));
      await atEdge.until('everything at Mosquitto', () => [...wants, 'local/x/1 mapped'].every((w) => atEdge.texts().includes(w)));
      await pubCenter.publish('t/fence', Buffer.from('f'), { qos: 2, retain: false });
      await atEdge.until('the fence at Mosquitto', () => atEdge.texts().includes('t/fence f'));
      await atCenter.until('the fence at ours', () => atCenter.texts().includes('t/fence f'));
      expect(atCenter.texts().sort()).toEqual([...wants, 't/fence f'].sort());
      expect(atEdge.texts().sort()).toEqual([...wants, 'local/x/1 mapped', 't/fence f'].sort());
    });
  }
});

describeIfTool(['mosquitto', 'openssl'], 'bridge: TLS to a real Mosquitto', () => {
  it('verifies the remote against bridge_cafile, presents bridge_certfile; bridge_insecure only skips the host name', async () => {
    const certs = makeTestCerts();
    defer(async () => rmSync(certs.dir, { recursive: true, force: true }));
    // Mosquitto started as root reads them as the user "mosquitto"
    chmodSync(certs.dir, 0o755);
    for (const name of readdirSync(certs.dir)) chmodSync(path.join(certs.dir, name), 0o644);
    const remote = await mosquitto({
      listenerConfig: (port) => [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        `cafile ${certs.caCert}`,
        `certfile ${certs.serverCert}`,
        `keyfile ${certs.serverKey}`,
        'require_certificate true',
      ],
    });
    const tlsLines = [`bridge_cafile ${certs.caCert}`, `bridge_certfile ${certs.clientCert}`, `bridge_keyfile ${certs.clientKey}`];
    const edge = await ours(() => [
      // the certificate names localhost
      'connection good',
      `address localhost:${remote.port}`,
      'remote_clientid tls-good',
      'topic good/# out 1',
      ...tlsLines,
      // 127.0.0.1 is not in the certificate: refused unless bridge_insecure
      'connection wrong-name',
      `address 127.0.0.1:${remote.port}`,
      'remote_clientid tls-wrong-name',
      'topic wrong/# out 1',
      ...tlsLines,
      'connection insecure',
      `address 127.0.0.1:${remote.port}`,
      'remote_clientid tls-insecure',
      'topic insecure/# out 1',
      'bridge_insecure true',
      ...tlsLines,
    ]);
    await edge.proc.waitForStderr(/Bridge good connected to/);
    await edge.proc.waitForStderr(/Bridge insecure connected to/);
    await edge.proc.waitForStderr(/Error creating bridge wrong-name: /);
    const local = await client(edge.port);
    await local.publish('good/1', Buffer.from('over tls'), { qos: 1, retain: true });
    await local.publish('insecure/1', Buffer.from('no name check'), { qos: 1, retain: true });
    await remote.waitForLog(/Received PUBLISH from tls-good \(d0, q1, r1, m\d+, 'good\/1'/);
    await remote.waitForLog(/Received PUBLISH from tls-insecure \(d0, q1, r1, m\d+, 'insecure\/1'/);
    expect(remote.log()).not.toMatch(/as tls-wrong-name/);
  });
});

describe('bridge: try_private against a remote that refuses it', () => {
  it('a CONNACK "unacceptable protocol version" to the bridge flag (level 0x84) is followed by a plain 3.1.1 CONNECT', async () => {
    const levels: number[] = [];
    const subscribed = new Promise<string>((resolve) => {
      const server = net.createServer((socket) => {
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        let first = true;
        socket.on('data', (d) => {
          // the protocol level byte of CONNECT: after the fixed header and "MQTT"
          if (first) levels.push(d[8]!);
          first = false;
          parser.parse(d);
        });
        socket.on('error', () => undefined);
        parser.on('packet', (p) => {
          if (p.cmd === 'connect') {
            const refuse = (p as { bridgeMode?: boolean }).bridgeMode === true;
            socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: refuse ? 1 : 0, sessionPresent: false }));
            if (refuse) socket.end();
          } else if (p.cmd === 'subscribe') {
            socket.write(mqttPacket.generate({ cmd: 'suback', messageId: p.messageId, granted: [1] }));
            resolve(p.subscriptions[0]!.topic);
          }
        });
      });
      server.listen(0, '127.0.0.1', async () => {
        defer(() => new Promise((r) => server.close(r)));
        const port = (server.address() as net.AddressInfo).port;
        const edge = await ours(() => ['connection strict', `address 127.0.0.1:${port}`, 'notifications false', 'topic in/# in 1']);
        await edge.proc.waitForStderr(/refused the bridge protocol \(try_private\); reconnecting without it/);
      });
    });
    expect(await subscribed).toBe('in/#');
    expect(levels).toEqual([0x84, 0x04]);
  });
});

describe('bridge: try_private against a remote that closes the connection on it', () => {
  it('a close without CONNACK is followed at once by a plain 3.1.1 CONNECT; the flag stays when that is closed too', async () => {
    const levels: number[] = [];
    let connections = 0;
    const subscribed = new Promise<string>((resolve) => {
      const server = net.createServer((socket) => {
        // the first two connections are closed whatever they say (a remote going down), then
        // as RabbitMQ's MQTT plugin: a CONNECT with level 0x84 is closed unanswered
        const n = ++connections;
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        let first = true;
        socket.on('data', (d) => {
          if (first) levels.push(d[8]!);
          first = false;
          if (n <= 2 || d[8] === 0x84) return void socket.destroy();
          parser.parse(d);
        });
        socket.on('error', () => undefined);
        parser.on('packet', (p) => {
          if (p.cmd === 'connect') socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
          else if (p.cmd === 'subscribe') {
            socket.write(mqttPacket.generate({ cmd: 'suback', messageId: p.messageId, granted: [1] }));
            resolve(p.subscriptions[0]!.topic);
          }
        });
      });
      server.listen(0, '127.0.0.1', async () => {
        defer(() => new Promise((r) => server.close(r)));
        const port = (server.address() as net.AddressInfo).port;
        const edge = await ours(() => ['connection closing', `address 127.0.0.1:${port}`, 'restart_timeout 1', 'notifications false', 'topic in/# in 1']);
        await edge.proc.waitForStderr(/Bridge closing connected to/, 15_000);
        expect(edge.proc.stderr).toMatch(/closed the connection without a CONNACK to the bridge protocol \(try_private\); trying without it/);
      });
    });
    expect(await subscribed).toBe('in/#');
    // closed: 0x84 then the plain retry; after the restart the flag again, then plain accepted
    expect(levels).toEqual([0x84, 0x04, 0x84, 0x04]);
  });
});

describe('bridge: a clean stop', () => {
  it("waits a moment for the remote's PUBACK of what it has in flight before its DISCONNECT (nothing left to send again after a restart)", async () => {
    const events: string[] = [];
    let edge: BrokerProcess | undefined;
    const disconnected = new Promise<void>((resolve) => {
      const server = net.createServer((socket) => {
        const parser = mqttPacket.parser({ protocolVersion: 4 });
        socket.on('data', (d) => parser.parse(d));
        socket.on('error', () => undefined);
        socket.on('close', () => resolve());
        parser.on('packet', (p) => {
          if (p.cmd === 'connect') socket.write(mqttPacket.generate({ cmd: 'connack', returnCode: 0, sessionPresent: false }));
          else if (p.cmd === 'publish' && p.qos === 1) {
            events.push('publish');
            // the edge is told to stop while its message awaits this PUBACK (a remote whose ack waits for its disk)
            edge!.proc.kill('SIGTERM');
            setTimeout(() => {
              events.push('puback');
              socket.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId }));
            }, 200);
          } else if (p.cmd === 'disconnect') events.push('disconnect');
        });
      });
      server.listen(0, '127.0.0.1', async () => {
        defer(() => new Promise((r) => server.close(r)));
        const port = (server.address() as net.AddressInfo).port;
        edge = await ours(() => ['connection drain', `address 127.0.0.1:${port}`, 'try_private false', 'notifications false', 'topic d/# out 1']);
        await edge.proc.waitForStderr(/Bridge drain connected to/);
        const c = await client(edge.port);
        await c.publish('d/1', Buffer.from('x'), { qos: 1, retain: false });
      });
    });
    await disconnected;
    expect(events).toEqual(['publish', 'puback', 'disconnect']);
  });
});
