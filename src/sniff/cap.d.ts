// The optional libpcap binding has no types of its own; this is the part live-capture.ts uses.
declare module 'cap' {
  import { EventEmitter } from 'node:events';
  export class Cap extends EventEmitter {
    open(device: string, filter: string, bufSize: number, buffer: Buffer): string;
    close(): void;
    setMinBytes?(n: number): void;
    static deviceList(): Array<{ name: string; description?: string; addresses: Array<{ addr: string }> }>;
    static findDevice(ip?: string): string | undefined;
  }
}
