import { appendFileSync, chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCmd, runMqtt, spawnCmd } from '../helpers/cli.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { freePort } from '../helpers/ports.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { H6 } from '../helpers/passwd-files.js';
import { describeIfTool } from '../helpers/peers.js';
import { mqttTlsConnect } from '../helpers/tls-pki.js';

const KEY = '0a1b2c3d4e5f60718293a4b5c6d7e8f9';

/**
 * Two TLS-PSK listeners as Mosquitto configures them: `idport` takes the PSK identity as the
 * username (an ACL then applies to it), `pwport` wants the MQTT username and password as well.
 */
function pskConfig(dir: string, idport: number, pwport: number): string[] {
  const file = (name: string, text: string) => {
    writeFileSync(path.join(dir, name), text, { mode: 0o644 });
    chmodSync(dir, 0o755); // Mosquitto reads them as the mosquitto user
    return path.join(dir, name);
  };
  return [
    `psk_file ${file('psk', `# identity:key\nsensor-1:${KEY}\n  sensor-2 : ${KEY.toUpperCase()}  \n`)}`,
    `password_file ${file('passwd', `alice:${H6}\n`)}`,
    `acl_file ${file('acl', 'user sensor-1\ntopic readwrite psk/#\nuser sensor-2\ntopic readwrite psk/#\nuser alice\ntopic readwrite psk/#\n')}`,
    'allow_anonymous false',
    `listener ${idport} 127.0.0.1`,
    'psk_hint broker-id',
    'use_identity_as_username true',
    `listener ${pwport} 127.0.0.1`,
    'psk_hint broker-pw',
  ];
}

interface Peer {
  idport: number;
  pwport: number;
}

/** mosquitto_pub over TLS-PSK: its exit code. */
async function pskPub(port: number, identity: string, key: string, ...extra: string[]): Promise<number> {
  const topic = extra.includes('-t') ? [] : ['-t', 'psk/t', '-m', 'x'];
  const r = await runCmd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '--psk', key, '--psk-identity', identity, ...topic, ...extra]);
  return r.code ?? -1;
}

/**
 * A handshake the broker refuses: mosquitto_pub exits 1 when the alert arrives while it is still
 * connecting, 8 (MOSQ_ERR_TLS) when it comes a moment later; which one is a race in the client.
 */
const TLS_REFUSED = -1;
const outcome = (code: number) => (code === 1 || code === 8 ? TLS_REFUSED : code);

/** The cases, each with the exit code mosquitto_pub gets: the same from both brokers. */
const CASES: Array<[string, (p: Peer) => Promise<number>, number]> = [
  ['the identity as username, within its ACL', (p) => pskPub(p.idport, 'sensor-1', KEY), 0],
  ['a key given in upper case in the file', (p) => pskPub(p.idport, 'sensor-2', KEY), 0],
  ['TLS 1.2', (p) => pskPub(p.idport, 'sensor-1', KEY, '--tls-version', 'tlsv1.2'), 0],
  ['a wrong key', (p) => pskPub(p.idport, 'sensor-1', KEY.replace('0a', '0b')), TLS_REFUSED],
  ['an unknown identity', (p) => pskPub(p.idport, 'nobody', KEY), TLS_REFUSED],
  ['no username on the password listener', (p) => pskPub(p.pwport, 'sensor-1', KEY), 5],
  ['username and password on the password listener', (p) => pskPub(p.pwport, 'sensor-1', KEY, '-u', 'alice', '-P', 'password'), 0],
];

describeIfTool(['mosquitto_pub', 'mosquitto_sub'], 'TLS-PSK listeners (psk_hint, psk_file, use_identity_as_username)', () => {
  describe('mqtt broker', () => {
    let broker: BrokerProcess;
    let peer: Peer;
    beforeAll(async () => {
      const pwport = await freePort();
      broker = await startBrokerProcess((dir, port) => pskConfig(dir, port, pwport));
      peer = { idport: broker.port, pwport };
    });
    afterAll(() => broker?.stop());

    it.each(CASES)('mosquitto_pub: %s', async (_, run, code) => {
      expect(outcome(await run(peer))).toBe(code);
    });

    it('mosquitto_sub with one identity receives what mosquitto_pub sends with another', async () => {
      const sub = spawnCmd('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(peer.idport), '--psk', KEY, '--psk-identity', 'sensor-1', '-t', 'psk/#', '-C', '1', '-v', '-d']);
      await sub.waitForStdout(/received SUBACK/);
      expect(await pskPub(peer.idport, 'sensor-2', KEY, '-t', 'psk/sub', '-m', 'hello')).toBe(0);
      await sub.waitForStdout(/^psk\/sub hello$/m);
      await sub.done;
    });

    it('a TLS 1.2 PSK handshake from Node\'s client, with the identity hint the listener sends', async () => {
      let hint: string | null = null;
      const c = await mqttTlsConnect(peer.idport, {
        maxVersion: 'TLSv1.2',
        ciphers: 'PSK',
        checkServerIdentity: () => undefined,
        pskCallback: (h) => {
          hint = h;
          return { psk: Buffer.from(KEY, 'hex'), identity: 'sensor-1' };
        },
      });
      expect([c.connack, c.protocol, hint]).toEqual([0, 'TLSv1.2', 'broker-id']);
      expect(c.cipher).toMatch(/PSK/);
      c.socket.destroy();
    });

    it('mqtt pub --psk works against it', async () => {
      const r = await runMqtt(['pub', '-p', String(peer.idport), '--psk', KEY, '--psk-identity', 'sensor-1', '-t', 'psk/ours', '-m', 'x']);
      expect([r.code, r.stderr]).toEqual([0, '']);
    });

    it('SIGHUP reloads psk_file: a new identity works without a restart', async () => {
      expect(outcome(await pskPub(peer.idport, 'sensor-3', KEY))).toBe(TLS_REFUSED);
      appendFileSync(path.join(broker.dir, 'psk'), `sensor-3:${KEY}\n`);
      broker.proc.kill('SIGHUP');
      await broker.proc.waitForStderr(/Reloaded password and ACL files/);
      // sensor-3 has no ACL section: it connects, and publishing is refused silently (QoS 0)
      expect(await pskPub(peer.idport, 'sensor-3', KEY)).toBe(0);
    });
  });

  it('refuses to start with psk_hint but no psk_file, or with a psk_file others may write', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-psk-'));
    try {
      const conf = path.join(dir, 'broker.conf');
      writeFileSync(conf, `listener ${await freePort()} 127.0.0.1\npsk_hint h\n`);
      const none = await runMqtt(['broker', '-c', conf]);
      expect([none.code, none.stderr]).toEqual([3, 'Error: psk_hint "h" needs a psk_file to take keys from.\n']);
      const psk = path.join(dir, 'psk');
      writeFileSync(psk, `a:${KEY}\n`);
      chmodSync(psk, 0o666);
      writeFileSync(conf, `psk_file ${psk}\nlistener ${await freePort()} 127.0.0.1\npsk_hint h\n`);
      const open = await runMqtt(['broker', '-c', conf]);
      expect(open.code).toBe(3);
      expect(open.stderr).toContain(`Error: File ${psk} is world writable`);
      chmodSync(psk, 0o600);
      writeFileSync(psk, 'a:0xfeed\n');
      const bad = await runMqtt(['broker', '-c', conf]);
      expect(bad.code).toBe(3);
      expect(bad.stderr).toContain('Error: psk for identity "a" contains non-hexadecimal characters.');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  describeIfTool(['mosquitto'], 'Mosquitto with the same configuration', () => {
    let m: Mosquitto;
    let peer: Peer;
    beforeAll(async () => {
      const pwport = await freePort();
      let idport = 0;
      m = await startMosquitto({
        listenerConfig: (port, dir) => {
          idport = port;
          return pskConfig(dir, port, pwport);
        },
      });
      peer = { idport, pwport };
    });
    afterAll(() => m?.stop());

    it.each(CASES)('mosquitto_pub: %s', async (_, run, code) => {
      expect(outcome(await run(peer))).toBe(code);
    });
  });
});
