import { useId, useMemo, useRef, useState, type KeyboardEvent } from 'react';
import { useApi } from '../auth';
import { CopyButton } from '../components/CopyButton';
import { ErrorAlert, Loading } from '../components/feedback';
import { useI18n, type MessageKey } from '../i18n';
import { useLoad } from '../lib/useLoad';
import { KEY_PLACEHOLDER, buildExamples } from './examples';

const KNOWN = new Set(['curl', 'curl_openai', 'python_openai', 'js_openai', 'python_ollama', 'js_ollama']);

export function ProxyInfoPage() {
  const { t } = useI18n();
  const api = useApi();
  const id = useId();
  const info = useLoad((signal) => api.proxyInfo(signal), [api]);
  // The default model makes the examples runnable as they are; they still work without it.
  const settings = useLoad((signal) => api.getSettings(signal).catch(() => null), [api]);
  const model = settings.data?.default_model || 'llama3';

  const examples = useMemo(() => (info.data ? buildExamples(info.data, model) : []), [info.data, model]);
  const [selected, setSelected] = useState(0);
  const tabRefs = useRef<(HTMLButtonElement | null)[]>([]);
  const current = examples[Math.min(selected, examples.length - 1)];
  const [noteBefore, noteAfter = ''] = t('proxy.keyNote', { placeholder: '\u0000' }).split('\u0000');
  const label = (exId: string) => (KNOWN.has(exId) ? t(`proxy.example.${exId}` as MessageKey) : exId);

  // Arrow keys move between tabs (WAI-ARIA tabs pattern).
  const onTabKey = (e: KeyboardEvent, i: number) => {
    const last = examples.length - 1;
    const next =
      e.key === 'ArrowRight' ? (i === last ? 0 : i + 1) : e.key === 'ArrowLeft' ? (i === 0 ? last : i - 1) : e.key === 'Home' ? 0 : e.key === 'End' ? last : -1;
    if (next < 0) return;
    e.preventDefault();
    setSelected(next);
    tabRefs.current[next]?.focus();
  };

  return (
    <section className="page" data-testid="proxy-page">
      <header className="page-header">
        <div>
          <h1>{t('proxy.title')}</h1>
          <p className="muted">{t('proxy.subtitle')}</p>
        </div>
      </header>

      {info.error != null ? (
        <ErrorAlert error={info.error} heading={t('proxy.loadError')} onRetry={info.reload} testId="proxy-error" />
      ) : info.loading || !info.data ? (
        <Loading testId="proxy-loading" />
      ) : (
        <>
          <div className="endpoint-grid">
            <Endpoint label={t('proxy.baseUrl')} value={info.data.base_url} testId="proxy-base-url" />
            <Endpoint label={t('proxy.openaiBaseUrl')} value={info.data.openai_base_url} testId="proxy-openai-base-url" />
          </div>

          <section className="card" aria-labelledby={`${id}-examples`}>
            <h2 id={`${id}-examples`}>{t('proxy.examples')}</h2>
            <p className="muted">
              {noteBefore}
              <code>{KEY_PLACEHOLDER}</code>
              {noteAfter}
            </p>
            <div className="tabs" role="tablist" aria-label={t('proxy.examples')}>
              {examples.map((ex, i) => (
                <button
                  key={ex.id}
                  ref={(el) => {
                    tabRefs.current[i] = el;
                  }}
                  type="button"
                  role="tab"
                  id={`${id}-tab-${i}`}
                  aria-selected={current?.id === ex.id}
                  aria-controls={`${id}-panel`}
                  tabIndex={current?.id === ex.id ? 0 : -1}
                  onClick={() => setSelected(i)}
                  onKeyDown={(e) => onTabKey(e, i)}
                  data-testid={`example-tab-${ex.id}`}
                >
                  {label(ex.id)}
                </button>
              ))}
            </div>
            {current && (
              <div
                className="code-block"
                role="tabpanel"
                id={`${id}-panel`}
                aria-labelledby={`${id}-tab-${examples.indexOf(current)}`}
                data-testid={`example-${current.id}`}
              >
                <div className="code-toolbar">
                  <span className="muted">{current.language}</span>
                  <CopyButton text={current.code} testId="copy-example-button" />
                </div>
                <pre tabIndex={0}>
                  <code>{current.code}</code>
                </pre>
              </div>
            )}
          </section>
        </>
      )}
    </section>
  );
}

function Endpoint({ label, value, testId }: { label: string; value: string; testId: string }) {
  return (
    <div className="card endpoint">
      <span className="endpoint-label">{label}</span>
      <div className="endpoint-value">
        <code data-testid={testId}>{value}</code>
        <CopyButton text={value} testId={`${testId}-copy`} />
      </div>
    </div>
  );
}
