/**
 * Paths that more than the HTTP edge must know: the composition root builds callback and token URLs
 * from them (identity providers return there, assertions name the token URL as their audience), and
 * the simulated identity node sends the browser to its own page. Part of the product's contract.
 */
export const TOKEN_PATH = '/api/v1/token';
export const AUTHORIZE_CALLBACK_PATH = '/authorize/callback';
export const PORTAL_PATH = '/portal';
export const PORTAL_CALLBACK_PATH = '/portal/callback';
export const CITIZEN_LOG_PATH = '/api/v1/citizen/log';
export const SIMULATOR_IDENTITY_PATH = '/simulator/identity';
