import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { FakeDownstream } from './fake-downstream.js';

/**
 * Base of a fake downstream service: a command handler that hands the command to `FakeDownstream`
 * and later answers it with `respond()`. Subclasses add `@CommandHandler(TheCommand)`, which makes
 * `execute()` the command handler.
 */
@Injectable() // emits the constructor's parameter types, which subclasses without a constructor inherit
export abstract class FakeService<C extends object> implements OnModuleInit {
  protected abstract readonly command: Type<C>;

  constructor(protected readonly downstream: FakeDownstream) {}

  onModuleInit(): void {
    this.downstream.answer(this.command, (command) => this.respond(command));
  }

  execute(command: C): Promise<void> {
    return this.downstream.accept(command);
  }

  /** The event that answers the command, or `undefined` for no answer at all. */
  protected abstract respond(command: C): Promise<object | undefined>;
}
