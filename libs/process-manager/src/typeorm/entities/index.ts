import { AssociationEntity } from './association.entity.js';
import { DeadLetterEntity } from './dead-letter.entity.js';
import { HistoryEntity } from './history.entity.js';
import { InboxEntity } from './inbox.entity.js';
import { OutboxEntity } from './outbox.entity.js';
import { ProcessEntity } from './process.entity.js';
import { TimerEntity } from './timer.entity.js';

export {
  AssociationEntity,
  DeadLetterEntity,
  HistoryEntity,
  InboxEntity,
  OutboxEntity,
  ProcessEntity,
  TimerEntity,
};

/** Every entity of the library: add to `entities` when not using `autoLoadEntities`. */
export const PROCESS_MANAGER_ENTITIES = [
  ProcessEntity,
  HistoryEntity,
  AssociationEntity,
  InboxEntity,
  OutboxEntity,
  TimerEntity,
  DeadLetterEntity,
];
