import type { Type } from '@nestjs/common';
import { InvalidRabbitMqOptionsError } from './rabbitmq.errors.js';

export interface RabbitMqTransportOptions {
  /** e.g. `amqp://guest:guest@127.0.0.1:5672`. */
  url: string;
  /** Durable topic exchange the services share; default 'nestjs-process-manager'. */
  exchange?: string;
  /** This service's durable queue. */
  queue: string;
  /** Message classes that leave this service over the broker (routing key: their type name). */
  publish?: Type[];
  /** Message classes this service consumes from the broker (its queue is bound to their names). */
  subscribe?: Type[];
  /** Unacked deliveries at a time; default 32. */
  prefetch?: number;
  /** Wait before a delivery that could not even be recorded is requeued; default 1000 ms. */
  requeueDelayMs?: number;
  /** Reconnect backoff: first and longest wait; defaults 200 ms and 10 000 ms. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long shutdown waits for the deliveries in flight before closing; default 5000 ms. */
  shutdownTimeoutMs?: number;
}

export type ResolvedRabbitMqTransportOptions = Required<Omit<RabbitMqTransportOptions, 'reconnect'>> & {
  reconnect: { initialDelayMs: number; maxDelayMs: number };
};

export const RABBITMQ_TRANSPORT_OPTIONS = Symbol('RABBITMQ_TRANSPORT_OPTIONS');

export function resolveRabbitMqOptions(options: RabbitMqTransportOptions): ResolvedRabbitMqTransportOptions {
  for (const key of ['url', 'queue'] as const)
    if (typeof options[key] !== 'string' || options[key].length === 0)
      throw new InvalidRabbitMqOptionsError(key, 'must be a non-empty string');
  if (options.exchange !== undefined && (typeof options.exchange !== 'string' || !options.exchange))
    throw new InvalidRabbitMqOptionsError('exchange', 'must be a non-empty string when given');
  for (const key of ['publish', 'subscribe'] as const) {
    const types = options[key] ?? [];
    if (!Array.isArray(types) || types.some((type) => typeof type !== 'function'))
      throw new InvalidRabbitMqOptionsError(key, 'must be an array of message classes');
  }
  const prefetch = options.prefetch ?? 32;
  if (!Number.isInteger(prefetch) || prefetch < 1 || prefetch > 65535)
    throw new InvalidRabbitMqOptionsError('prefetch', `must be an integer from 1 to 65535, got ${prefetch}`);
  return {
    url: options.url,
    exchange: options.exchange ?? 'nestjs-process-manager',
    queue: options.queue,
    publish: options.publish ?? [],
    subscribe: options.subscribe ?? [],
    prefetch,
    requeueDelayMs: options.requeueDelayMs ?? 1000,
    reconnect: {
      initialDelayMs: options.reconnect?.initialDelayMs ?? 200,
      maxDelayMs: options.reconnect?.maxDelayMs ?? 10_000,
    },
    shutdownTimeoutMs: options.shutdownTimeoutMs ?? 5000,
  };
}
