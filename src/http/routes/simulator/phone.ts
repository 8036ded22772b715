import { routeGroup } from '../../route-group.ts';
import { adminAccess, adminRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';
import { escapeHtml } from '../../html.ts';
import { page } from '../../csp-page.ts';

/** The simulated phones: the outbox as JSON for test clients, and one page per test person. */
export const simulatorPhoneRoutes = routeGroup(['config', 'outbox', 'testPersons', 'admins', 'adminTokens'], async (app, { services }) => {
  const outbox = services.outbox;
  if (services.config.environment !== 'simulator' || !outbox) return;

  app.get(
    '/api/v1/simulator/outbox',
    {
      onRequest: adminAccess(services, 'registry'),
      schema: {
        tags: ['simulator'],
        operationId: 'getSimulatorOutbox',
        summary: 'Messages a test person received, oldest first (kept in memory only, newest 100)',
        security: [{ admin: [] }],
        querystring: { type: 'object', required: ['aifo'], properties: { aifo: { type: 'string', maxLength: 100 } } },
        response: {
          200: {
            type: 'object',
            properties: {
              messages: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { channel: { type: 'string' }, to: { type: 'string' }, text: { type: 'string' }, code: { type: 'string' }, sentAt: { type: 'string' } },
                },
              },
            },
          },
          ...adminRefusals(),
        },
      },
    },
    async (request, reply) => {
      reply.header('cache-control', 'no-store');
      return { messages: outbox.messagesFor(request.query.aifo) };
    },
  );

  app.get('/simulator', { schema: { hide: true } }, async (_request, reply) => {
    const persons = await services.testPersons.list();
    const rows = persons
      .map((p) => `<li><a href="/simulator/phone/${encodeURIComponent(p.aifo)}">${escapeHtml(p.displayName)}</a> <code>${escapeHtml(p.aifo)}</code></li>`)
      .join('');
    reply.type('text/html; charset=utf-8');
    return page('Simulator', `<h1>Simulator environment</h1><p>Test persons and their simulated phones:</p><ul>${rows}</ul>`);
  });

  const phoneParams = { type: 'object', required: ['aifo'], properties: { aifo: { type: 'string' } } } as const;
  app.get('/simulator/phone/:aifo', { schema: { hide: true, params: phoneParams } }, async (request, reply) => {
    const { aifo } = request.params;
    const person = await services.testPersons.get(aifo);
    if (!person) throw new HttpProblem('not-found', 'no such test person');
    const messages = outbox.messagesFor(aifo).reverse();
    const items = messages.length
      ? messages
          .map((m) => `<li class="msg"><small>${escapeHtml(m.channel === 'sms' ? `SMS to ${m.to}` : 'Mobile Key notification')} · ${escapeHtml(m.sentAt)}</small><p>${escapeHtml(m.text)}</p></li>`)
          .join('')
      : '<li>No messages yet.</li>';
    reply.type('text/html; charset=utf-8').header('cache-control', 'no-store');
    return page(
      `Phone of ${person.displayName}`,
      `<h1>Simulated phone</h1><p>${escapeHtml(person.displayName)}</p><p><a href="">Refresh</a> · <a href="/simulator">All test persons</a></p><ul class="messages">${items}</ul>`,
    );
  });
});
