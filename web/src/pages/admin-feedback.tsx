import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client.js';
import { getFeedbackReport } from '../api/keys.js';
import { DataTable } from '../components/data-table.js';
import { ErrorMessage } from '../components/error-message.js';
import { Page } from '../components/page.js';
import { formatDateTime, formatNumber } from '../format.js';
import { currentLanguage } from '../i18n.js';
import { cacheKey, useResource } from '../state/resource.js';
import { useActiveAccount } from '../state/session.js';

export function AdminFeedbackPage() {
  const { t, i18n } = useTranslation();
  const account = useActiveAccount();
  const report = useResource(cacheKey(account.id, '/admin/feedback'), () =>
    getFeedbackReport(account.id),
  );
  const forbidden = report.error instanceof ApiError && report.error.status === 403;
  const articleTitle = (slug: string) =>
    i18n.exists(`articles.${slug}.title`) ? t(`articles.${slug}.title`) : slug;
  const languageName = (tag: string) =>
    new Intl.DisplayNames([currentLanguage()], { type: 'language' }).of(tag) ?? tag;
  const reasonLabel = (reason: string) =>
    i18n.exists(`feedback.reasons.${reason}`) ? t(`feedback.reasons.${reason}`) : reason;

  return (
    <Page title={t('adminFeedback.title')} intro={<p>{t('adminFeedback.intro')}</p>}>
      {forbidden ? (
        <p className="alert alert-warning">{t('adminFeedback.forbidden')}</p>
      ) : (
        <ErrorMessage error={report.error} />
      )}
      {report.data ? (
        <>
          <section className="card stack">
            <h2>{t('adminFeedback.summary')}</h2>
            <DataTable
              caption={t('adminFeedback.summary')}
              rows={report.data.summary.byArticle}
              rowKey={(row) => row.article}
              columns={[
                { header: t('adminFeedback.article'), cell: (row) => articleTitle(row.article) },
                { header: t('adminFeedback.helpful'), cell: (row) => formatNumber(row.helpful) },
                {
                  header: t('adminFeedback.notHelpful'),
                  cell: (row) => formatNumber(row.notHelpful),
                },
                {
                  header: t('adminFeedback.quality'),
                  cell: (row) =>
                    row.averageLanguageQuality === null
                      ? '–'
                      : formatNumber(row.averageLanguageQuality, { maximumFractionDigits: 1 }),
                },
              ]}
            />
          </section>
          <section className="stack">
            <h2>{t('adminFeedback.answers', { count: report.data.items.length })}</h2>
            <ul className="card-list">
              {report.data.items.map((item) => (
                <li key={item.id} className="card feedback-item">
                  <p>
                    <strong>{articleTitle(item.article)}</strong> ·{' '}
                    {item.helpful ? t('feedback.yes') : t('feedback.no')}
                    {item.language ? ` · ${languageName(item.language)}` : ''}
                    {item.languageQuality
                      ? ` · ${t('adminFeedback.qualityValue', { value: item.languageQuality })}`
                      : ''}
                    {item.createdAt ? (
                      <>
                        {' · '}
                        <time dateTime={item.createdAt}>{formatDateTime(item.createdAt)}</time>
                      </>
                    ) : null}
                  </p>
                  {item.reasons.length > 0 ? (
                    <p className="hint">{item.reasons.map(reasonLabel).join(', ')}</p>
                  ) : null}
                  {item.comment ? <blockquote>{item.comment}</blockquote> : null}
                </li>
              ))}
            </ul>
          </section>
        </>
      ) : null}
    </Page>
  );
}
