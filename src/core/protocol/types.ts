/** MQTT protocol level on the wire: 3 = 3.1 (MQIsdp), 4 = 3.1.1, 5 = 5.0. */
export type ProtocolVersion = 3 | 4 | 5;

export type QoS = 0 | 1 | 2;

/** v5 properties in mqtt-packet's shape (camelCase keys, userProperties as a record of string|string[]). */
export type Properties = Record<string, unknown>;
