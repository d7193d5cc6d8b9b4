import { execFileSync } from 'node:child_process';
import { chmodSync, lstatSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync, type Stats } from 'node:fs';
import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { runCmd, runMqtt } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';
import { H6, useScratch, verifiesWith } from '../helpers/passwd-files.js';

// `mqtt passwd -b dn u p` on a device node (mode 0666) used to rename a regular file over it,
// keeping the device's mode: a world-writable password file. Only regular files are edited now;
// a symlink's target is what gets edited, and no edit widens a mode. Every node here is made in
// the test's own scratch directory (a device only as root, with mknod, 1:3 like /dev/null).

const scratch = useScratch();
const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});

const isRoot = process.getuid?.() === 0;
if (!isRoot) process.stderr.write('\n*** SKIPPING the device-node cases of passwd-special-files: mknod needs root ***\n\n');

type Kind = 'character device' | 'FIFO' | 'socket';

/** Makes a node of that kind in the scratch directory. */
async function makeNode(kind: Kind, name = 'node'): Promise<string> {
  const file = scratch.file(name);
  if (kind === 'character device') execFileSync('mknod', ['-m', '666', file, 'c', '1', '3']);
  else if (kind === 'FIFO') execFileSync('mkfifo', ['-m', '644', file]);
  else {
    const server = net.createServer();
    servers.push(server);
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(file, resolve));
  }
  return file;
}

/** Type, mode and device numbers of a node, and the names in its directory: all must stay. */
function shape(file: string) {
  const st: Stats = lstatSync(file);
  return { type: st.mode & 0o170000, mode: st.mode & 0o7777, rdev: st.rdev, ino: st.ino, siblings: readdirSync(scratch.dir).sort() };
}

const kinds: Kind[] = isRoot ? ['character device', 'FIFO', 'socket'] : ['FIFO', 'socket'];
const modes: Array<[string, (f: string) => string[], 'open' | 'write']> = [
  ['update (-b)', (f) => ['-b', f, 'alice', 'pw'], 'open'],
  ['create (-c -b)', (f) => ['-c', '-b', f, 'alice', 'pw'], 'write'],
  ['delete (-D)', (f) => ['-D', f, 'alice'], 'open'],
  ['hash plain passwords (-U)', (f) => ['-U', f], 'open'],
  ['--check', (f) => ['--check', '-b', f, 'alice', 'pw'], 'open'],
];

describe('mqtt passwd refuses a path that is not a regular file, and leaves it as it is', () => {
  for (const kind of kinds) {
    it.each(modes)(`a ${kind}: %s`, async (_, args, verb) => {
      const node = await makeNode(kind);
      const before = shape(node);
      const r = await runMqtt(['passwd', ...args(node)], { timeoutMs: 10_000 });
      expect(r.stderr).toBe(`Error: Unable to ${verb} password file ${node}. Not a regular file (a ${kind}).\n`);
      expect(r.code).toBe(1);
      expect(r.stdout.length).toBe(0);
      expect(shape(node)).toEqual(before);
    });
  }

  it('a symlink to a FIFO: the link and the FIFO both stay', async () => {
    const fifo = await makeNode('FIFO', 'fifo');
    const link = scratch.file('link');
    symlinkSync('fifo', link);
    const before = { fifo: shape(fifo), link: shape(link) };
    for (const args of [['-b', link, 'alice', 'pw'], ['-c', '-b', link, 'alice', 'pw']]) {
      const r = await runMqtt(['passwd', ...args], { timeoutMs: 10_000 });
      expect(r.stderr).toMatch(/^Error: Unable to (open|write) password file .*link\. Not a regular file \(a FIFO\)\.\n$/);
      expect(r.code).toBe(1);
    }
    expect({ fifo: shape(fifo), link: shape(link) }).toEqual(before);
  });

  it('a directory', async () => {
    const r = await runMqtt(['passwd', '-c', '-b', scratch.dir, 'alice', 'pw']);
    expect(r.stderr).toBe(`Error: Unable to write password file ${scratch.dir}. Not a regular file (a directory).\n`);
    expect(r.code).toBe(1);
  });
});

describe('mqtt passwd edits the target of a symlink and never widens a mode', () => {
  it('updates through a symlink: the target is replaced, the link stays, the mode and other lines are kept', async () => {
    writeFileSync(scratch.pwfile, `bob:${H6}\n`);
    chmodSync(scratch.pwfile, 0o640);
    const link = scratch.file('link');
    symlinkSync('passwd', link);
    const r = await runMqtt(['passwd', '-b', link, 'alice', 'pw']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readlinkSync(link)).toBe('passwd');
    expect(statSync(scratch.pwfile).mode & 0o7777).toBe(0o640);
    expect(readFileSync(scratch.pwfile, 'utf8').startsWith(`bob:${H6}\nalice:$7$`)).toBe(true);
    expect(await verifiesWith(scratch.pwfile, 'alice', 'pw')).toBe(true);
  });

  it('-c through a dangling symlink creates its target with mode 0600, the link stays', async () => {
    const link = scratch.file('link');
    symlinkSync('passwd', link);
    const r = await runMqtt(['passwd', '-c', '-b', link, 'alice', 'pw']);
    expect(r.code).toBe(0);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(statSync(scratch.pwfile).mode & 0o7777).toBe(0o600);
    expect(await verifiesWith(scratch.pwfile, 'alice', 'pw')).toBe(true);
  });

  it('-c over an existing regular file keeps its (narrower) mode', async () => {
    writeFileSync(scratch.pwfile, `bob:${H6}\n`);
    chmodSync(scratch.pwfile, 0o400);
    const r = await runMqtt(['passwd', '-c', '-b', scratch.pwfile, 'alice', 'pw']);
    expect(r.code).toBe(0);
    expect(statSync(scratch.pwfile).mode & 0o7777).toBe(0o400);
    expect(readFileSync(scratch.pwfile, 'utf8')).toMatch(/^alice:\$7\$/);
  });
});

// For comparison: mosquitto_passwd writes into a device it is given with -c (it opens the path with
// fopen), and fails on an update; it never turns the node into a regular file either.
describeIfTool(['mosquitto_passwd'], 'mosquitto_passwd on a device node, for comparison', () => {
  it.runIf(isRoot)('leaves the device a device, as we do (we also exit 1 where it writes into it)', async () => {
    const node = await makeNode('character device');
    const before = shape(node);
    const theirs = await runCmd('mosquitto_passwd', ['-c', '-b', node, 'alice', 'pw']);
    expect(theirs.code).toBe(0);
    const ours = await runMqtt(['passwd', '-c', '-b', node, 'alice', 'pw']);
    expect(ours.code).toBe(1);
    expect(shape(node)).toEqual(before);
  });
});
