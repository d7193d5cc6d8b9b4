/** mosquitto_sub's print_message: default, -v, -N, -F, plus our --json. */
import { describe, expect, it } from 'vitest';
import { compileFormat } from '../../src/output/format-template.js';
import type { ReceivedMessage } from '../../src/output/message.js';
import { formatMessage, type PrintOptions } from '../../src/output/print-message.js';

const msg: ReceivedMessage = {
  topic: 'a/b',
  payload: Buffer.from([0x68, 0x00, 0xff]),
  qos: 1,
  retain: false,
  mid: 3,
  receivedAt: { epochMs: 1795316678257, nanos: 257988059 },
};
const empty: ReceivedMessage = { ...msg, payload: Buffer.alloc(0) };
const opts = (o: Partial<PrintOptions> = {}): PrintOptions => ({ verbose: false, noEol: false, pretty: false, json: false, ...o });

describe('formatMessage', () => {
  it.each([
    ['default', msg, opts(), Buffer.from([0x68, 0x00, 0xff, 0x0a])],
    ['default, empty payload prints nothing at all', empty, opts(), Buffer.alloc(0)],
    ['-N', msg, opts({ noEol: true }), Buffer.from([0x68, 0x00, 0xff])],
    ['-N, empty', empty, opts({ noEol: true }), Buffer.alloc(0)],
    ['-v', msg, opts({ verbose: true }), Buffer.from([...Buffer.from('a/b '), 0x68, 0x00, 0xff, 0x0a])],
    ['-v, empty payload', empty, opts({ verbose: true }), Buffer.from('a/b (null)\n')],
    ['-v -N', msg, opts({ verbose: true, noEol: true }), Buffer.from([...Buffer.from('a/b '), 0x68, 0x00, 0xff])],
    ['-v -N, empty payload prints nothing', empty, opts({ verbose: true, noEol: true }), Buffer.alloc(0)],
    ['-F overrides -v', msg, opts({ verbose: true, format: compileFormat('%t|%x') }), Buffer.from('a/b|6800ff\n')],
    ['-F with -N', msg, opts({ noEol: true, format: compileFormat('%t') }), Buffer.from('a/b')],
    ['-F, empty payload still prints', empty, opts({ format: compileFormat('%t:%p') }), Buffer.from('a/b:\n')],
  ])('%s', (_name, m, o, expected) => {
    expect(formatMessage(m, o)).toEqual(expected);
  });

  it('--json wins over -F and -v and always ends the line', () => {
    const out = formatMessage(msg, opts({ json: true, verbose: true, noEol: true, format: compileFormat('%t') }));
    expect(out.at(-1)).toBe(0x0a);
    expect(JSON.parse(out.toString('utf8'))).toMatchObject({ topic: 'a/b', encoding: 'base64' });
  });

  it('passes %J diagnostics to warn', () => {
    const warnings: string[] = [];
    const out = formatMessage(msg, opts({ format: compileFormat('%J'), warn: (l) => warnings.push(l) }));
    expect(out.toString()).toBe('\n');
    expect(warnings).toEqual(['Error: Message payload is not valid JSON on topic a/b.']);
  });

  it('returns buffers the caller may keep', () => {
    const format = compileFormat('%t');
    const first = formatMessage(msg, opts({ format }));
    formatMessage({ ...msg, topic: 'zzz' }, opts({ format }));
    expect(first.toString()).toBe('a/b\n');
  });
});
