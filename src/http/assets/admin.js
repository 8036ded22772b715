// The onboarding admins' page: a named admin's access token is entered once and kept in this tab's
// sessionStorage, sent as a Bearer header to the admin API, and asked for again when it is refused.
// Everything shown is built with DOM nodes and textContent: provider names and reasons stay text.

const { messages: m, urls } = JSON.parse(document.getElementById('page-data').textContent);
const TOKEN_KEY = 'ledger-admin-token';

const tokenForm = document.getElementById('token-form');
const tokenInput = document.getElementById('token');
const status = document.getElementById('status');
const overview = document.getElementById('overview');
const showDecided = document.getElementById('show-decided');
const timelineForm = document.getElementById('timeline-form');
const providerIdInput = document.getElementById('provider-id');
const timeline = document.getElementById('timeline');

const dateFormat = new Intl.DateTimeFormat(m.locale, { dateStyle: 'medium', timeStyle: 'short' });
const DAY_MS = 24 * 60 * 60 * 1000;

/** No token yet (`refused` false), or the API refused the one given (expired, revoked): ask for one. */
class TokenRefused extends Error {
  constructor(refused) {
    super('admin token needed');
    this.refused = refused;
  }
}

class ApiError extends Error {
  constructor(status, problem) {
    super(problem.detail || `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
  }
}

async function api(path) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  if (!token) throw new TokenRefused(false);
  const response = await fetch(path, { headers: { authorization: `Bearer ${token}`, accept: 'application/json' }, cache: 'no-store' });
  if (response.status === 401) {
    sessionStorage.removeItem(TOKEN_KEY);
    throw new TokenRefused(true);
  }
  const body = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

/** An element with attributes and children; strings become text nodes, never markup. */
function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'class') node.className = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function time(iso) {
  if (!iso) return '—';
  const date = new Date(iso);
  return el('time', { datetime: iso }, Number.isNaN(date.getTime()) ? iso : dateFormat.format(date));
}

function daysLeft(iso, now) {
  return m.daysLeft.replace('{days}', String(Math.ceil((Date.parse(iso) - Date.parse(now)) / DAY_MS)));
}

/** A provider by name and id, with a button that opens its timeline. */
function providerCell(providerId, name) {
  const button = el('button', { type: 'button', class: 'link', 'data-provider-id': providerId }, name || providerId);
  button.addEventListener('click', () => showTimeline(providerId));
  return el('td', {}, button, name ? el('br') : null, name ? el('code', {}, providerId) : null);
}

function fill(id, rows, emptyText) {
  const tbody = document.querySelector(`#${id} tbody`);
  const empty = document.getElementById(`${id}-empty`);
  tbody.replaceChildren(...rows);
  empty.textContent = emptyText;
  empty.hidden = rows.length > 0;
  document.getElementById(id).hidden = rows.length === 0;
}

function renderQueue(applications) {
  const rows = applications.map((a) =>
    el(
      'tr',
      { 'data-application-id': a.applicationId, 'data-status': a.status },
      el('td', {}, String(a.filingSequence)),
      providerCell(a.providerId, ''),
      el('td', {}, time(a.filedAt)),
      el('td', {}, m.statuses[a.status] ?? a.status, a.outOfOrderReason ? el('span', { class: 'hint' }, a.outOfOrderReason) : null),
      el('td', {}, a.decidedBy ?? '—'),
    ),
  );
  fill('queue', rows, m.queueEmpty);
}

function renderAttention(attention) {
  const support = attention.supportEnding.map((s) =>
    el(
      'tr',
      { 'data-provider-id': s.providerId, class: s.ended ? 'overdue' : '' },
      providerCell(s.providerId, s.name),
      el('td', {}, s.environment),
      el('td', {}, time(s.supportUntil)),
      el('td', {}, s.ended ? m.ended : daysLeft(s.supportUntil, attention.now)),
    ),
  );
  fill('support', support, m.supportEmpty);
  const certificates = attention.certificatesExpiring.map((c) =>
    el(
      'tr',
      { 'data-certificate-id': c.certificateId, class: c.expired ? 'overdue' : '' },
      providerCell(c.providerId, c.name),
      el('td', {}, m.purposes[c.purpose] ?? c.purpose),
      el('td', {}, c.subject),
      el('td', {}, time(c.notAfter)),
      el('td', {}, c.expired ? m.expired : daysLeft(c.notAfter, attention.now)),
      el('td', {}, el('code', {}, c.thumbprintSha256)),
    ),
  );
  fill('certificates', certificates, m.certificatesEmpty);
}

function renderTimeline(answer) {
  const facts = (summary) => {
    const entries = Object.entries(summary);
    if (entries.length === 0) return null;
    return el('dl', { class: 'facts' }, ...entries.flatMap(([key, value]) => [el('dt', {}, key), el('dd', {}, value)]));
  };
  const items = answer.events.map((e) =>
    el('li', { 'data-type': e.type }, el('p', { class: 'event' }, el('strong', {}, e.type), ' · ', time(e.at), ' · ', el('span', { class: 'actor' }, e.actor)), facts(e.summary)),
  );
  timeline.replaceChildren(
    el('h3', {}, answer.name || m.unnamed),
    el('p', {}, el('code', {}, answer.providerId)),
    items.length ? el('ol', { class: 'timeline' }, ...items) : el('p', {}, m.timelineEmpty),
  );
}

let shownProvider;

async function showTimeline(providerId) {
  shownProvider = providerId;
  providerIdInput.value = providerId;
  try {
    renderTimeline(await api(urls.timeline.replace('{providerId}', encodeURIComponent(providerId))));
    timeline.focus();
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) timeline.replaceChildren(el('p', { class: 'warning' }, m.notFound));
    else handle(error);
  }
}

async function load() {
  status.textContent = m.loading;
  try {
    const queueUrl = showDecided.checked ? urls.applications : `${urls.applications}?status=undecided`;
    const [queue, attention] = await Promise.all([api(queueUrl), api(urls.attention)]);
    tokenForm.hidden = true;
    overview.hidden = false;
    renderQueue(queue.applications);
    renderAttention(attention);
    status.textContent = m.loaded;
    if (shownProvider) await showTimeline(shownProvider);
  } catch (error) {
    handle(error);
  }
}

function askForToken(message) {
  overview.hidden = true;
  tokenForm.hidden = false;
  status.textContent = message;
  tokenInput.value = '';
  tokenInput.focus();
}

function handle(error) {
  if (error instanceof TokenRefused) return askForToken(error.refused ? m.tokenExpired : m.tokenNeeded);
  if (error instanceof ApiError && error.status === 403) {
    sessionStorage.removeItem(TOKEN_KEY);
    return askForToken(error.problem.type === 'urn:problem:act-ledger:missing-role' ? m.forbidden : m.notAdmin);
  }
  status.textContent = `${m.failed} ${error.message ?? ''}`.trim();
}

tokenForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = tokenInput.value.trim();
  if (!token) return;
  sessionStorage.setItem(TOKEN_KEY, token);
  tokenInput.value = '';
  load();
});

timelineForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const providerId = providerIdInput.value.trim();
  if (providerId) showTimeline(providerId);
});

document.getElementById('refresh').addEventListener('click', () => load());
document.getElementById('forget').addEventListener('click', () => {
  sessionStorage.removeItem(TOKEN_KEY);
  shownProvider = undefined;
  timeline.replaceChildren();
  askForToken(m.tokenNeeded);
});
showDecided.addEventListener('change', () => load());

load();
