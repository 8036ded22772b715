// A provider's first acts against the simulator: by code, by authentication, and a cancelled one.
// Node 20 or later and jose (`npm install jose`; this repository has it). Run it beside `npm start`:
//   LEDGER_ADMIN_TOKEN=<the token npm start printed> node examples/first-act.mjs
import { createHash, randomUUID } from 'node:crypto';
import { SignJWT, exportJWK, generateKeyPair } from 'jose';

const ledger = process.env.LEDGER_URL ?? 'http://127.0.0.1:3000'; // the ledger's public URL, spelled as it prints it
const adminToken = process.env.LEDGER_ADMIN_TOKEN;
if (!adminToken) throw new Error('set LEDGER_ADMIN_TOKEN to the admin token `npm start` printed');
const returnUrl = 'http://localhost:8080/return'; // your e-service's page the citizen's browser comes back to
const person = 'test-person-jana'; // a simulator test person (GET /api/v1/admin/citizens lists them)

/** One call to the ledger. A refusal is a problem document: a stable `type`, and a `detail` saying what to change. */
async function call(method, path, { token, json, form } = {}) {
  const res = await fetch(`${ledger}${path}`, {
    method,
    headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...(json ? { 'content-type': 'application/json' } : {}) },
    body: json ? JSON.stringify(json) : form ? new URLSearchParams(form) : undefined,
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`${method} ${path} answered ${res.status} ${body.type}: ${body.detail}`);
  return body;
}

// 1. An admin registers the provider with its public key and return URL (here: the simulator's admin token).
const { publicKey, privateKey } = await generateKeyPair('ES256');
const kid = 'first-key';
const { providerId } = await call('POST', '/api/v1/admin/providers', {
  token: adminToken,
  json: { name: 'My e-service', jwks: { keys: [{ ...(await exportJWK(publicKey)), kid }] }, returnUrls: [returnUrl] },
});

// 2. An ActAs token (10 minutes) for a client assertion signed with the private key (RFC 7523).
const assertion = await new SignJWT({})
  .setProtectedHeader({ alg: 'ES256', kid })
  .setIssuer(providerId)
  .setSubject(providerId)
  .setAudience(`${ledger}/api/v1/token`) // exactly the token endpoint's URL on the ledger's public URL
  .setJti(randomUUID()) // a new one for every assertion
  .setIssuedAt()
  .setExpirationTime('2m')
  .sign(privateKey);
const { access_token: token } = await call('POST', '/api/v1/token', {
  form: { grant_type: 'client_credentials', client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer', client_assertion: assertion },
});

// 3. The SePP your e-service knows the person by (the AIFO is not one; each provider gets its own SePP).
const { sepp } = await call('GET', `/api/v1/admin/citizens/${person}/sepp?providerId=${providerId}`, { token: adminToken });

// 4. An act: the SHA-256 of the document, a name and a description the citizen will see.
const registerAct = (name) =>
  call('POST', '/api/v1/acts', { token, json: { sepp, name, description: 'Example act', documentHash: createHash('sha256').update(`a document: ${name}`).digest('hex') } });
const hashOfCode = (alg, actId, code) => createHash(alg).update(`${actId}:${code}`).digest('hex');

// 5. By code: the ledger sends a code to the citizen's phone; your page asks the citizen to type it in.
const byCode = await registerAct('Building permit application');
const issued = await call('POST', `/api/v1/acts/${byCode.actId}/codes`, { token, json: { channel: 'sms' } });
let delivery = 'pending'; // delivery runs in the background: follow it on the act
while (delivery === 'pending') {
  await new Promise((resolve) => setTimeout(resolve, 200));
  delivery = (await call('GET', `/api/v1/acts/${byCode.actId}`, { token })).codes.find((c) => c.codeId === issued.codeId).delivery;
}
if (delivery !== 'sent') throw new Error(`the code was not delivered (${delivery}): ask for a new one`);
// The simulated phone (also at /simulator/phone/test-person-jana): the message whose code has the SHA-256 you got.
const { messages } = await call('GET', `/api/v1/simulator/outbox?aifo=${person}`, { token: adminToken });
const typed = messages.find((m) => hashOfCode('sha256', byCode.actId, m.code) === issued.codeSha256).code;
const verified = await call('POST', `/api/v1/acts/${byCode.actId}/codes/${issued.codeId}/verifications`, {
  token,
  json: { codeSha512: hashOfCode('sha512', byCode.actId, typed) }, // never the code itself
});
console.log(`by code: ${verified.result}`); // authorized; a wrong code answers mismatch with attemptsLeft

/**
 * By authentication, the citizen's browser goes to the act's authorizationUrl and comes back to your return URL.
 * This function plays that browser (cookies and redirects by hand) so that the example runs unattended;
 * `choice` is what the tester picks on the simulated identity node's page.
 */
async function asTheCitizen(authorizationUrl, state, choice) {
  const cookies = [];
  const go = async (url, init = {}) => {
    const res = await fetch(url, { ...init, redirect: 'manual', headers: cookies.length ? { cookie: cookies.join('; ') } : {} });
    cookies.push(...res.headers.getSetCookie().map((c) => c.split(';')[0]));
    if (!res.headers.get('location')) throw new Error(`${url} answered ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return new URL(res.headers.get('location'), url);
  };
  const node = await go(`${authorizationUrl}?${new URLSearchParams({ redirect_uri: returnUrl, state })}`);
  const callback = await go(`${node.origin}${node.pathname}`, { method: 'POST', body: new URLSearchParams({ request: node.searchParams.get('request'), ...choice }) });
  return go(callback.href); // the ledger records the outcome and sends the browser to your return URL
}

// 6. By authentication: your return URL gets act_id and state (nothing else); check the state, then ask for the result.
const byAuthentication = await registerAct('Change of address');
const state = randomUUID();
const back = await asTheCitizen(byAuthentication.authorizationUrl, state, { action: 'authenticate', person, means: 'eid-card' });
if (back.searchParams.get('state') !== state) throw new Error('not the state this e-service sent');
const authenticated = await call('GET', `/api/v1/acts/${back.searchParams.get('act_id')}`, { token });
console.log(`by authentication: ${authenticated.status} (${authenticated.method})`); // authorized (authentication)

// 7. Cancel (and any failure) comes back the same way; the act says why.
const cancelled = await registerAct('Tax return');
const returned = await asTheCitizen(cancelled.authorizationUrl, randomUUID(), { action: 'cancel' });
const failed = await call('GET', `/api/v1/acts/${returned.searchParams.get('act_id')}`, { token });
console.log(`cancelled: ${failed.status} (${failed.failure.reason})`); // failed (cancelled)
