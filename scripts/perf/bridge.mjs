// `npm run perf:bridge`: forwarding rate through a bridge. A publisher on the edge broker, a
// subscriber on the remote (a Mosquitto), 64-byte payloads, QoS 0 and QoS 1; the edge is our
// `mqtt broker` or a Mosquitto with the same `connection` section, alternating A B A B in one run
// (absolute rates move a lot on a shared machine: read the ratio). The rate is messages received
// at the remote per second, from the first publish to the last arrival; `lost` is what never
// arrived (for QoS 1 it must be 0).
//
// Each edge first forwards PERF_BRIDGE_WARMUP messages (20000) that are not measured: what is
// compared is the steady rate, not how soon V8 has compiled our edge's hot paths.
//
// Environment: PERF_BRIDGE_ROUNDS (5: one round's ratio moves by a fifth on a shared machine), PERF_BRIDGE_QOS0 (messages, 50000), PERF_BRIDGE_QOS1 (60000),
// PERF_BRIDGE_WARMUP (20000),
// PERF_BRIDGE_NODE_ARGS (extra node flags for our edge broker, e.g. --cpu-prof --cpu-prof-dir=DIR),
// PERF_BRIDGE_QOS (0,1: the levels measured), PERF_BRIDGE_MAX_QUEUED (the edges' max_queued_messages,
// 1000000; Mosquitto's default 1000 shows what each edge drops when the remote cannot keep up).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqttPacket from 'mqtt-packet';
import { brokerWorkerPid, cpuNs, fmt, freePort, median, spawnUntil, startMosquitto } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROUNDS = Number(process.env.PERF_BRIDGE_ROUNDS ?? 5);
/** messages sent through the bridge (same QoS) before the measured ones */
const WARMUP = Number(process.env.PERF_BRIDGE_WARMUP ?? 20_000);
const COUNTS = { 0: Number(process.env.PERF_BRIDGE_QOS0 ?? 50_000), 1: Number(process.env.PERF_BRIDGE_QOS1 ?? 60_000) };
const NODE_ARGS = process.env.PERF_BRIDGE_NODE_ARGS ? process.env.PERF_BRIDGE_NODE_ARGS.split(' ') : [];
const MAX_QUEUED = Number(process.env.PERF_BRIDGE_MAX_QUEUED ?? 1_000_000);
const LEVELS = (process.env.PERF_BRIDGE_QOS ?? '0,1').split(',').map(Number);
const PAYLOAD = Buffer.alloc(64, 0x61);
/** QoS 1 publishes the generator keeps unacknowledged at the edge */
const WINDOW = 100;
/** no arrival for this long: what has not arrived is lost */
const STALL_MS = 3000;

function bridgeSection(remotePort, qos) {
  return [
    `max_queued_messages ${MAX_QUEUED}`,
    'connection perf',
    `address 127.0.0.1:${remotePort}`,
    'remote_clientid perf-edge',
    'cleansession true',
    'notifications false',
    `topic perf/# out ${qos}`,
  ];
}

async function startEdge(kind, remotePort, qos) {
  if (kind === 'mosquitto') {
    const m = await startMosquitto(bridgeSection(remotePort, qos));
    return { port: m.port, stop: m.stop, pid: m.pid };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-perf-bridge-'));
  const port = await freePort();
  const conf = path.join(dir, 'broker.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...bridgeSection(remotePort, qos)].join('\n') + '\n');
  const { stop, pid } = await spawnUntil(process.execPath, [...NODE_ARGS, path.join(root, 'bin/mqtt'), 'broker', '-c', conf], 'Bridge perf connected', dir);
  // the broker runs in the launcher's one child (src/commands/broker-heap.ts)
  return { port, stop, pid: brokerWorkerPid(pid) };
}

/** A raw MQTT 3.1.1 connection: CONNECT sent, resolves on CONNACK; `onPacket` sees the rest. */
function rawClient(port, clientId, onPacket) {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    const parser = mqttPacket.parser({ protocolVersion: 4 });
    let connected = false;
    parser.on('packet', (p) => {
      if (!connected && p.cmd === 'connack') {
        connected = true;
        resolve(socket);
      } else onPacket(p, socket);
    });
    socket.on('data', (d) => parser.parse(d));
    socket.on('error', reject);
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: 60 }));
  });
}

async function runOnce(kind, qos) {
  // the remote's own limits toward the subscriber are not what is measured: with its defaults
  // (20 in flight, 1,000 queued) it dropped QoS 1 messages a fast bridge brought it (314 of 20,000
  // behind a Mosquitto edge in one run) and set the pace for both edges
  const remote = await startMosquitto(['max_inflight_messages 0', 'max_queued_messages 0']);
  const edge = await startEdge(kind, remote.port, qos);
  const n = COUNTS[qos];
  let received = 0;
  let lastArrival = 0;
  let subscribed;
  const subscribedP = new Promise((r) => (subscribed = r));
  const sub = await rawClient(remote.port, 'perf-sub', (p, s) => {
    if (p.cmd === 'suback') return subscribed();
    if (p.cmd !== 'publish') return;
    received++;
    lastArrival = performance.now();
    if (p.qos === 1) s.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId }));
  });
  sub.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'perf/#', qos }] }));
  await subscribedP;
  // the bridge's remote subscription and local one are in place once a probe crosses
  let probeSeen;
  const probe = new Promise((r) => (probeSeen = r));
  let acked = 0;
  let onAck = () => undefined;
  const pub = await rawClient(edge.port, 'perf-pub', (p) => {
    if (p.cmd === 'puback') {
      acked++;
      onAck();
    }
  });
  const wait = setInterval(() => received > 0 && probeSeen(), 20);
  pub.write(mqttPacket.generate({ cmd: 'publish', topic: 'perf/probe', payload: PAYLOAD, qos: 0, retain: false }));
  const resend = setInterval(() => pub.write(mqttPacket.generate({ cmd: 'publish', topic: 'perf/probe', payload: PAYLOAD, qos: 0, retain: false })), 200);
  await probe;
  clearInterval(wait);
  clearInterval(resend);
  await new Promise((r) => setTimeout(r, 300));
  received = 0;

  // QoS 1 publishes are numbered on from the warm-up's
  let sent = 0;
  /** Sends `count` messages and waits for them at the remote (or for STALL_MS without one). */
  const burst = async (count) => {
    received = 0;
    acked = 0;
    sent = 0;
    lastArrival = 0;
    const start = performance.now();
    if (qos === 0) {
      const frame = mqttPacket.generate({ cmd: 'publish', topic: 'perf/t', payload: PAYLOAD, qos: 0, retain: false });
      const batch = Buffer.concat(Array.from({ length: 500 }, () => frame));
      for (let done = 0; done < count; done += 500) {
        if (!pub.write(batch)) await new Promise((r) => pub.once('drain', r));
      }
    } else {
      await new Promise((resolve) => {
        const pump = () => {
          while (sent < count && sent - acked < WINDOW) {
            sent++;
            pub.write(mqttPacket.generate({ cmd: 'publish', topic: 'perf/t', payload: PAYLOAD, qos: 1, retain: false, messageId: (sent % 65535) + 1 }));
          }
          if (acked >= count) resolve();
        };
        onAck = pump;
        pump();
      });
    }
    const expected = qos === 0 ? Math.ceil(count / 500) * 500 : count;
    await new Promise((resolve) => {
      const check = setInterval(() => {
        if (received >= expected || performance.now() - Math.max(lastArrival, start) > STALL_MS) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    return { seconds: (lastArrival - start) / 1000, lost: expected - received };
  };
  // Not measured: the first messages through our edge run while V8 compiles its hot paths (a
  // tenth of its CPU in a 60,000-message run); a broker runs for longer than that
  const warmup = await burst(WARMUP);
  const cpuStart = [cpuNs(edge.pid), cpuNs(remote.pid)];
  const selfStart = process.cpuUsage();
  const { seconds, lost } = await burst(n);
  const edgeUs = (cpuNs(edge.pid) - cpuStart[0]) / 1000;
  const remoteUs = (cpuNs(remote.pid) - cpuStart[1]) / 1000;
  const self = process.cpuUsage(selfStart);
  pub.destroy();
  sub.destroy();
  await edge.stop();
  await remote.stop();
  // CPU per message moves far less than the rate when other processes load the machine; with the
  // four processes on two cores the rate follows what all of them spend per message
  const per = (us) => us / Math.max(received, 1);
  return { rate: received / seconds, lost: lost + warmup.lost, cpuUsPerMsg: per(edgeUs), allUsPerMsg: per(edgeUs + remoteUs + self.user + self.system) };
}

const kinds = ['ours', 'mosquitto'];
console.log(`bridge forwarding, publisher on the edge -> subscriber on a Mosquitto remote, 64-byte payloads, ${ROUNDS} rounds alternating`);
for (const qos of LEVELS) {
  const results = { ours: [], mosquitto: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) results[kind].push(await runOnce(kind, qos));
  }
  const rate = (k) => median(results[k].map((r) => r.rate));
  const lost = (k) => results[k].map((r) => r.lost).join('/');
  const cpu = (k) => median(results[k].map((r) => r.cpuUsPerMsg));
  const all = (k) => median(results[k].map((r) => r.allUsPerMsg));
  // each round's pair side by side: the spread says how much one ratio can be trusted
  const pairs = results.ours.map((r, i) => fmt(r.rate / results.mosquitto[i].rate, 2)).join(' ');
  console.log(
    `QoS ${qos} (${COUNTS[qos]} msgs): ours ${fmt(rate('ours'), 0)} msgs/s (lost ${lost('ours')}), mosquitto ${fmt(rate('mosquitto'), 0)} msgs/s (lost ${lost('mosquitto')}), ours/mosquitto ${fmt(rate('ours') / rate('mosquitto'), 2)}x (rounds: ${pairs}); edge CPU per message ours ${fmt(cpu('ours'), 1)} µs, mosquitto ${fmt(cpu('mosquitto'), 1)} µs, ${fmt(cpu('ours') / cpu('mosquitto'), 2)}x; all processes (edge, remote, the publishing and subscribing perf process) ours ${fmt(all('ours'), 1)} µs, mosquitto ${fmt(all('mosquitto'), 1)} µs`,
  );
}
