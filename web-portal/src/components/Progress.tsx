/** Steps of a long action, with the current one marked and announced. */
export function Progress({
  steps,
  current,
  error,
}: {
  steps: readonly string[];
  current: number;
  error?: string;
}) {
  return (
    <div className="progress card" role="status" aria-live="polite">
      <ol>
        {steps.map((s, i) => {
          const state =
            error && i === current
              ? 'failed'
              : i < current
                ? 'done'
                : i === current
                  ? 'active'
                  : 'todo';
          return (
            <li
              key={s}
              className={`step step-${state}`}
              aria-current={i === current ? 'step' : undefined}
            >
              <span className="step-mark" aria-hidden="true">
                {state === 'done' ? '✓' : state === 'failed' ? '!' : i + 1}
              </span>
              {s}
              {state === 'active' && <span className="spinner spinner-small" aria-hidden="true" />}
            </li>
          );
        })}
      </ol>
      {error && <p className="field-error">{error}</p>}
    </div>
  );
}
