import { describe, expect, it } from 'vitest';
import { UsageError } from '../../src/cli/errors.js';
import { resolvePlan } from '../../src/bench/plan-options.js';
import { splitPlan } from '../../src/bench/plan.js';

describe('bench options', () => {
  it('bounds a publishing run by default and derives the filter from the topic', () => {
    const p = resolvePlan('pubsub', { publishers: '3', subscribers: '2', port: '1884' });
    expect(p).toMatchObject({ publishers: 3, subscribers: 2, duration: 10, count: 0, topic: 'bench/%i', filter: 'bench/+', ahead: 100, qos: 0, payloadSize: 64 });
    expect(p.target.endpoint).toEqual({ scheme: 'mqtt', host: 'localhost', port: 1884 });
    expect(resolvePlan('pub', { count: '5' }).duration).toBe(0);
    expect(resolvePlan('pubsub', { rate: '1000' }).ahead).toBe(0);
    expect(resolvePlan('sub', {}).filter).toBe('bench/#');
  });

  it('reads a URL with credentials, TLS and a WebSocket path', () => {
    const t = resolvePlan('conn', { url: 'wss://u%40x:p@broker.example:9443/ws' }).target;
    expect(t.endpoint).toEqual({ scheme: 'wss', host: 'broker.example', port: 9443, path: '/ws' });
    expect(t).toMatchObject({ username: 'u@x', password: 'p', tls: { useOsCerts: true } });
    expect(resolvePlan('conn', { url: 'unix:///run/m.sock' }).target.endpoint).toMatchObject({ scheme: 'unix', path: '/run/m.sock' });
    expect(resolvePlan('conn', { bind: '127.0.0.2, 127.0.0.3' }).target.bindAddresses).toEqual(['127.0.0.2', '127.0.0.3']);
  });

  it.each([
    [{ qos: '3' }, /--qos must be between 0 and 2/],
    [{ size: '10' }, /--size must be between 24/],
    [{ count: '-1' }, /--count must be a whole number/],
    [{ rate: 'fast' }, /--rate must be a number/],
    [{ topic: 'a/+' }, /not a valid topic name/],
    [{ filter: 'a/#/b' }, /not a valid topic filter/],
    [{ protocolVersion: '6' }, /Invalid protocol version/],
    [{ url: 'http://x' }, /Unsupported URL scheme/],
    [{ pw: 'secret' }, /needs a username/],
    [{ port: '70000' }, /--port must be between 1 and 65535/],
  ])('refuses %j', (opts, message) => {
    expect(() => resolvePlan('pubsub', opts)).toThrow(UsageError);
    expect(() => resolvePlan('pubsub', opts)).toThrow(message);
  });

  it('deals clients to lanes round-robin and drops empty lanes', () => {
    const p = resolvePlan('pubsub', { publishers: '3', subscribers: '1', workers: '2' });
    const lanes = splitPlan(p, 2);
    expect(lanes.map((l) => [l.publishers, l.subscribers])).toEqual([[[0, 2], [0]], [[1], []]]);
    expect(splitPlan(resolvePlan('conn', { clients: '1' }), 4)).toHaveLength(1);
  });
});

describe('bench sub options', () => {
  it('takes -t as a filter, wildcards allowed', () => {
    expect(resolvePlan('sub', { topic: 'a/+/#' }).filter).toBe('a/+/#');
    expect(() => resolvePlan('sub', { topic: 'a/#/b' })).toThrow(/not a valid topic filter/);
  });
});
