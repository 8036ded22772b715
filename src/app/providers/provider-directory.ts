import { streamNames } from '../../../events/envelope.ts';
import type { Environment, ProviderEvent, ProviderKey } from '../../../events/provider.ts';
import { providerDecider, type ProviderCommand, type ProviderState } from '../../../commands/provider.ts';
import type { EventStore } from '../../ports/event-store.ts';
import { handleCommand, loadState, type CommandContext } from '../command-handler.ts';
import { newId } from '../ids.ts';

/** How long a provider's folded state may be served from memory before the stream is read again. */
const CACHE_MS = 1000;

/**
 * Providers: commands on `provider-<id>` streams and a short-lived cache of their state, so that
 * every provider request can check suspension without reading the stream each time. A command
 * handled in this process drops the cache at once; another process sees it within CACHE_MS.
 */
export class ProviderDirectory {
  private readonly cache = new Map<string, { state: ProviderState; at: number }>();

  constructor(
    private readonly store: EventStore,
    /** This ledger's environment, which registration and keys are decided for. */
    readonly environment: Environment = 'simulator',
  ) {}

  async register(
    input: { name: string; keys: ProviderKey[]; returnUrls: string[]; providerId?: string },
    context: CommandContext,
  ): Promise<ProviderState> {
    const providerId = input.providerId ?? newId();
    return this.execute(providerId, { type: 'RegisterProvider', providerId, ...input, environment: this.environment, now: context.now }, context);
  }

  async execute(providerId: string, command: ProviderCommand, context: CommandContext): Promise<ProviderState> {
    this.cache.delete(providerId);
    const result = await handleCommand<ProviderState, ProviderCommand, ProviderEvent>({
      store: this.store,
      streamName: streamNames.provider(providerId),
      decider: providerDecider,
      command,
      context,
    });
    this.cache.delete(providerId);
    return result.state;
  }

  /** The provider's current state; `exists: false` when unknown. */
  async get(providerId: string, now = Date.now()): Promise<ProviderState> {
    const hit = this.cache.get(providerId);
    if (hit && now - hit.at < CACHE_MS) return hit.state;
    const { state } = await loadState<ProviderState, ProviderEvent>(this.store, streamNames.provider(providerId), providerDecider);
    if (this.cache.size > 10_000) this.cache.clear();
    this.cache.set(providerId, { state, at: now });
    return state;
  }

  /** Every registered provider, in registration order. */
  async list(): Promise<ProviderState[]> {
    const ids: string[] = [];
    let after = 0;
    for (;;) {
      const batch = await this.store.readAll({ after, limit: 5000 });
      if (batch.length === 0) break;
      for (const e of batch) if (e.type === 'ProviderRegistered') ids.push(String(e.data.providerId));
      after = batch.at(-1)!.position;
    }
    return Promise.all(ids.map((id) => this.get(id)));
  }
}
