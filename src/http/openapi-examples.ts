import { createHash } from 'node:crypto';
import { CLIENT_ASSERTION_TYPE } from '../app/providers/client-assertions.ts';

/**
 * One story told through the OpenAPI's examples, with values that agree with each other: the act's
 * code hashes are those of the defined way for this act id and code, the document hash is the
 * SHA-256 of the document's text. A client generated from the document can replay it.
 */
const hex = (algorithm: 'sha256' | 'sha512', text: string) => createHash(algorithm).update(text, 'utf8').digest('hex');

const actId = '3f2b6c1e-8d4a-4b7e-9c21-5a0f6e7d8b90';
const codeId = 'b7e4d2a1-6c3f-4e8b-a159-0d2c7f6e4a31';
const code = '482913';
const documentHash = hex('sha256', 'Žádost o vydání výpisu z rejstříku trestů');
const registeredAt = '2026-03-02T09:14:05.120Z';
const expiresAt = '2026-03-02T09:44:05.120Z';
const clientAssertion =
  'eyJhbGciOiJFUzI1NiIsImtpZCI6ImstN2YzYTEyYjQifQ.eyJpc3MiOiJlLXNlcnZpY2UtZXhhbXBsZSIsInN1YiI6ImUtc2VydmljZS1leGFtcGxlIiwiYXVkIjoiaHR0cHM6Ly9sZWRnZXIuZXhhbXBsZS9hcGkvdjEvdG9rZW4iLCJqdGkiOiI5YjFkIiwiaWF0IjoxNzcyNDQyODQ1LCJleHAiOjE3NzI0NDI5NjV9.c2lnbmF0dXJl';

export const OPENAPI_EXAMPLES = {
  tokenRequest: { grant_type: 'client_credentials', client_assertion_type: CLIENT_ASSERTION_TYPE, client_assertion: clientAssertion },
  tokenResponse: { access_token: 'eyJhbGciOiJFZERTQSIsInR5cCI6ImF0K2p3dCJ9.eyJzdWIiOiJlLXNlcnZpY2UtZXhhbXBsZSJ9.c2lnbmF0dXJl', token_type: 'Bearer', expires_in: 300 },
  actRequest: {
    sepp: 'BSI-6f1c0d9a2e7b4c5d8e3f',
    documentHash,
    name: 'Výpis z rejstříku trestů',
    description: 'Žádost o vydání výpisu z rejstříku trestů, doručení do datové schránky',
    loa: 'substantial',
  },
  actRegistered: { actId, status: 'pending', methods: ['authentication', 'sms'], expiresAt, authorizationUrl: `https://ledger.example/authorize/${actId}` },
  act: {
    actId,
    status: 'authorized',
    method: 'sms',
    authorizedAt: '2026-03-02T09:16:41.310Z',
    methods: ['authentication', 'sms'],
    registeredAt,
    expiresAt,
    codes: [{ codeId, channel: 'sms', delivery: 'sent', issuedAt: '2026-03-02T09:15:10.002Z', expiresAt: '2026-03-02T09:20:10.002Z', deliveredAt: '2026-03-02T09:15:11.480Z' }],
    receipt: { status: 'pending' },
  },
  codeRequest: { channel: 'sms' },
  codeIssued: { codeId, codeSha256: hex('sha256', `${actId}:${code}`), expiresAt: '2026-03-02T09:20:10.002Z', attemptsLeft: 3, delivery: 'pending' },
  codeVerification: { codeSha512: hex('sha512', `${actId}:${code}`) },
  codeVerified: { result: 'authorized', attemptsLeft: 2, status: 'authorized' },
  documentLookup: { documentHash, altcha: 'eyJhbGdvcml0aG0iOiJTSEEtMjU2IiwiY2hhbGxlbmdlIjoiLi4uIiwibnVtYmVyIjo0MjE3Nywic2FsdCI6Ii4uLiIsInNpZ25hdHVyZSI6Ii4uLiJ9' },
  documentVerdict: {
    documentHash,
    authorized: true,
    acts: [{ actId, name: 'Výpis z rejstříku trestů', description: 'Žádost o vydání výpisu z rejstříku trestů, doručení do datové schránky', providerName: 'Rejstřík trestů online', authorizedAt: '2026-03-02T09:16:41.310Z', method: 'sms' }],
  },
} as const;
