// The health indicator judges the RabbitMQ transport's link, which the broker itself cuts here: its
// connections closed and new ones refused by `rabbitmqctl` on a vhost of this spec's own.
import { afterAll, afterEach, beforeAll, describe, expect, it } from '@jest/globals';
import type { TestingModule } from '@nestjs/testing';
import { ProcessManagerHealthIndicator } from 'nestjs-process-manager';
import { RabbitMqTransport } from 'nestjs-process-manager/rabbitmq';
import { VirtualClock } from 'nestjs-process-manager/testing';
import { createTestDatabase, type TestDatabase } from '../support/database.js';
import { waitFor } from '../support/wait-for.js';
import { connected, createServiceApp, useVirtualHost } from './broker.js';

class StockCounted {
  constructor(readonly sku: string) {}
}

describe('ProcessManagerHealthIndicator with the RabbitMQ transport (real broker, PostgreSQL)', () => {
  const vhost = useVirtualHost();
  let db: TestDatabase;
  const open: TestingModule[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterEach(async () => {
    await Promise.all(open.splice(0).map((app) => app.close()));
    await vhost.acceptConnections();
  });
  afterAll(async () => {
    await db.drop();
  });

  const boot = async (clock: VirtualClock) => {
    const app = await createServiceApp({
      url: db.url,
      providers: [],
      clock,
      quiet: true,
      transport: {
        url: vhost.url,
        exchange: 'health-spec', // the exchange and queue live in the spec's vhost, deleted with it
        queue: 'health-spec.stock',
        publish: [StockCounted],
        subscribe: [StockCounted],
        reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      },
    });
    open.push(app);
    return { app, transport: app.get(RabbitMqTransport), indicator: app.get(ProcessManagerHealthIndicator) };
  };

  const figures = { outboxLagSeconds: 0, timerLagSeconds: 0, openDeadLetters: 0 };
  const endpoint = vhost.url.replace('guest:guest@', '***@');

  it('is up while connected, down once the broker closed the link for longer than the grace, up after the reconnect', async () => {
    const clock = new VirtualClock();
    const { app, transport, indicator } = await boot(clock);
    await connected(app);
    expect(await indicator.isHealthy()).toEqual({
      processManager: {
        status: 'up',
        ...figures,
        transport: { name: 'rabbitmq', connected: true },
        problems: [],
      },
    });

    await vhost.refuseConnections();
    await vhost.closeConnections('maintenance (health spec)');
    await waitFor(() => !transport.isConnected(), 'the transport to see its connection closed');
    const down = { name: 'rabbitmq', connected: false };

    // Within the grace (5 s by default) a lost link is reported, not judged: reconnecting is normal.
    expect(await indicator.isHealthy()).toEqual({
      processManager: {
        status: 'up',
        ...figures,
        transport: { ...down, disconnectedSeconds: 0 },
        problems: [],
      },
    });
    expect(await indicator.isHealthy('pm', { transportOutage: 0 })).toEqual({
      pm: {
        status: 'down',
        ...figures,
        transport: { ...down, disconnectedSeconds: 0 },
        problems: [`rabbitmq (${endpoint}) disconnected for 0 s ≥ 0 s`],
      },
    });
    clock.advance('7s');
    expect(await indicator.isHealthy()).toEqual({
      processManager: {
        status: 'down',
        ...figures,
        transport: { ...down, disconnectedSeconds: 7 },
        problems: [`rabbitmq (${endpoint}) disconnected for 7 s ≥ 5 s`],
      },
    });
    expect(await indicator.isHealthy('pm', { transportOutage: false })).toMatchObject({
      pm: { status: 'up', transport: { ...down, disconnectedSeconds: 7 } },
    });
    // Still refused by the broker: the transport keeps trying, the check stays down.
    clock.advance('60s');
    expect(transport.isConnected()).toBe(false);
    expect(await indicator.isHealthy()).toMatchObject({
      processManager: { status: 'down', transport: { ...down, disconnectedSeconds: 67 } },
    });

    await vhost.acceptConnections();
    await waitFor(() => transport.isConnected(), 'the transport reconnected', 20_000);
    expect(await indicator.isHealthy()).toEqual({
      processManager: {
        status: 'up',
        ...figures,
        transport: { name: 'rabbitmq', connected: true },
        problems: [],
      },
    });
  }, 60_000);

  it('counts the outage from boot when the broker refuses the first connection', async () => {
    await vhost.refuseConnections();
    const clock = new VirtualClock();
    const { app, indicator } = await boot(clock);
    clock.advance('30s');

    expect(await indicator.isHealthy()).toMatchObject({
      processManager: {
        status: 'down',
        transport: { name: 'rabbitmq', connected: false, disconnectedSeconds: 30 },
        problems: [`rabbitmq (${endpoint}) disconnected for 30 s ≥ 5 s`],
      },
    });
    await vhost.acceptConnections();
    await connected(app);
    expect(await indicator.isHealthy()).toMatchObject({
      processManager: { status: 'up', transport: { name: 'rabbitmq', connected: true } },
    });
  }, 60_000);
});
