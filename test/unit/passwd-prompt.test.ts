import { describe, expect, it } from 'vitest';
import { PassThrough } from 'node:stream';
import { passwordReader } from '../../src/auth/password-prompt.js';

function pipes() {
  const input = new PassThrough();
  const output = new PassThrough();
  let printed = '';
  output.on('data', (d: Buffer) => (printed += d.toString()));
  return { input, output, printed: () => printed };
}

describe('passwordReader without a terminal', () => {
  it('reads one line per prompt, even when both arrive in one chunk, and prints the prompts', async () => {
    const io = pipes();
    const reader = passwordReader(io.input, io.output);
    io.input.write('first\nsecond\n');
    expect((await reader.read('Password: '))?.toString()).toBe('first');
    expect((await reader.read('Reenter password: '))?.toString()).toBe('second');
    reader.close();
    expect(io.printed()).toBe('Password: \nReenter password: \n');
  });

  it('waits for a line that arrives later', async () => {
    const io = pipes();
    const reader = passwordReader(io.input, io.output);
    const pending = reader.read('Password: ');
    io.input.write('sl');
    io.input.write('ow\r\n');
    expect((await pending)?.toString()).toBe('slow');
    reader.close();
  });

  it('gives the last unterminated line, then null at end of input', async () => {
    const io = pipes();
    const reader = passwordReader(io.input, io.output);
    io.input.end('tail');
    expect((await reader.read('Password: '))?.toString()).toBe('tail');
    expect(await reader.read('Reenter password: ')).toBeNull();
    reader.close();
  });

  it('keeps the bytes as they are, spaces and all', async () => {
    const io = pipes();
    const reader = passwordReader(io.input, io.output);
    io.input.end(Buffer.from([0x20, 0xc3, 0xa9, 0x20, 0x0a]));
    expect(await reader.read('Password: ')).toEqual(Buffer.from([0x20, 0xc3, 0xa9, 0x20]));
    reader.close();
  });
});
