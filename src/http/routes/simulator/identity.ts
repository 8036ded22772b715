import formbody from '@fastify/formbody';
import type { FastifyReply } from 'fastify';
import type { AuthenticationRequest } from '../../../ports/identity-provider.ts';
import type { SimulatedIdentityPages, SimulatorChoice } from '../../../ports/identity-provider.ts';
import { SIMULATOR_IDENTITY_PATH } from '../../../paths.ts';
import { routeGroup } from '../../route-group.ts';
import { escapeHtml } from '../../html.ts';
import { memberOf } from '../../loose-input.ts';
import { page } from '../../csp-page.ts';

/**
 * The simulated identity node's page: the tester picks a test person and an identity means (or
 * cancels, or makes it fail), and the browser goes back to the ledger with a sealed answer.
 */
export const simulatorIdentityRoutes = routeGroup(['config', 'identitySimulator'], async (app, { services }) => {
  const node = services.identitySimulator;
  // Only the simulator environment has a simulated node; elsewhere these paths are unknown (404).
  if (!node || services.config.environment !== 'simulator') return;
  // The choice page posts an HTML form.
  await app.register(formbody, { bodyLimit: services.config.bodyLimit });

  app.get(SIMULATOR_IDENTITY_PATH, { schema: { hide: true } }, async (request, reply) => {
    const token = memberOf(request.query, 'request');
    const authRequest = typeof token === 'string' ? await node.readRequest(token) : undefined;
    if (typeof token !== 'string' || !authRequest) return invalidRequest(reply);
    return html(reply, 200, await choicePage(node, token, authRequest));
  });

  app.post(SIMULATOR_IDENTITY_PATH, { schema: { hide: true } }, async (request, reply) => {
    const token = memberOf(request.body, 'request');
    const authRequest = typeof token === 'string' ? await node.readRequest(token) : undefined;
    if (!authRequest) return invalidRequest(reply);
    const choice = choiceOf(request.body);
    if (!choice) return html(reply, 400, page('Choose a person', '<h1>Choose a test person and an identity means</h1><p>Go back and pick both, or cancel.</p>'));
    try {
      return reply.redirect(await node.answer(authRequest, choice), 303);
    } catch {
      return html(reply, 400, page('Not offered', '<h1>This person or identity means is not offered at this gateway</h1>'));
    }
  });
});

function choiceOf(body: unknown): SimulatorChoice | undefined {
  const [action, person, means] = [memberOf(body, 'action'), memberOf(body, 'person'), memberOf(body, 'means')];
  if (action === 'cancel' || action === 'fail') return { action };
  if (action !== 'authenticate' || typeof person !== 'string' || typeof means !== 'string') return undefined;
  return { action: 'authenticate', aifo: person, meansId: means };
}

async function choicePage(node: SimulatedIdentityPages, token: string, request: AuthenticationRequest): Promise<string> {
  const international = request.gateway === 'international';
  const persons = await node.persons(request.gateway);
  const personItems = persons
    .map(
      (p) =>
        `<li><label><input type="radio" name="person" value="${escapeHtml(p.aifo)}" required> ${escapeHtml(p.displayName)}</label> <code>${escapeHtml(p.aifo)}</code></li>`,
    )
    .join('');
  const meansItems = node
    .means(request.gateway)
    .map(
      (m) =>
        `<li><label><input type="radio" name="means" value="${escapeHtml(m.id)}" required> ${escapeHtml(m.label)} <small>(LoA ${m.loa})</small></label></li>`,
    )
    .join('');
  const title = international ? 'International gateway (eIDAS node), simulated' : 'National identity node, simulated';
  const asks = request.loa ? `The e-service asks for LoA <strong>${request.loa}</strong> or higher.` : 'No LoA is required.';
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>
<p>${request.forceAuth ? 'Sign in again to authorize the act (ForceAuth: an earlier sign-in does not count).' : 'Sign in to the national point\'s citizen portal.'} No personal attributes are released. ${asks}</p>
<form method="post" action="${SIMULATOR_IDENTITY_PATH}">
<input type="hidden" name="request" value="${escapeHtml(token)}">
<fieldset><legend>Test person</legend><ul class="messages">${personItems || '<li>No test persons for this gateway.</li>'}</ul></fieldset>
<fieldset><legend>Identity means</legend><ul class="messages">${meansItems}</ul></fieldset>
<p>
<button type="submit" name="action" value="authenticate">Sign in</button>
<button type="submit" name="action" value="cancel" formnovalidate>Cancel</button>
<button type="submit" name="action" value="fail" formnovalidate>Simulate a failure</button>
</p>
</form>`,
  );
}

function invalidRequest(reply: FastifyReply): FastifyReply {
  return html(reply, 400, page('Request not valid', '<h1>This authentication request is not valid or has expired</h1><p>Start again from the e-service.</p>'));
}

function html(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.code(status).header('cache-control', 'no-store').type('text/html; charset=utf-8').send(body);
}
