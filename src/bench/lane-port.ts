import { Worker } from 'node:worker_threads';
import type { FromLane, LaneInit, LanePort, ToLane } from './lane-protocol.js';
import { LANE_WORKER_MARK } from './worker-entry.js';

/** The asset name a single executable must embed the bundle under for bench workers. */
export const SEA_BUNDLE_ASSET = 'mqtt.cjs';

export interface WorkerScript {
  /** a file name, or JavaScript source when `evaluate` */
  source: string;
  evaluate: boolean;
}

/**
 * Where worker threads get their code. Bench lanes run the same bundle as the CLI, started with
 * a workerData mark that worker-entry.ts checks on load, so there is no second entry point to
 * build, ship or keep in step:
 *  - from dist/mqtt.cjs, `__filename` (the CommonJS bundle itself) is the worker's file;
 *  - in a Node single executable there is no bundle file and `require` loads built-ins only, so
 *    the packager embeds dist/mqtt.cjs as the asset "mqtt.cjs" and the worker evaluates its text;
 *  - from the TypeScript sources (unit tests), neither exists: lanes run in the main thread.
 */
export async function workerScript(): Promise<WorkerScript | undefined> {
  try {
    const sea = await import('node:sea');
    if (sea.isSea()) return { source: sea.getAsset(SEA_BUNDLE_ASSET, 'utf8'), evaluate: true };
  } catch {
    // not a single executable, a Node without node:sea, or no bundle asset: try the file
  }
  if (typeof __filename === 'string' && /\.c?js$/.test(__filename)) return { source: __filename, evaluate: false };
  return undefined;
}

export class WorkerLanePort implements LanePort {
  private readonly worker: Worker;
  private listener: (msg: FromLane) => void = () => {};
  private exited = false;

  constructor(script: WorkerScript, init: LaneInit) {
    this.worker = new Worker(script.source, { eval: script.evaluate, workerData: { [LANE_WORKER_MARK]: true, init } });
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
