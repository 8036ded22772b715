// The verify page: hash the chosen file here, send only the hash with a solved captcha, show the
// verdict. Where the browser cannot hash, the file itself is uploaded (and the page says so).
import { HashingUnsupported, sha256OfFile } from '/assets/file-hash.js';
import { captchaOf } from '/assets/captcha.js';
import { pragueIso, shownTime } from '/assets/prague-time.js';

const { lang, messages: m, verificationsUrl, uploadLimit } = JSON.parse(document.getElementById('page-data').textContent);
const form = document.getElementById('verify-form');
const fileInput = document.getElementById('file');
const fileError = document.getElementById('file-error');
const button = document.getElementById('submit');
const captchaBox = document.getElementById('captcha');
const captchaError = document.getElementById('captcha-status');
const status = document.getElementById('status');
const progressLine = document.getElementById('progress-line');
const progress = document.getElementById('progress');
const result = document.getElementById('result');

// Solved as soon as the page opens, so it is ready when the citizen presses Verify; the widget shows
// its progress, and a failure is said here as an error.
const captcha = captchaOf(document.getElementById('captcha-widget'), (state) => {
  captchaBox.dataset.state = state;
  captchaError.textContent = state === 'failed' ? m.captchaFailed : '';
});
const takeCaptcha = () => captcha.take();

/** Shows (or, with no message, clears) the file field's error: announced, styled and tied to the field. */
function fileProblem(message) {
  fileError.textContent = message ?? '';
  if (message) {
    fileInput.setAttribute('aria-invalid', 'true');
    fileInput.setAttribute('aria-describedby', 'file-error file-hint privacy');
  } else {
    fileInput.removeAttribute('aria-invalid');
    fileInput.setAttribute('aria-describedby', 'file-hint privacy');
  }
}

async function send(body, headers = {}) {
  const response = await fetch(verificationsUrl, { method: 'POST', body, headers: { accept: 'application/json', ...headers } });
  const answer = await response.json().catch(() => ({}));
  return { response, answer };
}

/** Sends the hash (or the file), trying once more with a new captcha if the first one was refused. */
async function verify(file) {
  let documentHash;
  try {
    status.textContent = m.hashing;
    progress.value = 0;
    progressLine.hidden = false;
    documentHash = await sha256OfFile(file, (done, total) => (progress.value = total > 0 ? done / total : 1));
  } catch (error) {
    if (!(error instanceof HashingUnsupported)) throw error;
  } finally {
    progressLine.hidden = true;
  }
  if (documentHash === undefined && file.size > uploadLimit) return { problem: m.tooLarge };
  for (let attempt = 0; attempt < 2; attempt++) {
    const altcha = await takeCaptcha();
    let sent;
    if (documentHash !== undefined) {
      status.textContent = m.checking;
      sent = await send(JSON.stringify({ documentHash, altcha }), { 'content-type': 'application/json' });
    } else {
      status.textContent = m.uploading;
      const body = new FormData();
      body.append('altcha', altcha);
      body.append('file', file);
      sent = await send(body);
    }
    const { response, answer } = sent;
    if (response.ok) return answer;
    if (answer.type === 'urn:problem:act-ledger:captcha-invalid' && attempt === 0) continue;
    if (response.status === 413) return { problem: m.tooLarge };
    if (response.status === 429) return { problem: m.tooMany };
    return { problem: m.failedText };
  }
  return { problem: m.failedText };
}

function element(tag, text, attributes = {}) {
  const el = document.createElement(tag);
  if (text !== undefined) el.textContent = text;
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  return el;
}


function showVerdict(verdict) {
  result.replaceChildren();
  if (verdict.problem) {
    result.className = 'verdict failed';
    result.append(element('h2', m.failed), element('p', verdict.problem));
  } else if (verdict.authorized) {
    result.className = 'verdict authorized';
    result.append(element('h2', `✔ ${m.authorized}`), element('p', m.authorizedText));
    for (const act of verdict.acts) {
      const list = element('dl', undefined, { class: 'act' });
      const time = element('time', shownTime(act.authorizedAt, lang), { datetime: pragueIso(act.authorizedAt) });
      const rows = [
        [m.actName, act.name],
        [m.description, act.description || '—'],
        [m.provider, act.providerName],
        [m.authorizedAt, time],
        [m.method, m.methods[act.method] ?? act.method],
        [m.actId, element('code', act.actId)],
      ];
      for (const [term, value] of rows) {
        const definition = element('dd');
        definition.append(value);
        list.append(element('dt', term), definition);
      }
      result.append(list);
    }
  } else {
    result.className = 'verdict not-authorized';
    result.append(element('h2', `✘ ${m.notAuthorized}`), element('p', m.notAuthorizedText));
  }
  if (verdict.documentHash) {
    const fingerprint = element('p', `${m.fingerprint}: `, { class: 'fingerprint' });
    fingerprint.append(element('code', verdict.documentHash));
    result.append(fingerprint);
  }
  result.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  const file = fileInput.files && fileInput.files[0];
  if (!file) {
    fileProblem(m.chooseFile);
    fileInput.focus();
    return;
  }
  fileProblem();
  button.disabled = true;
  fileInput.setAttribute('aria-busy', 'true');
  result.replaceChildren();
  try {
    showVerdict(await verify(file));
  } catch {
    showVerdict({ problem: m.failedText });
  } finally {
    status.textContent = '';
    button.disabled = false;
    fileInput.removeAttribute('aria-busy');
  }
});

fileInput.addEventListener('change', () => fileInput.files && fileInput.files[0] && fileProblem());
