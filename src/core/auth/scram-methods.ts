/**
 * The SCRAM method names and their digests, apart from the maths in scram.ts: option parsing
 * needs only these, and importing scram.ts would load node:crypto into every `mqtt pub` start-up.
 */
export type ScramMethod = 'SCRAM-SHA-256' | 'SCRAM-SHA-512';
export type ScramDigest = 'sha256' | 'sha512';

export const SCRAM_METHODS: Record<ScramMethod, ScramDigest> = { 'SCRAM-SHA-256': 'sha256', 'SCRAM-SHA-512': 'sha512' };

export function scramDigest(method: string | undefined): ScramDigest | undefined {
  return method !== undefined && Object.hasOwn(SCRAM_METHODS, method) ? SCRAM_METHODS[method as ScramMethod] : undefined;
}
