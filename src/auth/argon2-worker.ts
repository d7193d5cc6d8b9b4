import { computeArgon2id, type Argon2Job } from './argon2-compute.js';
import { startedAsWorkerThread } from '../core/runtime/worker-script.js';

/** The workerData key that tells a thread running our bundle that it hashes argon2id. */
export const ARGON2_WORKER_MARK = 'mqttArgon2Worker';

export interface Argon2Request {
  id: number;
  job: Argon2Job;
}

export type Argon2Reply = { id: number; hash: Uint8Array } | { id: number; error: string };

/** Answers one request at a time, in order: a second 46 MiB memory area would buy nothing. */
async function serveArgon2(): Promise<void> {
  const { isMainThread, parentPort, workerData } = await import('node:worker_threads');
  if (isMainThread || !parentPort || !(workerData as Record<string, unknown> | null)?.[ARGON2_WORKER_MARK]) return;
  const port = parentPort;
  let chain = Promise.resolve();
  port.on('message', (req: Argon2Request) => {
    chain = chain.then(async () => {
      try {
        const hash = await computeArgon2id(req.job);
        port.postMessage({ id: req.id, hash } satisfies Argon2Reply);
      } catch (err) {
        port.postMessage({ id: req.id, error: err instanceof Error ? err.message : String(err) } satisfies Argon2Reply);
      }
    });
  });
}

// Deliberately top-level, as bench/worker-entry.ts: the worker runs the very bundle the CLI runs
// from, and acts only inside a thread started with this mark.
if (startedAsWorkerThread()) void serveArgon2();
