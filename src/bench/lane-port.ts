import { Worker } from 'node:worker_threads';
import type { FromLane, LaneInit, LanePort, ToLane } from './lane-protocol.js';
import { LANE_WORKER_MARK } from './worker-entry.js';
import { WORKER_THREAD_ARG, type WorkerScript } from '../core/runtime/worker-script.js';

export { SEA_BUNDLE_ASSET, workerScript, type WorkerScript } from '../core/runtime/worker-script.js';

export class WorkerLanePort implements LanePort {
  private readonly worker: Worker;
  private listener: (msg: FromLane) => void = () => {};
  private exited = false;

  constructor(script: WorkerScript, init: LaneInit) {
    this.worker = new Worker(script.source, {
      eval: script.evaluate,
      argv: [WORKER_THREAD_ARG],
      workerData: { [LANE_WORKER_MARK]: true, init },
    });
    this.worker.on('message', (msg: FromLane) => this.listener(msg));
    this.worker.on('error', (err) => this.listener({ type: 'fatal', message: err.message }));
    this.worker.on('exit', (code) => {
      this.exited = true;
      if (code !== 0) this.listener({ type: 'fatal', message: `bench worker exited with code ${code}` });
    });
  }

  send(msg: ToLane): void {
    if (!this.exited) this.worker.postMessage(msg);
  }

  onMessage(fn: (msg: FromLane) => void): void {
    this.listener = fn;
  }

  async kill(): Promise<void> {
    this.listener = () => {};
    if (!this.exited) await this.worker.terminate();
  }
}

/** A lane on the main thread, behind the same asynchronous interface as a worker. */
export class ThreadLanePort implements LanePort {
  private listener: (msg: FromLane) => void = () => {};
  private lane: { handle(msg: ToLane): void } | undefined;
  private readonly queued: ToLane[] = [];

  constructor(init: LaneInit) {
    void import('./lane.js').then(({ Lane }) => {
      const lane = new Lane(init, (msg) => queueMicrotask(() => this.listener(msg)));
      this.lane = lane;
      for (const msg of this.queued.splice(0)) lane.handle(msg);
      lane.start().catch((err: unknown) => this.listener({ type: 'fatal', message: (err as Error).message }));
    });
  }

  send(msg: ToLane): void {
    if (this.lane) queueMicrotask(() => this.lane!.handle(msg));
    else this.queued.push(msg);
  }

  onMessage(fn: (msg: FromLane) => void): void {
    this.listener = fn;
  }

  async kill(): Promise<void> {
    this.listener = () => {};
  }
}
