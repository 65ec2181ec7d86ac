import {
  type CanActivate,
  type ExecutionContext,
  Injectable,
  type INestApplication,
  Module,
  type Provider,
  UnauthorizedException,
} from '@nestjs/common';
import { CqrsModule } from '@nestjs/cqrs';
import { Test } from '@nestjs/testing';
import { TypeOrmModule } from '@nestjs/typeorm';
import {
  MessageType,
  OnEvent,
  PROCESS_MANAGER_MIGRATIONS,
  ProcessManager,
  ProcessManagerModule,
  type ProcessContext,
} from 'nestjs-process-manager';
import {
  isDashboardShell,
  ProcessManagerDashboardModule,
  type ProcessManagerDashboardOptions,
} from 'nestjs-process-manager/dashboard';
import pg from 'pg';
import request from 'supertest';

/** The part of Express's request the guards read. */
export interface OperatorRequest {
  headers: Record<string, string | undefined>;
  operator?: string;
}

/** Makes the escalation handler throw while `broken`. */
@Injectable()
export class Faults {
  broken = false;
}

@MessageType('DashboardSpec.TicketOpened')
export class TicketOpened {
  constructor(
    readonly ticketId: string,
    readonly note = '',
  ) {}
}
@MessageType('DashboardSpec.TicketEscalated')
export class TicketEscalated {
  constructor(readonly ticketId: string) {}
}
@MessageType('DashboardSpec.TicketRejected')
export class TicketRejected {
  constructor(
    readonly ticketId: string,
    readonly reason: string,
  ) {}
}

@MessageType('DashboardSpec.TicketFollowUp')
export class TicketFollowUp {
  constructor(readonly ticketId: string) {}
}

export interface TicketState {
  note: string;
  escalations: number;
}

@ProcessManager({
  name: 'ticket',
  correlationKey: 'ticketId',
  initialState: (): TicketState => ({ note: '', escalations: 0 }),
})
export class TicketProcess {
  constructor(private readonly faults: Faults) {}

  @OnEvent(TicketOpened, { start: true, to: 'open' })
  opened(event: TicketOpened, ctx: ProcessContext<TicketState>) {
    ctx.state.note = event.note;
    ctx.schedule(new TicketFollowUp(event.ticketId), { after: '1d' }, 'follow-up');
  }

  @OnEvent(TicketFollowUp)
  followUp(_event: TicketFollowUp, ctx: ProcessContext<TicketState>) {
    ctx.state.note = `${ctx.state.note} (followed up)`;
  }

  @OnEvent(TicketEscalated, { from: 'open', to: 'escalated' })
  escalated(_event: TicketEscalated, ctx: ProcessContext<TicketState>) {
    if (this.faults.broken) throw new Error('escalation desk unreachable');
    ctx.state.escalations += 1;
  }

  @OnEvent(TicketRejected, { to: 'rejected' })
  rejected(event: TicketRejected, ctx: ProcessContext<TicketState>) {
    ctx.fail(`rejected: ${event.reason}`);
  }
}

/** Who may operate, keyed by the `x-operator` header: a provider of its own module, not exported. */
@Injectable()
export class OperatorDirectory {
  readonly operators = new Set(['alice', 'bob']);
}

/** Needs `x-operator` naming a known operator (401 otherwise); the UI's files too, unless `shellIsPublic`. */
@Injectable()
export class OperatorGuard implements CanActivate {
  static shellIsPublic = false;
  static calls = 0;

  constructor(private readonly directory: OperatorDirectory) {}

  canActivate(context: ExecutionContext): boolean {
    OperatorGuard.calls += 1;
    if (OperatorGuard.shellIsPublic && isDashboardShell(context)) return true;
    const request = context.switchToHttp().getRequest<OperatorRequest>();
    const operator = request.headers['x-operator'];
    if (!operator || !this.directory.operators.has(operator))
      throw new UnauthorizedException('Send x-operator with a known operator name.');
    request.operator = operator;
    return true;
  }
}

/** Registered nowhere: the dashboard creates it. Says no (403) to `x-blocked: yes`. */
export class NotBlockedGuard implements CanActivate {
  canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<OperatorRequest>();
    return Promise.resolve(request.headers['x-blocked'] !== 'yes');
  }
}

@Module({ providers: [OperatorDirectory, OperatorGuard] })
class AuthModule {}

export interface DashboardAppOptions {
  url: string;
  dashboard?: ProcessManagerDashboardOptions<OperatorRequest>;
  /** Leave ProcessManagerModule out (the dashboard must refuse to boot). */
  withoutProcessManager?: boolean;
  providers?: Provider[];
}

export interface DashboardApp {
  app: INestApplication;
  http: ReturnType<typeof request>;
  faults: Faults;
}

/** An Express app with the ticket process, TypeORM on `url` and the dashboard mounted with `dashboard`. */
export async function createDashboardApp({
  url,
  dashboard = {},
  withoutProcessManager = false,
  providers = [],
}: DashboardAppOptions): Promise<DashboardApp> {
  @Module({
    imports: [
      CqrsModule.forRoot(),
      TypeOrmModule.forRoot({
        type: 'postgres',
        driver: pg,
        url,
        autoLoadEntities: true,
        migrations: PROCESS_MANAGER_MIGRATIONS,
        migrationsRun: true,
      }),
      ...(withoutProcessManager
        ? []
        : [
            ProcessManagerModule.forRoot({
              retry: { maxAttempts: 1 },
              timers: { enabled: false },
              outbox: { enabled: false },
              recovery: { enabled: false },
              retention: { enabled: false },
            }),
          ]),
      AuthModule,
      ProcessManagerDashboardModule.forRoot(dashboard),
    ],
    providers: withoutProcessManager ? providers : [Faults, TicketProcess, ...providers],
  })
  class DashboardSpecModule {}

  const moduleRef = await Test.createTestingModule({ imports: [DashboardSpecModule] }).compile();
  const app = moduleRef.createNestApplication({
    logger: process.env.PM_TEST_LOG ? ['error', 'warn'] : false,
  });
  try {
    await app.init();
  } catch (error) {
    await app.close().catch(() => undefined);
    throw error;
  }
  return {
    app,
    http: request(app.getHttpServer()),
    faults: withoutProcessManager ? new Faults() : app.get(Faults),
  };
}
