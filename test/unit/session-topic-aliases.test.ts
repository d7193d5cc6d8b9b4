import { describe, expect, it } from 'vitest';
import { AliasError, InboundTopicAliases, OutboundTopicAliases } from '../../src/core/session/topic-aliases.js';
import { RC } from '../../src/core/protocol/reason-codes.js';

describe('InboundTopicAliases', () => {
  it('the error codes are the named reason codes', () => {
    expect(AliasError.Invalid).toBe(RC.TopicAliasInvalid);
    expect(AliasError.Unknown).toBe(RC.ProtocolError);
  });

  it('[MQTT-3.3.2-10] [MQTT-3.3.2-12] a topic with an alias maps it; an empty topic uses the mapping', () => {
    const a = new InboundTopicAliases(10);
    expect(a.resolve(1, 'x/y')).toBe('x/y');
    expect(a.resolve(1, '')).toBe('x/y');
    expect(a.resolve(10, 'z')).toBe('z');
    expect(a.resolve(1, 'remapped')).toBe('remapped');
    expect(a.resolve(1, '')).toBe('remapped');
  });

  it('[MQTT-3.3.2-8] alias 0 and an alias above our maximum are Topic Alias invalid (0x94)', () => {
    const a = new InboundTopicAliases(10);
    expect(a.resolve(0, 't')).toBe(RC.TopicAliasInvalid);
    expect(a.resolve(11, 't')).toBe(RC.TopicAliasInvalid);
    expect(new InboundTopicAliases(0).resolve(1, 't')).toBe(RC.TopicAliasInvalid);
  });

  it('an empty topic with an alias never mapped is a protocol error (0x82)', () => {
    expect(new InboundTopicAliases(10).resolve(3, '')).toBe(RC.ProtocolError);
  });

  it('[MQTT-3.3.2-7] mappings do not carry over to a new connection', () => {
    const a = new InboundTopicAliases(10);
    a.resolve(2, 't');
    a.clear();
    expect(a.resolve(2, '')).toBe(RC.ProtocolError);
  });

  it('peek and set read and map without checks (a sniffer)', () => {
    const a = new InboundTopicAliases(0);
    a.set(70, 'seen');
    expect(a.peek(70)).toBe('seen');
    expect(a.peek(71)).toBeUndefined();
  });
});

describe('OutboundTopicAliases', () => {
  it('[MQTT-3.3.2-9] [MQTT-3.3.2-11] a chosen alias is sent with its topic first, then alone', () => {
    const o = new OutboundTopicAliases(5);
    expect(o.use(2, 'a/b')).toBe('a/b');
    expect(o.use(2, 'a/b')).toBe('');
    expect(o.use(2, 'c')).toBe('c');
    expect(o.use(2, 'c')).toBe('');
  });

  it('[MQTT-3.3.2-8] [MQTT-3.3.2-9] alias 0 or above the peer maximum is not sent at all', () => {
    const o = new OutboundTopicAliases(5);
    expect(o.use(0, 't')).toBeUndefined();
    expect(o.use(6, 't')).toBeUndefined();
    expect(new OutboundTopicAliases(0).use(1, 't')).toBeUndefined();
  });

  it('assign picks the lowest free alias, keeps a topic on its alias, and gives 0 when none is left', () => {
    const o = new OutboundTopicAliases(2);
    expect(o.isMapped('a')).toBe(false);
    expect(o.assign('a')).toBe(1);
    expect(o.isMapped('a')).toBe(true);
    expect(o.assign('a')).toBe(1);
    expect(o.assign('b')).toBe(2);
    expect(o.assign('c')).toBe(0);
    o.clear();
    expect(o.assign('c')).toBe(1);
  });
});
