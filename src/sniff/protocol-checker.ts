import type { SniffEvent } from './sniff-events.js';

/** Placeholder until the rules land. */
export class ProtocolChecker {
  constructor(private readonly emit: (ev: SniffEvent) => void) {}
  observe(_ev: SniffEvent): void {}
  finish(): void {
    void this.emit;
  }
}
