import { routeGroup } from '../../route-group.ts';
import { adminAccess, adminRefusals } from '../../auth.ts';
import { HttpProblem } from '../../problems.ts';
import { escapeHtml } from '../../html.ts';
import { pageLanguage, sendFramedPage } from '../../page-frame.ts';
import { sendErrorPage } from '../../error-page.ts';
import { shownTime, pragueIso } from '../../assets/prague-time.js';
import { simulatorMessages } from './simulator-messages.ts';

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
        description: 'An AIFO that is no test person answers 404 `not-found`.',
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
          ...adminRefusals('not-found'),
        },
      },
    },
    async (request, reply) => {
      // A mistyped AIFO would otherwise look like a phone that never got anything.
      if (!(await services.testPersons.get(request.query.aifo))) {
        throw new HttpProblem('not-found', `no test person has the AIFO "${request.query.aifo}"; GET /api/v1/admin/citizens lists them (and /simulator)`);
      }
      reply.header('cache-control', 'no-store');
      return { messages: outbox.messagesFor(request.query.aifo) };
    },
  );

  app.get('/simulator', { schema: { hide: true } }, async (request, reply) => {
    const lang = pageLanguage(request);
    const m = simulatorMessages[lang];
    const persons = await services.testPersons.list();
    const rows = persons
      .map((p) => `<li><a href="/simulator/phone/${encodeURIComponent(p.aifo)}?lang=${lang}">${escapeHtml(p.displayName)}</a> <code>${escapeHtml(p.aifo)}</code></li>`)
      .join('\n');
    const body = `<h1>${escapeHtml(m.simulatorTitle)}</h1>\n<p>${escapeHtml(m.simulatorIntro)}</p>\n<ul class="persons">${rows}</ul>`;
    return sendFramedPage(request, reply, 200, { lang, title: m.simulatorTitle, body });
  });

  const phoneParams = { type: 'object', required: ['aifo'], properties: { aifo: { type: 'string' } } } as const;
  app.get('/simulator/phone/:aifo', { schema: { hide: true, params: phoneParams } }, async (request, reply) => {
    const { aifo } = request.params;
    const person = await services.testPersons.get(aifo);
    if (!person) return sendErrorPage(request, reply, 404, 'test-person-unknown');
    const lang = pageLanguage(request);
    const m = simulatorMessages[lang];
    const messages = outbox.messagesFor(aifo).reverse();
    const items = messages.length
      ? messages
          .map(
            (message) =>
              `<li class="msg"><p class="meta">${escapeHtml(message.channel === 'sms' ? m.sms(message.to) : m.push)} · <time datetime="${escapeHtml(pragueIso(message.sentAt))}">${escapeHtml(shownTime(message.sentAt, lang))}</time></p><p>${escapeHtml(message.text)}</p></li>`,
          )
          .join('\n')
      : `<li class="msg">${escapeHtml(m.noMessages)}</li>`;
    const body = `<h1>${escapeHtml(m.phoneHeading)}</h1>
<p>${escapeHtml(person.displayName)} <code>${escapeHtml(person.aifo)}</code></p>
<p><a href="?lang=${lang}">${escapeHtml(m.refresh)}</a> · <a href="/simulator?lang=${lang}">${escapeHtml(m.allPersons)}</a></p>
<h2>${escapeHtml(m.messagesTitle)}</h2>
<ul class="messages">${items}</ul>`;
    return sendFramedPage(request, reply, 200, { lang, title: m.phoneTitle(person.displayName), body });
  });
});
