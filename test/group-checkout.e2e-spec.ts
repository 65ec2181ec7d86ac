import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createTestDatabase, type TestDatabase } from './support/database.js';
import { type SampleUnderTest, sentBy, startSample, waitForProcess } from './support/sample-app.js';
import { waitFor } from './support/wait-for.js';

describe('group checkout: fan-out and fan-in', () => {
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

  it('checks out every guest and completes', async () => {
    const guests = ['alice', 'bob', 'carol', 'dave'];
    const { body } = await sample.http.post('/group-checkouts').send({ guests }).expect(201);

    const process = await waitForProcess(sample.http, body.processId, 'completed', 'completed');
    expect(process.correlationKey).toBe(body.groupId);
    expect(sentBy(process).filter((sent) => sent === 'command CheckOutGuest')).toHaveLength(4);
    expect(sentBy(process)).toContain('event GroupCheckoutCompleted');
    expect(process.history.filter((entry) => entry.messageType === 'GuestCheckedOut')).toHaveLength(4);

    const group = await waitFor(async () => {
      const response = await sample.http.get(`/group-checkouts/${body.groupId}`).expect(200);
      return response.body.status === 'completed' ? response.body : undefined;
    }, 'the group checkout to be completed');
    expect(group.guests).toEqual(guests.map((guestId) => ({ guestId, status: 'checked-out' })));
  });

  it('ends in NotifyGroupCheckoutFailure naming the guests who could not check out', async () => {
    const { body } = await sample.http
      .post('/group-checkouts')
      .send({ guests: ['alice', 'bob', 'carol'], simulate: { failGuests: ['bob', 'carol'] } })
      .expect(201);

    const process = await waitForProcess(sample.http, body.processId, 'failed', 'partially-failed');
    expect(process.lastError).toBe('2 of 3 guest(s) could not check out: bob, carol');
    const notify = process.history
      .flatMap((entry) => entry.commands)
      .find((sent) => sent.type === 'NotifyGroupCheckoutFailure');
    expect(notify?.payload).toEqual({
      groupId: body.groupId,
      failedGuests: [
        { guestId: 'bob', reason: 'the room folio has an unpaid balance' },
        { guestId: 'carol', reason: 'the room folio has an unpaid balance' },
      ],
    });

    const notification = await waitFor(async () => {
      const response = await sample.http.get(`/notifications?reference=${body.groupId}`).expect(200);
      return response.body.items[0] as { kind: string; message: string } | undefined;
    }, 'the failure notification');
    expect(notification.kind).toBe('group-checkout-failed');
    expect(notification.message).toContain('bob (the room folio has an unpaid balance)');
    const group = await sample.http.get(`/group-checkouts/${body.groupId}`).expect(200);
    expect(group.body).toMatchObject({
      status: 'failed',
      failedGuests: [{ guestId: 'bob' }, { guestId: 'carol' }],
    });
  });

  it('answers 400 naming the bad fields', async () => {
    const empty = await sample.http.post('/group-checkouts').send({ guests: [] }).expect(400);
    expect(empty.body.fields).toEqual(['guests']);

    const duplicate = await sample.http
      .post('/group-checkouts')
      .send({ guests: ['ann', 'ann'] })
      .expect(400);
    expect(duplicate.body.message).toEqual(["All guests's elements must be unique"]);

    const stranger = await sample.http
      .post('/group-checkouts')
      .send({ guests: ['ann'], simulate: { failGuests: ['zed'] } })
      .expect(400);
    expect(stranger.body).toMatchObject({
      fields: ['simulate.failGuests'],
      message: ['simulate.failGuests names guests not in guests: zed'],
    });
  });

  it('answers 404 for an unknown group', async () => {
    await sample.http.get('/group-checkouts/7d1f3c9e-0000-4000-8000-000000000000').expect(404);
  });
});
