import type { Lang } from './csp-page.ts';

/** The words of the frame every citizen page shares: header, footer, language switch, support line. */
export const frameMessages = {
  cs: {
    pointName: 'Národní bod pro identifikaci a autentizaci',
    pointTagline: 'Záznamy o autorizaci digitálních úkonů',
    home: 'Národní bod – úvod',
    skip: 'Přejít na obsah',
    switchLabel: 'English',
    switchTitle: 'Switch to English',
    footerLabel: 'Patička',
    contact: 'Kontakt a podpora',
    privacy: 'Ochrana osobních údajů',
    accessibility: 'Prohlášení o přístupnosti',
    verify: 'Ověřit digitální úkon',
    portal: 'Portál občana',
    requestId: 'Kód pro podporu',
    requestIdHint: 'Pokud budete kontaktovat podporu, uveďte tento kód.',
  },
  en: {
    pointName: 'National point for identification and authentication',
    pointTagline: 'Records of authorized digital acts',
    home: 'National point – home',
    skip: 'Skip to content',
    switchLabel: 'Česky',
    switchTitle: 'Přepnout do češtiny',
    footerLabel: 'Footer',
    contact: 'Contact and support',
    privacy: 'Privacy',
    accessibility: 'Accessibility statement',
    verify: 'Verify a digital act',
    portal: 'Citizen portal',
    requestId: 'Reference for support',
    requestIdHint: 'If you contact support, please quote this reference.',
  },
} as const satisfies Record<Lang, Record<string, string>>;
