import type { Type } from '@nestjs/common';
import { messageTypeName } from '../kernel/message-type.js';
import { type CompiledProcess, ProcessCompiler } from '../definition/process-compiler.js';
import type { ProcessDefinition, StatefulRoute } from '../definition/process-definition.js';
import type { ProcessContext } from '../kernel/process-context.js';
import { isLive } from '../kernel/process-instance.js';
import { CommandDispatchFailed, ProcessCancelRequested } from '../events/system-messages.js';
import { OrchestratedSaga, sagaProgram } from './orchestrated-saga.js';
import { InvalidSagaDefinitionError, SagaNotBegunError } from './saga.errors.js';
import type { SagaProgram } from './saga-program.js';
import { sagaTransitions } from './saga-diagram.js';
import {
  compensationSent,
  hasUnacknowledgedCompensation,
  SagaCompensationSent,
} from './saga-compensation-sent.js';
import { SagaRun } from './saga-run.js';
import { isSagaState, type SagaState } from './saga-state.js';
import { SAGA_TIMER_MESSAGES, type SagaStepRetryDue, type SagaStepTimedOut } from './saga-timers.js';

/** Plugs orchestrated sagas into the routing table: their routes come from their step list. */
export class SagaCompiler extends ProcessCompiler {
  owns(instance: object): boolean {
    return instance instanceof OrchestratedSaga;
  }

  compile(
    process: ProcessDefinition,
    instance: object,
    own: readonly StatefulRoute[],
    builtIns: readonly StatefulRoute[],
  ): CompiledProcess {
    return compileSaga(process, instance as OrchestratedSaga<object>, own, builtIns);
  }

  withoutProcessManager(className: string): Error {
    return new InvalidSagaDefinitionError(className, 'decorate it with @ProcessManager({ correlationKey })');
  }
}

/**
 * A saga's routes: its own handlers, one route per reply type, and its timers. Compiles a saga onto its process definition: every reply and cancel event gets a route to the
 * interpreter, correlated by the process's `correlationKey`; step timers are built-in routes; and the
 * class's own handlers (and the built-in ones) are wrapped so that `ctx.fail()` compensates first.
 */
function compileSaga(
  process: ProcessDefinition,
  saga: OrchestratedSaga<object>,
  own: readonly StatefulRoute[],
  builtIns: readonly StatefulRoute[],
): CompiledProcess {
  const program = sagaProgram(saga);
  const replies = replyTypes(program);
  const key = validate(program, process, own, replies);
  const route = (type: Type, invoke: StatefulRoute['invoke']): StatefulRoute => ({
    kind: 'stateful',
    process,
    messageType: messageTypeName(type),
    methodName: `(saga ${program.className})`,
    start: false,
    from: undefined,
    to: undefined,
    onMissing: 'ignore',
    correlateBy: key,
    associationKey: undefined,
    correlate: (event) => (event as Record<string, unknown>)[key],
    invoke,
  });
  const onReply = interpret(program, (run, event) => run.receive(event));
  const onTimer = interpret(program, (run, event) => run.timer(event as SagaStepTimedOut | SagaStepRetryDue));
  const onSent = interpret(program, (run, event) => run.compensationSent(event as SagaCompensationSent));
  const onCancel = interpret(program, (run, event) => run.cancelRequested(event as ProcessCancelRequested));
  const awaitsSends = hasUnacknowledgedCompensation(program);
  return {
    routes: [
      ...own.map((handler) => sagaHandler(program, handler)),
      ...replies.map((type) => route(type, onReply)),
    ],
    systemRoutes: [
      ...builtIns.map((handler) => sagaHandler(program, handler)),
      ...SAGA_TIMER_MESSAGES.map((type) => route(type, onTimer)),
      route(ProcessCancelRequested, onCancel),
      ...(awaitsSends ? [route(SagaCompensationSent, onSent)] : []),
    ],
    messages: [...replies, ...SAGA_TIMER_MESSAGES, SagaCompensationSent],
    onCommandSent: awaitsSends
      ? (instance, command) => compensationSent(program, instance, command)
      : undefined,
    transitions: sagaTransitions(
      program,
      own.filter((handler) => handler.start).map((handler) => handler.messageType),
    ),
  };
}

/** What can be checked at boot; returns the correlation key the replies are routed by. */
function validate(
  program: SagaProgram<object>,
  process: ProcessDefinition,
  own: readonly StatefulRoute[],
  replies: readonly Type[],
): string {
  const invalid = (problem: string) => new InvalidSagaDefinitionError(program.className, problem);
  if (program.steps.length === 0) throw invalid('has no steps: define them with this.define().step(…)');
  if (!process.correlationKey) {
    throw invalid('set correlationKey in @ProcessManager(): replies are routed to instances by it');
  }
  const clash = replies.find((type) => own.some((route) => route.messageType === messageTypeName(type)));
  if (clash) {
    throw invalid(`${messageTypeName(clash)} is a step reply and also has an @OnEvent() handler; keep one`);
  }
  const answers = replyTypes({ ...program, cancelOn: [] });
  const ambiguous = program.cancelOn.find((type) => answers.includes(type));
  if (ambiguous) throw invalid(`${messageTypeName(ambiguous)} cannot both cancel the saga and answer a step`);
  return process.correlationKey;
}

/** A route body that runs the interpreter on the message. */
function interpret(
  program: SagaProgram<object>,
  act: (run: SagaRun<object>, event: object) => void,
): StatefulRoute['invoke'] {
  return (event, ctx) => {
    const run = new SagaRun(program, ctx as ProcessContext<SagaState<object>>);
    act(run, event);
    run.flush();
  };
}

/** A handler of the saga class: a start handler must begin the saga, and `ctx.fail()` compensates first. */
function sagaHandler(program: SagaProgram<object>, handler: StatefulRoute): StatefulRoute {
  return {
    ...handler,
    invoke: async (event, ctx) => {
      const statusBefore = ctx.status;
      await handler.invoke(event, ctx);
      if (!isSagaState(ctx.state)) {
        if (handler.start && ctx.isNew && isLive(ctx.status)) {
          throw new SagaNotBegunError(handler.process.name, handler.methodName);
        }
        return;
      }
      if (ctx.status === 'failed' && isLive(statusBefore)) {
        const unsent = event instanceof CommandDispatchFailed;
        await interpret(program, (run) => run.failed(statusBefore, unsent))(event, ctx);
      }
    },
  };
}

function replyTypes(program: SagaProgram<object>): Type[] {
  const all = program.steps.flatMap(({ action, compensation }) =>
    [action, compensation].flatMap((exchange) =>
      exchange ? [...exchange.success, ...exchange.failure] : [],
    ),
  );
  return [...new Set([...all, ...program.cancelOn])];
}
