// Boots on DATABASE_URL, publishes one event, waits for both commands (the second one comes from a
// durable timer), and prints what happened as one JSON line; exits non-zero on any failure.
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { EventBus } from '@nestjs/cqrs';
import { ProcessManagerService } from 'nestjs-process-manager';
import * as dashboard from 'nestjs-process-manager/dashboard';
import * as rabbitmq from 'nestjs-process-manager/rabbitmq';
import { ProcessTestFixture } from 'nestjs-process-manager/testing';
import { AppModule } from './app.module.js';
import { HandledCommands } from './parcel.handlers.js';
import { ParcelBooked, PrintLabel, SendCourier } from './parcel.messages.js';
import { ParcelProcess } from './parcel.process.js';

const url = process.env.DATABASE_URL;
if (!url) throw new Error('DATABASE_URL is not set');

// The testing entry: the same process class on the in-memory store with virtual time.
const fixture = await ProcessTestFixture.create(ParcelProcess);
await fixture.given(new ParcelBooked('unit-1'));
fixture.expectCommands(new PrintLabel('unit-1'));
await fixture.advanceTime(200);
fixture.expectCommands(new SendCourier('unit-1'));
await fixture.expectStatus('completed');
await fixture.close();

const app = await NestFactory.createApplicationContext(AppModule.forDatabase(url), {
  logger: ['error', 'warn'],
});
const started = Date.now();
app.get(EventBus).publish(new ParcelBooked('p-1'));

const handled = app.get(HandledCommands);
while (!handled.log.includes('SendCourier p-1')) {
  if (Date.now() - started > 20_000) throw new Error(`timed out; commands so far: ${handled.log.join(', ')}`);
  await new Promise((resolve) => setTimeout(resolve, 20));
}
const completed = await app.get(ProcessManagerService).list({ type: 'parcel', status: 'completed' });
await app.close();

console.log(
  JSON.stringify({
    commands: handled.log,
    completed: completed.items.map((instance) => instance.correlationKey),
    elapsedMs: Date.now() - started,
    entries: { dashboard: Object.keys(dashboard), rabbitmq: Object.keys(rabbitmq), testing: 'ok' },
  }),
);
