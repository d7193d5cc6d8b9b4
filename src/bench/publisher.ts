import type { BenchClient } from './bench-client.js';
import { monotonicNow } from './payload-header.js';
import { publishTopic } from './plan.js';
import { PublishTemplate } from './publish-template.js';
import { RateSchedule } from './rate-schedule.js';
import type { RoleContext } from './role-context.js';

/** Messages per write: enough to amortise the syscall, small enough to keep latency honest. */
const MAX_BATCH_BYTES = 64 * 1024;
const MAX_BATCH = 64;
/** Batches per event-loop turn before yielding, so acks and other clients get their turn. */
const BATCHES_PER_TURN = 4;

const PUBREL = 0x62;

/**
 * One publishing connection: sends pre-encoded frames in batches, as fast as the socket, the
 * QoS in-flight window and the end-to-end gate allow, or on a fixed-rate schedule.
 */
export class Publisher {
  sent = 0;
  acked = 0;
  rejected = 0;
  inflight = 0;
  done = false;
  lastSendAt = 0;
  private running = false;
  private readonly template: PublishTemplate;
  private readonly batch: number;
  private readonly pool: Buffer[] = [];
  private writesPending = 0;
  private schedule: RateSchedule | undefined;
  private scheduled = false;
  private waitingDrain = false;
  private timer: NodeJS.Timeout | undefined;
  private nextPacketId = 1;
  private readonly inUse: Uint8Array | undefined;
  private readonly sentAtUs: Float64Array | undefined;
  private chunkNowUs = -1;
  /** QoS 1/2 in flight: ours, within what the broker allows [MQTT-4.9.0-2] */
  private readonly window: number;

  constructor(
    readonly index: number,
    readonly client: BenchClient,
    private readonly ctx: RoleContext<Publisher>,
  ) {
    const plan = ctx.plan;
    this.template = new PublishTemplate(publishTopic(plan, index), plan.qos, plan.payloadSize, plan.target.protocolVersion, plan.runId, index);
    this.batch = Math.max(1, Math.min(MAX_BATCH, Math.floor(MAX_BATCH_BYTES / this.template.frameSize)));
    this.window = Math.min(plan.inflight, client.receiveMaximum);
    if (plan.qos > 0) {
      this.inUse = new Uint8Array(65536);
      this.sentAtUs = new Float64Array(65536);
    }
    client.handlers = {
      onAck: (type, id, reason) => this.onAck(type, id, reason),
      onChunkDone: () => {
        this.chunkNowUs = -1;
        this.wake();
      },
      onClose: () => this.stop(),
    };
  }

  /** Begins publishing; `ratePerSecond` 0 means as fast as possible. */
  start(ratePerSecond: number, startMs: number): void {
    this.running = true;
    if (ratePerSecond > 0) this.schedule = new RateSchedule(ratePerSecond, startMs);
    this.wake();
  }

  /** No more new messages; done once the in-flight ones are acknowledged. */
  stop(): void {
    this.running = false;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.checkDone();
  }

  get overrun(): number {
    return this.schedule?.overrun ?? 0;
  }

  wake(): void {
    if (this.scheduled || !this.running) return;
    this.scheduled = true;
    setImmediate(this.pump);
  }

  private readonly pump = (): void => {
    this.scheduled = false;
    if (!this.running) return;
    const client = this.client;
    if (client.closed) return this.stop();
    const count = this.ctx.plan.count;
    for (let turn = 0; turn < BATCHES_PER_TURN; turn++) {
      let n = this.batch;
      if (count > 0) {
        if (this.sent >= count) return this.stop();
        n = Math.min(n, count - this.sent);
      }
      if (this.schedule) {
        const nowMs = performance.now();
        const due = this.schedule.due(nowMs, this.sent);
        if (due === 0) {
          this.timer ??= setTimeout(() => {
            this.timer = undefined;
            this.wake();
          }, Math.max(1, this.schedule.waitMs(nowMs)));
          return;
        }
        n = Math.min(n, due);
      }
      if (this.inUse) n = Math.min(n, this.window - this.inflight);
      if (n <= 0) return; // an ack wakes us
      if (this.ctx.gate) {
        n = Math.min(n, this.ctx.gate.allowance(this.index, this.sent, () => this.wake()));
        if (n <= 0) return; // the gate wakes us
      }
      if (!client.writable) return this.waitForDrain();
      this.sendBatch(n);
    }
    if (client.writable) this.wake();
    else this.waitForDrain();
  };

  private waitForDrain(): void {
    if (this.waitingDrain) return;
    this.waitingDrain = true;
    this.client.onceDrain(() => {
      this.waitingDrain = false;
      this.wake();
    });
  }

  private sendBatch(n: number): void {
    const t = this.template;
    const buf = this.pool.pop() ?? t.batchBuffer(this.batch);
    const [sec, nsec] = monotonicNow();
    const sentUs = sec * 1e6 + nsec / 1e3;
    for (let i = 0; i < n; i++) {
      let id = 0;
      if (this.inUse) {
        id = this.allocatePacketId();
        this.inUse[id] = 1;
        this.sentAtUs![id] = sentUs;
        this.inflight++;
      }
      t.patch(buf, i, this.sent++, sec, nsec, id);
    }
    this.writesPending++;
    // the buffer goes back to the pool only once the socket has let go of it
    this.client.send(buf.subarray(0, n * t.frameSize), () => {
      this.writesPending--;
      this.lastSendAt = Date.now();
      this.pool.push(buf);
      if (!this.running) this.checkDone();
    });
  }

  private allocatePacketId(): number {
    // the window is far below 65535, so a free id is always near
    let id = this.nextPacketId;
    while (this.inUse![id]) id = id === 65535 ? 1 : id + 1;
    this.nextPacketId = id === 65535 ? 1 : id + 1;
    return id;
  }

  private onAck(type: number, id: number, reason: number): void {
    if (!this.inUse || !this.inUse[id]) return;
    if (this.ctx.plan.qos === 2 && type === 5 && reason < 0x80) {
      this.client.queueAck(PUBREL, id);
      return;
    }
    const finishes = this.ctx.plan.qos === 1 ? type === 4 : type === 7 || type === 5;
    if (!finishes) return;
    this.inUse[id] = 0;
    this.inflight--;
    if (reason >= 0x80) this.rejected++;
    else this.acked++;
    if (this.chunkNowUs < 0) {
      const [s, ns] = monotonicNow();
      this.chunkNowUs = s * 1e6 + ns / 1e3;
    }
    this.ctx.latency.record(this.chunkNowUs - this.sentAtUs![id]!);
    if (!this.running) this.checkDone();
  }

  private checkDone(): void {
    if (this.done || this.running) return;
    if (this.writesPending > 0 && !this.client.closed) return;
    if (this.inflight > 0 && !this.client.closed) return;
    this.done = true;
    this.ctx.onDone(this);
  }
}
