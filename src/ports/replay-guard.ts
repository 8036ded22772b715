/** Remembers one-time values (assertion jti, captcha solutions) until they expire. */
export interface ReplayGuard {
  /** True the first time (scope, id) is seen before `expiresAt` (epoch ms); false on any repeat. */
  consume(scope: string, id: string, expiresAt: number): Promise<boolean>;
}
