import type { ISubackPacket, IUnsubackPacket } from 'mqtt-packet';
import type { PendingAck } from '../client-session.js';
import type { ClientContext } from './context.js';

function settle<T>(ctx: ClientContext, map: Map<number, PendingAck<T>>, id: number, packet: T): void {
  const pending = map.get(id);
  if (!pending) return;
  map.delete(id);
  ctx.session.ids.release(id);
  pending.resolve(packet);
}

/** SUBACK: the caller hears of it first (synchronously), then subscribe() resolves. */
export function handleSuback(ctx: ClientContext, packet: ISubackPacket): void {
  ctx.onSuback(packet);
  settle(ctx, ctx.session.subacks, packet.messageId!, packet);
}

export function handleUnsuback(ctx: ClientContext, packet: IUnsubackPacket): void {
  settle(ctx, ctx.session.unsubacks, packet.messageId!, packet);
}
