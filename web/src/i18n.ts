import i18next from 'i18next';
import { initReactI18next } from 'react-i18next';

export const languages = ['en', 'nb'] as const;
export type Language = (typeof languages)[number];

const storageKey = 'keyhold.language';

type Messages = Record<string, unknown>;

/** Only the language in use is downloaded; the other one is a separate chunk. */
async function loadMessages(language: Language): Promise<Messages> {
  const module =
    language === 'nb'
      ? await import('../i18n/nb.json', { with: { type: 'json' } })
      : await import('../i18n/en.json', { with: { type: 'json' } });
  return module.default;
}

/** Norwegian in any written form (nb, no, nn) gets Bokmål; anything else English. */
function languageFromBrowser(preferred: readonly string[]): Language {
  for (const tag of preferred) {
    const base = tag.toLowerCase().split('-')[0];
    if (base === 'nb' || base === 'no' || base === 'nn') return 'nb';
    if (base === 'en') return 'en';
  }
  return 'en';
}

function isLanguage(value: string | null): value is Language {
  return languages.includes(value as Language);
}

function chosenLanguage(): Language | null {
  const stored = localStorage.getItem(storageKey);
  return isLanguage(stored) ? stored : null;
}

async function applyLanguage(language: Language): Promise<void> {
  if (!i18next.hasResourceBundle(language, 'translation')) {
    i18next.addResourceBundle(language, 'translation', await loadMessages(language));
  }
  await i18next.changeLanguage(language);
  document.documentElement.lang = language;
}

export async function setupI18n(): Promise<void> {
  const language = chosenLanguage() ?? languageFromBrowser(navigator.languages);
  await i18next.use(initReactI18next).init({
    lng: language,
    resources: { [language]: { translation: await loadMessages(language) } },
    fallbackLng: false,
    interpolation: { escapeValue: false },
    returnNull: false,
  });
  document.documentElement.lang = language;
  // Until the person picks a language, follow the browser when its setting changes.
  window.addEventListener('languagechange', () => {
    if (!chosenLanguage()) void applyLanguage(languageFromBrowser(navigator.languages));
  });
}

export async function chooseLanguage(language: Language): Promise<void> {
  localStorage.setItem(storageKey, language);
  await applyLanguage(language);
}

export function currentLanguage(): Language {
  return isLanguage(i18next.language) ? i18next.language : 'en';
}

export type Paper = 'a4' | 'letter';

/**
 * The sheet's paper size before the person picks one: Letter only for English read where Letter
 * is the norm (the US, Canada, Mexico, the Philippines); A4 everywhere else, Bokmål included.
 */
export function defaultPaper(language: string, browserLocale: string): Paper {
  return language === 'en' && /-(US|CA|MX|PH)$/i.test(browserLocale) ? 'letter' : 'a4';
}
