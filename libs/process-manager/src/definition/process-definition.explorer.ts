import { Injectable } from '@nestjs/common';
import { DiscoveryService, MetadataScanner } from '@nestjs/core';
import { MissingStartHandlerError, UnsupportedHandlerScopeError } from '../errors/index.js';
import type { DiscoveredHandler } from './process-definition.js';
import { ProcessMetadataAccessor } from './process-metadata.accessor.js';

/** Finds every `@OnEvent()` method on the app's singleton providers. */
@Injectable()
export class ProcessDefinitionExplorer {
  constructor(
    private readonly discovery: DiscoveryService,
    private readonly scanner: MetadataScanner,
    private readonly accessor: ProcessMetadataAccessor,
  ) {}

  explore(): DiscoveredHandler[] {
    return this.discovery
      .getProviders()
      .filter((wrapper) => wrapper.metatype && !wrapper.isAlias)
      .flatMap((wrapper) => {
        const metatype = wrapper.metatype as Function;
        const prototype = metatype.prototype as object | undefined;
        const manager = this.accessor.getProcessManager(metatype);
        if (!prototype || (!manager && !this.hasHandlers(prototype))) return [];
        if (wrapper.isTransient || !wrapper.isDependencyTreeStatic() || !wrapper.instance) {
          throw new UnsupportedHandlerScopeError(String(wrapper.name));
        }
        const handlers = this.handlersOf(wrapper.instance as object);
        if (manager && handlers.length === 0)
          throw new MissingStartHandlerError(manager.name ?? metatype.name);
        return handlers;
      });
  }

  private hasHandlers(prototype: object): boolean {
    return this.scanner
      .getAllMethodNames(prototype)
      .some((name) => this.accessor.getOnEvent((prototype as Record<string, Function>)[name]!) !== undefined);
  }

  private handlersOf(instance: object): DiscoveredHandler[] {
    const prototype = Object.getPrototypeOf(instance) as Record<string, Function>;
    const manager = this.accessor.getProcessManager(instance.constructor);
    return this.scanner.getAllMethodNames(prototype).flatMap((methodName) =>
      (this.accessor.getOnEvent(prototype[methodName]!) ?? []).map(({ events, options }) => ({
        instance,
        className: instance.constructor.name,
        methodName,
        manager,
        events,
        options,
      })),
    );
  }
}
