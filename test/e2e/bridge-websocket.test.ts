/**
 * [extra] A bridge whose remote is reached over MQTT-over-WebSocket (`address ws://…` or
 * `wss://…`; Mosquitto's bridges have no such transport): against a real Mosquitto's websockets
 * listener, in the clear and over TLS with openssl-made certificates, and against our own broker.
 */
import { chmodSync, readdirSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { makeTestCerts } from '../helpers/certs.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';
import { cleanupAfterEach, connectedClient, subscribedInbox } from '../helpers/test-clients.js';

const defer = cleanupAfterEach();
const client = (port: number) => connectedClient(defer, port);
const subscriber = (port: number, filter: string) => subscribedInbox(defer, port, [filter], 1);

async function ours(lines: string[]): Promise<BrokerProcess> {
  const b = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...lines], ['-v']);
  defer(() => b.stop());
  return b;
}

/** Messages both ways through the bridge of `edge`, QoS 1, remapped on the way out. */
async function crossesBothWays(edge: BrokerProcess, remotePort: number, tag: string): Promise<void> {
  const atRemote = await subscriber(remotePort, `remote/${tag}/#`);
  const atEdge = await subscriber(edge.port, `in/${tag}/#`);
  const pubEdge = await client(edge.port);
  const pubRemote = await client(remotePort);
  for (let i = 0; i < 3; i++) {
    await pubEdge.publish(`local/${tag}/${i}`, Buffer.from(`out ${i}`), { qos: 1, retain: false });
    await pubRemote.publish(`in/${tag}/${i}`, Buffer.from(`in ${i}`), { qos: 1, retain: false });
  }
  await atRemote.until('3 messages out', () => atRemote.got.length >= 3);
  await atEdge.until('3 messages in', () => atEdge.got.length >= 3);
  const out = atRemote.got;
  expect(out.map((m) => [m.topic, m.payload.toString()])).toEqual([0, 1, 2].map((i) => [`remote/${tag}/${i}`, `out ${i}`]));
  const back = atEdge.got;
  expect(back.map((m) => [m.topic, m.payload.toString()])).toEqual([0, 1, 2].map((i) => [`in/${tag}/${i}`, `in ${i}`]));
}

const topics = (tag: string) => [`topic ${tag}/# out 1 local/ remote/`, `topic in/${tag}/# in 1`];

describeIfTool(['mosquitto'], 'bridge over WebSocket to a real Mosquitto', () => {
  it('ws://: both directions, the log names the URL; the default path is /mqtt', async () => {
    const wsPort = await freePort();
    const remote: Mosquitto = await startMosquitto({
      listenerConfig: (port) => [`listener ${port} 127.0.0.1`, `listener ${wsPort} 127.0.0.1`, 'protocol websockets', 'allow_anonymous true'],
    });
    defer(() => remote.stop());
    const edge = await ours(['connection over-ws', `address ws://127.0.0.1:${wsPort}`, 'remote_clientid ws-edge', ...topics('w')]);
    await edge.proc.waitForStderr((s) => s.includes(`Connecting bridge over-ws (ws://127.0.0.1:${wsPort}/mqtt)`));
    await edge.proc.waitForStderr((s) => s.includes(`Bridge over-ws connected to ws://127.0.0.1:${wsPort}/mqtt as ws-edge.`));
    // over WebSocket too, with the bridge flag (try_private): Mosquitto says "bridge"
    await remote.waitForLog(/New bridge connected from \S+ as ws-edge /);
    await crossesBothWays(edge, remote.port, 'w');
  });

  it('wss:// with bridge_cafile: the certificate is verified (a wrong CA is refused), then both directions', async () => {
    const certs = makeTestCerts();
    defer(async () => rmSync(certs.dir, { recursive: true, force: true }));
    // Mosquitto started as root reads them as the user "mosquitto"
    chmodSync(certs.dir, 0o755);
    for (const name of readdirSync(certs.dir)) chmodSync(path.join(certs.dir, name), 0o644);
    const wssPort = await freePort();
    const remote = await startMosquitto({
      listenerConfig: (port) => [
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        `listener ${wssPort} 127.0.0.1`,
        'protocol websockets',
        `certfile ${certs.serverCert}`,
        `keyfile ${certs.serverKey}`,
      ],
    });
    defer(() => remote.stop());
    const edge = await ours([
      // the certificate names localhost
      'connection good',
      `address wss://localhost:${wssPort}/mqtt`,
      'remote_clientid wss-good',
      `bridge_cafile ${certs.caCert}`,
      ...topics('s'),
      'connection wrong-ca',
      `address wss://localhost:${wssPort}/mqtt`,
      'remote_clientid wss-wrong-ca',
      `bridge_cafile ${certs.otherCaCert}`,
      'topic never/# out 1',
    ]);
    await edge.proc.waitForStderr((s) => s.includes(`Bridge good connected to wss://localhost:${wssPort}/mqtt as wss-good.`));
    await edge.proc.waitForStderr(/Error creating bridge wrong-ca: .*certificate/i);
    await crossesBothWays(edge, remote.port, 's');
    expect(remote.log()).not.toMatch(/as wss-wrong-ca/);
  });
});

describe('bridge over WebSocket to our own broker', () => {
  it('ws:// with a path of its own, to a `protocol websockets` listener', async () => {
    const wsPort = await freePort();
    const remote = await startBrokerProcess((_dir, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `listener ${wsPort} 127.0.0.1`, 'protocol websockets']);
    defer(() => remote.stop());
    const edge = await ours(['connection to-ours', `address ws://127.0.0.1:${wsPort}/`, 'remote_clientid ws-ours', ...topics('o')]);
    await edge.proc.waitForStderr((s) => s.includes(`Bridge to-ours connected to ws://127.0.0.1:${wsPort}/ as ws-ours.`));
    await crossesBothWays(edge, remote.port, 'o');
  });
});
