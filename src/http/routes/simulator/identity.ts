import formbody from '@fastify/formbody';
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { AuthenticationRequest } from '../../../ports/identity-provider.ts';
import type { SimulatedIdentityPages, SimulatorChoice } from '../../../ports/identity-provider.ts';
import { SIMULATOR_IDENTITY_PATH } from '../../../paths.ts';
import { routeGroup } from '../../route-group.ts';
import { escapeHtml } from '../../html.ts';
import { memberOf } from '../../loose-input.ts';
import { IDENTITY_NODE_CSP, type Lang } from '../../csp-page.ts';
import { pageLanguage, sendFramedPage } from '../../page-frame.ts';
import { simulatorMessages } from './simulator-messages.ts';

/**
 * The simulated identity node's page: the tester sees what the sign-in authorizes, picks a test
 * person and an identity means (or cancels, or makes it fail), and the browser goes back to the
 * ledger with a sealed answer.
 */
export const simulatorIdentityRoutes = routeGroup(['config', 'identitySimulator'], async (app, { services }) => {
  const node = services.identitySimulator;
  // Only the simulator environment has a simulated node; elsewhere these paths are unknown (404).
  if (!node || services.config.environment !== 'simulator') return;
  // The choice page posts an HTML form.
  await app.register(formbody, { bodyLimit: services.config.bodyLimit });

  app.get(SIMULATOR_IDENTITY_PATH, { schema: { hide: true } }, async (request, reply) => {
    const lang = pageLanguage(request);
    const token = memberOf(request.query, 'request');
    const authRequest = typeof token === 'string' ? await node.readRequest(token) : undefined;
    if (typeof token !== 'string' || !authRequest) return refused(request, reply, 'invalid');
    const international = authRequest.gateway === 'international';
    const title = simulatorMessages[lang][international ? 'international' : 'national'];
    return sendFramedPage(request, reply, 200, { lang, title, body: await choicePage(node, token, authRequest, lang), csp: IDENTITY_NODE_CSP });
  });

  app.post(SIMULATOR_IDENTITY_PATH, { schema: { hide: true } }, async (request, reply) => {
    const token = memberOf(request.body, 'request');
    const authRequest = typeof token === 'string' ? await node.readRequest(token) : undefined;
    if (!authRequest) return refused(request, reply, 'invalid');
    const choice = choiceOf(request.body);
    if (!choice) return refused(request, reply, 'choose');
    try {
      return reply.redirect(await node.answer(authRequest, choice), 303);
    } catch {
      return refused(request, reply, 'notOffered');
    }
  });
});

function choiceOf(body: unknown): SimulatorChoice | undefined {
  const [action, person, means] = [memberOf(body, 'action'), memberOf(body, 'person'), memberOf(body, 'means')];
  if (action === 'cancel' || action === 'fail') return { action };
  if (action !== 'authenticate' || typeof person !== 'string' || typeof means !== 'string') return undefined;
  return { action: 'authenticate', aifo: person, meansId: means };
}

async function choicePage(node: SimulatedIdentityPages, token: string, request: AuthenticationRequest, lang: Lang): Promise<string> {
  const m = simulatorMessages[lang];
  const international = request.gateway === 'international';
  const persons = await node.persons(request.gateway);
  const personItems = persons
    .map(
      (p, i) =>
        `<li><input type="radio" id="person-${i}" name="person" value="${escapeHtml(p.aifo)}" required> <label for="person-${i}">${escapeHtml(p.displayName)} <code>${escapeHtml(p.aifo)}</code></label></li>`,
    )
    .join('\n');
  const meansItems = node
    .means(request.gateway)
    .map(
      (means, i) =>
        `<li><input type="radio" id="means-${i}" name="means" value="${escapeHtml(means.id)}" required> <label for="means-${i}">${escapeHtml(means.label)} <span class="hint-inline">(LoA ${escapeHtml(means.loa)})</span></label></li>`,
    )
    .join('\n');
  const title = international ? m.international : m.national;
  const purpose = request.purpose
    ? `<section class="purpose" aria-labelledby="purpose-title">
<h2 id="purpose-title">${escapeHtml(m.purposeTitle)}</h2>
<dl class="act">
<dt>${escapeHtml(m.actName)}</dt><dd id="purpose-act">${escapeHtml(request.purpose.actName)}</dd>
<dt>${escapeHtml(m.description)}</dt><dd id="purpose-description">${escapeHtml(request.purpose.description || '—')}</dd>
<dt>${escapeHtml(m.eService)}</dt><dd id="purpose-e-service">${escapeHtml(request.purpose.eService)}</dd>
</dl>
</section>`
    : '';
  const asks = request.loa ? m.asksLoa(request.loa) : m.noLoa;
  return `<h1>${escapeHtml(title)}</h1>
<p>${escapeHtml(request.forceAuth ? m.forceAuth : m.portalSignIn)} ${escapeHtml(m.noAttributes)} ${escapeHtml(asks)}</p>
${purpose}
<form method="post" action="${SIMULATOR_IDENTITY_PATH}?lang=${lang}">
<input type="hidden" name="request" value="${escapeHtml(token)}">
<fieldset><legend>${escapeHtml(m.person)}</legend><ul class="choices">${personItems || `<li>${escapeHtml(m.noPersons)}</li>`}</ul></fieldset>
<fieldset><legend>${escapeHtml(m.means)}</legend><ul class="choices">${meansItems}</ul></fieldset>
<p class="actions">
<button type="submit" name="action" value="authenticate">${escapeHtml(m.signIn)}</button>
<button type="submit" name="action" value="cancel" class="secondary" formnovalidate aria-describedby="secondary-hint">${escapeHtml(m.cancel)}</button>
<button type="submit" name="action" value="fail" class="secondary" formnovalidate aria-describedby="secondary-hint">${escapeHtml(m.fail)}</button>
</p>
<p class="hint" id="secondary-hint">${escapeHtml(m.secondaryHint)}</p>
</form>`;
}

const REFUSALS = { invalid: ['invalidTitle', 'invalidText'], choose: ['chooseTitle', 'chooseText'], notOffered: ['notOfferedTitle', 'notOfferedText'] } as const;

/** The node's own refusals: a framed page with status 400, in the tester's language. */
function refused(request: FastifyRequest, reply: FastifyReply, why: keyof typeof REFUSALS): FastifyReply {
  const lang = pageLanguage(request);
  const m = simulatorMessages[lang];
  const [title, text] = REFUSALS[why];
  return sendFramedPage(request, reply, 400, { lang, title: m[title], body: `<h1>${escapeHtml(m[title])}</h1>\n<p>${escapeHtml(m[text])}</p>`, requestId: request.id });
}
