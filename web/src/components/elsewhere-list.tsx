import { useTranslation } from 'react-i18next';
import type { ElsewherePlace } from '../api/keys.js';

export const allPlaces: ElsewherePlace[] = [
  'paper',
  'usb',
  'file',
  'other-account',
  'organisation',
];

/** Where else a recovery key may be, when no account here holds it. */
export function ElsewhereList({ places }: { places: ElsewherePlace[] }) {
  const { t } = useTranslation();
  return (
    <ul className="elsewhere">
      {places.map((place) => (
        <li key={place}>
          <strong>{t(`find.places.${place}.title`)}</strong>
          <span>{t(`find.places.${place}.text`)}</span>
        </li>
      ))}
    </ul>
  );
}
