import { describe, expect, it } from 'vitest';
import { streamNames, type NewEvent } from '../../events/envelope.ts';
import { AUTHORIZATION_METHODS, FAILURE_REASONS, actEventTypes, sealedFields, type ActEvent } from '../../events/act.ts';
import { filingEventTypes, providerEventTypes } from '../../events/provider.ts';
import { retentionEventTypes } from '../../events/retention.ts';
import { adminEventTypes } from '../../events/admin.ts';
import { changeEventTypes } from '../../events/change.ts';
import { registryEventTypes } from '../../events/registry.ts';
import { actEventSchemas } from '../../events/act-schemas.ts';
import { currentSchemaVersion, upcast } from '../../events/upcasters.ts';
import { InvalidEventError, eventSchemas } from '../../events/validation.ts';
import { actDecider } from '../../commands/act.ts';
import { providerDecider } from '../../commands/provider.ts';
import { retentionDecider } from '../../commands/retention.ts';
import { openSqlite } from '../../src/adapters/sqlite/database.ts';
import { SqliteEventStore } from '../../src/adapters/sqlite/event-store.ts';
import { SqliteKeyVault } from '../../src/adapters/sqlite/key-vault.ts';
import { actCodec } from '../../src/app/acts/act-sealing.ts';
import { handleCommand, loadState } from '../../src/app/command-handler.ts';
import { ProviderDirectory } from '../../src/app/providers/provider-directory.ts';

const NOW = '2026-11-20T08:00:00.000Z';
const key = { kid: 'k1', jwk: { kty: 'OKP', crv: 'Ed25519', x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo', kid: 'k1' } };
const stored = (type: string, data: Record<string, unknown>, schemaVersion: number): NewEvent => ({
  type,
  data,
  metadata: { eventId: crypto.randomUUID(), correlationId: crypto.randomUUID(), occurredAt: NOW, actor: 'admin:test', schemaVersion },
});
const refusal = (promise: Promise<unknown>) => promise.then(() => expect.unreachable('the event was accepted'), (error: unknown) => error);

describe('event schemas: what the store gives back is checked before anything folds it', () => {
  it('covers every event type of every family, and nothing else', () => {
    expect(Object.keys(eventSchemas.act).sort()).toEqual([...actEventTypes].sort());
    expect(Object.keys(eventSchemas.provider).sort()).toEqual([...providerEventTypes].sort());
    expect(Object.keys(eventSchemas.retention).sort()).toEqual([...retentionEventTypes].sort());
    expect(Object.keys(eventSchemas.admin).sort()).toEqual([...adminEventTypes].sort());
    expect(Object.keys(eventSchemas.change).sort()).toEqual([...changeEventTypes].sort());
    expect(Object.keys(eventSchemas.registry).sort()).toEqual([...registryEventTypes].sort());
    expect(Object.keys(eventSchemas['onboarding-filings']).sort()).toEqual([...filingEventTypes].sort());
  });

  it('leaves sealed fields optional, and allows `erased` exactly where fields are sealed', () => {
    for (const type of actEventTypes) {
      const schema = actEventSchemas[type] as { required: string[]; properties: Record<string, unknown> };
      const sealed = sealedFields[type] ?? [];
      for (const field of sealed) {
        expect(schema.properties, `${type}.${field}`).toHaveProperty(field);
        expect(schema.required, `${type}.${field}`).not.toContain(field);
      }
      expect('erased' in schema.properties, type).toBe(sealed.length > 0);
    }
  });

  it('takes its enumerations from the values the types derive from', () => {
    expect((actEventSchemas.ActAuthorizationFailed as { properties: { reason: unknown } }).properties.reason).toEqual({ enum: [...FAILURE_REASONS] });
    expect((actEventSchemas.ActAuthorized as { properties: { method: unknown } }).properties.method).toEqual({ enum: [...AUTHORIZATION_METHODS] });
  });

  it('refuses a stored event that does not match, naming stream, revision, type and the failing path', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    await store.append('provider-p1', [stored('ProviderRegistered', { providerId: 'p1', name: 'Tax office', keys: [key], returnUrls: ['https://tax.example/back', 7], registeredAt: NOW }, 2)], 'no-stream');
    const error = await refusal(loadState(store, 'provider-p1', providerDecider));
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error).toMatchObject({ streamName: 'provider-p1', revision: 0, type: 'ProviderRegistered', path: '/returnUrls/1' });
    expect((error as Error).message).toBe('event 0 of stream provider-p1 (ProviderRegistered) is invalid at /returnUrls/1: must be string');
  });

  it('refuses a missing field, a field no schema knows, and a value outside its enumeration', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    const registered = { providerId: 'p1', name: 'Tax office', keys: [key], returnUrls: [], registeredAt: NOW };
    await store.append('provider-p1', [stored('ProviderRegistered', registered, 2), stored('ProviderSuspended', { providerId: 'p1', suspendedAt: NOW }, 1)], 'no-stream');
    expect(await refusal(loadState(store, 'provider-p1', providerDecider))).toMatchObject({ revision: 1, type: 'ProviderSuspended', path: '/reason', problem: 'is missing' });

    await store.append('provider-p2', [stored('ProviderRegistered', { ...registered, providerId: 'p2', colour: 'blue' }, 2)], 'no-stream');
    expect(await refusal(loadState(store, 'provider-p2', providerDecider))).toMatchObject({ path: '/colour', problem: 'is not part of the schema' });

    await store.append('retention', [stored('RetentionPurgeExecuted', { runId: 'r', purgedActIds: ['a'], counts: { acts: 1, byReason: { expired: 1 } }, fromPosition: 0, throughPosition: 3, retentionMs: 1, cutoff: NOW, executedAt: NOW }, 1)], 'no-stream');
    expect(await refusal(loadState(store, streamNames.retention, retentionDecider))).toMatchObject({ streamName: 'retention', path: '/fromSequence' });
  });

  it('refuses an event type its family does not have, and a schema version from a newer ledger', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    await store.append('provider-p1', [stored('ProviderRenamed', { providerId: 'p1', name: 'New name' }, 1)], 'no-stream');
    const unknown = await refusal(loadState(store, 'provider-p1', providerDecider));
    expect((unknown as Error).message).toBe('event 0 of stream provider-p1 (ProviderRenamed) is invalid: ProviderRenamed is not an event of the provider family');

    await store.append('provider-p2', [stored('ProviderRegistered', { providerId: 'p2', name: 'Tax office', keys: [key], returnUrls: [], registeredAt: NOW }, 3)], 'no-stream');
    const newer = await refusal(loadState(store, 'provider-p2', providerDecider));
    expect((newer as Error).message).toBe('event 0 of stream provider-p2 (ProviderRegistered) is invalid: schema version 3 of ProviderRegistered is unknown here (current: 2)');
  });
});

describe('provider onboarding events go through the store and read back valid', () => {
  it('from application to production activation, folded by the provider decider', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    const providers = new ProviderDirectory(store);
    const context = { actor: 'admin:adm_eva', now: NOW };
    const by = 'admin:adm_eva';
    const decided = { by, reason: 'complete', earliestUndecidedFilingSequence: null, now: NOW };
    const file = (applicationId: string, environment: 'integration' | 'production', filingSequence: number) => ({
      type: 'FileApplication' as const,
      providerId: 'p1',
      applicationId,
      environment,
      owner: { name: 'Tax office', registrationNumber: '0000012345' },
      technicalContact: { name: 'Ola', email: 'ola@tax.example' },
      skipSimulator: environment === 'integration',
      filingSequence,
      now: NOW,
    });
    const profile = { keyType: 'ec' as const, curve: 'P-256', signatureAlgorithm: 'ecdsa-with-SHA256' };
    const certificate = (certificateId: string, thumbprintSha256: string) => ({ certificateId, purpose: 'signing' as const, thumbprintSha256, subject: 'CN=Tax office', notBefore: '2026-11-01T00:00:00.000Z', notAfter: '2027-11-01T00:00:00.000Z', profile, publicJwk: { kty: 'EC', crv: 'P-256', x: 'x', y: 'y' } });
    for (const command of [
      file('a1', 'integration', 1),
      { type: 'ApproveApplication' as const, applicationId: 'a1', ...decided },
      { type: 'ExtendSupport' as const, environment: 'integration' as const, supportUntil: '2027-01-01T00:00:00.000Z', by, now: NOW },
      { type: 'RegisterCertificate' as const, environment: 'integration' as const, certificate: certificate('c1', 'a'.repeat(43)), now: NOW },
      { type: 'RecordConformancePassed' as const, environment: 'integration' as const, now: NOW },
      file('a2', 'production', 2),
      { type: 'ApproveApplication' as const, applicationId: 'a2', ...decided },
      { type: 'RegisterCertificate' as const, environment: 'production' as const, certificate: certificate('c2', 'b'.repeat(43)), now: NOW },
      { type: 'RevokeCertificate' as const, certificateId: 'c1', reason: 'integration is over', now: NOW },
      { type: 'DecideConnection' as const, decision: 'approve' as const, by, reason: 'checked', now: NOW },
      { type: 'ActivateProduction' as const, by, now: NOW },
    ]) {
      await providers.execute('p1', command, context);
    }
    const { state } = await loadState(store, 'provider-p1', providerDecider);
    expect((await store.readStream('provider-p1')).map((e) => e.type)).toEqual([
      'ApplicationFiled', 'ApplicationApproved', 'EnvironmentAccessGranted', 'SupportExtended', 'CertificateRegistered', 'ConformancePassed',
      'ApplicationFiled', 'ApplicationApproved', 'EnvironmentAccessGranted', 'CertificateRegistered', 'CertificateRevoked', 'ConnectionDecided', 'ProductionActivated',
    ]);
    expect(state.onboarding).toMatchObject({ activatedAt: NOW, connection: { decision: 'approve' }, access: { production: { supportUntil: null } } });
  });
});

describe('act events are checked once unsealed', () => {
  const registration = (actId: string, documentHash: string): Extract<ActEvent, { type: 'ActRegistered' }> => ({
    type: 'ActRegistered',
    data: {
      actId,
      providerId: 'p1',
      providerName: 'Tax office',
      methods: ['authentication'],
      loa: null,
      gateway: 'national',
      requestDigest: 'digest',
      attemptsAllowed: 5,
      registeredAt: NOW,
      expiresAt: '2026-11-21T08:00:00.000Z',
      sepp: 'bsi',
      aifo: 'aifo',
      documentHash,
      name: 'Tax return',
      description: '',
    },
  });
  const setUp = () => {
    const db = openSqlite(':memory:');
    const vault = new SqliteKeyVault(db);
    return { store: new SqliteEventStore(db), vault, codec: actCodec(vault) };
  };
  const append = async ({ store, codec }: ReturnType<typeof setUp>, event: Extract<ActEvent, { type: 'ActRegistered' }>) => {
    const stream = streamNames.act(event.data.actId);
    await store.append(stream, [{ ...(await codec.encode(event, stream)), metadata: stored(event.type, {}, 1).metadata }], 'no-stream');
    return stream;
  };

  it('a sealed field that does not match is refused by its path, as the projections would be', async () => {
    const deps = setUp();
    const stream = await append(deps, registration('a1', 'not-a-sha-256'));
    // Sealed in the store: only unsealing shows what it is.
    expect(JSON.stringify(await deps.store.readStream(stream))).not.toContain('not-a-sha-256');
    expect(await refusal(loadState(deps.store, stream, actDecider, deps.codec))).toMatchObject({ streamName: stream, type: 'ActRegistered', path: '/documentHash' });
    const [recorded] = await deps.store.readStream(stream);
    expect(await refusal(deps.codec.decodeRecorded(recorded!))).toBeInstanceOf(InvalidEventError);
  });

  it('an act whose key retention destroyed reads without its sealed fields', async () => {
    const deps = setUp();
    const stream = await append(deps, registration('a2', 'b'.repeat(64)));
    await deps.vault.destroy(['a2']);
    const { state } = await loadState(deps.store, stream, actDecider, deps.codec);
    expect(state).toMatchObject({ status: 'pending', actId: 'a2', providerId: 'p1' });
    for (const field of sealedFields.ActRegistered!) expect(state).not.toHaveProperty(field);
  });
});

describe('upcasting: ProviderRegistered version 1 left out returnUrls when none were given', () => {
  it('new events are written at their type\'s current version', async () => {
    expect(currentSchemaVersion('ProviderRegistered')).toBe(2);
    expect(currentSchemaVersion('ProviderKeyAdded')).toBe(1);
    const store = new SqliteEventStore(openSqlite(':memory:'));
    await new ProviderDirectory(store).register({ providerId: 'p1', name: 'Tax office', keys: [key], returnUrls: [] }, { actor: 'admin:test', now: NOW });
    await new ProviderDirectory(store).execute('p1', { type: 'SuspendProvider', reason: 'audit', now: NOW }, { actor: 'admin:test', now: NOW });
    const events = await store.readStream('provider-p1');
    expect(events.map((e) => [e.type, e.metadata.schemaVersion])).toEqual([
      ['ProviderRegistered', 2],
      ['EnvironmentAccessGranted', 1],
      ['ProviderSuspended', 1],
    ]);
    expect(events[0]!.data.returnUrls).toEqual([]);
  });

  it('a version 1 event stored without them reads as version 2 with no return URLs, and commands go on from it', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    await store.append('provider-p1', [stored('ProviderRegistered', { providerId: 'p1', name: 'Tax office', keys: [key], registeredAt: NOW }, 1)], 'no-stream');
    const { state } = await loadState(store, 'provider-p1', providerDecider);
    expect(state).toMatchObject({ exists: true, providerId: 'p1', returnUrls: [], suspended: false });

    const result = await handleCommand({
      store,
      streamName: 'provider-p1',
      decider: providerDecider,
      command: { type: 'ChangeProviderReturnUrls', returnUrls: ['https://tax.example/back'], now: NOW },
      context: { actor: 'admin:test', now: NOW },
    });
    expect(result.state.returnUrls).toEqual(['https://tax.example/back']);
    // History is never rewritten: the version 1 event stays as it was stored.
    const [first] = await store.readStream('provider-p1');
    expect(first!.metadata.schemaVersion).toBe(1);
    expect(first!.data).not.toHaveProperty('returnUrls');
  });

  it('a version 1 event that did name return URLs keeps them; a version 2 event must name them', async () => {
    const data = { providerId: 'p1', name: 'Tax office', keys: [key], returnUrls: ['https://tax.example/back'], registeredAt: NOW };
    expect(upcast('ProviderRegistered', 1, data)).toEqual(data);
    const { returnUrls: _omitted, ...without } = data;
    expect(upcast('ProviderRegistered', 2, without)).toBe(without);
    const store = new SqliteEventStore(openSqlite(':memory:'));
    await store.append('provider-p1', [stored('ProviderRegistered', without, 2)], 'no-stream');
    expect(await refusal(loadState(store, 'provider-p1', providerDecider))).toMatchObject({ path: '/returnUrls', problem: 'is missing' });
  });
});

describe('upcasting: RetentionPurgeExecuted version 1 named positions, version 2 names sequences', () => {
  const v1 = { runId: 'r', purgedActIds: ['a', 'b'], counts: { acts: 2, byReason: { expired: 2 } }, fromPosition: 4, throughPosition: 9, retentionMs: 1, cutoff: NOW, executedAt: NOW };

  it('a version 1 record reads as version 2 with the same numbers as sequences (the gap-free positions it was written with), and is never rewritten', async () => {
    expect(currentSchemaVersion('RetentionPurgeExecuted')).toBe(2);
    const store = new SqliteEventStore(openSqlite(':memory:'));
    await store.append('retention', [stored('RetentionPurgeExecuted', v1, 1)], 'no-stream');
    const { state } = await loadState(store, streamNames.retention, retentionDecider);
    expect(state).toMatchObject({ purgedThrough: 9, purgedActs: 2 });
    const [first] = await store.readStream('retention');
    expect(first!.metadata.schemaVersion).toBe(1);
    expect(first!.data).toMatchObject({ fromPosition: 4, throughPosition: 9 });
    expect(first!.data).not.toHaveProperty('throughSequence');
  });

  it('a version 2 record naming positions is refused: events hold sequences, never positions', async () => {
    const store = new SqliteEventStore(openSqlite(':memory:'));
    await store.append('retention', [stored('RetentionPurgeExecuted', v1, 2)], 'no-stream');
    expect(await refusal(loadState(store, streamNames.retention, retentionDecider))).toMatchObject({ path: '/fromSequence', problem: 'is missing' });
  });
});

describe('upcasting: CodeDeliveryFailed version 1 was written after the request\'s one try', () => {
  it('reads as version 2 with one attempt; version 2 is what new events are written at', () => {
    const v1 = { codeId: 'c1', channel: 'sms', reason: 'gateway down', failedAt: NOW };
    expect(currentSchemaVersion('CodeDeliveryFailed')).toBe(2);
    expect(currentSchemaVersion('CodeDelivered')).toBe(1);
    expect(upcast('CodeDeliveryFailed', 1, v1)).toEqual({ ...v1, attempts: 1 });
    const v2 = { ...v1, attempts: 0 };
    expect(upcast('CodeDeliveryFailed', 2, v2)).toBe(v2);
  });
});
