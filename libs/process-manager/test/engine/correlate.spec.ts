import { describe, expect, it } from '@jest/globals';
import { CorrelationFailedError, MissingCorrelationValueError } from 'nestjs-process-manager';
import { correlate } from '../../src/engine/process-engine.js';
import { route } from '../support/fixtures/engine.js';

const byOrderId = route(() => undefined);

describe('correlate()', () => {
  it('reads the correlation value of an event as a string', () => {
    expect(correlate(byOrderId, { orderId: 'o-1' })).toBe('o-1');
    expect(correlate(byOrderId, { orderId: 7 })).toBe('7');
  });

  it.each([undefined, null, ''])(
    'rejects an event whose value is %p with MissingCorrelationValueError',
    (value) => {
      const call = () => correlate(byOrderId, { orderId: value });
      expect(call).toThrow(MissingCorrelationValueError);
      expect(call).toThrow(/OrderPlaced has no value for orderId.*"order"/);
    },
  );

  it('wraps a correlate function that throws in CorrelationFailedError, keeping the cause', () => {
    const boom = new Error('no customer');
    const throwing = route(() => undefined, {
      correlateBy: 'correlate()',
      correlate: () => {
        throw boom;
      },
    });
    let caught: unknown;
    try {
      correlate(throwing, { orderId: 'o-1' });
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(CorrelationFailedError);
    expect(caught).toMatchObject({ processName: 'order', messageType: 'OrderPlaced', cause: boom });
    expect((caught as Error).message).toContain('no customer');
  });

  it('rejects a correlate function that returns undefined with MissingCorrelationValueError', () => {
    const empty = route(() => undefined, { correlateBy: 'correlate()', correlate: () => undefined });
    expect(() => correlate(empty, { orderId: 'o-1' })).toThrow(MissingCorrelationValueError);
  });
});
