import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { type SampleUnderTest, startSample, waitForProcess } from './support/sample-app.js';

const API = '/process-manager/api';
const order = (simulate: object = {}) => ({ items: [{ sku: 'BOOK-42', qty: 1 }], total: 10, simulate });

describe('the sample mounts the dashboard', () => {
  let database: TestDatabase;
  const samples: SampleUnderTest[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
  });

  afterAll(async () => {
    for (const sample of samples) await sample.close();
    await database?.drop();
  });

  async function start(dashboard: { token?: string; readOnly?: boolean } = {}) {
    const sample = await startSample(database.url, { dashboard });
    samples.push(sample);
    return sample;
  }

  it('at /process-manager, with / leading there and the demo panel at /demo/', async () => {
    const { http } = await start();
    expect((await http.get('/').expect(302)).headers.location).toBe('/process-manager/');
    const page = await http.get('/process-manager/').expect(200);
    expect(page.text).toContain('<script type="module" src="assets/app.js"></script>');
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    const demo = await http.get('/demo/').expect(200);
    expect(demo.text).toContain('data-testid="start-order"');
    expect((await http.get('/demo').expect(302)).headers.location).toBe('/demo/');
    await http.get('/demo/demo.js').expect(200);
    const session = await http.get(`${API}/session`).expect(200);
    expect(session.body).toMatchObject({ readOnly: false, actor: 'sample operator' });
    const overview = await http.get(`${API}/overview`).expect(200);
    expect(overview.body.types.map((type: { type: string }) => type.type).sort()).toEqual([
      'document-voiding',
      'group-checkout',
      'order-fulfilment',
    ]);
  });

  it('with DASHBOARD_TOKEN: every API request needs the bearer token; the UI shell loads to ask for it', async () => {
    const { http } = await start({ token: 's3cret' });
    await http.get('/process-manager/').expect(200);
    await http.get('/process-manager/assets/app.js').expect(200);
    for (const path of ['session', 'overview', 'processes', 'dead-letters']) {
      const refused = await http.get(`${API}/${path}`).expect(401);
      expect(refused.body.message).toBe('The dashboard needs Authorization: Bearer <DASHBOARD_TOKEN>.');
      await http.get(`${API}/${path}`).set('Authorization', 'Bearer wrong').expect(401);
      await http.get(`${API}/${path}`).set('Authorization', 'Bearer s3cret').expect(200);
    }
    // The sample's own REST API is not the dashboard's: it stays as it was.
    await http.get('/processes').expect(200);
  });

  it('with DASHBOARD_READ_ONLY=1: reads work, every write answers 403', async () => {
    const { http } = await start({ readOnly: true });
    const placed = await http.post('/orders').send(order()).expect(201);
    await waitForProcess(http, placed.body.processId, 'completed');
    await http.get(`${API}/processes/${placed.body.processId}`).expect(200);
    for (const action of ['retry', 'cancel', 'acknowledge']) {
      const refused = await http
        .post(`${API}/processes/${placed.body.processId}/${action}`)
        .send({})
        .expect(403);
      expect(refused.body.error).toBe('DashboardActionForbiddenError');
    }
  });
});
