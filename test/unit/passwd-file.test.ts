import { describe, expect, it } from 'vitest';
import { hashPassword, verifyPassword } from '../../src/auth/hash.js';
import { findUser, parsePasswordFile, passwordTable, serialisePasswordFile } from '../../src/auth/password-file.js';
import { emptyPasswordFile, hashPlainPasswords, removeUser, setUser } from '../../src/auth/password-file-edit.js';
import { passwordProblem, usernameProblem } from '../../src/auth/credentials.js';

const H7 = '$7$101$AAECAwQFBgcICQoL$DEO14ViPofBJRJpN8uZINnuFUWj8eUeWhlyZ2QOQ+5LgiM0kGXMwv2HwhIvlBQTsHkd+uve2/GFOr/KZ8Y/8Hw==';
const H6 = '$6$AAECAwQFBgcICQoL$b4be9ENqb54sNj+csQTvm3qRtt6r5BJ4pdELhfw3543YRDKXy8YjBxqSsJubpfDSNaXeWIFnCuo6UMHsY83J5w==';
// argon2i: an argon2 variant Mosquitto never writes nor verifies
const ARGON = '$argon2i$v=19$m=65536,t=3,p=4$c2FsdHNhbHQ$aGFzaGhhc2g';

/** A file with everything a hand-edited password file may hold. */
const MESSY = Buffer.concat([
  Buffer.from(`# users\r\nalice:${H7}\r\n\r\n  bob : ${H6}  \n`),
  Buffer.from('caf\xe9:', 'latin1'), // not UTF-8: must survive untouched
  Buffer.from(`${H7}\ncarol:${ARGON}\n#last, no newline`),
]);

describe('parse and serialise', () => {
  it('gives back the same bytes: comments, blank lines, CRLF, odd encodings, no final newline', () => {
    const file = parsePasswordFile(MESSY);
    expect(serialisePasswordFile(file).equals(MESSY)).toBe(true);
    expect(file.eol).toBe('\r\n');
  });
  it('trims usernames and passwords like the broker, and finds users by them', () => {
    const file = parsePasswordFile(MESSY);
    expect(findUser(file, 'bob')?.field).toBe(H6);
    expect(findUser(file, ' bob ')).toBeUndefined();
  });
  it('reports argon2i by line number as unsupported, and keeps the line', () => {
    const file = parsePasswordFile(MESSY);
    expect(file.problems).toEqual([{ line: 6, kind: 'unsupported', reason: '$argon2i$ hash', username: 'carol' }]);
    expect(findUser(file, 'carol')?.decoded.kind).toBe('unsupported');
  });
  it('reports corrupt lines by number: no colon, empty fields, hashes that do not decode', () => {
    const file = parsePasswordFile(Buffer.from(`a:${H7}\njunk\n:pw\nb:\nc:$7$0$AAECAwQFBgcICQoL$x\n`));
    expect(file.problems.map((p) => [p.line, p.kind])).toEqual([[2, 'corrupt'], [3, 'corrupt'], [4, 'corrupt'], [5, 'corrupt']]);
  });
  it('lists for the broker only users whose hash it can verify; the last duplicate wins', async () => {
    const file = parsePasswordFile(Buffer.from(`a:plain\nb:${ARGON}\nc:$6$bad\nd:${H6}\nd:${H7}\n`));
    const table = passwordTable(file);
    expect([...table.keys()]).toEqual(['d']);
    expect(table.get('d')?.type).toBe('sha512-pbkdf2');
    expect(await verifyPassword('password', table.get('d')!)).toBe(true);
  });
});

describe('edits', () => {
  it('updates a user where it stands, keeping its CRLF and every other byte', async () => {
    const before = parsePasswordFile(MESSY);
    const after = serialisePasswordFile(setUser(before, 'alice', await hashPassword('new')));
    const lines = after.toString('latin1').split('\n');
    expect(lines[1]).toMatch(/^alice:\$7\$101\$[^$]{16}\$[^$]{88}\r$/);
    const original = MESSY.toString('latin1').split('\n');
    expect(lines.filter((_, i) => i !== 1)).toEqual(original.filter((_, i) => i !== 1));
  });
  it('appends a new user, terminating an unterminated last line with the file\'s own line ending', async () => {
    const after = serialisePasswordFile(setUser(parsePasswordFile(MESSY), 'dave', await hashPassword('pw'))).toString('latin1');
    expect(after.startsWith(MESSY.toString('latin1') + '\r\n')).toBe(true);
    expect(after).toMatch(/\r\ndave:\$7\$[^\n]+\r\n$/);
  });
  it('creates from nothing with a single LF-terminated line', async () => {
    const text = serialisePasswordFile(setUser(emptyPasswordFile(), 'u', await hashPassword('p'))).toString();
    expect(text).toMatch(/^u:\$7\$101\$[^\n]+\n$/);
  });
  it('matches users by bytes, so a non-UTF-8 name is never confused with another', async () => {
    const file = parsePasswordFile(MESSY);
    expect(findUser(file, 'café')).toBeUndefined();
    expect(removeUser(file, 'caf\ufffd').removed).toBe(0);
  });
  it('deletes every line of a user and nothing else', () => {
    const { file, removed } = removeUser(parsePasswordFile(Buffer.from(`a:${H7}\nb:${H6}\na:${H6}\n`)), 'a');
    expect(removed).toBe(2);
    expect(serialisePasswordFile(file).toString()).toBe(`b:${H6}\n`);
  });
  it('-U hashes plain-text lines only, so running it twice changes nothing the second time', async () => {
    const plain = parsePasswordFile(Buffer.from(`# c\nu1:one\r\nu2:${H6}\nu3:${ARGON}\nu4:  two  \n`));
    const once = await hashPlainPasswords(plain, (pw) => hashPassword(pw));
    expect(once.hashed).toBe(2);
    const bytes = serialisePasswordFile(once.file);
    const twice = await hashPlainPasswords(parsePasswordFile(bytes), (pw) => hashPassword(pw));
    expect(twice.hashed).toBe(0);
    expect(serialisePasswordFile(twice.file).equals(bytes)).toBe(true);
    const reread = parsePasswordFile(bytes);
    const u4 = findUser(reread, 'u4')!.decoded;
    expect(u4.kind === 'hashed' && (await verifyPassword('two', u4.hash))).toBe(true);
    expect(bytes.toString()).toContain(`u2:${H6}\nu3:${ARGON}\n`);
    expect(bytes.toString()).toMatch(/^# c\nu1:\$7\$[^\r\n]+\r\n/);
  });
});

describe('what may go into a file', () => {
  it.each([
    ['a:b', "Username must not contain the ':' character."],
    ['a\tb', 'Username must not contain control characters.'],
    ['a\x7f', 'Username must not contain control characters.'],
    ['a\u0085', 'Username must not contain control characters.'],
    ['x'.repeat(65536), 'Username must be less than 65536 characters long.'],
    ['', 'Username must not be empty.'],
    [' bob', 'Username must not begin or end with whitespace.'],
  ])('refuses username %j', (name, message) => {
    expect(usernameProblem(name)).toBe(message);
  });
  it('accepts ordinary and non-ASCII usernames', () => {
    expect(usernameProblem('sensor@garden.lan')).toBeUndefined();
    expect(usernameProblem('Jürgen')).toBeUndefined();
  });
  it.each([
    [Buffer.alloc(0), 'Empty password.'],
    [Buffer.alloc(65536, 0x61), 'Password must be less than 65536 characters long.'],
    [Buffer.from('a\0b'), 'Password must not contain NUL bytes.'],
  ])('refuses a bad password (%#)', (pw, message) => {
    expect(passwordProblem(pw)).toBe(message);
  });
  it('accepts a password of exactly 65535 bytes', () => {
    expect(passwordProblem(Buffer.alloc(65535, 0x61))).toBeUndefined();
  });
});
