import { useId, useRef, useState, type KeyboardEvent } from 'react';

/**
 * The model field once the service has said which models it has (Test connection): a text field
 * with a visible list of them to pick from (the ARIA combobox pattern), typing still allowed for a
 * model the service does not list. `open` starts the list open, e.g. when the typed model is unknown.
 */
export function ModelCombobox({
  value,
  models,
  onChange,
  open: openAtStart = false,
}: {
  value: string;
  models: readonly string[];
  onChange: (value: string) => void;
  open?: boolean;
}) {
  const id = useId();
  const listId = `${id}-models`;
  const input = useRef<HTMLInputElement>(null);
  const [open, setOpen] = useState(openAtStart);
  // Null: the whole list (opened with the button or the arrow keys); text: what the user typed.
  const [typed, setTyped] = useState<string | null>(null);
  const [active, setActive] = useState(-1);
  const needle = typed?.trim().toLocaleLowerCase() ?? '';
  const shown = needle === '' ? models : models.filter((m) => m.toLocaleLowerCase().includes(needle));
  const expanded = open && shown.length > 0;

  function pick(model: string): void {
    onChange(model);
    setOpen(false);
    setTyped(null);
    setActive(-1);
    input.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLInputElement>): void {
    if (event.key === 'ArrowDown' || event.key === 'ArrowUp') {
      event.preventDefault();
      if (!expanded) {
        setOpen(true);
        setActive(Math.max(0, models.indexOf(value)));
        return;
      }
      const step = event.key === 'ArrowDown' ? 1 : -1;
      setActive((current) => (current + step + shown.length) % shown.length);
    } else if (event.key === 'Enter' && expanded && active >= 0 && shown[active] !== undefined) {
      event.preventDefault();
      pick(shown[active]);
    } else if (event.key === 'Escape' && expanded) {
      event.preventDefault();
      event.stopPropagation();
      setOpen(false);
    }
  }

  return (
    <div className="model-combobox">
      <div className="model-combobox-line">
        <input
          ref={input}
          id={id}
          type="text"
          role="combobox"
          aria-label="Model"
          aria-autocomplete="list"
          aria-expanded={expanded}
          aria-controls={listId}
          aria-activedescendant={expanded && active >= 0 ? `${listId}-${active}` : undefined}
          spellCheck={false}
          autoComplete="off"
          value={value}
          onChange={(event) => {
            onChange(event.target.value);
            setTyped(event.target.value);
            setOpen(true);
            setActive(-1);
          }}
          onKeyDown={onKeyDown}
          onBlur={() => setOpen(false)}
        />
        <button
          type="button"
          className="model-combobox-toggle"
          aria-label={expanded ? 'Hide the service’s models' : `Show the service’s ${models.length} models`}
          title="The models this service offers"
          tabIndex={-1}
          onMouseDown={(event) => event.preventDefault()}
          onClick={() => {
            setTyped(null);
            setOpen(!expanded);
            input.current?.focus();
          }}
        >
          ▾
        </button>
      </div>
      <ul id={listId} role="listbox" aria-label="Models of this service" className="model-list" hidden={!expanded}>
        {shown.map((model, index) => (
          <li
            key={model}
            id={`${listId}-${index}`}
            role="option"
            aria-selected={model === value}
            className={`model-option${index === active ? ' active' : ''}${model === value ? ' chosen' : ''}`}
            onMouseDown={(event) => event.preventDefault()}
            onClick={() => pick(model)}
          >
            {model}
          </li>
        ))}
      </ul>
    </div>
  );
}
