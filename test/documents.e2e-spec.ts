import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import {
  type Http,
  type SampleUnderTest,
  sentBy,
  startSample,
  waitForProcess,
} from './support/sample-app.js';
import { waitFor } from './support/wait-for.js';

async function issueDocument(http: Http, customerId: string): Promise<string> {
  const response = await http.post('/documents').send({ customerId }).expect(201);
  return response.body.documentId as string;
}

async function documentStatus(http: Http, documentId: string): Promise<string> {
  const response = await http.get(`/documents/${documentId}`).expect(200);
  return response.body.status as string;
}

/** Reports learns about documents from Billing's DocumentIssued; publish once it has. */
async function publishReportWith(http: Http, customerId: string, documentId: string): Promise<void> {
  await waitFor(async () => {
    const { body } = await http.get(`/reports/${customerId}`).expect(200);
    return (body.documents as { documentId: string }[]).some(
      (document) => document.documentId === documentId,
    );
  }, `Reports to know document ${documentId}`);
  const { body } = await http.post(`/reports/${customerId}/publish`).expect(200);
  expect(body.documentIds).toContain(documentId);
}

describe('documents: voiding across Billing and Reports', () => {
  let database: TestDatabase;
  let sample: SampleUnderTest;

  beforeAll(async () => {
    database = await createTestDatabase();
    sample = await startSample(database.url);
  });

  afterAll(async () => {
    await sample?.close();
    await database?.drop();
  });

  it('voids a document that is in no published report', async () => {
    const documentId = await issueDocument(sample.http, 'acme');

    const { body } = await sample.http.post(`/documents/${documentId}/void`).expect(202);
    const process = await waitForProcess(sample.http, body.processId, 'completed', 'voided');

    expect(process).toMatchObject({ type: 'document-voiding', correlationKey: documentId });
    expect(sentBy(process)).toEqual(['command MarkDocumentAsVoided', 'command CompleteDocumentVoiding']);
    await waitFor(
      async () => (await documentStatus(sample.http, documentId)) === 'voided',
      'the document to be voided',
    );
  });

  it('refuses to void a voided document', async () => {
    const documentId = await issueDocument(sample.http, 'acme');
    const { body } = await sample.http.post(`/documents/${documentId}/void`).expect(202);
    await waitForProcess(sample.http, body.processId, 'completed');
    await waitFor(
      async () => (await documentStatus(sample.http, documentId)) === 'voided',
      'the document to be voided',
    );

    const again = await sample.http.post(`/documents/${documentId}/void`).expect(409);
    expect(again.body.message).toBe(`Document ${documentId} is already voided.`);
  });

  it('aborts the voiding of a document in a published report, which stays failed until acknowledged', async () => {
    const documentId = await issueDocument(sample.http, 'globex');
    await publishReportWith(sample.http, 'globex', documentId);

    const first = await sample.http.post(`/documents/${documentId}/void`).expect(202);
    const failed = await waitForProcess(sample.http, first.body.processId, 'failed', 'aborted');
    expect(failed.lastError).toMatch(/^Reports refused to void the document: it is in published report /);
    expect(sentBy(failed)).toEqual(['command MarkDocumentAsVoided', 'command AbortDocumentVoiding']);
    await waitFor(
      async () => (await documentStatus(sample.http, documentId)) === 'issued',
      'the document back to issued',
    );

    const blocked = await sample.http.post(`/documents/${documentId}/void`).expect(409);
    expect(blocked.body.message).toContain(`acknowledge process ${first.body.processId}`);

    const acknowledged = await sample.http.post(`/processes/${first.body.processId}/acknowledge`).expect(200);
    expect(acknowledged.body).toMatchObject({ status: 'failed', acknowledgedAt: expect.any(String) });
    await sample.http.post(`/processes/${first.body.processId}/acknowledge`).expect(409);

    const second = await sample.http.post(`/documents/${documentId}/void`).expect(202);
    expect(second.body.processId).not.toBe(first.body.processId);
    await waitForProcess(sample.http, second.body.processId, 'failed', 'aborted');
  });

  it('runs at most one voiding of a document at a time', async () => {
    const documentId = await issueDocument(sample.http, 'initech');

    const responses = await Promise.all([
      sample.http.post(`/documents/${documentId}/void`),
      sample.http.post(`/documents/${documentId}/void`),
      sample.http.post(`/documents/${documentId}/void`),
    ]);

    expect(responses.map((response) => response.status).sort()).toEqual([202, 409, 409]);
    const accepted = responses.find((response) => response.status === 202)!;
    for (const refused of responses.filter((response) => response.status === 409)) {
      expect(refused.body.message).toMatch(/already being voided/);
    }
    await waitForProcess(sample.http, accepted.body.processId, 'completed');
    const { body } = await sample.http.get(`/processes?type=document-voiding&limit=200`).expect(200);
    const voidings = (body.items as { correlationKey: string }[]).filter(
      (item) => item.correlationKey === documentId,
    );
    expect(voidings).toHaveLength(1);
  });

  it('answers 409 while a voiding is still running', async () => {
    const slow = await startSample(database.url, { serviceDelayMs: { min: 400, max: 400 } });
    try {
      const documentId = await issueDocument(slow.http, 'umbrella');
      const { body } = await slow.http.post(`/documents/${documentId}/void`).expect(202);

      const again = await slow.http.post(`/documents/${documentId}/void`).expect(409);
      expect(again.body.message).toBe(
        `Document ${documentId} is already being voided by process ${body.processId}.`,
      );
      await waitForProcess(slow.http, body.processId, 'completed');
    } finally {
      await slow.close();
    }
  });

  it('answers 400 naming a bad or unknown field', async () => {
    const missing = await sample.http.post('/documents').send({}).expect(400);
    expect(missing.body.fields).toEqual(['customerId']);

    const extra = await sample.http.post('/documents').send({ customerId: 'acme', amount: 3 }).expect(400);
    expect(extra.body.fields).toEqual(['amount']);
    expect(extra.body.message).toEqual(['property amount should not exist']);
  });

  it('answers 404 for unknown documents and processes', async () => {
    const unknown = '7d1f3c9e-0000-4000-8000-000000000000';
    const response = await sample.http.post(`/documents/${unknown}/void`).expect(404);
    expect(response.body.message).toBe(`No document with id ${unknown}.`);
    await sample.http.get(`/documents/${unknown}`).expect(404);
    await sample.http.post('/documents/nope/void').expect(404);
    await sample.http.post(`/processes/${unknown}/acknowledge`).expect(404);
  });

  it('answers 409 when acknowledging a process that did not fail', async () => {
    const documentId = await issueDocument(sample.http, 'acme');
    const { body } = await sample.http.post(`/documents/${documentId}/void`).expect(202);
    await waitForProcess(sample.http, body.processId, 'completed');

    const response = await sample.http.post(`/processes/${body.processId}/acknowledge`).expect(409);
    expect(response.body.message).toBe(`Cannot acknowledge process ${body.processId}: it is completed.`);
  });
});
