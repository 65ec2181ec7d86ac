import { describe, expect, it } from '@jest/globals';
import { UnhandledExceptionBus } from '@nestjs/cqrs';
import { getMetadata, mapCaused, withMetadata } from 'nestjs-process-manager';
import { Subject } from 'rxjs';

class OrderShipped {
  constructor(readonly orderId: string) {}
}
class NotifyCustomer {
  constructor(readonly orderId: string) {}
}

describe('mapCaused', () => {
  it('carries correlation and causation from each event to the commands it causes', () => {
    const events$ = new Subject<OrderShipped>();
    const commands: NotifyCustomer[] = [];
    events$.pipe(mapCaused((event) => new NotifyCustomer(event.orderId))).subscribe((c) => commands.push(c));
    events$.next(
      withMetadata(new OrderShipped('o-1'), {
        messageId: 'm-1',
        correlationId: 'p-1',
        occurredAt: new Date(),
      }),
    );
    expect(getMetadata(commands[0]!)).toMatchObject({ causationId: 'm-1', correlationId: 'p-1' });
    expect(getMetadata(commands[0]!)?.messageId).not.toBe('m-1');
  });

  it('reports a failing event and keeps the stream alive for the next ones', () => {
    const events$ = new Subject<OrderShipped>();
    const unhandled = new UnhandledExceptionBus();
    const reported: unknown[] = [];
    unhandled.subscribe((info) => reported.push(info.exception));
    const commands: NotifyCustomer[] = [];
    let completed = false;
    events$
      .pipe(
        mapCaused(
          (event) => {
            if (event.orderId === 'bad') throw new Error('template missing');
            return new NotifyCustomer(event.orderId);
          },
          { unhandledExceptionBus: unhandled },
        ),
      )
      .subscribe({
        next: (c) => commands.push(c),
        complete: () => (completed = true),
        error: () => (completed = true),
      });
    events$.next(new OrderShipped('bad'));
    events$.next(new OrderShipped('o-2'));
    expect(commands.map((c) => c.orderId)).toEqual(['o-2']);
    expect(reported).toEqual([expect.objectContaining({ message: 'template missing' })]);
    expect(completed).toBe(false);
  });
});
