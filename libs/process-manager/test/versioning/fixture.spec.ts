import { afterEach, describe, expect, it } from '@jest/globals';
import { ProcessTestFixture } from 'nestjs-process-manager/testing';
import { CounterBumped, CounterThawed, counterV2, ReportCount, ReportCountHandler } from './counters.js';

describe('ProcessTestFixture.givenState(): an instance an older version wrote', () => {
  let fixture: ProcessTestFixture | undefined;
  afterEach(async () => {
    await fixture?.close();
  });

  it('runs the migrations from the given version before the handler', async () => {
    fixture = await ProcessTestFixture.create(counterV2(), { providers: [ReportCountHandler] });
    await fixture.givenState('c-1', { count: 7 }, { version: 1, stateName: 'open' });
    await fixture.when(new CounterBumped('c-1', 2));

    fixture.expectCommands(new ReportCount('c-1', 9));
    await fixture.expectState({ total: 9, bumps: 1 });
    expect((await fixture.instance('c-1')).stateVersion).toBe(2);
  });

  it('starts from the current version by default, in the named state given', async () => {
    fixture = await ProcessTestFixture.create(counterV2(), { providers: [ReportCountHandler] });
    await fixture.givenState('c-2', { total: 1, bumps: 1 }, { stateName: 'frozen' });
    await fixture.when(new CounterThawed('c-2'));

    await fixture.expectStateName('open');
    await fixture.expectState({ total: 1, bumps: 1 });
  });
});
