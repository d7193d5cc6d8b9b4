import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, lstatSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../../src/auth/atomic-write.js';
import { hashPassword } from '../../src/auth/hash.js';
import { setUser } from '../../src/auth/password-file-edit.js';
import { loadPasswordFile, savePasswordFile } from '../../src/auth/password-file-io.js';

let dir: string;
let file: string;
const ORIGINAL = Buffer.from('# keep me\r\nalice:plain\nbob:$6$AAECAwQFBgcICQoL$b4be9ENqb54sNj+csQTvm3qRtt6r5BJ4pdELhfw3543YRDKXy8YjBxqSsJubpfDSNaXeWIFnCuo6UMHsY83J5w==\n');

beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'mqtt-passwd-atomic-'));
  file = path.join(dir, 'passwd');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string) => statSync(p).mode & 0o7777;
const diskFull = () => Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });

describe('writeFileAtomic', () => {
  it('creates a new file with mode 0600 whatever the umask', async () => {
    const old = process.umask(0o000);
    try {
      await writeFileAtomic(file, Buffer.from('x'));
    } finally {
      process.umask(old);
    }
    expect(mode(file)).toBe(0o600);
  });

  it('keeps the mode of the file it replaces', async () => {
    writeFileSync(file, ORIGINAL);
    chmodSync(file, 0o640);
    await writeFileAtomic(file, Buffer.from('new'));
    expect(mode(file)).toBe(0o640);
    expect(readFileSync(file, 'utf8')).toBe('new');
  });

  it('replaces the target of a symlink and keeps the link', async () => {
    writeFileSync(file, ORIGINAL);
    const link = path.join(dir, 'link');
    symlinkSync(file, link);
    await writeFileAtomic(link, Buffer.from('via link'));
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(readFileSync(file, 'utf8')).toBe('via link');
  });

  it('leaves the original byte for byte, and no temporary file, when a write fails half-way', async () => {
    writeFileSync(file, ORIGINAL);
    let wrote = 0;
    const err = await writeFileAtomic(file, Buffer.alloc(4096, 0x61), {
      hooks: {
        write: async (fh, data) => {
          wrote = (await fh.write(data.subarray(0, data.length / 2))).bytesWritten;
          throw diskFull();
        },
      },
    }).catch((e: unknown) => e);
    expect(wrote).toBe(2048);
    expect((err as NodeJS.ErrnoException).code).toBe('ENOSPC');
    expect(readFileSync(file).equals(ORIGINAL)).toBe(true);
    expect(readdirSync(dir)).toEqual(['passwd']);
  });

  it('leaves the original when the failure comes after the temporary file is complete', async () => {
    writeFileSync(file, ORIGINAL);
    let seen = '';
    await expect(writeFileAtomic(file, Buffer.from('new'), {
      hooks: {
        beforeRename: (temp) => {
          seen = readFileSync(temp, 'utf8');
          expect(path.dirname(temp)).toBe(dir);
          expect(mode(temp)).toBe(mode(file));
          throw new Error('killed');
        },
      },
    })).rejects.toThrow('killed');
    expect(seen).toBe('new');
    expect(readFileSync(file).equals(ORIGINAL)).toBe(true);
    expect(readdirSync(dir)).toEqual(['passwd']);
  });
});

describe('savePasswordFile in the middle of an update', () => {
  it('a failing update of one user leaves the file as it was', async () => {
    writeFileSync(file, ORIGINAL);
    const updated = setUser(await loadPasswordFile(file), 'alice', await hashPassword('pw'));
    await expect(savePasswordFile(file, updated, {
      hooks: {
        write: async (fh, data) => {
          await fh.write(data.subarray(0, 20));
          throw diskFull();
        },
      },
    })).rejects.toThrow('ENOSPC');
    expect(readFileSync(file).equals(ORIGINAL)).toBe(true);
    expect(readdirSync(dir)).toEqual(['passwd']);
  });
});
