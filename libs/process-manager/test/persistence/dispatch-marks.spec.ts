import { describe, expect, it } from '@jest/globals';
import { MARK_LINGER_MS, PendingDispatchMarks } from '../../src/typeorm/dispatch-marks.js';

const at = (second: number) => new Date(Date.UTC(2026, 0, 1, 0, 0, second));
const lingered = () => new Promise((resolve) => setTimeout(resolve, MARK_LINGER_MS * 4));

/** Marks whose lone writes are recorded; `failing` makes the next lone write throw. */
function harness() {
  const alone: { ids: string[]; at: Date }[] = [];
  let failing = false;
  const marks = new PendingDispatchMarks(async (ids, when) => {
    if (failing) {
      failing = false;
      throw new Error('connection terminated');
    }
    alone.push({ ids, at: when });
  });
  return { marks, alone, failNextWrite: () => (failing = true) };
}

describe('PendingDispatchMarks', () => {
  it('lets the next step statement carry every waiting mark, with the latest time, instead of a write of its own', async () => {
    const { marks, alone } = harness();
    marks.carry(); // a step went by: steps are flowing
    const first = marks.add(['a', 'b'], at(1));
    const second = marks.add(['c'], at(2));

    const carried = marks.carry();
    expect(carried.ids).toEqual(['a', 'b', 'c']);
    expect(carried.at).toEqual(at(2));
    expect(marks.carry().ids).toEqual([]);
    carried.written();

    await expect(Promise.all([first, second])).resolves.toEqual([undefined, undefined]);
    await lingered();
    expect(alone).toEqual([]);
  });

  it('writes the marks on their own at once when no step went by lately', async () => {
    const { marks, alone } = harness();
    void marks.add(['a'], at(1));
    expect(alone).toEqual([{ ids: ['a'], at: at(1) }]);
  });

  it('writes the marks on their own when no step comes within the linger', async () => {
    const { marks, alone } = harness();
    marks.carry();
    const written = marks.add(['a'], at(1));
    void marks.add(['b'], at(1));

    await written;
    expect(alone).toEqual([{ ids: ['a', 'b'], at: at(1) }]);
  });

  it('writes carried marks on their own at once when their step statement failed', async () => {
    const { marks, alone } = harness();
    marks.carry();
    const written = marks.add(['a'], at(1));
    const carried = marks.carry();

    carried.returned();
    expect(alone).toEqual([{ ids: ['a'], at: at(1) }]);
    await expect(written).resolves.toBeUndefined();
  });

  it('rejects the waiting callers when the lone write fails, and keeps marking afterwards', async () => {
    const { marks, alone, failNextWrite } = harness();
    marks.carry();
    failNextWrite();
    await expect(marks.add(['a'], at(1))).rejects.toThrow('connection terminated');

    await marks.add(['b'], at(2));
    expect(alone).toEqual([{ ids: ['b'], at: at(2) }]);
  });

  it('stops lingering at shutdown: what waits is written now, and later marks at once', async () => {
    const { marks, alone } = harness();
    marks.carry();
    void marks.add(['a'], at(1));
    await marks.stopLingering();
    expect(alone).toEqual([{ ids: ['a'], at: at(1) }]);

    const later = marks.add(['b'], at(2));
    expect(alone).toHaveLength(2);
    await later;
  });
});
