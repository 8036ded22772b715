import type { Lang } from './csp-page.ts';

/**
 * What a citizen reads when a page cannot go on, in plain words: what happened and what to do next.
 * The technical reason stays in the log, found by the request id the page shows.
 */
export const errorPageMessages = {
  cs: {
    'act-unknown': ['Úkon nebyl nalezen', 'Národní bod tento úkon nezná. Odkaz mohl být neúplný nebo poškozený.', 'Vraťte se do e-služby a začněte znovu.'],
    'request-incomplete': ['Požadavek je neúplný', 'E-služba vás sem poslala bez údajů, které Národní bod potřebuje.', 'Vraťte se do e-služby a začněte znovu. Pokud se to opakuje, obraťte se na e-službu.'],
    'return-address-unregistered': ['Adresa pro návrat není registrována', 'E-služba vás sem poslala s adresou pro návrat, kterou u Národního bodu nemá zaregistrovanou. Z bezpečnostních důvodů vás tam nepošleme.', 'Obraťte se prosím na e-službu.'],
    'e-service-suspended': ['E-služba je pozastavena', 'E-služba, která úkon zaregistrovala, má u Národního bodu pozastavený přístup.', 'Obraťte se prosím na e-službu.'],
    'act-not-pending': ['Úkon už nečeká na autorizaci', 'Tento úkon byl už autorizován, jeho autorizace se nezdařila, nebo vypršela lhůta k autorizaci.', 'Vraťte se do e-služby; ta vám řekne, jak úkon dopadl.'],
    'sign-in-unknown': ['Přihlášení zde není známo', 'Toto přihlášení nezačalo v tomto prohlížeči, nebo trvalo příliš dlouho.', 'Vraťte se do e-služby a začněte znovu.'],
    'sign-in-used': ['Přihlášení už bylo použito', 'Toto přihlášení už bylo jednou použito a podruhé ho použít nelze.', 'Vraťte se do e-služby; ta vám řekne, jak úkon dopadl.'],
    'too-many': ['Příliš mnoho pokusů', 'Z vašeho připojení přišlo za krátkou dobu příliš mnoho požadavků.', 'Počkejte prosím minutu a pak začněte znovu z e-služby.'],
    'identity-unavailable': ['Přihlášení teď není dostupné', 'Národní bod se nespojil s poskytovatelem identity.', 'Zkuste to prosím za chvíli znovu z e-služby.'],
    'request-invalid': ['Požadavek nelze zpracovat', 'Adresa nebo údaje požadavku nemají očekávaný tvar.', 'Vraťte se do e-služby a začněte znovu.'],
    'page-not-found': ['Stránka nebyla nalezena', 'Na této adrese Národní bod žádnou stránku nemá.', 'Zkontrolujte adresu, nebo pokračujte odkazem níže.'],
    'test-person-unknown': ['Testovací osoba neexistuje', 'Simulátor takovou testovací osobu nezná.', 'Vyberte osobu ze seznamu simulátoru.'],
    internal: ['Něco se pokazilo', 'Národní bod tento krok nedokončil. Nic se nezaznamenalo, pokud není uvedeno jinak.', 'Začněte prosím znovu z e-služby. Pokud se to opakuje, kontaktujte podporu a uveďte kód níže.'],
  },
  en: {
    'act-unknown': ['Act not found', 'The national point does not know this act. The link may have been incomplete or damaged.', 'Go back to the e-service and start again.'],
    'request-incomplete': ['The request is incomplete', 'The e-service sent you here without details the national point needs.', 'Go back to the e-service and start again. If it happens again, contact the e-service.'],
    'return-address-unregistered': ['The return address is not registered', 'The e-service sent you here with a return address it has not registered with the national point. For your safety, we do not send you there.', 'Please contact the e-service.'],
    'e-service-suspended': ['The e-service is suspended', 'The e-service that registered this act has its access to the national point suspended.', 'Please contact the e-service.'],
    'act-not-pending': ['The act is no longer waiting for authorization', 'This act was authorized already, its authorization failed, or the time to authorize it ran out.', 'Go back to the e-service; it tells you how the act ended.'],
    'sign-in-unknown': ['This sign-in is not known here', 'This sign-in was not started in this browser, or it took too long.', 'Go back to the e-service and start again.'],
    'sign-in-used': ['This sign-in has already been used', 'A sign-in can be used once only.', 'Go back to the e-service; it tells you how the act ended.'],
    'too-many': ['Too many attempts', 'Too many requests came from your connection in a short time.', 'Please wait a minute, then start again from the e-service.'],
    'identity-unavailable': ['Sign-in is not available right now', 'The national point could not reach the identity provider.', 'Please try again in a moment from the e-service.'],
    'request-invalid': ['The request cannot be processed', 'The address or the details of the request do not have the expected form.', 'Go back to the e-service and start again.'],
    'page-not-found': ['Page not found', 'The national point has no page at this address.', 'Check the address, or continue with a link below.'],
    'test-person-unknown': ['No such test person', 'The simulator does not know this test person.', 'Choose a person from the simulator\'s list.'],
    internal: ['Something went wrong', 'The national point could not complete this step. Nothing was recorded unless stated.', 'Please start again from the e-service. If it happens again, contact support and quote the reference below.'],
  },
} as const satisfies Record<Lang, Record<string, readonly [title: string, what: string, next: string]>>;

export type CitizenProblem = keyof (typeof errorPageMessages)['en'];
