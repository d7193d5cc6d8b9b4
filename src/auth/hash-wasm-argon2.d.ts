// hash-wasm's argon2-only build (30 KB; its index would bundle every hash it has, 270 KB)
declare module 'hash-wasm/dist/argon2.umd.min.js' {
  import type { argon2id } from 'hash-wasm';
  const argon2: { argon2id: typeof argon2id };
  export default argon2;
}
