// Types of prague-time.js, which the browser loads as it is and the server imports.
export declare const TIME_ZONE: 'Europe/Prague';
export declare function shownTime(iso: string, lang: 'cs' | 'en'): string;
export declare function pragueIso(iso: string): string;
