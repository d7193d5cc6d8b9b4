import { AheadGate } from './ahead-gate.js';
import { BenchClient } from './bench-client.js';
import { Histogram } from '../core/stats/histogram.js';
import type { FromLane, LaneInit, ToLane } from './lane-protocol.js';
import { emptyConnections, emptyStats, mergeStreams, type LaneStats } from './lane-stats.js';
import { elapsedMicros, monotonicNow } from './payload-header.js';
import type { BenchPlan, BenchTarget } from './plan.js';
import { resolveOnce } from './resolve-target.js';
import { Publisher } from './publisher.js';
import { Subscriber } from './subscriber.js';

/** How often a draining lane looks whether its subscribers have everything. */
const DRAIN_CHECK_MS = 10;

/**
 * The clients one thread carries. It connects them, publishes on order, and answers the main
 * thread with cumulative stats; it never decides when the run ends (except for its own clients'
 * counts), so the main thread can stop every lane at the same moment.
 */
export class Lane {
  private readonly plan: BenchPlan;
  private readonly connections = emptyConnections();
  private readonly latency = new Histogram();
  private readonly ackLatency = new Histogram();
  private readonly connectLatency = new Histogram();
  private readonly publishers: Publisher[] = [];
  private readonly subscribers: Subscriber[] = [];
  private readonly idle: BenchClient[] = [];
  private readonly gate: AheadGate | undefined;
  private subscribed = 0;
  private publishersDone = 0;
  private publishing = false;
  private drainTimer: NodeJS.Timeout | undefined;
  private finished = false;
  private firstConnectAt = 0;
  private target: BenchTarget;

  constructor(
    private readonly init: LaneInit,
    private readonly post: (msg: FromLane) => void,
  ) {
    this.plan = init.lanePlan.plan;
    this.target = this.plan.target;
    if (init.gate) this.gate = new AheadGate(init.gate, this.plan.publishers, this.plan.subscribers, this.plan.ahead);
  }

  /** Connects everything (subscribers first, so they are in place before anyone publishes). */
  async start(): Promise<void> {
    const { lanePlan } = this.init;
    const plan = this.plan;
    this.target = await resolveOnce(plan.target);
    await this.each(lanePlan.subscribers, async (i) => {
      const client = await this.open('s', i);
      if (!client) return this.gate?.retire(i);
      const sub = new Subscriber(i, client, { plan, latency: this.latency, gate: this.gate, onDone: () => this.onSubscriberDone() });
      try {
        await sub.subscribe();
      } catch (err) {
        // connected but of no use: it counts as a failed subscriber, not as a connection
        this.connections.connected--;
        this.fail(err as Error);
        client.destroy();
        return this.gate?.retire(i);
      }
      this.subscribed++;
      this.subscribers.push(sub);
    });
    await this.each(lanePlan.publishers, async (i) => {
      const client = await this.open('p', i);
      if (client) this.publishers.push(new Publisher(i, client, { plan, latency: this.ackLatency, gate: this.gate, onDone: () => this.onPublisherDone() }));
      else this.onPublisherDone();
    });
    await this.each(lanePlan.connections, async (i) => {
      const client = await this.open('c', i);
      if (client) this.idle.push(client);
    });
    if (lanePlan.subscribers.length > 0 && this.subscribers.length === 0) this.post({ type: 'subscribers-done' });
    this.post({ type: 'ready' });
  }

  handle(msg: ToLane): void {
    switch (msg.type) {
      case 'publish':
        return this.startPublishing(msg.startMs);
      case 'stop-publishing':
        for (const p of this.publishers) p.stop();
        return;
      case 'drain':
        return this.drain(msg.sentBy);
      case 'snapshot':
        return this.post({ type: 'snapshot', stats: this.stats() });
      case 'finish':
        void this.finish();
        return;
    }
  }

  private startPublishing(startMs: number): void {
    const plan = this.plan;
    if (this.publishing || this.finished) return;
    this.publishing = true;
    const perPublisher = plan.rate > 0 ? plan.rate / plan.publishers : 0;
    // the main thread's clock and ours differ (performance.now is per thread): use a delay
    const start = performance.now() + Math.max(0, startMs - Date.now());
    for (const p of this.publishers) p.start(perPublisher, start);
    if (this.publishersDone >= this.init.lanePlan.publishers.length) this.post({ type: 'publishers-done' });
  }

  /** Opens one connection and counts the outcome; undefined when it failed. */
  private async open(role: 'p' | 's' | 'c', index: number): Promise<BenchClient | undefined> {
    const t = this.target;
    const bind = t.bindAddresses.length > 0 ? t.bindAddresses[index % t.bindAddresses.length] : undefined;
    const client = new BenchClient(t, `${t.idPrefix}${role}${index}`, bind);
    this.connections.attempted++;
    if (this.firstConnectAt === 0) this.firstConnectAt = Date.now();
    const [s0, ns0] = monotonicNow();
    try {
      await client.connect();
    } catch (err) {
      this.fail(err as Error);
      return undefined;
    }
    if (this.finished) {
      // the run ended (Ctrl-C) while this one was connecting: finish() has already closed the rest
      client.destroy();
      return undefined;
    }
    this.connectLatency.record(elapsedMicros(s0, ns0, monotonicNow()));
    this.connections.connected++;
    client.onLost = (err) => {
      if (this.finished) return;
      this.connections.lost++;
      this.tally(`lost: ${err.message}`);
    };
    return client;
  }

  private fail(err: Error): void {
    this.connections.failed++;
    this.tally(err.message);
  }

  private tally(reason: string): void {
    this.connections.errors[reason] = (this.connections.errors[reason] ?? 0) + 1;
  }

  /** Runs `fn` over the indexes with at most `concurrency` at once, paced by the conn rate. */
  private async each(indexes: number[], fn: (i: number) => Promise<void>): Promise<void> {
    const plan = this.plan;
    const lanes = this.init.lanePlan.lanes;
    const interval = plan.mode === 'conn' && plan.rate > 0 ? (1000 * lanes) / plan.rate : 0;
    const concurrency = Math.max(1, Math.ceil(plan.concurrency / lanes));
    let next = 0;
    const started = performance.now();
    const worker = async () => {
      while (next < indexes.length && !this.finished) {
        const k = next++;
        if (interval > 0) {
          const wait = started + k * interval - performance.now();
          if (wait > 0) await new Promise((r) => setTimeout(r, wait));
        }
        await fn(indexes[k]!);
      }
    };
    await Promise.all(Array.from({ length: Math.min(concurrency, indexes.length) }, worker));
  }

  private onPublisherDone(): void {
    this.publishersDone++;
    if (this.publishing && this.publishersDone === this.init.lanePlan.publishers.length) this.post({ type: 'publishers-done' });
  }

  private onSubscriberDone(): void {
    if (this.subscribers.every((s) => s.done)) this.post({ type: 'subscribers-done' });
  }

  /** Reports 'drained' when every live subscriber has it all, or when progress stops for the drain timeout. */
  private drain(sentBy: Record<number, number>): void {
    let lastUnique = -1;
    let lastProgress = performance.now();
    const check = () => {
      const live = this.subscribers.filter((s) => !s.done);
      const unique = live.reduce((n, s) => n + s.unique, 0);
      const now = performance.now();
      if (unique !== lastUnique) {
        lastUnique = unique;
        lastProgress = now;
      }
      if (live.every((s) => s.hasAll(sentBy)) || now - lastProgress > this.plan.drainTimeoutMs) {
        this.drainTimer = undefined;
        this.post({ type: 'drained' });
        return;
      }
      this.drainTimer = setTimeout(check, DRAIN_CHECK_MS);
    };
    check();
  }

  private async finish(): Promise<void> {
    if (this.finished) return;
    this.finished = true;
    clearTimeout(this.drainTimer);
    this.gate?.close();
    for (const p of this.publishers) p.stop();
    const stats = this.stats();
    const streams = mergeStreams(this.subscribers.flatMap((s) => s.streamReports()));
    await Promise.all([...this.publishers, ...this.subscribers].map((c) => c.client.disconnect()).concat(this.idle.map((c) => c.disconnect())));
    this.post({ type: 'final', stats, streams });
  }

  stats(): LaneStats {
    const s = emptyStats();
    s.connections = { ...this.connections, errors: { ...this.connections.errors } };
    s.subscribed = this.subscribed;
    for (const p of this.publishers) {
      s.sent += p.sent;
      s.acked += p.acked;
      s.rejected += p.rejected;
      s.inflight += p.inflight;
      s.overrun += p.overrun;
      s.sentBy[p.index] = p.sent;
      s.lastSendAt = Math.max(s.lastSendAt, p.lastSendAt);
    }
    s.publishersDone = this.publishersDone;
    s.firstConnectAt = this.firstConnectAt;
    s.aheadStalls = this.gate?.stalls ?? 0;
    for (const sub of this.subscribers) {
      const t = sub.totals();
      s.received += sub.received;
      s.foreign += sub.foreign;
      s.unique += t.unique;
      s.duplicates += t.duplicates;
      s.outOfOrder += t.outOfOrder;
      s.gaps += t.gaps;
      s.lastReceiveAt = Math.max(s.lastReceiveAt, sub.lastReceiveAt);
      if (sub.firstReceiveAt > 0 && (s.firstReceiveAt === 0 || sub.firstReceiveAt < s.firstReceiveAt)) s.firstReceiveAt = sub.firstReceiveAt;
    }
    s.latency = this.latency.snapshot();
    s.ackLatency = this.ackLatency.snapshot();
    s.connectLatency = this.connectLatency.snapshot();
    return s;
  }
}
