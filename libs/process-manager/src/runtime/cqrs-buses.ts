import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { CommandBus, EventBus, UnhandledExceptionBus } from '@nestjs/cqrs';
import { MissingDependencyModuleError } from '../errors/index.js';

/**
 * The app's `@nestjs/cqrs` buses, looked up rather than injected so that a missing
 * `CqrsModule.forRoot()` is a named error saying so, not a DI stack trace. We never import
 * CqrsModule ourselves: a second import would mean a second set of buses.
 */
@Injectable()
export class CqrsBuses implements OnModuleInit {
  eventBus!: EventBus;
  commandBus!: CommandBus;
  unhandledExceptions!: UnhandledExceptionBus;

  constructor(private readonly moduleRef: ModuleRef) {}

  onModuleInit(): void {
    this.eventBus = this.lookup(EventBus);
    this.commandBus = this.lookup(CommandBus);
    this.unhandledExceptions = this.lookup(UnhandledExceptionBus);
  }

  private lookup<T>(type: abstract new (...args: never[]) => T): T {
    try {
      return this.moduleRef.get(type, { strict: false });
    } catch {
      throw new MissingDependencyModuleError(type.name, 'CqrsModule.forRoot()');
    }
  }
}
