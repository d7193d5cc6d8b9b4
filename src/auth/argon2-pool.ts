import { Worker } from 'node:worker_threads';
import { WORKER_THREAD_ARG, workerScript, type WorkerScript } from '../core/runtime/worker-script.js';
import { computeArgon2id, type Argon2Job } from './argon2-compute.js';
import { ARGON2_WORKER_MARK, type Argon2Reply, type Argon2Request } from './argon2-worker.js';

/** A worker left without work this long ends, giving its hashing memory back. */
const IDLE_MS = 10_000;

interface Pending {
  resolve(hash: Uint8Array): void;
  reject(err: Error): void;
}

/**
 * One worker thread that computes argon2id, so a 100 ms hash never stalls the thread serving
 * connections. Started on first use, ended when idle; it keeps the process alive only while it
 * has work. Without a bundle to start a worker from (unit tests run the TypeScript sources) the
 * work runs in this thread.
 */
class Argon2Pool {
  private worker: Worker | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private idle: NodeJS.Timeout | undefined;
  private script: Promise<WorkerScript | undefined> | undefined;

  /** For tests: the script workers run (dist/mqtt.cjs), or null for this thread. */
  useScript(script: WorkerScript | null): void {
    this.script = Promise.resolve(script ?? undefined);
  }

  async compute(job: Argon2Job): Promise<Uint8Array> {
    const script = await (this.script ??= workerScript());
    if (!script) return computeArgon2id(job);
    const worker = this.startWorker(script);
    const id = this.nextId++;
    return new Promise<Uint8Array>((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      clearTimeout(this.idle);
      worker.ref();
      worker.postMessage({ id, job } satisfies Argon2Request);
    });
  }

  private startWorker(script: WorkerScript): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(script.source, { eval: script.evaluate, argv: [WORKER_THREAD_ARG], workerData: { [ARGON2_WORKER_MARK]: true } });
    worker.on('message', (reply: Argon2Reply) => this.settle(reply));
    worker.on('error', (err) => this.fail(worker, err));
    worker.on('exit', (code) => this.fail(worker, new Error(`argon2 worker exited with code ${code}`)));
    this.worker = worker;
    return worker;
  }

  private settle(reply: Argon2Reply): void {
    const p = this.pending.get(reply.id);
    if (!p) return;
    this.pending.delete(reply.id);
    if ('error' in reply) p.reject(new Error(`argon2id: ${reply.error}`));
    else p.resolve(reply.hash);
    if (this.pending.size === 0 && this.worker) {
      // nothing in flight: let the process end, and end the worker after a while
      this.worker.unref();
      const worker = this.worker;
      this.idle = setTimeout(() => {
        if (this.worker === worker && this.pending.size === 0) {
          this.worker = undefined;
          void worker.terminate();
        }
      }, IDLE_MS).unref();
    }
  }

  /** A worker that died fails what it had; the next request starts a new one. */
  private fail(worker: Worker, err: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }
}

export const argon2Pool = new Argon2Pool();
