import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildProgram } from '../../src/cli/program.js';
import { runCmd, runMqtt } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';
import { freePort } from '../helpers/ports.js';

// the root program, looked at once (building it is asynchronous)
const rootIsPositional = ((await buildProgram()) as unknown as { _enablePositionalOptions?: boolean })._enablePositionalOptions === true;

// No defaults file may leak in from the machine running the tests.
const xdg = mkdtempSync(path.join(tmpdir(), 'mqtt-args-'));
const env = { XDG_CONFIG_HOME: xdg, HOME: xdg, MQTT_PASSWORD: undefined };
afterAll(() => rmSync(xdg, { recursive: true, force: true }));

let closedPort = 0;
beforeAll(async () => {
  closedPort = await freePort();
});

type Kind = 'pub' | 'sub';
interface Case {
  name: string;
  kind: Kind;
  args: () => string[];
  /** our stderr, exactly */
  stderr: string;
  code?: number;
  /** how much of mosquitto's stderr (blank lines dropped, program name replaced) must equal ours */
  mosquitto: 'all' | 'first-line' | 'no';
}

const hint = (kind: Kind) => `Use 'mqtt ${kind} --help' to see usage.`;
const usage = (kind: Kind, message: string) => `Error: ${message}\n${hint(kind)}\n`;

const cases: Case[] = [
  { name: 'unknown option', kind: 'pub', args: () => ['--bogus'], stderr: usage('pub', "Unknown option '--bogus'."), mosquitto: 'all' },
  { name: 'unknown option (sub)', kind: 'sub', args: () => ['-t', 'a', '-m', 'x'], stderr: usage('sub', "Unknown option '-m'."), mosquitto: 'all' },
  // mosquitto_pub prints its whole usage text on stdout after this line
  { name: 'missing topic', kind: 'pub', args: () => ['-m', 'x'], stderr: usage('pub', 'Both topic and message must be supplied.'), mosquitto: 'first-line' },
  { name: 'missing topic (sub)', kind: 'sub', args: () => ['-v'], stderr: usage('sub', 'You must specify a topic to subscribe to.'), mosquitto: 'all' },
  {
    name: 'wildcard in a publish topic',
    kind: 'pub',
    args: () => ['-t', 'a/#', '-m', 'x'],
    stderr: usage('pub', "Invalid publish topic 'a/#', does it contain '+' or '#'?"),
    mosquitto: 'all',
  },
  {
    name: 'bad subscription filter',
    kind: 'sub',
    args: () => ['-t', 'a/#/b'],
    stderr: usage('sub', "Invalid subscription topic 'a/#/b', are all '+' and '#' wildcards correct?"),
    mosquitto: 'all',
  },
  { name: 'QoS 3', kind: 'pub', args: () => ['-t', 'a', '-m', 'x', '-q', '3'], stderr: usage('pub', 'Invalid QoS given: 3'), mosquitto: 'all' },
  { name: 'QoS 3 (sub)', kind: 'sub', args: () => ['-t', 'a', '-q', '3'], stderr: usage('sub', 'Invalid QoS given: 3'), mosquitto: 'all' },
  { name: 'port 70000', kind: 'pub', args: () => ['-t', 'a', '-m', 'x', '-p', '70000'], stderr: usage('pub', 'Invalid port given: 70000'), mosquitto: 'all' },
  {
    name: '-k 2',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-k', '2'],
    stderr: usage('pub', 'Invalid keepalive given, it must be between 5 and 65535 inclusive.'),
    mosquitto: 'all',
  },
  {
    name: 'two message modes',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-n'],
    stderr: usage('pub', 'Only one type of message can be sent at once.'),
    mosquitto: 'all',
  },
  {
    name: 'a value missing',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-q'],
    stderr: usage('pub', '-q argument given but no QoS specified.'),
    mosquitto: 'all',
  },
  {
    name: 'unreadable -f file',
    kind: 'pub',
    args: () => ['-t', 'a', '-f', '/nonexistent/payload'],
    stderr: 'Error: Unable to open file "/nonexistent/payload".\nError loading input file "/nonexistent/payload".\n',
    mosquitto: 'all',
  },
  { name: 'invalid -F specifier', kind: 'sub', args: () => ['-t', 'a', '-F', '%e'], stderr: usage('sub', "Invalid format specifier 'e'."), mosquitto: 'all' },
  { name: 'incomplete -F', kind: 'sub', args: () => ['-t', 'a', '-F', 'x %'], stderr: usage('sub', 'Incomplete format specifier.'), mosquitto: 'all' },
  {
    name: '-c without -i',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-c'],
    stderr: usage('pub', 'You must provide a client id if you are using the -c option.'),
    mosquitto: 'all',
  },
  {
    name: '-c without -i under MQTT v5',
    kind: 'sub',
    args: () => ['-t', 'a', '-c', '-V', '5'],
    stderr: usage('sub', 'You must provide a client id if you are using an infinite session expiry interval.'),
    mosquitto: 'all',
  },
  {
    name: '-x without MQTT v5 is ignored: the connection is attempted',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-x', '10', '-p', String(closedPort)],
    stderr: 'Error: Connection refused\n',
    mosquitto: 'all',
  },
  {
    name: '-D property not allowed for the command',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-D', 'subscribe', 'content-type', 'x'],
    stderr: usage('pub', 'content-type property not allowed for subscribe in --property argument.'),
    mosquitto: 'all',
  },
  {
    name: '-D unknown property (mosquitto 2.0.11 does not name it)',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-D', 'connect', 'foo', '1'],
    stderr: usage('pub', 'Invalid property name foo given in --property argument.'),
    mosquitto: 'no',
  },
  {
    name: '-D with too few words',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-D', 'publish', 'user-property', 'k'],
    stderr: usage('pub', '--property argument given but not enough arguments specified.'),
    mosquitto: 'all',
  },
  {
    name: '-D value out of range for the packet',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-D', 'connect', 'receive-maximum', '0'],
    stderr: `Error in CONNECT properties: A network protocol error occurred when communicating with the broker.\n${hint('pub')}\n`,
    mosquitto: 'all',
  },
  {
    name: '-L missing topic',
    kind: 'pub',
    args: () => ['-L', 'mqtt://localhost', '-m', 'x'],
    stderr: usage('pub', 'Invalid URL for -L argument specified - topic missing.'),
    mosquitto: 'all',
  },
  { name: '-L bad scheme', kind: 'pub', args: () => ['-L', 'http://localhost/t', '-m', 'x'], stderr: usage('pub', 'unsupported URL scheme.'), mosquitto: 'all' },
  {
    name: '-R with --retained-only',
    kind: 'sub',
    args: () => ['-t', 'a', '-R', '--retained-only'],
    stderr: "Error: Combining '-R' and '--retained-only' makes no sense.\n",
    mosquitto: 'all',
  },
  { name: '-i with -I', kind: 'sub', args: () => ['-t', 'a', '-i', 'a', '-I', 'b'], stderr: usage('sub', '-i and -I argument cannot be used together.'), mosquitto: 'all' },
  {
    name: 'a will payload without a will topic',
    kind: 'sub',
    args: () => ['-t', 'a', '--will-payload', 'bye'],
    stderr: usage('sub', 'Will payload given, but no will topic given.'),
    mosquitto: 'all',
  },
  {
    name: 'a bare -P without a terminal to ask on',
    kind: 'pub',
    args: () => ['-t', 'a', '-m', 'x', '-u', 'me', '-P'],
    stderr: usage('pub', '-P argument given but no password specified.'),
    mosquitto: 'all',
  },
];

/** mosquitto's stderr in our shape: no blank lines, our program name. */
function likeOurs(stderr: string, kind: Kind): string {
  return stderr
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => line.replace(`mosquitto_${kind}`, `mqtt ${kind}`))
    .join('\n')
    .concat('\n');
}

describe('mqtt pub/sub refuse bad input: one clear message, mosquitto’s exit code, nothing on stdout', () => {
  it.each(cases)('$kind: $name', async ({ kind, args, stderr, code }) => {
    const r = await runMqtt([kind, ...args()], { env });
    expect(r.stderr).toBe(stderr);
    expect(r.code).toBe(code ?? 1);
    expect(r.stdout.length).toBe(0);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });
});

describeIfTool(['mosquitto_pub', 'mosquitto_sub'], 'the same bad input given to mosquitto_pub/mosquitto_sub 2.0', () => {
  it.each(cases.filter((c) => c.mosquitto !== 'no'))('$kind: $name', async ({ kind, args, mosquitto, code }) => {
    const theirs = await runCmd(`mosquitto_${kind}`, args(), { env });
    const ours = await runMqtt([kind, ...args()], { env });
    expect(theirs.code).toBe(code ?? 1);
    if (mosquitto === 'all') expect(ours.stderr).toBe(likeOurs(theirs.stderr, kind));
    else expect(ours.stderr.split('\n')[0]).toBe(theirs.stderr.split('\n')[0]);
  });

  it.each(['pub', 'sub'] as const)('mqtt %s --help documents every option mosquitto documents', async (kind) => {
    const theirs = await runCmd(`mosquitto_${kind}`, ['--help'], { env });
    const documented = [...theirs.stdout.toString().matchAll(/^ (-{1,2}[\w-]+) :/gm)].map((m) => m[1]);
    expect(documented.length).toBeGreaterThan(30);
    const ours = await runMqtt([kind, '--help'], { env });
    expect(ours.code).toBe(0);
    const help = ours.stdout.toString();
    for (const option of documented) expect(help).toMatch(new RegExp(`(^|[ ,])${option}[ ,\\n]`, 'm'));
  });
});

describe('--help and --version', () => {
  it.each(['pub', 'sub'] as const)('mqtt %s --help marks the extras and explains the defaults file', async (kind) => {
    const r = await runMqtt([kind, '--help'], { env });
    const help = r.stdout.toString();
    expect(r.code).toBe(0);
    expect(help).toContain('[extra]');
    expect(help).toContain(`~/.config/mqtt/${kind}`);
    expect(help).toContain(`mosquitto_${kind}`);
    expect(help).toContain('MQTT_PASSWORD');
  });

  // `mqtt pub --version` reaches pub only when the root program stops at the subcommand
  // (commander's enablePositionalOptions); until then the root prints its own version.
  const positional = rootIsPositional;
  if (!positional) process.stderr.write('\n*** SKIPPING "mqtt pub --version": the root program lacks enablePositionalOptions() ***\n\n');
  it.skipIf(!positional).each(['pub', 'sub'] as const)('mqtt %s --version names the command, exit 0', async (kind) => {
    const r = await runMqtt([kind, '--version'], { env });
    expect(r.stdout.toString()).toMatch(new RegExp(`^mqtt ${kind} version \\d+\\.\\d+\\.\\d+`));
    expect(r.code).toBe(0);
  });
});
