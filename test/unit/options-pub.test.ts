import { mkdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { resolvePubArgs } from '../../src/commands/pub.js';
import { errorText, scratchDir, testContext, writeFile } from './options-fixtures.js';

const ctx = testContext();
const pub = (...argv: string[]) => resolvePubArgs(argv, ctx);
const pubError = (...argv: string[]) => errorText(() => pub(...argv), 'pub');
const hint = "\nUse 'mqtt pub --help' to see usage.";

const file = scratchDir();
const PAYLOAD = writeFile(file('payload.bin'), Buffer.from([0, 1, 2, 255]));
const DIR = file('a-directory');
mkdirSync(DIR);

describe('publish defaults', () => {
  it('QoS 0, not retained, one message, no delay, mosquitto-compatible exit status', async () => {
    const { client: _client, ...rest } = await pub('-t', 'a', '-m', 'x');
    expect(rest).toEqual({
      topic: 'a',
      source: { kind: 'message', payload: Buffer.from('x') },
      qos: 0,
      retain: false,
      repeat: 1,
      repeatDelay: 0,
      failOnReason: false,
    });
  });
});

describe('each publish option', () => {
  const cases: Array<[string, string[], object]> = [
    ['-t', ['-t', 'a/b', '-n'], { topic: 'a/b' }],
    ['--topic', ['--topic', 'x', '-n'], { topic: 'x' }],
    ['the last -t wins', ['-t', 'a', '-t', 'b', '-n'], { topic: 'b' }],
    ['-m', ['-t', 't', '-m', 'héllo'], { source: { kind: 'message', payload: Buffer.from('héllo') } }],
    ['--message ""', ['-t', 't', '--message', ''], { source: { kind: 'message', payload: Buffer.alloc(0) } }],
    ['-m takes a value that looks like an option', ['-t', 't', '-m', '-D'], { source: { kind: 'message', payload: Buffer.from('-D') } }],
    ['-f', ['-t', 't', '-f', PAYLOAD], { source: { kind: 'file', path: PAYLOAD } }],
    ['--file', ['-t', 't', '--file', PAYLOAD], { source: { kind: 'file', path: PAYLOAD } }],
    ['-s', ['-t', 't', '-s'], { source: { kind: 'stdin-file' } }],
    ['--stdin-file', ['-t', 't', '--stdin-file'], { source: { kind: 'stdin-file' } }],
    ['-l', ['-t', 't', '-l'], { source: { kind: 'stdin-line' } }],
    ['--stdin-line', ['-t', 't', '--stdin-line'], { source: { kind: 'stdin-line' } }],
    ['-n', ['-t', 't', '-n'], { source: { kind: 'null' } }],
    ['--null-message', ['-t', 't', '--null-message'], { source: { kind: 'null' } }],
    ['-r', ['-t', 't', '-n', '-r'], { retain: true }],
    ['--retain', ['-t', 't', '-n', '--retain'], { retain: true }],
    ['-q 1', ['-t', 't', '-n', '-q', '1'], { qos: 1 }],
    ['--qos 2', ['-t', 't', '-n', '--qos', '2'], { qos: 2 }],
    ['-q is atoi: "abc" is 0', ['-t', 't', '-n', '-q', 'abc'], { qos: 0 }],
    ['-q is atoi: "1x" is 1', ['-t', 't', '-n', '-q', '1x'], { qos: 1 }],
    ['--repeat', ['-t', 't', '-n', '--repeat', '3'], { repeat: 3 }],
    ['--repeat-delay', ['-t', 't', '-n', '--repeat-delay', '0.25'], { repeatDelay: 0.25 }],
    ['--repeat-delay is atof', ['-t', 't', '-n', '--repeat-delay', '2s'], { repeatDelay: 2 }],
    ['--fail-on-reason', ['-t', 't', '-n', '--fail-on-reason'], { failOnReason: true }],
  ];
  it.each(cases)('%s', async (_name, argv, expected) => {
    expect(await pub(...argv)).toMatchObject(expected);
  });
});

describe('publish errors, with mosquitto_pub 2.0.11’s words', () => {
  const usage: Array<[string[], string]> = [
    [[], 'Both topic and message must be supplied.'],
    [['-t', 'a'], 'Both topic and message must be supplied.'],
    [['-m', 'x'], 'Both topic and message must be supplied.'],
    [['-t', 'a/#', '-m', 'x'], "Invalid publish topic 'a/#', does it contain '+' or '#'?"],
    [['-t', 'a/+/b', '-m', 'x'], "Invalid publish topic 'a/+/b', does it contain '+' or '#'?"],
    [['-t', '', '-m', 'x'], "Invalid publish topic '', a topic must not be empty."],
    [['-t', 'a\u0001', '-m', 'x'], 'Malformed UTF-8 in -t argument.'],
    [['-t', 'a\u0085', '-m', 'x'], 'Malformed UTF-8 in -t argument.'],
    [['-t', 'a', '-m', 'x', '-m', 'y'], 'Only one type of message can be sent at once.'],
    [['-t', 'a', '-m', 'x', '-n'], 'Only one type of message can be sent at once.'],
    [['-t', 'a', '-s', '-l'], 'Only one type of message can be sent at once.'],
    [['-t', 'a', '-f', PAYLOAD, '-s'], 'Only one type of message can be sent at once.'],
    [['-t', 'a', '-l', '-f', PAYLOAD], 'Only one type of message can be sent at once.'],
    [['-t', 'a', '-m', 'x', '-q', '3'], 'Invalid QoS given: 3'],
    [['-t', 'a', '-m', 'x', '-q', '-1'], 'Invalid QoS given: -1'],
    [['-t', 'a', '-m', 'x', '--repeat', '0'], '--repeat argument must be >0.'],
    [['-t', 'a', '-m', 'x', '--repeat', 'x'], '--repeat argument must be >0.'],
    [['-t', 'a', '-m', 'x', '--repeat-delay', '-1'], '--repeat-delay argument must be >=0.0.'],
    [['-t', 'a', '-m', 'x', '--repeat-delay', 'nan'], '--repeat-delay argument must be >=0.0.'],
    [['-t', 'a', '-m', 'x', '-W', '1'], "Unknown option '-W'."],
    [['-t', 'a', '-m', 'x', '--retain-as-published'], "Unknown option '--retain-as-published'."],
    [['-t', 'a', '-m', 'x', '--json'], "Unknown option '--json'."],
  ];
  it.each(usage)('%j', async (argv, message) => {
    expect(await pubError(...argv)).toBe(`Error: ${message}${hint}`);
  });

  const files: Array<[string, string[], string]> = [
    ['a missing -f file', ['-t', 'a', '-f', '/nonexistent'], 'Error: Unable to open file "/nonexistent".\nError loading input file "/nonexistent".'],
    ['a directory', ['-t', 'a', '-f', DIR], `Error: Unable to open file "${DIR}".\nError loading input file "${DIR}".`],
    ['before the missing topic, as mosquitto loads the file first', ['-f', '/nonexistent'], 'Error: Unable to open file "/nonexistent".\nError loading input file "/nonexistent".'],
  ];
  it.each(files)('%s', async (_name, argv, text) => {
    expect(await pubError(...argv)).toBe(text);
    expect(await pubError(...argv, '--quiet')).toBe('');
  });
});
