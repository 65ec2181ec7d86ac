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

/**
 * Every entity of the library: add to `entities` when not using `autoLoadEntities`. They are marked
 * `synchronize: false`: PROCESS_MANAGER_MIGRATIONS make the tables (with partial indexes an entity cannot
 * express), so an app using `synchronize: true` for its own tables leaves them alone.
 */
export const PROCESS_MANAGER_ENTITIES = [
  ProcessEntity,
  HistoryEntity,
  AssociationEntity,
  InboxEntity,
  OutboxEntity,
  TimerEntity,
  DeadLetterEntity,
];
