import hashWasmArgon2 from 'hash-wasm/dist/argon2.umd.min.js';

/** One argon2id computation: everything the raw hash depends on (version is always 0x13). */
export interface Argon2Job {
  password: Uint8Array;
  salt: Uint8Array;
  /** t: passes over memory */
  iterations: number;
  /** m: KiB */
  memoryKiB: number;
  /** p: lanes */
  parallelism: number;
  hashLength: number;
}

/**
 * The raw argon2id output, computed by hash-wasm (WebAssembly, so no second native binding and
 * nothing to extract in the single executable). The computation itself is synchronous inside
 * WebAssembly whatever the promise says: call it from a worker thread (argon2.ts does), never
 * from a thread that serves connections.
 */
export async function computeArgon2id(job: Argon2Job): Promise<Uint8Array> {
  return hashWasmArgon2.argon2id({
    password: job.password,
    salt: job.salt,
    iterations: job.iterations,
    memorySize: job.memoryKiB,
    parallelism: job.parallelism,
    hashLength: job.hashLength,
    outputType: 'binary',
  });
}
