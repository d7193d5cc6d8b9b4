import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { describeIfTool } from '../helpers/peers.js';
import { makePki, mqttTlsConnect, type Pki } from '../helpers/tls-pki.js';

describeIfTool(['openssl'], 'TLS listener: ciphers, ciphers_tls1.3, dhparamfile', () => {
  let pki: Pki;
  let dhparam: string;
  beforeAll(() => {
    pki = makePki();
    dhparam = path.join(pki.dir, 'dhparam.pem');
    // -dsaparam: DH parameters in a second instead of minutes
    execFileSync('openssl', ['dhparam', '-dsaparam', '-out', dhparam, '2048'], { stdio: 'pipe' });
  });
  afterAll(() => rmSync(pki.dir, { recursive: true, force: true }));

  const serverLines = (port: number, ...more: string[]) => [
    `listener ${port} 127.0.0.1`,
    `certfile ${pki.serverCert}`,
    `keyfile ${pki.serverKey}`,
    'allow_anonymous true',
    ...more,
  ];
  const trust = () => ({ ca: readFileSync(pki.caCert) });

  describe('ciphers and ciphers_tls1.3', () => {
    let broker: BrokerProcess;
    beforeAll(async () => {
      broker = await startBrokerProcess((_d, port) => serverLines(port, 'ciphers ECDHE-RSA-AES128-GCM-SHA256', 'ciphers_tls1.3 TLS_AES_128_GCM_SHA256'));
    });
    afterAll(() => broker?.stop());

    it('TLS 1.2: only the listed cipher is negotiated; a client offering others only is refused', async () => {
      const ok = await mqttTlsConnect(broker.port, { ...trust(), maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-AES128-GCM-SHA256' });
      expect([ok.connack, ok.protocol, ok.cipher]).toEqual([0, 'TLSv1.2', 'ECDHE-RSA-AES128-GCM-SHA256']);
      ok.socket.destroy();
      await expect(mqttTlsConnect(broker.port, { ...trust(), maxVersion: 'TLSv1.2', ciphers: 'ECDHE-RSA-AES256-GCM-SHA384' })).rejects.toThrow(/handshake failure|no shared cipher/);
    });

    it('TLS 1.3: only the listed ciphersuite', async () => {
      const ok = await mqttTlsConnect(broker.port, { ...trust(), minVersion: 'TLSv1.3' });
      expect([ok.protocol, ok.cipher]).toEqual(['TLSv1.3', 'TLS_AES_128_GCM_SHA256']);
      ok.socket.destroy();
      await expect(mqttTlsConnect(broker.port, { ...trust(), minVersion: 'TLSv1.3', ciphers: 'TLS_AES_256_GCM_SHA384' })).rejects.toThrow(/handshake failure|no shared cipher|no suitable/);
    });
  });

  describe('dhparamfile', () => {
    const dhe = { maxVersion: 'TLSv1.2' as const, ciphers: 'DHE-RSA-AES128-GCM-SHA256' };

    it('with DH parameters a DHE cipher is negotiated', async () => {
      const broker = await startBrokerProcess((_d, port) => serverLines(port, `dhparamfile ${dhparam}`, 'ciphers DHE-RSA-AES128-GCM-SHA256'));
      try {
        const c = await mqttTlsConnect(broker.port, { ...trust(), ...dhe });
        expect([c.connack, c.cipher]).toEqual([0, 'DHE-RSA-AES128-GCM-SHA256']);
        c.socket.destroy();
      } finally {
        await broker.stop();
      }
    });

    it('without them there is no DHE (Node, like OpenSSL, has no built-in parameters)', async () => {
      const broker = await startBrokerProcess((_d, port) => serverLines(port, 'ciphers DHE-RSA-AES128-GCM-SHA256'));
      try {
        await expect(mqttTlsConnect(broker.port, { ...trust(), ...dhe })).rejects.toThrow();
      } finally {
        await broker.stop();
      }
    });
  });
});
