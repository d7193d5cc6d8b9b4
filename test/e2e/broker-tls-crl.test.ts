import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCmd } from '../helpers/cli.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { startMosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { makePki, mqttTlsConnect, type Pki } from '../helpers/tls-pki.js';

/** Client certificate options for Node's TLS client. */
const withCert = (pki: Pki, c: { cert: string; key: string }) => ({ ca: readFileSync(pki.caCert), cert: readFileSync(c.cert), key: readFileSync(c.key) });

describeIfTool(['openssl'], 'TLS listener: crlfile, revocation at reload, capath', () => {
  let pki: Pki;
  let good: { cert: string; key: string };
  let revoked: { cert: string; key: string };
  let later: { cert: string; key: string };
  let crl: string;

  beforeAll(() => {
    pki = makePki();
    good = pki.client('good');
    revoked = pki.client('revoked');
    later = pki.client('later');
    pki.revoke(revoked.cert);
    crl = pki.crl(path.join(pki.dir, 'crl.pem'));
  });
  afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

  const listener = (port: number, ...more: string[]) => [
    `listener ${port} 127.0.0.1`,
    `cafile ${pki.caCert}`,
    `certfile ${pki.serverCert}`,
    `keyfile ${pki.serverKey}`,
    'require_certificate true',
    'use_identity_as_username true',
    `crlfile ${crl}`,
    ...more,
  ];

  describe('mqtt broker', () => {
    let broker: BrokerProcess;
    beforeAll(async () => {
      broker = await startBrokerProcess((_d, port) => listener(port));
    });
    afterAll(() => broker?.stop());

    it('refuses a revoked client certificate at the handshake and says why; accepts a good one', async () => {
      await expect(mqttTlsConnect(broker.port, withCert(pki, revoked))).rejects.toThrow();
      await broker.proc.waitForStderr(/OpenSSL Error\[0\]: error:0A000086:SSL routines::certificate verify failed \(certificate revoked\)/);
      const c = await mqttTlsConnect(broker.port, withCert(pki, good));
      expect(c.connack).toBe(0);
      c.socket.destroy();
    });

    it('mosquitto_pub with the revoked certificate fails, with the good one succeeds', async () => {
      const pub = (c: { cert: string; key: string }) =>
        runCmd('mosquitto_pub', ['-h', 'localhost', '-p', String(broker.port), '--cafile', pki.caCert, '--cert', c.cert, '--key', c.key, '-t', 'crl/t', '-m', 'x']);
      expect((await pub(good)).code).toBe(0);
      expect((await pub(revoked)).code).not.toBe(0);
    });

    it('on SIGHUP reloads the CRL: a newly revoked client is disconnected at once and refused after; others stay', async () => {
      const staying = await mqttTlsConnect(broker.port, withCert(pki, good), 'staying');
      const doomed = await mqttTlsConnect(broker.port, withCert(pki, later), 'doomed');
      expect([staying.connack, doomed.connack]).toEqual([0, 0]);
      pki.revoke(later.cert);
      pki.crl(crl);
      broker.proc.kill('SIGHUP');
      await broker.proc.waitForStderr(/Client certificate of 127\.0\.0\.1:\d+ \(serial [0-9A-F]+\) is revoked by the reloaded CRL, disconnecting\./);
      await doomed.closed;
      await staying.ping();
      await expect(mqttTlsConnect(broker.port, withCert(pki, later))).rejects.toThrow();
      staying.socket.destroy();
    });

    it('a CRL that no longer reads at SIGHUP is logged, and the listener keeps the one it had', async () => {
      const good13 = readFileSync(crl);
      writeFileSync(crl, 'not a CRL\n');
      try {
        broker.proc.kill('SIGHUP');
        await broker.proc.waitForStderr(/Error: TLS reload of listener .* failed: Unable to load CRL file ".*crl\.pem": no PEM "X509 CRL" in it\./);
        const c = await mqttTlsConnect(broker.port, withCert(pki, good));
        expect(c.connack).toBe(0);
        c.socket.destroy();
        await expect(mqttTlsConnect(broker.port, withCert(pki, revoked))).rejects.toThrow();
      } finally {
        writeFileSync(crl, good13);
      }
    });
  });

  describe('mqtt broker with capath instead of cafile', () => {
    let broker: BrokerProcess;
    beforeAll(async () => {
      broker = await startBrokerProcess((_d, port) => [
        `listener ${port} 127.0.0.1`,
        `capath ${pki.capath()}`,
        `certfile ${pki.serverCert}`,
        `keyfile ${pki.serverKey}`,
        'require_certificate true',
        'use_identity_as_username true',
        `crlfile ${crl}`,
      ]);
    });
    afterAll(() => broker?.stop());

    it('verifies client certificates against the hashed CA files, CRL included', async () => {
      const c = await mqttTlsConnect(broker.port, withCert(pki, good));
      expect(c.connack).toBe(0);
      c.socket.destroy();
      await expect(mqttTlsConnect(broker.port, withCert(pki, revoked))).rejects.toThrow();
      await expect(mqttTlsConnect(broker.port, { ca: readFileSync(pki.caCert) })).rejects.toThrow();
    });
  });

  describeIfTool(['mosquitto'], 'Mosquitto with the same listener', () => {
    it('refuses the revoked certificate and accepts the good one, as we do', async () => {
      pki.shareWithOtherUsers(); // Mosquitto reads them as the mosquitto user
      const m = await startMosquitto({ listenerConfig: (port) => listener(port) });
      try {
        const c = await mqttTlsConnect(m.port, withCert(pki, good));
        expect(c.connack).toBe(0);
        c.socket.destroy();
        await expect(mqttTlsConnect(m.port, withCert(pki, revoked))).rejects.toThrow();
      } finally {
        await m.stop();
      }
    });
  });
});
