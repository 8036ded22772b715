import { routeGroup } from '../../route-group.ts';
import { escapeHtml } from '../../html.ts';
import { pageLanguage, sendFramedPage } from '../../page-frame.ts';
import { adminPageMessages } from './admin-page-messages.ts';

export const ADMIN_PAGE_PATH = '/admin';

/**
 * `/admin`: the onboarding admins' page, in the frame every page has (Czech or English as for citizens). Plain HTML with no data in it; /assets/admin.js asks for a
 * named admin's access token once, keeps it in the tab's sessionStorage, and reads the admin API
 * with it. The page itself needs no credential, so it is served to anyone, like the other pages.
 */
export const adminPageRoutes = routeGroup([], async (app) => {
  app.get(ADMIN_PAGE_PATH, { schema: { hide: true } }, async (request, reply) => {
    const lang = pageLanguage(request);
    const m = adminPageMessages[lang];
    const e = escapeHtml;
    const table = (id: string, title: string, columns: string[]) => `<section class="panel" aria-labelledby="${id}-title">
<h2 id="${id}-title">${e(title)}</h2>
<div class="scroll"><table id="${id}"><thead><tr>${columns.map((c) => `<th scope="col">${e(c)}</th>`).join('')}</tr></thead><tbody></tbody></table></div>
<p class="empty" id="${id}-empty" hidden></p>
</section>`;
    const c = m.client.columns;
    // The token field has no name: whatever happens to the form, the token is never sent as a field or in a URL.
    const body = `<h1>${e(m.title)}</h1>
<p>${e(m.intro)}</p>
<noscript><p class="warning">${e(m.noscript)}</p></noscript>
<form id="token-form" method="post" action="${ADMIN_PAGE_PATH}" hidden>
<p>
<label for="token">${e(m.tokenLabel)}</label>
<input type="password" id="token" autocomplete="off" spellcheck="false" required aria-describedby="token-hint">
<span class="hint" id="token-hint">${e(m.tokenHint)}</span>
</p>
<p><button type="submit">${e(m.open)}</button></p>
</form>
<p id="status" class="status" role="status"></p>
<div id="overview" class="admin-overview" hidden>
<p class="actions"><button type="button" id="refresh">${e(m.refresh)}</button> <button type="button" id="forget" class="secondary">${e(m.forget)}</button></p>
${table('queue', m.queueTitle, [c.filingSequence, c.provider, c.filedAt, c.status, c.decidedBy])}
<p><label class="inline"><input type="checkbox" id="show-decided"> ${e(m.showDecided)}</label></p>
${table('support', m.supportTitle, [c.provider, c.environment, c.supportUntil, c.status])}
${table('certificates', m.certificatesTitle, [c.provider, c.purpose, c.subject, c.notAfter, c.status, c.thumbprint])}
<section class="panel" aria-labelledby="timeline-title">
<h2 id="timeline-title">${e(m.timelineTitle)}</h2>
<form id="timeline-form" class="row">
<p><label for="provider-id">${e(m.providerIdLabel)}</label>
<input type="text" id="provider-id" autocomplete="off" spellcheck="false" maxlength="100" required></p>
<p><button type="submit">${e(m.showTimeline)}</button></p>
</form>
<div id="timeline" aria-live="polite" tabindex="-1"></div>
</section>
</div>`;
    const data = { messages: m.client, urls: { applications: '/api/v1/admin/applications', attention: '/api/v1/admin/onboarding/attention', timeline: '/api/v1/admin/providers/{providerId}/timeline' } };
    return sendFramedPage(request, reply, 200, { lang, title: m.title, body, scripts: ['/assets/admin.js'], data });
  });
});
