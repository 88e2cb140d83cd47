import { useEffect, useRef, useState } from 'react';
import {
  type ConnectionTest,
  type JobDetail,
  type JobEstimate,
  type KeyStatus,
  type ProviderConfig,
  type SheetPreview,
} from '../../../shared/api.ts';
import {
  batchKindOf,
  hasPlaceholders,
  KEY_NAMES,
  keyMayGoTo,
  PROVIDER_PRESETS,
  presetById,
  reasoningModelProblem,
  type KeyId,
} from '../../../shared/providers.ts';
import { checkTemplate, describeTemplateProblem } from '../../../shared/template.ts';
import { AddressModelFields } from '../components/AddressModelFields.tsx';
import { AnswerOptions, type AnswerSettings } from '../components/AnswerOptions.tsx';
import { EditRunButtons } from '../components/EditRunButtons.tsx';
import { FilePicker } from '../components/FilePicker.tsx';
import { offerKeyAddress } from '../components/KeyRow.tsx';
import { RowsAtOnceField } from '../components/RowsAtOnceField.tsx';
import { SheetPreviewTable } from '../components/SheetPreviewTable.tsx';
import { TemplateEditor } from '../components/TemplateEditor.tsx';
import { WhenChoice } from '../components/WhenChoice.tsx';
import { useApi } from '../api.ts';
import { errorMessage, formatCompact, formatCost, formatDuration, formatPerMillion, plural } from '../format.ts';
import { savePreferences, serviceChoice, serviceOf, usePreferences } from '../preferences.ts';
import { IMPORT_REQUEST } from '../menu.ts';
import { hrefOf, navigate } from '../router.ts';
import { ConnectionResult } from '../components/ServiceModelFields.tsx';

type ProviderKind = ProviderConfig['kind'];

/**
 * `visible`: false while the draft waits behind another screen (Settings, the jobs). With
 * `editJobId`, the same form edits a job that is not running: its file stays, everything else
 * starts as the job has it, and the run buttons become "Run the rest" and "Run all again".
 */
export function NewJobScreen({
  visible,
  onCreated,
  onStartOver,
  editJobId,
}: {
  visible: boolean;
  onCreated: () => void;
  onStartOver?: () => void;
  editJobId?: string;
}) {
  const api = useApi();
  const preferences = usePreferences();
  const [preview, setPreview] = useState<SheetPreview | null>(null);
  // Where focus goes once the file step changes under it (the picker, or the preview, disappears):
  // on to the prompt after an import, back to the picker after "Choose a different file".
  const focusAfter = useRef<'prompt' | 'picker' | null>(null);
  const promptStep = useRef<HTMLElement>(null);
  const fileStep = useRef<HTMLElement>(null);
  useEffect(() => {
    const target = focusAfter.current;
    focusAfter.current = null;
    if (target === null) return;
    const step = target === 'prompt' ? promptStep.current : fileStep.current;
    step?.querySelector<HTMLElement>(target === 'prompt' ? 'textarea' : 'button, input')?.focus();
  }, [preview]);
  const [template, setTemplate] = useState('');
  const [systemPrompt, setSystemPrompt] = useState('');
  const [providerKind, setProviderKindState] = useState<ProviderKind>(preferences.provider);
  const [presetId, setPresetId] = useState(preferences.service);
  const initial = serviceChoice(preferences, serviceOf(preferences.provider, preferences.service));
  const [baseUrl, setBaseUrl] = useState(initial.baseUrl);
  const [model, setModel] = useState(initial.model);
  const [concurrency, setConcurrency] = useState(preferences.concurrency);
  const [keys, setKeys] = useState<KeyStatus[]>([]);
  const [connection, setConnection] = useState<ConnectionTest | null>(null);
  const [headersText, setHeadersText] = useState('');
  const [testing, setTesting] = useState(false);
  const [estimate, setEstimate] = useState<JobEstimate | null>(null);
  const [skipEmptyRows, setSkipEmptyRows] = useState(true);
  const [useCache, setUseCache] = useState(true);
  const [answer, setAnswer] = useState<AnswerSettings>({
    temperature: null,
    topP: null,
    stop: [],
    maxOutputTokens: null,
    maxCost: null,
    jsonOutput: null,
  });
  const [batch, setBatch] = useState(false);
  const [editing, setEditing] = useState<JobDetail | null>(null);
  const [editRows, setEditRows] = useState<string[][]>([]);
  /** The edited job's rows without an answer, projected from its answers so far (its model's price). */
  const [projection, setProjection] = useState<JobEstimate | null>(null);
  const [starting, setStarting] = useState(false);
  const [error, setError] = useState<string | null>(null);

  // Editing a job: the form starts as the job is.
  useEffect(() => {
    if (!editJobId) return;
    let stale = false;
    api.getJob({ jobId: editJobId }).then(
      (job) => {
        if (stale) return;
        setEditing(job);
        // The prompt's preview shows the job's first rows, as it shows a new file's.
        const first = Array.from({ length: Math.min(3, job.counts.total) }, (_, index) =>
          api.getRow({ jobId: job.id, index }).then((row) => row.values),
        );
        Promise.all(first).then(
          (rows) => !stale && setEditRows(rows),
          () => undefined,
        );
        api.projectJob({ jobId: job.id }).then(
          (next) => !stale && setProjection(next),
          () => undefined,
        );
        setTemplate(job.template);
        setSystemPrompt(job.systemPrompt);
        setProviderKindState(job.provider.kind);
        if (job.provider.kind !== 'demo') {
          setBaseUrl(job.provider.baseUrl);
          const service = presetOfJob(job);
          setPresetId(service);
          if (job.provider.kind === 'openai' && job.provider.headers) {
            setHeadersText(
              Object.entries(job.provider.headers)
                .map(([name, value]) => `${name}: ${value}`)
                .join('\n'),
            );
          }
        }
        setModel(job.provider.model);
        const { settings } = job;
        setConcurrency(settings.concurrency);
        setUseCache(settings.useCache);
        setBatch(settings.batch);
        setAnswer({
          temperature: settings.temperature,
          topP: settings.topP,
          stop: settings.stop,
          maxOutputTokens: settings.maxOutputTokens,
          maxCost: settings.maxCost,
          jsonOutput: settings.jsonOutput,
        });
      },
      (e: unknown) => !stale && setError(errorMessage(e)),
    );
    return () => {
      stale = true;
    };
  }, [api, editJobId]);

  /** The columns the prompt may use: the imported file's, or the edited job's. */
  const columns = preview?.columns ?? editing?.columns ?? null;
  const templateProblem = columns
    ? describeTemplateProblem(checkTemplate(template, columns), columns)
    : editJobId
      ? 'Loading the job…'
      : 'Import a file first.';
  const providerProblem =
    providerKind === 'demo'
      ? null
      : !URL.canParse(baseUrl) || model.trim() === ''
        ? 'Enter the API address (starting with http:// or https://) and a model name.'
        : hasPlaceholders(baseUrl)
          ? 'Put your Azure resource name and deployment name in the address in place of RESOURCE and DEPLOYMENT.'
          : null;
  const preset = providerKind === 'openai' ? presetById(presetId) : presetById(providerKind);
  // A server on this computer (preset key null) gets no key: `??` would have sent it OpenAI's.
  const keyId: KeyId | null = providerKind === 'demo' ? null : preset ? preset.keyId : providerKind;
  const provider: ProviderConfig =
    providerKind === 'demo'
      ? { kind: 'demo', model: 'demo' }
      : providerKind === 'anthropic'
        ? { kind: 'anthropic', baseUrl: baseUrl.trim(), model: model.trim() }
        : {
            kind: 'openai',
            baseUrl: baseUrl.trim(),
            model: model.trim(),
            keyId,
            ...(preset?.azureApiVersion ? { azureApiVersion: preset.azureApiVersion } : {}),
            ...(presetId === 'custom' && headersText.trim() ? { headers: parseHeaders(headersText) } : {}),
          };
  /** The provider offers a Batch API: "When" is offered, and a batch job sends its rows there. */
  const batchOffered = batchKindOf(provider) !== null;
  const sendAsBatch = batch && batchOffered;
  // A reasoning model refuses a temperature or top-p: said here, before the run, not by every row.
  const samplingProblem = reasoningModelProblem(provider, answer);
  const keyStatus = keys.find((k) => k.provider === keyId);
  // Only warn at the service's own address: a changed address may be a server that needs no key.
  const missingKey =
    keyId !== null &&
    keyId !== 'custom' &&
    keyStatus !== undefined &&
    !keyStatus.set &&
    (baseUrl.trim() === preset?.baseUrl || keyId === 'azure');
  // The key is set but may not go to this address: the backend refuses it, and Settings is where to allow it.
  const keyElsewhere =
    keyId !== null &&
    keyStatus?.set === true &&
    URL.canParse(baseUrl.trim()) &&
    !keyMayGoTo(keyId, baseUrl.trim(), keyStatus.origins);
  const allowInSettings =
    keyElsewhere && keyId !== null ? (
      <p className="key-elsewhere">
        <button
          type="button"
          className="link"
          onClick={() => {
            offerKeyAddress(keyId, baseUrl.trim());
            navigate({ screen: 'settings' });
          }}
        >
          Open Settings → API keys to add this address (your job stays here)
        </button>
      </p>
    ) : null;

  function choosePreset(id: string): void {
    const next = presetById(id);
    setPresetId(id);
    setConnection(null);
    if (!next) return;
    const choice = serviceChoice(preferences, id);
    // "Other" starts empty: the address of the service chosen before is not the user's server.
    setBaseUrl(choice.baseUrl);
    setModel(choice.model);
    // Servers on this computer are checked at once: is it running, which models does it have?
    if (next.keyId === null && choice.baseUrl.includes('localhost')) {
      void test({ kind: 'openai', baseUrl: choice.baseUrl, model: choice.model, keyId: null });
    }
  }

  async function test(config: ProviderConfig = provider): Promise<void> {
    setTesting(true);
    setConnection(null);
    try {
      setConnection(await api.testConnection({ provider: config }));
    } catch (e) {
      setConnection({ ok: false, message: errorMessage(e), models: [] });
    } finally {
      setTesting(false);
    }
  }

  function setProviderKind(kind: ProviderKind): void {
    setProviderKindState(kind);
    setConnection(null);
    if (kind === 'demo') return;
    const choice = serviceChoice(preferences, serviceOf(kind, presetId));
    setBaseUrl(choice.baseUrl);
    setModel(choice.model);
  }

  // File › Import with a file already chosen: choose another (the file picker opens the dialog).
  useEffect(() => {
    if (!preview) return;
    const onRequest = (): void => setPreview(null);
    window.addEventListener(IMPORT_REQUEST, onRequest);
    return () => window.removeEventListener(IMPORT_REQUEST, onRequest);
  }, [preview]);

  // Keys and prices may have changed in Settings while this draft waited: look again on each return.
  useEffect(() => {
    if (visible) api.getKeys({}).then(setKeys, () => undefined);
  }, [api, visible]);

  const ready = preview !== null && templateProblem === null && providerProblem === null;
  /** What keeps Run off, in words. */
  const blocker = templateProblem ?? providerProblem ?? samplingProblem;
  const estimateKey = ready
    ? JSON.stringify([preview.sheetId, template, systemPrompt, provider, concurrency, skipEmptyRows, answer])
    : null;
  useEffect(() => {
    if (!estimateKey || !preview || !visible) return;
    let stale = false;
    const timer = setTimeout(() => {
      api
        .estimateJob({
          sheetId: preview.sheetId,
          template,
          systemPrompt,
          provider,
          settings: { concurrency, ...answer },
          skipEmptyRows,
        })
        .then(
          (next) => {
            if (!stale) setEstimate(next);
          },
          () => undefined,
        );
    }, 300);
    return () => {
      stale = true;
      clearTimeout(timer);
    };
    // The key captures every input of the estimate.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [api, estimateKey, visible]);

  /** Creates the job, then runs it all, or a sample of ten rows that ends with a projection. */
  async function start(sample = false): Promise<void> {
    if (!preview) return;
    setStarting(true);
    setError(null);
    try {
      const job = await api.createJob({
        sheetId: preview.sheetId,
        template,
        systemPrompt,
        provider,
        settings: { concurrency, useCache, ...answer, batch: sendAsBatch },
        skipEmptyRows,
      });
      if (sample) await api.sampleJob({ jobId: job.id, rows: 10 });
      else await api.startJob({ jobId: job.id });
      // Next time, this service starts with this address and model.
      const remembered =
        provider.kind === 'demo'
          ? preferences.services
          : {
              ...preferences.services,
              [serviceOf(provider.kind, presetId)]: { baseUrl: provider.baseUrl, model: provider.model },
            };
      savePreferences({ provider: providerKind, service: presetId, services: remembered, concurrency });
      onCreated();
      navigate({ screen: 'job', jobId: job.id });
    } catch (e) {
      setError(errorMessage(e));
      setStarting(false);
    }
  }

  // A form of its own: its radio groups stay apart from those of another copy of this screen (the
  // draft waits hidden while a job is edited). Nothing is submitted: each button does its own work.
  return (
    <form className="wizard" onSubmit={(event) => event.preventDefault()}>
      <div className="wizard-header">
        <h1>{editJobId ? `Edit “${editing?.name ?? '…'}”` : 'New job'}</h1>
        {editJobId && (
          <a href={hrefOf({ screen: 'job', jobId: editJobId })} className="back">
            Back to the job without changes
          </a>
        )}
        {preview && onStartOver && (
          <button type="button" onClick={onStartOver} title="Clear the file, template and choices, and begin again">
            Start over
          </button>
        )}
      </div>

      <section className="step" aria-labelledby="step-file" ref={fileStep}>
        <h2 id="step-file">
          <span className="step-number">1</span> {editJobId ? 'The spreadsheet' : 'Choose your spreadsheet'}
        </h2>
        {editJobId ? (
          <p>
            {editing ? (
              <>
                <strong>{editing.fileName}</strong> · {plural(editing.counts.total, 'row')} ·{' '}
                {plural(editing.columns.length, 'column')}{' '}
                <span className="muted small">(the file of a job stays; for another file, start a new job)</span>
              </>
            ) : (
              <span className="muted">Loading the job…</span>
            )}
          </p>
        ) : preview ? (
          <>
            <SheetPreviewTable preview={preview} onChange={setPreview} />
            <button
              type="button"
              className="link"
              onClick={() => {
                focusAfter.current = 'picker';
                setPreview(null);
              }}
            >
              Choose a different file
            </button>
          </>
        ) : (
          <FilePicker
            onImported={(imported) => {
              focusAfter.current = 'prompt';
              setPreview(imported);
            }}
          />
        )}
      </section>

      <section className="step" aria-labelledby="step-prompt" aria-disabled={!columns} ref={promptStep}>
        <h2 id="step-prompt">
          <span className="step-number">2</span> Write the prompt
        </h2>
        {columns ? (
          <>
            <TemplateEditor
              columns={columns}
              sampleRows={preview?.sampleRows ?? editRows}
              template={template}
              onChange={setTemplate}
            />
            {!editJobId && (
              <label className="setting checkbox">
                <input
                  type="checkbox"
                  checked={skipEmptyRows}
                  onChange={(event) => setSkipEmptyRows(event.target.checked)}
                />
                <span>Skip rows whose placeholders are all empty (nothing is sent for them)</span>
              </label>
            )}
            <details className="system-prompt">
              <summary>System prompt (optional)</summary>
              <label className="field">
                <span>System prompt</span>
                <textarea
                  value={systemPrompt}
                  rows={3}
                  placeholder="e.g. You are a concise copywriter. Answer in one sentence."
                  onChange={(event) => setSystemPrompt(event.target.value)}
                />
              </label>
            </details>
          </>
        ) : (
          <p className="muted">Once a file is imported, write the instruction to send for each row here.</p>
        )}
      </section>

      <section className="step" aria-labelledby="step-model">
        <h2 id="step-model">
          <span className="step-number">3</span> Choose the model
        </h2>
        <fieldset className="provider-choice">
          <legend className="visually-hidden">Provider</legend>
          <label className={`option${providerKind === 'demo' ? ' selected' : ''}`}>
            <input
              type="radio"
              name="provider"
              checked={providerKind === 'demo'}
              onChange={() => setProviderKind('demo')}
            />
            <span>
              <strong>Demo (offline)</strong>
              <span className="muted small">Sample answers, free, no account. Good for trying Rowbot.</span>
            </span>
          </label>
          <label className={`option${providerKind === 'openai' ? ' selected' : ''}`}>
            <input
              type="radio"
              name="provider"
              checked={providerKind === 'openai'}
              onChange={() => setProviderKind('openai')}
            />
            <span>
              <strong>OpenAI-compatible API</strong>
              <span className="muted small">OpenAI, or any server that speaks its chat completions API.</span>
            </span>
          </label>
          <label className={`option${providerKind === 'anthropic' ? ' selected' : ''}`}>
            <input
              type="radio"
              name="provider"
              checked={providerKind === 'anthropic'}
              onChange={() => setProviderKind('anthropic')}
            />
            <span>
              <strong>Anthropic</strong>
              <span className="muted small">Claude models, through Anthropic’s Messages API.</span>
            </span>
          </label>
        </fieldset>
        {providerKind === 'openai' && (
          <label className="field">
            <span>Service</span>
            <select value={presetId} onChange={(event) => choosePreset(event.target.value)}>
              {PROVIDER_PRESETS.filter((p) => p.kind === 'openai').map((p) => (
                <option key={p.id} value={p.id}>
                  {p.label} — {p.hint}
                </option>
              ))}
            </select>
          </label>
        )}
        {providerKind === 'openai' && presetId === 'custom' && (
          <label className="field">
            <span>Extra headers (optional, one per line, Name: value)</span>
            <textarea
              rows={2}
              value={headersText}
              onChange={(event) => setHeadersText(event.target.value)}
              spellCheck={false}
            />
          </label>
        )}
        {missingKey && keyId && (
          <p className="banner banner-warning" role="status">
            No API key for {KEY_NAMES[keyId]} yet. <a href="#/settings">Add it in Settings</a>, then come back: this job
            stays as it is.
          </p>
        )}
        {providerKind !== 'demo' && (
          <AddressModelFields
            baseUrl={baseUrl}
            model={model}
            onBaseUrl={setBaseUrl}
            onModel={setModel}
            models={connection?.models ?? []}
            openModels={connection !== null && !connection.ok && connection.models.length > 0}
            openAiCompatible={providerKind === 'openai' && presetId !== 'azure'}
            addressPlaceholder={
              providerKind === 'openai' && presetId === 'custom' ? 'http://your-server:8000/v1' : undefined
            }
          />
        )}
        {providerKind === 'openai' && presetId === 'azure' && (
          <p className={hasPlaceholders(baseUrl) ? 'banner banner-warning' : 'muted small'} role="note">
            Azure OpenAI: the address of your deployment, as shown in the Azure portal — replace RESOURCE with your
            resource name and DEPLOYMENT with your deployment name. For the model, type the model the deployment runs
            (e.g. gpt-4o-mini): Rowbot uses it to look up the price. Sent with api-version {preset?.azureApiVersion}.
          </p>
        )}
        {providerKind !== 'demo' && (
          <div className="connection">
            <button type="button" onClick={() => void test()} disabled={testing || providerProblem !== null}>
              {testing ? 'Testing…' : 'Test connection'}
            </button>
            <ConnectionResult connection={connection} />
          </div>
        )}
        {/* One link to Settings: beside the failed run when there is one, else beside the failed test. */}
        {providerKind !== 'demo' && connection && !connection.ok && !error && allowInSettings}
        <AnswerOptions value={answer} onChange={setAnswer} problem={samplingProblem} />
        <label className="setting checkbox">
          <input type="checkbox" checked={useCache} onChange={(event) => setUseCache(event.target.checked)} />
          <span>Reuse the answer of an identical earlier request (free, marked “Cached”)</span>
        </label>
        <RowsAtOnceField value={concurrency} onChange={setConcurrency} />
      </section>

      <section className="step" aria-labelledby="step-run">
        <h2 id="step-run">
          <span className="step-number">4</span> Run
        </h2>
        {error && (
          <p role="alert" className="error-box">
            {error}
          </p>
        )}
        {error && allowInSettings}
        {batchOffered && (
          <WhenChoice
            batch={batch}
            onChange={setBatch}
            estimate={
              editJobId
                ? // The projection holds for the job's own model only.
                  editing && model.trim() === editing.provider.model && projection && projection.rows > 0
                  ? restOf(projection, editing.usage.cost ?? 0)
                  : null
                : ready
                  ? estimate
                  : null
            }
            of={editJobId && projection ? `the ${plural(projection.rows, 'row')} without an answer` : undefined}
          />
        )}
        {estimate && ready && (
          <p className="estimate" aria-label="Estimate">
            <strong>{plural(estimate.rows, 'row')}</strong> to send
            {estimate.skipped > 0 && (
              <span className="muted"> ({formatCompact(estimate.skipped)} skipped: nothing to fill in)</span>
            )}{' '}
            · {estimate.tokensEstimated ? 'about ' : ''}
            {formatCompact(estimate.promptTokens)} prompt tokens
            {estimate.tokensEstimated ? ' (estimated: no tokenizer for this model)' : ''} ·{' '}
            {/* The other price is beside its choice under When. */}
            {estimate.cost && estimate.batchCost && batchOffered ? (
              <>
                {sendAsBatch ? 'as a batch ' : 'now '}
                <strong>{costRange(sendAsBatch ? estimate.batchCost : estimate.cost)}</strong>
              </>
            ) : estimate.cost ? (
              <strong>{costRange(estimate.cost)}</strong>
            ) : (
              <span className="muted">no price known for this model</span>
            )}{' '}
            ·{' '}
            {sendAsBatch
              ? 'results within 24 hours'
              : `${formatDuration(estimate.seconds[0])}–${formatDuration(estimate.seconds[1])}`}
          </p>
        )}
        {estimate && ready && providerKind !== 'demo' && <PriceNote estimate={estimate} />}
        {editJobId ? (
          editing && (
            <EditRunButtons
              job={editing}
              edit={{
                template,
                systemPrompt,
                provider,
                settings: { concurrency, useCache, ...answer, batch: sendAsBatch },
              }}
              blocker={blocker}
              batch={sendAsBatch}
            />
          )
        ) : (
          <>
            <button
              type="button"
              className="primary large"
              disabled={!preview || blocker !== null || starting}
              onClick={() => void start()}
            >
              {starting
                ? 'Starting…'
                : preview
                  ? `Run ${plural(preview.rowCount, 'row')}${sendAsBatch ? ' as a batch' : ''}`
                  : 'Run'}
            </button>
            {preview && preview.rowCount > 10 && (
              <button
                type="button"
                className="large try-sample"
                disabled={blocker !== null || starting}
                onClick={() => void start(true)}
                title={
                  sendAsBatch
                    ? 'Send the first ten rows now (live), then see the answers before the rest go as a batch'
                    : 'Send the first ten rows, then see what the rest will cost and take before you go on'
                }
              >
                Try 10 rows first
              </button>
            )}
          </>
        )}
        {(preview || editing) && blocker && <p className="muted small">{blocker}</p>}
      </section>
    </form>
  );
}

/** A projection's prices without what the job has spent already (the projection includes it). */
function restOf(projection: JobEstimate, spent: number): Pick<JobEstimate, 'cost' | 'batchCost'> {
  const less = (cost: [number, number] | null): [number, number] | null =>
    cost ? [Math.max(0, cost[0] - spent), Math.max(0, cost[1] - spent)] : null;
  return { cost: less(projection.cost), batchCost: less(projection.batchCost) };
}

function costRange(cost: [number, number]): string {
  return `${formatCost(cost[0])}–${formatCost(cost[1])}`;
}

/** The service preset a job's provider came from: by its key, else by its address; "Other" when none fits. */
function presetOfJob(job: JobDetail): string {
  const { provider } = job;
  if (provider.kind !== 'openai') return 'openai';
  if (provider.keyId === undefined) return 'openai';
  if (provider.keyId !== null) return PROVIDER_PRESETS.find((p) => p.keyId === provider.keyId)?.id ?? 'custom';
  const origin = URL.canParse(provider.baseUrl) ? new URL(provider.baseUrl).origin : '';
  return (
    PROVIDER_PRESETS.find((p) => p.keyId === null && URL.canParse(p.baseUrl) && new URL(p.baseUrl).origin === origin)
      ?.id ?? 'vllm'
  );
}

/** "Name: value" lines into headers; lines without a colon are ignored. */
function parseHeaders(text: string): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const at = line.indexOf(':');
    if (at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

/** Which price the estimate used and where to change it; a model without one is sent to add it. */
function PriceNote({ estimate }: { estimate: JobEstimate }) {
  const { price } = estimate;
  const where = hrefOf({ screen: 'settings', section: 'prices' });
  if (!price) {
    return (
      <p className="muted small" aria-label="Price used">
        Rowbot has no price for this model, so it cannot tell the cost. <a href={where}>Add its price in Settings</a>{' '}
        (your job stays here).
      </p>
    );
  }
  return (
    <p className="muted small" aria-label="Price used">
      Priced as <strong>{price.model}</strong>: {formatPerMillion(price.input)} per million prompt tokens,{' '}
      {formatPerMillion(price.output)} per million output tokens
      {price.source === 'shipped' ? ` (list price checked ${estimate.pricesCheckedOn})` : ' (your price)'}.{' '}
      <a href={where}>Change prices</a>
    </p>
  );
}
