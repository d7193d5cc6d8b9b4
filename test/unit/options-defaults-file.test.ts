import { describe, expect, it } from 'vitest';
import { defaultsFileCandidates, parseDefaultsText } from '../../src/cli/options/defaults-file.js';
import { resolvePubArgs } from '../../src/commands/pub.js';
import { resolveSubArgs } from '../../src/commands/sub.js';
import { errorText, scratchDir, testContext, writeFile } from './options-fixtures.js';

const file = scratchDir();
let n = 0;
/** A fresh XDG_CONFIG_HOME holding the given files (paths relative to it). */
function xdg(files: Record<string, string>): Record<string, string> {
  const home = file(`xdg-${n++}`);
  for (const [name, text] of Object.entries(files)) writeFile(`${home}/${name}`, text);
  return { XDG_CONFIG_HOME: home };
}

describe('where the defaults file is', () => {
  const cases: Array<[Record<string, string>, 'pub' | 'sub', string[]]> = [
    [{ XDG_CONFIG_HOME: '/x' }, 'pub', ['/x/mqtt/pub', '/x/mosquitto_pub']],
    [{ XDG_CONFIG_HOME: '/x', HOME: '/h' }, 'sub', ['/x/mqtt/sub', '/x/mosquitto_sub']],
    [{ HOME: '/h' }, 'pub', ['/h/.config/mqtt/pub', '/h/.config/mosquitto_pub']],
    [{ XDG_CONFIG_HOME: '', HOME: '/h' }, 'pub', ['/h/.config/mqtt/pub', '/h/.config/mosquitto_pub']],
    [{}, 'pub', []],
  ];
  it.each(cases)('%j %s', (env, kind, expected) => {
    expect(defaultsFileCandidates(kind, env)).toEqual(expected);
  });
});

describe('how lines are split (client_config_load)', () => {
  const cases: Array<[string, string[][]]> = [
    ['-q 1\n', [['-q', '1']]],
    ['-m hello world\n', [['-m', 'hello world']]],
    ['-m  two spaces\n', [['-m', ' two spaces']]],
    ['   -r\n', [['-r']]],
    ['-r \n', [['-r']]],
    ['# comment\n-q 1\n', [['-q', '1']]],
    [' # not a comment: only column 0 is\n', [['#', 'not a comment: only column 0 is']]],
    ['\n\n   \n', []],
    ['-h host\r\n-p 1884', [['-h', 'host'], ['-p', '1884']]],
    ['-m\ttab\n', [['-m\ttab']]],
  ];
  it.each(cases)('%j', (text, expected) => {
    expect(parseDefaultsText(text)).toEqual(expected);
  });
});

describe('the pipeline: defaults, file, environment, command line', () => {
  it('file values apply, the command line overrides them', async () => {
    const env = xdg({ 'mqtt/pub': '# my broker\n-h filehost\n-q 1\n-u fileuser\n' });
    const cfg = await resolvePubArgs(['-t', 'a', '-m', 'x', '-q', '2'], testContext({ env }));
    expect(cfg.client.endpoint.host).toBe('filehost');
    expect(cfg.client.username).toBe('fileuser');
    expect(cfg.qos).toBe(2);
  });
  it('values may contain spaces', async () => {
    const env = xdg({ 'mqtt/pub': '-m hello world\n-t a\n' });
    const cfg = await resolvePubArgs([], testContext({ env }));
    expect(cfg.source).toEqual({ kind: 'message', payload: Buffer.from('hello world') });
  });
  it('a message mode in the file and another on the command line conflict, as in mosquitto', async () => {
    const env = xdg({ 'mqtt/pub': '-m fromfile\n' });
    expect(await errorText(() => resolvePubArgs(['-t', 'a', '-n'], testContext({ env })), 'pub')).toBe(
      "Error: Only one type of message can be sent at once.\nUse 'mqtt pub --help' to see usage.",
    );
  });
  it('sub topics from the file add up with the command line', async () => {
    const env = xdg({ 'mqtt/sub': '-t fromfile/#\n-v\n' });
    const cfg = await resolveSubArgs(['-t', 'a'], testContext({ env }));
    expect(cfg.topics).toEqual(['fromfile/#', 'a']);
    expect(cfg.verbose).toBe(true);
  });
  it('-D works in the file, the last word taking the rest of the line', async () => {
    const env = xdg({ 'mqtt/pub': '-D publish user-property k a b\n--property connect receive-maximum 5\n' });
    const cfg = await resolvePubArgs(['-t', 'a', '-n'], testContext({ env }));
    expect(cfg.client.properties).toEqual({ publish: { userProperties: { k: 'a b' } }, connect: { receiveMaximum: 5 } });
  });
  it("mosquitto's own file is read when ours is absent", async () => {
    const env = xdg({ mosquitto_pub: '-h mosqhost\n' });
    expect((await resolvePubArgs(['-t', 'a', '-n'], testContext({ env }))).client.endpoint.host).toBe('mosqhost');
  });
  it("ours wins over mosquitto's, which is then ignored", async () => {
    const env = xdg({ 'mqtt/pub': '-h ours\n', mosquitto_pub: '-h theirs\n-q 2\n' });
    const cfg = await resolvePubArgs(['-t', 'a', '-n'], testContext({ env }));
    expect(cfg.client.endpoint.host).toBe('ours');
    expect(cfg.qos).toBe(0);
  });
  it('without XDG_CONFIG_HOME, ~/.config is used', async () => {
    const home = file('home');
    writeFile(`${home}/.config/mqtt/sub`, '-C 3\n');
    expect((await resolveSubArgs(['-t', 'a'], testContext({ env: { HOME: home } }))).count).toBe(3);
  });
  it('pub and sub read their own files', async () => {
    const env = xdg({ 'mqtt/pub': '-r\n', 'mqtt/sub': '-v\n' });
    expect((await resolveSubArgs(['-t', 'a'], testContext({ env }))).verbose).toBe(true);
    expect((await resolvePubArgs(['-t', 'a', '-n'], testContext({ env }))).retain).toBe(true);
  });
  it('errors in the file read like command-line errors', async () => {
    const env = xdg({ 'mqtt/pub': '-q 1\n--bogus\n' });
    expect(await errorText(() => resolvePubArgs(['-t', 'a', '-n'], testContext({ env })), 'pub')).toBe(
      "Error: Unknown option '--bogus'.\nUse 'mqtt pub --help' to see usage.",
    );
    const env2 = xdg({ 'mqtt/pub': '-q\n' });
    expect(await errorText(() => resolvePubArgs(['-t', 'a', '-n'], testContext({ env: env2 })), 'pub')).toBe(
      "Error: -q argument given but no QoS specified.\nUse 'mqtt pub --help' to see usage.",
    );
  });
  it('MQTT_PASSWORD beats a -P in the file, a -P on the command line beats both', async () => {
    const env = { ...xdg({ 'mqtt/pub': '-u me\n-P filepw\n' }), MQTT_PASSWORD: 'envpw' };
    expect((await resolvePubArgs(['-t', 'a', '-n'], testContext({ env }))).client.password).toEqual(Buffer.from('envpw'));
    expect((await resolvePubArgs(['-t', 'a', '-n', '-P', 'argv'], testContext({ env }))).client.password).toEqual(Buffer.from('argv'));
    const { MQTT_PASSWORD: _unused, ...fileOnly } = env;
    expect((await resolvePubArgs(['-t', 'a', '-n'], testContext({ env: fileOnly }))).client.password).toEqual(Buffer.from('filepw'));
  });
  it('a bare -P in the file asks for the password', async () => {
    const env = xdg({ 'mqtt/pub': '-u me\n-P\n' });
    const cfg = await resolvePubArgs(['-t', 'a', '-n'], testContext({ env, promptPassword: async () => 'typed' }));
    expect(cfg.client.password).toEqual(Buffer.from('typed'));
  });
});
