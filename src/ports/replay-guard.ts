/**
 * How long a spent value must be remembered through failures: `crash` survives the process being
 * killed (kill -9); `power-loss` also survives the machine losing power, at the cost of an fsync
 * before the answer.
 */
export type SpendDurability = 'crash' | 'power-loss';

/** Remembers one-time values (assertion jti, captcha solutions) until they expire. */
export interface ReplayGuard {
  /**
   * True the first time (scope, id) is seen before `expiresAt` (epoch ms); false on any repeat.
   * `durability` defaults to `power-loss`.
   */
  consume(scope: string, id: string, expiresAt: number, durability?: SpendDurability): Promise<boolean>;
  /** True when (scope, id) was consumed and has not expired since (a signed-out session, for instance). */
  seen(scope: string, id: string): Promise<boolean>;
}
