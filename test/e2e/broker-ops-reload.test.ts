import { chmodSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Packet } from 'mqtt-packet';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RawClient, closedOrAlive } from '../helpers/broker.js';
import { startBrokerProcess, type BrokerProcess } from '../helpers/broker-process.js';
import { runMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';

let scratch: string;
beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'mqtt-ops-reload-'));
  // Mosquitto reads the files after dropping root to its own user
  chmodSync(scratch, 0o755);
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function passwd(...args: string[]): Promise<void> {
  const r = await runMqtt(['passwd', ...args]);
  expect(r.code, r.stderr).toBe(0);
}

async function passwordFile(name: string, users: Record<string, string>): Promise<string> {
  const file = path.join(scratch, name);
  writeFileSync(file, '');
  chmodSync(file, 0o644);
  for (const [user, pw] of Object.entries(users)) await passwd('-b', file, user, pw);
  return file;
}

async function connect(port: number, version: 4 | 5, username: string, password: string, extra: Partial<Extract<Packet, { cmd: 'connect' }>> = {}) {
  const c = await RawClient.connect(port, version);
  const ack = await c.handshake({ clientId: username, username, password: Buffer.from(password), ...extra });
  return { c, code: version === 5 ? ack.reasonCode : ack.returnCode };
}

interface Peer {
  port: number;
  hup(): void;
  /** resolves once the broker has logged its reload */
  reloaded(nth: number): Promise<unknown>;
}

function ours(b: BrokerProcess): Peer {
  return {
    port: b.port,
    hup: () => b.proc.proc.kill('SIGHUP'),
    reloaded: (nth) => b.proc.waitForStderr((s) => s.split('Reloaded password and ACL files.').length > nth),
  };
}

function theirs(m: Mosquitto): Peer {
  return {
    port: m.port,
    hup: () => m.proc.kill('SIGHUP'),
    reloaded: (nth) => m.waitForLog({ test: (s: string) => s.split('Reloading config.').length > nth } as unknown as RegExp),
  };
}

/**
 * alice (v5), bob (v5, with a will), carol (3.1.1) and dave (3.1.1) connect; then bob leaves the
 * password file, carol's password changes and dave's is hashed again unchanged; SIGHUP. Returns
 * who was disconnected, and the wills alice (subscribed to wills/#) received: none, since a client
 * no longer authorised may not publish, its will included (Mosquitto's reload does the same).
 */
async function removedAndChanged(peer: Peer, pwfile: string) {
  const alice = await connect(peer.port, 5, 'alice', 'apw');
  const bob = await connect(peer.port, 5, 'bob', 'bpw', { will: { topic: 'wills/bob', payload: Buffer.from('bob gone'), qos: 0, retain: false } });
  const carol = await connect(peer.port, 4, 'carol', 'cpw');
  const dave = await connect(peer.port, 4, 'dave', 'dpw');
  expect([alice.code, bob.code, carol.code, dave.code]).toEqual([0, 0, 0, 0]);
  alice.c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'wills/#', qos: 0 }], properties: {} } as Packet);
  await alice.c.next('suback');
  await passwd('-D', pwfile, 'bob');
  await passwd('-b', pwfile, 'carol', 'changed');
  await passwd('-b', pwfile, 'dave', 'dpw');
  peer.hup();
  await peer.reloaded(1);
  await Promise.all([bob.c.waitClosed(), carol.c.waitClosed()]);
  const stillConnected = { alice: !(await closedOrAlive(alice.c)), dave: !(await closedOrAlive(dave.c)) };
  // a will would have reached alice before her PINGRESP
  const wills = alice.c.packets.filter((p) => p.cmd === 'publish').map((p) => (p as { topic: string }).topic);
  const bobDisconnect = bob.c.packets.find((p) => p.cmd === 'disconnect') as { reasonCode?: number } | undefined;
  const bobAgain = await connect(peer.port, 4, 'bob', 'bpw');
  const carolOld = await connect(peer.port, 4, 'carol', 'cpw');
  const carolNew = await connect(peer.port, 4, 'carol', 'changed');
  for (const c of [alice, bob, carol, dave, bobAgain, carolOld, carolNew]) c.c.end();
  return {
    stillConnected,
    wills,
    bobDisconnect: bobDisconnect?.reasonCode,
    reconnect: { bob: bobAgain.code, carolOld: carolOld.code, carolNew: carolNew.code },
  };
}

const USERS = { alice: 'apw', bob: 'bpw', carol: 'cpw', dave: 'dpw' };

describe('SIGHUP re-checks connected clients against the password file', () => {
  it('a removed user and a changed password are disconnected (v5: DISCONNECT 0x87, no will, as Mosquitto); an unchanged one stays', async () => {
    const pwfile = await passwordFile('ours.pw', USERS);
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pwfile}`]);
    try {
      const r = await removedAndChanged(ours(b), pwfile);
      expect(r).toEqual({
        stillConnected: { alice: true, dave: true },
        wills: [],
        bobDisconnect: 0x87,
        reconnect: { bob: 5, carolOld: 5, carolNew: 0 },
      });
    } finally {
      await b.stop();
    }
  });

  it('a password file deleted before SIGHUP refuses everyone, connected or not (fail closed); put back, it lets them in again', async () => {
    const pwfile = await passwordFile('gone.pw', { alice: 'apw' });
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous true', `password_file ${pwfile}`]);
    try {
      const peer = ours(b);
      const alice = await connect(b.port, 5, 'alice', 'apw');
      const anon = await RawClient.connect(b.port, 4);
      expect((await anon.handshake()).returnCode).toBe(0);
      renameSync(pwfile, `${pwfile}.away`);
      peer.hup();
      await peer.reloaded(1);
      await Promise.all([alice.c.waitClosed(), anon.waitClosed()]);
      expect(b.proc.stderr).toContain(`Error: Unable to open pwfile "${pwfile}".`);
      expect((await connect(b.port, 4, 'alice', 'apw')).code).toBe(5);
      const anonAgain = await RawClient.connect(b.port, 4);
      expect((await anonAgain.handshake()).returnCode).toBe(5);
      renameSync(`${pwfile}.away`, pwfile);
      peer.hup();
      await peer.reloaded(2);
      const back = await connect(b.port, 4, 'alice', 'apw');
      expect(back.code).toBe(0);
      back.c.end();
    } finally {
      await b.stop();
    }
  });

  it('ACL changes apply to connected clients at once', async () => {
    const pwfile = await passwordFile('acl.pw', { alice: 'apw', dave: 'dpw' });
    const acl = path.join(scratch, 'acl');
    writeFileSync(acl, 'user alice\ntopic read a/#\ntopic read m/#\nuser dave\ntopic write #\n');
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, `password_file ${pwfile}`, `acl_file ${acl}`]);
    try {
      const peer = ours(b);
      const alice = await connect(b.port, 4, 'alice', 'apw');
      const dave = await connect(b.port, 4, 'dave', 'dpw');
      alice.c.send({ cmd: 'subscribe', messageId: 1, subscriptions: [{ topic: 'a/#', qos: 0 }, { topic: 'm/#', qos: 0 }] } as Packet);
      await alice.c.next('suback');
      dave.c.send({ cmd: 'publish', topic: 'a/1', payload: Buffer.from('before'), qos: 0, retain: false, dup: false } as Packet);
      expect((await alice.c.next('publish')).topic).toBe('a/1');
      writeFileSync(acl, 'user alice\ntopic read m/#\nuser dave\ntopic write #\n');
      peer.hup();
      await peer.reloaded(1);
      dave.c.send({ cmd: 'publish', topic: 'a/2', payload: Buffer.from('denied now'), qos: 0, retain: false, dup: false } as Packet);
      dave.c.send({ cmd: 'publish', topic: 'm/1', payload: Buffer.from('marker'), qos: 0, retain: false, dup: false } as Packet);
      // in order from one publisher: the marker comes, a/2 never did
      expect((await alice.c.next('publish')).topic).toBe('m/1');
      expect(alice.c.packets.filter((p) => p.cmd === 'publish')).toEqual([]);
      alice.c.end();
      dave.c.end();
    } finally {
      await b.stop();
    }
  });
});

describeIfTool(['mosquitto'], 'SIGHUP re-check: the same clients disconnected as Mosquitto', () => {
  it('removed user and changed password go without their wills, unchanged ones stay', async () => {
    const pwfile = await passwordFile('mosq.pw', USERS);
    const mosq = await startMosquitto({ listenerConfig: (port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pwfile}`] });
    const pwOurs = await passwordFile('ours2.pw', USERS);
    const b = await startBrokerProcess((_d, port) => [`listener ${port} 127.0.0.1`, 'allow_anonymous false', `password_file ${pwOurs}`]);
    try {
      const their = await removedAndChanged(theirs(mosq), pwfile);
      const mine = await removedAndChanged(ours(b), pwOurs);
      // Mosquitto 2.0 closes without telling a v5 client why; ours sends DISCONNECT 0x87
      expect({ ...mine, bobDisconnect: undefined }).toEqual({ ...their, bobDisconnect: undefined });
    } finally {
      await mosq.stop();
      await b.stop();
    }
  });
});
