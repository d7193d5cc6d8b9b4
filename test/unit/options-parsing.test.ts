import { Option } from 'commander';
import { describe, expect, it } from 'vitest';
import { atof, atoi, strtolBase0 } from '../../src/cli/options/c-number.js';
import { connectionGroup } from '../../src/cli/options/connection.js';
import { outputGroup } from '../../src/cli/options/output.js';
import { propertiesGroup } from '../../src/cli/options/properties.js';
import { joinPropertyWords, PROPERTY_WORD_SEPARATOR as SEP, splitPropertyWords } from '../../src/cli/options/property-argv.js';
import { publishGroup } from '../../src/cli/options/publish.js';
import { subscribeGroup } from '../../src/cli/options/subscribe.js';
import { tlsGroup } from '../../src/cli/options/tls.js';
import { willGroup } from '../../src/cli/options/will.js';
import { resolvePubArgs } from '../../src/commands/pub.js';
import { resolveSubArgs } from '../../src/commands/sub.js';
import { errorText, testContext } from './options-fixtures.js';

describe('C number parsing, as mosquitto validates with it', () => {
  const ints: Array<[string, number]> = [
    ['1883', 1883], ['  42', 42], ['+7', 7], ['-1', -1], ['12abc', 12], ['abc', 0], ['', 0], ['0x10', 0],
    ['4294967296', 0], ['2147483648', -2147483648], ['99999999999999999999', -1],
  ];
  it.each(ints)('atoi(%j) = %d', (s, n) => expect(atoi(s)).toBe(n));

  const floats: Array<[string, number]> = [['0.5', 0.5], ['2s', 2], ['.5', 0.5], ['1e2', 100], ['-3', -3], ['x', 0], ['inf', Infinity]];
  it.each(floats)('atof(%j) = %d', (s, n) => expect(atof(s)).toBe(n));
  it('atof("nan") is NaN', () => expect(atof('nan')).toBeNaN());

  const longs: Array<[string, bigint, string]> = [
    ['10', 10n, ''], ['0x1f', 31n, ''], ['017', 15n, ''], ['019', 1n, '9'], ['0x', 0n, 'x'], [' -1', -1n, ''], ['5 ', 5n, ' '], ['abc', 0n, 'abc'],
  ];
  it.each(longs)('strtol(%j, 0) = %d, rest %j', (s, value, rest) => expect(strtolBase0(s)).toEqual({ value, rest }));
});

describe('-D words are joined before commander parses', () => {
  const options = [new Option('-D, --property <w>'), new Option('-m, --message <m>'), new Option('-P, --pw [p]'), new Option('-r')];
  const cases: Array<[string[], string[]]> = [
    [['-D', 'connect', 'receive-maximum', '10', '-r'], ['-D', `connect${SEP}receive-maximum${SEP}10`, '-r']],
    [['-D', 'publish', 'user-property', 'k', 'v', '-r'], ['-D', `publish${SEP}user-property${SEP}k${SEP}v`, '-r']],
    [['-D', 'publish', 'USER-PROPERTY', '-k', '-v'], ['-D', `publish${SEP}USER-PROPERTY${SEP}-k${SEP}-v`]],
    [['--property', 'a', 'b'], ['--property', `a${SEP}b`]],
    [['-D'], ['-D']],
    [['-m', '-D', 'x'], ['-m', '-D', 'x']],
    [['-P', '-D', 'a', 'b', 'c'], ['-P', '-D', `a${SEP}b${SEP}c`]],
    [['-P', 'pw', '-D', 'a', 'b', 'c'], ['-P', 'pw', '-D', `a${SEP}b${SEP}c`]],
    [['--', '-D', 'a', 'b', 'c'], ['--', '-D', 'a', 'b', 'c']],
  ];
  it.each(cases)('%j', (argv, expected) => expect(joinPropertyWords(argv, options)).toEqual(expected));

  const splits: Array<[string, string[]]> = [
    [`a${SEP}b c${SEP}d`, ['a', 'b c', 'd']],
    ['connect receive-maximum 10', ['connect', 'receive-maximum', '10']],
    ['publish user-property k a b', ['publish', 'user-property', 'k', 'a b']],
    ['publish content-type text/plain; charset=utf-8', ['publish', 'content-type', 'text/plain; charset=utf-8']],
  ];
  it.each(splits)('split %j', (value, expected) => expect(splitPropertyWords(value)).toEqual(expected));
});

describe('every option with a value names what is missing, in mosquitto’s words', () => {
  const ctx = testContext();
  const rows = (kind: 'pub' | 'sub', groups: typeof publishGroup[]) =>
    groups.flatMap((g) => g.specs.filter((s) => s.missing).map((s) => [kind, s.flags.split(/[ ,]/)[0], s.missing!] as const));
  const cases = [
    ...rows('pub', [publishGroup, connectionGroup, tlsGroup, willGroup, propertiesGroup]),
    ...rows('sub', [subscribeGroup, outputGroup]),
  ];
  it.each(cases)('%s %s', async (kind, flag, missing) => {
    const resolve = kind === 'pub' ? resolvePubArgs : resolveSubArgs;
    expect(await errorText(() => resolve(['-t', 'a', flag], ctx), kind)).toBe(`Error: ${missing}\nUse 'mqtt ${kind} --help' to see usage.`);
  });
  it('covers the usual ones', () => {
    expect(cases.map(([, flag]) => flag)).toEqual(expect.arrayContaining(['-t', '-m', '-f', '-h', '-p', '-q', '-k', '-i', '-I', '-L', '-D', '-C', '-W', '-F', '-T', '-U']));
  });
});
