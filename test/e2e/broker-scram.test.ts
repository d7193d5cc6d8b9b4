import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../src/auth/hash.js';
import { formatHash } from '../../src/auth/hash-format.js';
import {
  clientFinalMessage,
  clientFirstMessage,
  encodeClientFirst,
  parseServerFirst,
  scramCredentials,
  serverFirstMessage,
  verifyClientFinal,
  verifyServerFinal,
  type ClientFirst,
  type ScramMethod,
} from '../../src/core/auth/scram.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { RawClient } from '../helpers/broker.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

type Auth = Extract<Packet, { cmd: 'auth' }>;

describe('SCRAM maths (RFC 7677 section 3 test vector)', () => {
  it('derives the client proof and the server signature of the RFC', async () => {
    const first: ClientFirst = clientFirstMessage('user', 'rOprNGfwEbeRWgbNEkqO');
    expect(encodeClientFirst(first).toString()).toBe('n,,n=user,r=rOprNGfwEbeRWgbNEkqO');
    const server = parseServerFirst(
      Buffer.from('r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096'),
      first.nonce,
    );
    const { message, serverSignature } = await clientFinalMessage('sha256', 'pencil', first, server);
    expect(message.toString()).toBe(
      'c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=',
    );
    const creds = await scramCredentials('sha256', 'pencil', server.salt, 4096);
    const serverFinal = verifyClientFinal('sha256', creds, first, server, message);
    expect(serverFinal.toString()).toBe('v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=');
    expect(() => verifyServerFinal(serverFinal, serverSignature)).not.toThrow();
    expect(() => verifyServerFinal(Buffer.from('v=AAAA'), serverSignature)).toThrow(/wrong server signature/);
  });

  it('a server-first-message that does not extend our nonce, or asks for absurd work, is refused', () => {
    const bad = (text: string) => () => parseServerFirst(Buffer.from(text), 'abc');
    expect(bad('r=xyz123,s=AAAA,i=4096')).toThrow(/nonce/);
    expect(bad('r=abc,s=AAAA,i=4096')).toThrow(/nonce/);
    expect(bad('r=abcdef,s=A*AA,i=4096')).toThrow(/base64/);
    expect(bad('r=abcdef,s=AAAA,i=0')).toThrow(/iteration/);
    expect(bad('r=abcdef,s=AAAA,i=2147483647')).toThrow(/more than 10000000/);
    expect(bad('s=AAAA,r=abcdef,i=4096')).toThrow(/malformed/);
    expect(parseServerFirst(Buffer.from('r=abcdef,s=AAAA,i=4096'), 'abc').iterations).toBe(4096);
  });

  it('password-file SCRAM lines: decoded, and damaged ones named', async () => {
    const { decodeHashField } = await import('../../src/auth/hash-format.js');
    const line = formatHash(await hashPassword('pw', { type: 'scram-sha-512', salt: Buffer.alloc(16, 1) }));
    const d = decodeHashField(line);
    expect(d.kind).toBe('hashed');
    expect(formatHash((d as { hash: Parameters<typeof formatHash>[0] }).hash)).toBe(line);
    expect(decodeHashField(line.replace('$scram-sha-512$', '$scram-sha-256$'))).toEqual({ kind: 'invalid', reason: 'StoredKey and ServerKey must be base64 of 32 bytes' });
    expect(decodeHashField(line.replace('$4096$', '$0$'))).toEqual({ kind: 'invalid', reason: "bad iteration count '0'" });
    expect(decodeHashField(line.split('$').slice(0, 5).join('$')).kind).toBe('invalid');
  });

  it('SHA-512 round trip; a wrong password or another exchange\'s nonce fails', async () => {
    const creds = await scramCredentials('sha512', 'secret', Buffer.alloc(16, 7), 4096);
    const first = clientFirstMessage('a,b=c', 'clientnonce');
    const server = serverFirstMessage(first.nonce, creds.salt, creds.iterations);
    const ok = await clientFinalMessage('sha512', 'secret', first, server);
    expect(verifyClientFinal('sha512', creds, first, server, ok.message).toString()).toMatch(/^v=/);
    const wrong = await clientFinalMessage('sha512', 'Secret', first, server);
    expect(() => verifyClientFinal('sha512', creds, first, server, wrong.message)).toThrow(/wrong proof/);
    const other = serverFirstMessage(first.nonce, creds.salt, creds.iterations);
    expect(() => verifyClientFinal('sha512', creds, first, other, ok.message)).toThrow(/nonce/);
  });
});

/** A v5 CONNECT with enhanced authentication, by hand. */
function connectWith(c: RawClient, method: string, data?: Buffer, extra: Record<string, unknown> = {}): void {
  c.send({
    cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: `scram-${Math.random().toString(36).slice(2, 8)}`, clean: true, keepalive: 60,
    properties: { authenticationMethod: method, ...(data ? { authenticationData: data } : {}) }, ...extra,
  } as Packet);
}

/** client-first in CONNECT, the broker's AUTH 0x18, client-final in AUTH 0x18; returns what we expect to be told back. */
async function exchange(c: RawClient, method: ScramMethod, user: string, password: string, reauth = false) {
  const d = method === 'SCRAM-SHA-256' ? 'sha256' : 'sha512';
  const first = clientFirstMessage(user, `n${Math.random().toString(36).slice(2)}`);
  if (reauth) c.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: method, authenticationData: encodeClientFirst(first) } } as Packet);
  else connectWith(c, method, encodeClientFirst(first));
  const challenge = (await c.next('auth')) as Auth;
  // every AUTH carries the method of CONNECT [MQTT-4.12.0-5]; Continue is 0x18 [MQTT-4.12.0-2]
  expect(challenge.reasonCode).toBe(0x18);
  expect(challenge.properties?.authenticationMethod).toBe(method);
  const server = parseServerFirst(challenge.properties?.authenticationData, first.nonce);
  const final = await clientFinalMessage(d, password, first, server);
  c.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: method, authenticationData: final.message } } as Packet);
  return { final, serverSignature: final.serverSignature };
}

describe('mqtt broker: SCRAM-SHA-256/512 enhanced authentication (MQTT 5)', () => {
  let broker: BrokerProcess;
  const clients: RawClient[] = [];
  const raw = async (version: 4 | 5 = 5) => {
    const c = await RawClient.connect(broker.port, version);
    clients.push(c);
    return c;
  };

  beforeAll(async () => {
    const lines = [
      `sam:${formatHash(await hashPassword('sam-pw', { type: 'scram-sha-256' }))}`,
      `sue:${formatHash(await hashPassword('sue-pw', { type: 'scram-sha-512', iterations: 5000 }))}`,
      `pat:${formatHash(await hashPassword('pat-pw'))}`,
    ];
    broker = await startBrokerProcess((dir, port) => {
      const pwfile = path.join(dir, 'passwd');
      writeFileSync(pwfile, lines.join('\n') + '\n', { mode: 0o600 });
      return [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pwfile}`];
    });
  });
  afterAll(async () => {
    for (const c of clients) c.end();
    await broker?.stop();
  });

  it.each([
    ['SCRAM-SHA-256', 'sam', 'sam-pw'],
    ['SCRAM-SHA-512', 'sue', 'sue-pw'],
  ] as const)('%s: CONNACK 0x00 with the method and a server signature the client verifies', async (method, user, password) => {
    const c = await raw();
    const { serverSignature } = await exchange(c, method, user, password);
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0);
    expect(connack.properties?.authenticationMethod).toBe(method);
    expect(() => verifyServerFinal(connack.properties?.authenticationData, serverSignature)).not.toThrow();
    // the SCRAM user is the client's user: a publish goes through and a ping is answered
    c.send({ cmd: 'pingreq' });
    await c.next('pingresp');
  });

  it('a plain CONNECT password is checked against a SCRAM line too', async () => {
    const c = await raw();
    expect((await c.handshake({ username: 'sam', password: Buffer.from('sam-pw') })).reasonCode).toBe(0);
    const d = await raw();
    expect((await d.handshake({ username: 'sam', password: Buffer.from('nope') })).reasonCode).toBe(0x87);
  });

  it.each([
    ['a wrong password', 'SCRAM-SHA-256', 'sam', 'wrong'],
    ['an unknown user', 'SCRAM-SHA-256', 'nobody', 'x'],
    ['a user whose line is of the other digest', 'SCRAM-SHA-512', 'sam', 'sam-pw'],
    ['a user with a $7$ line only', 'SCRAM-SHA-256', 'pat', 'pat-pw'],
  ] as const)('%s: CONNACK 0x87 Not authorized, and the connection closes', async (_, method, user, password) => {
    const c = await raw();
    await exchange(c, method, user, password);
    const connack = await c.next('connack');
    expect(connack.reasonCode).toBe(0x87);
    expect(connack.properties?.authenticationData).toBeUndefined();
    await c.waitClosed();
  });

  it('a replayed client-final-message (another exchange\'s nonce) is refused with 0x87', async () => {
    const a = await raw();
    const { final } = await exchange(a, 'SCRAM-SHA-256', 'sam', 'sam-pw');
    expect((await a.next('connack')).reasonCode).toBe(0);
    // a second connection replays the recorded proof after its own CONNECT
    const b = await raw();
    connectWith(b, 'SCRAM-SHA-256', encodeClientFirst(clientFirstMessage('sam', 'fresh')));
    await b.next('auth');
    b.send({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: final.message } } as Packet);
    expect((await b.next('connack')).reasonCode).toBe(0x87);
    await b.waitClosed();
  });

  it('a malformed client-first-message gets CONNACK 0x87', async () => {
    const c = await raw();
    connectWith(c, 'SCRAM-SHA-256', Buffer.from('p=tls-unique,,n=sam,r=abc'));
    expect((await c.next('connack')).reasonCode).toBe(0x87);
    await c.waitClosed();
  });

  it.each([
    ['an AUTH with another method [MQTT-4.12.0-5]', { cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-512', authenticationData: Buffer.from('c=biws') } }],
    ['an AUTH 0x19 instead of 0x18 [MQTT-4.12.0-3]', { cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'SCRAM-SHA-256' } }],
    ['a second CONNECT [MQTT-3.1.0-2]', { cmd: 'connect', protocolId: 'MQTT', protocolVersion: 5, clientId: 'again', clean: true, keepalive: 60 }],
    ['a PINGREQ', { cmd: 'pingreq' }],
  ])('%s during the exchange: CONNACK 0x82 Protocol Error, closed', async (_, packet) => {
    const c = await raw();
    connectWith(c, 'SCRAM-SHA-256', encodeClientFirst(clientFirstMessage('sam', 'abc')));
    await c.next('auth');
    c.send(packet as Packet);
    expect((await c.next('connack')).reasonCode).toBe(0x82);
    await c.waitClosed();
  });

  it('an unknown method still gets 0x8C Bad authentication method [MQTT-4.12.0-1]', async () => {
    const c = await raw();
    connectWith(c, 'KERBEROS', Buffer.from('x'));
    expect((await c.next('connack')).reasonCode).toBe(0x8c);
    await c.waitClosed();
  });

  it('a 3.1.1 client with a password is unaffected', async () => {
    const c = await raw(4);
    expect((await c.handshake({ username: 'pat', password: Buffer.from('pat-pw') })).returnCode).toBe(0);
  });

  it('re-authentication: AUTH 0x19 runs the exchange again and ends with AUTH 0x00 and the server signature', async () => {
    const c = await raw();
    await exchange(c, 'SCRAM-SHA-512', 'sue', 'sue-pw');
    expect((await c.next('connack')).reasonCode).toBe(0);
    const { serverSignature } = await exchange(c, 'SCRAM-SHA-512', 'sue', 'sue-pw', true);
    const success = (await c.next('auth')) as Auth;
    expect(success.reasonCode).toBe(0);
    expect(success.properties?.authenticationMethod).toBe('SCRAM-SHA-512');
    expect(() => verifyServerFinal(success.properties?.authenticationData, serverSignature)).not.toThrow();
    c.send({ cmd: 'pingreq' });
    await c.next('pingresp');
  });

  it('re-authentication with a wrong password: DISCONNECT 0x87 [MQTT-4.12.1-2]', async () => {
    const c = await raw();
    await exchange(c, 'SCRAM-SHA-256', 'sam', 'sam-pw');
    expect((await c.next('connack')).reasonCode).toBe(0);
    await exchange(c, 'SCRAM-SHA-256', 'sam', 'bad', true);
    expect((await c.next('disconnect')).reasonCode).toBe(0x87);
    await c.waitClosed();
  });

  it('re-authentication with another method than at CONNECT: DISCONNECT 0x82 [MQTT-4.12.1-1]', async () => {
    const c = await raw();
    await exchange(c, 'SCRAM-SHA-256', 'sam', 'sam-pw');
    expect((await c.next('connack')).reasonCode).toBe(0);
    c.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'SCRAM-SHA-512', authenticationData: encodeClientFirst(clientFirstMessage('sam', 'x')) } } as Packet);
    expect((await c.next('disconnect')).reasonCode).toBe(0x82);
    await c.waitClosed();
  });

  it('AUTH from a client that connected without a method: DISCONNECT 0x82 [MQTT-4.12.0-7]', async () => {
    const c = await raw();
    expect((await c.handshake({ username: 'pat', password: Buffer.from('pat-pw') })).reasonCode).toBe(0);
    c.send({ cmd: 'auth', reasonCode: 0x19, properties: { authenticationMethod: 'SCRAM-SHA-256' } } as Packet);
    expect((await c.next('disconnect')).reasonCode).toBe(0x82);
    await c.waitClosed();
  });

  // last: it changes sam's password
  it('SIGHUP keeps a SCRAM client whose line is unchanged, and drops one whose line changed (DISCONNECT 0x87)', async () => {
    const { readFileSync } = await import('node:fs');
    const kept = await raw();
    await exchange(kept, 'SCRAM-SHA-512', 'sue', 'sue-pw');
    expect((await kept.next('connack')).reasonCode).toBe(0);
    const dropped = await raw();
    await exchange(dropped, 'SCRAM-SHA-256', 'sam', 'sam-pw');
    expect((await dropped.next('connack')).reasonCode).toBe(0);
    const pwfile = path.join(broker.dir, 'passwd');
    const before = readFileSync(pwfile, 'utf8');
    const samLine = `sam:${formatHash(await hashPassword('new-pw', { type: 'scram-sha-256' }))}`;
    writeFileSync(pwfile, before.replace(/^sam:.*$/m, samLine), { mode: 0o600 });
    const seen = broker.proc.stderr.length;
    broker.proc.kill('SIGHUP');
    await broker.proc.waitForStderr((s) => s.slice(seen).includes('Reloaded password and ACL files'));
    expect((await dropped.next('disconnect')).reasonCode).toBe(0x87);
    kept.send({ cmd: 'pingreq' });
    await kept.next('pingresp');
    const again = await raw();
    await exchange(again, 'SCRAM-SHA-256', 'sam', 'new-pw');
    expect((await again.next('connack')).reasonCode).toBe(0);
  });
});

describe('mqtt passwd -H scram-sha-256|scram-sha-512', () => {
  it('writes a SCRAM line that --check accepts, and refuses the wrong password', async () => {
    const { runMqtt } = await import('../helpers/cli.js');
    const { mkdtempSync, readFileSync, rmSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-scram-'));
    try {
      const file = path.join(dir, 'passwd');
      expect((await runMqtt(['passwd', '-H', 'scram-sha-256', '-c', '-b', file, 'dave', 's3cret'])).code).toBe(0);
      expect((await runMqtt(['passwd', '-H', 'scram-sha-512', '-I', '5000', '-b', file, 'erin', 'pw'])).code).toBe(0);
      const text = readFileSync(file, 'utf8');
      expect(text).toMatch(/^dave:\$scram-sha-256\$4096\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=\$[A-Za-z0-9+/]{43}=$/m);
      expect(text).toMatch(/^erin:\$scram-sha-512\$5000\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{86}==\$[A-Za-z0-9+/]{86}==$/m);
      expect((await runMqtt(['passwd', '--check', '-b', file, 'dave', 's3cret'])).code).toBe(0);
      expect((await runMqtt(['passwd', '--check', '-b', file, 'erin', 'pw'])).code).toBe(0);
      expect((await runMqtt(['passwd', '--check', '-b', file, 'dave', 'S3cret'])).code).toBe(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('mqtt pub/sub/rr --auth-method SCRAM-SHA-256|SCRAM-SHA-512', () => {
  let broker: BrokerProcess;
  const run = async (args: string[]) => (await import('../helpers/cli.js')).runMqtt(args);

  beforeAll(async () => {
    const lines = [
      `sam:${formatHash(await hashPassword('sam-pw', { type: 'scram-sha-256' }))}`,
      `sue:${formatHash(await hashPassword('sue-pw', { type: 'scram-sha-512' }))}`,
    ];
    broker = await startBrokerProcess((dir, port) => {
      const pwfile = path.join(dir, 'passwd');
      writeFileSync(pwfile, lines.join('\n') + '\n', { mode: 0o600 });
      return [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pwfile}`];
    }, ['-v']);
  });
  afterAll(async () => {
    await broker?.stop();
  });

  it.each([
    ['SCRAM-SHA-256', 'sam', 'sam-pw'],
    ['SCRAM-SHA-512', 'sue', 'sue-pw'],
  ])('pub %s as %s: the broker logs the SCRAM user, exit 0', async (method, user, password) => {
    const r = await run(['pub', '-p', String(broker.port), '-V', '5', '--auth-method', method, '-u', user, '-P', password, '-t', 'scram/t', '-m', 'x', '-d']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.toString()).toMatch(/received AUTH\n.*sending AUTH\n.*received CONNACK \(0\)/);
    await broker.proc.waitForStderr(new RegExp(`u'${user}'\\)\\.`));
  });

  it('a wrong password: CONNACK 0x87, exit 135 like any v5 refusal', async () => {
    const r = await run(['pub', '-p', String(broker.port), '-V', '5', '--auth-method', 'SCRAM-SHA-256', '-u', 'sam', '-P', 'nope', '-t', 't', '-m', 'x']);
    expect([r.code, r.stderr.split('\n')[0]]).toEqual([135, 'Connection error: Not authorized']);
  });

  it('sub and rr (v5 by default) log in too: -W runs out (27), no refusal', async () => {
    const sub = await run(['sub', '-p', String(broker.port), '-V', '5', '--auth-method', 'SCRAM-SHA-256', '-u', 'sam', '-P', 'sam-pw', '-t', 'scram/none', '-W', '1']);
    expect(sub.code).toBe(27);
    const rr = await run(['rr', '-p', String(broker.port), '--auth-method', 'SCRAM-SHA-512', '-u', 'sue', '-P', 'sue-pw', '-t', 'q', '-e', 'scram/none', '-m', 'x', '-W', '1']);
    expect(rr.code).toBe(27);
  });

  it.each([
    [['-V', '311', '-u', 'a', '-P', 'b'], 'Error: --auth-method needs MQTT v5 (-V 5).'],
    [['-V', '5', '-u', 'a'], 'Error: --auth-method needs -u and -P.'],
    [['-V', '5', '-P', 'b'], 'Error: --auth-method needs -u and -P.'],
  ])('usage errors: %j', async (args, message) => {
    const r = await run(['pub', '-p', String(broker.port), '--auth-method', 'SCRAM-SHA-256', ...args, '-t', 't', '-m', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe(message);
  });

  it('an unknown method is a usage error', async () => {
    const r = await run(['pub', '--auth-method', 'PLAIN', '-V', '5', '-u', 'a', '-P', 'b', '-t', 't', '-m', 'x']);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n')[0]).toBe("Error: Unknown --auth-method 'PLAIN' (SCRAM-SHA-256 or SCRAM-SHA-512).");
  });

  it('a server whose signature is wrong (it does not know the password) is a connection error', async () => {
    const net = await import('node:net');
    const { encodePacket, PacketDecoder } = await import('../../src/core/protocol/codec.js');
    let connackSent = false;
    // a fake broker: answers the exchange but signs with the wrong key
    const server = net.createServer((socket) => {
      let first: ClientFirst | undefined;
      let serverText: ReturnType<typeof serverFirstMessage> | undefined;
      const decoder = new PacketDecoder({
        protocolVersion: 5,
        onPacket: (p) => {
          if (p.cmd === 'connect') {
            const text = p.properties!.authenticationData!.toString().slice(3);
            first = { username: 'sam', nonce: /r=([^,]+)/.exec(text)![1]!, bare: text };
            serverText = serverFirstMessage(first.nonce, Buffer.alloc(16, 1), 4096);
            socket.write(encodePacket({ cmd: 'auth', reasonCode: 0x18, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from(serverText.text) } }, 5));
          } else if (p.cmd === 'auth') {
            connackSent = true;
            socket.write(encodePacket({ cmd: 'connack', sessionPresent: false, reasonCode: 0, properties: { authenticationMethod: 'SCRAM-SHA-256', authenticationData: Buffer.from(`v=${Buffer.alloc(32, 9).toString('base64')}`) } }, 5));
          }
        },
        onError: () => socket.destroy(),
      });
      socket.on('data', (d) => decoder.push(d));
      socket.on('error', () => {});
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as import('node:net').AddressInfo).port;
      const r = await run(['pub', '-p', String(port), '-V', '5', '--auth-method', 'SCRAM-SHA-256', '-u', 'sam', '-P', 'sam-pw', '-t', 't', '-m', 'x', '-d']);
      expect(connackSent).toBe(true);
      expect(r.code).toBe(1);
      expect(r.stdout.toString()).toContain('received CONNACK');
    expect(r.stdout.toString()).not.toContain('sending PUBLISH');
    } finally {
      server.close();
    }
  });
});

describeIfTool(['mosquitto', 'mosquitto_pub', 'mosquitto_passwd'], 'Mosquitto and a password file with SCRAM lines', () => {
  let mosq: Mosquitto;
  let dir: string;
  beforeAll(async () => {
    const { mkdtempSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    dir = mkdtempSync(path.join(tmpdir(), 'mqtt-scram-mosq-'));
    const pwfile = path.join(dir, 'passwd');
    const lines = [`sam:${formatHash(await hashPassword('sam-pw', { type: 'scram-sha-256' }))}`, `pat:${formatHash(await hashPassword('pat-pw'))}`];
    writeFileSync(pwfile, lines.join('\n') + '\n', { mode: 0o600 });
    mosq = await startMosquitto({ listenerConfig: (port) => ['user root', `listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pwfile}`] });
  });
  afterAll(async () => {
    await mosq?.stop();
    const { rmSync } = await import('node:fs');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('ignores the SCRAM line with its "Invalid password hash type" warning; the other users still log in', async () => {
    await mosq.waitForLog('Invalid password hash type for user sam, removing entry.');
    const { runCmd } = await import('../helpers/cli.js');
    const ok = await runCmd('mosquitto_pub', ['-p', String(mosq.port), '-u', 'pat', '-P', 'pat-pw', '-t', 't', '-m', 'x']);
    expect([ok.code, ok.stderr]).toEqual([0, '']);
    const refused = await runCmd('mosquitto_pub', ['-p', String(mosq.port), '-u', 'sam', '-P', 'sam-pw', '-t', 't', '-m', 'x']);
    expect(refused.code).toBe(5);
  });

  it('mosquitto_passwd keeps a SCRAM line byte for byte when it updates the file', async () => {
    const { readFileSync } = await import('node:fs');
    const { runCmd } = await import('../helpers/cli.js');
    const pwfile = path.join(dir, 'passwd');
    const sam = readFileSync(pwfile, 'utf8').split('\n')[0];
    const r = await runCmd('mosquitto_passwd', ['-b', pwfile, 'zed', 'zed-pw']);
    expect(r.code).toBe(0);
    expect(readFileSync(pwfile, 'utf8').split('\n')[0]).toBe(sam);
  });
});
