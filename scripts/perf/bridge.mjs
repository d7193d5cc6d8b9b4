// `npm run perf:bridge`: forwarding rate through a bridge. A publisher on the edge broker, a
// subscriber on the remote (a Mosquitto), 64-byte payloads, QoS 0 and QoS 1; the edge is our
// `mqtt broker` or a Mosquitto with the same `connection` section, alternating A B A B in one run
// (absolute rates move a lot on a shared machine: read the ratio). The rate is messages received
// at the remote per second, from the first publish to the last arrival; `lost` is what never
// arrived (for QoS 1 it must be 0). Both edges run with their defaults unless told otherwise
// (20 in flight, 1,000 queued): what a user who swaps one for the other gets.
//
// Each edge first forwards PERF_BRIDGE_WARMUP messages (20000) that are not measured: what is
// compared is the steady rate, not how soon V8 has compiled our edge's hot paths. Then a QoS 1
// backlog queued while the remote refused the bridge is drained: the forwarding alone.
//
// Mosquitto 2.0.11 (Debian 12's) does not hold a client or a bridge to
// max_inflight_messages: each in-order PUBACK moves up to that many queued messages into flight
// (db__message_delete_outgoing counts the acked message's place in the list, not the list; 2.0.21
// asks whether the flight has room), so its
// bridge had a median of 45 and up to 318 QoS 1 messages in flight here (1,738 draining a backlog)
// where ours keeps 20. PERF_BRIDGE_MOSQUITTO names another Mosquitto as the edge: a binary, or
// `trixie` (2.0.21, which holds it to the window), built once from Debian's source package
// (scripts/perf/mosquitto-build.mjs). PERF_BRIDGE_MAX_INFLIGHT sets both edges' window (0: none,
// the same for both whatever their version).
//
// Environment: PERF_BRIDGE_ROUNDS (5: one round's ratio moves by a fifth on a shared machine), PERF_BRIDGE_QOS0 (messages, 50000), PERF_BRIDGE_QOS1 (60000),
// PERF_BRIDGE_WARMUP (20000), PERF_BRIDGE_DRAIN (the backlog, 50000; 0 skips it),
// PERF_BRIDGE_NODE_ARGS (extra node flags for our edge broker, e.g. --cpu-prof --cpu-prof-dir=DIR),
// PERF_BRIDGE_QOS (0,1: the levels measured), PERF_BRIDGE_MAX_QUEUED (the edges' max_queued_messages;
// past it Mosquitto drops, ours holds its publishers' acks), PERF_BRIDGE_MAX_INFLIGHT, PERF_BRIDGE_MOSQUITTO.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import mqttPacket from 'mqtt-packet';
import { mosquittoBinary } from './mosquitto-build.mjs';
import { brokerWorkerPid, cpuNs, fmt, freePort, median, spawnUntil, startMosquitto } from './lib.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const ROUNDS = Number(process.env.PERF_BRIDGE_ROUNDS ?? 5);
/** messages sent through the bridge (same QoS) before the measured ones */
const WARMUP = Number(process.env.PERF_BRIDGE_WARMUP ?? 20_000);
const COUNTS = { 0: Number(process.env.PERF_BRIDGE_QOS0 ?? 50_000), 1: Number(process.env.PERF_BRIDGE_QOS1 ?? 60_000) };
const NODE_ARGS = process.env.PERF_BRIDGE_NODE_ARGS ? process.env.PERF_BRIDGE_NODE_ARGS.split(' ') : [];
/** the Mosquitto that runs as the other edge (the remote is always the system's `mosquitto`) */
const EDGE_MOSQUITTO = mosquittoBinary(process.env.PERF_BRIDGE_MOSQUITTO);
const MAX_INFLIGHT = process.env.PERF_BRIDGE_MAX_INFLIGHT ? Number(process.env.PERF_BRIDGE_MAX_INFLIGHT) : undefined;
const MAX_QUEUED = process.env.PERF_BRIDGE_MAX_QUEUED ? Number(process.env.PERF_BRIDGE_MAX_QUEUED) : undefined;
const LEVELS = (process.env.PERF_BRIDGE_QOS ?? '0,1').split(',').filter(Boolean).map(Number);
/** QoS 1 messages in the backlog the drain measurement forwards (0: not measured) */
const DRAIN = Number(process.env.PERF_BRIDGE_DRAIN ?? 50_000);
const PAYLOAD = Buffer.alloc(64, 0x61);
/** QoS 1 publishes the generator keeps unacknowledged at the edge */
const WINDOW = 100;
/** no arrival for this long: what has not arrived is lost */
const STALL_MS = 3000;

function bridgeSection(remotePort, qos) {
  return [
    ...(MAX_QUEUED === undefined ? [] : [`max_queued_messages ${MAX_QUEUED}`]),
    ...(MAX_INFLIGHT === undefined ? [] : [`max_inflight_messages ${MAX_INFLIGHT}`]),
    'connection perf',
    `address 127.0.0.1:${remotePort}`,
    'remote_clientid perf-edge',
    'cleansession true',
    'notifications false',
    `topic perf/# out ${qos}`,
  ];
}

async function startEdge(kind, remotePort, qos, section = bridgeSection(remotePort, qos), ready = 'Bridge perf connected') {
  if (kind === 'mosquitto') {
    const m = await startMosquitto(section, EDGE_MOSQUITTO);
    return { port: m.port, stop: m.stop, pid: m.pid };
  }
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-perf-bridge-'));
  const port = await freePort();
  const conf = path.join(dir, 'broker.conf');
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', ...section].join('\n') + '\n');
  const { stop, pid } = await spawnUntil(process.execPath, [...NODE_ARGS, path.join(root, 'bin/mqtt'), 'broker', '-c', conf], ready, dir);
  // the broker runs in the launcher's one child (src/commands/broker-heap.ts)
  return { port, stop, pid: brokerWorkerPid(pid) };
}

/** A raw MQTT 3.1.1 connection: CONNECT sent, resolves on CONNACK; `onPacket` sees the rest. */
function rawClient(port, clientId, onPacket, credentials = {}) {
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
    socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clientId, clean: true, keepalive: 60, ...credentials }));
  });
}

/**
 * The subscriber on the remote: subscribed to perf/# (QoS 1 deliveries acknowledged), resolves
 * once the SUBACK is in with its count of arrivals and the times of the first and the last.
 */
async function subscribeAtRemote(port, qos, credentials) {
  const arrivals = { count: 0, first: 0, last: 0, socket: undefined };
  let subscribed;
  const subscribedP = new Promise((r) => (subscribed = r));
  arrivals.socket = await rawClient(
    port,
    'perf-sub',
    (p, s) => {
      if (p.cmd === 'suback') return subscribed();
      if (p.cmd !== 'publish') return;
      arrivals.last = performance.now();
      if (arrivals.count++ === 0) arrivals.first = arrivals.last;
      if (p.qos === 1) s.write(mqttPacket.generate({ cmd: 'puback', messageId: p.messageId }));
    },
    credentials,
  );
  arrivals.socket.write(mqttPacket.generate({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'perf/#', qos }] }));
  await subscribedP;
  return arrivals;
}

async function runOnce(kind, qos) {
  // the remote's own limits toward the subscriber are not what is measured: with its defaults
  // (20 in flight, 1,000 queued) it dropped QoS 1 messages a fast bridge brought it (314 of 20,000
  // behind a Mosquitto edge in one run) and set the pace for both edges
  const remote = await startMosquitto(['max_inflight_messages 0', 'max_queued_messages 0']);
  const edge = await startEdge(kind, remote.port, qos);
  const n = COUNTS[qos];
  const arrivals = await subscribeAtRemote(remote.port, qos);
  const sub = arrivals.socket;
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
  const wait = setInterval(() => arrivals.count > 0 && probeSeen(), 20);
  pub.write(mqttPacket.generate({ cmd: 'publish', topic: 'perf/probe', payload: PAYLOAD, qos: 0, retain: false }));
  const resend = setInterval(() => pub.write(mqttPacket.generate({ cmd: 'publish', topic: 'perf/probe', payload: PAYLOAD, qos: 0, retain: false })), 200);
  await probe;
  clearInterval(wait);
  clearInterval(resend);
  await new Promise((r) => setTimeout(r, 300));
  arrivals.count = 0;

  // QoS 1 publishes are numbered on from the warm-up's
  let sent = 0;
  /** Sends `count` messages and waits for them at the remote (or for STALL_MS without one). */
  const burst = async (count) => {
    arrivals.count = 0;
    acked = 0;
    sent = 0;
    arrivals.last = 0;
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
        if (arrivals.count >= expected || performance.now() - Math.max(arrivals.last, start) > STALL_MS) {
          clearInterval(check);
          resolve();
        }
      }, 20);
    });
    return { seconds: (arrivals.last - start) / 1000, lost: expected - arrivals.count };
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
  const per = (us) => us / Math.max(arrivals.count, 1);
  return { rate: arrivals.count / seconds, lost: lost + warmup.lost, cpuUsPerMsg: per(edgeUs), allUsPerMsg: per(edgeUs + remoteUs + self.user + self.system), remoteUsPerMsg: per(remoteUs), selfUsPerMsg: per(self.user + self.system) };
}

/**
 * A backlog drained: DRAIN QoS 1 messages wait at the edge while the remote refuses the bridge
 * (its user is not in the remote's password file yet), then the remote is reloaded with the user
 * and the edge sends them all. Nothing else runs meanwhile, so this is the bridge's forwarding
 * alone, without the publisher's pace: messages over the time from the first arrival to the last.
 */
async function runDrain(kind) {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-perf-drain-'));
  const passwords = path.join(dir, 'passwords');
  execFileSync('mosquitto_passwd', ['-c', '-b', passwords, 'perf-sub', 'x']);
  // Mosquitto started as root reads it as the user `mosquitto`
  chmodSync(dir, 0o755);
  chmodSync(passwords, 0o644);
  const remote = await startMosquitto(['max_inflight_messages 0', 'max_queued_messages 0', `password_file ${passwords}`]);
  const section = [
    `max_queued_messages ${DRAIN * 2}`,
    ...(MAX_INFLIGHT === undefined ? [] : [`max_inflight_messages ${MAX_INFLIGHT}`]),
    'connection perf',
    `address 127.0.0.1:${remote.port}`,
    'remote_clientid perf-edge',
    'remote_username perf-edge',
    'remote_password secret',
    'cleansession false',
    'restart_timeout 1',
    'notifications false',
    'topic perf/# out 1',
  ];
  const edge = await startEdge(kind, remote.port, 1, section, 'running');
  const arrivals = await subscribeAtRemote(remote.port, 1, { username: 'perf-sub', password: Buffer.from('x') });
  const sub = arrivals.socket;
  let acked = 0;
  let allAcked;
  const done = new Promise((r) => (allAcked = r));
  let sent = 0;
  const pub = await rawClient(edge.port, 'perf-pub', (p, s) => {
    if (p.cmd !== 'puback') return;
    if (++acked === DRAIN) return allAcked();
    if (sent < DRAIN) {
      sent++;
      s.write(mqttPacket.generate({ cmd: 'publish', topic: 'perf/t', payload: PAYLOAD, qos: 1, retain: false, messageId: (sent % 65535) + 1 }));
    }
  });
  for (; sent < WINDOW; sent++) pub.write(mqttPacket.generate({ cmd: 'publish', topic: 'perf/t', payload: PAYLOAD, qos: 1, retain: false, messageId: (sent % 65535) + 1 }));
  await done;
  if (arrivals.count !== 0) throw new Error(`the remote took the bridge before the reload (${arrivals.count} arrived)`);
  execFileSync('mosquitto_passwd', ['-b', passwords, 'perf-edge', 'secret']);
  chmodSync(passwords, 0o644);
  process.kill(remote.pid, 'SIGHUP');
  const cpuStart = cpuNs(edge.pid);
  await new Promise((resolve) => {
    const check = setInterval(() => {
      if (arrivals.count >= DRAIN || (arrivals.count > 0 && performance.now() - arrivals.last > STALL_MS)) {
        clearInterval(check);
        resolve();
      }
    }, 20);
  });
  const edgeUs = (cpuNs(edge.pid) - cpuStart) / 1000;
  pub.destroy();
  sub.destroy();
  await edge.stop();
  await remote.stop();
  rmSync(dir, { recursive: true, force: true });
  return { rate: arrivals.count / ((arrivals.last - arrivals.first) / 1000), lost: DRAIN - arrivals.count, cpuUsPerMsg: edgeUs / Math.max(arrivals.count, 1) };
}

const kinds = ['ours', 'mosquitto'];
/** "2.0.11" from `mosquitto -h`'s first line */
const edgeVersion = /version (\S+)/.exec(spawnSync(EDGE_MOSQUITTO, ['-h'], { encoding: 'utf8' }).stdout ?? '')?.[1] ?? 'unknown';
const windowIgnored = /^2\.0\.([0-9]|1[0-2])$/.test(edgeVersion);
console.log(`bridge forwarding, publisher on the edge -> subscriber on a Mosquitto remote, 64-byte payloads, ${ROUNDS} rounds alternating; the Mosquitto edge is ${edgeVersion}${windowIgnored ? ' (it does not hold its bridge to max_inflight_messages: PERF_BRIDGE_MOSQUITTO=trixie compares with 2.0.21, which does)' : ''}`);
for (const qos of LEVELS) {
  const results = { ours: [], mosquitto: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) results[kind].push(await runOnce(kind, qos));
  }
  const rate = (k) => median(results[k].map((r) => r.rate));
  const lost = (k) => results[k].map((r) => r.lost).join('/');
  const cpu = (k) => median(results[k].map((r) => r.cpuUsPerMsg));
  const all = (k) => median(results[k].map((r) => r.allUsPerMsg));
  const remoteCpu = (k) => median(results[k].map((r) => r.remoteUsPerMsg));
  const selfCpu = (k) => median(results[k].map((r) => r.selfUsPerMsg));
  // each round's pair side by side: the spread says how much one ratio can be trusted
  const pairs = results.ours.map((r, i) => fmt(r.rate / results.mosquitto[i].rate, 2)).join(' ');
  console.log(
    `QoS ${qos} (${COUNTS[qos]} msgs): ours ${fmt(rate('ours'), 0)} msgs/s (lost ${lost('ours')}), mosquitto ${fmt(rate('mosquitto'), 0)} msgs/s (lost ${lost('mosquitto')}), ours/mosquitto ${fmt(rate('ours') / rate('mosquitto'), 2)}x (rounds: ${pairs}); edge CPU per message ours ${fmt(cpu('ours'), 1)} µs, mosquitto ${fmt(cpu('mosquitto'), 1)} µs, ${fmt(cpu('ours') / cpu('mosquitto'), 2)}x; all processes (edge, remote, the publishing and subscribing perf process) ours ${fmt(all('ours'), 1)} µs, mosquitto ${fmt(all('mosquitto'), 1)} µs (remote ${fmt(remoteCpu('ours'), 1)} / ${fmt(remoteCpu('mosquitto'), 1)} µs, perf process ${fmt(selfCpu('ours'), 1)} / ${fmt(selfCpu('mosquitto'), 1)} µs)`,
  );
}

if (DRAIN > 0) {
  const results = { ours: [], mosquitto: [] };
  for (let round = 0; round < ROUNDS; round++) {
    for (const kind of round % 2 === 0 ? kinds : [...kinds].reverse()) results[kind].push(await runDrain(kind));
  }
  const rate = (k) => median(results[k].map((r) => r.rate));
  const lost = (k) => results[k].map((r) => r.lost).join('/');
  const cpu = (k) => median(results[k].map((r) => r.cpuUsPerMsg));
  const pairs = results.ours.map((r, i) => fmt(r.rate / results.mosquitto[i].rate, 2)).join(' ');
  console.log(
    `QoS 1 backlog of ${DRAIN} drained after the remote comes back: ours ${fmt(rate('ours'), 0)} msgs/s (lost ${lost('ours')}), mosquitto ${fmt(rate('mosquitto'), 0)} msgs/s (lost ${lost('mosquitto')}), ours/mosquitto ${fmt(rate('ours') / rate('mosquitto'), 2)}x (rounds: ${pairs}); edge CPU per message ours ${fmt(cpu('ours'), 1)} µs, mosquitto ${fmt(cpu('mosquitto'), 1)} µs`,
  );
}
