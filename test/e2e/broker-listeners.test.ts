import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runCmd, runMqtt, spawnMqtt } from '../helpers/cli.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { makeTestCerts, type TestCerts } from '../helpers/certs.js';
import { freePort } from '../helpers/ports.js';
import { describeIfTool } from '../helpers/peers.js';

const uid = () => Math.random().toString(36).slice(2, 10);

describeIfTool(['openssl', 'mosquitto_pub'], 'broker listeners: TLS, client certificates, WebSocket, unix socket', () => {
  let certs: TestCerts;
  let b: BrokerProcess;
  let tlsPort: number;
  let mtlsPort: number;
  let wsPort: number;
  let sock: string;
  beforeAll(async () => {
    certs = makeTestCerts();
    [tlsPort, mtlsPort, wsPort] = await Promise.all([freePort(), freePort(), freePort()]);
    b = await startBrokerProcess((dir, port) => {
      sock = path.join(dir, 'broker.sock');
      return [
        'per_listener_settings true',
        `listener ${port} 127.0.0.1`,
        'allow_anonymous true',
        `listener ${tlsPort} 127.0.0.1`,
        `cafile ${certs.caCert}`,
        `certfile ${certs.serverCert}`,
        `keyfile ${certs.serverKey}`,
        'allow_anonymous true',
        `listener ${mtlsPort} 127.0.0.1`,
        `cafile ${certs.caCert}`,
        `certfile ${certs.serverCert}`,
        `keyfile ${certs.serverKey}`,
        'require_certificate true',
        'use_identity_as_username true',
        'allow_anonymous false',
        `listener ${wsPort} 127.0.0.1`,
        'protocol websockets',
        'allow_anonymous true',
        `listener 0 ${sock}`,
        'allow_anonymous true',
      ];
    });
  });
  afterAll(async () => {
    await b?.stop();
  });

  /** subscribe through one door, publish through another: both must reach the same broker */
  async function roundTrip(subArgs: string[], pubArgs: string[]) {
    const topic = `listeners/${uid()}`;
    const sub = spawnMqtt(['sub', ...subArgs, '-t', topic, '-C', '1', '-d']);
    await sub.waitForStdout(/Subscribed/);
    const pub = await runMqtt(['pub', ...pubArgs, '-t', topic, '-m', 'through']);
    expect(pub.code, pub.stderr).toBe(0);
    const r = await sub.done;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout.toString()).toContain('through\n');
  }

  it('TLS listener: mqtt pub --cafile -> plain subscriber', async () => {
    await roundTrip(['-p', String(b.port)], ['-h', 'localhost', '-p', String(tlsPort), '--cafile', certs.caCert]);
  });

  it('TLS listener: mosquitto_pub with --cafile connects', async () => {
    const r = await runCmd('mosquitto_pub', ['-h', 'localhost', '-p', String(tlsPort), '--cafile', certs.caCert, '-t', 'x', '-m', 'y']);
    expect(r.code, r.stderr).toBe(0);
  });

  it('TLS: a client trusting another CA fails verification with one line, exit 1', async () => {
    const r = await runMqtt(['pub', '-h', 'localhost', '-p', String(tlsPort), '--cafile', certs.otherCaCert, '-t', 'x', '-m', 'y']);
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/TLS/);
  });

  it('require_certificate + use_identity_as_username: a client certificate is required and accepted', async () => {
    const withCert = ['-h', 'localhost', '-p', String(mtlsPort), '--cafile', certs.caCert, '--cert', certs.clientCert, '--key', certs.clientKey];
    await roundTrip(['-p', String(b.port)], withCert);
    const without = await runCmd('mosquitto_pub', ['-h', 'localhost', '-p', String(mtlsPort), '--cafile', certs.caCert, '-t', 'x', '-m', 'y']);
    expect(without.code).not.toBe(0);
  });

  it('WebSocket listener: mqtt pub -L ws:// and mqtt sub -L ws://', async () => {
    const topic = `ws/${uid()}`;
    const sub = spawnMqtt(['sub', '-L', `ws://127.0.0.1:${wsPort}/${topic}`, '-C', '1', '-d']);
    await sub.waitForStdout(/Subscribed/);
    const pub = await runMqtt(['pub', '-L', `ws://127.0.0.1:${wsPort}/${topic}`, '-m', 'over-ws']);
    expect(pub.code, pub.stderr).toBe(0);
    expect((await sub.done).stdout.toString()).toContain('over-ws\n');
  });

  it('unix socket listener: --unix', async () => {
    await roundTrip(['--unix', sock], ['--unix', sock]);
  });
});
