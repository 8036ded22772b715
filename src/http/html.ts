const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Text made safe to place in HTML content or a quoted attribute. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]!);
}

/** A plain, accessible page shell; `body` must already be escaped HTML. */
export function page(title: string, body: string, lang = 'en'): string {
  return `<!doctype html>
<html lang="${escapeHtml(lang)}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 0 auto; padding: 1rem; color: #1b1b1b; }
  h1 { font-size: 1.5rem; }
  .msg { border: 1px solid #ccc; border-radius: 8px; padding: .5rem .75rem; margin: .5rem 0; list-style: none; }
  .messages { padding: 0; }
  button, input, select { font: inherit; }
</style>
</head>
<body>
<main>
${body}
</main>
</body>
</html>`;
}
