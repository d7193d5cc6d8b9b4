import { execFileSync } from 'node:child_process';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import tls from 'node:tls';
import { makeTestCerts, type TestCerts } from './certs.js';

const ssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });

/** makeTestCerts plus `openssl ca` state, so certificates can be revoked and CRLs issued. */
export interface Pki extends TestCerts {
  /** a client certificate and key from the test CA, with this CN */
  client(cn: string): { cert: string; key: string };
  revoke(cert: string): void;
  /** a PEM CRL of the test CA listing what was revoked so far, written to `file` */
  crl(file: string): string;
  /** a capath directory holding the test CA under its OpenSSL hash name (openssl rehash) */
  capath(): string;
  /** everything readable by other users: for a Mosquitto that drops root (test keys only) */
  shareWithOtherUsers(): void;
}

export function makePki(): Pki {
  const certs = makeTestCerts();
  const p = (n: string) => path.join(certs.dir, n);
  mkdirSync(p('cadb'), { recursive: true });
  writeFileSync(p('cadb/index.txt'), '');
  writeFileSync(p('cadb/crlnumber'), '01\n');
  writeFileSync(
    p('crl.cnf'),
    `[ca]\ndefault_ca=d\n[d]\ndatabase=${p('cadb/index.txt')}\ncrlnumber=${p('cadb/crlnumber')}\ndefault_md=sha256\ndefault_crl_days=2\n`,
  );
  const ca = ['-config', p('crl.cnf'), '-cert', certs.caCert, '-keyfile', p('test-ca.key')];
  return {
    ...certs,
    client(cn) {
      const name = `client-${cn}`;
      writeFileSync(p(`${name}.ext`), 'extendedKeyUsage=clientAuth\n');
      ssl('req', '-newkey', 'rsa:2048', '-nodes', '-subj', `/CN=${cn}`, '-keyout', p(`${name}.key`), '-out', p(`${name}.csr`));
      ssl('x509', '-req', '-in', p(`${name}.csr`), '-CA', certs.caCert, '-CAkey', p('test-ca.key'), '-CAcreateserial', '-days', '2', '-extfile', p(`${name}.ext`), '-out', p(`${name}.crt`));
      return { cert: p(`${name}.crt`), key: p(`${name}.key`) };
    },
    revoke(cert) {
      ssl('ca', ...ca, '-revoke', cert);
    },
    crl(file) {
      ssl('ca', ...ca, '-gencrl', '-out', file);
      return file;
    },
    shareWithOtherUsers() {
      chmodSync(certs.dir, 0o755);
      for (const f of readdirSync(certs.dir)) chmodSync(p(f), statSync(p(f)).isDirectory() ? 0o755 : 0o644);
    },
    capath() {
      const dir = p('capath');
      mkdirSync(dir, { recursive: true });
      const hash = ssl('x509', '-noout', '-subject_hash', '-in', certs.caCert).toString().trim();
      copyFileSync(certs.caCert, path.join(dir, `${hash}.0`));
      return dir;
    },
  };
}

/** A TLS connection that sent an MQTT 3.1.1 CONNECT and got its CONNACK (or did not). */
export interface MqttTlsClient {
  socket: tls.TLSSocket;
  /** the CONNACK return code */
  connack: number;
  protocol: string | null;
  cipher: string;
  /** resolves when the server closes the connection */
  closed: Promise<void>;
  /** PINGREQ, resolving on PINGRESP */
  ping(): Promise<void>;
}

/** CONNECT, MQTT 3.1.1, clean session, keepalive 60, this client id and optional username. */
function connectPacket(clientId: string, username?: string): Buffer {
  const str = (s: string) => {
    const b = Buffer.from(s, 'utf8');
    return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
  };
  const flags = 0x02 | (username !== undefined ? 0x80 : 0);
  const body = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 60]), str(clientId), ...(username !== undefined ? [str(username)] : [])]);
  return Buffer.concat([Buffer.from([0x10, body.length]), body]);
}

/**
 * Connects with Node's TLS client and sends CONNECT; rejects with the TLS error or when the
 * server closes before CONNACK. Every wait has a deadline.
 */
export function mqttTlsConnect(port: number, options: tls.ConnectionOptions & { keylog?: string }, clientId = 'tls-test', timeoutMs = 10_000): Promise<MqttTlsClient> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host: '127.0.0.1', port, servername: 'localhost', ...options });
    if (options.keylog) socket.on('keylog', (line) => appendFileSync(options.keylog!, line));
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no CONNACK within ${timeoutMs} ms`));
    }, timeoutMs);
    const closed = new Promise<void>((r) => socket.once('close', () => r()));
    let buffered = Buffer.alloc(0);
    const pings: Array<() => void> = [];
    socket.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    socket.once('secureConnect', () => socket.write(connectPacket(clientId)));
    void closed.then(() => {
      clearTimeout(timer);
      reject(new Error('closed before CONNACK'));
    });
    socket.on('data', (d: Buffer) => {
      buffered = Buffer.concat([buffered, d]);
      while (buffered.length >= 2) {
        const type = buffered[0]! >> 4;
        const len = buffered[1]!;
        if (buffered.length < 2 + len) break;
        const packet = buffered.subarray(0, 2 + len);
        buffered = buffered.subarray(2 + len);
        if (type === 2) {
          clearTimeout(timer);
          resolve({
            socket,
            connack: packet[3]!,
            protocol: socket.getProtocol(),
            cipher: socket.getCipher().name,
            closed,
            ping: () =>
              new Promise<void>((res, rej) => {
                const t = setTimeout(() => rej(new Error('no PINGRESP within 5 s')), 5000);
                pings.push(() => {
                  clearTimeout(t);
                  res();
                });
                socket.write(Buffer.from([0xc0, 0]));
              }),
          });
        } else if (type === 13) pings.shift()?.();
      }
    });
  });
}
