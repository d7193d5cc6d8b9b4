import type { IPublishPacket } from 'mqtt-packet';
import { MqttClient } from '../../src/client/mqtt-client.js';
import { testClientConfig } from './client-config.js';

export interface Responder {
  /** requests seen, in order */
  requests: IPublishPacket[];
  stop(): Promise<void>;
}

/**
 * An MQTT v5 responder for `rr` tests: subscribed to `filter`, it answers every request on its
 * response-topic property (or, for a 3.1.1 request without one, on the request topic with its
 * first level `rq` replaced by `rs`) with "pong:<request payload>", QoS 1, carrying the request's
 * correlation data, a content type and two user properties (who=responder, qos=<request QoS>).
 */
export async function startResponder(port: number, filter = 'rq/#'): Promise<Responder> {
  const client = new MqttClient(testClientConfig(port, 5));
  await client.connect();
  const requests: IPublishPacket[] = [];
  client.on('message', (req) => {
    requests.push(req);
    const topic = (req.properties?.responseTopic as string | undefined) ?? req.topic.replace(/^rq\//, 'rs/');
    const properties: Record<string, unknown> = { contentType: 'text/plain', userProperties: { who: 'responder', qos: String(req.qos) } };
    if (req.properties?.correlationData) properties.correlationData = req.properties.correlationData;
    const payload = Buffer.concat([Buffer.from('pong:'), req.payload as Buffer]);
    void client.publish(topic, payload, { qos: 1, retain: false, properties }).catch(() => {});
  });
  await client.subscribe([{ topic: filter, qos: 1 }]);
  return {
    requests,
    async stop() {
      await client.disconnect();
    },
  };
}
