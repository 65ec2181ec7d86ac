// The sample's document voiding as two services, Billing and Reports, each a real child process
// (`SAMPLE_SERVICE=billing|reports`, compiled from the sources) with its own database, talking over
// the machine's RabbitMQ on exchange and queues of this run only.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import pg from 'pg';
import { RABBITMQ_URL, useBroker } from '../libs/process-manager/test/rabbitmq/broker.js';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { type Http, waitForProcess } from './support/sample-app.js';
import {
  buildSample,
  openQueueProbe,
  type QueueProbe,
  type SampleBuild,
  SampleServiceProcess,
} from './support/sample-services.js';
import { waitFor } from './support/wait-for.js';

async function issueDocument(billing: Http, customerId: string): Promise<string> {
  const response = await billing.post('/documents').send({ customerId }).expect(201);
  return response.body.documentId as string;
}

interface ReportLineView {
  documentId: string;
  reportId: string | null;
  voided: boolean;
}

async function reportLines(reports: Http, customerId: string): Promise<ReportLineView[]> {
  const { body } = await reports.get(`/reports/${customerId}`).expect(200);
  return body.documents as ReportLineView[];
}

/** Waits until Reports learnt the documents from Billing's DocumentIssued, over the broker. */
async function reportsKnow(reports: Http, customerId: string, documentIds: string[]): Promise<void> {
  await waitFor(async () => {
    const known = new Set((await reportLines(reports, customerId)).map((line) => line.documentId));
    return documentIds.every((documentId) => known.has(documentId));
  }, `Reports to know ${documentIds.length} document(s) of ${customerId}`);
}

async function voidDocument(billing: Http, documentId: string): Promise<string> {
  const { body } = await billing.post(`/documents/${documentId}/void`).expect(202);
  return body.processId as string;
}

async function rows<T extends pg.QueryResultRow>(pool: pg.Pool, sql: string, values: unknown[]) {
  return (await pool.query<T>(sql, values)).rows;
}

describe('document voiding as two services over RabbitMQ (real child processes)', () => {
  let build: SampleBuild | undefined;
  let billingDb: TestDatabase | undefined;
  let reportsDb: TestDatabase | undefined;
  let billingSql: pg.Pool;
  let reportsSql: pg.Pool;
  let billing: SampleServiceProcess | undefined;
  let reports: SampleServiceProcess | undefined;
  let probe: QueueProbe | undefined;

  // Declared before useBroker()'s hook, so the services are gone before their queues are deleted.
  afterAll(async () => {
    await Promise.all([billing?.kill(), reports?.kill()]);
    await Promise.all([billingSql?.end(), reportsSql?.end(), probe?.close()]);
    await Promise.all([billingDb?.drop(), reportsDb?.drop()]);
    await build?.remove();
  }, 60_000);
  const broker = useBroker();

  beforeAll(async () => {
    [build, billingDb, reportsDb, probe] = await Promise.all([
      buildSample(),
      createTestDatabase(),
      createTestDatabase(),
      openQueueProbe(RABBITMQ_URL),
    ]);
    [billingSql, reportsSql] = [billingDb.url, reportsDb.url].map((url) => {
      const pool = new pg.Pool({ connectionString: url, max: 2 });
      // An idle client terminated by the server (a shared one restarts or kills backends): the pool replaces it.
      pool.on('error', () => undefined);
      return pool;
    }) as [pg.Pool, pg.Pool];
    const env = { rabbitMqUrl: RABBITMQ_URL, exchange: broker.exchange, probe };
    // Both consume before any test publishes: a command no queue takes is refused, an event dropped.
    [billing, reports] = await Promise.all([
      SampleServiceProcess.start(build, 'billing', {
        ...env,
        databaseUrl: billingDb.url,
        queue: broker.queue('billing'),
      }),
      SampleServiceProcess.start(build, 'reports', {
        ...env,
        databaseUrl: reportsDb.url,
        queue: broker.queue('reports'),
      }),
    ]);
    // Every change of a report line's voided_at, written by PostgreSQL itself: "changed once" is checked here.
    await reportsSql.query(`
      CREATE TABLE test_voided_at_changes (document_id uuid NOT NULL, voided_at timestamptz);
      CREATE FUNCTION test_record_voided_at_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO test_voided_at_changes VALUES (NEW.document_id, NEW.voided_at); RETURN NEW; END $$;
      CREATE TRIGGER test_voided_at_changes AFTER UPDATE ON report_lines FOR EACH ROW
        WHEN (OLD.voided_at IS DISTINCT FROM NEW.voided_at) EXECUTE FUNCTION test_record_voided_at_change();
    `);
  }, 180_000);

  const voidedAtChanges = async (documentIds: string[]) =>
    rows<{ document_id: string; changes: number }>(
      reportsSql,
      `SELECT line.document_id, count(change.document_id)::int AS changes
         FROM report_lines line LEFT JOIN test_voided_at_changes change USING (document_id)
        WHERE line.document_id = ANY($1::uuid[]) GROUP BY line.document_id`,
      [documentIds],
    );

  it('serves each service its own routes only', async () => {
    const unknown = '7d1f3c9e-0000-4000-8000-000000000000';
    await billing!.http.get('/health').expect(200);
    await reports!.http.get('/health').expect(200);
    await billing!.http.post('/reports/acme/publish').expect(404);
    await reports!.http.post('/documents').send({ customerId: 'acme' }).expect(404);
    await reports!.http.get(`/processes/${unknown}`).expect(404);
    await billing!.http.get(`/processes/${unknown}`).expect(404);
  });

  it('voids a document across both: Reports learns it, marks its line once, the process completes', async () => {
    const documentId = await issueDocument(billing!.http, 'acme');
    await reportsKnow(reports!.http, 'acme', [documentId]);

    const processId = await voidDocument(billing!.http, documentId);
    const process = await waitForProcess(billing!.http, processId, 'completed', 'voided');

    expect(process).toMatchObject({ type: 'document-voiding', correlationKey: documentId });
    await waitFor(async () => {
      const { body } = await billing!.http.get(`/documents/${documentId}`).expect(200);
      return body.status === 'voided';
    }, 'Billing to mark the document voided');
    expect(await reportLines(reports!.http, 'acme')).toContainEqual({
      documentId,
      reportId: null,
      voided: true,
    });
    expect(await voidedAtChanges([documentId])).toEqual([{ document_id: documentId, changes: 1 }]);
  });

  it('fails the voiding of a document in a published report, refuses another until acknowledged', async () => {
    const documentId = await issueDocument(billing!.http, 'globex');
    await reportsKnow(reports!.http, 'globex', [documentId]);
    const published = await reports!.http.post('/reports/globex/publish').expect(200);
    expect(published.body.documentIds).toEqual([documentId]);

    const first = await voidDocument(billing!.http, documentId);
    const failed = await waitForProcess(billing!.http, first, 'failed', 'aborted');
    expect(failed.lastError).toBe(
      `Reports refused to void the document: it is in published report ${published.body.reportId}`,
    );
    await waitFor(async () => {
      const { body } = await billing!.http.get(`/documents/${documentId}`).expect(200);
      return body.status === 'issued';
    }, 'the document back to issued');

    const blocked = await billing!.http.post(`/documents/${documentId}/void`).expect(409);
    expect(blocked.body.message).toContain(`acknowledge process ${first}`);
    const acknowledged = await billing!.http.post(`/processes/${first}/acknowledge`).expect(200);
    expect(acknowledged.body).toMatchObject({ status: 'failed', acknowledgedAt: expect.any(String) });

    const second = await voidDocument(billing!.http, documentId);
    expect(second).not.toBe(first);
    await waitForProcess(billing!.http, second, 'failed', 'aborted');
    expect(await voidedAtChanges([documentId])).toEqual([{ document_id: documentId, changes: 0 }]);
  });

  it('completes 30 voidings once each although Reports is killed (SIGKILL) and restarted in the middle', async () => {
    const customerId = 'kill-9';
    const documentIds: string[] = [];
    for (let i = 0; i < 30; i++) documentIds.push(await issueDocument(billing!.http, customerId));
    await reportsKnow(reports!.http, customerId, documentIds);
    const completed = async (ids: string[]) =>
      (
        await rows<{ count: number }>(
          billingSql,
          `SELECT count(*)::int AS count FROM pm_process
            WHERE type = 'document-voiding' AND status = 'completed' AND correlation_key = ANY($1)`,
          [ids],
        )
      )[0]!.count;

    const before = documentIds.slice(0, 15);
    const after = documentIds.slice(15);
    await Promise.all(before.map((documentId) => voidDocument(billing!.http, documentId)));
    await waitFor(async () => (await completed(before)) >= 1, 'the first voiding to complete');
    expect(await reports!.kill('SIGKILL')).toBe('SIGKILL');

    // Billing takes voidings while Reports is down; they wait in Reports' queue.
    for (const documentId of after) await voidDocument(billing!.http, documentId);
    expect(await completed(after)).toBe(0);

    await reports!.start();
    await waitFor(async () => (await completed(documentIds)) === 30, 'all 30 voidings to complete', 60_000);

    const processes = await rows<{ correlation_key: string; status: string; succeeded: number }>(
      billingSql,
      `SELECT p.correlation_key, p.status,
              (SELECT count(*)::int FROM pm_history h
                WHERE h.process_id = p.id AND h.message_type = 'MarkingDocumentAsVoidedSucceeded') AS succeeded
         FROM pm_process p WHERE p.type = 'document-voiding' AND p.correlation_key = ANY($1)`,
      [documentIds],
    );
    expect(processes).toHaveLength(30);
    expect(processes.filter((process) => process.status !== 'completed' || process.succeeded !== 1)).toEqual(
      [],
    );
    await waitFor(
      async () =>
        (
          await rows(billingSql, `SELECT 1 FROM documents WHERE id = ANY($1::uuid[]) AND status = 'voided'`, [
            documentIds,
          ])
        ).length === 30,
      'Billing to mark all 30 documents voided',
    );
    const voidedEvents = await rows<{ document_id: string; count: number }>(
      billingSql,
      `SELECT payload->>'documentId' AS document_id, count(*)::int AS count FROM pm_outbox
        WHERE type = 'DocumentVoided' AND payload->>'documentId' = ANY($1) GROUP BY 1`,
      [documentIds],
    );
    expect(voidedEvents).toHaveLength(30);
    expect(voidedEvents.filter((event) => event.count !== 1)).toEqual([]);

    const changes = await voidedAtChanges(documentIds);
    expect(changes).toHaveLength(30);
    expect(changes.filter((line) => line.changes !== 1)).toEqual([]);
    for (const sql of [billingSql, reportsSql])
      expect(
        await rows(sql, `SELECT handler, message_type, error FROM pm_dead_letter WHERE status = 'dead'`, []),
      ).toEqual([]);
  }, 150_000);
});
