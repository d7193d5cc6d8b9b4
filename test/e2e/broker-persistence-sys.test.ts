// $SYS/broker/messages/stored counts the messages a restored session still has only in the store
// (issue 12): a restart no longer reads them, and the count used to leave them out.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { MqttClient } from '../../src/client/mqtt-client.js';
import { testClientConfig } from '../helpers/client-config.js';
import { Inbox } from '../helpers/inbox.js';
import { endedAfterEach, startPersistBroker, stopPersistBroker } from '../helpers/persist-broker.js';

const made = endedAfterEach();
const clients: MqttClient[] = [];
afterEach(() => {
  for (const c of clients.splice(0)) c.destroy();
});

function client(port: number, clientId: string, clean: boolean): MqttClient {
  const c = new MqttClient(testClientConfig(port, 4, { clientId, cleanSession: clean }));
  clients.push(c);
  return c;
}

it('messages/stored counts a restored backlog left in the store, and drops by it once delivered', async () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'mqtt-persist-sys-'));
  made.dirs.push(dir);
  const conf = path.join(dir, 'extra.conf');
  writeFileSync(conf, 'sys_interval 1\n');
  let b = await startPersistBroker(dir, { single: true, args: ['-c', conf] });
  made.procs.push(b.proc);
  const sub = client(b.port, 'backlog', false);
  await sub.connect();
  await sub.subscribe([{ topic: 'q/#', qos: 1 }]);
  await sub.disconnect();
  const pub = client(b.port, 'pub', true);
  await pub.connect();
  for (let i = 0; i < 5; i++) await pub.publish('q/x', Buffer.from(String(i)), { qos: 1, retain: false });
  await pub.disconnect();
  await stopPersistBroker(b.proc, 'SIGTERM');
  made.procs.splice(made.procs.indexOf(b.proc), 1);

  b = await startPersistBroker(dir, { single: true, args: ['-c', conf] });
  made.procs.push(b.proc);
  const watcher = client(b.port, 'sys-watcher', true);
  const sys = new Inbox(watcher);
  await watcher.connect();
  await watcher.subscribe([{ topic: '$SYS/broker/messages/stored', qos: 0 }]);
  const values = () => sys.got.map((p) => Number(p.payload.toString()));
  // the second update: the first comes before the broker's own retained $SYS messages exist
  await sys.until('two stored counts while the backlog is in the store', () => values().length >= 2);
  const before = values().at(-1)!;

  const back = client(b.port, 'backlog', false);
  const inbox = new Inbox(back);
  await back.connect();
  await inbox.until('the five queued messages', () => inbox.got.length >= 5);
  // PUBACKs are in once a round trip after them has come back
  await back.subscribe([{ topic: 'fence/none', qos: 0 }]);
  const seen = values().length;
  await sys.until('a stored count after the backlog was delivered', () => values().slice(seen).some((v) => v !== before), 15_000);
  expect(before - values().at(-1)!).toBe(5);
}, 60_000);
