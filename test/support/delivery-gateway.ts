import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { DeliveryError, type CodeMessage, type Notifier } from '../../src/ports/notifier.ts';

/** What the gateway process received on one of its endpoints. */
export interface ReceivedDelivery {
  path: '/sms' | '/push';
  at: number;
  idempotencyKey?: string;
  body: Record<string, unknown>;
}

export interface ScriptedAnswer {
  status: number;
  /** Retry-After in seconds. */
  retryAfter?: number;
  body?: unknown;
}

/** The gateway process (test/support/delivery-gateway.mjs) and the controls the test has over it. */
export interface DeliveryGateway {
  url: string;
  token: string;
  script(path: '/sms' | '/push', answers: ScriptedAnswer[]): Promise<void>;
  unregister(tokens: string[]): Promise<void>;
  received(): Promise<{ received: ReceivedDelivery[]; problems: Array<{ path: string; problem: string }> }>;
  stop(): Promise<void>;
}

export async function startDeliveryGateway(token = 'gateway-token-0123'): Promise<DeliveryGateway> {
  const script = fileURLToPath(new URL('./delivery-gateway.mjs', import.meta.url));
  const child: ChildProcess = spawn(process.execPath, [script, token], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    lines.once('line', (line) => resolve((JSON.parse(line) as { port: number }).port));
    child.once('exit', (code) => reject(new Error(`delivery gateway exited with ${code}`)));
    setTimeout(() => reject(new Error('delivery gateway did not start within 10 s')), 10_000).unref();
  });
  const url = `http://127.0.0.1:${port}`;
  const control = async (path: string, body?: unknown) => {
    const res = await fetch(`${url}${path}`, body === undefined ? {} : { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
    if (res.status >= 300) throw new Error(`gateway control ${path}: ${res.status}`);
    return res.status === 204 ? undefined : res.json();
  };
  return {
    url,
    token,
    script: async (path, answers) => void (await control('/control/script', { path, answers })),
    unregister: async (tokens) => void (await control('/control/unregistered', { tokens })),
    received: async () => (await control('/control/received')) as Awaited<ReturnType<DeliveryGateway['received']>>,
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A minimal notifier for the tests, speaking to the gateway process: one POST per attempt, its
 * answer mapped to the port's DeliveryError kinds (408, 429, 5xx and network errors retryable,
 * with Retry-After; UNREGISTERED; any other refusal permanent). Not the product's adapters.
 */
export class GatewayNotifier implements Notifier {
  constructor(
    private readonly gateway: Pick<DeliveryGateway, 'url' | 'token'>,
    private readonly path: '/sms' | '/push',
  ) {}

  async send(message: CodeMessage): Promise<void> {
    const body = this.path === '/sms' ? { to: message.to, text: message.text, reference: message.messageId } : { token: message.device?.fcmToken, data: { actId: message.actId, code: message.code } };
    let res: Response;
    try {
      res = await fetch(`${this.gateway.url}${this.path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${this.gateway.token}`, 'content-type': 'application/json', 'idempotency-key': message.messageId },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(5_000),
      });
    } catch (error) {
      throw new DeliveryError('retryable', 'gateway not reachable', undefined, { cause: error });
    }
    const text = await res.text();
    if (res.ok) return;
    if (res.status === 404 && text.includes('UNREGISTERED')) throw new DeliveryError('unregistered', 'UNREGISTERED');
    const retryAfter = Number(res.headers.get('retry-after'));
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      throw new DeliveryError('retryable', `gateway answered ${res.status}`, Number.isFinite(retryAfter) && retryAfter > 0 ? retryAfter * 1000 : undefined);
    }
    throw new DeliveryError('permanent', `gateway answered ${res.status}`);
  }
}
