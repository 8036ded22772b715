// The anti-robot check: the ALTCHA widget, self-hosted (its CSP build: no inline styles or scripts,
// the SHA worker as a file of its own). The ledger signs protocol-v1 challenges (altcha-lib), which
// the widget solves and answers in the v1 payload the ledger redeems, in the field `altcha`.
import '/assets/altcha/i18n/cs.js';
import '/assets/altcha/i18n/en.js';
import '/assets/altcha/altcha.js';

globalThis.$altcha.algorithms.set('SHA-256', () => new Worker('/assets/altcha/sha-worker.js'));

/** The widget once it has mounted (its methods exist from then on). */
function mounted(widget) {
  if (typeof widget.verify === 'function' && typeof widget.getState === 'function') {
    try {
      widget.getState();
      return Promise.resolve(widget);
    } catch {
      // Not mounted yet: wait for its load event.
    }
  }
  return new Promise((resolve) => widget.addEventListener('load', () => resolve(widget), { once: true }));
}

/**
 * Solved captchas from `widget`, one per request: `take()` answers the payload solved in advance and
 * starts solving the next at once (each works once). `onState('working' | 'ready' | 'failed')` follows it.
 */
export function captchaOf(widget, onState = () => {}) {
  let solved;

  const solve = async () => {
    await mounted(widget);
    onState('working');
    const done = new Promise((resolve, reject) => {
      const seen = (event) => {
        const { state, payload } = event.detail ?? {};
        if (state === 'verified' && payload) {
          widget.removeEventListener('statechange', seen);
          resolve(payload);
        } else if (state === 'error' || state === 'expired') {
          widget.removeEventListener('statechange', seen);
          reject(new Error(`captcha: ${state}`));
        }
      };
      widget.addEventListener('statechange', seen);
    });
    widget.reset();
    await widget.verify();
    return done;
  };

  const prepare = () => {
    solved = solve().then(
      (payload) => {
        onState('ready');
        return payload;
      },
      (error) => {
        onState('failed');
        throw error;
      },
    );
    solved.catch(() => {});
  };

  prepare();
  return {
    async take() {
      try {
        return await solved;
      } finally {
        prepare();
      }
    },
  };
}
