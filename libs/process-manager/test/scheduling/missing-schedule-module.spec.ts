import { describe, expect, it } from '@jest/globals';
import { Module } from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { ScheduleModule, SchedulerRegistry } from '@nestjs/schedule';
import { Test } from '@nestjs/testing';
import {
  MissingDependencyModuleError,
  ProcessManagerModule,
  type ProcessManagerModuleOptions,
} from 'nestjs-process-manager';
import { OrderProcess } from '../support/fixtures/orders.js';

const ALL_OFF: ProcessManagerModuleOptions = {
  timers: { enabled: false },
  outbox: { enabled: false },
  recovery: { enabled: false },
  retention: { enabled: false },
};

async function boot(options: ProcessManagerModuleOptions, schedule: boolean) {
  @Module({
    imports: [
      CqrsModule.forRoot(),
      ...(schedule ? [ScheduleModule.forRoot()] : []),
      ProcessManagerModule.forRoot({ ...options, store: 'memory' }),
    ],
    providers: [OrderProcess],
  })
  class AppModule {}
  const app = await Test.createTestingModule({ imports: [AppModule] }).compile();
  app.useLogger(false);
  try {
    await app.init();
    return schedule ? app.get(SchedulerRegistry).getIntervals().sort() : [];
  } finally {
    await app.close();
  }
}

describe('ScheduleModule.forRoot() and the periodic jobs', () => {
  it.each<[string, ProcessManagerModuleOptions, string]>([
    ['every job', {}, 'pm:(timer-poll|outbox-relay|recovery|retention)'],
    ['only the relay', { ...ALL_OFF, outbox: { enabled: true } }, 'pm:outbox-relay'],
    ['only recovery', { ...ALL_OFF, recovery: { enabled: true } }, 'pm:recovery'],
    ['only retention', { ...ALL_OFF, retention: { enabled: true } }, 'pm:retention'],
  ])(
    'fails boot naming ScheduleModule.forRoot() when it is missing and %s is on',
    async (_jobs, options, job) => {
      const booted = boot(options, false);
      await expect(booted).rejects.toThrow(MissingDependencyModuleError);
      await expect(booted).rejects.toThrow(/import ScheduleModule\.forRoot\(\) in your root module/);
      await expect(booted).rejects.toThrow(new RegExp(job));
    },
  );

  it('boots without ScheduleModule when every job is switched off', async () => {
    await expect(boot(ALL_OFF, false)).resolves.toEqual([]);
  });

  it('boots with ScheduleModule and registers every enabled job', async () => {
    await expect(boot({}, true)).resolves.toEqual([
      'pm:outbox-relay',
      'pm:recovery',
      'pm:retention',
      'pm:timer-poll',
    ]);
  });
});
