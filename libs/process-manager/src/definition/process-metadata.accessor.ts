import { Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { OnEventMetadata } from '../decorators/on-event.decorator.js';
import type { ProcessManagerOptions } from '../decorators/process-manager.decorator.js';
import { ON_EVENT_METADATA, PROCESS_MANAGER_METADATA } from '../kernel/constants.js';

/** The one reader of the library's decorator metadata. */
@Injectable()
export class ProcessMetadataAccessor {
  constructor(private readonly reflector: Reflector) {}

  getProcessManager(target: Function): ProcessManagerOptions | undefined {
    return this.reflector.get<ProcessManagerOptions | undefined>(PROCESS_MANAGER_METADATA, target);
  }

  getOnEvent(target: Function): OnEventMetadata[] | undefined {
    return this.reflector.get<OnEventMetadata[] | undefined>(ON_EVENT_METADATA, target);
  }
}
