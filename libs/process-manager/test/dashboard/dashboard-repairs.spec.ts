import { afterEach, describe, expect, it } from '@jest/globals';
import { ProcessManagerService } from 'nestjs-process-manager';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import { dataSourceOf } from '../support/test-app.js';
import { waitFor } from '../support/wait-for.js';
import {
  createDashboardApp,
  type DashboardApp,
  type DashboardAppOptions,
  OperatorGuard,
  TicketEscalated,
  TicketOpened,
} from './dashboard-app.js';

const API = '/process-manager/api';
const as = (operator: string) => ({ 'x-operator': operator });

describe('the dashboard: timers, state repair, bulk retry, pending outbox (JSON API on PostgreSQL)', () => {
  const db = useTestDatabase();
  let open: DashboardApp[] = [];

  async function start(options: Omit<DashboardAppOptions, 'url'> = {}): Promise<DashboardApp> {
    const started = await createDashboardApp({
      url: db.url,
      dashboard: { guards: [OperatorGuard], actor: (request) => request.operator, ...options.dashboard },
    });
    open.push(started);
    return started;
  }

  afterEach(async () => {
    await Promise.all(open.map(({ app }) => app.close()));
    open = [];
  });

  async function ticket({ app }: DashboardApp, note = 'printer on fire') {
    const processes = app.get(ProcessManagerService);
    const key = uniqueKey('ticket');
    await processes.deliver(new TicketOpened(key, note));
    return { processes, key, id: (await processes.find('ticket', key))!.id };
  }

  /** Every write of this spec, on one ticket: path, action and a body that would succeed. */
  function writes(id: string) {
    return [
      [`processes/${id}/timers/follow-up/reschedule`, 'reschedule-timer', { at: '2031-01-01T00:00:00.000Z' }],
      [`processes/${id}/timers/follow-up/fire`, 'fire-timer', {}],
      [`processes/${id}/timers/follow-up/cancel`, 'cancel-timer', {}],
      [`processes/${id}/state`, 'edit-state', { state: { note: 'x', escalations: 0 }, reason: 'why' }],
      [`processes/${id}/transition`, 'force-transition', { stateName: 'escalated', reason: 'why' }],
      ['dead-letters/retry', 'bulk-retry', { type: 'ticket' }],
    ] as const;
  }

  it('shows the pending timers and the outbox rows not sent in the instance page', async () => {
    const dashboard = await start();
    const { id } = await ticket(dashboard);
    const detail = await dashboard.http.get(`${API}/processes/${id}`).set(as('alice')).expect(200);
    expect(detail.body.timers).toEqual([
      {
        id: expect.any(String),
        name: 'follow-up',
        dueAt: expect.any(String),
        messageType: 'DashboardSpec.TicketFollowUp',
        payload: { ticketId: expect.any(String) },
      },
    ]);

    // The outbox: only rows not marked dispatched. Its ProcessStarted row is marked just after the step.
    const dataSource = dataSourceOf(dashboard.app);
    const undispatched = async () => {
      const [row] = await dataSource.query(
        `SELECT count(*)::int AS rows, count(*) FILTER (WHERE dispatched_at IS NULL)::int AS pending
         FROM pm_outbox WHERE process_id = $1`,
        [id],
      );
      return row as { rows: number; pending: number };
    };
    await waitFor(async () => {
      const { rows, pending } = await undispatched();
      return rows > 0 && pending === 0;
    }, 'the messages of the ticket marked dispatched');
    const sent = await dashboard.http.get(`${API}/processes/${id}`).set(as('alice')).expect(200);
    expect(sent.body.outbox).toEqual([]);

    await dataSource.query(
      `UPDATE pm_outbox SET dispatched_at = NULL WHERE process_id = $1 AND type = 'ProcessManager.ProcessStarted'`,
      [id],
    );
    const pending = await dashboard.http.get(`${API}/processes/${id}`).set(as('alice')).expect(200);
    expect(pending.body.outbox).toMatchObject([
      { type: 'ProcessManager.ProcessStarted', kind: 'event', attempts: 0 },
    ]);
  });

  it('reschedules, fires and cancels timers, each recorded with the actor and reason', async () => {
    const dashboard = await start();
    const { http } = dashboard;
    const first = await ticket(dashboard);
    const at = '2031-05-01T10:00:00.000Z';
    const moved = await http
      .post(`${API}/processes/${first.id}/timers/follow-up/reschedule`)
      .set(as('alice'))
      .send({ at, reason: 'customer on holiday' })
      .expect(200);
    expect(moved.body.timers.map((timer: { dueAt: string }) => timer.dueAt)).toEqual([at]);
    expect((await first.processes.history(first.id)).at(-1)).toMatchObject({
      outcome: 'repaired',
      note: `Timer follow-up rescheduled to ${at}: customer on holiday (by alice)`,
    });

    const fired = await http
      .post(`${API}/processes/${first.id}/timers/follow-up/fire`)
      .set(as('bob'))
      .send({})
      .expect(200);
    expect(fired.body.process).toMatchObject({ id: first.id, status: 'running' });
    expect((await first.processes.get(first.id))!.state).toMatchObject({
      note: 'printer on fire (followed up)',
    });

    const second = await ticket(dashboard);
    const cancelled = await http
      .post(`${API}/processes/${second.id}/timers/follow-up/cancel`)
      .set(as('bob'))
      .send({ reason: 'duplicate' })
      .expect(200);
    expect(cancelled.body.timers).toEqual([]);

    const missing = await http
      .post(`${API}/processes/${second.id}/timers/follow-up/fire`)
      .set(as('bob'))
      .send({});
    expect(missing.status).toBe(404);
    expect(missing.body.error).toBe('TimerNotFoundError');
    const badTime = await http
      .post(`${API}/processes/${first.id}/timers/follow-up/reschedule`)
      .set(as('bob'))
      .send({ at: 'tomorrow' });
    expect(badTime.status).toBe(400);
  });

  it('edits a state with a required reason (the diff in the history) and forces a transition', async () => {
    const dashboard = await start();
    const { http } = dashboard;
    const { processes, id } = await ticket(dashboard);

    const noReason = await http
      .post(`${API}/processes/${id}/state`)
      .set(as('alice'))
      .send({ state: { note: 'fixed', escalations: 0 } });
    expect({ status: noReason.status, error: noReason.body.error }).toEqual({
      status: 400,
      error: 'RepairReasonRequiredError',
    });
    const notJson = await http
      .post(`${API}/processes/${id}/state`)
      .set(as('alice'))
      .send({ state: [1], reason: 'typo' });
    expect(notJson.status).toBe(400);

    const edited = await http
      .post(`${API}/processes/${id}/state`)
      .set(as('alice'))
      .send({ state: { note: 'fixed', escalations: 0 }, reason: 'typo in the note' })
      .expect(200);
    expect(edited.body.process.state).toEqual({ note: 'fixed', escalations: 0 });
    const detail = await http.get(`${API}/processes/${id}`).set(as('alice')).expect(200);
    expect(detail.body.history.at(-1)).toMatchObject({
      outcome: 'repaired',
      operator: true,
      note:
        'State edited: typo in the note (by alice); diff: ' +
        JSON.stringify([{ path: 'note', from: 'printer on fire', to: 'fixed' }]),
    });

    await http
      .post(`${API}/processes/${id}/transition`)
      .set(as('bob'))
      .send({ stateName: 'escalated', reason: 'escalated by phone' })
      .expect(200);
    expect((await processes.get(id))?.stateName).toBe('escalated');
    expect((await processes.history(id)).at(-1)).toMatchObject({
      fromState: 'open',
      toState: 'escalated',
      note: 'Forced from open to escalated: escalated by phone (by bob)',
    });
    const unknownField = await http
      .post(`${API}/processes/${id}/transition`)
      .set(as('bob'))
      .send({ stateName: 'open', reason: 'r', force: true });
    expect(unknownField.status).toBe(400);
  });

  it('counts the dead letters a filter matches, then retries them in bulk', async () => {
    const dashboard = await start();
    const { http, faults } = dashboard;
    const tickets = [await ticket(dashboard), await ticket(dashboard)];
    faults.broken = true;
    for (const { processes, key } of tickets) await processes.deliver(new TicketEscalated(key));
    faults.broken = false;

    const query = { type: 'ticket', errorContains: 'UNREACHABLE' };
    const count = await http.get(`${API}/dead-letters/count`).query(query).set(as('alice')).expect(200);
    expect(count.body).toEqual({ count: 2 });
    const none = await http
      .get(`${API}/dead-letters/count`)
      .query({ messageType: 'Nothing' })
      .set(as('alice'))
      .expect(200);
    expect(none.body).toEqual({ count: 0 });

    const retried = await http
      .post(`${API}/dead-letters/retry`)
      .set(as('alice'))
      .send({ ...query, reason: 'desk is back' })
      .expect(200);
    expect(retried.body).toEqual({ retried: 2 });
    for (const { processes, id } of tickets) {
      expect((await processes.get(id))?.stateName).toBe('escalated');
      expect(
        (await processes.history(id)).some((entry) => entry.note?.endsWith('desk is back (by alice)')),
      ).toBe(true);
    }
    const after = await http.get(`${API}/dead-letters/count`).query(query).set(as('alice')).expect(200);
    expect(after.body).toEqual({ count: 0 });
  });

  it('answers 403 to every repair when readOnly, changing nothing', async () => {
    const dashboard = await start({ dashboard: { readOnly: true } });
    const { processes, id } = await ticket(dashboard);
    for (const [path, action, body] of writes(id)) {
      const response = await dashboard.http.post(`${API}/${path}`).set(as('alice')).send(body);
      expect({ path, status: response.status, message: response.body.message }).toEqual({
        path,
        status: 403,
        message: `The dashboard is read-only: "${action}" is not allowed (readOnly: true).`,
      });
    }
    expect((await processes.history(id)).map((entry) => entry.outcome)).toEqual(['handled']);
    expect(await processes.timers(id)).toHaveLength(1);
  });

  it('answers 403 to each repair can() refuses, and lets it through when it agrees', async () => {
    const refused = new Set<string>();
    const dashboard = await start({ dashboard: { can: (action) => !refused.has(action) } });
    const { processes, id } = await ticket(dashboard);
    for (const [path, action, body] of writes(id)) {
      refused.add(action);
      const response = await dashboard.http.post(`${API}/${path}`).set(as('alice')).send(body);
      expect({ path, status: response.status, message: response.body.message }).toEqual({
        path,
        status: 403,
        message: `"${action}" is not allowed for this request: the dashboard's can() said no.`,
      });
      refused.delete(action);
    }
    expect((await processes.history(id)).map((entry) => entry.outcome)).toEqual(['handled']);
    const allowed = await dashboard.http
      .post(`${API}/processes/${id}/timers/follow-up/cancel`)
      .set(as('alice'))
      .send({});
    expect(allowed.status).toBe(200);
  });
});
