import { Injectable, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { messageTypeName, namedMessageTypes } from '../kernel/message-type.js';
import { DuplicateMessageTypeError, UnknownMessageTypeError } from '../errors/index.js';
import type { MessageKind, OutgoingMessage } from '../kernel/outgoing-message.js';
import { type MessageMetadata, withMetadata } from '../kernel/message-metadata.js';
import { CQRS_COMMAND_HANDLER_METADATA, CQRS_COMMAND_METADATA } from '../kernel/constants.js';

/**
 * Wire name ↔ class for this app: the event classes of `@OnEvent()`, the command classes of the app's
 * `@CommandHandler()`s, the library's own events and every `@MessageType()` class. It turns outbox and
 * timer rows back into class instances.
 */
@Injectable()
export class MessageTypeRegistry implements OnModuleInit {
  private readonly types = new Map<string, Type>(namedMessageTypes());

  constructor(private readonly discovery: DiscoveryService) {}

  /** Registers the command class of every `@CommandHandler()` in the app. */
  onModuleInit(): void {
    for (const wrapper of this.discovery.getProviders()) {
      const command =
        wrapper.metatype && Reflect.getMetadata(CQRS_COMMAND_HANDLER_METADATA, wrapper.metatype);
      if (command) this.register(command as Type);
    }
  }

  register(type: Type): void {
    const name = messageTypeName(type);
    const existing = this.types.get(name);
    if (existing && existing !== type) throw new DuplicateMessageTypeError(name, [existing.name, type.name]);
    this.types.set(name, type);
  }

  nameOf(message: object): string {
    return messageTypeName(message.constructor);
  }

  /** A class with a `@CommandHandler()` goes to the CommandBus; anything else is an event. */
  kindOf(message: object): MessageKind {
    return Reflect.hasMetadata(CQRS_COMMAND_METADATA, message.constructor) ? 'command' : 'event';
  }

  /** A message ready for the outbox and its bus: kind, wire name, payload, and `metadata` attached. */
  toOutgoing(message: object, metadata: MessageMetadata): OutgoingMessage {
    return {
      kind: this.kindOf(message),
      type: this.nameOf(message),
      payload: this.toPayload(message),
      metadata,
      message: withMetadata(message, metadata),
    };
  }

  toPayload(message: object): Record<string, unknown> {
    return JSON.parse(JSON.stringify(message)) as Record<string, unknown>;
  }

  /** Rebuilds a stored message as an instance of its class (constructor not run), metadata attached. */
  fromPayload(typeName: string, payload: unknown, metadata: MessageMetadata): object {
    const type = this.types.get(typeName);
    if (!type) throw new UnknownMessageTypeError(typeName);
    return withMetadata(Object.assign(Object.create(type.prototype as object) as object, payload), metadata);
  }
}
