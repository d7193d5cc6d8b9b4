import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCmd, runMqtt, spawnCmd } from '../helpers/cli.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { freePort } from '../helpers/ports.js';
import { describeIfTool } from '../helpers/peers.js';
import { makePki, mqttTlsConnect, type Pki } from '../helpers/tls-pki.js';

const KEY = '00112233445566778899aabbccddeeff';
/** NSS key log lines: a label, the client random, the secret (hex) */
const NSS_LINE = /^(CLIENT_RANDOM|CLIENT_HANDSHAKE_TRAFFIC_SECRET|SERVER_HANDSHAKE_TRAFFIC_SECRET|CLIENT_TRAFFIC_SECRET_0|SERVER_TRAFFIC_SECRET_0|EXPORTER_SECRET) [0-9a-f]{64} [0-9a-f]+$/;

const keylogLines = (file: string) => readFileSync(file, 'utf8').split('\n').filter((l) => l !== '');

describeIfTool(['openssl'], '--tls-keylog (pub, sub, bench): NSS key log lines', () => {
  let pki: Pki;
  let broker: BrokerProcess;
  let pskPort: number;
  beforeAll(async () => {
    pki = makePki();
    pskPort = await freePort();
    broker = await startBrokerProcess((dir, port) => {
      writeFileSync(path.join(dir, 'psk'), `bench:${KEY}\n`, { mode: 0o600 });
      return [
        `psk_file ${path.join(dir, 'psk')}`,
        'allow_anonymous true',
        `listener ${port} 127.0.0.1`,
        `certfile ${pki.serverCert}`,
        `keyfile ${pki.serverKey}`,
        `listener ${pskPort} 127.0.0.1`,
        'psk_hint keylog',
      ];
    });
  });
  afterAll(async () => {
    await broker?.stop();
    rmSync(pki.dir, { recursive: true, force: true });
  });
  const file = (name: string) => path.join(broker.dir, name);

  it('pub appends one handshake\'s TLS 1.3 secrets, to a file only its owner may read', async () => {
    const log = file('pub.keys');
    const args = ['pub', '-h', 'localhost', '-p', String(broker.port), '--cafile', pki.caCert, '-t', 'k/t', '-m', 'x', '--tls-keylog', log];
    expect((await runMqtt(args)).code).toBe(0);
    const lines = keylogLines(log);
    expect(lines.length).toBe(5);
    for (const l of lines) expect(l).toMatch(NSS_LINE);
    expect(new Set(lines.map((l) => l.split(' ')[1])).size).toBe(1); // one client random
    expect(statSync(log).mode & 0o777).toBe(0o600);
    expect((await runMqtt(args)).code).toBe(0);
    expect(keylogLines(log).length).toBe(10);
  });

  it('sub and bench write theirs too (bench: every connection, PSK included)', async () => {
    const subLog = file('sub.keys');
    const r = await runMqtt(['sub', '-h', 'localhost', '-p', String(broker.port), '--cafile', pki.caCert, '-t', 'k/#', '-W', '1', '--tls-keylog', subLog]);
    expect(r.code).toBe(27);
    expect(keylogLines(subLog).length).toBe(5);
    const benchLog = file('bench.keys');
    const bench = await runMqtt(['bench', 'pub', '-p', String(pskPort), '--psk', KEY, '--psk-identity', 'bench', '-c', '3', '-n', '5', '-t', 'k/b/%i', '--tls-keylog', benchLog, '--json', '--quiet'], { timeoutMs: 30_000 });
    expect([bench.code, bench.stderr]).toEqual([0, '']);
    const randoms = new Set(keylogLines(benchLog).map((l) => l.split(' ')[1]));
    expect(randoms.size).toBe(3);
  });

  it('is an error without TLS, and when the file cannot be written', async () => {
    const plain = await runMqtt(['pub', '-p', String(broker.port), '-t', 't', '-m', 'x', '--tls-keylog', file('never.keys')]);
    expect([plain.code, plain.stderr]).toEqual([1, 'Error: --tls-keylog needs a TLS connection (--cafile, --capath, --psk, --tls-use-os-certs, -p 8883 or an mqtts:// or wss:// URL).\n']);
    expect(existsSync(file('never.keys'))).toBe(false);
    const nowhere = await runMqtt(['pub', '-p', String(broker.port), '--cafile', pki.caCert, '-t', 't', '-m', 'x', '--tls-keylog', file('no/such/dir/k')]);
    expect(nowhere.code).toBe(1);
    expect(nowhere.stderr).toMatch(/^Error: Unable to open TLS key log file .*no\/such\/dir\/k: ENOENT/);
    const bench = await runMqtt(['bench', 'pub', '-p', String(broker.port), '--tls-keylog', file('b.keys'), '-n', '1']);
    expect(bench.code).not.toBe(0);
    expect(bench.stderr).toContain('--tls-keylog needs a TLS connection');
  });

  describeIfTool(['tcpdump', 'tshark'], 'tshark decrypts a captured session with the key log', () => {
    it('shows the PUBLISH topic and payload that travelled encrypted', async () => {
      const pcap = file('tls.pcap');
      const log = file('tshark.keys');
      const dump = spawnCmd('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-w', pcap, 'tcp', 'port', String(broker.port)]);
      try {
        await dump.waitForStderr(/listening on lo/);
        const pub = await runMqtt(['pub', '-h', 'localhost', '-p', String(broker.port), '--cafile', pki.caCert, '-t', 'secret/topic', '-m', 'decrypted!', '--tls-keylog', log]);
        expect(pub.code).toBe(0);
      } finally {
        dump.kill('SIGINT');
        await dump.done;
      }
      // TLS on the broker's port, MQTT inside it
      const asMqtt = ['-d', `tcp.port==${broker.port},tls`, '-d', `tls.port==${broker.port},mqtt`];
      const decoded = await runCmd('tshark', ['-r', pcap, '-o', `tls.keylog_file:${log}`, ...asMqtt, '-Y', 'mqtt.msgtype == 3', '-T', 'fields', '-e', 'mqtt.topic', '-e', 'mqtt.msg']);
      expect(decoded.code).toBe(0);
      const [topic, msg] = decoded.stdout.toString().trim().split('\t');
      expect(topic).toBe('secret/topic');
      expect(Buffer.from(msg!.replace(/:/g, ''), 'hex').toString()).toBe('decrypted!');
      // and without the key log, nothing of MQTT is visible
      const blind = await runCmd('tshark', ['-r', pcap, ...asMqtt, '-Y', 'mqtt', '-T', 'fields', '-e', 'mqtt.topic']);
      expect(blind.stdout.toString().trim()).toBe('');
    });

    it('mqtt sniff --tls-keylog [extra] decodes the same packets as tshark, TLS 1.3 and TLS 1.2 (AES-GCM, ChaCha20)', async () => {
      const pcap = file('sniff.pcap');
      const log = file('sniff.keys');
      const dump = spawnCmd('tcpdump', ['-i', 'lo', '-U', '--immediate-mode', '-w', pcap, 'tcp', 'port', String(broker.port)]);
      try {
        await dump.waitForStderr(/listening on lo/);
        const pub = await runMqtt(['pub', '-h', 'localhost', '-p', String(broker.port), '--cafile', pki.caCert, '-t', 'tls13/t', '-m', 'one', '-q', '1', '--tls-keylog', log]);
        expect(pub.code).toBe(0);
        for (const ciphers of ['ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES256-GCM-SHA384', 'ECDHE-RSA-CHACHA20-POLY1305']) {
          const c = await mqttTlsConnect(broker.port, { ca: readFileSync(pki.caCert), maxVersion: 'TLSv1.2', ciphers, keylog: log }, `tls12-${ciphers}`);
          expect([c.connack, c.protocol]).toEqual([0, 'TLSv1.2']);
          await c.ping();
          c.socket.end();
          await c.closed;
        }
      } finally {
        dump.kill('SIGINT');
        await dump.done;
      }
      const asMqtt = ['-d', `tcp.port==${broker.port},tls`, '-d', `tls.port==${broker.port},mqtt`];
      const theirs = await runCmd('tshark', ['-r', pcap, '-o', `tls.keylog_file:${log}`, ...asMqtt, '-Y', 'mqtt', '-T', 'fields', '-e', 'tcp.stream', '-e', 'mqtt.msgtype']);
      const tsharkTypes = theirs.stdout.toString().trim().split('\n').flatMap((l) => {
        const [stream, types] = l.split('\t');
        return types!.split(',').map((t) => `${stream}:${t}`);
      });
      const ours = await runMqtt(['sniff', '-r', pcap, '--tls-keylog', log, '-p', String(broker.port), '--json', '-q']);
      expect(ours.code).toBe(0);
      const rows = ours.stdout.toString().trim().split('\n').map((l) => JSON.parse(l) as { type: string; connection?: number; conn?: number });
      const TYPES: Record<string, number> = { CONNECT: 1, CONNACK: 2, PUBLISH: 3, PUBACK: 4, PINGREQ: 12, PINGRESP: 13, DISCONNECT: 14 };
      const oursTypes = rows.map((r) => TYPES[r.type]);
      expect(oursTypes).toEqual(tsharkTypes.map((t) => Number(t.split(':')[1])));
      expect(oursTypes.filter((t) => t === 1)).toHaveLength(4); // four connections, all decrypted
      // a key log without these sessions: each connection says so, and no packet is made up
      writeFileSync(file('other.keys'), '# nothing for these sessions\n');
      const blind = await runMqtt(['sniff', '-r', pcap, '--tls-keylog', file('other.keys'), '-p', String(broker.port), '-q']);
      expect(blind.code).toBe(0);
      expect(blind.stdout.toString().match(/no secrets for this TLS session in the key log/g)).toHaveLength(4);
      expect(blind.stdout.toString()).not.toMatch(/CONNECT/);
    });
  });
});
