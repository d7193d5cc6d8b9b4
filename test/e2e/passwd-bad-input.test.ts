import { describe, expect, it } from 'vitest';
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { runMqtt, runCmd, type RunResult } from '../helpers/cli.js';
import { describeIfTool } from '../helpers/peers.js';
import { useScratch, H6, snapshot, expectUnchanged, runMqttUnprivileged, withoutPrompts } from '../helpers/passwd-files.js';

const GOOD = `# users\nalice:${H6}\nbob:${H6}\n`;
const LONG = 'x'.repeat(65536);

const scratch = useScratch();

/** The error is one line, the exit code non-zero, stdout empty, and the file (and its directory) untouched. */
async function expectRefused(run: () => Promise<RunResult>, message: string | RegExp, code = 1): Promise<void> {
  const before = snapshot(scratch.pwfile);
  const r = await run();
  const err = withoutPrompts(r.stderr);
  expect(err.split('\n')).toHaveLength(2);
  if (typeof message === 'string') expect(err).toBe(`${message}\n`);
  else expect(err).toMatch(message);
  expect(r.code).toBe(code);
  expect(r.stdout.length).toBe(0);
  expectUnchanged(scratch.pwfile, before);
}

describe('mqtt passwd refuses bad input with one line, a non-zero exit and the file untouched', () => {
  const cases: Array<[string, string[], string | RegExp, { seed?: string; input?: string; code?: number }?]> = [
    ["':' in the username", ['-b', 'F', 'a:b', 'pw'], "Error: Username must not contain the ':' character."],
    ['a tab in the username', ['-b', 'F', 'a\tb', 'pw'], 'Error: Username must not contain control characters.'],
    ['DEL in the username', ['-b', 'F', 'a\x7fb', 'pw'], 'Error: Username must not contain control characters.'],
    ['a username with surrounding blanks', ['-b', 'F', ' alice', 'pw'], 'Error: Username must not begin or end with whitespace.'],
    ['an empty -b password', ['-b', 'F', 'alice', ''], 'Error: Empty password.'],
    ['an empty typed password', ['F', 'alice'], 'Error: Empty password.', { input: '\n\n' }],
    ['end of input instead of a password', ['F', 'alice'], 'Error: Empty password.', { input: '' }],
    ['passwords that do not match', ['F', 'alice'], 'Error: Passwords do not match.', { input: 'one\ntwo\n', code: 2 }],
    ['a -b password over 65535 bytes', ['-b', 'F', 'alice', LONG], 'Error: Password must be less than 65536 characters long.'],
    ['a typed password over 65535 bytes', ['F', 'alice'], 'Error: Password must be less than 65536 characters long.', { input: `${LONG}\n${LONG}\n` }],
    ['a missing file without -c', ['-b', 'F', 'alice', 'pw'], /^Error: Unable to open password file .*passwd\. No such file or directory\.\n$/, { seed: '' }],
    ['a corrupt file (no colon)', ['-b', 'F', 'carol', 'pw'], "Error: Corrupt password file at line 4: no ':' between username and password.", { seed: `${GOOD.slice(0, -1)}\ngarbage\n` }],
    ['a corrupt hash', ['-b', 'F', 'carol', 'pw'], /^Error: Corrupt password file at line 2: salt is not base64/, { seed: `# x\nalice:$7$101$AAAA$${H6.split('$')[3]}\n` }],
    ['-U on a corrupt file', ['-U', 'F'], /^Error: Corrupt password file at line 1: empty password\.\n$/, { seed: 'alice:\n' }],
    ['-c with -D', ['-c', '-D', 'F', 'alice'], 'Error: -c and -D cannot be used together.'],
    ['-c with -U', ['-c', '-U', 'F'], 'Error: -c and -U cannot be used together.'],
    ['-b with -D', ['-b', '-D', 'F', 'alice'], 'Error: -b and -D cannot be used together.'],
    ['-D of an unknown user', ['-D', 'F', 'zoe'], 'Warning: User zoe not found in password file.'],
    ['an unknown hash type', ['-H', 'md5', '-b', 'F', 'alice', 'pw'], "Error: Unknown hash type 'md5'"],
    ['zero iterations', ['-I', '0', '-b', 'F', 'alice', 'pw'], 'Error: Number of iterations must be > 0.'],
    ['a password given without -b', ['-c', 'F', 'alice', 'pw'], 'Error: Too many arguments; to give the password on the command line use -b.'],
    ['-U without a file', ['-U'], 'Error: -U argument given but password file missing.'],
  ];
  it.each(cases)('%s', async (_, args, message, opts = {}) => {
    if (opts.seed !== '') writeFileSync(scratch.pwfile, opts.seed ?? GOOD);
    const argv = ['passwd', ...args.map((a) => (a === 'F' ? scratch.pwfile : a))];
    await expectRefused(() => runMqtt(argv, opts.input === undefined ? {} : { input: opts.input }), message, opts.code);
  });

  it('a path that is a directory', async () => {
    mkdirSync(scratch.pwfile);
    await expectRefused(() => runMqtt(['passwd', '-b', scratch.pwfile, 'alice', 'pw']), /^Error: Unable to open password file .*passwd\. .+\.\n$/);
  });

  it('a failing write half-way (file size limit): the original stays byte for byte, no temp file is left', async () => {
    writeFileSync(scratch.pwfile, Array.from({ length: 300 }, (_, i) => `user${i}:plain${i}\n`).join(''));
    // dash counts ulimit -f in 512-byte blocks: the temporary file hits the limit after 4 KiB of ~20
    const sh = ['-c', 'ulimit -f 8; exec "$0" "$@"', process.execPath, 'bin/mqtt', 'passwd', '-U', scratch.pwfile];
    await expectRefused(() => runCmd('sh', sh), /^Error: Unable to write password file .*passwd\. File too large\.\n$/);
  });
});

describeIfTool(['setpriv'], 'mqtt passwd with an unreadable file', () => {
  it('refuses with one line and leaves it alone', async () => {
    writeFileSync(scratch.pwfile, GOOD);
    chmodSync(scratch.pwfile, 0o000);
    await expectRefused(() => runMqttUnprivileged(['passwd', '-b', scratch.pwfile, 'carol', 'pw']), /^Error: Unable to open password file .*passwd\. Permission denied\.\n$/);
  });
});
