// What every single-executable check needs, with no imports: src/cli/main.ts loads this on every start.

/** Set in the environment of the single executable run as its own persistence store check (src/broker/persistence/file-check.ts). */
export const SEA_STORE_CHECK_ENV = 'MQTT_INTERNAL_STORE_CHECK';

/** node:sea when this process is a single executable; undefined otherwise (or in a Node without node:sea). */
export async function seaModule(): Promise<typeof import('node:sea') | undefined> {
  try {
    const sea = await import('node:sea');
    return sea.isSea() ? sea : undefined;
  } catch {
    return undefined;
  }
}
