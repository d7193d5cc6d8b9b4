/**
 * `-o FILE` (Mosquitto 2.1's options file) and `--profile NAME` [extra]: the defaults file's syntax,
 * applied where the option stands; a profile holding a password must be mode 0600.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { runMqtt } from '../helpers/cli.js';
import { startMosquitto, type Mosquitto } from '../helpers/mosquitto.js';
import { describeIfTool } from '../helpers/peers.js';
import { CLEAN_ENV, MOSQUITTO_PEERS, startSub, uniqueId } from '../helpers/pubsub.js';

describeIfTool(MOSQUITTO_PEERS, 'options files and profiles', () => {
  let broker: Mosquitto;
  let home: string;
  let env: Record<string, string | undefined>;
  beforeAll(async () => {
    broker = await startMosquitto();
    home = mkdtempSync(path.join(tmpdir(), 'mqtt-optfiles-'));
    mkdirSync(path.join(home, 'mqtt', 'profiles'), { recursive: true });
    env = { ...CLEAN_ENV, XDG_CONFIG_HOME: home };
  });
  afterAll(async () => {
    rmSync(home, { recursive: true, force: true });
    await broker?.stop();
  });

  const file = (name: string, lines: string[], mode = 0o600) => {
    const p = path.join(home, name);
    writeFileSync(p, lines.join('\n') + '\n');
    chmodSync(p, mode);
    return p;
  };
  /** the broker allows anonymous clients: the credentials only have to reach it */
  const login = () => ['-h 127.0.0.1', `-p ${broker.port}`, '-u bob', '-P password'];

  /** A mosquitto_sub (logged in) waiting for one message on `topic`; resolves to what it printed. */
  async function expectOne(topic: string) {
    const sub = await startSub(broker, 'mosquitto', ['-h', '127.0.0.1', '-p', String(broker.port), '-t', topic, '-C', '1', '-v']);
    return async () => (await sub.done).stdout.toString();
  }

  it('-o FILE: its options apply where -o stands; later ones override', async () => {
    const topic = `of/${uniqueId('o')}`;
    const opts = file('opts', [...login(), `-t ${topic}`, '-m from the file', '-q 1']);
    const printed = await expectOne(topic);
    const r = await runMqtt(['pub', '-o', opts, '-q', '0'], { env });
    expect(r.code, r.stderr).toBe(0);
    expect(await printed()).toBe(`${topic} from the file\n`);
  });

  it('--profile NAME, before the command or among its options; a private profile may hold the password', async () => {
    file('mqtt/profiles/lab', login(), 0o600);
    for (const args of [['--profile', 'lab', 'pub'], ['pub', '--profile', 'lab']]) {
      const topic = `of/${uniqueId('p')}`;
      const printed = await expectOne(topic);
      const r = await runMqtt([...args, '-t', topic, '-m', 'via profile'], { env });
      expect(r.code, r.stderr).toBe(0);
      expect(await printed()).toBe(`${topic} via profile\n`);
    }
  });

  it('a profile with a password that others may read is refused before connecting', async () => {
    const p = file('mqtt/profiles/open', login(), 0o644);
    const r = await runMqtt(['--profile', 'open', 'pub', '-t', 'of/x', '-m', 'x'], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(`Error: The profile "${p}" holds a password but others may read it (mode 0644); run: chmod 600 '${p}'\n`);
    // without a password, any mode will do
    file('mqtt/profiles/nopw', ['-h 127.0.0.1', `-p ${broker.port}`, '-u bob'], 0o644);
    const n = await runMqtt(['--profile', 'nopw', 'pub', '-t', 'of/x', '-m', 'x'], { env });
    expect(n.code, n.stderr).toBe(0);
  });

  it('errors: a missing profile, a bad name, an options file that includes itself, --profile on another command', async () => {
    const loop = file('loop', ['-o ' + path.join(home, 'loop')]);
    for (const [args, stderr] of [
      [['--profile', 'absent', 'sub', '-t', 'a'], `Error: Unable to open profile "${path.join(home, 'mqtt/profiles/absent')}": no such file.\n`],
      [['pub', '--profile', '../x', '-t', 'a', '-m', 'x'], "Error: Invalid profile name '../x'.\nUse 'mqtt pub --help' to see usage.\n"],
      [['pub', '-o', loop], `Error: Options files nested more than 8 deep (does "${loop}" include itself?).\nUse 'mqtt pub --help' to see usage.\n`],
      [['--profile', 'lab', 'passwd', '-b', 'x', 'u', 'p'], 'Error: --profile is for pub, sub, rr, ctrl, not passwd.\n'],
    ] as const) {
      const r = await runMqtt([...args], { env });
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr, args.join(' ')).toBe(stderr);
    }
  });
});
