import type { AuditLogSource } from '../app/audit/log-verification.ts';
import { fromBase64, formatTilePath, type Hash, TILE_WIDTH } from '../../tlog/index.ts';
import { CliError } from './cli-error.ts';

const PAGE = 10_000;

/**
 * A ledger's log over HTTP, as an outside auditor reads it: the audit feed and the consistency
 * proofs with the auditor token, the log key, the checkpoint and the hash tiles from the public
 * endpoints. The token comes from LEDGER_AUDITOR_TOKEN, never from the command line (ps shows that).
 */
export class HttpAuditSource implements AuditLogSource {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string | undefined,
  ) {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new CliError(`--from must be the ledger's base URL (http:// or https://), not ${JSON.stringify(url)}`);
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw new CliError('--from must be an http:// or https:// URL');
    this.base = parsed.href.replace(/\/+$/, '');
  }

  static fromEnvironment(url: string): HttpAuditSource {
    const token = process.env.LEDGER_AUDITOR_TOKEN;
    if (!token) throw new CliError('set LEDGER_AUDITOR_TOKEN to the ledger\'s auditor token (it is read from the environment, never from the command line)');
    return new HttpAuditSource(url, token);
  }

  async logKey(): Promise<string> {
    return (await this.get('/api/v1/audit/log-key')).text();
  }

  async latestCheckpoint(): Promise<string | undefined> {
    const res = await this.get('/tlog/checkpoint', { missing: 'undefined' });
    return res ? res.text() : undefined;
  }

  async *lines(): AsyncGenerator<string> {
    let after = 0;
    for (;;) {
      const res = await this.get(`/api/v1/audit/events?after=${after}&limit=${PAGE}`, { auditor: true });
      const next = Number(res.headers.get('x-next-after'));
      let pending = '';
      const decoder = new TextDecoder('utf-8', { fatal: true });
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        pending += decoder.decode(chunk, { stream: true });
        const lines = pending.split('\n');
        pending = lines.pop() ?? '';
        yield* lines;
      }
      pending += decoder.decode();
      if (pending !== '') yield pending;
      if (!res.headers.get('link') || !Number.isSafeInteger(next) || next === after) return;
      after = next;
    }
  }

  async leafTile(index: number, width: number): Promise<Uint8Array | undefined> {
    const tile = await this.get(`/tlog/${formatTilePath({ level: 0, index, width })}`, { missing: 'undefined' });
    // A log may have filled the tile since: the full one holds the same first `width` hashes.
    const bytes = tile ?? (width < TILE_WIDTH ? await this.get(`/tlog/${formatTilePath({ level: 0, index, width: TILE_WIDTH })}`, { missing: 'undefined' }) : undefined);
    if (!bytes) return undefined;
    const all = new Uint8Array(await bytes.arrayBuffer());
    return tile ? all : all.subarray(0, width * 32);
  }

  async consistencyProof(from: number, to: number): Promise<Hash[]> {
    const res = await this.get(`/api/v1/audit/proofs/consistency?from=${from}&to=${to}`, { auditor: true });
    const body = (await res.json()) as { hashes?: unknown };
    if (!Array.isArray(body.hashes)) throw new Error(`the consistency proof from ${from} to ${to} has no hashes`);
    return body.hashes.map((h) => {
      const hash = typeof h === 'string' ? fromBase64(h) : undefined;
      if (!hash || hash.length !== 32) throw new Error(`the consistency proof from ${from} to ${to} holds a hash that is not base64 of 32 bytes`);
      return hash;
    });
  }

  private async get(path: string, options: { auditor?: boolean; missing: 'undefined' }): Promise<Response | undefined>;
  private async get(path: string, options?: { auditor?: boolean }): Promise<Response>;
  private async get(path: string, options: { auditor?: boolean; missing?: 'undefined' } = {}): Promise<Response | undefined> {
    const headers: Record<string, string> = options.auditor && this.token ? { authorization: `Bearer ${this.token}` } : {};
    const res = await fetch(`${this.base}${path}`, { headers, signal: AbortSignal.timeout(120_000) });
    if (res.status === 404 && options.missing) return undefined;
    if (!res.ok) {
      const problem = (await res.text()).slice(0, 300);
      const hint = res.status === 401 || res.status === 403 ? ' (is LEDGER_AUDITOR_TOKEN the auditor token of this ledger?)' : '';
      throw new Error(`GET ${path}: HTTP ${res.status}${hint} ${problem}`);
    }
    return res;
  }
}
