// Solves one ALTCHA challenge away from the page's thread.
import { solve } from '/assets/captcha.js';

self.onmessage = async (event) => {
  try {
    self.postMessage(await solve(event.data));
  } catch (error) {
    self.postMessage({ error: String(error) });
  }
};
