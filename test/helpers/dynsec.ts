import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';

/**
 * Mosquitto's dynamic security plugin, wherever the distribution put it (Debian:
 * /usr/lib/<arch>/mosquitto_dynamic_security.so); undefined when it is not installed.
 */
export function dynsecPlugin(): string | undefined {
  return ['/usr/lib', '/usr/local/lib', '/usr/lib64']
    .flatMap((dir) => {
      try {
        return [dir, ...readdirSync(dir, { withFileTypes: true }).filter((e) => e.isDirectory()).map((e) => path.join(dir, e.name))];
      } catch {
        return [];
      }
    })
    .map((dir) => path.join(dir, 'mosquitto_dynamic_security.so'))
    .find((file) => existsSync(file));
}
