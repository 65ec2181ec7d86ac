import { afterEach, beforeEach, describe, expect, it } from '@jest/globals';
import { ProcessManagerService } from 'nestjs-process-manager';
import {
  DASHBOARD_ACTIONS,
  DashboardWithoutProcessManagerError,
  InvalidDashboardOptionError,
} from 'nestjs-process-manager/dashboard';
import { randomUUID } from 'node:crypto';
import { useTestDatabase } from '../support/database.js';
import { uniqueKey } from '../support/messages.js';
import {
  createDashboardApp,
  type DashboardApp,
  type DashboardAppOptions,
  NotBlockedGuard,
  OperatorGuard,
  TicketEscalated,
  TicketOpened,
  TicketRejected,
} from './dashboard-app.js';

const API = '/process-manager/api';

describe('the dashboard module (JSON API and UI on PostgreSQL)', () => {
  const db = useTestDatabase();
  let open: DashboardApp[] = [];

  async function start(options: Omit<DashboardAppOptions, 'url'> = {}): Promise<DashboardApp> {
    const started = await createDashboardApp({ url: db.url, ...options });
    open.push(started);
    return started;
  }

  afterEach(async () => {
    await Promise.all(open.map(({ app }) => app.close()));
    open = [];
  });

  beforeEach(() => {
    OperatorGuard.shellIsPublic = false;
    OperatorGuard.calls = 0;
  });

  /** An open ticket, one whose escalation is a dead letter, and a failed one. */
  async function tickets({ app, faults }: DashboardApp) {
    const processes = app.get(ProcessManagerService);
    const [openKey, deadKey, failedKey] = [uniqueKey('open'), uniqueKey('dead'), uniqueKey('failed')];
    await processes.deliver(new TicketOpened(openKey, 'first'));
    await processes.deliver(new TicketOpened(deadKey));
    faults.broken = true;
    await processes.deliver(new TicketEscalated(deadKey));
    faults.broken = false;
    await processes.deliver(new TicketOpened(failedKey));
    await processes.deliver(new TicketRejected(failedKey, 'duplicate'));
    const find = async (key: string) => (await processes.find('ticket', key))!;
    return { processes, open: await find(openKey), dead: await find(deadKey), failed: await find(failedKey) };
  }

  const as = (operator: string) => ({ 'x-operator': operator });

  describe('guards', () => {
    it('run on every route of the UI and of the API, resolved from the app (provider or created)', async () => {
      const dashboard = await start({ dashboard: { guards: [OperatorGuard, NotBlockedGuard] } });
      const { http } = dashboard;
      const { dead } = await tickets(dashboard);
      const routes = [
        ['get', '/process-manager/'],
        ['get', '/process-manager/assets/app.js'],
        ['get', `${API}/session`],
        ['get', `${API}/overview`],
        ['get', `${API}/processes`],
        ['get', `${API}/processes/${dead.id}`],
        ['get', `${API}/types/ticket/diagram`],
        ['get', `${API}/dead-letters`],
        ['post', `${API}/processes/${dead.id}/retry`],
      ] as const;
      for (const [method, path] of routes) {
        const refused = await http[method](path).send({});
        expect({ path, status: refused.status, error: refused.body.error }).toEqual({
          path,
          status: 401,
          error: 'UnauthorizedException',
        });
      }
      expect(OperatorGuard.calls).toBe(routes.length);
      const blocked = await http.get(`${API}/session`).set(as('alice')).set('x-blocked', 'yes');
      expect(blocked.status).toBe(403);
      expect(blocked.body).toEqual({
        statusCode: 403,
        error: 'DashboardAccessDeniedError',
        message: 'Access to the dashboard was denied by NotBlockedGuard.',
      });

      await http.get('/process-manager/').set(as('alice')).expect(200);
      await http.get('/process-manager/assets/app.js').set(as('bob')).expect(200);
      await http.get(`${API}/processes/${dead.id}`).set(as('alice')).expect(200);
      // Nothing was retried by the refused POST.
      expect((await http.get(`${API}/processes/${dead.id}`).set(as('alice'))).body.deadLetters).toHaveLength(
        1,
      );
    });

    it('may let the UI shell through for a header-token guard (isDashboardShell), never the API', async () => {
      OperatorGuard.shellIsPublic = true;
      const { http } = await start({ dashboard: { guards: [OperatorGuard] } });
      await http.get('/process-manager/').expect(200);
      await http.get('/process-manager/assets/dashboard.css').expect(200);
      await http.get(`${API}/session`).expect(401);
      await http.get(`${API}/processes`).expect(401);
    });
  });

  describe('readOnly', () => {
    it('answers 403 to every write and changes nothing; reads still work', async () => {
      const dashboard = await start({ dashboard: { readOnly: true } });
      const { http } = dashboard;
      const { processes, open: live, dead, failed } = await tickets(dashboard);
      const [letter] = await processes.deadLetters({ processId: dead.id });
      const writes = [
        [`processes/${dead.id}/retry`, 'retry'],
        [`processes/${live.id}/cancel`, 'cancel'],
        [`processes/${failed.id}/acknowledge`, 'acknowledge'],
        [`dead-letters/${letter!.id}/retry`, 'retry'],
      ];
      for (const [path, action] of writes) {
        const response = await http.post(`${API}/${path}`).send({ reason: 'try' });
        expect({ path, status: response.status, body: response.body }).toEqual({
          path,
          status: 403,
          body: {
            statusCode: 403,
            error: 'DashboardActionForbiddenError',
            message: `The dashboard is read-only: "${action}" is not allowed (readOnly: true).`,
          },
        });
      }
      expect((await processes.get(live.id))?.status).toBe('running');
      expect((await processes.get(failed.id))?.acknowledgedAt).toBeUndefined();
      expect(await processes.deadLetters({ processId: dead.id })).toHaveLength(1);
      expect((await processes.history(dead.id)).map((entry) => entry.outcome)).toEqual(['handled']);

      const session = await http.get(`${API}/session`).expect(200);
      expect(session.body).toEqual({
        readOnly: true,
        actions: Object.fromEntries(DASHBOARD_ACTIONS.map((action) => [action, false])),
        actor: null,
      });
      await http.get(`${API}/processes/${dead.id}`).expect(200);
    });
  });

  describe('can()', () => {
    it('decides each action per request (403 when it says no) and tells the UI what is allowed', async () => {
      const dashboard = await start({
        dashboard: {
          guards: [OperatorGuard],
          can: async (action, request) => request.operator === 'alice' || action !== 'cancel',
        },
      });
      const { http } = dashboard;
      const { processes, open: live } = await tickets(dashboard);

      const refused = await http.post(`${API}/processes/${live.id}/cancel`).set(as('bob')).send({});
      expect(refused.status).toBe(403);
      expect(refused.body).toEqual({
        statusCode: 403,
        error: 'DashboardActionForbiddenError',
        message: `"cancel" is not allowed for this request: the dashboard's can() said no.`,
      });
      expect((await processes.get(live.id))?.status).toBe('running');
      const bob = await http.get(`${API}/session`).set(as('bob')).expect(200);
      expect(bob.body.actions).toMatchObject({ cancel: false, retry: true, acknowledge: true });

      await http.post(`${API}/processes/${live.id}/cancel`).set(as('alice')).send({}).expect(200);
      expect((await processes.get(live.id))?.status).toBe('cancelled');
      const alice = await http.get(`${API}/session`).set(as('alice')).expect(200);
      expect(alice.body.actions).toMatchObject({ cancel: true, retry: true });
    });
  });

  describe('the audit trail', () => {
    it("records who acted and why in the instance's history: acknowledge, cancel, retry", async () => {
      const dashboard = await start({
        dashboard: { guards: [OperatorGuard], actor: (request) => request.operator },
      });
      const { http } = dashboard;
      const { processes, open: live, dead, failed } = await tickets(dashboard);

      const acknowledged = await http
        .post(`${API}/processes/${failed.id}/acknowledge`)
        .set(as('alice'))
        .send({ reason: 'customer refunded by hand' })
        .expect(200);
      expect(acknowledged.body.process).toMatchObject({ id: failed.id, status: 'failed' });
      expect(acknowledged.body.process.acknowledgedAt).toBeDefined();
      expect((await processes.history(failed.id)).at(-1)).toMatchObject({
        outcome: 'acknowledged',
        note: 'customer refunded by hand (by alice)',
      });

      await http
        .post(`${API}/processes/${live.id}/cancel`)
        .set(as('bob'))
        .send({ reason: 'duplicate' })
        .expect(200);
      expect((await processes.history(live.id)).at(-1)).toMatchObject({
        outcome: 'cancelled',
        status: 'cancelled',
        note: 'duplicate (by bob)',
      });

      const retried = await http
        .post(`${API}/processes/${dead.id}/retry`)
        .set(as('alice'))
        .send({})
        .expect(200);
      expect(retried.body).toMatchObject({
        process: { status: 'running', stateName: 'escalated' },
        deadLetters: 0,
      });
      const timeline = (await http.get(`${API}/processes/${dead.id}`).set(as('alice')).expect(200)).body
        .history;
      expect(timeline.map((entry: { outcome: string }) => entry.outcome)).toEqual([
        'handled',
        'retried',
        'handled',
      ]);
      expect(timeline[1]).toMatchObject({
        messageType: 'ProcessManager.Retry',
        operator: true,
        note: 'Retry of 1 dead letter (DashboardSpec.TicketEscalated) (by alice)',
      });
      expect(timeline[2]).toMatchObject({ messageType: 'DashboardSpec.TicketEscalated', operator: false });
      const session = await http.get(`${API}/session`).set(as('bob')).expect(200);
      expect(session.body.actor).toBe('bob');
    });

    it('records the retry of one dead letter by id, and a retry that fails again keeps its trace', async () => {
      const dashboard = await start({ dashboard: { actor: () => 'ops-bot' } });
      const { http, faults } = dashboard;
      const { processes, dead } = await tickets(dashboard);
      const letter = (await http.get(`${API}/dead-letters`).expect(200)).body.items.find(
        (item: { processId?: string }) => item.processId === dead.id,
      );
      expect(letter).toMatchObject({ processId: dead.id, messageType: 'DashboardSpec.TicketEscalated' });
      expect(letter.status).toBeUndefined();

      faults.broken = true;
      await http.post(`${API}/dead-letters/${letter.id}/retry`).send({ reason: 'desk is back?' }).expect(200);
      const history = await processes.history(dead.id);
      expect(history.map((entry) => entry.outcome)).toEqual(['handled', 'retried']);
      expect(history[1]!.note).toBe(
        'Retry of 1 dead letter (DashboardSpec.TicketEscalated): desk is back? (by ops-bot)',
      );
      expect(await processes.deadLetters({ processId: dead.id })).toHaveLength(1);
    });
  });

  describe('errors', () => {
    it('answer with the named error, its message and a 4xx, never a stack', async () => {
      const dashboard = await start();
      const { http } = dashboard;
      const { open: live } = await tickets(dashboard);
      const unknown = randomUUID();
      const cases = [
        [
          http.get(`${API}/processes/${unknown}`),
          404,
          'ProcessNotFoundError',
          `No process instance with id ${unknown}.`,
        ],
        [http.post(`${API}/processes/${unknown}/retry`).send({}), 404, 'ProcessNotFoundError', unknown],
        [http.post(`${API}/dead-letters/${unknown}/retry`).send({}), 404, 'DeadLetterNotFoundError', unknown],
        [http.get(`${API}/types/parcel/diagram`), 404, 'UnknownProcessTypeError', '"parcel"'],
        [
          http.post(`${API}/processes/${live.id}/acknowledge`).send({}),
          409,
          'InvalidProcessStatusError',
          `Cannot acknowledge process ${live.id}: it is running.`,
        ],
        [http.get(`${API}/processes/not-a-uuid`), 400, 'DashboardRequestError', 'must be a uuid'],
        [http.get(`${API}/processes?status=paused`), 400, 'DashboardRequestError', 'status must be one of'],
        [http.get(`${API}/processes?limit=0`), 400, 'DashboardRequestError', 'limit must be a whole number'],
        [
          http.get(`${API}/processes?sort=age`),
          400,
          'DashboardRequestError',
          'Unknown query parameter "sort"',
        ],
        [http.get(`${API}/processes?cursor=bm9wZQ`), 400, 'InvalidCursorError', 'bm9wZQ'],
        [
          http.post(`${API}/processes/${live.id}/cancel`).send({ reason: 42 }),
          400,
          'DashboardRequestError',
          'reason must be a string',
        ],
        [
          http.post(`${API}/processes/${live.id}/cancel`).send({ reason: 'ok', force: true }),
          400,
          'DashboardRequestError',
          'Unknown body field "force"',
        ],
        [
          http.post(`${API}/processes/${live.id}/cancel`).set('Content-Type', 'text/plain').send('{}'),
          415,
          'DashboardRequestError',
          'send Content-Type: application/json',
        ],
        [http.get('/process-manager/assets/secrets.txt'), 404, 'NotFoundException', 'no file "secrets.txt"'],
      ] as const;
      for (const [call, status, error, message] of cases) {
        const response = await call;
        expect({ status: response.status, error: response.body.error }).toEqual({ status, error });
        expect(response.body.message).toContain(message);
        expect(Object.keys(response.body).sort()).toEqual(['error', 'message', 'statusCode']);
        expect(response.headers['cache-control']).toBe('no-store');
      }
      expect((await dashboard.app.get(ProcessManagerService).get(live.id))?.status).toBe('running');
    });

    it('change no state on GET: writes exist only as POST', async () => {
      const dashboard = await start();
      const { open: live } = await tickets(dashboard);
      await dashboard.http.get(`${API}/processes/${live.id}/cancel`).expect(404);
      expect((await dashboard.app.get(ProcessManagerService).get(live.id))?.status).toBe('running');
    });
  });

  describe('the UI and the API responses', () => {
    it('serve the UI with a strict CSP from the package, and JSON that is never stored', async () => {
      const { http } = await start();
      const redirect = await http.get('/process-manager').expect(302);
      expect(redirect.headers.location).toBe('process-manager/');
      const page = await http.get('/process-manager/').expect(200);
      expect(page.headers['content-type']).toBe('text/html; charset=utf-8');
      const csp = page.headers['content-security-policy']!;
      expect(csp).toContain("default-src 'none'");
      expect(csp).toContain("script-src 'self'");
      expect(csp).toContain("style-src 'self'");
      expect(csp).toContain("frame-ancestors 'none'");
      expect(csp).toContain("require-trusted-types-for 'script'");
      expect(csp).not.toContain('unsafe');
      expect(page.headers['x-content-type-options']).toBe('nosniff');
      // No inline code for the CSP to allow: scripts and styles are files.
      expect(page.text).not.toMatch(/<script(?![^>]*\bsrc=)[^>]*>/);
      expect(page.text).not.toMatch(/<style|\sstyle=|\son[a-z]+=/i);
      const script = await http.get('/process-manager/assets/app.js').expect(200);
      expect(script.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(script.text).not.toMatch(/innerHTML|outerHTML|insertAdjacentHTML|document\.write/);

      const session = await http.get(`${API}/session`).expect(200);
      expect(session.headers['cache-control']).toBe('no-store');
      expect(session.headers['content-type']).toMatch(/^application\/json/);
    });

    it('lists summaries without the state, and finds instances by business key (any status) or id', async () => {
      const dashboard = await start();
      const processes = dashboard.app.get(ProcessManagerService);
      const key = uniqueKey('big');
      await processes.deliver(new TicketOpened(key, 'x'.repeat(200_000)));
      const instance = (await processes.find('ticket', key))!;
      const page = await dashboard.http.get(`${API}/processes?type=ticket&limit=10`).expect(200);
      expect(page.text.length).toBeLessThan(10_000);
      expect(page.body.items[0]).toMatchObject({ id: instance.id, correlationKey: key, stateName: 'open' });
      expect(page.body.items[0]).not.toHaveProperty('state');

      const byKey = await dashboard.http.get(`${API}/processes?key=${key}`).expect(200);
      expect(byKey.body.items.map((item: { id: string }) => item.id)).toEqual([instance.id]);
      const byId = await dashboard.http.get(`${API}/processes?key=${instance.id}`).expect(200);
      expect(byId.body.items.map((item: { id: string }) => item.id)).toEqual([instance.id]);
      await processes.deliver(new TicketRejected(key, 'too big'));
      await processes.acknowledgeFailure(instance.id);
      const finished = await dashboard.http.get(`${API}/processes?key=${key}&status=failed`).expect(200);
      expect(finished.body.items).toEqual([
        expect.objectContaining({ id: instance.id, failureKind: 'failed' }),
      ]);
      const byState = await dashboard.http
        .get(`${API}/processes?type=ticket&state=rejected&limit=200`)
        .expect(200);
      expect(byState.body.items.map((item: { id: string }) => item.id)).toContain(instance.id);
      expect(byState.body.items.every((item: { stateName: string }) => item.stateName === 'rejected')).toBe(
        true,
      );
      const none = await dashboard.http.get(`${API}/processes?key=${uniqueKey('nobody')}`).expect(200);
      expect(none.body.items).toEqual([]);

      const detail = await dashboard.http.get(`${API}/processes/${instance.id}`).expect(200);
      expect(detail.body.process.state.note).toHaveLength(200_000);
    });

    it('gives an overview of live, failed, stuck and dead-lettered instances per type', async () => {
      const dashboard = await start();
      const before = (await dashboard.http.get(`${API}/overview`).expect(200)).body;
      await tickets(dashboard);
      const after = (await dashboard.http.get(`${API}/overview`).expect(200)).body;
      const delta = (field: 'running' | 'failed' | 'deadLetters' | 'compensating' | 'stalled') =>
        after.types[0][field] - before.types[0][field];
      expect(after.types.map((type: { type: string }) => type.type)).toEqual(['ticket']);
      expect([delta('running'), delta('failed'), delta('deadLetters'), delta('compensating')]).toEqual([
        2, 1, 1, 0,
      ]);
      expect(after.otherDeadLetters).toEqual([]);
    });
  });

  describe('boot', () => {
    it('fails with a named error when the app has no ProcessManagerModule', async () => {
      await expect(createDashboardApp({ url: db.url, withoutProcessManager: true })).rejects.toThrow(
        DashboardWithoutProcessManagerError,
      );
    });

    it('refuses a path that is not a URL path', async () => {
      await expect(start({ dashboard: { path: '/ops/<x>' } })).rejects.toThrow(InvalidDashboardOptionError);
    });

    it('mounts at another path', async () => {
      const { http } = await start({ dashboard: { path: 'ops/processes/' } });
      await http.get('/ops/processes/').expect(200);
      await http.get('/ops/processes/api/session').expect(200);
      await http.get('/process-manager/').expect(404);
    });
  });
});
