import { describe, expect, it } from '@jest/globals';
import { Injectable } from '@nestjs/common';
import { OnEvent, ProcessManager, ProcessManagerService, type ProcessContext } from 'nestjs-process-manager';
import { useTestApps } from '../support/apps.js';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { countRows } from '../support/sql.js';

class AccountOpened {
  constructor(
    readonly accountId: string,
    readonly vip: boolean,
  ) {}
}
class Deposited {
  constructor(
    readonly accountId: string,
    readonly amount: number,
  ) {}
}
class Closed {
  constructor(readonly accountId: string) {}
}

interface Account {
  balance: number;
  deposits: number;
}

function isVip(event: AccountOpened): boolean {
  return event.vip;
}
function isPositive(event: Deposited): boolean {
  return event.amount > 0;
}

@Injectable()
@ProcessManager({
  name: 'account',
  correlationKey: 'accountId',
  initialState: (): Account => ({ balance: 0, deposits: 0 }),
})
class AccountProcess {
  @OnEvent(AccountOpened, { start: true, to: 'open', when: isVip })
  opened(): void {}

  @OnEvent(Deposited, { from: 'open', to: 'open', when: isPositive })
  deposited(event: Deposited, ctx: ProcessContext<Account>): void {
    ctx.state.balance += event.amount;
    ctx.state.deposits += 1;
  }

  @OnEvent(Closed, { from: 'open', when: (_event: Closed, state: Account) => state.balance === 0 })
  closed(_event: Closed, ctx: ProcessContext<Account>): void {
    ctx.complete();
  }
}

describe('guards: @OnEvent({ when }) (PostgreSQL)', () => {
  const db = useTestDatabase();
  const createApp = useTestApps();
  const boot = () => createApp({ url: db.url, providers: [AccountProcess] });

  it('records an event its guard refuses as ignored, naming the guard, and leaves the state as it was', async () => {
    const app = await boot();
    const processes = app.get(ProcessManagerService);
    const accountId = uniqueKey('account');
    await processes.deliver(new AccountOpened(accountId, true));
    await processes.deliver(new Deposited(accountId, 10));
    await processes.deliver(new Deposited(accountId, -5));
    await processes.deliver(new Closed(accountId)); // the balance is not 0: the inline guard refuses it

    const instance = (await processes.find('account', accountId))!;
    expect(instance).toMatchObject({
      status: 'running',
      stateName: 'open',
      state: { balance: 10, deposits: 1 },
    });
    const history = await processes.history(instance.id);
    expect(history.map(({ messageType, outcome }) => `${messageType}:${outcome}`)).toEqual([
      'AccountOpened:handled',
      'Deposited:handled',
      'Deposited:ignored',
      'Closed:ignored',
    ]);
    expect(history[2]!.note).toBe('guard isPositive of deposited() refused it');
    expect(history[2]!.state).toEqual({ balance: 10, deposits: 1 });
    expect(history[3]!.note).toBe('guard when of closed() refused it');
  });

  it('runs the handler when the guard passes, against the current state', async () => {
    const app = await boot();
    const processes = app.get(ProcessManagerService);
    const accountId = uniqueKey('account');
    await processes.deliver(new AccountOpened(accountId, true));
    const { id } = (await processes.find('account', accountId))!;
    await processes.deliver(new Closed(accountId));

    expect((await processes.get(id))?.status).toBe('completed');
  });

  it('starts nothing when the guard of a start handler refuses the event', async () => {
    const app = await boot();
    const processes = app.get(ProcessManagerService);
    const accountId = uniqueKey('account');
    await processes.deliver(new AccountOpened(accountId, false));

    expect(await processes.find('account', accountId)).toBeNull();
    expect(await countRows(app, 'pm_process', 'correlation_key = $1', [accountId])).toBe(0);
  });

  it('labels guarded transitions with the guard in the diagram', async () => {
    const app = await boot();
    const diagram = app.get(ProcessManagerService).diagram('account');
    expect(diagram).toContain('[*] --> open : AccountOpened [isVip]');
    expect(diagram).toContain('open --> open : Deposited [isPositive]');
  });
});
