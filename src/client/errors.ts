/** The connection attempt failed: transport, refusal by CONNACK, or a protocol problem. */
export class ConnectError extends Error {
  constructor(
    message: string,
    /** 'lost': the server closed or reset the connection before CONNACK */
    readonly kind: 'transport' | 'refused' | 'protocol' | 'timeout' | 'lost',
    /** CONNACK return code (3.1.1) or reason code (5) when refused */
    readonly code = 0,
  ) {
    super(message);
    this.name = 'ConnectError';
  }
}

/** The connection went away while work was outstanding. */
export class ConnectionLostError extends Error {
  constructor(
    message = 'The connection was lost.',
    /** v5 DISCONNECT reason code sent by the server, if any */
    readonly reasonCode?: number,
  ) {
    super(message);
    this.name = 'ConnectionLostError';
  }
}

/**
 * A PUBLISH at a QoS above the server's Maximum QoS (v5 CONNACK), refused before anything is
 * sent [MQTT-3.2.2-11], as libmosquitto's mosquitto_publish() returns MOSQ_ERR_QOS_NOT_SUPPORTED
 * (the message is mosquitto_strerror()'s).
 */
export class QosNotSupportedError extends Error {
  constructor(
    readonly qos: number,
    readonly maximumQoS: number,
  ) {
    super('Requested QoS not supported on server.');
    this.name = 'QosNotSupportedError';
  }
}
