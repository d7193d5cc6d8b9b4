import { describe, expect, it } from 'vitest';
import { EchoFilter } from '../../src/broker/bridge/echo-filter.js';

const b = (s: string) => Buffer.from(s);

describe('bridge EchoFilter (a 3.1.1 remote without no-local)', () => {
  it('drops one incoming copy per message sent on a topic our subscriptions match, no more', () => {
    const f = new EchoFilter(['both/#', 'in/+']);
    f.sent('both/a', b('x'), 0);
    f.sent('both/a', b('x'), 1);
    f.sent('out/a', b('x'), 2); // no subscription of ours brings it back
    expect(f.isEcho('out/a', b('x'), 3)).toBe(false);
    expect(f.isEcho('both/a', b('y'), 3)).toBe(false);
    expect(f.isEcho('both/a', b('x'), 3)).toBe(true);
    expect(f.isEcho('both/a', b('x'), 4)).toBe(true);
    expect(f.isEcho('both/a', b('x'), 5)).toBe(false);
  });

  it('forgets an echo that did not come within 30 s', () => {
    const f = new EchoFilter(['#']);
    f.sent('t', b('x'), 0);
    expect(f.isEcho('t', b('x'), 30_001)).toBe(false);
    f.sent('t', b('x'), 40_000);
    expect(f.isEcho('t', b('x'), 40_500)).toBe(true);
  });

  it('awaits at most 10,000 different messages: the oldest go first', () => {
    const f = new EchoFilter(['#']);
    for (let i = 0; i <= 10_000; i++) f.sent(`t/${i}`, b('x'), 0);
    expect(f.isEcho('t/0', b('x'), 1)).toBe(false);
    expect(f.isEcho('t/10000', b('x'), 1)).toBe(true);
    expect(f.isEcho('t/1', b('x'), 1)).toBe(true);
  });
});
