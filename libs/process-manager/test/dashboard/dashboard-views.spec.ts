import { describe, expect, it } from '@jest/globals';
import type { ProcessHistoryEntry, ProcessInstance } from 'nestjs-process-manager';
import { summaryOf } from '../../src/dashboard/dashboard-views.js';

const instance = (overrides: Partial<ProcessInstance>): ProcessInstance => ({
  id: '6b1f0c3e-0000-4000-8000-000000000001',
  type: 'order-fulfilment',
  correlationKey: 'o-1',
  status: 'failed',
  state: { data: { big: 'x'.repeat(1000) } },
  version: 7,
  startedAt: new Date(0),
  updatedAt: new Date(0),
  ...overrides,
});

const failedEvent = (requiresIntervention: boolean): ProcessHistoryEntry => ({
  seq: 7,
  processId: '6b1f0c3e-0000-4000-8000-000000000001',
  messageType: 'PaymentDeclined',
  messageId: 'm-7',
  outcome: 'handled',
  status: 'failed',
  commands: [{ kind: 'event', type: 'ProcessManager.ProcessFailed', payload: { requiresIntervention } }],
  at: new Date(0),
});

describe('the summary of an instance (list rows)', () => {
  it('has no state', () => {
    expect(summaryOf(instance({ status: 'running' }))).not.toHaveProperty('state');
  });

  it('tells a clean compensation from a failure that needs a human', () => {
    expect(summaryOf(instance({ stateName: 'compensated' })).failureKind).toBe('compensated');
    expect(summaryOf(instance({ stateName: 'compensation_failed' })).failureKind).toBe('needs-intervention');
    expect(summaryOf(instance({ stateName: 'declined' })).failureKind).toBe('failed');
    expect(summaryOf(instance({ stateName: 'x' }), [failedEvent(true)]).failureKind).toBe(
      'needs-intervention',
    );
    expect(summaryOf(instance({ stateName: 'compensated' }), [failedEvent(false)]).failureKind).toBe(
      'compensated',
    );
    expect(summaryOf(instance({ status: 'completed', stateName: 'compensated' }))).not.toHaveProperty(
      'failureKind',
    );
  });
});
