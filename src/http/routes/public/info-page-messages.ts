import type { Lang } from '../../csp-page.ts';

/** The frame's info pages (contact, privacy, accessibility statement): a title and paragraphs, in Czech and English. */
export const infoPageMessages = {
  cs: {
    contact: {
      title: 'Kontakt a podpora',
      paragraphs: [
        'S dotazem k úkonu, který jste autorizovali, se obracejte nejprve na e-službu, u které jste úkon podali: jen ona zná jeho obsah.',
        'S dotazem k Národnímu bodu, k ověření úkonu nebo k portálu občana se obracejte na provozovatele Národního bodu. Pokud vám stránka ukázala kód pro podporu, uveďte ho: podle něj dohledáme, co se stalo, aniž byste museli posílat osobní údaje.',
      ],
    },
    privacy: {
      title: 'Ochrana osobních údajů',
      paragraphs: [
        'Národní bod zaznamenává autorizace digitálních úkonů: který úkon, u které e-služby, kdy a jakým způsobem byl autorizován. Obsah dokumentu nezná, uchovává jen jeho otisk SHA-256.',
        'Při ověření úkonu soubor neopouští vaše zařízení; odešle se jen jeho otisk. Ochrana proti robotům (ALTCHA) běží ve vašem prohlížeči a nepoužívá cookies ani sledování.',
        'Stránky ukládají jen nezbytné cookies: přihlášení do portálu (do jeho vypršení), rozpracované přihlášení a zvolený jazyk. Osobní údaje v záznamech jsou šifrovány a po uplynutí doby uchování se nevratně znepřístupní.',
      ],
    },
    accessibility: {
      title: 'Prohlášení o přístupnosti',
      paragraphs: [
        'Provozovatel Národního bodu usiluje o to, aby jeho stránky byly přístupné podle zákona č. 99/2019 Sb. a normy EN 301 549 (WCAG 2.1 na úrovni AA).',
        'Stránky pro občany (ověření úkonu, portál občana, autorizace a chybové stránky) se automaticky kontrolují v prohlížeči Chromium v češtině i angličtině, na šířce počítače i telefonu: popisky všech formulářových prvků, viditelné zaměření klávesnicí a kontrola nástrojem axe-core bez závažných nálezů.',
        'Narazíte-li na překážku, napište nám přes stránku Kontakt a podpora; uveďte adresu stránky a co nešlo.',
      ],
    },
  },
  en: {
    contact: {
      title: 'Contact and support',
      paragraphs: [
        'For questions about an act you authorized, contact the e-service you submitted it to first: only it knows what the act contains.',
        'For questions about the national point, verifying an act or the citizen portal, contact the national point\'s operator. If a page showed you a reference for support, quote it: it lets us find what happened without you sending personal data.',
      ],
    },
    privacy: {
      title: 'Privacy',
      paragraphs: [
        'The national point records authorizations of digital acts: which act, at which e-service, when and how it was authorized. It does not know the document\'s content; it keeps only its SHA-256 fingerprint.',
        'When you verify an act, your file does not leave your device; only its fingerprint is sent. The anti-robot check (ALTCHA) runs in your browser and uses no cookies or tracking.',
        'The pages keep only necessary cookies: the portal session (until it ends), a sign-in in progress and the language you chose. Personal data in the records is encrypted and made unreadable for good when its retention period ends.',
      ],
    },
    accessibility: {
      title: 'Accessibility statement',
      paragraphs: [
        'The national point\'s operator aims to make these pages accessible under Czech Act No. 99/2019 Coll. and EN 301 549 (WCAG 2.1 level AA).',
        'The citizen pages (verifying an act, the citizen portal, authorization and error pages) are checked automatically in Chromium, in Czech and English, at desktop and phone widths: every form control labelled, visible keyboard focus, and an axe-core scan without serious findings.',
        'If something stands in your way, write to us through the Contact and support page; say which page and what did not work.',
      ],
    },
  },
} as const satisfies Record<Lang, Record<string, { title: string; paragraphs: readonly string[] }>>;
