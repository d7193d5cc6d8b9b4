import type net from 'node:net';
import type { Duplex } from 'node:stream';
import { WebSocketServer, createWebSocketStream } from 'ws';

/**
 * MQTT over WebSocket on an HTTP(S) server: any path, subprotocol "mqtt" (or "mqttv3.1"),
 * binary frames; each upgraded socket becomes a plain Duplex for the broker. `noDelay` false
 * (set_tcp_nodelay false): ws turns TCP_NODELAY on for every socket it upgrades, so it is turned
 * off again.
 */
export function attachWebSocket(server: net.Server, accept: (stream: Duplex, socket: net.Socket) => void, noDelay = true): () => void {
  const wss = new WebSocketServer({
    server: server as import('node:http').Server,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has('mqtt') ? 'mqtt' : protocols.has('mqttv3.1') ? 'mqttv3.1' : false),
  });
  wss.on('connection', (ws, req) => {
    if (!noDelay) req.socket.setNoDelay(false);
    const stream = createWebSocketStream(ws);
    stream.on('error', () => stream.destroy());
    accept(stream, req.socket);
  });
  return () => wss.close();
}
