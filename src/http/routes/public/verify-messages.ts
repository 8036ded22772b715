import type { AuthorizationMethod } from '../../../../events/act.ts';
import type { Lang } from '../../csp-page.ts';

/** The verify page's words, in Czech and English. The `client` part goes to the page's script. */
export const verifyMessages = {
  cs: {
    title: 'Ověření digitálního úkonu',
    intro:
      'Zjistěte, zda je soubor (například podepsaná žádost) zaznamenán u Národního bodu jako autorizovaný digitální úkon.',
    privacy:
      'Soubor neopouští vaše zařízení: prohlížeč z něj spočítá otisk SHA-256 a odešle pouze tento otisk. Z otisku nelze obsah souboru získat zpět.',
    fileLabel: 'Soubor k ověření',
    fileHint: 'Vyberte přesně ten soubor, který byl podán. I nepatrná změna souboru změní jeho otisk.',
    submit: 'Ověřit',
    noscript: 'Ověření potřebuje JavaScript: otisk souboru se počítá ve vašem prohlížeči a ochrana proti robotům běží také v něm.',
    switchLabel: 'English',
    client: {
      captchaWorking: 'Ochrana proti robotům: probíhá ověření…',
      captchaReady: 'Ochrana proti robotům: hotovo.',
      captchaFailed: 'Ochranu proti robotům se nepodařilo dokončit. Obnovte stránku a zkuste to znovu.',
      chooseFile: 'Nejprve vyberte soubor.',
      hashing: 'Počítám otisk souboru (SHA-256) ve vašem prohlížeči…',
      hashProgress: 'Průběh výpočtu otisku',
      checking: 'Ověřuji otisk u Národního bodu…',
      uploading:
        'Váš prohlížeč neumí spočítat otisk souboru, proto se soubor odesílá Národnímu bodu, který otisk spočítá. Soubor se neukládá.',
      authorized: 'Autorizováno',
      authorizedText: 'Tento soubor je zaznamenán jako autorizovaný digitální úkon.',
      notAuthorized: 'Neautorizováno',
      notAuthorizedText:
        'Pro tento soubor není zaznamenán žádný autorizovaný digitální úkon. Buď nebyl podán, jeho autorizace se nezdařila, nebo jde o jinou verzi souboru.',
      fingerprint: 'Otisk souboru (SHA-256)',
      actName: 'Úkon',
      description: 'Popis',
      provider: 'Kvalifikovaný poskytovatel (e-služba)',
      authorizedAt: 'Autorizováno dne',
      method: 'Způsob autorizace',
      actId: 'Identifikátor úkonu',
      methods: { authentication: 'opětovné přihlášení', sms: 'kód z SMS', 'mobile-key': 'kód v Mobilním klíči' } satisfies Record<AuthorizationMethod, string>,
      failed: 'Ověření se nepodařilo',
      failedText: 'Národní bod teď neodpověděl. Zkuste to prosím za chvíli znovu.',
      tooLarge: 'Soubor je příliš velký na odeslání.',
      tooMany: 'Příliš mnoho pokusů za krátkou dobu. Počkejte prosím minutu.',
      locale: 'cs-CZ',
    },
  },
  en: {
    title: 'Verify a digital act',
    intro: 'Find out whether a file (a signed application, for instance) is recorded at the national point as an authorized digital act.',
    privacy:
      'Your file does not leave your device: the browser computes its SHA-256 fingerprint and sends only that fingerprint. The file cannot be recovered from it.',
    fileLabel: 'File to verify',
    fileHint: 'Choose exactly the file that was submitted. Even a tiny change to a file changes its fingerprint.',
    submit: 'Verify',
    noscript: 'Verification needs JavaScript: the file\'s fingerprint is computed in your browser, and so is the anti-robot check.',
    switchLabel: 'Česky',
    client: {
      captchaWorking: 'Anti-robot check: working…',
      captchaReady: 'Anti-robot check: done.',
      captchaFailed: 'The anti-robot check could not finish. Reload the page and try again.',
      chooseFile: 'Choose a file first.',
      hashing: 'Computing the file\'s fingerprint (SHA-256) in your browser…',
      hashProgress: 'Fingerprint progress',
      checking: 'Checking the fingerprint with the national point…',
      uploading:
        'Your browser cannot compute the file\'s fingerprint, so the file is being sent to the national point, which computes it. The file is not kept.',
      authorized: 'Authorized',
      authorizedText: 'This file is recorded as an authorized digital act.',
      notAuthorized: 'Not authorized',
      notAuthorizedText:
        'No authorized digital act is recorded for this file. It was not submitted, its authorization failed, or it is a different version of the file.',
      fingerprint: 'File fingerprint (SHA-256)',
      actName: 'Act',
      description: 'Description',
      provider: 'Qualified provider (e-service)',
      authorizedAt: 'Authorized on',
      method: 'Authorized by',
      actId: 'Act identifier',
      methods: { authentication: 'signing in again', sms: 'a code by SMS', 'mobile-key': 'a code in the Mobile Key' } satisfies Record<AuthorizationMethod, string>,
      failed: 'The check could not be completed',
      failedText: 'The national point did not answer just now. Please try again in a moment.',
      tooLarge: 'The file is too large to send.',
      tooMany: 'Too many checks in a short time. Please wait a minute.',
      locale: 'en-GB',
    },
  },
} as const satisfies Record<Lang, unknown>;
