// The receiving side both child programs and the publisher spec share: a `tally` process per key
// counting the `Counted` events it was applied to.
import { OnEvent, type ProcessContext, ProcessManager } from '../../../src/index.js';

export class Counted {
  constructor(readonly key: string) {}
}

@ProcessManager({ name: 'tally', correlationKey: 'key' })
export class Tally {
  @OnEvent(Counted, { start: true })
  counted(_event: Counted, ctx: ProcessContext<{ count: number }>) {
    ctx.state.count = (ctx.state.count ?? 0) + 1;
  }
}
