import type { BenchTarget } from './plan.js';

/** The broker address as a URL for reports (never with the password). */
export function targetUrl(t: BenchTarget): string {
  const e = t.endpoint;
  if (e.scheme === 'unix') return `unix://${e.path ?? e.host}`;
  const host = e.host.includes(':') ? `[${e.host}]` : e.host;
  const path = e.scheme === 'ws' || e.scheme === 'wss' ? (e.path ?? t.wsPath ?? '/mqtt') : '';
  const user = t.username !== undefined ? `${encodeURIComponent(t.username)}@` : '';
  return `${e.scheme}://${user}${host}:${e.port}${path}`;
}
