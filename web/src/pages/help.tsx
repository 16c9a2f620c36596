import { Fragment, type ReactNode } from 'react';
import { useTranslation } from 'react-i18next';
import { FeedbackWidget } from '../components/feedback-widget.js';
import { Page } from '../components/page.js';
import { Link } from '../router.js';
import { NotFoundPage } from './not-found.js';

/** Articles live in the translation files, so both languages are checked for completeness. */
const articleSlugs = ['back-up-recovery-key', 'recovery-screen'] as const;

interface Destination {
  id: string;
  title: string;
  body: string;
  warning: string;
  keyhold: string;
}

interface Section {
  heading: string;
  paragraphs?: string[];
  steps?: string[];
  destinations?: Destination[];
  after?: string[];
}

/** `code` spans are the only markup articles use (command names, menu paths). */
function withCode(text: string): ReactNode {
  return text
    .split(/`([^`]+)`/)
    .map((part, index) =>
      index % 2 === 1 ? <code key={index}>{part}</code> : <Fragment key={index}>{part}</Fragment>,
    );
}

function Paragraphs({ items }: { items: string[] | undefined }) {
  return items?.map((text, index) => <p key={index}>{withCode(text)}</p>);
}

export function HelpIndexPage() {
  const { t } = useTranslation();
  return (
    <Page title={t('help.title')} intro={<p>{t('help.intro')}</p>} narrow>
      <ul className="card-list">
        {articleSlugs.map((slug) => (
          <li key={slug} className="card">
            <h2 className="card-title">
              <Link to={`/help/${slug}`}>{t(`articles.${slug}.title`)}</Link>
            </h2>
            <p>{t(`articles.${slug}.summary`)}</p>
          </li>
        ))}
      </ul>
      <p className="page-footer-links">
        <Link to="/admin/feedback">{t('help.adminLink')}</Link>
      </p>
    </Page>
  );
}

export function HelpArticlePage({ slug }: { slug: string }) {
  const { t } = useTranslation();
  if (!(articleSlugs as readonly string[]).includes(slug)) return <NotFoundPage />;
  const sections = t(`articles.${slug}.sections`, { returnObjects: true }) as Section[];
  return (
    <Page title={t(`articles.${slug}.title`)} narrow>
      <nav aria-label={t('help.breadcrumb')} className="breadcrumb">
        <Link to="/help">{t('help.title')}</Link>
      </nav>
      <article className="article">
        <p className="lead">{t(`articles.${slug}.summary`)}</p>
        {sections.map((section) => (
          <section key={section.heading}>
            <h2>{section.heading}</h2>
            <Paragraphs items={section.paragraphs} />
            {section.steps ? (
              <ol className="steps">
                {section.steps.map((step, index) => (
                  <li key={index}>{withCode(step)}</li>
                ))}
              </ol>
            ) : null}
            {section.destinations?.map((destination) => (
              <section key={destination.id} className="destination">
                <h3>{destination.title}</h3>
                <p>{withCode(destination.body)}</p>
                <p className="callout callout-warning">
                  <strong>{t('help.warning')}</strong> {withCode(destination.warning)}
                </p>
                <p className="callout">
                  <strong>{t('help.inKeyhold')}</strong> {withCode(destination.keyhold)}
                </p>
              </section>
            ))}
            <Paragraphs items={section.after} />
          </section>
        ))}
      </article>
      <FeedbackWidget article={slug} />
    </Page>
  );
}
