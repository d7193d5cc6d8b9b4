declare const __MQTT_VERSION__: string;
/** The package version, put in by the bundler (a plain tsx/vitest run has no define: 0.0.0-dev). */
export const VERSION = typeof __MQTT_VERSION__ === 'string' ? __MQTT_VERSION__ : '0.0.0-dev';
