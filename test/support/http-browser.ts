/**
 * Just enough of a browser for redirect-driven protocols over plain HTTP: keeps cookies per host
 * (as browsers do, ports share them), follows nothing by itself, and lets the test step through
 * each redirect.
 */
export class HttpBrowser {
  private readonly jar = new Map<string, Map<string, string>>();

  async get(url: string): Promise<Response> {
    return this.request(url, { method: 'GET' });
  }

  async postForm(url: string, fields: Record<string, string>): Promise<Response> {
    return this.request(url, { method: 'POST', body: new URLSearchParams(fields), headers: { 'content-type': 'application/x-www-form-urlencoded' } });
  }

  /**
   * Follows redirects from `url` (GET) and stops at the first URL for which `stop` is true, without
   * requesting it, or at the first answer that is not a redirect.
   */
  async follow(url: string, stop: (url: URL) => boolean = () => false, maxHops = 15): Promise<{ url: URL; response?: Response }> {
    let current = new URL(url);
    for (let hop = 0; hop < maxHops; hop++) {
      if (stop(current)) return { url: current };
      const response = await this.get(current.href);
      const location = response.headers.get('location');
      if (response.status < 300 || response.status >= 400 || !location) return { url: current, response };
      await response.body?.cancel();
      current = new URL(location, current);
    }
    throw new Error(`more than ${maxHops} redirects from ${url}`);
  }

  private async request(url: string, init: RequestInit): Promise<Response> {
    const target = new URL(url);
    const cookies = this.jar.get(target.hostname);
    const headers = new Headers(init.headers);
    if (cookies?.size) headers.set('cookie', [...cookies].map(([name, value]) => `${name}=${value}`).join('; '));
    const response = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of response.headers.getSetCookie()) this.store(target.hostname, line);
    return response;
  }

  private store(host: string, line: string): void {
    const [pair = '', ...attributes] = line.split(';');
    const at = pair.indexOf('=');
    const name = pair.slice(0, at).trim();
    const value = pair.slice(at + 1).trim();
    const cookies = this.jar.get(host) ?? new Map<string, string>();
    const expired = attributes.some((a) => /^\s*max-age=0\s*$/i.test(a) || (/^\s*expires=/i.test(a) && Date.parse(a.split('=')[1]!) < Date.now()));
    if (expired || value === '') cookies.delete(name);
    else cookies.set(name, value);
    this.jar.set(host, cookies);
  }
}
