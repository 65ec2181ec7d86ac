import { Injectable, Logger, type OnModuleInit, type Type } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { messageTypeName, namedMessageTypes } from '../kernel/message-type.js';
import {
  DuplicateMessageTypeError,
  MessageNotSerializableError,
  UnknownMessageTypeError,
} from '../errors/index.js';
import { toPlainJson } from '../kernel/plain-json.js';
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
  private readonly logger = new Logger(MessageTypeRegistry.name);
  private readonly types = new Map<string, Type>(namedMessageTypes());
  /** Classes already warned about as sharing a known class's name (one warning each). */
  private readonly impostors = new WeakSet<object>();

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
    const type: unknown = (message as { constructor?: unknown }).constructor;
    return typeof type === 'function' ? messageTypeName(type) : 'Object';
  }

  /**
   * The name `message` is routed by: its wire name when its class is the very class this app knows by
   * that name. A class that only shares the name (another module's `OrderPlaced`) is not routed: it
   * gets one warning and `undefined`, as does anything that is not an object.
   */
  routedNameOf(message: unknown): string | undefined {
    if (typeof message !== 'object' || message === null) return undefined;
    const name = this.nameOf(message);
    const known = this.types.get(name) ?? namedMessageTypes().get(name);
    const type = (message as { constructor?: unknown }).constructor;
    if (known === type) return name;
    if (known && typeof type === 'function' && !this.impostors.has(type)) {
      this.impostors.add(type);
      this.logger.warn(
        `A ${name} was published whose class is not the ${name} this app handles (same name, another class); ` +
          `it is not delivered. Give one of the two classes a distinct @MessageType('...').`,
      );
    }
    return undefined;
  }

  /** A class with a `@CommandHandler()` goes to the CommandBus; anything else is an event. */
  kindOf(message: object): MessageKind {
    return Reflect.hasMetadata(CQRS_COMMAND_METADATA, message.constructor) ? 'command' : 'event';
  }

  /**
   * A message ready for the outbox and its bus: kind, wire name, payload, and `metadata` attached. The
   * payload must be plain JSON (the relay rebuilds the message from it), else MessageNotSerializableError.
   * @param sender who sends it (a stateless handler, the app's Outbox), for the error
   */
  toOutgoing(message: object, metadata: MessageMetadata, sender = 'this app'): OutgoingMessage {
    const type = this.nameOf(message);
    const { json, refused } = toPlainJson(message, type, true);
    if (refused) throw new MessageNotSerializableError(sender, type, refused.toString());
    return {
      kind: this.kindOf(message),
      type,
      payload: json as Record<string, unknown>,
      metadata,
      message: withMetadata(message, metadata),
    };
  }

  /** Rebuilds a stored message as an instance of its class (constructor not run), metadata attached. */
  /** Every wire name `fromPayload()` can rebuild. */
  knownTypes(): string[] {
    return [...this.types.keys()];
  }

  fromPayload(typeName: string, payload: unknown, metadata: MessageMetadata): object {
    const type = this.types.get(typeName);
    if (!type) throw new UnknownMessageTypeError(typeName);
    return withMetadata(Object.assign(Object.create(type.prototype as object) as object, payload), metadata);
  }
}
