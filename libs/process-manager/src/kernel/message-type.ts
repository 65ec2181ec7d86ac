import type { Type } from '@nestjs/common';
import { DuplicateMessageTypeError } from '../errors/index.js';
import { MESSAGE_TYPE_METADATA } from './constants.js';

/** Name → class for every `@MessageType()`: a static fact, written at import and never mutated after. */
const namedTypes = new Map<string, Type>();

/** Gives an event or command class a stable wire name, used in the outbox, timers and history. */
export function MessageType(name: string): ClassDecorator {
  return (target) => {
    const existing = namedTypes.get(name);
    if (existing && existing !== (target as unknown as Type)) {
      throw new DuplicateMessageTypeError(name, [existing.name, target.name]);
    }
    namedTypes.set(name, target as unknown as Type);
    Reflect.defineMetadata(MESSAGE_TYPE_METADATA, name, target);
  };
}

/** Wire name of a message class: its `@MessageType()` name, else the class name. */
export function messageTypeName(type: Function): string {
  return (Reflect.getOwnMetadata(MESSAGE_TYPE_METADATA, type) as string | undefined) ?? type.name;
}

/** Classes named with `@MessageType()` anywhere in the program. */
export function namedMessageTypes(): ReadonlyMap<string, Type> {
  return namedTypes;
}
