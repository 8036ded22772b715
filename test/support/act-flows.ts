import { createHash } from 'node:crypto';
import { solveChallenge } from 'altcha-lib/v1';
import type { Ledger } from '../../src/composition/ledger.ts';
import { codeHashes } from '../../src/app/acts/act-service.ts';
import { actAsToken, registerProvider, seppOf } from './ledger.ts';
import { sentCode } from './delivery.ts';

/** A provider with a token, acting for persons through the provider API (app.inject), as an e-service would. */
export async function providerSession(ledger: Ledger, name = 'Stavební úřad Brno') {
  const provider = await registerProvider(ledger, { name });
  const token = await actAsToken(ledger, provider);
  const call = async (method: 'GET' | 'POST', url: string, payload?: object) => {
    const res = await ledger.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
    if (res.statusCode >= 300) throw new Error(`${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json() as Record<string, unknown>;
  };

  /** Registers an act for `aifo` about `document`; answers its id. */
  const register = async (aifo: string, document: Buffer | string, name: string, description = '') => {
    const sepp = await seppOf(ledger, aifo, provider.providerId);
    const documentHash = createHash('sha256').update(document).digest('hex');
    return String((await call('POST', '/api/v1/acts', { sepp, documentHash, name, description })).actId);
  };

  /** Sends a code (by SMS unless told), reads it on the simulated phone and confirms it. */
  const authorizeByCode = async (actId: string, aifo: string, channel: 'sms' | 'mobile-key' = 'sms') => {
    const { codeId, codeSha256 } = await call('POST', `/api/v1/acts/${actId}/codes`, { channel });
    const code = await sentCode(ledger, aifo, actId, { codeId: String(codeId), codeSha256: String(codeSha256) });
    const result = await call('POST', `/api/v1/acts/${actId}/codes/${String(codeId)}/verifications`, { codeSha512: codeHashes(actId, code).codeSha512 });
    if (result.result !== 'authorized') throw new Error(`not authorized: ${JSON.stringify(result)}`);
  };

  /** Sends a code and types wrong ones until the act fails as attempts-exhausted. */
  const exhaustAttempts = async (actId: string) => {
    const { codeId } = await call('POST', `/api/v1/acts/${actId}/codes`, { channel: 'sms' });
    for (let i = 0; i < ledger.services.config.code.attempts; i++) {
      await call('POST', `/api/v1/acts/${actId}/codes/${String(codeId)}/verifications`, { codeSha512: 'f'.repeat(128) });
    }
    const act = await call('GET', `/api/v1/acts/${actId}`);
    if (act.status !== 'failed') throw new Error(`act did not fail: ${JSON.stringify(act)}`);
  };

  return { provider, token, register, authorizeByCode, exhaustAttempts };
}

/** Waits until every projection has applied everything appended so far. */
export async function projectionsCaughtUp(ledger: Ledger): Promise<void> {
  await ledger.services.projections.waitFor(await ledger.services.eventStore.headPosition());
}

/** A challenge from GET /api/v1/public/captcha, solved with altcha-lib: the `altcha` value the widget would send. */
export async function solvedCaptcha(ledger: Ledger): Promise<string> {
  const res = await ledger.app.inject({ method: 'GET', url: '/api/v1/public/captcha' });
  return solve(res.json());
}

export async function solve(challenge: { algorithm: string; challenge: string; maxnumber: number; salt: string; signature: string }): Promise<string> {
  const solution = await solveChallenge(challenge.challenge, challenge.salt, challenge.algorithm, challenge.maxnumber).promise;
  if (!solution) throw new Error('captcha not solvable');
  const { algorithm, salt, signature } = challenge;
  return Buffer.from(JSON.stringify({ algorithm, challenge: challenge.challenge, number: solution.number, salt, signature, took: solution.took })).toString('base64');
}

/** A multipart/form-data body with the given text fields and files, in this order. */
export function multipartBody(parts: Array<{ name: string; value: string } | { name: string; file: Buffer; filename?: string }>): { payload: Buffer; headers: Record<string, string> } {
  const boundary = `----ledger-test-${Math.random().toString(16).slice(2)}`;
  const chunks: Buffer[] = [];
  for (const part of parts) {
    if ('value' in part) {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"\r\n\r\n${part.value}\r\n`));
    } else {
      chunks.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${part.name}"; filename="${part.filename ?? 'document.pdf'}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
      chunks.push(part.file, Buffer.from('\r\n'));
    }
  }
  chunks.push(Buffer.from(`--${boundary}--\r\n`));
  return { payload: Buffer.concat(chunks), headers: { 'content-type': `multipart/form-data; boundary=${boundary}` } };
}
