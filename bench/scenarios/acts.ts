import { randomBytes } from 'node:crypto';
import type autocannon from 'autocannon';
import { codeHashes } from '../../src/app/acts/act-service.ts';
import type { LedgerUnderLoad } from '../ledger-fixture.ts';
import type { Scenario } from '../scenario.ts';

/** A provider with a token and `count` test persons it knows by SePP (one per connection), made over the admin API. */
async function providerWithPersons(target: LedgerUnderLoad, count: number) {
  const provider = await target.registerProvider();
  const token = await provider.accessToken();
  const persons: Array<{ aifo: string; sepp: string }> = [];
  for (let i = 0; i < count; i++) {
    const aifo = await target.addPerson({ displayName: `Bench person ${i}`, country: 'CZ', phone: `+42070${String(i).padStart(7, '0')}`, phoneVerified: true, phoneAllowed: true });
    persons.push({ aifo, sepp: await target.seppOf(aifo, provider.providerId) });
  }
  return { token, persons };
}

const json = { 'content-type': 'application/json' };

/** POST /api/v1/acts: validate, resolve the SePP, make and store the act's data key, seal, append; durable before 201. */
export const registerAct: Scenario = {
  id: 'register-act',
  route: 'POST /api/v1/acts',
  async prepare(context) {
    const target = await context.ledger();
    const { token, persons } = await providerWithPersons(target, 1);
    const sepp = persons[0]!.sepp;
    let n = 0;
    return {
      target: {
        url: `${target.url}/api/v1/acts`,
        method: 'POST',
        headers: { ...json, authorization: `Bearer ${token}` },
        setupRequest: (request) => ({
          ...request,
          body: JSON.stringify({ sepp, documentHash: randomBytes(32).toString('hex'), name: `Bench act ${n++}`, description: 'Registered under load' }),
        }),
      },
    };
  },
};

/**
 * The whole code flow, four requests per flow on each connection: register, send a code by SMS,
 * read it from the person's simulated phone (admin API), confirm it with the SHA-512 of the defined way.
 */
export const codeFlow: Scenario = {
  id: 'code-flow',
  route: 'code flow (register + code + phone + verify)',
  async prepare(context) {
    const target = await context.ledger();
    const { token, persons } = await providerWithPersons(target, context.settings.connections);
    const headers = { ...json, authorization: `Bearer ${token}` };
    let connection = 0;
    let authorized = 0;
    type Flow = { person: (typeof persons)[number]; actId?: string; codeId?: string; code?: string };
    // Each connection keeps one person, so the newest message on that phone is its own flow's code.
    const flowOf = (ctx: Record<string, unknown>): Flow => (ctx.flow ??= { person: persons[connection++ % persons.length]! }) as Flow;
    const requests: autocannon.Request[] = [
      {
        method: 'POST',
        path: '/api/v1/acts',
        headers,
        setupRequest: (req, ctx) => {
          const flow = flowOf(ctx as Record<string, unknown>);
          return { ...req, body: JSON.stringify({ sepp: flow.person.sepp, documentHash: randomBytes(32).toString('hex'), name: 'Bench flow' }) };
        },
        onResponse: (_status, body, ctx) => {
          flowOf(ctx as Record<string, unknown>).actId = (JSON.parse(body) as { actId: string }).actId;
        },
      },
      {
        method: 'POST',
        headers,
        setupRequest: (req, ctx) => ({ ...req, path: `/api/v1/acts/${flowOf(ctx as Record<string, unknown>).actId}/codes`, body: '{"channel":"sms"}' }),
        onResponse: (_status, body, ctx) => {
          flowOf(ctx as Record<string, unknown>).codeId = (JSON.parse(body) as { codeId: string }).codeId;
        },
      },
      {
        method: 'GET',
        headers: target.adminHeaders,
        setupRequest: (req, ctx) => ({ ...req, path: `/api/v1/simulator/outbox?aifo=${encodeURIComponent(flowOf(ctx as Record<string, unknown>).person.aifo)}` }),
        onResponse: (_status, body, ctx) => {
          flowOf(ctx as Record<string, unknown>).code = (JSON.parse(body) as { messages: Array<{ code: string }> }).messages.at(-1)?.code;
        },
      },
      {
        method: 'POST',
        headers,
        setupRequest: (req, ctx) => {
          const flow = flowOf(ctx as Record<string, unknown>);
          // The delivery task has almost always run by now; when it has not, the attempt counts as a mismatch.
          const { codeSha512 } = codeHashes(flow.actId!, flow.code ?? 'not-yet-delivered');
          return { ...req, path: `/api/v1/acts/${flow.actId}/codes/${flow.codeId}/verifications`, body: JSON.stringify({ codeSha512 }) };
        },
        onResponse: (_status, body) => {
          if (body.includes('"authorized"')) authorized++;
        },
      },
    ];
    return {
      target: { url: target.url, requests },
      note: () => `${authorized} flows authorized, ${Math.round(authorized / context.settings.durationS)} flows/s`,
    };
  },
};
