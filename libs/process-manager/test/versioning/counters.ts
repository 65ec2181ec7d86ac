import { Injectable, type Type } from '@nestjs/common';
import { CommandHandler, type ICommandHandler } from '@nestjs/cqrs';
import { OnEvent, ProcessManager, type ProcessContext } from 'nestjs-process-manager';

export class CounterOpened {
  constructor(readonly counterId: string) {}
}
export class CounterBumped {
  constructor(
    readonly counterId: string,
    readonly by: number,
  ) {}
}
export class CounterFrozen {
  constructor(readonly counterId: string) {}
}
export class CounterThawed {
  constructor(readonly counterId: string) {}
}
export class ReportCount {
  constructor(
    readonly counterId: string,
    readonly count: number,
  ) {}
}

@CommandHandler(ReportCount)
export class ReportCountHandler implements ICommandHandler<ReportCount> {
  readonly reports: ReportCount[] = [];
  async execute(command: ReportCount): Promise<void> {
    this.reports.push(command);
  }
}

/** Version 1's state. */
export interface CounterV1 {
  count: number;
}
/** Version 2 renamed `count` to `total` and keeps how many bumps it saw. */
export interface CounterV2 {
  total: number;
  bumps: number;
}

export const PROCESS = 'counter';

/** Version 1: counts in `count`; a frozen counter waits in 'frozen' until thawed. */
export function counterV1(
  bump: (state: CounterV1, by: number) => void = (s, by) => (s.count += by),
  report: (state: CounterV1) => number = (s) => s.count,
): Type {
  @Injectable()
  @ProcessManager({
    name: PROCESS,
    correlationKey: 'counterId',
    initialState: (): CounterV1 => ({ count: 0 }),
  })
  class CounterProcessV1 {
    @OnEvent(CounterOpened, { start: true, to: 'open' })
    opened(_event: CounterOpened, _ctx: ProcessContext<CounterV1>): void {}

    @OnEvent(CounterBumped, { from: 'open' })
    bumped(event: CounterBumped, ctx: ProcessContext<CounterV1>): void {
      bump(ctx.state, event.by);
      ctx.send(new ReportCount(event.counterId, report(ctx.state)));
    }

    @OnEvent(CounterFrozen, { from: 'open', to: 'frozen' })
    frozen(): void {}

    @OnEvent(CounterThawed, { from: 'frozen', to: 'open' })
    thawed(): void {}
  }
  return CounterProcessV1;
}

export const V2_MIGRATIONS = { 2: (state: CounterV1): CounterV2 => ({ total: state.count, bumps: 0 }) };

/**
 * Version 2: `total` and `bumps`, with a migration from version 1; `thaw` says whether it still
 * handles the 'frozen' state (without it, frozen counters are orphaned).
 */
export function counterV2(
  options: {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each migration takes its own shape
    migrations?: Record<number, (state: any) => object>;
    thaw?: boolean;
    version?: number;
  } = {},
): Type {
  const thaw = options.thaw ?? true;
  @Injectable()
  @ProcessManager({
    name: PROCESS,
    correlationKey: 'counterId',
    version: options.version ?? 2,
    migrations: options.migrations ?? V2_MIGRATIONS,
    initialState: (): CounterV2 => ({ total: 0, bumps: 0 }),
  })
  class CounterProcessV2 {
    @OnEvent(CounterOpened, { start: true, to: 'open' })
    opened(): void {}

    @OnEvent(CounterBumped, { from: 'open' })
    bumped(event: CounterBumped, ctx: ProcessContext<CounterV2>): void {
      ctx.state.total += event.by;
      ctx.state.bumps += 1;
      ctx.send(new ReportCount(event.counterId, ctx.state.total));
    }

    @OnEvent(CounterFrozen, { from: 'open', to: 'frozen' })
    frozen(): void {}

    @OnEvent(CounterThawed, { from: thaw ? 'frozen' : 'never', to: 'open' })
    thawed(): void {}
  }
  return CounterProcessV2;
}
