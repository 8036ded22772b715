// The verify page's receipt check: read the receipt (pasted or from its file), hash the document here
// if one is chosen, send the receipt and only the hash, and show the three answers. The check looks
// nothing up, so it needs no captcha; `ledger audit receipt` gives the same verdict offline.
import { HashingUnsupported, sha256OfFile } from '/assets/file-hash.js';
import { pragueIso, shownTime } from '/assets/prague-time.js';

const { lang, receipt: data } = JSON.parse(document.getElementById('page-data').textContent);
const m = data.messages;
// Words the file check above uses too.
const w = data.words;
const form = document.getElementById('receipt-form');
const text = document.getElementById('receipt-text');
const receiptFile = document.getElementById('receipt-file');
const documentFile = document.getElementById('receipt-document');
const button = document.getElementById('receipt-submit');
const status = document.getElementById('receipt-status');
const result = document.getElementById('receipt-result');

class Refusal extends Error {}

function element(tag, content, attributes = {}) {
  const el = document.createElement(tag);
  if (content !== undefined) el.append(content);
  for (const [name, value] of Object.entries(attributes)) el.setAttribute(name, value);
  return el;
}

/** The receipt the citizen gave: its file when one is chosen, else the pasted text. An act's whole JSON is accepted too. */
async function readReceipt() {
  const file = receiptFile.files && receiptFile.files[0];
  const source = file ? await file.text() : text.value.trim();
  if (!source) throw new Refusal(m.chooseReceipt);
  let value;
  try {
    value = JSON.parse(source);
  } catch {
    throw new Refusal(m.notJson);
  }
  if (value && typeof value === 'object' && value.receipt && !value.jws) value = value.receipt;
  if (!value || typeof value !== 'object' || Array.isArray(value)) throw new Refusal(m.notReceipt);
  return value;
}

async function documentHashOf() {
  const file = documentFile.files && documentFile.files[0];
  if (!file) return undefined;
  status.textContent = m.hashing;
  try {
    return await sha256OfFile(file);
  } catch (error) {
    if (!(error instanceof HashingUnsupported)) throw error;
    status.textContent = m.noHash;
    return undefined;
  }
}

function showVerdict(verdict, documentHash) {
  result.replaceChildren();
  const holds = verdict.genuine && verdict.inLog && verdict.matchesDocument !== false;
  result.className = `verdict ${holds ? 'authorized' : 'not-authorized'}`;
  result.append(element('h2', holds ? `✔ ${m.holds}` : `✘ ${m.fails}`), element('p', holds ? m.holdsText : m.failsText));
  const answer = (value) => (value === null ? m.notChecked : value ? m.yes : m.no);
  const checks = element('dl', undefined, { class: 'act checks' });
  for (const [term, value, name] of [
    [m.genuine, verdict.genuine, 'genuine'],
    [m.inLog, verdict.inLog, 'in-log'],
    [m.matchesDocument, verdict.matchesDocument, 'matches-document'],
  ]) {
    checks.append(element('dt', term), element('dd', answer(value), { 'data-check': name, 'data-value': String(value) }));
  }
  result.append(checks);
  if (verdict.act) {
    const act = verdict.act;
    const list = element('dl', undefined, { class: 'act' });
    const rows = [
      [w.actId, element('code', act.actId)],
      [w.provider, act.providerName],
      [w.authorizedAt, element('time', shownTime(act.authorizedAt, lang), { datetime: pragueIso(act.authorizedAt) })],
      [w.method, w.methods[act.method] ?? act.method],
      [m.documentHash, element('code', act.documentHash)],
      [m.sequence, String(act.sequence)],
    ];
    for (const [term, value] of rows) list.append(element('dt', term), element('dd', value));
    result.append(list);
  }
  if (verdict.problems.length > 0) {
    const problems = element('ul', undefined, { class: 'problems' });
    for (const code of verdict.problems) problems.append(element('li', m.problems[code] ?? code, { 'data-problem': code }));
    result.append(problems);
  }
  if (documentHash) {
    const fingerprint = element('p', `${m.documentHash}: `, { class: 'fingerprint' });
    fingerprint.append(element('code', documentHash));
    result.append(fingerprint);
  }
  result.focus();
}

function showRefusal(message) {
  result.className = 'verdict failed';
  result.replaceChildren(element('h2', m.fails), element('p', message));
  result.focus();
}

form.addEventListener('submit', async (event) => {
  event.preventDefault();
  button.disabled = true;
  result.replaceChildren();
  try {
    const receipt = await readReceipt();
    const documentHash = await documentHashOf();
    status.textContent = m.checking;
    const response = await fetch(data.verificationsUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify(documentHash ? { receipt, documentHash } : { receipt }),
    });
    const answer = await response.json().catch(() => ({}));
    if (response.ok) showVerdict(answer, documentHash);
    else if (response.status === 400) showRefusal(m.notReceipt);
    else showRefusal(response.status === 429 ? w.tooMany : w.failedText);
  } catch (error) {
    showRefusal(error instanceof Refusal ? error.message : w.failedText);
  } finally {
    if (status.textContent !== m.noHash) status.textContent = '';
    button.disabled = false;
  }
});
