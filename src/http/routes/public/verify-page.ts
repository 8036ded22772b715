import { routeGroup } from '../../route-group.ts';
import { escapeHtml } from '../../html.ts';
import { pageLanguage, sendFramedPage } from '../../page-frame.ts';
import { verifyMessages } from './verify-messages.ts';
import { CAPTCHA_PATH, VERIFICATIONS_PATH } from './verifications.ts';
import { RECEIPT_VERIFICATIONS_PATH } from './receipt-verifications.ts';

export const VERIFY_PAGE_PATH = '/verify';

/**
 * `/verify`: the public verification page. The form works through /assets/verify.js, which hashes
 * the file in the browser and sends only the hash; the page itself is plain HTML, in Czech or English.
 */
export const verifyPageRoutes = routeGroup(['config'], async (app, { services }) => {
  app.get(VERIFY_PAGE_PATH, { schema: { hide: true } }, async (request, reply) => {
    const lang = pageLanguage(request);
    const m = verifyMessages[lang];
    const body = `<h1>${escapeHtml(m.title)}</h1>
<p>${escapeHtml(m.intro)}</p>
<p class="note" id="privacy">${escapeHtml(m.privacy)}</p>
<noscript><p class="warning">${escapeHtml(m.noscript)}</p></noscript>
<form id="verify-form" novalidate>
<p>
<label for="file">${escapeHtml(m.fileLabel)}</label>
<input type="file" id="file" name="file" aria-describedby="file-hint privacy">
<span class="hint" id="file-hint">${escapeHtml(m.fileHint)}</span>
<span class="field-error" id="file-error" role="alert"></span>
</p>
<div class="captcha" id="captcha" data-state="idle">
<altcha-widget id="captcha-widget" challenge="${CAPTCHA_PATH}" name="altcha" auto="off" language="${lang}" configuration='{"hideFooter":true,"hideLogo":true,"minDuration":0}'></altcha-widget>
<p id="captcha-status" class="field-error" role="alert"></p>
</div>
<p><button type="submit" id="submit">${escapeHtml(m.submit)}</button></p>
<p id="progress-line" hidden><progress id="progress" max="1" value="0" aria-label="${escapeHtml(m.client.hashProgress)}"></progress></p>
<p id="status" class="status" role="status"></p>
</form>
<section id="result" aria-live="polite" tabindex="-1"></section>
${receiptSection(m.receipt)}`;
    const data = {
      lang,
      messages: m.client,
      verificationsUrl: VERIFICATIONS_PATH,
      uploadLimit: services.config.uploadLimit,
      receipt: {
        messages: m.receipt.client,
        verificationsUrl: RECEIPT_VERIFICATIONS_PATH,
        words: { actId: m.client.actId, provider: m.client.provider, authorizedAt: m.client.authorizedAt, method: m.client.method, methods: m.client.methods, tooMany: m.client.tooMany, failedText: m.client.failedText },
      },
    };
    return sendFramedPage(request, reply, 200, {
      lang,
      title: m.title,
      body,
      scripts: ['/assets/verify.js', '/assets/verify-receipt.js'],
      styles: ['/assets/altcha/altcha.css'],
      data,
    });
  });
});

/**
 * The receipt check (/assets/verify-receipt.js): a receipt pasted or chosen as a file, and optionally
 * the document, hashed in the browser like the file above. No captcha: the check looks nothing up.
 */
function receiptSection(m: (typeof verifyMessages)[keyof typeof verifyMessages]['receipt']): string {
  return `<section id="receipt-check" aria-labelledby="receipt-title">
<h2 id="receipt-title">${escapeHtml(m.title)}</h2>
<p>${escapeHtml(m.intro)}</p>
<form id="receipt-form" novalidate>
<p>
<label for="receipt-text">${escapeHtml(m.textLabel)}</label>
<textarea id="receipt-text" name="receipt" rows="6" spellcheck="false" autocomplete="off" aria-describedby="receipt-text-hint"></textarea>
<span class="hint" id="receipt-text-hint">${escapeHtml(m.textHint)}</span>
</p>
<p>
<label for="receipt-file">${escapeHtml(m.fileLabel)}</label>
<input type="file" id="receipt-file" name="receiptFile" accept="application/json,.json,.txt">
</p>
<p>
<label for="receipt-document">${escapeHtml(m.documentLabel)}</label>
<input type="file" id="receipt-document" name="document" aria-describedby="receipt-document-hint">
<span class="hint" id="receipt-document-hint">${escapeHtml(m.documentHint)}</span>
</p>
<p><button type="submit" id="receipt-submit">${escapeHtml(m.submit)}</button></p>
<p id="receipt-status" class="status" role="status"></p>
</form>
<div id="receipt-result" class="verdict" aria-live="polite" tabindex="-1"></div>
</section>`;
}
