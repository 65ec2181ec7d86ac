import { describe, expect, it } from '@jest/globals';
import { ProcessManagerService, UnknownProcessTypeError } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { ORDER_PROVIDERS } from '../support/fixtures/orders.js';

describe('diagram()', () => {
  const createApp = useTestApps();

  it('draws the from → to transitions of a process as a Mermaid state diagram', async () => {
    const app = await createApp({ store: 'memory', providers: ORDER_PROVIDERS });
    const diagram = app.get(ProcessManagerService).diagram('order');
    const lines = diagram.split('\n').map((line) => line.trim());

    expect(lines[0]).toBe('stateDiagram-v2');
    expect(lines).toEqual(
      expect.arrayContaining([
        '[*] --> awaiting_payment : OrderPlaced',
        'awaiting_payment --> paid : PaymentReceived',
        'awaiting_payment --> declined : PaymentDeclined',
        'paid --> shipped : OrderShipped',
      ]),
    );
    expect(lines.filter((line) => line.includes('-->'))).toHaveLength(4);
  });

  it('throws UnknownProcessTypeError naming an unknown type', async () => {
    const app = await createApp({ store: 'memory', providers: ORDER_PROVIDERS });
    const draw = () => app.get(ProcessManagerService).diagram('invoice');
    expect(draw).toThrow(UnknownProcessTypeError);
    expect(draw).toThrow('"invoice"');
  });
});
