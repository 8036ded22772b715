import { routeGroup } from '../../route-group.ts';
import { escapeHtml } from '../../html.ts';
import { INFO_PATHS, pageLanguage, sendFramedPage } from '../../page-frame.ts';
import { infoPageMessages } from './info-page-messages.ts';

/** The pages the frame's footer links to: contact and support, privacy, the accessibility statement. */
export const infoPageRoutes = routeGroup([], async (app) => {
  for (const [page, path] of Object.entries(INFO_PATHS) as Array<[keyof typeof INFO_PATHS, string]>) {
    app.get(path, { schema: { hide: true } }, async (request, reply) => {
      const lang = pageLanguage(request);
      const { title, paragraphs } = infoPageMessages[lang][page];
      const body = `<h1>${escapeHtml(title)}</h1>\n${paragraphs.map((p) => `<p>${escapeHtml(p)}</p>`).join('\n')}`;
      return sendFramedPage(request, reply, 200, { lang, title, body });
    });
  }
});
