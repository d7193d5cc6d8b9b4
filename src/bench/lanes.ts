import { AheadGate } from './ahead-gate.js';
import type { FromLane, LanePort, ToLane } from './lane-protocol.js';
import { ThreadLanePort, WorkerLanePort, workerScript } from './lane-port.js';
import { mergeStats, mergeStreams, type LaneStats, type StreamReport } from './lane-stats.js';
import { splitPlan, type BenchPlan } from './plan.js';

type EventType = 'ready' | 'publishers-done' | 'subscribers-done' | 'drained';

/**
 * The main thread's view of all lanes: broadcasts orders, and turns the lanes' answers into
 * "all lanes have said X" promises and merged stats.
 */
export class Lanes {
  /** set when threads were asked for but could not be started from this build */
  fellBackToMainThread = false;
  private ports: LanePort[] = [];
  private latest: Array<LaneStats | undefined> = [];
  private finals: Array<{ stats: LaneStats; streams: StreamReport[] } | undefined> = [];
  private readonly seen = new Map<EventType, Set<number>>();
  private waiters: Array<() => boolean> = [];
  private snapshotWaiters: Array<{ pending: Set<number>; resolve: () => void }> = [];
  fatal: string | undefined;

  async start(plan: BenchPlan): Promise<void> {
    const script = plan.workers > 0 ? await workerScript() : undefined;
    if (plan.workers > 0 && !script) this.fellBackToMainThread = true;
    const parts = splitPlan(plan, script ? plan.workers : 1);
    const gate = plan.mode === 'pubsub' && plan.ahead > 0 ? AheadGate.allocate(plan.publishers, plan.subscribers) : undefined;
    this.ports = parts.map((lanePlan) => (script ? new WorkerLanePort(script, { lanePlan, gate }) : new ThreadLanePort({ lanePlan, gate })));
    this.latest = this.ports.map(() => undefined);
    this.finals = this.ports.map(() => undefined);
    this.ports.forEach((port, i) => port.onMessage((msg) => this.onMessage(i, msg)));
  }

  get count(): number {
    return this.ports.length;
  }

  broadcast(msg: ToLane): void {
    for (const p of this.ports) p.send(msg);
  }

  /** Resolves when every lane has reported `type`, or a lane failed. */
  all(type: EventType): Promise<void> {
    return this.until(() => this.fatal !== undefined || (this.seen.get(type)?.size ?? 0) >= this.ports.length);
  }

  has(type: EventType): boolean {
    return (this.seen.get(type)?.size ?? 0) >= this.ports.length;
  }

  /** Fresh stats from every lane (or the last ones of a lane that does not answer in time). */
  async snapshot(timeoutMs = 2000): Promise<LaneStats> {
    const pending = new Set(this.ports.map((_, i) => i).filter((i) => !this.finals[i]));
    if (pending.size > 0) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, timeoutMs);
        this.snapshotWaiters.push({
          pending,
          resolve: () => {
            clearTimeout(timer);
            resolve();
          },
        });
        this.broadcast({ type: 'snapshot' });
      });
    }
    return this.merged();
  }

  merged(): LaneStats {
    return mergeStats(this.latest.filter((s): s is LaneStats => s !== undefined));
  }

  /** Asks every lane to close its clients and report; lanes that do not answer are dropped. */
  async finish(timeoutMs = 5000): Promise<{ stats: LaneStats; streams: StreamReport[] }> {
    this.broadcast({ type: 'finish' });
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.until(() => this.fatal !== undefined || this.finals.every((f) => f !== undefined)),
      new Promise((r) => (timer = setTimeout(r, timeoutMs))),
    ]);
    clearTimeout(timer);
    await Promise.all(this.ports.map((p) => p.kill()));
    const stats = this.finals.map((f, i) => f?.stats ?? this.latest[i]).filter((s): s is LaneStats => s !== undefined);
    return { stats: mergeStats(stats), streams: mergeStreams(this.finals.flatMap((f) => f?.streams ?? [])) };
  }

  private until(done: () => boolean): Promise<void> {
    if (done()) return Promise.resolve();
    return new Promise((resolve) => {
      const check = () => {
        if (!done()) return false;
        resolve();
        return true;
      };
      this.waiters.push(check);
    });
  }

  private onMessage(lane: number, msg: FromLane): void {
    switch (msg.type) {
      case 'snapshot':
        this.latest[lane] = msg.stats;
        for (const w of this.snapshotWaiters) {
          w.pending.delete(lane);
          if (w.pending.size === 0) w.resolve();
        }
        this.snapshotWaiters = this.snapshotWaiters.filter((w) => w.pending.size > 0);
        break;
      case 'final':
        this.finals[lane] = { stats: msg.stats, streams: msg.streams };
        this.latest[lane] = msg.stats;
        break;
      case 'fatal':
        this.fatal ??= msg.message;
        break;
      default: {
        let set = this.seen.get(msg.type);
        if (!set) this.seen.set(msg.type, (set = new Set()));
        set.add(lane);
      }
    }
    this.waiters = this.waiters.filter((w) => !w());
  }
}
