// The anti-robot check (ALTCHA, protocol v1): fetch a signed challenge, find the number n with
// SHA-256(salt + n) = challenge, and hand back what the ledger expects in the field `altcha`.
// Nothing here touches the page, so the worker can import it too.

/** Finds the challenge's number; null when there is none up to maxnumber. */
export async function solve({ challenge, salt, maxnumber }) {
  const { sha256 } = await import('/assets/noble/sha2.js');
  const started = Date.now();
  const encoder = new TextEncoder();
  const target = new Uint8Array(challenge.match(/../g).map((h) => parseInt(h, 16)));
  for (let n = 0; n <= maxnumber; n++) {
    const digest = sha256(encoder.encode(salt + n));
    let same = true;
    for (let i = 0; i < 32 && same; i++) same = digest[i] === target[i];
    if (same) return { number: n, took: Date.now() - started };
  }
  return null;
}

/** A solved challenge from `captchaUrl`: base64 of the JSON the ALTCHA widget sends. */
export async function solvedCaptcha(captchaUrl) {
  const response = await fetch(captchaUrl, { cache: 'no-store', headers: { accept: 'application/json' } });
  if (!response.ok) throw new Error(`captcha: ${response.status}`);
  const challenge = await response.json();
  const solution = await inWorker(challenge).catch(() => solve(challenge));
  if (!solution) throw new Error('captcha: no solution');
  const { algorithm, salt, signature } = challenge;
  return btoa(JSON.stringify({ algorithm, challenge: challenge.challenge, number: solution.number, salt, signature, took: solution.took }));
}

/** Solves off the main thread, so the page stays responsive; rejects where module workers are missing. */
function inWorker(challenge) {
  return new Promise((resolve, reject) => {
    if (typeof Worker !== 'function') return reject(new Error('no workers'));
    let worker;
    try {
      worker = new Worker('/assets/captcha-worker.js', { type: 'module' });
    } catch (error) {
      return reject(error);
    }
    worker.onmessage = (event) => {
      worker.terminate();
      if (event.data && event.data.error) reject(new Error(event.data.error));
      else resolve(event.data);
    };
    worker.onerror = (event) => {
      worker.terminate();
      reject(new Error(event.message || 'worker failed'));
    };
    worker.postMessage(challenge);
  });
}
