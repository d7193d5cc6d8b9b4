// The entries of the worker threads we start on the CLI's own bundle (bench lanes, argon2id
// hashing). Loaded by main.ts only inside such a thread: each checks its workerData mark and
// serves; the CLI's main thread never loads them.
import '../bench/worker-entry.js';
import '../auth/argon2-worker.js';
