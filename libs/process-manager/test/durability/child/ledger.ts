// The workload of the durability specs: a ledger process per account, a stateless reaction, and
// command handlers that record every handled command as a row (no unique constraint, so duplicates
// can be counted). Compiled by `support/child-build.ts` and run in child processes.
import { Injectable } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { DataSource } from 'typeorm';
import {
  getMetadata,
  MessageType,
  OnEvent,
  ProcessManager,
  type ProcessContext,
} from '../../../src/index.js';

/** One deposit to an account; the `eventsPerAccount`-th one schedules the account's close timer. */
@MessageType('durability.Deposited')
export class Deposited {
  constructor(
    readonly accountId: string,
    readonly amount: number,
    readonly eventsPerAccount: number,
  ) {}
}

/** The message of the named `close` timer. */
@MessageType('durability.CloseAccount')
export class CloseAccount {
  constructor(readonly accountId: string) {}
}

/** Sent by the ledger for every deposit it applied. */
@MessageType('durability.RecordEffect')
export class RecordEffect {
  constructor(
    readonly accountId: string,
    readonly eventId: string,
    readonly amount: number,
  ) {}
}

/** Sent by the ledger when its close timer fired. */
@MessageType('durability.RecordTimerFired')
export class RecordTimerFired {
  constructor(
    readonly accountId: string,
    readonly timerMessageId: string,
    readonly balance: number,
  ) {}
}

/** Returned by the stateless reaction for every deposit it saw. */
@MessageType('durability.RecordNotice')
export class RecordNotice {
  constructor(
    readonly accountId: string,
    readonly eventId: string,
  ) {}
}

export interface LedgerState {
  balance: number;
  deposits: number;
}

/** Delay of the close timer after an account's last deposit. */
export const CLOSE_AFTER_MS = 300;

@ProcessManager({
  name: 'ledger',
  correlationKey: 'accountId',
  initialState: (): LedgerState => ({ balance: 0, deposits: 0 }),
})
export class LedgerProcess {
  @OnEvent(Deposited, { start: true })
  onDeposited(event: Deposited, ctx: ProcessContext<LedgerState>) {
    ctx.state.balance += event.amount;
    ctx.state.deposits += 1;
    ctx.send(new RecordEffect(event.accountId, ctx.metadata.messageId, event.amount));
    if (ctx.state.deposits === event.eventsPerAccount)
      ctx.schedule(new CloseAccount(event.accountId), { after: CLOSE_AFTER_MS }, 'close');
  }

  @OnEvent(CloseAccount)
  onClose(event: CloseAccount, ctx: ProcessContext<LedgerState>) {
    ctx.send(new RecordTimerFired(event.accountId, ctx.metadata.messageId, ctx.state.balance));
    ctx.complete();
  }
}

/** A durable stateless reaction: its inbox mark and returned command commit together. */
@Injectable()
export class DepositNotices {
  @OnEvent(Deposited)
  onDeposited(event: Deposited) {
    return new RecordNotice(event.accountId, getMetadata(event)?.messageId ?? 'missing-metadata');
  }
}

/** The name the reaction's inbox marks carry (`ClassName.methodName`). */
export const REACTION_HANDLER = 'DepositNotices.onDeposited';

type Recorded = { kind: 'effect' | 'timer' | 'notice'; accountId: string; eventId: string; amount: number };

/** Inserts one row into `effects` per handled command, tagged with the command's messageId. */
async function record(dataSource: DataSource, command: object, row: Recorded): Promise<void> {
  await dataSource.query(
    `INSERT INTO effects (kind, command_id, account_id, event_id, amount, instance) VALUES ($1, $2, $3, $4, $5, $6)`,
    [
      row.kind,
      getMetadata(command)?.messageId ?? null,
      row.accountId,
      row.eventId,
      row.amount,
      process.env.CHILD_NAME ?? null,
    ],
  );
}

@CommandHandler(RecordEffect)
export class RecordEffectHandler implements ICommandHandler<RecordEffect> {
  constructor(private readonly dataSource: DataSource) {}
  execute(command: RecordEffect): Promise<void> {
    const { accountId, eventId, amount } = command;
    return record(this.dataSource, command, { kind: 'effect', accountId, eventId, amount });
  }
}

@CommandHandler(RecordTimerFired)
export class RecordTimerFiredHandler implements ICommandHandler<RecordTimerFired> {
  constructor(private readonly dataSource: DataSource) {}
  execute(command: RecordTimerFired): Promise<void> {
    const { accountId, timerMessageId, balance } = command;
    return record(this.dataSource, command, {
      kind: 'timer',
      accountId,
      eventId: timerMessageId,
      amount: balance,
    });
  }
}

@CommandHandler(RecordNotice)
export class RecordNoticeHandler implements ICommandHandler<RecordNotice> {
  constructor(private readonly dataSource: DataSource) {}
  execute(command: RecordNotice): Promise<void> {
    const { accountId, eventId } = command;
    return record(this.dataSource, command, { kind: 'notice', accountId, eventId, amount: 0 });
  }
}

export const LEDGER_PROVIDERS = [
  LedgerProcess,
  DepositNotices,
  RecordEffectHandler,
  RecordTimerFiredHandler,
  RecordNoticeHandler,
];
